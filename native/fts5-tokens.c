/*
** engram_fts_tokens(tokenize, text, ...): the tokens FTS5 indexes for the texts under the tokenize
** option `tokenize` (a tokenizer's name and its arguments separated by spaces, as in
** 'porter unicode61'), in order, as a JSON array of strings; NULL texts are skipped. A token is
** cut at FTS5_MAX_TOKEN_SIZE bytes as FTS5 cuts it before indexing (fts5_storage.c), so a row's
** distinct tokens are exactly the terms fts5vocab counts it under, and a query word's tokens are
** the phrase FTS5 would look up.
**
** Each tokenizer is made once per connection and tokenize option, and deleted when the
** connection closes.
*/
#include "engram-fts5.h"
#include <string.h>

/* FTS5_MAX_TOKEN_SIZE (fts5Int.h). */
#define MAX_TOKEN_BYTES 32768
/* Words in a tokenize option, its name included. */
#define MAX_WORDS 16

typedef struct Tokenizer Tokenizer;
struct Tokenizer {
  char *zSpec;
  fts5_tokenizer methods;
  Fts5Tokenizer *pTok;
  Tokenizer *pNext;
};

/* A connection's tokenizers, by tokenize option. */
typedef struct Tokenizers {
  fts5_api *fts5;
  Tokenizer *pFirst;
} Tokenizers;

static void tokenizers_free(void *p){
  Tokenizers *all = (Tokenizers*)p;
  Tokenizer *t = all->pFirst;
  while( t ){
    Tokenizer *next = t->pNext;
    t->methods.xDelete(t->pTok);
    sqlite3_free(t->zSpec);
    sqlite3_free(t);
    t = next;
  }
  sqlite3_free(all);
}

/* The tokenizer of `zSpec`, made on first use; 0 with an error message in *pzErr otherwise. */
static Tokenizer *tokenizer_of(Tokenizers *all, const char *zSpec, char **pzErr){
  Tokenizer *t;
  char *zWords;
  const char *azWord[MAX_WORDS];
  int nWord = 0;
  char *z;
  void *pUserData = 0;
  int rc;
  for(t=all->pFirst; t; t=t->pNext){
    if( strcmp(t->zSpec, zSpec)==0 ) return t;
  }
  zWords = sqlite3_mprintf("%s", zSpec);
  t = (Tokenizer*)sqlite3_malloc(sizeof(Tokenizer));
  if( zWords==0 || t==0 ){
    sqlite3_free(zWords);
    sqlite3_free(t);
    *pzErr = sqlite3_mprintf("out of memory");
    return 0;
  }
  memset(t, 0, sizeof(Tokenizer));
  for(z=zWords; *z; ){
    while( *z==' ' ) *z++ = 0;
    if( *z==0 ) break;
    if( nWord==MAX_WORDS ){
      *pzErr = sqlite3_mprintf("engram_fts_tokens: more than %d words in '%s'", MAX_WORDS, zSpec);
      goto failed;
    }
    azWord[nWord++] = z;
    while( *z && *z!=' ' ) z++;
  }
  if( nWord==0 ){
    *pzErr = sqlite3_mprintf("engram_fts_tokens: no tokenizer named");
    goto failed;
  }
  rc = all->fts5->xFindTokenizer(all->fts5, azWord[0], &pUserData, &t->methods);
  if( rc==SQLITE_OK ) rc = t->methods.xCreate(pUserData, &azWord[1], nWord - 1, &t->pTok);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("engram_fts_tokens: no FTS5 tokenizer '%s'", zSpec);
    goto failed;
  }
  t->zSpec = sqlite3_mprintf("%s", zSpec);
  if( t->zSpec==0 ){
    t->methods.xDelete(t->pTok);
    *pzErr = sqlite3_mprintf("out of memory");
    goto failed;
  }
  sqlite3_free(zWords);
  t->pNext = all->pFirst;
  all->pFirst = t;
  return t;
failed:
  sqlite3_free(zWords);
  sqlite3_free(t);
  return 0;
}

/* Appends a token to the JSON array being built, as a JSON string. */
static int append_token(
  void *pCtx, int tflags, const char *pToken, int nToken, int iStart, int iEnd
){
  sqlite3_str *out = (sqlite3_str*)pCtx;
  int i;
  (void)tflags; (void)iStart; (void)iEnd;
  if( nToken>MAX_TOKEN_BYTES ) nToken = MAX_TOKEN_BYTES;
  if( sqlite3_str_length(out)>1 ) sqlite3_str_appendchar(out, 1, ',');
  sqlite3_str_appendchar(out, 1, '"');
  for(i=0; i<nToken; i++){
    unsigned char c = (unsigned char)pToken[i];
    if( c=='"' || c=='\\' ){
      sqlite3_str_appendchar(out, 1, '\\');
      sqlite3_str_appendchar(out, 1, (char)c);
    }else if( c<0x20 ){
      sqlite3_str_appendf(out, "\\u%04x", c);
    }else{
      sqlite3_str_appendchar(out, 1, (char)c);
    }
  }
  sqlite3_str_appendchar(out, 1, '"');
  return sqlite3_str_errcode(out);
}

static void engram_fts_tokens(sqlite3_context *ctx, int nArg, sqlite3_value **apArg){
  Tokenizers *all = (Tokenizers*)sqlite3_user_data(ctx);
  const char *zSpec;
  Tokenizer *t;
  char *zErr = 0;
  sqlite3_str *out;
  int rc = SQLITE_OK;
  int i;
  if( nArg<1 || sqlite3_value_type(apArg[0])!=SQLITE_TEXT ){
    sqlite3_result_error(ctx, "engram_fts_tokens: the first argument is a tokenize option", -1);
    return;
  }
  zSpec = (const char*)sqlite3_value_text(apArg[0]);
  t = tokenizer_of(all, zSpec, &zErr);
  if( t==0 ){
    sqlite3_result_error(ctx, zErr ? zErr : "out of memory", -1);
    sqlite3_free(zErr);
    return;
  }
  out = sqlite3_str_new(sqlite3_context_db_handle(ctx));
  sqlite3_str_appendchar(out, 1, '[');
  for(i=1; rc==SQLITE_OK && i<nArg; i++){
    const char *zText;
    if( sqlite3_value_type(apArg[i])==SQLITE_NULL ) continue;
    zText = (const char*)sqlite3_value_text(apArg[i]);
    if( zText==0 ){
      rc = SQLITE_NOMEM;
      break;
    }
    rc = t->methods.xTokenize(
      t->pTok, (void*)out, FTS5_TOKENIZE_DOCUMENT, zText, sqlite3_value_bytes(apArg[i]),
      append_token
    );
  }
  sqlite3_str_appendchar(out, 1, ']');
  if( rc==SQLITE_OK ) rc = sqlite3_str_errcode(out);
  if( rc!=SQLITE_OK ){
    sqlite3_free(sqlite3_str_finish(out));
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  sqlite3_result_text(ctx, sqlite3_str_finish(out), -1, sqlite3_free);
}

int engram_register_tokens(sqlite3 *db, fts5_api *fts5){
  Tokenizers *all = (Tokenizers*)sqlite3_malloc(sizeof(Tokenizers));
  if( all==0 ) return SQLITE_NOMEM;
  all->fts5 = fts5;
  all->pFirst = 0;
  return sqlite3_create_function_v2(
    db, "engram_fts_tokens", -1,
    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
    (void*)all, engram_fts_tokens, 0, 0, tokenizers_free
  );
}
