/*
** Engram's SQLite extension (build/native/engram-fts5.so): what each of its files registers on a
** connection. extension.c is the entry point; the others each hold one function.
*/
#ifndef ENGRAM_FTS5_H
#define ENGRAM_FTS5_H
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

/* engram_bm25(): fts5-scoring.c. */
int engram_register_bm25(fts5_api *fts5);
/* engram_fts_tokens(): fts5-tokens.c. */
int engram_register_tokens(sqlite3 *db, fts5_api *fts5);

#endif
