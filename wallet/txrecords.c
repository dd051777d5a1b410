/* The wallet's transaction history: every transaction sent by or paying one
 * of its keys, with the block that confirmed it.  A transaction the wallet
 * sends is recorded (and fsync'd) before anything else sees it; chain events
 * add state records.  Records:
 *
 *   TX      raw tx (CompactSize length, bytes) | time u64 | comment str
 *           | comment_to str
 *   TXSTATE txid [32] | state u8 (0 unconfirmed, 1 confirmed, 2 abandoned)
 *           [ | block hash [32] | height u64 | block time u64 | index u32 ]
 *
 * A transaction without a TXSTATE record is unconfirmed; the last TXSTATE
 * record of a transaction wins.
 */
#include "wallet/internal.h"
#include "wallet/txkinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the history keeps per transaction beyond the public part. */
struct wtx {
    struct wallet_tx pub; /* first: the public view */
    bool state_written;   /* a TXSTATE record exists for it */
};

static struct wtx *wtx_new(const struct tx *tx, const uint8_t *txid, uint64_t time,
                           const char *comment, const char *comment_to)
{
    struct wtx *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    tx_init(&t->pub.tx);
    t->pub.comment = strdup(comment ? comment : "");
    t->pub.comment_to = strdup(comment_to ? comment_to : "");
    if (!t->pub.comment || !t->pub.comment_to || !tx_copy(&t->pub.tx, tx)) {
        free(t->pub.comment);
        free(t->pub.comment_to);
        free(t);
        return NULL;
    }
    if (txid)
        memcpy(t->pub.txid, txid, HASH_SIZE);
    else
        tx_txid(tx, t->pub.txid);
    t->pub.time = time;
    t->pub.state = WALLET_TX_UNCONFIRMED;
    return t;
}

static void wtx_free(struct wtx *t)
{
    if (!t)
        return;
    tx_free(&t->pub.tx);
    free(t->pub.comment);
    free(t->pub.comment_to);
    free(t);
}

static struct wtx *find(const struct wallet *w, const uint8_t txid[HASH_SIZE])
{
    return hmap_get(&w->by_txid, txid, HASH_SIZE);
}

static bool insert(struct wallet *w, struct wtx *t)
{
    if (w->ntxs == w->captxs) {
        size_t cap = w->captxs ? 2 * w->captxs : 16;
        struct wallet_tx **v = realloc(w->txs, cap * sizeof(*v));
        if (!v)
            return false;
        w->txs = v;
        w->captxs = cap;
    }
    if (!hmap_put(&w->by_txid, t->pub.txid, HASH_SIZE, t, NULL))
        return false;
    w->txs[w->ntxs++] = &t->pub;
    return true;
}

void wtx_free_all(struct wallet *w)
{
    for (size_t i = 0; i < w->ntxs; i++)
        wtx_free((struct wtx *)w->txs[i]);
    free(w->txs);
    w->txs = NULL;
    w->ntxs = w->captxs = 0;
    hmap_free(&w->by_txid, NULL);
}

/* ---- records ---- */

static void put_tx_record(const struct wallet_tx *t, struct wbuf *batch)
{
    struct wbuf b, raw;
    wbuf_init(&b);
    wbuf_init(&raw);
    tx_encode(&t->tx, &raw);
    if (raw.failed)
        b.failed = true;
    put_varbytes(&b, raw.data, raw.len);
    put_u64(&b, t->time);
    wallet_put_str(&b, t->comment);
    wallet_put_str(&b, t->comment_to);
    wallet_put_record(batch, WREC_TX, &b);
    wbuf_free(&raw);
    wbuf_free(&b);
}

struct state {
    enum wallet_tx_state state;
    uint8_t hash[HASH_SIZE];
    uint64_t height, time;
    uint32_t index;
};

static void put_state_record(const uint8_t txid[HASH_SIZE], const struct state *s,
                             struct wbuf *batch)
{
    struct wbuf b;
    wbuf_init(&b);
    put_bytes(&b, txid, HASH_SIZE);
    put_u8(&b, (uint8_t)s->state);
    if (s->state == WALLET_TX_CONFIRMED) {
        put_bytes(&b, s->hash, HASH_SIZE);
        put_u64(&b, s->height);
        put_u64(&b, s->time);
        put_u32(&b, s->index);
    }
    wallet_put_record(batch, WREC_TXSTATE, &b);
    wbuf_free(&b);
}

static void get_state(const struct wallet_tx *t, struct state *s)
{
    s->state = t->state;
    memcpy(s->hash, t->block_hash, HASH_SIZE);
    s->height = t->block_height;
    s->time = t->block_time;
    s->index = t->block_index;
}

/* Applies a state in memory; returns how many records it superseded. */
static size_t set_state(struct wtx *t, const struct state *s)
{
    t->pub.state = s->state;
    if (s->state == WALLET_TX_CONFIRMED) {
        memcpy(t->pub.block_hash, s->hash, HASH_SIZE);
        t->pub.block_height = s->height;
        t->pub.block_time = s->time;
        t->pub.block_index = s->index;
    } else {
        memset(t->pub.block_hash, 0, HASH_SIZE);
        t->pub.block_height = t->pub.block_time = 0;
        t->pub.block_index = 0;
    }
    size_t superseded = t->state_written;
    t->state_written = true;
    return superseded;
}

static bool apply_tx(struct wallet *w, struct rbuf *r, char *err, size_t errlen)
{
    const uint8_t *raw;
    size_t rawlen;
    uint64_t time;
    char *comment = NULL, *comment_to = NULL;
    struct tx tx;
    tx_init(&tx);
    bool ok = get_varbytes(r, &raw, &rawlen, TX_FIXED_SIZE + 9 + TX_MAX_PAYLOAD) &&
              tx_decode(&tx, raw, rawlen) && get_u64(r, &time) &&
              wallet_get_str(r, &comment, WALLET_COMMENT_MAX) &&
              wallet_get_str(r, &comment_to, WALLET_COMMENT_MAX) && rbuf_done(r);
    struct wtx *t = ok ? wtx_new(&tx, NULL, time, comment, comment_to) : NULL;
    tx_free(&tx);
    free(comment);
    free(comment_to);
    if (!ok) {
        snprintf(err, errlen, "malformed");
        return false;
    }
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (find(w, t->pub.txid)) {
        snprintf(err, errlen, "duplicate transaction");
        wtx_free(t);
        return false;
    }
    if (!insert(w, t)) {
        snprintf(err, errlen, "out of memory");
        wtx_free(t);
        return false;
    }
    return true;
}

static bool apply_state(struct wallet *w, struct rbuf *r, char *err, size_t errlen)
{
    uint8_t txid[HASH_SIZE], state;
    struct state s = {0};
    if (!get_bytes(r, txid, HASH_SIZE) || !get_u8(r, &state) || state > WALLET_TX_ABANDONED ||
        (state == WALLET_TX_CONFIRMED &&
         (!get_bytes(r, s.hash, HASH_SIZE) || !get_u64(r, &s.height) || !get_u64(r, &s.time) ||
          !get_u32(r, &s.index))) ||
        !rbuf_done(r)) {
        snprintf(err, errlen, "malformed");
        return false;
    }
    struct wtx *t = find(w, txid);
    if (!t) {
        snprintf(err, errlen, "names a transaction the wallet does not hold");
        return false;
    }
    s.state = (enum wallet_tx_state)state;
    w->superseded += set_state(t, &s);
    return true;
}

bool wtx_apply_record(struct wallet *w, uint8_t type, const uint8_t *body, size_t len, char *err,
                      size_t errlen)
{
    struct rbuf r;
    rbuf_init(&r, body, len);
    return type == WREC_TX ? apply_tx(w, &r, err, errlen) : apply_state(w, &r, err, errlen);
}

void wtx_image(const struct wallet *w, struct wbuf *img, size_t *n)
{
    for (size_t i = 0; i < w->ntxs; i++) {
        const struct wallet_tx *t = w->txs[i];
        struct state s;
        put_tx_record(t, img);
        ++*n;
        if (t->state != WALLET_TX_UNCONFIRMED) {
            get_state(t, &s);
            put_state_record(t->txid, &s, img);
            ++*n;
        }
    }
    /* The image writes a state record only where the state is not the
     * default: mark exactly those as written. */
    for (size_t i = 0; i < w->ntxs; i++)
        ((struct wtx *)w->txs[i])->state_written = w->txs[i]->state != WALLET_TX_UNCONFIRMED;
}

/* ---- queries ---- */

size_t wallet_tx_count(const struct wallet *w)
{
    return w->ntxs;
}

const struct wallet_tx *wallet_tx_at(const struct wallet *w, size_t i)
{
    return i < w->ntxs ? w->txs[i] : NULL;
}

const struct wallet_tx *wallet_tx_find(const struct wallet *w, const uint8_t txid[HASH_SIZE])
{
    const struct wtx *t = find(w, txid);
    return t ? &t->pub : NULL;
}

bool wallet_tx_is_mine(const struct wallet *w, const struct tx *tx)
{
    const struct wallet_txrecord *k = wallet_txkind_get(tx->type);
    uint8_t party[PUBKEY_SIZE];
    uint64_t amount;
    if (wallet_has_key(w, tx->sender))
        return true;
    return k && k->counterparty && k->counterparty(tx, party, &amount) &&
           wallet_has_key(w, party);
}

/* ---- changes ---- */

/* Writes one state record and applies it. */
static bool change_state(struct wallet *w, struct wtx *t, const struct state *s, char *err,
                         size_t errlen)
{
    struct wbuf batch;
    wbuf_init(&batch);
    put_state_record(t->pub.txid, s, &batch);
    bool ok = wallet_commit(w, &batch, 1, err, errlen);
    wbuf_free(&batch);
    if (ok)
        wallet_settle(w, set_state(t, s));
    return ok;
}

bool wtx_set_unconfirmed(struct wallet *w, struct wallet_tx *wtx, char *err, size_t errlen)
{
    struct state s = {.state = WALLET_TX_UNCONFIRMED};
    return change_state(w, (struct wtx *)wtx, &s, err, errlen);
}

bool wtx_set_unconfirmed_all(struct wallet *w, struct wallet_tx *const *txs, size_t n, char *err,
                             size_t errlen)
{
    struct state s = {.state = WALLET_TX_UNCONFIRMED};
    struct wbuf batch;
    size_t superseded = 0;
    if (n == 0)
        return true;
    wbuf_init(&batch);
    for (size_t i = 0; i < n; i++)
        put_state_record(txs[i]->txid, &s, &batch);
    bool ok = wallet_commit(w, &batch, n, err, errlen);
    wbuf_free(&batch);
    for (size_t i = 0; ok && i < n; i++)
        superseded += set_state((struct wtx *)txs[i], &s);
    if (ok)
        wallet_settle(w, superseded);
    return ok;
}

bool wtx_set_confirmed(struct wallet *w, struct wallet_tx *wtx, const uint8_t hash[HASH_SIZE],
                       uint64_t height, uint64_t time, uint32_t index, char *err, size_t errlen)
{
    struct state s = {.state = WALLET_TX_CONFIRMED, .height = height, .time = time, .index = index};
    memcpy(s.hash, hash, HASH_SIZE);
    return change_state(w, (struct wtx *)wtx, &s, err, errlen);
}

bool wallet_check_sent(const struct wallet *w, const struct tx *tx, const char *comment,
                       const char *comment_to, char *err, size_t errlen)
{
    uint8_t txid[HASH_SIZE];
    if (!wallet_has_key(w, tx->sender)) {
        snprintf(err, errlen, "The sender is not a key of wallet %s", w->name);
        return false;
    }
    if ((comment && strlen(comment) > WALLET_COMMENT_MAX) ||
        (comment_to && strlen(comment_to) > WALLET_COMMENT_MAX)) {
        snprintf(err, errlen, "Comment too long (at most %d bytes)", WALLET_COMMENT_MAX);
        return false;
    }
    tx_txid(tx, txid);
    if (find(w, txid)) {
        snprintf(err, errlen, "Transaction already in the wallet");
        return false;
    }
    return true;
}

bool wallet_record_sent(struct wallet *w, const struct tx *tx, uint64_t now, const char *comment,
                        const char *comment_to, char *err, size_t errlen)
{
    if (!wallet_check_sent(w, tx, comment, comment_to, err, errlen))
        return false;
    struct wtx *t = wtx_new(tx, NULL, now, comment, comment_to);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (find(w, t->pub.txid)) {
        snprintf(err, errlen, "Transaction already in the wallet");
        wtx_free(t);
        return false;
    }
    struct wbuf batch;
    wbuf_init(&batch);
    put_tx_record(&t->pub, &batch);
    bool ok = wallet_commit(w, &batch, 1, err, errlen);
    wbuf_free(&batch);
    if (ok && !insert(w, t)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    if (!ok)
        wtx_free(t);
    return ok;
}

bool wallet_abandon_tx(struct wallet *w, const uint8_t txid[HASH_SIZE], char *err, size_t errlen)
{
    struct wtx *t = find(w, txid);
    if (!t) {
        snprintf(err, errlen, "Invalid or non-wallet transaction id");
        return false;
    }
    if (t->pub.state != WALLET_TX_UNCONFIRMED) {
        snprintf(err, errlen, "Transaction not eligible for abandonment");
        return false;
    }
    struct state s = {.state = WALLET_TX_ABANDONED};
    return change_state(w, t, &s, err, errlen);
}

static void txid_of(const struct block *b, size_t i, uint8_t out[HASH_SIZE])
{
    if (b->txids)
        memcpy(out, b->txids[i], HASH_SIZE);
    else
        tx_txid(&b->txs[i], out);
}

bool wallet_block_connected(struct wallet *w, const struct block *b,
                            const uint8_t hash[HASH_SIZE], char *err, size_t errlen)
{
    struct change {
        struct wtx *t;
        bool fresh;
        uint32_t index;
    } *changes = NULL;
    size_t n = 0, records = 0;
    struct wbuf batch;
    bool ok = true;
    wbuf_init(&batch);
    for (size_t i = 0; ok && i < b->ntx; i++) {
        if (!wallet_tx_is_mine(w, &b->txs[i]))
            continue;
        uint8_t txid[HASH_SIZE];
        txid_of(b, i, txid);
        struct wtx *t = find(w, txid);
        if (t && t->pub.state == WALLET_TX_CONFIRMED && t->pub.block_index == i &&
            memcmp(t->pub.block_hash, hash, HASH_SIZE) == 0)
            continue;
        if (!changes && !(changes = calloc(b->ntx, sizeof(*changes)))) {
            ok = false;
            break;
        }
        bool fresh = !t;
        if (fresh && !(t = wtx_new(&b->txs[i], txid, b->hdr.time, "", ""))) {
            ok = false;
            break;
        }
        struct state s = {.state = WALLET_TX_CONFIRMED, .height = b->hdr.height,
                          .time = b->hdr.time, .index = (uint32_t)i};
        memcpy(s.hash, hash, HASH_SIZE);
        if (fresh) {
            put_tx_record(&t->pub, &batch);
            records++;
        }
        put_state_record(txid, &s, &batch);
        records++;
        changes[n++] = (struct change){t, fresh, (uint32_t)i};
    }
    if (!ok)
        snprintf(err, errlen, "out of memory");
    ok = ok && (n == 0 || wallet_commit(w, &batch, records, err, errlen));
    wbuf_free(&batch);
    size_t superseded = 0;
    for (size_t i = 0; i < n; i++) {
        struct wtx *t = changes[i].t;
        if (ok && changes[i].fresh && !insert(w, t)) {
            snprintf(err, errlen, "out of memory");
            ok = false;
        }
        if (!ok) {
            if (changes[i].fresh)
                wtx_free(t);
            continue;
        }
        struct state s = {.state = WALLET_TX_CONFIRMED, .height = b->hdr.height,
                          .time = b->hdr.time, .index = changes[i].index};
        memcpy(s.hash, hash, HASH_SIZE);
        superseded += set_state(t, &s);
    }
    free(changes);
    if (!ok) {
        /* Keep the last durable best block, so the next load rescans. */
        w->write_failed = true;
        return false;
    }
    w->has_best = true;
    memcpy(w->best_hash, hash, HASH_SIZE);
    w->best_height = b->hdr.height;
    if (n)
        wallet_settle(w, superseded);
    return true;
}

bool wallet_block_disconnected(struct wallet *w, const struct block *b,
                               const uint8_t hash[HASH_SIZE], char *err, size_t errlen)
{
    bool ok = true;
    /* The last synced block on file promises that every block up to it is
     * recorded.  Undoing one of them breaks that promise, so the record
     * moves down to the parent first: a crash during a reorganization then
     * rescans from below the fork, whatever branch the chain ends on. */
    if (w->has_written_best && w->written_best_height >= b->hdr.height && !w->write_failed) {
        memcpy(w->best_hash, b->hdr.prev, HASH_SIZE);
        w->best_height = b->hdr.height ? b->hdr.height - 1 : 0;
        if (!wallet_write_best_block(w, true, err, errlen)) {
            w->write_failed = true;
            return false;
        }
    }
    /* Every transaction the block confirmed goes back to unconfirmed in
     * one append (one sync per block, as when it was connected). */
    struct wallet_tx **undone = NULL;
    size_t n = 0;
    for (size_t i = 0; i < b->ntx; i++) {
        uint8_t txid[HASH_SIZE];
        txid_of(b, i, txid);
        struct wtx *t = find(w, txid);
        if (!t || t->pub.state != WALLET_TX_CONFIRMED ||
            memcmp(t->pub.block_hash, hash, HASH_SIZE) != 0)
            continue;
        if (!undone && !(undone = calloc(b->ntx, sizeof(*undone)))) {
            snprintf(err, errlen, "out of memory");
            ok = false;
            break;
        }
        undone[n++] = &t->pub;
    }
    ok = ok && wtx_set_unconfirmed_all(w, undone, n, err, errlen);
    free(undone);
    if (!ok) {
        w->write_failed = true;
        return false;
    }
    w->has_best = true;
    memcpy(w->best_hash, b->hdr.prev, HASH_SIZE);
    w->best_height = b->hdr.height ? b->hdr.height - 1 : 0;
    return true;
}
