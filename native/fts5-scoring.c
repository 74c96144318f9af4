/*
** engram_bm25(fts_table, df_0, df_1, ..., df_n-1): FTS5's bm25() for the phrases given a document
** frequency, higher is better, with none of bm25()'s reading.
**
** bm25() finds each phrase's IDF by running the phrase over the whole table (xQueryPhrase), once
** per statement: a query over one user's few thousand rows still reads every posting of each of
** its terms, and a term plan's "(select) AND (all)" query pays for its selecting terms too. Here
** the caller passes each phrase's document frequency (from the table's term-docs table, read in
** the same transaction: fts5-term-docs.ts) or NULL for a phrase that selects rows without scoring them. The arithmetic is
** bm25()'s (SQLite 3.53, fts5_aux.c: k1 = 1.2, b = 0.75, every column weighted 1, the IDF
** clamped to 1e-6), in its order, so a row's score is bm25()'s, negated, to the last bit.
*/
#include "engram-fts5.h"
#include <math.h>

static void engram_bm25(
  const Fts5ExtensionApi *api,
  Fts5Context *fts,
  sqlite3_context *ctx,
  int nVal,
  sqlite3_value **apVal
){
  const double k1 = 1.2;
  const double b = 0.75;
  int nPhrase = api->xPhraseCount(fts);
  sqlite3_int64 nRow = 0;
  sqlite3_int64 nToken = 0;
  int nInst = 0;
  int nTok = 0;
  int rc;
  int i;
  double avgdl;
  double D;
  double score = 0.0;
  double *aFreq;

  if( nVal!=nPhrase ){
    sqlite3_result_error(ctx, "engram_bm25: one document frequency (or NULL) per phrase", -1);
    return;
  }
  rc = api->xRowCount(fts, &nRow);
  if( rc==SQLITE_OK ) rc = api->xColumnTotalSize(fts, -1, &nToken);
  if( rc!=SQLITE_OK ){
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  avgdl = (double)nToken / (double)nRow;

  aFreq = (double*)sqlite3_malloc64(sizeof(double) * (nPhrase > 0 ? nPhrase : 1));
  if( aFreq==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  for(i=0; i<nPhrase; i++) aFreq[i] = 0.0;
  rc = api->xInstCount(fts, &nInst);
  for(i=0; rc==SQLITE_OK && i<nInst; i++){
    int ip; int ic; int io;
    rc = api->xInst(fts, i, &ip, &ic, &io);
    if( rc==SQLITE_OK ) aFreq[ip] += 1.0;
  }
  if( rc==SQLITE_OK ) rc = api->xColumnSize(fts, -1, &nTok);
  D = (double)nTok;
  if( rc==SQLITE_OK ){
    for(i=0; i<nPhrase; i++){
      sqlite3_int64 nHit;
      double idf;
      if( sqlite3_value_type(apVal[i])==SQLITE_NULL ) continue;
      nHit = sqlite3_value_int64(apVal[i]);
      idf = log( (nRow - nHit + 0.5) / (nHit + 0.5) );
      if( idf<=0.0 ) idf = 1e-6;
      score += idf * (
          ( aFreq[i] * (k1 + 1.0) ) /
          ( aFreq[i] + k1 * (1 - b + b * D / avgdl) )
      );
    }
    sqlite3_result_double(ctx, score);
  }else{
    sqlite3_result_error_code(ctx, rc);
  }
  sqlite3_free(aFreq);
}

int engram_register_bm25(fts5_api *fts5){
  return fts5->xCreateFunction(fts5, "engram_bm25", 0, engram_bm25, 0);
}
