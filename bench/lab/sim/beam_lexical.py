# One-off simulation: plain BM25 over BEAM messages vs over their passages (max per message),
# b = 0.75 and 1.0. Run: python3 bench/lab/sim/beam_lexical.py
import json, re, math, sys, glob, collections
STOP=set("a an the and or but if of to in on at for with by from as is are was were be been being i me my we our you your he she it its they them their this that these those what which who whom when where why how do does did done have has had can could would should will shall may might must not no yes so than then there here about into over after before up down out just also very too any some all each more most other such only own same few both again further once am s t don now let lets like get got please help want need know think".split())
def toks(t): return [w for w in re.findall(r"[a-z0-9]+", t.lower())]
def stem(w):
    for suf in ("ing","edly","ed","es","s","ly"):
        if len(w)>len(suf)+2 and w.endswith(suf): return w[:-len(suf)]
    return w
def terms(t): return [stem(w) for w in toks(t) if w not in STOP and len(w)>1]
def passages(text, maxw=120):
    paras=[p for p in re.split(r"\n\s*\n", text) if p.strip()]
    out=[];cur=[];n=0
    for p in paras:
        w=len(p.split())
        if cur and n+w>maxw: out.append("\n\n".join(cur));cur=[];n=0
        cur.append(p);n+=w
    if cur: out.append("\n\n".join(cur))
    # split long ones by sentences
    res=[]
    for p in out:
        if len(p.split())<=maxw*1.5: res.append(p);continue
        sents=re.split(r"(?<=[.!?])\s+|\n",p);cur=[];n=0
        for s in sents:
            w=len(s.split())
            if cur and n+w>maxw: res.append(" ".join(cur));cur=[];n=0
            cur.append(s);n+=w
        if cur: res.append(" ".join(cur))
    return res
class BM25:
    def __init__(s, docs, k1=1.2, b=0.75):
        s.tf=[collections.Counter(d) for d in docs]; s.len=[len(d) for d in docs]
        s.avg=sum(s.len)/max(1,len(docs)); s.df=collections.Counter()
        for c in s.tf: s.df.update(c.keys())
        s.N=len(docs); s.k1=k1; s.b=b
        s.post=collections.defaultdict(list)
        for i,c in enumerate(s.tf):
            for t,f in c.items(): s.post[t].append((i,f))
    def score(s,q):
        sc=collections.defaultdict(float)
        for t in set(q):
            if t not in s.df: continue
            idf=math.log(1+(s.N-s.df[t]+.5)/(s.df[t]+.5))
            for i,f in s.post[t]:
                sc[i]+=idf*f*(s.k1+1)/(f+s.k1*(1-s.b+s.b*s.len[i]/s.avg))
        return sc
def flat(v):
    if isinstance(v,int): return [v]
    if isinstance(v,dict): return [i for x in v.values() for i in flat(x)]
    if isinstance(v,list): return [i for x in v for i in flat(x)]
    return []
def load(d):
    chat=json.load(open(d+"/chat.json"))
    msgs=[]
    for b in chat:
        for g in b["turns"]:
            for m in g:
                c=re.sub(r"\s*->->\s*\d+,\d+\s*$","",m["content"])
                msgs.append((m["id"],m["role"],c))
    q=json.load(open(d+"/probing_questions/probing_questions.json"))
    qs=[]
    for ab,lst in q.items():
        if ab=="abstention": continue
        for x in lst:
            ev=set(flat(x.get("source_chat_ids",[])))
            if ev: qs.append((ab,x["question"],ev))
    return msgs,qs
def recall(ranked, ev, k=10): return len(set(ranked[:k])&ev)/len(ev) if ev else None
def run(mode, b=0.75, k=10):
    tot=[];byab=collections.defaultdict(list)
    for d in sorted(glob.glob("/work/shared/data/beam/500K/*")):
        msgs,qs=load(d)
        if mode=="msg":
            docs=[terms(c) for _,_,c in msgs]; owner=[i for i,_,_ in msgs]
        else:
            docs=[];owner=[]
            for i,r,c in msgs:
                ps=passages(c) if len(c.split())>180 else [c]
                for p in ps: docs.append(terms(p)); owner.append(i)
        bm=BM25(docs,b=b)
        for ab,q,ev in qs:
            sc=bm.score(terms(q)); best={}
            for j,s in sc.items():
                o=owner[j]
                if s>best.get(o,0): best[o]=s
            ranked=sorted(best,key=lambda o:-best[o])
            r=recall(ranked,ev,k); tot.append(r); byab[ab].append(r)
    return sum(tot)/len(tot), {a:round(sum(v)/len(v),3) for a,v in byab.items()}
for mode in ("msg","psg"):
    for b in (0.75,1.0):
        print(mode,b,run(mode,b))
