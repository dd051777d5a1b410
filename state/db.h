/* A thin wrapper over LevelDB's C API: open, get, write batches, iterate.
 *
 * Reads that fail for a reason other than "not found" (corruption, I/O)
 * return DB_ERROR and leave a message in the db for the caller to report.
 */
#ifndef FML_STATE_DB_H
#define FML_STATE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"

struct db;
struct db_batch;
struct db_iter;

enum db_result { DB_ERROR = -1, DB_NOTFOUND = 0, DB_FOUND = 1 };

/* Opens the database at path, creating it when create is set and it does
 * not exist.  cache_bytes sizes the block cache.  On failure returns NULL
 * with the reason in err. */
struct db *db_open(const char *path, size_t cache_bytes, bool create, char *err, size_t errlen);
/* True when path holds a database (or what is left of one): its CURRENT
 * file, a table or a log, not just an empty directory or the manifest of a
 * creation that was interrupted. */
bool db_exists(const char *path);
void db_close(struct db *db);
/* Deletes a closed database's files. */
bool db_destroy(const char *path, char *err, size_t errlen) WARN_UNUSED;

/* *val is malloc'd (the caller frees it) when DB_FOUND. */
enum db_result db_get(struct db *db, const void *key, size_t klen, uint8_t **val, size_t *vlen);
/* The message of the last failed operation. */
const char *db_last_error(const struct db *db);

struct db_batch *db_batch_new(void);
void db_batch_free(struct db_batch *b);
void db_batch_put(struct db_batch *b, const void *key, size_t klen, const void *val, size_t vlen);
void db_batch_del(struct db_batch *b, const void *key, size_t klen);
/* Applies the batch atomically; sync makes it durable before returning.
 * Crash marks (util/crashpoint.h) just before and just after. */
bool db_write(struct db *db, struct db_batch *b, bool sync) WARN_UNUSED;

/* Iterates keys starting with prefix in ascending order. */
struct db_iter *db_iter_new(struct db *db, const void *prefix, size_t plen);
void db_iter_free(struct db_iter *it);
/* True when the iteration stopped on an error (a damaged table, say) rather
 * than at the end; db_last_error then tells which. */
bool db_iter_failed(struct db_iter *it);
/* Moves to the next key (the first on the first call); false at the end. */
bool db_iter_next(struct db_iter *it, const uint8_t **key, size_t *klen, const uint8_t **val,
                  size_t *vlen);

#endif
