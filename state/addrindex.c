/* The address index (see addrindex.h). */
#include "state/addrindex.h"
#include "consensus/accounts.h"
#include "consensus/staking.h"
#include "state/accounts.h"
#include "util/hmap.h"

#include <stdlib.h>
#include <string.h>

#define ENTRY_KEY_SIZE (1 + PUBKEY_SIZE + 8)
#define COUNT_KEY_SIZE (1 + PUBKEY_SIZE)
/* height u64, cause i64, type u8, txid, balance_change i64, balance u64,
 * stake_change i64 (little-endian) */
#define ENTRY_VALUE_SIZE (8 + 8 + 1 + HASH_SIZE + 8 + 8 + 8)
#define BLOCK_RECORD_ITEM (PUBKEY_SIZE + 4)

static void entry_key(uint8_t key[ENTRY_KEY_SIZE], const uint8_t pub[PUBKEY_SIZE], uint64_t i)
{
    key[0] = 'A';
    memcpy(key + 1, pub, PUBKEY_SIZE);
    write_be64(key + 1 + PUBKEY_SIZE, i);
}

static void count_key(uint8_t key[COUNT_KEY_SIZE], const uint8_t pub[PUBKEY_SIZE])
{
    key[0] = 'a';
    memcpy(key + 1, pub, PUBKEY_SIZE);
}

static void block_key(uint8_t key[1 + HASH_SIZE], const uint8_t hash[HASH_SIZE])
{
    key[0] = 'w';
    memcpy(key + 1, hash, HASH_SIZE);
}

static void entry_encode(const struct addrindex_entry *e, uint8_t out[ENTRY_VALUE_SIZE])
{
    uint8_t *p = out;
    write_le64(p, e->height);
    write_le64(p + 8, (uint64_t)e->cause);
    p[16] = e->type;
    memcpy(p + 17, e->txid, HASH_SIZE);
    p += 17 + HASH_SIZE;
    write_le64(p, (uint64_t)e->balance_change);
    write_le64(p + 8, e->balance);
    write_le64(p + 16, (uint64_t)e->stake_change);
}

static bool entry_decode(struct addrindex_entry *e, const uint8_t *p, size_t len)
{
    if (len != ENTRY_VALUE_SIZE)
        return false;
    e->height = read_le64(p);
    e->cause = (int64_t)read_le64(p + 8);
    e->type = p[16];
    memcpy(e->txid, p + 17, HASH_SIZE);
    p += 17 + HASH_SIZE;
    e->balance_change = (int64_t)read_le64(p);
    e->balance = read_le64(p + 8);
    e->stake_change = (int64_t)read_le64(p + 16);
    return true;
}

bool addrindex_total(struct db *state, const uint8_t pub[PUBKEY_SIZE], uint64_t *total)
{
    uint8_t key[COUNT_KEY_SIZE], *val = NULL;
    size_t vlen;
    count_key(key, pub);
    *total = 0;
    enum db_result r = db_get(state, key, sizeof(key), &val, &vlen);
    if (r == DB_ERROR)
        return false;
    if (r == DB_FOUND) {
        bool ok = vlen == 8;
        if (ok)
            *total = read_le64(val);
        free(val);
        return ok;
    }
    return true;
}

bool addrindex_get(struct db *state, const uint8_t pub[PUBKEY_SIZE], uint64_t i,
                   struct addrindex_entry *out)
{
    uint8_t key[ENTRY_KEY_SIZE], *val = NULL;
    size_t vlen;
    entry_key(key, pub, i);
    if (db_get(state, key, sizeof(key), &val, &vlen) != DB_FOUND)
        return false;
    bool ok = entry_decode(out, val, vlen);
    free(val);
    return ok;
}

/* What one block does to one address while it is being indexed. */
struct addr_acc {
    uint8_t pub[PUBKEY_SIZE];
    uint64_t count;   /* entries before the block */
    bool have_balance;
    uint64_t balance; /* the running balance */
    struct addrindex_entry *entries;
    size_t n, cap;
};

static void acc_free(void *p)
{
    struct addr_acc *a = p;
    free(a->entries);
    free(a);
}

bool addrindex_connect(struct db *state, struct db_batch *batch, const struct block *b,
                       const uint8_t hash[HASH_SIZE], uint64_t height,
                       const struct journal_entry *j, size_t n)
{
    struct hmap by_pub;
    struct addr_acc **order = NULL;
    size_t norder = 0;
    struct view *before = NULL; /* the committed state: balances before the block */
    struct wbuf rec;
    bool ok = false;

    hmap_init(&by_pub);
    wbuf_init(&rec);
    order = malloc((n ? n : 1) * sizeof(*order));
    if (!order)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const struct journal_entry *je = &j[i];
        struct addr_acc *a = hmap_get(&by_pub, je->pubkey, PUBKEY_SIZE);
        if (!a) {
            if (!(a = calloc(1, sizeof(*a))))
                goto done;
            memcpy(a->pub, je->pubkey, PUBKEY_SIZE);
            if (!hmap_put(&by_pub, a->pub, PUBKEY_SIZE, a, NULL)) {
                free(a);
                goto done;
            }
            order[norder++] = a;
            if (!addrindex_total(state, a->pub, &a->count))
                goto done;
        }
        if (!a->have_balance) {
            if (je->kind == JOURNAL_ACCOUNT) {
                a->balance = je->old_value;
            } else {
                struct account acct;
                if (!before && !(before = view_new(state, NULL)))
                    goto done;
                if (!accounts_get(before, a->pub, &acct))
                    goto done;
                a->balance = acct.balance;
            }
            a->have_balance = true;
        }
        struct addrindex_entry *e = a->n ? &a->entries[a->n - 1] : NULL;
        if (!e || e->cause != je->cause) {
            if (a->n == a->cap) {
                size_t cap = a->cap ? 2 * a->cap : 4;
                struct addrindex_entry *ne = realloc(a->entries, cap * sizeof(*ne));
                if (!ne)
                    goto done;
                a->entries = ne;
                a->cap = cap;
            }
            e = &a->entries[a->n++];
            memset(e, 0, sizeof(*e));
            e->height = height;
            e->cause = je->cause;
            if (je->cause >= 0 && (uint64_t)je->cause < b->ntx) {
                e->type = b->txs[je->cause].type;
                memcpy(e->txid, b->txids[je->cause], HASH_SIZE);
            }
        }
        if (je->kind == JOURNAL_ACCOUNT) {
            e->balance_change += je->delta;
            a->balance = je->new_value;
        } else {
            e->stake_change += je->delta;
        }
        e->balance = a->balance;
    }

    /* The entries, the new counts and the block's record. */
    for (size_t i = 0; i < norder; i++) {
        struct addr_acc *a = order[i];
        uint8_t key[ENTRY_KEY_SIZE], val[ENTRY_VALUE_SIZE], ckey[COUNT_KEY_SIZE], cval[8];
        uint8_t item[4];
        for (size_t k = 0; k < a->n; k++) {
            entry_key(key, a->pub, a->count + k);
            entry_encode(&a->entries[k], val);
            db_batch_put(batch, key, sizeof(key), val, sizeof(val));
        }
        count_key(ckey, a->pub);
        write_le64(cval, a->count + a->n);
        db_batch_put(batch, ckey, sizeof(ckey), cval, sizeof(cval));
        put_bytes(&rec, a->pub, PUBKEY_SIZE);
        write_le32(item, (uint32_t)a->n);
        put_bytes(&rec, item, sizeof(item));
    }
    if (rec.failed)
        goto done;
    uint8_t bkey[1 + HASH_SIZE];
    block_key(bkey, hash);
    db_batch_put(batch, bkey, sizeof(bkey), rec.data ? rec.data : (const uint8_t *)"", rec.len);
    ok = true;
done:
    view_free(before);
    wbuf_free(&rec);
    free(order);
    hmap_free(&by_pub, acc_free);
    return ok;
}

bool addrindex_disconnect(struct db *state, struct db_batch *batch, const uint8_t hash[HASH_SIZE])
{
    uint8_t bkey[1 + HASH_SIZE], *rec = NULL;
    size_t len;
    block_key(bkey, hash);
    if (db_get(state, bkey, sizeof(bkey), &rec, &len) != DB_FOUND)
        return false;
    bool ok = len % BLOCK_RECORD_ITEM == 0;
    for (size_t off = 0; ok && off < len; off += BLOCK_RECORD_ITEM) {
        const uint8_t *pub = rec + off;
        uint32_t added = read_le32(rec + off + PUBKEY_SIZE);
        uint64_t count;
        uint8_t key[ENTRY_KEY_SIZE], ckey[COUNT_KEY_SIZE], cval[8];
        if (!addrindex_total(state, pub, &count) || count < added) {
            ok = false;
            break;
        }
        for (uint64_t k = count - added; k < count; k++) {
            entry_key(key, pub, k);
            db_batch_del(batch, key, sizeof(key));
        }
        count_key(ckey, pub);
        if (count == added) {
            db_batch_del(batch, ckey, sizeof(ckey));
        } else {
            write_le64(cval, count - added);
            db_batch_put(batch, ckey, sizeof(ckey), cval, sizeof(cval));
        }
    }
    free(rec);
    if (ok)
        db_batch_del(batch, bkey, sizeof(bkey));
    return ok;
}

bool addrindex_genesis(struct db_batch *batch, const struct kvpair *items, size_t n)
{
    /* The genesis state holds each key once: accounts ('a') and validator
     * records ('v') become entry 0 or 1 of their address. */
    struct hmap seen;
    bool ok = true;
    hmap_init(&seen);
    for (int pass = 0; pass < 2 && ok; pass++) {
        for (size_t i = 0; i < n && ok; i++) {
            const struct kvpair *kv = &items[i];
            if (kv->klen != 1 + PUBKEY_SIZE)
                continue;
            const uint8_t *pub = kv->key + 1;
            struct addrindex_entry e;
            memset(&e, 0, sizeof(e));
            e.cause = ADDRINDEX_CAUSE_GENESIS;
            if (pass == 0 && kv->key[0] == 'a') {
                struct account a;
                if (!account_decode(&a, kv->val, kv->vlen)) {
                    ok = false;
                    break;
                }
                e.balance_change = (int64_t)a.balance;
                e.balance = a.balance;
            } else if (pass == 1 && kv->key[0] == 'v') {
                struct validator v;
                if (!validator_decode(&v, kv->val, kv->vlen)) {
                    ok = false;
                    break;
                }
                e.stake_change = (int64_t)v.self_stake;
            } else {
                continue;
            }
            /* One entry per address: an account and a validator record of
             * the same key merge. */
            struct addrindex_entry *prev = hmap_get(&seen, pub, PUBKEY_SIZE);
            if (prev) {
                prev->stake_change += e.stake_change;
                continue;
            }
            struct addrindex_entry *copy = malloc(sizeof(*copy));
            if (!copy || !hmap_put(&seen, pub, PUBKEY_SIZE, copy, NULL)) {
                free(copy);
                ok = false;
                break;
            }
            *copy = e;
        }
    }
    const struct hmap_slot *slot;
    for (size_t i = 0; ok && hmap_next(&seen, &i, &slot);) {
        uint8_t key[ENTRY_KEY_SIZE], val[ENTRY_VALUE_SIZE], ckey[COUNT_KEY_SIZE], cval[8];
        entry_key(key, slot->key, 0);
        entry_encode(slot->val, val);
        db_batch_put(batch, key, sizeof(key), val, sizeof(val));
        count_key(ckey, slot->key);
        write_le64(cval, 1);
        db_batch_put(batch, ckey, sizeof(ckey), cval, sizeof(cval));
    }
    hmap_free(&seen, free);
    return ok;
}
