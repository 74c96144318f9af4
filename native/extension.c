/*
** The entry point of Engram's SQLite extension: finds the connection's FTS5 API and registers
** engram_bm25() (fts5-scoring.c) and engram_fts_tokens() (fts5-tokens.c) on it.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
#include "engram-fts5.h"

/* The FTS5 API of a connection, as the FTS5 documentation says to find it. */
static fts5_api *fts5_api_of(sqlite3 *db){
  fts5_api *api = 0;
  sqlite3_stmt *stmt = 0;
  if( sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, 0)==SQLITE_OK ){
    sqlite3_bind_pointer(stmt, 1, (void*)&api, "fts5_api_ptr", 0);
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
  return api;
}

/* The entry point SQLite looks for by default. */
#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_extension_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi){
  fts5_api *fts5;
  int rc;
  SQLITE_EXTENSION_INIT2(pApi);
  fts5 = fts5_api_of(db);
  if( fts5==0 || fts5->iVersion<2 ){
    *pzErrMsg = sqlite3_mprintf("Engram's extension needs FTS5 (version 2 or later)");
    return SQLITE_ERROR;
  }
  rc = engram_register_bm25(fts5);
  if( rc==SQLITE_OK ) rc = engram_register_tokens(db, fts5);
  return rc;
}
