/* The wallet object: creating and loading wallet.dat, replaying and
 * rewriting its records, and the encryption state (lock, unlock, encrypt,
 * passphrase change).  Keys and signing live in keys.c, the history in
 * txrecords.c, the file format in walletdb.c.
 *
 * Header record body:
 *   magic "FMLWALET" | version u32 | network name str | genesis [32]
 *   | created u64 | encrypted u8
 *   [ | alg u8 | opslimit u64 | memlimit u64 | salt [16] | sealed master [72] ]
 */
#include "wallet/internal.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* ---- small helpers ---- */

void wallet_set_error(struct wallet *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error, sizeof(w->error), fmt, ap);
    va_end(ap);
}

void wallet_wbuf_secure(struct wbuf *b, size_t cap)
{
    wbuf_init(b);
    b->data = malloc(cap);
    if (b->data)
        b->cap = cap;
}

void wallet_wbuf_wipe(struct wbuf *b)
{
    if (b->data)
        sodium_memzero(b->data, b->cap);
    wbuf_free(b);
}

void wallet_put_str(struct wbuf *w, const char *s)
{
    put_varbytes(w, s, strlen(s));
}

bool wallet_get_str(struct rbuf *r, char **out, size_t max)
{
    const uint8_t *p;
    size_t n;
    if (!get_varbytes(r, &p, &n, max) || memchr(p, '\0', n))
        return false;
    char *s = malloc(n + 1);
    if (!s)
        return false;
    memcpy(s, p, n);
    s[n] = '\0';
    *out = s;
    return true;
}

void wallet_put_record(struct wbuf *batch, uint8_t type, const struct wbuf *body)
{
    if (body->failed)
        batch->failed = true;
    else
        walletdb_frame(batch, type, body->data, body->len);
}

void wallet_put_setting(struct wbuf *batch, const char *name, uint64_t value)
{
    struct wbuf b;
    wbuf_init(&b);
    wallet_put_str(&b, name);
    put_u64(&b, value);
    wallet_put_record(batch, WREC_SETTING, &b);
    wbuf_free(&b);
}

bool wallet_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > WALLET_NAME_MAX || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

void wallet_set_kdf_limits(uint64_t opslimit, size_t memlimit)
{
    crypt_set_limits(opslimit, memlimit);
}

/* ---- the object ---- */

static struct wallet *wallet_alloc(const struct chain_params *params, const char *name)
{
    struct wallet *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->name = strdup(name);
    if (!w->name) {
        free(w);
        return NULL;
    }
    w->params = params;
    w->version = WALLET_FORMAT_VERSION;
    w->rescan_from = WALLET_NO_RESCAN;
    hmap_init(&w->by_pub);
    hmap_init(&w->by_txid);
    crypt_arena_init(&w->clear);
    return w;
}

static void wallet_release(struct wallet *w)
{
    if (!w)
        return;
    wallet_lock(w);
    keys_free_all(w);
    wtx_free_all(w);
    arena_free_all(w);
    crypt_arena_free(&w->clear);
    walletdb_close(w->db);
    free(w->name);
    free(w);
}

void wallet_free(struct wallet *w)
{
    char err[256];
    if (!w)
        return;
    if (w->db && !wallet_write_best_block(w, true, err, sizeof(err)))
        log_printf("Wallet %s: %s", w->name, err);
    wallet_release(w);
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s%s%s", a, b, *c ? "/" : "", c);
    return s;
}

/* ---- header ---- */

static void header_body(const struct wallet *w, struct wbuf *b)
{
    put_bytes(b, WALLET_HEADER_MAGIC, 8);
    put_u32(b, w->version);
    wallet_put_str(b, w->params->name);
    put_bytes(b, w->params->genesis_hash, HASH_SIZE);
    put_u64(b, w->created);
    put_u8(b, w->encrypted);
    if (w->encrypted) {
        put_u8(b, w->kdf.alg);
        put_u64(b, w->kdf.opslimit);
        put_u64(b, w->kdf.memlimit);
        put_bytes(b, w->kdf.salt, CRYPT_SALT_SIZE);
        put_bytes(b, w->kdf.sealed_master, CRYPT_SEALED_SIZE);
    }
}

static bool apply_header(struct wallet *w, const uint8_t *body, size_t len, char *err,
                         size_t errlen)
{
    struct rbuf r;
    uint8_t magic[8], genesis[HASH_SIZE];
    char *net = NULL;
    uint8_t enc;
    rbuf_init(&r, body, len);
    if (!get_bytes(&r, magic, 8) || memcmp(magic, WALLET_HEADER_MAGIC, 8) != 0 ||
        !get_u32(&r, &w->version)) {
        snprintf(err, errlen, "not a wallet header");
        return false;
    }
    if (w->version != WALLET_FORMAT_VERSION) {
        snprintf(err, errlen, "format version %u is not supported (this fmld reads version %u)",
                 w->version, WALLET_FORMAT_VERSION);
        return false;
    }
    if (!wallet_get_str(&r, &net, PARAMS_NAME_MAX) || !get_bytes(&r, genesis, HASH_SIZE) ||
        !get_u64(&r, &w->created) || !get_u8(&r, &enc) || enc > 1) {
        free(net);
        snprintf(err, errlen, "malformed header");
        return false;
    }
    if (sodium_memcmp(genesis, w->params->genesis_hash, HASH_SIZE) != 0) {
        char hex[2 * HASH_SIZE + 1];
        hash_to_hex(genesis, hex);
        snprintf(err, errlen,
                 "the wallet belongs to network \"%s\" (genesis %s), not to this node's network "
                 "\"%s\"",
                 net, hex, w->params->name);
        free(net);
        return false;
    }
    free(net);
    w->encrypted = enc;
    if (enc) {
        if (!get_u8(&r, &w->kdf.alg) || !get_u64(&r, &w->kdf.opslimit) ||
            !get_u64(&r, &w->kdf.memlimit) || !get_bytes(&r, w->kdf.salt, CRYPT_SALT_SIZE) ||
            !get_bytes(&r, w->kdf.sealed_master, CRYPT_SEALED_SIZE) || !crypt_kdf_valid(&w->kdf)) {
            snprintf(err, errlen, "malformed encryption parameters");
            return false;
        }
    }
    if (!rbuf_done(&r)) {
        snprintf(err, errlen, "malformed header");
        return false;
    }
    return true;
}

/* ---- replay ---- */

static bool apply_best(struct wallet *w, const uint8_t *body, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, body, len);
    if (!get_bytes(&r, w->best_hash, HASH_SIZE) || !get_u64(&r, &w->best_height) || !rbuf_done(&r))
        return false;
    if (w->has_best)
        w->superseded++;
    w->has_best = true;
    w->has_written_best = true;
    memcpy(w->written_best_hash, w->best_hash, HASH_SIZE);
    w->written_best_height = w->best_height;
    return true;
}

static bool apply_setting(struct wallet *w, const uint8_t *body, size_t len, char *err,
                          size_t errlen)
{
    struct rbuf r;
    char *name = NULL;
    uint64_t value;
    rbuf_init(&r, body, len);
    if (!wallet_get_str(&r, &name, 64) || !get_u64(&r, &value) || !rbuf_done(&r)) {
        free(name);
        snprintf(err, errlen, "malformed setting");
        return false;
    }
    bool ok = true;
    if (strcmp(name, WALLET_SETTING_BIRTH) == 0) {
        w->superseded += w->has_birth;
        w->has_birth = true;
        w->birth_height = value;
    } else if (strcmp(name, WALLET_SETTING_RESCAN) == 0) {
        w->superseded += 1; /* a pending rescan is rewritten only while pending */
        w->rescan_pending = value != WALLET_NO_RESCAN;
        w->rescan_from = value;
    } else {
        snprintf(err, errlen, "unknown setting \"%.64s\"", name);
        ok = false;
    }
    free(name);
    return ok;
}

static const char *record_name(uint8_t type)
{
    switch ((enum wrec_type)type) {
    case WREC_HEADER: return "header";
    case WREC_KEY: return "key";
    case WREC_LABEL: return "label";
    case WREC_VALIDATOR: return "validator";
    case WREC_TX: return "transaction";
    case WREC_TXSTATE: return "transaction state";
    case WREC_BESTBLOCK: return "best block";
    case WREC_SETTING: return "setting";
    case WREC_ARENA: return "arena";
    }
    return "unknown";
}

static bool apply_record(void *arg, uint8_t type, const uint8_t *body, size_t len,
                         uint64_t offset, char *err, size_t errlen)
{
    struct wallet *w = arg;
    char why[200] = "";
    bool ok = false;
    switch ((enum wrec_type)type) {
    case WREC_HEADER:
        if (offset != 0)
            snprintf(why, sizeof(why), "a second header");
        else
            ok = apply_header(w, body, len, why, sizeof(why));
        break;
    case WREC_KEY:
    case WREC_LABEL:
    case WREC_VALIDATOR:
        ok = keys_apply_record(w, type, body, len, why, sizeof(why));
        break;
    case WREC_TX:
    case WREC_TXSTATE:
        ok = wtx_apply_record(w, type, body, len, why, sizeof(why));
        break;
    case WREC_BESTBLOCK:
        ok = apply_best(w, body, len);
        if (!ok)
            snprintf(why, sizeof(why), "malformed");
        break;
    case WREC_SETTING:
        ok = apply_setting(w, body, len, why, sizeof(why));
        break;
    case WREC_ARENA:
        ok = arena_apply_record(w, body, len, why, sizeof(why));
        break;
    }
    if (type < WREC_HEADER || type > WREC_ARENA)
        snprintf(why, sizeof(why), "unknown record type %u (written by a newer fmld?)", type);
    if (!ok) {
        snprintf(err, errlen, "Wallet \"%s\": %s record at byte %llu: %s", w->name,
                 record_name(type), (unsigned long long)offset, why);
        return false;
    }
    w->records++;
    return true;
}

/* ---- writing ---- */

bool wallet_commit(struct wallet *w, struct wbuf *batch, size_t n, char *err, size_t errlen)
{
    if (batch->failed) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (!walletdb_append(w->db, batch->data, batch->len, err, errlen))
        return false;
    w->records += n;
    return true;
}

/* The live records of the wallet as a whole file. */
static void build_image(struct wallet *w, struct wbuf *img, size_t *n)
{
    struct wbuf b;
    wbuf_init(&b);
    header_body(w, &b);
    wallet_put_record(img, WREC_HEADER, &b);
    wbuf_free(&b);
    *n = 1;
    keys_image(w, img, n);
    if (w->has_birth) {
        wallet_put_setting(img, WALLET_SETTING_BIRTH, w->birth_height);
        ++*n;
    }
    if (w->rescan_pending) {
        wallet_put_setting(img, WALLET_SETTING_RESCAN, w->rescan_from);
        ++*n;
    }
    wtx_image(w, img, n);
    arena_image(w, img, n);
    bool best = w->has_best && !w->write_failed;
    if (best || w->has_written_best) {
        wbuf_init(&b);
        put_bytes(&b, best ? w->best_hash : w->written_best_hash, HASH_SIZE);
        put_u64(&b, best ? w->best_height : w->written_best_height);
        wallet_put_record(img, WREC_BESTBLOCK, &b);
        wbuf_free(&b);
        ++*n;
    }
}

/* Replaces the file with the live records. */
static bool rewrite(struct wallet *w, char *err, size_t errlen)
{
    struct wbuf img;
    size_t n;
    /* The live records take no more than the file does, except that
     * sealing makes each key 40 bytes longer and a few records may be new. */
    wallet_wbuf_secure(&img, (size_t)walletdb_size(w->db) + 64 * (w->nkeys + w->npool) + 4096);
    build_image(w, &img, &n);
    bool ok = !img.failed && walletdb_rewrite(w->db, img.data, img.len, err, errlen);
    if (img.failed)
        snprintf(err, errlen, "out of memory");
    wallet_wbuf_wipe(&img);
    if (!ok)
        return false;
    w->records = n;
    w->superseded = 0;
    if (w->has_best && !w->write_failed) {
        w->has_written_best = true;
        memcpy(w->written_best_hash, w->best_hash, HASH_SIZE);
        w->written_best_height = w->best_height;
    }
    return true;
}

bool wallet_compact(struct wallet *w, char *err, size_t errlen)
{
    uint64_t before = walletdb_size(w->db);
    if (!rewrite(w, err, errlen))
        return false;
    LOG_DEBUG(LOG_WALLET, "Wallet %s: compacted %llu bytes to %llu", w->name,
              (unsigned long long)before, (unsigned long long)walletdb_size(w->db));
    return true;
}

void wallet_settle(struct wallet *w, size_t superseded)
{
    char err[256];
    w->superseded += superseded;
    if (w->superseded < WALLET_COMPACT_MIN || w->superseded * 2 <= w->records)
        return;
    if (!wallet_compact(w, err, sizeof(err)))
        log_printf("Wallet %s: compaction failed (the file stays as it was): %s", w->name, err);
}

bool wallet_write_best_block(struct wallet *w, bool force, char *err, size_t errlen)
{
    if (!w->has_best || w->write_failed)
        return true;
    if (w->has_written_best &&
        sodium_memcmp(w->written_best_hash, w->best_hash, HASH_SIZE) == 0)
        return true;
    if (!force && w->has_written_best && w->best_height > w->written_best_height &&
        w->best_height - w->written_best_height < WALLET_BEST_INTERVAL)
        return true;
    struct wbuf batch, b;
    wbuf_init(&batch);
    wbuf_init(&b);
    put_bytes(&b, w->best_hash, HASH_SIZE);
    put_u64(&b, w->best_height);
    wallet_put_record(&batch, WREC_BESTBLOCK, &b);
    wbuf_free(&b);
    bool ok = wallet_commit(w, &batch, 1, err, errlen);
    wbuf_free(&batch);
    if (!ok)
        return false;
    bool had = w->has_written_best;
    w->has_written_best = true;
    memcpy(w->written_best_hash, w->best_hash, HASH_SIZE);
    w->written_best_height = w->best_height;
    wallet_settle(w, had);
    return true;
}

/* ---- create and load ---- */

struct wallet *wallet_create(const struct chain_params *params, const char *dir, const char *name,
                             const char *passphrase, char *err, size_t errlen)
{
    if (!wallet_name_valid(name)) {
        snprintf(err, errlen,
                 "Invalid wallet name \"%.80s\": use 1 to %d letters, digits, '_', '.' or '-', "
                 "not starting with '.'",
                 name, WALLET_NAME_MAX);
        return NULL;
    }
    struct wallet *w = wallet_alloc(params, name);
    char *wdir = join3(dir, name, ""), *path = join3(dir, name, WALLET_FILE_NAME);
    struct wbuf img;
    wbuf_init(&img);
    if (!w || !wdir || !path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (mkdir(wdir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "Cannot create wallet directory %s: %s", wdir, strerror(errno));
        goto fail;
    }
    w->created = time_now();
    uint8_t *master = NULL;
    if (passphrase && *passphrase) {
        master = crypt_key_alloc();
        if (!master || !crypt_kdf_new(&w->kdf, passphrase, master)) {
            crypt_key_free(master);
            snprintf(err, errlen, "Cannot derive the encryption key (out of memory?)");
            goto fail;
        }
        w->encrypted = true;
    }
    size_t n;
    build_image(w, &img, &n);
    w->db = img.failed ? NULL : walletdb_create(path, img.data, img.len, err, errlen);
    if (img.failed)
        snprintf(err, errlen, "out of memory");
    if (!w->db) {
        crypt_key_free(master);
        goto fail;
    }
    w->records = n;
    if (master) {
        /* Fill the keypool while the master key is at hand, then lock. */
        w->master = master;
        w->unlocked_until = UINT64_MAX;
        sodium_mprotect_noaccess(w->master);
        char perr[256];
        if (!wallet_keypool_refill(w, WALLET_KEYPOOL_SIZE, perr, sizeof(perr)))
            log_printf("Wallet %s: cannot fill the keypool: %s", name, perr);
        wallet_lock(w);
    }
    wbuf_free(&img);
    free(wdir);
    free(path);
    log_printf("Created wallet %s%s", name, w->encrypted ? " (encrypted)" : "");
    return w;

fail:
    wbuf_free(&img);
    free(wdir);
    free(path);
    wallet_release(w);
    return NULL;
}

struct wallet *wallet_load(const struct chain_params *params, const char *dir, const char *name,
                           char *err, size_t errlen)
{
    if (!wallet_name_valid(name)) {
        snprintf(err, errlen, "Invalid wallet name \"%.80s\"", name);
        return NULL;
    }
    struct wallet *w = wallet_alloc(params, name);
    char *path = join3(dir, name, WALLET_FILE_NAME);
    if (!w || !path) {
        snprintf(err, errlen, "out of memory");
        free(path);
        wallet_release(w);
        return NULL;
    }
    w->db = walletdb_open(path, apply_record, w, err, errlen);
    free(path);
    if (!w->db) {
        wallet_release(w);
        return NULL;
    }
    LOG_DEBUG(LOG_WALLET, "Loaded wallet %s: %zu keys, %zu in keypool, %zu transactions", name,
              w->nkeys, w->npool, w->ntxs);
    wallet_settle(w, 0);
    return w;
}

/* ---- accessors ---- */

const char *wallet_name(const struct wallet *w)
{
    return w->name;
}

const char *wallet_error(const struct wallet *w)
{
    return w->error;
}

uint32_t wallet_version(const struct wallet *w)
{
    return w->version;
}

uint64_t wallet_birth_time(const struct wallet *w)
{
    return w->created;
}

bool wallet_birth_height(const struct wallet *w, uint64_t *height)
{
    *height = w->birth_height;
    return w->has_birth;
}

bool wallet_best_block(const struct wallet *w, uint8_t hash[HASH_SIZE], uint64_t *height)
{
    if (!w->has_best)
        return false;
    memcpy(hash, w->best_hash, HASH_SIZE);
    *height = w->best_height;
    return true;
}

uint64_t wallet_file_size(const struct wallet *w)
{
    return walletdb_size(w->db);
}

uint64_t wallet_pay_fee_rate(const struct wallet *w)
{
    return w->pay_fee_rate;
}

void wallet_set_pay_fee_rate(struct wallet *w, uint64_t rate)
{
    w->pay_fee_rate = rate;
}

/* ---- encryption state ---- */

bool wallet_is_encrypted(const struct wallet *w)
{
    return w->encrypted;
}

bool wallet_is_locked(struct wallet *w)
{
    if (!w->encrypted)
        return false;
    if (w->master && time_now() >= w->unlocked_until)
        wallet_lock(w);
    return w->master == NULL;
}

uint64_t wallet_unlocked_until(struct wallet *w)
{
    return wallet_is_locked(w) || !w->encrypted ? 0 : w->unlocked_until;
}

void wallet_lock(struct wallet *w)
{
    if (w->master) {
        sodium_mprotect_readwrite(w->master);
        crypt_key_free(w->master);
    }
    w->master = NULL;
    w->unlocked_until = 0;
}

const uint8_t *wallet_master_begin(struct wallet *w)
{
    if (wallet_is_locked(w)) {
        wallet_set_error(w, "Error: Please enter the wallet passphrase with walletpassphrase "
                            "first.");
        return NULL;
    }
    sodium_mprotect_readonly(w->master);
    return w->master;
}

void wallet_master_end(struct wallet *w)
{
    if (w->master)
        sodium_mprotect_noaccess(w->master);
}

bool wallet_unlock(struct wallet *w, const char *passphrase, uint64_t timeout, char *err,
                   size_t errlen)
{
    if (!w->encrypted) {
        snprintf(err, errlen,
                 "Error: running with an unencrypted wallet, but walletpassphrase was called.");
        return false;
    }
    if (!passphrase || !*passphrase) {
        snprintf(err, errlen, "passphrase cannot be empty");
        return false;
    }
    uint8_t *m = crypt_key_alloc();
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    switch (crypt_kdf_open(&w->kdf, passphrase, m)) {
    case CRYPT_OPENED:
        break;
    case CRYPT_WRONG_PASSPHRASE:
        crypt_key_free(m);
        snprintf(err, errlen, "Error: The wallet passphrase entered was incorrect.");
        return false;
    case CRYPT_NO_MEMORY:
        crypt_key_free(m);
        snprintf(err, errlen, "Not enough memory to derive the wallet key (Argon2id)");
        return false;
    }
    wallet_lock(w);
    w->master = m;
    sodium_mprotect_noaccess(w->master);
    if (timeout > WALLET_UNLOCK_MAX)
        timeout = WALLET_UNLOCK_MAX;
    w->unlocked_until = time_now() + timeout;
    if (wallet_is_locked(w)) /* timeout 0 */
        return true;
    if (w->npool < WALLET_KEYPOOL_SIZE) {
        char perr[256];
        if (!wallet_keypool_refill(w, WALLET_KEYPOOL_SIZE, perr, sizeof(perr)))
            log_printf("Wallet %s: cannot refill the keypool: %s", w->name, perr);
    }
    return true;
}

bool wallet_encrypt(struct wallet *w, const char *passphrase, char *err, size_t errlen)
{
    if (w->encrypted) {
        snprintf(err, errlen,
                 "Error: running with an encrypted wallet, but encryptwallet was called.");
        return false;
    }
    if (!passphrase || !*passphrase) {
        snprintf(err, errlen, "passphrase cannot be empty");
        return false;
    }
    uint8_t *master = crypt_key_alloc();
    struct crypt_kdf kdf;
    if (!master || !crypt_kdf_new(&kdf, passphrase, master)) {
        crypt_key_free(master);
        snprintf(err, errlen, "Error: Failed to encrypt the wallet (out of memory?)");
        return false;
    }
    keys_seal_all(w, master);
    w->encrypted = true;
    w->kdf = kdf;
    if (!rewrite(w, err, errlen)) {
        keys_unseal_all(w);
        w->encrypted = false;
        crypt_key_free(master);
        return false;
    }
    /* The file now holds sealed secrets only; forget the clear ones. */
    crypt_arena_free(&w->clear);
    w->master = master;
    w->unlocked_until = UINT64_MAX;
    sodium_mprotect_noaccess(w->master);
    if (!wallet_keypool_refill(w, WALLET_KEYPOOL_SIZE, err, errlen))
        log_printf("Wallet %s: cannot fill the keypool: %s", w->name, err);
    wallet_lock(w);
    log_printf("Wallet %s encrypted", w->name);
    return true;
}

bool wallet_change_passphrase(struct wallet *w, const char *old_pass, const char *new_pass,
                              char *err, size_t errlen)
{
    if (!w->encrypted) {
        snprintf(err, errlen, "Error: running with an unencrypted wallet, but "
                              "walletpassphrasechange was called.");
        return false;
    }
    if (!old_pass || !*old_pass || !new_pass || !*new_pass) {
        snprintf(err, errlen, "passphrase cannot be empty");
        return false;
    }
    uint8_t *m = crypt_key_alloc();
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    enum crypt_open_result r = crypt_kdf_open(&w->kdf, old_pass, m);
    if (r != CRYPT_OPENED) {
        crypt_key_free(m);
        snprintf(err, errlen, r == CRYPT_WRONG_PASSPHRASE
                                  ? "Error: The wallet passphrase entered was incorrect."
                                  : "Not enough memory to derive the wallet key (Argon2id)");
        return false;
    }
    struct crypt_kdf old = w->kdf;
    bool ok = crypt_kdf_rewrap(&w->kdf, new_pass, m);
    crypt_key_free(m);
    if (!ok) {
        snprintf(err, errlen, "Not enough memory to derive the wallet key (Argon2id)");
        return false;
    }
    if (!rewrite(w, err, errlen)) {
        w->kdf = old;
        return false;
    }
    log_printf("Wallet %s: passphrase changed", w->name);
    return true;
}
