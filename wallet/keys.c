/* Wallet keys: generation, import, labels, the keypool of encrypted
 * wallets, signing and RANDAO reveals.  A secret leaves its storage (the
 * clear arena, or its sealed record opened with the master key) only into a
 * stack buffer of the function that signs with it, wiped right after.
 *
 * Records:
 *   KEY       pub [32] | created u64 | flags u8 (1 sealed, 2 keypool)
 *             | secret [32] or sealed secret [72] | label str
 *   LABEL     pub [32] | label str        (also takes a key out of the keypool)
 *   VALIDATOR pub [32] | onion generation u64 | onion length u64
 */
#include "consensus/bech32.h"
#include "consensus/staking.h"
#include "util/time.h"
#include "wallet/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SEALED 1
#define KEY_POOL 2

static void address_of(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE],
                       char out[ADDRESS_MAX_LEN])
{
    if (!address_encode(out, w->params->hrp, pub))
        snprintf(out, ADDRESS_MAX_LEN, "(invalid key)");
}

struct wkey *wallet_find_key(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE])
{
    return hmap_get(&w->by_pub, pub, PUBKEY_SIZE);
}

static struct wkey *wkey_new(const uint8_t pub[PUBKEY_SIZE], uint64_t created, const char *label)
{
    struct wkey *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->label = strdup(label ? label : "");
    if (!k->label) {
        free(k);
        return NULL;
    }
    memcpy(k->pub, pub, PUBKEY_SIZE);
    k->created = created;
    return k;
}

static void wkey_drop_checkpoints(struct wkey *k)
{
    if (k->checkpoints)
        sodium_free(k->checkpoints);
    k->checkpoints = NULL;
    k->ncheckpoints = 0;
}

static void wkey_free(struct wkey *k)
{
    if (!k)
        return;
    wkey_drop_checkpoints(k);
    sodium_memzero(k->sealed_secret, sizeof(k->sealed_secret));
    free(k->label);
    free(k);
}

static bool push(struct wkey ***v, size_t *n, size_t *cap, struct wkey *k)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        struct wkey **nv = realloc(*v, c * sizeof(*nv));
        if (!nv)
            return false;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = k;
    return true;
}

static bool keys_insert(struct wallet *w, struct wkey *k)
{
    bool ok = k->pool ? push(&w->pool, &w->npool, &w->cappool, k)
                      : push(&w->keys, &w->nkeys, &w->capkeys, k);
    if (ok && hmap_put(&w->by_pub, k->pub, PUBKEY_SIZE, k, NULL))
        return true;
    if (ok) {
        if (k->pool)
            w->npool--;
        else
            w->nkeys--;
    }
    return false;
}

/* Moves a keypool key to the handed-out keys. */
static bool hand_out(struct wallet *w, struct wkey *k)
{
    size_t i = 0;
    while (i < w->npool && w->pool[i] != k)
        i++;
    if (i == w->npool || !push(&w->keys, &w->nkeys, &w->capkeys, k))
        return false;
    memmove(&w->pool[i], &w->pool[i + 1], (w->npool - i - 1) * sizeof(*w->pool));
    w->npool--;
    k->pool = false;
    return true;
}

static bool set_label(struct wkey *k, const char *label)
{
    char *s = strdup(label);
    if (!s)
        return false;
    free(k->label);
    k->label = s;
    return true;
}

/* ---- records ---- */

/* Room for a KEY record and a few small ones, so that a batch holding a
 * clear secret never grows. */
static size_t key_batch_cap(const char *label)
{
    return 4 * WALLETDB_OVERHEAD + 256 + 2 * (label ? strlen(label) : 0);
}

static void put_key_record(const struct wallet *w, const struct wkey *k, struct wbuf *batch)
{
    struct wbuf b;
    wallet_wbuf_secure(&b, key_batch_cap(k->label));
    put_bytes(&b, k->pub, PUBKEY_SIZE);
    put_u64(&b, k->created);
    put_u8(&b, (uint8_t)((k->sealed ? KEY_SEALED : 0) | (k->pool ? KEY_POOL : 0)));
    if (k->sealed)
        put_bytes(&b, k->sealed_secret, CRYPT_SEALED_SIZE);
    else
        put_bytes(&b, crypt_arena_get(&w->clear, k->clear_idx), SECKEY_SIZE);
    wallet_put_str(&b, k->label);
    wallet_put_record(batch, WREC_KEY, &b);
    wallet_wbuf_wipe(&b);
}

static void put_label_record(const uint8_t pub[PUBKEY_SIZE], const char *label, struct wbuf *batch)
{
    struct wbuf b;
    wbuf_init(&b);
    put_bytes(&b, pub, PUBKEY_SIZE);
    wallet_put_str(&b, label);
    wallet_put_record(batch, WREC_LABEL, &b);
    wbuf_free(&b);
}

static void put_validator_record(const uint8_t pub[PUBKEY_SIZE], uint64_t generation,
                                 uint64_t length, struct wbuf *batch)
{
    struct wbuf b;
    wbuf_init(&b);
    put_bytes(&b, pub, PUBKEY_SIZE);
    put_u64(&b, generation);
    put_u64(&b, length);
    wallet_put_record(batch, WREC_VALIDATOR, &b);
    wbuf_free(&b);
}

void keys_image(const struct wallet *w, struct wbuf *img, size_t *n)
{
    for (int pass = 0; pass < 2; pass++) {
        struct wkey *const *v = pass ? w->pool : w->keys;
        size_t count = pass ? w->npool : w->nkeys;
        for (size_t i = 0; i < count; i++) {
            put_key_record(w, v[i], img);
            ++*n;
            if (v[i]->validator) {
                put_validator_record(v[i]->pub, v[i]->onion_generation, v[i]->onion_length, img);
                ++*n;
            }
        }
    }
}

static bool apply_key(struct wallet *w, struct rbuf *r, char *err, size_t errlen)
{
    uint8_t pub[PUBKEY_SIZE], sec[SECKEY_SIZE], check[PUBKEY_SIZE], flags;
    uint64_t created;
    char *label = NULL;
    if (!get_bytes(r, pub, PUBKEY_SIZE) || !get_u64(r, &created) || !get_u8(r, &flags) ||
        (flags & ~(KEY_SEALED | KEY_POOL)) != 0) {
        snprintf(err, errlen, "malformed");
        return false;
    }
    bool sealed = flags & KEY_SEALED;
    if (sealed != w->encrypted) {
        snprintf(err, errlen, sealed ? "a sealed key in an unencrypted wallet"
                                     : "a key in the clear in an encrypted wallet");
        return false;
    }
    struct wkey *k = wkey_new(pub, created, "");
    bool ok = k && (sealed ? get_bytes(r, k->sealed_secret, CRYPT_SEALED_SIZE)
                           : get_bytes(r, sec, SECKEY_SIZE)) &&
              wallet_get_str(r, &label, WALLET_LABEL_MAX) && rbuf_done(r);
    if (!ok || !key_pubkey_valid(pub)) {
        snprintf(err, errlen, k ? "malformed" : "out of memory");
        goto fail;
    }
    free(k->label);
    k->label = label;
    label = NULL;
    k->sealed = sealed;
    k->pool = flags & KEY_POOL;
    if (wallet_find_key(w, pub)) {
        snprintf(err, errlen, "duplicate key");
        goto fail;
    }
    if (!sealed) {
        if (!key_pubkey(check, sec) || sodium_memcmp(check, pub, PUBKEY_SIZE) != 0) {
            snprintf(err, errlen, "the secret does not match its public key");
            goto fail;
        }
        if (!crypt_arena_add(&w->clear, sec, &k->clear_idx)) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    sodium_memzero(sec, sizeof(sec));
    if (!keys_insert(w, k)) {
        snprintf(err, errlen, "out of memory");
        wkey_free(k);
        return false;
    }
    return true;

fail:
    sodium_memzero(sec, sizeof(sec));
    free(label);
    wkey_free(k);
    return false;
}

bool keys_apply_record(struct wallet *w, uint8_t type, const uint8_t *body, size_t len, char *err,
                       size_t errlen)
{
    struct rbuf r;
    uint8_t pub[PUBKEY_SIZE];
    rbuf_init(&r, body, len);
    if (type == WREC_KEY)
        return apply_key(w, &r, err, errlen);
    if (!get_bytes(&r, pub, PUBKEY_SIZE)) {
        snprintf(err, errlen, "malformed");
        return false;
    }
    struct wkey *k = wallet_find_key(w, pub);
    if (!k) {
        snprintf(err, errlen, "names a key the wallet does not hold");
        return false;
    }
    if (type == WREC_LABEL) {
        char *label = NULL;
        if (!wallet_get_str(&r, &label, WALLET_LABEL_MAX) || !rbuf_done(&r)) {
            free(label); /* a label followed by extra bytes */
            snprintf(err, errlen, "malformed");
            return false;
        }
        free(k->label);
        k->label = label;
        if (k->pool && !hand_out(w, k)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        w->superseded++;
        return true;
    }
    uint64_t generation, length;
    if (!get_u64(&r, &generation) || !get_u64(&r, &length) || !rbuf_done(&r) || length == 0 ||
        length > WALLET_ONION_MAX) {
        snprintf(err, errlen, "malformed");
        return false;
    }
    w->superseded += k->validator;
    k->validator = true;
    k->onion_generation = generation;
    k->onion_length = length;
    return true;
}

void keys_free_all(struct wallet *w)
{
    for (size_t i = 0; i < w->nkeys; i++)
        wkey_free(w->keys[i]);
    for (size_t i = 0; i < w->npool; i++)
        wkey_free(w->pool[i]);
    free(w->keys);
    free(w->pool);
    w->keys = w->pool = NULL;
    w->nkeys = w->npool = w->capkeys = w->cappool = 0;
    hmap_free(&w->by_pub, NULL);
}

void keys_seal_all(struct wallet *w, const uint8_t *master)
{
    for (int pass = 0; pass < 2; pass++) {
        struct wkey **v = pass ? w->pool : w->keys;
        size_t n = pass ? w->npool : w->nkeys;
        for (size_t i = 0; i < n; i++) {
            if (v[i]->sealed)
                continue;
            crypt_seal_secret(v[i]->sealed_secret, master, crypt_arena_get(&w->clear, v[i]->clear_idx),
                              v[i]->pub);
            v[i]->sealed = true;
        }
    }
}

void keys_unseal_all(struct wallet *w)
{
    for (int pass = 0; pass < 2; pass++) {
        struct wkey **v = pass ? w->pool : w->keys;
        size_t n = pass ? w->npool : w->nkeys;
        for (size_t i = 0; i < n; i++) {
            v[i]->sealed = false;
            sodium_memzero(v[i]->sealed_secret, sizeof(v[i]->sealed_secret));
        }
    }
}

/* ---- secrets ---- */

/* The secret of k into sec (the caller wipes it). */
static bool key_secret(struct wallet *w, const struct wkey *k, uint8_t sec[SECKEY_SIZE])
{
    if (!k->sealed) {
        memcpy(sec, crypt_arena_get(&w->clear, k->clear_idx), SECKEY_SIZE);
        return true;
    }
    const uint8_t *master = wallet_master_begin(w);
    if (!master)
        return false;
    bool ok = crypt_open_secret(sec, master, k->sealed_secret, k->pub);
    wallet_master_end(w);
    if (!ok)
        wallet_set_error(w, "A sealed key of the wallet fails its integrity check");
    return ok;
}

/* Stores sec in a new key: sealed when the wallet is encrypted (unlock
 * needed), in the clear arena otherwise. */
static struct wkey *key_from_secret(struct wallet *w, const uint8_t sec[SECKEY_SIZE],
                                    const uint8_t pub[PUBKEY_SIZE], const char *label, bool pool,
                                    char *err, size_t errlen)
{
    struct wkey *k = wkey_new(pub, time_now(), label);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->pool = pool;
    if (w->encrypted) {
        const uint8_t *master = wallet_master_begin(w);
        if (!master) {
            snprintf(err, errlen, "%s", w->error);
            wkey_free(k);
            return NULL;
        }
        crypt_seal_secret(k->sealed_secret, master, sec, pub);
        wallet_master_end(w);
        k->sealed = true;
    } else if (!crypt_arena_add(&w->clear, sec, &k->clear_idx)) {
        snprintf(err, errlen, "out of memory");
        wkey_free(k);
        return NULL;
    }
    return k;
}

static void random_key(uint8_t sec[SECKEY_SIZE], uint8_t pub[PUBKEY_SIZE])
{
    do
        randombytes_buf(sec, SECKEY_SIZE);
    while (!key_pubkey(pub, sec));
}

/* ---- public: keys ---- */

bool wallet_keypool_refill(struct wallet *w, size_t target, char *err, size_t errlen)
{
    if (!w->encrypted || w->npool >= target)
        return true;
    if (target > WALLET_KEYPOOL_MAX)
        target = WALLET_KEYPOOL_MAX;
    if (wallet_is_locked(w)) {
        snprintf(err, errlen, "Error: Please enter the wallet passphrase with walletpassphrase "
                              "first.");
        return false;
    }
    size_t n = target - w->npool;
    struct wkey **fresh = calloc(n, sizeof(*fresh));
    struct wbuf batch;
    wbuf_init(&batch);
    bool ok = fresh != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t sec[SECKEY_SIZE], pub[PUBKEY_SIZE];
        random_key(sec, pub);
        fresh[i] = key_from_secret(w, sec, pub, "", true, err, errlen);
        sodium_memzero(sec, sizeof(sec));
        ok = fresh[i] != NULL;
        if (ok)
            put_key_record(w, fresh[i], &batch);
    }
    if (!fresh)
        snprintf(err, errlen, "out of memory");
    ok = ok && wallet_commit(w, &batch, n, err, errlen);
    wbuf_free(&batch);
    for (size_t i = 0; fresh && i < n; i++) {
        if (ok && !keys_insert(w, fresh[i])) {
            snprintf(err, errlen, "out of memory");
            ok = false;
        }
        if (!ok)
            wkey_free(fresh[i]);
    }
    free(fresh);
    return ok;
}

bool wallet_new_key(struct wallet *w, const char *label, uint8_t pub[PUBKEY_SIZE], char *err,
                    size_t errlen)
{
    struct wbuf batch;
    if (!label)
        label = "";
    if (strlen(label) > WALLET_LABEL_MAX) {
        snprintf(err, errlen, "Label too long (at most %d bytes)", WALLET_LABEL_MAX);
        return false;
    }
    wbuf_init(&batch);
    if (w->encrypted) {
        if (w->npool == 0 && !wallet_is_locked(w) &&
            !wallet_keypool_refill(w, WALLET_KEYPOOL_SIZE, err, errlen))
            return false;
        if (w->npool == 0) {
            snprintf(err, errlen, "Error: Keypool ran out, please call keypoolrefill first");
            return false;
        }
        struct wkey *k = w->pool[0];
        put_label_record(k->pub, label, &batch);
        bool ok = wallet_commit(w, &batch, 1, err, errlen);
        wbuf_free(&batch);
        if (!ok)
            return false;
        if (!hand_out(w, k) || !set_label(k, label)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        memcpy(pub, k->pub, PUBKEY_SIZE);
        wallet_settle(w, 1);
        return true;
    }
    uint8_t sec[SECKEY_SIZE];
    random_key(sec, pub);
    struct wkey *k = key_from_secret(w, sec, pub, label, false, err, errlen);
    sodium_memzero(sec, sizeof(sec));
    if (!k)
        return false;
    wallet_wbuf_secure(&batch, key_batch_cap(label));
    put_key_record(w, k, &batch);
    bool ok = wallet_commit(w, &batch, 1, err, errlen);
    wallet_wbuf_wipe(&batch);
    if (ok && !keys_insert(w, k)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    if (!ok)
        wkey_free(k);
    return ok;
}

/* Adds (or updates) a key; the shared part of the two imports. */
static bool import(struct wallet *w, const uint8_t sec[SECKEY_SIZE], const char *label,
                   bool rescan, bool validator, uint64_t generation, uint64_t length,
                   uint8_t pub[PUBKEY_SIZE], char *err, size_t errlen)
{
    if (!key_pubkey(pub, sec)) {
        snprintf(err, errlen, "Invalid private key");
        return false;
    }
    if (label && strlen(label) > WALLET_LABEL_MAX) {
        snprintf(err, errlen, "Label too long (at most %d bytes)", WALLET_LABEL_MAX);
        return false;
    }
    struct wkey *k = wallet_find_key(w, pub), *fresh = NULL;
    bool relabel = k && ((label && strcmp(label, k->label) != 0) || k->pool);
    bool revalidate = validator && (!k || !k->validator || k->onion_generation != generation ||
                                    k->onion_length != length);
    if (k && !relabel && !revalidate && !rescan)
        return true;
    struct wbuf batch;
    size_t n = 0, superseded = 0;
    wallet_wbuf_secure(&batch, key_batch_cap(label));
    if (!k) {
        fresh = key_from_secret(w, sec, pub, label, false, err, errlen);
        if (!fresh) {
            wbuf_free(&batch);
            return false;
        }
        put_key_record(w, fresh, &batch);
        n++;
    } else if (relabel) {
        put_label_record(pub, label ? label : k->label, &batch);
        n++;
        superseded++;
    }
    if (revalidate) {
        put_validator_record(pub, generation, length, &batch);
        n++;
        superseded += k && k->validator;
    }
    if (rescan) {
        wallet_put_setting(&batch, WALLET_SETTING_RESCAN, 0);
        n++;
    }
    bool ok = wallet_commit(w, &batch, n, err, errlen);
    wallet_wbuf_wipe(&batch);
    if (ok && fresh) {
        ok = keys_insert(w, fresh);
        if (ok)
            k = fresh;
        else
            wkey_free(fresh);
    } else if (!ok) {
        wkey_free(fresh);
    }
    if (ok && relabel)
        ok = (!k->pool || hand_out(w, k)) && set_label(k, label ? label : k->label);
    if (!ok) {
        if (!err[0])
            snprintf(err, errlen, "out of memory");
        return false;
    }
    if (revalidate) {
        wkey_drop_checkpoints(k);
        k->validator = true;
        k->onion_generation = generation;
        k->onion_length = length;
    }
    if (rescan) {
        w->rescan_pending = true;
        w->rescan_from = 0;
    }
    wallet_settle(w, superseded);
    return true;
}

bool wallet_import_key(struct wallet *w, const uint8_t sec[SECKEY_SIZE], const char *label,
                       bool rescan, uint8_t pub[PUBKEY_SIZE], char *err, size_t errlen)
{
    err[0] = '\0';
    return import(w, sec, label, rescan, false, 0, 0, pub, err, errlen);
}

bool wallet_import_validator_key(struct wallet *w, const uint8_t sec[SECKEY_SIZE],
                                 uint64_t onion_generation, uint64_t onion_length,
                                 const char *label, char *err, size_t errlen)
{
    uint8_t pub[PUBKEY_SIZE];
    err[0] = '\0';
    if (onion_length == 0 || onion_length > WALLET_ONION_MAX) {
        snprintf(err, errlen, "The RANDAO onion length must be 1 to %d", WALLET_ONION_MAX);
        return false;
    }
    /* A validator key new to the wallet may have history: rescan. */
    if (!key_pubkey(pub, sec)) {
        snprintf(err, errlen, "Invalid private key");
        return false;
    }
    bool fresh = wallet_find_key(w, pub) == NULL;
    return import(w, sec, fresh ? label : NULL, fresh, true, onion_generation, onion_length, pub,
                  err, errlen);
}

bool wallet_dump_key(struct wallet *w, const uint8_t pub[PUBKEY_SIZE], uint8_t sec[SECKEY_SIZE],
                     char *err, size_t errlen)
{
    const struct wkey *k = wallet_find_key(w, pub);
    if (!k) {
        char addr[ADDRESS_MAX_LEN];
        address_of(w, pub, addr);
        snprintf(err, errlen, "Private key for address %s is not known", addr);
        return false;
    }
    if (!key_secret(w, k, sec)) {
        snprintf(err, errlen, "%s", w->error);
        return false;
    }
    return true;
}

bool wallet_set_label(struct wallet *w, const uint8_t pub[PUBKEY_SIZE], const char *label,
                      char *err, size_t errlen)
{
    struct wkey *k = wallet_find_key(w, pub);
    if (!k || k->pool) {
        snprintf(err, errlen, "Address is not in the wallet");
        return false;
    }
    if (strlen(label) > WALLET_LABEL_MAX) {
        snprintf(err, errlen, "Label too long (at most %d bytes)", WALLET_LABEL_MAX);
        return false;
    }
    if (strcmp(label, k->label) == 0)
        return true;
    struct wbuf batch;
    wbuf_init(&batch);
    put_label_record(pub, label, &batch);
    bool ok = wallet_commit(w, &batch, 1, err, errlen);
    wbuf_free(&batch);
    if (ok && !set_label(k, label)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    if (ok)
        wallet_settle(w, 1);
    return ok;
}

bool wallet_has_key(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE])
{
    return wallet_find_key(w, pub) != NULL;
}

size_t wallet_key_count(const struct wallet *w)
{
    return w->nkeys;
}

static void fill_info(const struct wkey *k, struct wallet_key_info *out)
{
    memcpy(out->pub, k->pub, PUBKEY_SIZE);
    out->label = k->label;
    out->created = k->created;
    out->validator = k->validator;
    out->onion_generation = k->onion_generation;
    out->onion_length = k->onion_length;
}

bool wallet_key_at(const struct wallet *w, size_t i, struct wallet_key_info *out)
{
    if (i >= w->nkeys)
        return false;
    fill_info(w->keys[i], out);
    return true;
}

bool wallet_key_info(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE],
                     struct wallet_key_info *out)
{
    const struct wkey *k = wallet_find_key(w, pub);
    if (!k || k->pool)
        return false;
    fill_info(k, out);
    return true;
}

size_t wallet_keypool_size(const struct wallet *w)
{
    return w->npool;
}

/* ---- signing ---- */

/* The key of pub, or NULL with the error set. */
static const struct wkey *signing_key(struct wallet *w, const uint8_t pub[PUBKEY_SIZE],
                                      const char *what)
{
    const struct wkey *k = wallet_find_key(w, pub);
    if (!k) {
        char addr[ADDRESS_MAX_LEN];
        address_of(w, pub, addr);
        wallet_set_error(w, "The %s key %s is not in wallet %s", what, addr, w->name);
    }
    return k;
}

bool wallet_sign_tx(struct wallet *w, struct tx *tx, const uint8_t genesis[HASH_SIZE])
{
    uint8_t sec[SECKEY_SIZE], aux[32];
    const struct wkey *k = signing_key(w, tx->sender, "sender's");
    if (!k || !key_secret(w, k, sec))
        return false;
    randombytes_buf(aux, sizeof(aux));
    bool ok = tx_sign(tx, genesis, sec, aux);
    sodium_memzero(sec, sizeof(sec));
    if (!ok)
        wallet_set_error(w, "Signing failed");
    return ok;
}

bool wallet_sign_hash(struct wallet *w, const uint8_t pub[PUBKEY_SIZE],
                      const uint8_t msg[HASH_SIZE], uint8_t sig[SIG_SIZE])
{
    uint8_t sec[SECKEY_SIZE], aux[32];
    const struct wkey *k = signing_key(w, pub, "signing");
    if (!k || !key_secret(w, k, sec))
        return false;
    randombytes_buf(aux, sizeof(aux));
    bool ok = key_sign(sig, msg, sec, aux);
    sodium_memzero(sec, sizeof(sec));
    if (!ok)
        wallet_set_error(w, "Signing failed");
    return ok;
}

bool wallet_sign_header(struct wallet *w, struct block_header *hdr,
                        const uint8_t genesis[HASH_SIZE])
{
    uint8_t sec[SECKEY_SIZE], aux[32];
    const struct wkey *k = signing_key(w, hdr->proposer, "proposer's");
    if (!k || !key_secret(w, k, sec))
        return false;
    randombytes_buf(aux, sizeof(aux));
    bool ok = header_sign(hdr, genesis, sec, aux);
    sodium_memzero(sec, sizeof(sec));
    if (!ok)
        wallet_set_error(w, "Signing failed");
    return ok;
}

/* H^(i*1000)(seed) for every i below N/1000, kept for the key's lifetime. */
static bool onion_checkpoints(struct wallet *w, struct wkey *k)
{
    uint8_t sec[SECKEY_SIZE], seed[HASH_SIZE];
    size_t n = (size_t)((k->onion_length - 1) / WALLET_ONION_CHECKPOINT + 1);
    if (!key_secret(w, k, sec))
        return false;
    uint8_t *cp = sodium_malloc(n * HASH_SIZE);
    if (!cp) {
        sodium_memzero(sec, sizeof(sec));
        wallet_set_error(w, "out of memory");
        return false;
    }
    randao_onion_seed(seed, sec, k->onion_generation);
    sodium_memzero(sec, sizeof(sec));
    memcpy(cp, seed, HASH_SIZE);
    sodium_memzero(seed, sizeof(seed));
    for (size_t i = 1; i < n; i++)
        randao_onion(cp + i * HASH_SIZE, cp + (i - 1) * HASH_SIZE, WALLET_ONION_CHECKPOINT);
    k->checkpoints = cp;
    k->ncheckpoints = n;
    return true;
}

bool wallet_randao_reveal(struct wallet *w, const uint8_t pub[PUBKEY_SIZE], uint64_t reveals_done,
                          uint8_t out[HASH_SIZE])
{
    struct wkey *k = wallet_find_key(w, pub);
    char addr[ADDRESS_MAX_LEN];
    if (!k || !k->validator) {
        address_of(w, pub, addr);
        wallet_set_error(w, "%s is not a validator key of wallet %s", addr, w->name);
        return false;
    }
    if (reveals_done >= k->onion_length) {
        address_of(w, pub, addr);
        wallet_set_error(w,
                         "The RANDAO hash onion of %s is used up (%llu reveals): register a new "
                         "commitment",
                         addr, (unsigned long long)k->onion_length);
        return false;
    }
    if (!k->checkpoints && !onion_checkpoints(w, k))
        return false;
    uint64_t layer = k->onion_length - 1 - reveals_done;
    randao_onion(out, k->checkpoints + (layer / WALLET_ONION_CHECKPOINT) * HASH_SIZE,
                 layer % WALLET_ONION_CHECKPOINT);
    return true;
}
