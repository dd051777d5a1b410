/* A compute provider's served addresses and call ledger (see provider.h). */
#include "rpc/provider.h"

#include "consensus/serialize.h"
#include "state/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE_KEY_SIZE (1 + HASH_SIZE + 2 * PUBKEY_SIZE)
#define USAGE_VALUE_SIZE 16

struct provider {
    struct db *db;
    size_t n;
    uint8_t (*addrs)[PUBKEY_SIZE];
};

struct provider *provider_open(const char *dir, const uint8_t (*addrs)[PUBKEY_SIZE], size_t n,
                               char *err, size_t errlen)
{
    struct provider *p = calloc(1, sizeof(*p));
    if (!p || (n && !(p->addrs = malloc(n * PUBKEY_SIZE)))) {
        free(p);
        snprintf(err, errlen, "Out of memory");
        return NULL;
    }
    if (n)
        memcpy(p->addrs, addrs, n * PUBKEY_SIZE);
    p->n = n;
    char why[256] = "";
    p->db = db_open(dir, db_cache_provider(), true, why, sizeof(why));
    if (!p->db) {
        snprintf(err, errlen, "Cannot open the provider ledger %s: %s", dir, why);
        free(p->addrs);
        free(p);
        return NULL;
    }
    return p;
}

void provider_close(struct provider *p)
{
    if (!p)
        return;
    db_close(p->db);
    free(p->addrs);
    free(p);
}

size_t provider_n_addresses(const struct provider *p)
{
    return p->n;
}

bool provider_has_address(const struct provider *p, const uint8_t pub[PUBKEY_SIZE])
{
    for (size_t i = 0; i < p->n; i++)
        if (memcmp(p->addrs[i], pub, PUBKEY_SIZE) == 0)
            return true;
    return false;
}

static void usage_key(uint8_t key[USAGE_KEY_SIZE], const uint8_t model[HASH_SIZE],
                      const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE])
{
    key[0] = 'U';
    memcpy(key + 1, model, HASH_SIZE);
    memcpy(key + 1 + HASH_SIZE, provider, PUBKEY_SIZE);
    memcpy(key + 1 + HASH_SIZE + PUBKEY_SIZE, payer, PUBKEY_SIZE);
}

bool provider_get_usage(struct provider *p, const uint8_t model[HASH_SIZE],
                        const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE],
                        struct provider_usage *out, char *err, size_t errlen)
{
    uint8_t key[USAGE_KEY_SIZE], *val = NULL;
    size_t vlen = 0;
    usage_key(key, model, provider, payer);
    memset(out, 0, sizeof(*out));
    enum db_result r = db_get(p->db, key, sizeof(key), &val, &vlen);
    if (r == DB_ERROR) {
        snprintf(err, errlen, "Provider ledger read error: %s", db_last_error(p->db));
        return false;
    }
    if (r == DB_NOTFOUND)
        return true;
    bool ok = vlen == USAGE_VALUE_SIZE;
    if (ok) {
        out->found = true;
        out->used = read_le64(val);
        out->last_nonce = read_le64(val + 8);
    } else {
        snprintf(err, errlen, "Provider ledger: malformed record");
    }
    free(val);
    return ok;
}

bool provider_put_usage(struct provider *p, const uint8_t model[HASH_SIZE],
                        const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE],
                        const struct provider_usage *u, char *err, size_t errlen)
{
    uint8_t key[USAGE_KEY_SIZE], val[USAGE_VALUE_SIZE];
    usage_key(key, model, provider, payer);
    write_le64(val, u->used);
    write_le64(val + 8, u->last_nonce);
    struct db_batch *b = db_batch_new();
    if (!b) {
        snprintf(err, errlen, "Out of memory");
        return false;
    }
    db_batch_put(b, key, sizeof(key), val, sizeof(val));
    bool ok = db_write(p->db, b, true);
    db_batch_free(b);
    if (!ok)
        snprintf(err, errlen, "Provider ledger write error: %s", db_last_error(p->db));
    return ok;
}
