/* The chain manager (see chain.h): accepting headers and blocks, choosing
 * the best chain, connecting and disconnecting blocks, reorganizing,
 * invalidate/reconsider, and the listeners told of each change.  The block
 * index it works on is state/blockindex.c; reading the chain, its state and
 * its blocks is state/chainread.c; opening, reindexing and closing are
 * state/chainload.c.
 *
 * A block is stored (record fsync'd, then its index entry written synced)
 * before it is connected; connecting writes one synced chainstate batch.  So
 * after a crash the chainstate tip is a stored block and the state is that
 * block's state; blocks stored but not yet connected are connected again by
 * the best-chain activation that runs at every start.
 */
#include "state/chain_internal.h"
#include "state/addrindex.h"
#include "state/apply.h"
#include "state/blockstore.h"
#include "state/finality.h"
#include "state/sigcheck.h"
#include "state/staking.h"
#include "state/undo.h"
#include "state/view.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- listeners ---- */

void chain_remove_listener(struct chain *c, void *arg)
{
    for (size_t i = 0; i < c->nlisteners;)
        if (c->listeners[i].arg == arg)
            memmove(&c->listeners[i], &c->listeners[i + 1],
                    (--c->nlisteners - i) * sizeof(*c->listeners));
        else
            i++;
}

void chain_add_listener(struct chain *c, const struct chain_listener *l)
{
    struct chain_listener *ls = realloc(c->listeners, (c->nlisteners + 1) * sizeof(*ls));
    if (!ls)
        return;
    c->listeners = ls;
    c->listeners[c->nlisteners++] = *l;
}

/* ---- storing blocks, growing the active chain ---- */

static bool active_push(struct chain *c, struct block_index *bi)
{
    if (c->active_len == c->active_cap) {
        size_t cap = c->active_cap ? c->active_cap * 2 : 1024;
        struct block_index **a = realloc(c->active, cap * sizeof(*a));
        if (!a)
            return false;
        c->active = a;
        c->active_cap = cap;
    }
    c->active[c->active_len++] = bi;
    return true;
}

/* Whether pub has weight in the tip state's vote weights (view) for the
 * tip's epoch or the one before: a key staking now, not merely a validator
 * record (records stay after unbonding, jailing and tombstoning). */
static bool weighted_in(struct chain *c, struct view *view, const uint8_t pub[PUBKEY_SIZE])
{
    uint64_t e = params_epoch_of(c->params, tip_of(c)->hdr.slot);
    return finality_weight(view, e, pub) > 0 || (e > 0 && finality_weight(view, e - 1, pub) > 0);
}

bool chain_has_vote_weight(struct chain *c, const uint8_t pub[PUBKEY_SIZE])
{
    struct view *view = chain_view(c);
    bool ok = view && weighted_in(c, view, pub);
    view_free(view);
    return ok;
}

/* Sets bi's vote_top (BLOCK_VOTES_KNOWN) from its body b, the genesis
 * block's just_epoch (0) too; not written to disk.  A vote counts only when
 * its target epoch is not after the epoch of the block holding it (rule 1 of
 * section 20.3 of doc/protocol.md: a later one could never be counted, nor
 * slashed) and its sender has weight in the tip state's vote weights
 * (weighted_in): the signatures of a stored body were checked, but any key
 * can sign a vote, and a vote above the tip's justified epoch makes the node
 * evaluate the branch (section 20.4).  A payload that does not decode
 * counts 0. */
static void set_vote_top(struct chain *c, struct block_index *bi, const struct block *b)
{
    uint64_t top = 0;
    uint64_t eb = params_epoch_of(c->params, b->hdr.slot);
    struct view *view = NULL;
    for (size_t i = 0; i < b->ntx; i++) {
        struct finality_vote fv;
        if (b->txs[i].type != TX_FINALITY_VOTE ||
            !finality_vote_decode(&fv, b->txs[i].payload, b->txs[i].payload_len) ||
            fv.target.epoch <= top || fv.target.epoch > eb)
            continue;
        if (!view && !(view = chain_view(c)))
            break;
        if (weighted_in(c, view, b->txs[i].sender))
            top = fv.target.epoch;
    }
    view_free(view);
    bi->vote_top = top;
    bi->status |= BLOCK_VOTES_KNOWN;
    if (!bi->prev) {
        bi->just_epoch = 0;
        bi->status |= BLOCK_JUST_KNOWN;
    }
}

bool chain_store_block(struct chain *c, struct block_index *bi, const struct block *b)
{
    struct wbuf w;
    struct block_pos pos;
    char err[256];
    wbuf_init(&w);
    block_encode(b, &w);
    bool ok = !w.failed && blockstore_append(c->blocks, w.data, w.len, &pos, err, sizeof(err));
    wbuf_free(&w);
    if (!ok) {
        log_printf("ERROR: cannot store block: %s", err);
        return false;
    }
    bi->file = pos.file;
    bi->offset = pos.offset;
    bi->size = pos.size;
    bi->ntx = (uint32_t)b->ntx;
    bi->status |= BLOCK_HAVE_DATA;
    set_vote_top(c, bi, b);
    return index_write(c, bi, true);
}

/* ---- connecting and disconnecting ---- */

static void notify(struct chain *c, bool connected, const struct block *b,
                   const struct block_index *bi)
{
    for (size_t i = 0; i < c->nlisteners; i++) {
        const struct chain_listener *l = &c->listeners[i];
        if (connected && l->connected)
            l->connected(l->arg, b, bi);
        else if (!connected && l->disconnected)
            l->disconnected(l->arg, b, bi);
    }
}

void chain_batch_meta(struct db_batch *batch, const struct lthash *lt, const uint8_t tip[HASH_SIZE])
{
    uint8_t lanes[LTHASH_BYTES];
    lthash_encode(lt, lanes);
    db_batch_put(batch, LTHASH_KEY, strlen(LTHASH_KEY), lanes, sizeof(lanes));
    db_batch_put(batch, TIP_KEY, strlen(TIP_KEY), tip, HASH_SIZE);
}

void chain_prefixed_key(uint8_t *out, char prefix, const void *key, size_t klen)
{
    out[0] = (uint8_t)prefix;
    memcpy(out + 1, key, klen);
}

/* The view bi's block was applied to while its signatures were checked
 * (set_pre_view), if it is still good for connecting bi now (the tip has
 * not moved since); NULL otherwise.  The caller owns it. */
static struct view *take_pre_view(struct chain *c, const struct block_index *bi)
{
    struct view *view = NULL;
    if (c->pre_view && c->pre_for == bi && c->pre_tip == tip_of(c) && bi->prev == tip_of(c)) {
        view = c->pre_view;
        c->pre_view = NULL;
    }
    return view;
}

static bool connect_block(struct chain *c, struct block_index *bi, const struct block *b,
                          struct validation *v)
{
    struct view *pre = take_pre_view(c, bi);
    struct view *view = pre ? pre : view_new(c->state, NULL);
    struct db_batch *batch = db_batch_new();
    struct lthash lt = c->lt;
    uint8_t root[HASH_SIZE], key[1 + UNDO_MAX_KEY];
    struct wbuf undo;
    size_t n;
    bool ok = false;

    wbuf_init(&undo);
    if (!view || !batch) {
        val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    if (!pre && c->addrindex)
        view_journal_enable(view);
    if (!pre && !apply_block(view, c->params, &bi->prev->hdr, b, v))
        goto done;
    const struct view_change *ch = view_changes(view, &n);
    if (view_failed(view)) {
        val_fail(v, VAL_ERROR, REJECT_STATE_READ_ERROR);
        goto done;
    }
    chain_lthash_apply(&lt, ch, n);
    lthash_root(&lt, root);
    if (memcmp(root, b->hdr.state_root, HASH_SIZE) != 0) {
        val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_STATEROOT);
        goto done;
    }
    /* The justified checkpoint after the block: the fork choice's first key. */
    struct checkpoint just, just_prev;
    if (!finality_justified(view, c->params, &just, &just_prev)) {
        val_fail(v, VAL_ERROR, REJECT_STATE_READ_ERROR);
        goto done;
    }

    for (size_t i = 0; i < n; i++) {
        if (ch[i].klen > UNDO_MAX_KEY) {
            val_fail(v, VAL_ERROR, REJECT_STATE_KEY_TOO_LONG);
            goto done;
        }
        chain_prefixed_key(key, 's', ch[i].key, ch[i].klen);
        if (ch[i].has_cur)
            db_batch_put(batch, key, ch[i].klen + 1, ch[i].cur, ch[i].cur_len);
        else
            db_batch_del(batch, key, ch[i].klen + 1);
    }
    undo_encode(ch, n, &undo);
    if (undo.failed) {
        val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    chain_prefixed_key(key, 'u', bi->hash, HASH_SIZE);
    db_batch_put(batch, key, 1 + HASH_SIZE, undo.data, undo.len);
    for (size_t i = 0; i < b->ntx; i++) {
        uint8_t loc[HASH_SIZE + 4];
        memcpy(loc, bi->hash, HASH_SIZE);
        write_le32(loc + HASH_SIZE, (uint32_t)i);
        chain_prefixed_key(key, 'x', b->txids[i], HASH_SIZE);
        db_batch_put(batch, key, 1 + HASH_SIZE, loc, sizeof(loc));
    }
    if (c->addrindex) {
        /* In the block's own batch: after a crash the index matches the tip. */
        size_t nj;
        const struct journal_entry *j = view_journal(view, &nj);
        if (view_failed(view) ||
            !addrindex_connect(c->state, batch, b, bi->hash, bi->hdr.height, j, nj)) {
            log_printf("ERROR: cannot index the addresses of block %llu: %s",
                       (unsigned long long)bi->hdr.height, db_last_error(c->state));
            val_fail(v, VAL_ERROR, REJECT_STATE_READ_ERROR);
            goto done;
        }
    }
    chain_batch_meta(batch, &lt, bi->hash);
    if (!db_write(c->state, batch, true)) {
        log_printf("ERROR: chainstate write failed: %s", db_last_error(c->state));
        val_fail(v, VAL_ERROR, REJECT_DB_WRITE_ERROR);
        goto done;
    }
    if (!active_push(c, bi)) {
        val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    c->lt = lt;
    if (!(bi->status & BLOCK_VALID) || !(bi->status & BLOCK_JUST_KNOWN) ||
        bi->just_epoch != just.epoch) {
        bi->status |= BLOCK_VALID | BLOCK_JUST_KNOWN;
        bi->just_epoch = just.epoch;
        (void)index_write(c, bi, false);
    }
    ok = true;
done:
    wbuf_free(&undo);
    db_batch_free(batch);
    view_free(view);
    return ok;
}

/* Restores the state of the tip's parent from the tip's undo data. */
static bool disconnect_tip(struct chain *c, struct validation *v)
{
    struct block_index *bi = tip_of(c);
    uint8_t key[1 + UNDO_MAX_KEY], root[HASH_SIZE], *undo_data = NULL;
    size_t undo_len, n = 0;
    struct undo_entry *entries = NULL;
    struct db_batch *batch = NULL;
    struct lthash lt = c->lt;
    struct block b;
    bool ok = false;

    block_init(&b);
    if (bi->prev == NULL)
        return val_fail(v, VAL_ERROR, REJECT_CANNOT_DISCONNECT_GENESIS);
    if (!chain_read_block(c, bi, &b))
        return val_fail(v, VAL_ERROR, REJECT_BLOCK_READ_ERROR);
    chain_prefixed_key(key, 'u', bi->hash, HASH_SIZE);
    if (db_get(c->state, key, 1 + HASH_SIZE, &undo_data, &undo_len) != DB_FOUND ||
        !undo_decode(undo_data, undo_len, &entries, &n)) {
        log_printf("ERROR: undo data of block %llu missing or damaged (restart with -reindex)",
                   (unsigned long long)bi->hdr.height);
        val_fail(v, VAL_ERROR, REJECT_UNDO_READ_ERROR);
        goto done;
    }
    batch = db_batch_new();
    if (!batch) {
        val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t *cur = NULL;
        size_t cur_len;
        chain_prefixed_key(key, 's', entries[i].key, entries[i].klen);
        enum db_result r = db_get(c->state, key, entries[i].klen + 1, &cur, &cur_len);
        if (r == DB_ERROR) {
            val_fail(v, VAL_ERROR, REJECT_STATE_READ_ERROR);
            goto done;
        }
        if (r == DB_FOUND)
            lthash_remove(&lt, entries[i].key, entries[i].klen, cur, cur_len);
        free(cur);
        if (entries[i].has_old) {
            lthash_add(&lt, entries[i].key, entries[i].klen, entries[i].old, entries[i].old_len);
            db_batch_put(batch, key, entries[i].klen + 1, entries[i].old, entries[i].old_len);
        } else {
            db_batch_del(batch, key, entries[i].klen + 1);
        }
    }
    lthash_root(&lt, root);
    if (memcmp(root, bi->prev->hdr.state_root, HASH_SIZE) != 0) {
        log_printf("ERROR: undoing block %llu does not give its parent's state root: the "
                   "chainstate is damaged (restart with -reindex)",
                   (unsigned long long)bi->hdr.height);
        val_fail(v, VAL_ERROR, REJECT_UNDO_MISMATCH);
        goto done;
    }
    chain_prefixed_key(key, 'u', bi->hash, HASH_SIZE);
    db_batch_del(batch, key, 1 + HASH_SIZE);
    for (size_t i = 0; i < b.ntx; i++) {
        chain_prefixed_key(key, 'x', b.txids[i], HASH_SIZE);
        db_batch_del(batch, key, 1 + HASH_SIZE);
    }
    if (c->addrindex && !addrindex_disconnect(c->state, batch, bi->hash)) {
        log_printf("ERROR: the address index record of block %llu is missing or damaged "
                   "(restart with -reindex)",
                   (unsigned long long)bi->hdr.height);
        val_fail(v, VAL_ERROR, REJECT_UNDO_READ_ERROR);
        goto done;
    }
    chain_batch_meta(batch, &lt, bi->prev->hash);
    if (!db_write(c->state, batch, true)) {
        log_printf("ERROR: chainstate write failed: %s", db_last_error(c->state));
        val_fail(v, VAL_ERROR, REJECT_DB_WRITE_ERROR);
        goto done;
    }
    c->lt = lt;
    c->active_len--;
    (void)chain_note_tip_just(c);
    notify(c, false, &b, bi);
    ok = true;
done:
    block_free(&b);
    free(entries);
    free(undo_data);
    db_batch_free(batch);
    return ok;
}

static int cmp_height(const void *a, const void *b)
{
    const struct block_index *x = *(struct block_index *const *)a;
    const struct block_index *y = *(struct block_index *const *)b;
    return (x->hdr.height > y->hdr.height) - (x->hdr.height < y->hdr.height);
}

/* Marks bi invalid and every known descendant invalid-child (in height order,
 * so each learns it from its parent); the parent becomes a tip candidate
 * again. */
static void mark_failed(struct chain *c, struct block_index *bi)
{
    const struct hmap_slot *slot;
    struct block_index **above;
    size_t n = 0;

    bi->status |= BLOCK_FAILED;
    (void)index_write(c, bi, false);
    index_leaf_remove(c, bi);
    above = malloc((hmap_count(&c->map) + 1) * sizeof(*above));
    if (above) {
        for (size_t i = 0; hmap_next(&c->map, &i, &slot);) {
            struct block_index *x = slot->val;
            if (x->hdr.height > bi->hdr.height)
                above[n++] = x;
        }
        qsort(above, n, sizeof(*above), cmp_height);
        for (size_t i = 0; i < n; i++) {
            struct block_index *x = above[i];
            if (x->prev && index_failed(x->prev) && !(x->status & BLOCK_FAILED_CHILD)) {
                x->status |= BLOCK_FAILED_CHILD;
                (void)index_write(c, x, false);
                index_leaf_remove(c, x);
            }
        }
        free(above);
    }
    if (bi->prev && !index_failed(bi->prev) && (bi->prev->status & BLOCK_HAVE_DATA))
        (void)index_leaf_add(c, bi->prev);
    index_recompute_best_header(c);
}

bool chain_note_tip_just(struct chain *c)
{
    struct block_index *tip = tip_of(c);
    if (tip->status & BLOCK_JUST_KNOWN)
        return true;
    struct checkpoint cur, prev;
    struct view *v = chain_view(c);
    bool ok = v && finality_justified(v, c->params, &cur, &prev);
    view_free(v);
    if (!ok) {
        log_printf("ERROR: cannot read the justified checkpoint of the tip: %s",
                   db_last_error(c->state));
        return false;
    }
    tip->just_epoch = cur.epoch;
    tip->status |= BLOCK_JUST_KNOWN;
    (void)index_write(c, tip, false);
    return true;
}

/* ---- the fork choice (doc/protocol.md section 20.4) ----
 *
 * A candidate ranks by (J, height, earlier arrival): J is the epoch of the
 * justified checkpoint in the state after it when known (it was connected),
 * else its floor, the known J of its nearest ancestor (justification only
 * moves up along a branch).  The tip's J is always known. */

/* Whether (j1, a) ranks above (j2, b). */
static bool rank_above(uint64_t j1, const struct block_index *a, uint64_t j2,
                       const struct block_index *b)
{
    if (j1 != j2)
        return j1 > j2;
    if (a->hdr.height != b->hdr.height)
        return a->hdr.height > b->hdr.height;
    return a->seq < b->seq;
}

/* The lowest height a candidate's walk looks at: a branch forking deeper
 * than finality_depth below the tip is never taken. */
static uint64_t walk_floor(const struct chain *c)
{
    uint64_t h = tip_of(c)->hdr.height, d = c->params->finality_depth;
    return h > d ? h - d : 0;
}

/* bi's nearest ancestor-or-self with a known J; NULL when none is within
 * reach of walk_floor (the floor is then 0). */
static struct block_index *just_anchor(const struct chain *c, struct block_index *bi)
{
    uint64_t low = walk_floor(c);
    while (bi && !(bi->status & BLOCK_JUST_KNOWN)) {
        if (bi->hdr.height <= low)
            return NULL;
        bi = bi->prev;
    }
    return bi;
}

static uint64_t just_floor(const struct chain *c, struct block_index *bi)
{
    const struct block_index *a = just_anchor(c, bi);
    return a ? a->just_epoch : 0;
}

static struct block_index *best_candidate(const struct chain *c)
{
    struct block_index *best = tip_of(c);
    uint64_t jbest = best->just_epoch;
    for (size_t i = 0; i < c->nleaves; i++) {
        struct block_index *bi = c->leaves[i];
        if (bi == best || index_failed(bi) || !(bi->status & BLOCK_HAVE_DATA))
            continue;
        uint64_t j = just_floor(c, bi);
        if (rank_above(j, bi, jbest, best)) {
            best = bi;
            jbest = j;
        }
    }
    return best;
}

/* bi's vote_top, read from its body when the index record predates it
 * (then kept); 0 when the body cannot be read. */
static uint64_t vote_top(struct chain *c, struct block_index *bi)
{
    if (!(bi->status & BLOCK_VOTES_KNOWN) && (bi->status & BLOCK_HAVE_DATA)) {
        struct block b;
        if (!chain_read_block(c, bi, &b))
            return 0;
        set_vote_top(c, bi, &b);
        block_free(&b);
        (void)index_write(c, bi, false);
    }
    return bi->vote_top;
}

/* A leaf worth evaluating when the best candidate is the tip: its J is not
 * known, and the upper bound of it (the floor, or a higher target epoch
 * voted for in a block above the anchor: justifying an epoch takes a vote
 * for it) would rank it above the tip.  The highest such bound first.  Only
 * branches that the tip could come back from (both sides of the fork within
 * finality_depth). */
static struct block_index *eval_candidate(struct chain *c)
{
    struct block_index *tip = tip_of(c), *pick = NULL;
    uint64_t jtip = tip->just_epoch, upick = 0;
    for (size_t i = 0; i < c->nleaves; i++) {
        struct block_index *bi = c->leaves[i];
        if (bi == tip || index_failed(bi) || !(bi->status & BLOCK_HAVE_DATA) ||
            (bi->status & BLOCK_JUST_KNOWN))
            continue;
        struct block_index *anchor = just_anchor(c, bi);
        uint64_t u = anchor ? anchor->just_epoch : 0;
        uint64_t low = anchor ? anchor->hdr.height : walk_floor(c);
        for (struct block_index *p = bi; p && p->hdr.height > low; p = p->prev) {
            uint64_t t = vote_top(c, p);
            if (t > u)
                u = t;
        }
        if (!rank_above(u, bi, jtip, tip) || (pick && !rank_above(u, bi, upick, pick)))
            continue;
        struct block_index *fork = index_fork_point(tip, bi);
        if (tip->hdr.height - fork->hdr.height > c->params->finality_depth ||
            bi->hdr.height - fork->hdr.height > c->params->finality_depth)
            continue;
        /* A branch whose first block's leader was not checked (it forks
         * below the tip's epoch) is evaluated only when that block's
         * proposer stakes at the tip: a throwaway key never makes the node
         * disconnect its chain. */
        struct block_index *first = index_ancestor(bi, fork->hdr.height + 1);
        if ((first->status & BLOCK_LEADER_UNCHECKED) && !(first->status & BLOCK_VALID) &&
            !chain_has_vote_weight(c, first->hdr.proposer))
            continue;
        pick = bi;
        upick = u;
    }
    return pick;
}

/* b applied to a view of the tip state, for connect_block to take, when b
 * extends the tip and the pool has workers to check it meanwhile; NULL when
 * not worth it, or when a transaction fails its stateless checks or the
 * transition fails (connect_block then applies it again and says why). */
static struct view *pre_apply(struct chain *c, const struct block_index *bi,
                              const struct block *b)
{
    struct validation pv;
    if (sigcheck_threads(c->sigcheck) < 2 || bi->prev != tip_of(c) || b->ntx < 2)
        return NULL;
    for (size_t i = 0; i < b->ntx; i++)
        if (!tx_check_nosig(&b->txs[i], c->params, &pv))
            return NULL;
    struct view *view = view_new(c->state, NULL);
    if (view && c->addrindex)
        view_journal_enable(view);
    if (view && (!apply_block(view, c->params, &bi->prev->hdr, b, &pv) || view_failed(view))) {
        view_free(view);
        view = NULL;
    }
    return view;
}

/* Hands connect_block a view with bi applied (NULL: none), dropping any
 * earlier one. */
static void set_pre_view(struct chain *c, const struct block_index *bi, struct view *pre)
{
    view_free(c->pre_view);
    c->pre_view = pre;
    c->pre_for = pre ? bi : NULL;
    c->pre_tip = tip_of(c);
}

/* The transactions' checks on the pool (sigcheck_begin/end) with the state
 * transition into a view meanwhile (pre_apply): true when they pass, with
 * the view in *pre (NULL when there is none). */
static bool check_txs_and_apply(struct chain *c, const struct block_index *bi,
                                const struct block *b, struct view **pre,
                                struct validation *v)
{
    sigcheck_begin(c->sigcheck, b, c->params);
    *pre = pre_apply(c, bi, b);
    if (!sigcheck_end(c->sigcheck, b, c->params, v)) {
        view_free(*pre);
        *pre = NULL;
        return false;
    }
    return true;
}

/* A block read back from the block files, checked in full before it may
 * change the state (as on arrival, signatures included). */
static bool check_stored(struct chain *c, const struct block_index *bi, const struct block *b,
                         struct validation *v)
{
    struct view *pre;
    if (!block_check_contents(b, c->params, v) || !check_txs_and_apply(c, bi, b, &pre, v))
        return false;
    set_pre_view(c, bi, pre);
    return true;
}

/* start_tip: the tip before the caller began changing the chain (NULL: the
 * current one); listeners hear of a new tip when it differs at the end. */
static bool activate_best(struct chain *c, const struct block *in_hand,
                          const struct block_index *in_hand_bi,
                          const struct block_index *start_tip, struct validation *v)
{
    if (!start_tip)
        start_tip = tip_of(c);
    bool ok = true, disconnected = false;

    for (;;) {
        struct block_index *best = best_candidate(c), *tip = tip_of(c);
        if (best == tip) {
            /* No known rank beats the tip: try a branch whose rank is not
             * known yet and could (it holds a vote for a higher epoch).
             * Connecting it makes its J known; if it then ranks below the
             * tip it left, the next round goes back. */
            if (!(best = eval_candidate(c)))
                break;
            char hex[2 * HASH_SIZE + 1];
            hash_to_hex(best->hash, hex);
            log_printf("evaluating the branch of %s (height %llu): it may justify an epoch "
                       "above %llu",
                       hex, (unsigned long long)best->hdr.height,
                       (unsigned long long)tip->just_epoch);
        }
        struct block_index *fork = index_fork_point(tip, best);
        uint64_t fin_height;
        uint8_t fin_hash[HASH_SIZE];
        (void)chain_finalized(c, &fin_height, fin_hash);
        if (fork->hdr.height < fin_height) {
            log_printf("not reorganizing to %llu: fork at height %llu is below the finalized "
                       "block at height %llu",
                       (unsigned long long)best->hdr.height, (unsigned long long)fork->hdr.height,
                       (unsigned long long)fin_height);
            index_leaf_remove(c, best);
            continue;
        }
        if (tip->hdr.height - fork->hdr.height > c->params->finality_depth) {
            log_printf("not reorganizing to %llu: fork at height %llu is deeper than the "
                       "finality depth",
                       (unsigned long long)best->hdr.height, (unsigned long long)fork->hdr.height);
            index_leaf_remove(c, best);
            continue;
        }
        while (tip_of(c) != fork) {
            if (!disconnect_tip(c, v))
                return false;
            disconnected = true;
        }
        /* Connect fork+1 .. best. */
        size_t len = (size_t)(best->hdr.height - fork->hdr.height);
        struct block_index **path = malloc(len * sizeof(*path));
        if (!path)
            return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        for (struct block_index *p = best; p != fork; p = p->prev)
            path[p->hdr.height - fork->hdr.height - 1] = p;
        for (size_t i = 0; i < len; i++) {
            struct block blk;
            const struct block *b = in_hand;
            struct validation bv;
            val_init(&bv);
            bool checked = true;
            if (path[i] != in_hand_bi) {
                if (!chain_read_block(c, path[i], &blk)) {
                    free(path);
                    return val_fail(v, VAL_ERROR, REJECT_BLOCK_READ_ERROR);
                }
                b = &blk;
                /* Read back from the block files: checked again in full,
                 * signatures included, before it changes the state. */
                checked = check_stored(c, path[i], b, &bv);
                if (!checked && bv.cls != VAL_ERROR) {
                    char hex[2 * HASH_SIZE + 1];
                    hash_to_hex(path[i]->hash, hex);
                    log_printf("ERROR: stored block %llu (%s) fails its checks: %s%s%s; the "
                               "chain stays at height %llu",
                               (unsigned long long)path[i]->hdr.height, hex, bv.reason,
                               bv.detail[0] ? ": " : "", bv.detail,
                               (unsigned long long)tip_of(c)->hdr.height);
                }
            }
            bool connected = false;
            if (checked) {
                uint64_t t0 = time_mono_us();
                connected = connect_block(c, path[i], b, &bv);
                c->last_connect_us = time_mono_us() - t0;
            }
            if (connected)
                notify(c, true, b, path[i]);
            if (b != in_hand)
                block_free(&blk);
            if (!connected) {
                if (bv.cls == VAL_ERROR) {
                    free(path);
                    *v = bv;
                    return false;
                }
                log_printf("invalid block %llu: %s%s%s", (unsigned long long)path[i]->hdr.height,
                           bv.reason, bv.detail[0] ? ": " : "", bv.detail);
                mark_failed(c, path[i]);
                if (path[i] == in_hand_bi) {
                    *v = bv;
                    ok = false;
                }
                break;
            }
        }
        free(path);
    }

    /* Also after an evaluation that came back to the tip it began at: the
     * blocks disconnected were announced (the mempool keeps their
     * transactions to add back until it hears of the tip). */
    if (tip_of(c) != start_tip || disconnected) {
        const struct block_index *tip = tip_of(c);
        char hex[2 * HASH_SIZE + 1];
        hash_to_hex(tip->hash, hex);
        if (tip != start_tip)
            log_printf("UpdateTip: new best=%s height=%llu slot=%llu txs=%u", hex,
                       (unsigned long long)tip->hdr.height, (unsigned long long)tip->hdr.slot,
                       tip->ntx);
        for (size_t i = 0; i < c->nlisteners; i++)
            if (c->listeners[i].tip_changed)
                c->listeners[i].tip_changed(c->listeners[i].arg, tip);
    }
    return ok;
}

bool chain_activate_best(struct chain *c, const struct block *in_hand,
                         const struct block_index *in_hand_bi,
                         const struct block_index *start_tip, struct validation *v)
{
    bool ok = activate_best(c, in_hand, in_hand_bi, start_tip, v);
    /* A view not taken was for a block not connected: never kept past
     * this call (its block index entry may go). */
    set_pre_view(c, NULL, NULL);
    /* Readers without the node lock see whole activations only: never a
     * tip in the middle of a reorganization. */
    chain_publish_tip(c);
    return ok;
}

/* Checks that need the parent's header but no state. */
static bool check_header_context(const struct chain_params *p, const struct block_header *hdr,
                                 const struct block_header *prev, struct validation *v)
{
    if (hdr->height != prev->height + 1)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_HEIGHT);
    if (hdr->slot <= prev->slot)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_SLOT);
    if (hdr->slot > (UINT64_MAX - p->genesis_time) / p->slot_seconds ||
        hdr->time != params_slot_start(p, hdr->slot))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_TIME);
    return true;
}

/* Whether a header's proposer led its slot, as far as the tip's state can
 * tell.
 *
 * The schedule of epoch e on a branch is fixed by the branch's blocks of
 * epochs up to e-2 (doc/protocol.md, "Leader schedule"); the state at hand is
 * the tip's, which holds the schedules a child of the tip would be checked
 * against (staking_schedule_for).  So a header at epoch e >= the tip's epoch
 * can be checked with it when, above the last block its branch shares with
 * the active chain (F), the first block of each branch is of epoch e-1 or
 * later: then both branches agree on every block the schedule depends on.
 * Otherwise it is LEADER_NOT_YET when the branch grows from the tip (its own
 * blocks must be connected first) and LEADER_UNKNOWN when it forks below the
 * tip (only a reorganization would tell). */
enum leader_check { LEADER_OK, LEADER_WRONG, LEADER_NOT_YET, LEADER_UNKNOWN };

static enum leader_check check_leader(struct chain *c, const struct block_header *hdr,
                                      struct block_index *prev)
{
    const struct chain_params *p = c->params;
    struct block_index *tip = tip_of(c);
    uint64_t e = params_epoch_of(p, hdr->slot);
    if (e < params_epoch_of(p, tip->hdr.slot))
        return LEADER_UNKNOWN;
    struct block_index *fork = index_fork_point(tip, prev);
    if (fork != tip && params_epoch_of(p, c->active[fork->hdr.height + 1]->hdr.slot) + 1 < e)
        return LEADER_UNKNOWN;
    const struct block_header *first =
        prev == fork ? hdr : &index_ancestor(prev, fork->hdr.height + 1)->hdr;
    if (params_epoch_of(p, first->slot) + 1 < e)
        return fork == tip ? LEADER_NOT_YET : LEADER_UNKNOWN;

    /* One schedule per (tip, epoch) is kept: a headers message is checked
     * with one state read. */
    if (c->sched_tip != tip || c->sched_epoch != e || !c->sched_valid) {
        struct view *v = view_new(c->state, NULL);
        schedule_free(&c->sched);
        schedule_init(&c->sched);
        c->sched_valid = v && staking_schedule_for(v, p, tip->hdr.slot, hdr->slot, &c->sched);
        view_free(v);
        if (!c->sched_valid) {
            schedule_free(&c->sched);
            return LEADER_UNKNOWN;
        }
        c->sched_tip = tip;
        c->sched_epoch = e;
    }
    size_t idx;
    if (!schedule_leader(&c->sched, hdr->slot, &idx) ||
        memcmp(c->sched.entries[idx].pubkey, hdr->proposer, PUBKEY_SIZE) != 0)
        return LEADER_WRONG;
    return LEADER_OK;
}

/* A header whose parent is known: contextual checks, the leader of its slot
 * where the tip's state tells it (check_leader), the proposer's signature,
 * and an index entry (without the body).  unchecked: a header whose leader
 * cannot be known before a reorganization (LEADER_UNKNOWN) is indexed all
 * the same; else it is refused as premature and indexes nothing.  The whole
 * proposer check (jailing, RANDAO) is done when the block is connected,
 * against its parent's state. */
static bool accept_header(struct chain *c, const struct block_header *hdr,
                          const uint8_t hash[HASH_SIZE], bool unchecked, struct block_index **out,
                          struct validation *v)
{
    struct block_index *bi = hmap_get(&c->map, hash, HASH_SIZE), *prev;
    if (bi) {
        if (index_failed(bi))
            return val_fail(v, VAL_CONSENSUS, REJECT_DUPLICATE_INVALID);
        *out = bi;
        return true;
    }
    prev = hmap_get(&c->map, hdr->prev, HASH_SIZE);
    if (!prev)
        return val_fail(v, VAL_PREMATURE, REJECT_PREV_BLK_NOT_FOUND);
    if (index_failed(prev))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_PREVBLK);
    if (!check_header_context(c->params, hdr, &prev->hdr, v))
        return false;
    if (prev != tip_of(c)) {
        struct block_index *fork = index_fork_point(tip_of(c), prev);
        uint64_t fin_height;
        uint8_t fin_hash[HASH_SIZE];
        (void)chain_finalized(c, &fin_height, fin_hash);
        if (fork->hdr.height < fin_height)
            return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FORK_PRIOR_TO_FINALIZED);
        if (chain_height(c) - fork->hdr.height > c->params->finality_depth)
            return val_fail(v, VAL_CONSENSUS, REJECT_BAD_FORK_PRIOR_TO_FINALITY);
    }
    if (hdr->version != BLOCK_VERSION)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_VERSION);
    bool leader_unchecked = (prev->status & BLOCK_LEADER_UNCHECKED) && !(prev->status & BLOCK_VALID);
    switch (check_leader(c, hdr, prev)) {
    case LEADER_OK:
        break;
    case LEADER_WRONG:
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_PROPOSER);
    case LEADER_NOT_YET:
        return val_fail(v, VAL_PREMATURE, REJECT_LEADER_NOT_YET_KNOWN);
    case LEADER_UNKNOWN:
        if (!unchecked)
            return val_fail(v, VAL_PREMATURE, REJECT_LEADER_UNKNOWN);
        leader_unchecked = true;
        break;
    }
    if (!header_check_sig(hdr, c->params->genesis_hash))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_SIG);
    index_check_double_proposal(c, hdr);
    if (!(bi = index_add(c, hdr, hash)))
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    if (leader_unchecked)
        bi->status |= BLOCK_LEADER_UNCHECKED;
    if (!index_write(c, bi, false))
        return val_fail(v, VAL_ERROR, REJECT_DB_WRITE_ERROR);
    if (hdr->height > c->best_header->hdr.height)
        c->best_header = bi;
    *out = bi;
    return true;
}

static bool process_header(struct chain *c, const struct block_header *hdr, bool unchecked,
                           struct validation *v)
{
    uint8_t hash[HASH_SIZE];
    struct block_index *bi;
    val_init(v);
    header_hash(hdr, hash);
    if (hmap_get(&c->map, hash, HASH_SIZE) && !index_failed(hmap_get(&c->map, hash, HASH_SIZE)))
        return val_fail(v, VAL_DUPLICATE, REJECT_DUPLICATE);
    return accept_header(c, hdr, hash, unchecked, &bi, v);
}

bool chain_process_header(struct chain *c, const struct block_header *hdr, struct validation *v)
{
    return process_header(c, hdr, false, v);
}

bool chain_process_header_unchecked(struct chain *c, const struct block_header *hdr,
                                    struct validation *v)
{
    return process_header(c, hdr, true, v);
}

bool chain_process_block(struct chain *c, const struct block *b, struct validation *v)
{
    uint8_t hash[HASH_SIZE];
    struct block_index *bi;

    val_init(v);
    header_hash(&b->hdr, hash);
    bi = hmap_get(&c->map, hash, HASH_SIZE);
    if (bi && (bi->status & BLOCK_HAVE_DATA))
        return val_fail(v, VAL_DUPLICATE, index_failed(bi) ? REJECT_DUPLICATE_INVALID : REJECT_DUPLICATE);
    if (!accept_header(c, &b->hdr, hash, false, &bi, v))
        return false;
    if (!(bi->prev->status & BLOCK_HAVE_DATA))
        return val_fail(v, VAL_PREMATURE, REJECT_PREV_BLK_NOT_STORED);
    /* A body that does not match its header (Merkle root) is rejected
     * without marking the header: the header may be honest. */
    if (!block_check_contents(b, c->params, v))
        return false;
    /* The transactions are checked on the pool while this thread applies
     * the block to a view of the tip state (when it extends the tip and
     * every transaction passed its stateless checks, which the transition
     * relies on); the verdict is the checks' first, the transition's only
     * at connect_block, as without the overlap. */
    struct view *pre;
    if (!check_txs_and_apply(c, bi, b, &pre, v))
        return false;
    if (!chain_store_block(c, bi, b)) {
        view_free(pre);
        return val_fail(v, VAL_ERROR, REJECT_BLOCK_STORE_ERROR);
    }
    index_leaf_remove(c, bi->prev);
    if (!index_leaf_add(c, bi)) {
        view_free(pre);
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    }
    set_pre_view(c, bi, pre);
    return chain_activate_best(c, b, bi, NULL, v);
}

struct sigcheck *chain_sigcheck(const struct chain *c)
{
    return c->sigcheck;
}

bool chain_invalidate(struct chain *c, const uint8_t hash[HASH_SIZE], struct validation *v)
{
    struct block_index *bi = hmap_get(&c->map, hash, HASH_SIZE);
    const struct block_index *start_tip = tip_of(c);
    val_init(v);
    if (!bi)
        return val_fail(v, VAL_STATE, REJECT_BLOCK_NOT_FOUND);
    if (!bi->prev)
        return val_fail(v, VAL_STATE, REJECT_CANNOT_INVALIDATE_GENESIS);
    while (chain_contains(c, bi) && tip_of(c) != bi->prev)
        if (!disconnect_tip(c, v))
            return false;
    /* Make the blocks that extended bi's parent on the active chain count as
     * leaves so the best remaining chain can be found. */
    mark_failed(c, bi);
    return chain_activate_best(c, NULL, NULL, start_tip, v);
}

static void clear_failed(void *arg, const struct block_index *cbi)
{
    struct block_index *bi = (struct block_index *)cbi;
    struct block_index *target = arg;
    if (!index_failed(bi) || index_ancestor(bi, target->hdr.height) != target)
        return;
    bi->status &= ~(uint32_t)(BLOCK_FAILED | BLOCK_FAILED_CHILD);
}

static void collect_leaf(void *arg, const struct block_index *cbi)
{
    struct chain *c = arg;
    struct block_index *bi = (struct block_index *)cbi;
    if (!index_failed(bi) && (bi->status & BLOCK_HAVE_DATA))
        (void)index_leaf_add(c, bi);
}

bool chain_reconsider(struct chain *c, const uint8_t hash[HASH_SIZE], struct validation *v)
{
    struct block_index *bi = hmap_get(&c->map, hash, HASH_SIZE);
    val_init(v);
    if (!bi)
        return val_fail(v, VAL_STATE, REJECT_BLOCK_NOT_FOUND);
    chain_foreach_index(c, clear_failed, bi);
    for (struct block_index *p = bi; p; p = p->prev)
        p->status &= ~(uint32_t)(BLOCK_FAILED | BLOCK_FAILED_CHILD);
    /* Rebuild the candidates from scratch: every valid block may be a tip;
     * best_candidate only looks at the best of them. */
    c->nleaves = 0;
    chain_foreach_index(c, collect_leaf, c);
    const struct hmap_slot *slot;
    for (size_t i = 0; hmap_next(&c->map, &i, &slot);)
        (void)index_write(c, slot->val, false);
    index_recompute_best_header(c);
    return chain_activate_best(c, NULL, NULL, NULL, v);
}

/* ---- the address index ---- */

bool chain_addrindex_enabled(const struct chain *c)
{
    return c->addrindex;
}

bool chain_addrindex_total(struct chain *c, const uint8_t pub[PUBKEY_SIZE], uint64_t *total)
{
    return addrindex_total(c->state, pub, total);
}

bool chain_addrindex_get(struct chain *c, const uint8_t pub[PUBKEY_SIZE], uint64_t i,
                         struct addrindex_entry *out)
{
    return addrindex_get(c->state, pub, i, out);
}
