/* LevelDB wrapper (see db.h). */
#include "state/db.h"
#include "util/crashpoint.h"

#include <dirent.h>
#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_tuning db_tuning = {
    .cache = (size_t)DB_CACHE_DEFAULT_MIB << 20,
    .write_buffer = 4u << 20,
    .max_file_size = 2u << 20,
    .max_open_files = 64,
    .bloom_bits = 10,
    .compression = true,
};

static size_t clamp_size(size_t v, size_t lo, size_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

size_t db_cache_index(void)
{
    return clamp_size(db_tuning.cache / 16, 1u << 20, 16u << 20);
}

size_t db_cache_provider(void)
{
    return clamp_size(db_tuning.cache / 64, 1u << 20, 4u << 20);
}

size_t db_cache_state(void)
{
    size_t others = db_cache_index() + db_cache_provider();
    return db_tuning.cache > others + (1u << 20) ? db_tuning.cache - others : 1u << 20;
}

struct db {
    leveldb_t *ldb;
    leveldb_options_t *opts;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    leveldb_readoptions_t *ropts;
    leveldb_writeoptions_t *wsync;
    leveldb_writeoptions_t *wasync;
    char name[32]; /* last part of the path, to name crash marks */
    char last_error[256];
    /* A snapshot handle (db_snapshot): reads through it see the database
     * as it was when it was taken; it shares ldb with base and owns only
     * the snapshot and its read options. */
    const leveldb_snapshot_t *snap;
    struct db *base;
};

struct db_batch {
    leveldb_writebatch_t *wb;
};

struct db_iter {
    struct db *db;
    leveldb_iterator_t *it;
    leveldb_readoptions_t *ropts;
    uint8_t *prefix;
    size_t plen;
    bool started;
};

static void set_error(struct db *db, char *lerr)
{
    snprintf(db->last_error, sizeof(db->last_error), "%s", lerr ? lerr : "unknown error");
    leveldb_free(lerr);
}

static void db_crashpoint(const struct db *db, const char *when)
{
    char where[64];
    if (!crashpoint_due())
        return;
    snprintf(where, sizeof(where), "%s batch write (%s)", db->name, when);
    crashpoint_crash(where);
}

bool db_exists(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    bool found = false;
    while (d && !found && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        /* A MANIFEST alone is a creation interrupted before CURRENT. */
        found = strcmp(e->d_name, "CURRENT") == 0 ||
                (n > 4 && (strcmp(e->d_name + n - 4, ".ldb") == 0 ||
                           strcmp(e->d_name + n - 4, ".sst") == 0 ||
                           strcmp(e->d_name + n - 4, ".log") == 0));
    }
    if (d)
        closedir(d);
    return found;
}

struct db *db_open(const char *path, size_t cache_bytes, bool create, char *err, size_t errlen)
{
    char *lerr = NULL;
    struct db *db = calloc(1, sizeof(*db));
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *slash = strrchr(path, '/');
    snprintf(db->name, sizeof(db->name), "%s", slash ? slash + 1 : path);
    db->opts = leveldb_options_create();
    db->cache = leveldb_cache_create_lru(cache_bytes);
    db->filter = db_tuning.bloom_bits > 0 ? leveldb_filterpolicy_create_bloom(db_tuning.bloom_bits)
                                          : NULL;
    leveldb_options_set_create_if_missing(db->opts, create);
    /* Check every block read so corruption is reported, never used. */
    leveldb_options_set_paranoid_checks(db->opts, 1);
    leveldb_options_set_cache(db->opts, db->cache);
    if (db->filter)
        leveldb_options_set_filter_policy(db->opts, db->filter);
    leveldb_options_set_max_open_files(db->opts, db_tuning.max_open_files);
    leveldb_options_set_write_buffer_size(db->opts, db_tuning.write_buffer);
    leveldb_options_set_max_file_size(db->opts, db_tuning.max_file_size);
    leveldb_options_set_compression(db->opts, db_tuning.compression ? leveldb_snappy_compression
                                                                    : leveldb_no_compression);
    db->ldb = leveldb_open(db->opts, path, &lerr);
    if (!db->ldb) {
        snprintf(err, errlen, "cannot open database %s: %s", path, lerr ? lerr : "unknown error");
        leveldb_free(lerr);
        db_close(db);
        return NULL;
    }
    db->ropts = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(db->ropts, 1);
    db->wsync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(db->wsync, 1);
    db->wasync = leveldb_writeoptions_create();
    return db;
}

struct db *db_snapshot(struct db *db)
{
    struct db *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ldb = db->ldb;
    s->base = db;
    memcpy(s->name, db->name, sizeof(s->name));
    s->ropts = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(s->ropts, 1);
    s->snap = leveldb_create_snapshot(db->ldb);
    leveldb_readoptions_set_snapshot(s->ropts, s->snap);
    return s;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    if (db->base) {
        leveldb_release_snapshot(db->ldb, db->snap);
        leveldb_readoptions_destroy(db->ropts);
        free(db);
        return;
    }
    if (db->ldb)
        leveldb_close(db->ldb);
    if (db->ropts)
        leveldb_readoptions_destroy(db->ropts);
    if (db->wsync)
        leveldb_writeoptions_destroy(db->wsync);
    if (db->wasync)
        leveldb_writeoptions_destroy(db->wasync);
    leveldb_options_destroy(db->opts);
    leveldb_cache_destroy(db->cache);
    if (db->filter)
        leveldb_filterpolicy_destroy(db->filter);
    free(db);
}

bool db_destroy(const char *path, char *err, size_t errlen)
{
    char *lerr = NULL;
    leveldb_options_t *opts = leveldb_options_create();
    leveldb_destroy_db(opts, path, &lerr);
    leveldb_options_destroy(opts);
    if (lerr) {
        snprintf(err, errlen, "cannot remove database %s: %s", path, lerr);
        leveldb_free(lerr);
        return false;
    }
    return true;
}

enum db_result db_get(struct db *db, const void *key, size_t klen, uint8_t **val, size_t *vlen)
{
    char *lerr = NULL;
    size_t n = 0;
    char *v = leveldb_get(db->ldb, db->ropts, key, klen, &n, &lerr);
    if (lerr) {
        set_error(db, lerr);
        return DB_ERROR;
    }
    if (!v)
        return DB_NOTFOUND;
    /* Copy into malloc'd memory so callers free with free(). */
    *val = malloc(n ? n : 1);
    if (!*val) {
        leveldb_free(v);
        snprintf(db->last_error, sizeof(db->last_error), "out of memory");
        return DB_ERROR;
    }
    memcpy(*val, v, n);
    *vlen = n;
    leveldb_free(v);
    return DB_FOUND;
}

const char *db_last_error(const struct db *db)
{
    return db->last_error;
}

struct db_batch *db_batch_new(void)
{
    struct db_batch *b = malloc(sizeof(*b));
    if (!b)
        return NULL;
    b->wb = leveldb_writebatch_create();
    return b;
}

void db_batch_free(struct db_batch *b)
{
    if (!b)
        return;
    leveldb_writebatch_destroy(b->wb);
    free(b);
}

void db_batch_put(struct db_batch *b, const void *key, size_t klen, const void *val, size_t vlen)
{
    leveldb_writebatch_put(b->wb, key, klen, val, vlen);
}

void db_batch_del(struct db_batch *b, const void *key, size_t klen)
{
    leveldb_writebatch_delete(b->wb, key, klen);
}

bool db_write(struct db *db, struct db_batch *b, bool sync)
{
    char *lerr = NULL;
    if (db->base) {
        snprintf(db->last_error, sizeof(db->last_error), "a snapshot is read-only");
        return false;
    }
    db_crashpoint(db, "before");
    leveldb_write(db->ldb, sync ? db->wsync : db->wasync, b->wb, &lerr);
    if (lerr) {
        set_error(db, lerr);
        return false;
    }
    db_crashpoint(db, "after");
    return true;
}

struct db_iter *db_iter_new(struct db *db, const void *prefix, size_t plen)
{
    struct db_iter *it = calloc(1, sizeof(*it));
    if (!it)
        return NULL;
    it->prefix = malloc(plen ? plen : 1);
    if (!it->prefix) {
        free(it);
        return NULL;
    }
    memcpy(it->prefix, prefix, plen);
    it->plen = plen;
    it->ropts = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(it->ropts, 1);
    leveldb_readoptions_set_fill_cache(it->ropts, 0);
    if (db->snap)
        leveldb_readoptions_set_snapshot(it->ropts, db->snap);
    it->it = leveldb_create_iterator(db->ldb, it->ropts);
    it->db = db;
    return it;
}

bool db_iter_failed(struct db_iter *it)
{
    char *lerr = NULL;
    leveldb_iter_get_error(it->it, &lerr);
    if (!lerr)
        return false;
    set_error(it->db, lerr);
    return true;
}

void db_iter_free(struct db_iter *it)
{
    if (!it)
        return;
    leveldb_iter_destroy(it->it);
    leveldb_readoptions_destroy(it->ropts);
    free(it->prefix);
    free(it);
}

bool db_iter_next(struct db_iter *it, const uint8_t **key, size_t *klen, const uint8_t **val,
                  size_t *vlen)
{
    if (!it->started) {
        leveldb_iter_seek(it->it, (const char *)it->prefix, it->plen);
        it->started = true;
    } else if (leveldb_iter_valid(it->it)) {
        leveldb_iter_next(it->it);
    }
    if (!leveldb_iter_valid(it->it))
        return false;
    size_t kl, vl;
    const char *k = leveldb_iter_key(it->it, &kl);
    if (kl < it->plen || memcmp(k, it->prefix, it->plen) != 0)
        return false;
    *key = (const uint8_t *)k;
    *klen = kl;
    *val = (const uint8_t *)leveldb_iter_value(it->it, &vl);
    *vlen = vl;
    return true;
}
