/* Genesis state and header. */
#include "consensus/genesis.h"
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/lthash.h"
#include "consensus/staking.h"

#include <stdlib.h>
#include <string.h>

void kvlist_init(struct kvlist *l)
{
    memset(l, 0, sizeof(*l));
}

void kvlist_free(struct kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].val);
    }
    free(l->items);
    kvlist_init(l);
}

bool kvlist_add(struct kvlist *l, const void *key, size_t klen, const void *val, size_t vlen)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct kvpair *items = realloc(l->items, cap * sizeof(*items));
        if (!items)
            return false;
        l->items = items;
        l->cap = cap;
    }
    struct kvpair *kv = &l->items[l->n];
    kv->key = malloc(klen ? klen : 1);
    kv->val = malloc(vlen ? vlen : 1);
    if (!kv->key || !kv->val) {
        free(kv->key);
        free(kv->val);
        return false;
    }
    memcpy(kv->key, key, klen);
    memcpy(kv->val, val, vlen);
    kv->klen = klen;
    kv->vlen = vlen;
    l->n++;
    return true;
}

static int cmp_kv(const void *a, const void *b)
{
    const struct kvpair *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return (x->klen > y->klen) - (x->klen < y->klen);
}

static int cmp_pubkey(const void *a, const void *b)
{
    return memcmp(a, b, PUBKEY_SIZE);
}

static int cmp_sched(const void *a, const void *b)
{
    return memcmp(((const struct sched_entry *)a)->pubkey, ((const struct sched_entry *)b)->pubkey,
                  PUBKEY_SIZE);
}

static bool add_wbuf(struct kvlist *l, const void *key, size_t klen, struct wbuf *w)
{
    bool ok = !w->failed && kvlist_add(l, key, klen, w->data, w->len);
    wbuf_reset(w);
    return ok;
}

static void initial_mix(const struct chain_params *p, uint8_t mix[HASH_SIZE])
{
    hash_tagged(mix, HTAG_MIX, p->name, strlen(p->name));
}

bool genesis_state(const struct chain_params *p, struct kvlist *out)
{
    struct wbuf w;
    uint64_t supply = 0;
    uint8_t mix[HASH_SIZE];
    uint8_t (*vkeys)[PUBKEY_SIZE] = NULL;
    struct schedule sched;
    bool ok = false;

    kvlist_init(out);
    wbuf_init(&w);
    schedule_init(&sched);

    params_encode(p, &w);
    if (!add_wbuf(out, "P", 1, &w))
        goto done;

    for (size_t i = 0; i < p->n_allocs; i++) {
        struct account a = {.balance = p->allocs[i].amount, .nonce = 0};
        uint8_t key[ACCOUNT_KEY_SIZE], val[ACCOUNT_VALUE_SIZE];
        if (!amount_add(&supply, a.balance))
            goto done;
        account_key(key, p->allocs[i].pubkey);
        account_encode(&a, val);
        if (!kvlist_add(out, key, sizeof(key), val, sizeof(val)))
            goto done;
    }

    initial_mix(p, mix);
    if (p->n_validators) {
        vkeys = malloc(p->n_validators * PUBKEY_SIZE);
        sched.entries = calloc(p->n_validators, sizeof(*sched.entries));
        if (!vkeys || !sched.entries)
            goto done;
    }
    for (size_t i = 0; i < p->n_validators; i++) {
        const struct genesis_validator *gv = &p->validators[i];
        struct validator val = {.self_stake = gv->stake, .commission_bps = gv->commission_bps,
                                .commission_base = gv->commission_bps};
        uint8_t key[VALIDATOR_KEY_SIZE];
        memcpy(val.randao_commit, gv->randao_commit, HASH_SIZE);
        if (!amount_add(&supply, gv->stake))
            goto done;
        validator_key(key, gv->pubkey);
        validator_encode(&val, &w);
        if (!add_wbuf(out, key, sizeof(key), &w))
            goto done;
        memcpy(vkeys[i], gv->pubkey, PUBKEY_SIZE);
        if (gv->stake >= p->min_validator_stake) {
            memcpy(sched.entries[sched.n].pubkey, gv->pubkey, PUBKEY_SIZE);
            sched.entries[sched.n].stake = gv->stake;
            sched.n++;
        }
    }
    if (p->n_validators)
        qsort(vkeys, p->n_validators, PUBKEY_SIZE, cmp_pubkey);
    validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])vkeys, p->n_validators, &w);
    if (!add_wbuf(out, VALIDATOR_LIST_KEY, 1, &w))
        goto done;

    if (sched.n)
        qsort(sched.entries, sched.n, sizeof(*sched.entries), cmp_sched);
    memcpy(sched.seed, mix, HASH_SIZE);
    for (int which = SCHEDULE_CUR; which <= SCHEDULE_NEXT; which++) {
        uint8_t key[2];
        sched.epoch = (uint64_t)which;
        schedule_key(key, which);
        schedule_encode(&sched, &w);
        if (!add_wbuf(out, key, sizeof(key), &w))
            goto done;
    }

    if (!kvlist_add(out, MIX_KEY, strlen(MIX_KEY), mix, HASH_SIZE))
        goto done;
    put_u64(&w, supply);
    if (!add_wbuf(out, SUPPLY_KEY, strlen(SUPPLY_KEY), &w))
        goto done;

    qsort(out->items, out->n, sizeof(*out->items), cmp_kv);
    ok = true;
    for (size_t i = 1; i < out->n && ok; i++)
        ok = cmp_kv(&out->items[i - 1], &out->items[i]) != 0; /* duplicate account or validator */
done:
    free(vkeys);
    schedule_free(&sched);
    wbuf_free(&w);
    if (!ok)
        kvlist_free(out);
    return ok;
}

bool genesis_header(const struct chain_params *p, struct block_header *out)
{
    struct kvlist state;
    struct lthash lt;
    if (!genesis_state(p, &state))
        return false;
    lthash_init(&lt);
    for (size_t i = 0; i < state.n; i++)
        lthash_add(&lt, state.items[i].key, state.items[i].klen, state.items[i].val,
                   state.items[i].vlen);
    kvlist_free(&state);

    memset(out, 0, sizeof(*out));
    out->version = BLOCK_VERSION;
    out->time = p->genesis_time;
    lthash_root(&lt, out->state_root);
    return true;
}

bool genesis_build(struct chain_params *p, struct block_header *out)
{
    if (!genesis_header(p, out))
        return false;
    header_hash(out, p->genesis_hash);
    return true;
}
