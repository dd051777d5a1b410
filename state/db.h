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

/* LevelDB options every db_open uses (doc/benchmarks.md, "LevelDB" gives
 * the measurements behind the defaults).  Process-wide; benchmarks change
 * them to compare, the node keeps the defaults.  write_buffer: the memtable
 * size before a flush to a level-0 table (LevelDB keeps up to two, so up to
 * twice this in memory while writing); max_file_size: the size of one table
 * file; max_open_files: the table cache; bloom_bits: bits per key of the
 * bloom filter (0: none); compression: snappy when LevelDB has it;
 * cache: the block caches of all databases together (-dbcache), shared out
 * by the db_cache_* functions. */
#define DB_CACHE_DEFAULT_MIB 256
#define DB_CACHE_MIN_MIB 4
#define DB_CACHE_MAX_MIB 16384
struct db_tuning {
    size_t cache;
    size_t write_buffer;
    size_t max_file_size;
    int max_open_files;
    int bloom_bits;
    bool compression;
};
extern struct db_tuning db_tuning;

/* The block index is read whole at start and then little (1/16, at most 16
 * MiB); the provider ledger is small (1/64, at most 4 MiB); the chainstate,
 * read by every block, transaction and RPC, takes the rest.  At least 1 MiB
 * each. */
size_t db_cache_index(void);
size_t db_cache_provider(void);
size_t db_cache_state(void);

/* Opens the database at path, creating it when create is set and it does
 * not exist.  cache_bytes sizes the block cache.  On failure returns NULL
 * with the reason in err. */
struct db *db_open(const char *path, size_t cache_bytes, bool create, char *err, size_t errlen);
/* True when path holds a database (or what is left of one): its CURRENT
 * file, a table or a log, not just an empty directory or the manifest of a
 * creation that was interrupted. */
bool db_exists(const char *path);
/* db_close also closes a snapshot handle (releasing its snapshot). */
void db_close(struct db *db);
/* A read-only handle on db as it is now (a LevelDB snapshot): db_get and
 * db_iter_new through it see exactly the batches written before this call,
 * never a later one; db_write on it fails.  It must be closed (db_close)
 * before db.  Safe to read from several threads at once (LevelDB reads
 * are), and to take while another thread writes db.  NULL: out of memory. */
struct db *db_snapshot(struct db *db);
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
