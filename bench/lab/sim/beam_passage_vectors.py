# One-off simulation (numpy): BEAM recall@10 of a text + vector fusion with message vectors vs
# passage vectors, for conversations whose passages are all in the passage cache.
# Needs: the lab vector cache (bench/lab/tune-both.ts), the passage cache
# (LAB_VECTOR_CACHE=$LAB_PASSAGE_CACHE npx tsx bench/lab/embed-passages.ts DIR...), and
# /tmp/beam-passages.json written by bench/lab/embed-passages.ts with LAB_DUMP_PASSAGES=1.
import struct, sys, glob, collections, numpy as np
import os
HERE = os.path.dirname(os.path.abspath(__file__))
exec(open(os.path.join(HERE, 'beam_lexical.py')).read().split('for mode in')[0])
def load_cache(path):
    m={}; b=open(path,'rb').read(); at=0
    while at+8<=len(b):
        n=struct.unpack_from('<I',b,at)[0]; t=b[at+4:at+4+n].decode('utf8'); at+=4+n
        d=struct.unpack_from('<I',b,at)[0]; at+=4
        if at+4*d>len(b): break
        m[t]=np.frombuffer(b,dtype='<f4',count=d,offset=at).copy(); at+=4*d
    return m
import json
P=json.load(open('/tmp/beam-passages.json'))
MC=load_cache('os.environ.get('LAB_VECTOR_CACHE', '/tmp/engram-lab-vectors.bin')'); PC=load_cache('os.environ.get('LAB_PASSAGE_CACHE', '/tmp/engram-lab-passage-vectors.bin')')
print("cache sizes",len(MC),len(PC),file=sys.stderr)
def unit(v): return v/ (np.linalg.norm(v) or 1)
def run_conv(d, variants):
    name=d.split('/')[-1]; msgs,qs=load(d); pas=P[name]
    if not all(t in PC for ps in pas.values() for t in ps): return None
    ids=[i for i,_,_ in msgs]; role=[r for _,r,_ in msgs]; texts=[c for _,_,c in msgs]
    if not all(t in MC for t in texts): return None
    M=np.stack([MC[t] for t in texts])
    # passage matrix
    prow=[];pown=[]
    for j,(i,_,c) in enumerate(msgs):
        for t in pas.get(str(i),[]): prow.append(PC[t]); pown.append(j)
    PM=np.stack(prow); pown=np.array(pown)
    bm=BM25([terms(c) for c in texts])
    out={v:[] for v in variants}; ab={v:collections.defaultdict(list) for v in variants}
    for a,q,ev in qs:
        if q not in MC: continue
        qv=MC[q]; vm=M@qv; vp=PM@qv
        vmax=vm.copy(); np.maximum.at(vmax,pown,vp)
        vpas=vm.copy(); vpas[np.unique(pown)]=-1; np.maximum.at(vpas,pown,vp)
        ts=bm.score(terms(q)); t=np.zeros(len(msgs))
        for j,s in ts.items(): t[j]=s
        for v in variants:
            kind,vw,nb=v
            vv={'msg':vm,'max':vmax,'psg':vpas,'mean':(vm+vmax)/2}[kind]
            base=t/(t.max() or 1)+vw*np.clip(vv,0,None)/(vv.max() or 1)
            own=base.copy()
            if nb:
                nbr=np.zeros_like(own)
                for j in range(len(msgs)):
                    if role[j]=='assistant': continue
                    c=[]
                    if j>0: c.append(own[j-1])
                    if j+1<len(msgs): c.append(own[j+1])
                    nbr[j]=0.5*max(c)
                own=own+nbr
            top=[ids[j] for j in np.argsort(-own)[:10]]
            r=len(set(top)&ev)/len(ev); out[v].append(r); ab[v][a].append(r)
    return out,ab
variants=[(k,w,nb) for k in ('msg','max','psg','mean') for w in (0.5,1.0) for nb in (0,1)]
tot={v:[] for v in variants}; abt={v:collections.defaultdict(list) for v in variants}; used=[]
for d in sorted(glob.glob("/work/shared/data/beam/500K/*")):
    r=run_conv(d,variants)
    if r is None: continue
    used.append(d.split('/')[-1])
    for v in variants:
        tot[v]+=r[0][v]
        for a,x in r[1][v].items(): abt[v][a]+=x
print("convs",used)
for v in variants: print(v, round(sum(tot[v])/len(tot[v]),3), len(tot[v]), {a[:6]:round(sum(x)/len(x),2) for a,x in sorted(abt[v].items())})
