/* The Arena's secrets in the wallet and its automatic reveals.
 *
 * What a commitment hides until its reveal window is kept in wallet.dat as
 * ARENA records (one live record per kind, task and key):
 *
 *   body := kind u8 | live u8 | task [32] | key [32] | stored_height u64
 *           | CompactSize len | data [len]
 *   kind 1 (submission):  data = salt [32] | n u32 | n x i32 weights
 *   kind 2 (scores):      data = salt [32] | n u32 | n x u32 losses
 *   kind 3 (valsets):     data = K u8 | K x (salt [32] | n_chunks u16 |
 *                         n_chunks x len u32) | the sets' bytes, in order
 *   kind 4 (FL update):   data = round u32 | salt [32] | n u32 | n x i32 weights
 *   kind 5 (FL vote):     data = round u32 | salt [32] | n u32 |
 *                         n x (verdict i8 | metric i32)
 *
 * The FL kinds share the storage only: wallet/rpcfl.c reads them when its
 * reveal methods are called and replaces or prunes them itself; the tick
 * below skips them.
 *
 * A record with live 0 (and no data) deletes the earlier one.  Salts only
 * hide a commitment until its reveal; they are no key material.
 *
 * On every new tip (wallet/sync.c) wallet_arena_tick sends what is due: a
 * submission's ARENA_SUBMIT_REVEAL in the reveal window, a score
 * commitment's ARENA_SCORE_REVEAL in the score reveal window, and every
 * chunk of a created task's sets not yet on chain in the set window.  A
 * record is deleted once its window has passed (or its task settled), not
 * when the chain first shows it revealed: a reorg can take the reveal back.  With no record the tick costs nothing. */
#include "consensus/arena.h"
#include "consensus/hash.h"
#include "consensus/txtypes.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A record whose task the chain does not know is dropped this many blocks
 * after it was stored (its creation was never confirmed). */
#define ARENA_REC_ORPHAN_BLOCKS 100

/* ---- records in memory and in wallet.dat ---- */

static void rec_free(struct wallet_arena_rec *r)
{
    if (!r)
        return;
    if (r->data) {
        sodium_memzero(r->data, r->len);
        free(r->data);
    }
    free(r);
}

static size_t rec_index(const struct wallet *w, uint8_t kind, const uint8_t task[HASH_SIZE],
                        const uint8_t key[PUBKEY_SIZE])
{
    for (size_t i = 0; i < w->narena; i++) {
        const struct wallet_arena_rec *r = w->arena[i];
        if (r->kind == kind && memcmp(r->task, task, HASH_SIZE) == 0 &&
            memcmp(r->key, key, PUBKEY_SIZE) == 0)
            return i;
    }
    return SIZE_MAX;
}

const struct wallet_arena_rec *wallet_arena_find(const struct wallet *w, uint8_t kind,
                                                 const uint8_t task[HASH_SIZE],
                                                 const uint8_t key[PUBKEY_SIZE])
{
    size_t i = rec_index(w, kind, task, key);
    return i == SIZE_MAX ? NULL : w->arena[i];
}

/* Puts r in place of the record with its identity (freed), or appends it;
 * *replaced says whether one was there. */
static bool rec_set(struct wallet *w, struct wallet_arena_rec *r, bool *replaced)
{
    size_t i = rec_index(w, r->kind, r->task, r->key);
    *replaced = i != SIZE_MAX;
    if (i != SIZE_MAX) {
        rec_free(w->arena[i]);
        w->arena[i] = r;
        return true;
    }
    if (w->narena == w->caparena) {
        size_t cap = w->caparena ? 2 * w->caparena : 8;
        struct wallet_arena_rec **v = realloc(w->arena, cap * sizeof(*v));
        if (!v)
            return false;
        w->arena = v;
        w->caparena = cap;
    }
    w->arena[w->narena++] = r;
    return true;
}

static bool rec_remove(struct wallet *w, uint8_t kind, const uint8_t task[HASH_SIZE],
                       const uint8_t key[PUBKEY_SIZE])
{
    size_t i = rec_index(w, kind, task, key);
    if (i == SIZE_MAX)
        return false;
    rec_free(w->arena[i]);
    memmove(w->arena + i, w->arena + i + 1, (w->narena - i - 1) * sizeof(*w->arena));
    w->narena--;
    return true;
}

static void put_body(struct wbuf *b, uint8_t kind, bool live, const uint8_t task[HASH_SIZE],
                     const uint8_t key[PUBKEY_SIZE], uint64_t height, const uint8_t *data,
                     size_t len)
{
    put_u8(b, kind);
    put_u8(b, live ? 1 : 0);
    put_bytes(b, task, HASH_SIZE);
    put_bytes(b, key, PUBKEY_SIZE);
    put_u64(b, height);
    put_varbytes(b, data, len);
}

bool arena_apply_record(struct wallet *w, const uint8_t *body, size_t len, char *err,
                        size_t errlen)
{
    struct rbuf r;
    uint8_t kind, live;
    const uint8_t *data;
    size_t n;
    struct wallet_arena_rec *rec = calloc(1, sizeof(*rec));
    bool replaced;
    rbuf_init(&r, body, len);
    if (!rec || !get_u8(&r, &kind) || !get_u8(&r, &live) || !get_bytes(&r, rec->task, HASH_SIZE) ||
        !get_bytes(&r, rec->key, PUBKEY_SIZE) || !get_u64(&r, &rec->stored_height) ||
        !get_varbytes(&r, &data, &n, WALLETDB_MAX_BODY) || !rbuf_done(&r) || kind < WALLET_ARENA_SUBMIT ||
        kind > WALLET_FL_VOTE || live > 1) {
        free(rec);
        snprintf(err, errlen, "malformed");
        return false;
    }
    rec->kind = kind;
    if (!live) {
        if (rec_remove(w, kind, rec->task, rec->key))
            w->superseded += 2;
        else
            w->superseded += 1;
        free(rec);
        return true;
    }
    rec->len = n;
    rec->data = malloc(n ? n : 1);
    if (!rec->data) {
        free(rec);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    memcpy(rec->data, data, n);
    if (!rec_set(w, rec, &replaced)) {
        rec_free(rec);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (replaced)
        w->superseded++;
    return true;
}

void arena_image(const struct wallet *w, struct wbuf *img, size_t *n)
{
    for (size_t i = 0; i < w->narena; i++) {
        const struct wallet_arena_rec *r = w->arena[i];
        struct wbuf b;
        wallet_wbuf_secure(&b, 1 + 1 + HASH_SIZE + PUBKEY_SIZE + 8 + 9 + r->len);
        put_body(&b, r->kind, true, r->task, r->key, r->stored_height, r->data, r->len);
        wallet_put_record(img, WREC_ARENA, &b);
        wallet_wbuf_wipe(&b);
        ++*n;
    }
}

void arena_free_all(struct wallet *w)
{
    for (size_t i = 0; i < w->narena; i++)
        rec_free(w->arena[i]);
    free(w->arena);
    w->arena = NULL;
    w->narena = w->caparena = 0;
}

bool wallet_arena_put(struct wallet *w, uint8_t kind, const uint8_t task[HASH_SIZE],
                      const uint8_t key[PUBKEY_SIZE], uint64_t height, const uint8_t *data,
                      size_t len, char *err, size_t errlen)
{
    struct wbuf batch, b;
    struct wallet_arena_rec *rec = calloc(1, sizeof(*rec));
    if (!rec || !(rec->data = malloc(len ? len : 1))) {
        free(rec);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    rec->kind = kind;
    memcpy(rec->task, task, HASH_SIZE);
    memcpy(rec->key, key, PUBKEY_SIZE);
    rec->stored_height = height;
    memcpy(rec->data, data, len);
    rec->len = len;
    wallet_wbuf_secure(&b, 1 + 1 + HASH_SIZE + PUBKEY_SIZE + 8 + 9 + len);
    put_body(&b, kind, true, task, key, height, data, len);
    wbuf_init(&batch);
    wallet_put_record(&batch, WREC_ARENA, &b);
    wallet_wbuf_wipe(&b);
    bool ok = wallet_commit(w, &batch, 1, err, errlen);
    if (batch.data)
        sodium_memzero(batch.data, batch.len);
    wbuf_free(&batch);
    bool replaced = false;
    if (!ok || !rec_set(w, rec, &replaced)) {
        if (ok)
            snprintf(err, errlen, "out of memory");
        rec_free(rec);
        return false;
    }
    wallet_settle(w, replaced);
    return true;
}

bool wallet_arena_drop(struct wallet *w, uint8_t kind, const uint8_t task[HASH_SIZE],
                       const uint8_t key[PUBKEY_SIZE], char *err, size_t errlen)
{
    struct wbuf batch, b;
    if (rec_index(w, kind, task, key) == SIZE_MAX)
        return true;
    wbuf_init(&b);
    put_body(&b, kind, false, task, key, 0, NULL, 0);
    wbuf_init(&batch);
    wallet_put_record(&batch, WREC_ARENA, &b);
    wbuf_free(&b);
    bool ok = wallet_commit(w, &batch, 1, err, errlen);
    wbuf_free(&batch);
    if (!ok)
        return false;
    rec_remove(w, kind, task, key);
    wallet_settle(w, 2);
    return true;
}

/* ---- the sets of a created task ---- */

bool wallet_arena_valsets_parse(const struct wallet_arena_rec *r, struct wallet_arena_valsets *out)
{
    struct rbuf b;
    uint8_t k;
    memset(out, 0, sizeof(*out));
    rbuf_init(&b, r->data, r->len);
    if (!get_u8(&b, &k) || k < 1 || k > WALLET_ARENA_MAX_SETS)
        return false;
    out->k = k;
    for (uint8_t s = 0; s < k; s++) {
        struct wallet_arena_set *set = &out->sets[s];
        if (!get_bytes(&b, set->salt, 32) || !get_u16(&b, &set->n_chunks) || set->n_chunks < 1 ||
            set->n_chunks > ARENA_MAX_CHUNKS)
            return false;
        for (uint16_t c = 0; c < set->n_chunks; c++) {
            uint32_t len;
            if (!get_u32(&b, &len) || len < 1 || len > ARENA_MAX_CHUNK_BYTES)
                return false;
            set->chunk_len[c] = len;
            set->len += len;
        }
    }
    size_t off = r->len - b.left;
    for (uint8_t s = 0; s < k; s++) {
        if (out->sets[s].len > r->len - off)
            return false;
        out->sets[s].bytes = r->data + off;
        off += out->sets[s].len;
    }
    return off == r->len;
}

static uint8_t *set_leaves(uint8_t set, const struct wallet_arena_set *s);
static bool chunk_payload(struct wbuf *pl, const uint8_t task[HASH_SIZE], uint8_t set,
                          const struct wallet_arena_set *s, const uint8_t *leaves, uint16_t chunk,
                          size_t off);

/* ---- reveals ---- */

struct tick {
    struct wallet *w;
    const struct wallet_chain *c;
    struct chain_snapshot *s;
    uint64_t fee_rate;
    uint64_t next; /* height of the next block */
    void (*sent)(void *arg, const uint8_t txid[HASH_SIZE]);
    void *arg;
    char err[256];
    bool failed;
    size_t owed; /* records with a reveal not yet on chain */
};

/* Whether an unconfirmed transaction the wallet sent is still on its way:
 * in the mempool, or taken back by it now.  A reveal can leave the pool
 * before a block takes it (evicted when better-paying transactions fill the
 * pool, which anyone can do; dropped by a check after a block): waiting on
 * it then would let the window pass, and the operator be slashed, so a
 * reveal that is not pooled and not taken back is sent again, at the fee
 * rate required now (the nonce it held is free again, or the old
 * transaction is abandoned once another takes it). */
static bool on_its_way(const struct tick *tk, const struct wallet_tx *t)
{
    struct validation v;
    if (tk->c->has_tx(tk->c->ctx, t->txid))
        return true;
    val_init(&v);
    return tk->c->submit_tx(tk->c->ctx, &t->tx, time_now(), &v);
}

/* Whether the wallet has sent, and not yet seen confirmed, a transaction
 * of this type from key whose payload starts with prefix, still on its
 * way. */
static bool pending(const struct tick *tk, const uint8_t key[PUBKEY_SIZE], uint8_t type,
                    const uint8_t *prefix, size_t plen)
{
    const struct wallet *w = tk->w;
    for (size_t i = 0; i < w->ntxs; i++) {
        const struct wallet_tx *t = w->txs[i];
        if (t->state == WALLET_TX_UNCONFIRMED && t->tx.type == type &&
            memcmp(t->tx.sender, key, PUBKEY_SIZE) == 0 && t->tx.payload_len >= plen &&
            memcmp(t->tx.payload, prefix, plen) == 0 && on_its_way(tk, t))
            return true;
    }
    return false;
}

static bool send_payload(struct tick *tk, const uint8_t key[PUBKEY_SIZE], uint8_t type,
                         const struct wbuf *pl)
{
    struct tx tx;
    struct validation v;
    uint8_t txid[HASH_SIZE];
    char hex[2 * HASH_SIZE + 1];
    tx_init(&tx);
    tx.type = type;
    memcpy(tx.sender, key, PUBKEY_SIZE);
    if (pl->failed || !tx_set_payload(&tx, pl->data, pl->len)) {
        tx_free(&tx);
        snprintf(tk->err, sizeof(tk->err), "out of memory");
        tk->failed = true;
        return false;
    }
    tx.fee = (uint64_t)(((unsigned __int128)tk->fee_rate * tx_encoded_size(&tx) + 999) / 1000);
    tx.nonce = tk->c->next_nonce(tk->c->ctx, key);
    bool ok = wallet_sign_tx(tk->w, &tx, tk->w->params->genesis_hash);
    if (!ok)
        snprintf(tk->err, sizeof(tk->err), "%s", wallet_error(tk->w));
    else
        ok = wallet_submit_tx(tk->w, tk->c, &tx, time_now(), "", "", &v, tk->err, sizeof(tk->err));
    if (ok) {
        tx_txid(&tx, txid);
        hash_to_hex(txid, hex);
        LOG_DEBUG(LOG_WALLET, "Wallet %s: sent Arena %s %s", tk->w->name, txtype_name(type), hex);
        if (tk->sent)
            tk->sent(tk->arg, txid);
    } else {
        tk->failed = true;
    }
    tx_free(&tx);
    return ok;
}

/* One salt-and-values reveal (submission or scores).  True when the record
 * is finished (its window passed, or the task settled). */
static bool reveal_values(struct tick *tk, const struct wallet_arena_rec *r,
                          const struct wallet_arena_task *t)
{
    const bool sub = r->kind == WALLET_ARENA_SUBMIT;
    const uint64_t start = (sub ? t->submit_end : t->score_commit_end) + 1;
    const uint64_t end = sub ? t->reveal_end : t->settle_height;
    const uint8_t type = sub ? TX_ARENA_SUBMIT_REVEAL : TX_ARENA_SCORE_REVEAL;
    struct wallet_arena_operator op;
    if (tk->next > end || t->state >= WALLET_ARENA_SETTLED)
        return true;
    if (tk->next < start) {
        tk->owed++; /* waiting for its window */
        return false;
    }
    /* Until the window has passed the record stays, whatever the chain
     * shows now: a reorg can take back the block of the reveal (or of the
     * commitment) and put the chain before the window, where the pool
     * refuses the reveal it takes back; the record is then what sends it
     * again once the window comes back. */
    if (!tk->c->arena_operator(tk->s, r->task, r->key, &op))
        return false; /* no stake on this chain (yet): nothing to reveal now */
    bool committed = sub ? op.committed : op.score_committed;
    bool revealed = sub ? op.revealed : op.score_revealed;
    if (revealed || !committed)
        return false;
    tk->owed++;
    if (pending(tk, r->key, type, r->task, HASH_SIZE) || r->len < 36)
        return false;
    uint32_t n = read_le32(r->data + 32);
    if (r->len != 36 + 4 * (size_t)n)
        return true;
    struct wbuf pl;
    wbuf_init(&pl);
    if (sub) {
        struct arena_submit_reveal rv = {.n = n, .weights = r->data + 36};
        memcpy(rv.task, r->task, HASH_SIZE);
        memcpy(rv.salt, r->data, 32);
        arena_submit_reveal_encode(&rv, &pl);
    } else {
        struct arena_score_reveal rv = {.n = n, .losses = r->data + 36};
        memcpy(rv.task, r->task, HASH_SIZE);
        memcpy(rv.salt, r->data, 32);
        arena_score_reveal_encode(&rv, &pl);
    }
    send_payload(tk, r->key, type, &pl);
    wbuf_free(&pl);
    return false;
}

/* The chunks of a created task's sets not yet on chain.  True when the
 * window passed (or the task settled). */
static bool reveal_sets(struct tick *tk, const struct wallet_arena_rec *r,
                        const struct wallet_arena_task *t)
{
    struct wallet_arena_valsets vs;
    if (tk->next > t->sets_end || t->state >= WALLET_ARENA_SETTLED)
        return true;
    if (tk->next <= t->reveal_end) {
        tk->owed++; /* waiting for its window */
        return false;
    }
    if (!wallet_arena_valsets_parse(r, &vs) || vs.k != t->k)
        return true;
    /* The chunks already sent, unconfirmed and still on their way (pooled,
     * or taken back by the pool now), in one pass over the history. */
    uint64_t sent[WALLET_ARENA_MAX_SETS] = {0};
    bool owes = false;
    for (size_t i = 0; i < tk->w->ntxs; i++) {
        const struct wallet_tx *wt = tk->w->txs[i];
        if (wt->state != WALLET_TX_UNCONFIRMED || wt->tx.type != TX_ARENA_REVEAL_VALSET ||
            memcmp(wt->tx.sender, r->key, PUBKEY_SIZE) != 0 || wt->tx.payload_len < HASH_SIZE + 3 ||
            memcmp(wt->tx.payload, r->task, HASH_SIZE) != 0)
            continue;
        uint8_t k = wt->tx.payload[HASH_SIZE];
        uint16_t c = (uint16_t)(wt->tx.payload[HASH_SIZE + 1] | wt->tx.payload[HASH_SIZE + 2] << 8);
        if (k < WALLET_ARENA_MAX_SETS && c < 64 && !(sent[k] & (UINT64_C(1) << c)) &&
            on_its_way(tk, wt))
            sent[k] |= UINT64_C(1) << c;
    }
    for (uint8_t k = 0; k < vs.k && !tk->failed; k++) {
        const struct wallet_arena_set *set = &vs.sets[k];
        uint8_t *leaves = NULL; /* hashed once per set, when a chunk is due */
        size_t off = 0;
        for (uint16_t i = 0; i < set->n_chunks && !tk->failed; off += set->chunk_len[i], i++) {
            if (tk->c->arena_chunk(tk->s, r->task, k, i))
                continue;
            if (!owes) {
                owes = true;
                tk->owed++;
            }
            if (sent[k] & (UINT64_C(1) << i))
                continue;
            if (!leaves)
                leaves = set_leaves(k, set);
            struct wbuf pl;
            wbuf_init(&pl);
            if (!leaves || !chunk_payload(&pl, r->task, k, set, leaves, i, off))
                pl.failed = true;
            send_payload(tk, r->key, TX_ARENA_REVEAL_VALSET, &pl);
            wbuf_free(&pl);
        }
        free(leaves);
    }
    /* Every chunk on chain is not the end: a reorg can take them back
     * across reveal_end, where the pool refuses them; the record stays until
     * the window has passed and sends them again (reveal_values). */
    return false;
}

size_t wallet_arena_tick(struct wallet *w, const struct wallet_chain *c, uint64_t fee_rate,
                         const uint8_t *only_task, uint8_t only_kind,
                         void (*sent)(void *arg, const uint8_t txid[HASH_SIZE]), void *arg,
                         char *err, size_t errlen)
{
    uint8_t tip_hash[HASH_SIZE];
    uint64_t tip_height;
    err[0] = '\0';
    if (w->narena == 0 || !c->has_mempool(c->ctx))
        return 0;
    if (c->required_fee_rate(c->ctx) > fee_rate)
        fee_rate = c->required_fee_rate(c->ctx);
    c->tip(c->ctx, tip_hash, &tip_height);
    struct tick tk = {.w = w, .c = c, .s = c->snapshot(c->ctx), .fee_rate = fee_rate,
                      .next = tip_height + 1, .sent = sent, .arg = arg};
    if (!tk.s) {
        snprintf(err, errlen, "State read error");
        return 0;
    }
    /* Finished records, dropped after the walk (the list does not move
     * under it). */
    uint8_t (*drop)[1 + HASH_SIZE + PUBKEY_SIZE] = calloc(w->narena, sizeof(*drop));
    size_t ndrop = 0;
    for (size_t i = 0; drop && i < w->narena && !tk.failed; i++) {
        const struct wallet_arena_rec *r = w->arena[i];
        struct wallet_arena_task t;
        bool finished;
        if ((only_task && memcmp(only_task, r->task, HASH_SIZE) != 0) ||
            (only_kind && r->kind != only_kind) || r->kind > WALLET_ARENA_VALSET)
            continue;
        if (!c->arena_task(tk.s, r->task, &t))
            finished = tip_height >= r->stored_height + ARENA_REC_ORPHAN_BLOCKS;
        else if (r->kind == WALLET_ARENA_VALSET)
            finished = reveal_sets(&tk, r, &t);
        else
            finished = reveal_values(&tk, r, &t);
        if (finished) {
            drop[ndrop][0] = r->kind;
            memcpy(drop[ndrop] + 1, r->task, HASH_SIZE);
            memcpy(drop[ndrop] + 1 + HASH_SIZE, r->key, PUBKEY_SIZE);
            ndrop++;
        }
    }
    c->snapshot_free(tk.s);
    for (size_t i = 0; i < ndrop; i++) {
        char e[256];
        if (!wallet_arena_drop(w, drop[i][0], drop[i] + 1, drop[i] + 1 + HASH_SIZE, e, sizeof(e)) &&
            !tk.failed)
            snprintf(tk.err, sizeof(tk.err), "%s", e), tk.failed = true;
    }
    free(drop);
    if (tk.failed)
        snprintf(err, errlen, "%s", tk.err);
    return tk.owed;
}

/* ---- validation set commitments (consensus/arena.h "Validation set byte
 * format and its Merkle root") ---- */

/* The leaves of a set (n_chunks x 32 bytes, allocated). */
static uint8_t *set_leaves(uint8_t set, const struct wallet_arena_set *s)
{
    uint8_t *leaves = malloc((size_t)s->n_chunks * HASH_SIZE);
    size_t off = 0;
    if (!leaves)
        return NULL;
    for (uint16_t i = 0; i < s->n_chunks; off += s->chunk_len[i], i++)
        arena_leaf_hash(leaves + (size_t)i * HASH_SIZE, s->salt, set, i, s->bytes + off,
                        s->chunk_len[i]);
    return leaves;
}

bool wallet_arena_set_root(uint8_t set, const struct wallet_arena_set *s, uint8_t root[HASH_SIZE])
{
    uint8_t *leaves = set_leaves(set, s);
    bool ok = leaves && arena_merkle_root(root, leaves, s->n_chunks);
    free(leaves);
    return ok;
}

/* The payload of one chunk with the set's leaves already computed. */
static bool chunk_payload(struct wbuf *pl, const uint8_t task[HASH_SIZE], uint8_t set,
                          const struct wallet_arena_set *s, const uint8_t *leaves, uint16_t chunk,
                          size_t off)
{
    uint8_t path[ARENA_MAX_PATH * HASH_SIZE];
    unsigned npath;
    if (!arena_merkle_path(path, &npath, leaves, s->n_chunks, chunk))
        return false;
    struct arena_reveal_valset rv = {.set = set, .chunk = chunk, .npath = (uint8_t)npath,
                                      .path = path, .len = s->chunk_len[chunk],
                                      .data = s->bytes + off};
    memcpy(rv.task, task, HASH_SIZE);
    memcpy(rv.salt, s->salt, 32);
    arena_reveal_valset_encode(&rv, pl);
    return !pl->failed;
}

bool wallet_arena_chunk_payload(struct wbuf *pl, const uint8_t task[HASH_SIZE], uint8_t set,
                                const struct wallet_arena_set *s, uint16_t chunk, size_t off)
{
    uint8_t *leaves = set_leaves(set, s);
    bool ok = leaves && chunk_payload(pl, task, set, s, leaves, chunk, off);
    free(leaves);
    return ok;
}
