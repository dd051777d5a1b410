/* AI Arena transactions, state side: the apply function of each of the ten
 * types.  Each checks its rules against the state of the block's height
 * (ctx->hdr->height) in the order of doc/protocol.md "18.5 Transaction
 * rules" and fails with that section's reject reason; the windows are the
 * task's fixed heights (consensus/arena.h), the terminal states are the
 * events' (state/arenaevents.c). */
#include "consensus/amount.h"
#include "consensus/arena.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/arenaevents.h"

#include <string.h>

/* ---- common ---- */

static bool read_error(struct validation *val)
{
    return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

static bool write_done(struct view *v, struct validation *val)
{
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

static bool task_over(uint8_t state)
{
    return state == ARENA_SETTLED || state == ARENA_REFUNDED || state == ARENA_FAILED;
}

/* The task and its status (arena-task-unknown). */
static bool load_task(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], struct arena_task *t,
                      struct arena_status *st, struct validation *val)
{
    if (!arena_get_task(v, task, t) || !arena_get_status(v, task, st))
        return view_failed(v) ? read_error(val) : val_fail(val, VAL_STATE, REJECT_ARENA_TASK_UNKNOWN);
    return true;
}

/* The block is in from .. to and the task has not ended (arena-window). */
static bool in_window(const struct block_ctx *ctx, const struct arena_status *st, uint64_t from,
                      uint64_t to, struct validation *val)
{
    const uint64_t h = ctx->hdr->height;
    if (task_over(st->state))
        return val_failf(val, VAL_STATE, REJECT_ARENA_WINDOW, "the task is %s",
                         arena_task_state_name(st->state));
    if (h < from || h > to)
        return val_failf(val, VAL_STATE, REJECT_ARENA_WINDOW, "window %llu..%llu",
                         (unsigned long long)from, (unsigned long long)to);
    return true;
}

/* The sender's operator record with the role (arena-role). */
static bool load_role(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      const uint8_t pub[PUBKEY_SIZE], uint8_t role, struct arena_operator *o,
                      struct validation *val)
{
    if (!arena_get_operator(v, task, pub, o))
        return view_failed(v) ? read_error(val)
                              : val_failf(val, VAL_STATE, REJECT_ARENA_ROLE, "not a %s of the task",
                                          arena_role_name(role));
    if (o->role != role)
        return val_failf(val, VAL_STATE, REJECT_ARENA_ROLE, "a %s, not a %s",
                         arena_role_name(o->role), arena_role_name(role));
    return true;
}

/* The sets a validator was drawn for at ASSIGN. */
static unsigned sets_assigned(const struct arena_task *t, const struct arena_operator *o)
{
    unsigned n = 0;
    for (unsigned k = 0; k < t->p.k && k < ARENA_MAX_SETS; k++)
        n += o->count[k] > 0;
    return n;
}

/* ---- ARENA_TASK_CREATE ---- */

bool arena_apply_task_create(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                             struct validation *val)
{
    struct arena_task t;
    struct arena_status st;
    uint8_t id[ARENA_TASK_ID_SIZE];
    memset(&t, 0, sizeof(t));
    if (!arena_task_create_decode(&t.p, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    tx_txid(tx, id);
    if (arena_get_status(v, id, &st))
        return val_fail(val, VAL_STATE, REJECT_ARENA_DUPLICATE);
    if (view_failed(v))
        return read_error(val);
    memcpy(t.creator, tx->sender, PUBKEY_SIZE);
    t.created_height = ctx->hdr->height;
    arena_windows(&t, &t.w);
    /* Every event at its fixed height, or arena-height-full. */
    if (!arena_schedule_task(v, ctx, id, &t, val))
        return false;
    /* The budget leaves the creator; the burn is taken first, the rest is
     * locked in the task. */
    const uint64_t burn = arena_burn(t.p.budget, ctx->params->arena_burn_bps);
    if (!accounts_debit(v, tx->sender, t.p.budget, val) || !arena_burn_supply(v, burn, val))
        return false;
    arena_put_task(v, id, &t);
    memset(&st, 0, sizeof(st));
    st.state = ARENA_OPEN;
    st.burn = burn;
    st.budget_left = t.p.budget - burn;
    arena_put_status(v, id, &st);
    return write_done(v, val);
}

/* ---- ARENA_STAKE ---- */

bool arena_apply_stake(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                       struct validation *val)
{
    struct arena_stake s;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    if (!arena_stake_decode(&s, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, s.task, &t, &st, val) ||
        !in_window(ctx, &st, t.w.created + 1, t.w.submit_end, val))
        return false;
    if (arena_get_operator(v, s.task, tx->sender, &o)) {
        if (o.role != s.role)
            return val_failf(val, VAL_STATE, REJECT_ARENA_ROLE, "already a %s of the task",
                             arena_role_name(o.role));
    } else {
        if (view_failed(v))
            return read_error(val);
        /* The first stake takes a seat of the role; it must reach the
         * role's minimum, or one base unit an address would fill every
         * seat (doc/security.md "Arena seats squatted for one unit"). */
        const bool trainer = s.role == ARENA_ROLE_TRAINER;
        uint16_t *seats = trainer ? &st.n_trainers : &st.n_validators;
        const uint16_t max = trainer ? t.p.max_trainers : t.p.max_validators;
        const uint64_t min = trainer ? t.p.trainer_min_stake : t.p.validator_min_stake;
        if (s.amount < min)
            return val_failf(val, VAL_STATE, REJECT_ARENA_STAKE_LOW, "a first stake below %llu",
                             (unsigned long long)min);
        if (*seats >= max)
            return val_failf(val, VAL_STATE, REJECT_ARENA_TASK_FULL, "%u %ss", max,
                             arena_role_name(s.role));
        (*seats)++;
        memset(&o, 0, sizeof(o));
        o.role = s.role;
        if (!arena_add_operator(v, s.task, tx->sender))
            return read_error(val);
        arena_put_status(v, s.task, &st);
    }
    if (!amount_add(&o.own, s.amount))
        return val_fail(val, VAL_STATE, REJECT_ARENA_OVERFLOW);
    if (!accounts_debit(v, tx->sender, s.amount, val))
        return false;
    arena_put_operator(v, s.task, tx->sender, &o);
    return write_done(v, val);
}

/* ---- ARENA_DELEGATE ---- */

bool arena_apply_delegate(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val)
{
    struct arena_delegate d;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    struct arena_delegation rec;
    if (!arena_delegate_decode(&d, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, d.task, &t, &st, val) ||
        !in_window(ctx, &st, t.w.created + 1, t.w.submit_end, val))
        return false;
    if (!arena_get_operator(v, d.task, d.op, &o))
        return view_failed(v) ? read_error(val)
                              : val_fail(val, VAL_STATE, REJECT_ARENA_ROLE);
    if (!arena_get_delegation(v, d.task, d.op, tx->sender, &rec)) {
        if (view_failed(v))
            return read_error(val);
        memset(&rec, 0, sizeof(rec));
        o.del_count++;
    }
    if (!amount_add(&rec.amount, d.amount) || !amount_add(&o.del_total, d.amount) ||
        !amount_add(&o.del_value, d.amount))
        return val_fail(val, VAL_STATE, REJECT_ARENA_OVERFLOW);
    if (!accounts_debit(v, tx->sender, d.amount, val))
        return false;
    arena_put_delegation(v, d.task, d.op, tx->sender, &rec);
    arena_put_operator(v, d.task, d.op, &o);
    return write_done(v, val);
}

/* ---- ARENA_UNDELEGATE ---- */

bool arena_apply_undelegate(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *val)
{
    const uint64_t h = ctx->hdr->height;
    struct arena_undelegate u;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    struct arena_delegation rec;
    if (!arena_undelegate_decode(&u, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, u.task, &t, &st, val))
        return false;
    if (!arena_get_operator(v, u.task, u.op, &o) ||
        !arena_get_delegation(v, u.task, u.op, tx->sender, &rec))
        return view_failed(v) ? read_error(val)
                              : val_fail(val, VAL_STATE, REJECT_ARENA_NOTHING);
    if (h <= t.w.submit_end && !task_over(st.state)) {
        /* A cancellation: the amount comes back whole. */
        if (!amount_sub(&o.del_total, rec.amount) || !amount_sub(&o.del_value, rec.amount) ||
            o.del_count == 0)
            return val_fail(val, VAL_ERROR, REJECT_ARENA_OVERFLOW);
        o.del_count--;
        if (!accounts_credit(v, tx->sender, rec.amount, val))
            return false;
        arena_del_delegation(v, u.task, u.op, tx->sender);
        arena_put_operator(v, u.task, u.op, &o);
        return write_done(v, val);
    }
    if (!task_over(st.state))
        return val_failf(val, VAL_STATE, REJECT_ARENA_LOCKED, "locked until the task's end");
    /* A claim.  The principal once: its share of what the delegations are
     * worth after slashes, the last delegator to claim it taking the
     * remainder (del_count counts those not yet paid). */
    uint64_t principal = 0, reward = 0;
    bool changed = false;
    if (!(rec.flags & ARENA_DEL_PRINCIPAL_PAID)) {
        if (o.del_count == 0 || o.del_principal_paid > o.del_value)
            return val_fail(val, VAL_ERROR, REJECT_ARENA_OVERFLOW);
        principal = o.del_count == 1 ? o.del_value - o.del_principal_paid
                                     : arena_pro_rata(o.del_value, rec.amount, o.del_total);
        if (principal > o.del_value - o.del_principal_paid)
            principal = o.del_value - o.del_principal_paid;
        rec.flags |= ARENA_DEL_PRINCIPAL_PAID;
        rec.principal = principal;
        o.del_principal_paid += principal;
        o.del_count--;
        changed = true;
    }
    /* The rewards credited so far: its entitlement less what it claimed. */
    const uint64_t entitled = arena_pro_rata(o.d_credit, rec.amount, o.del_total);
    if (entitled > rec.claimed) {
        reward = entitled - rec.claimed;
        if (reward > o.d_credit - o.d_claimed)
            return val_fail(val, VAL_ERROR, REJECT_ARENA_OVERFLOW);
        rec.claimed = entitled;
        o.d_claimed += reward;
    }
    /* Everything is paid once no tranche can still be credited. */
    const bool tranches_left = st.state == ARENA_SETTLED && st.vest_done < t.p.vest_epochs;
    const bool done = !tranches_left;
    if (!changed && reward == 0 && !done)
        return val_fail(val, VAL_STATE, REJECT_ARENA_NOTHING);
    if (!accounts_credit(v, tx->sender, principal + reward, val))
        return false;
    if (done)
        arena_del_delegation(v, u.task, u.op, tx->sender);
    else
        arena_put_delegation(v, u.task, u.op, tx->sender, &rec);
    arena_put_operator(v, u.task, u.op, &o);
    return write_done(v, val);
}

/* ---- ARENA_SET_SHARE ---- */

bool arena_apply_set_share(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                           struct validation *val)
{
    struct arena_set_share s;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    if (!arena_set_share_decode(&s, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, s.task, &t, &st, val) ||
        !in_window(ctx, &st, t.w.created + 1, t.w.submit_end, val))
        return false;
    if (!arena_get_operator(v, s.task, tx->sender, &o))
        return view_failed(v) ? read_error(val)
                              : val_fail(val, VAL_STATE, REJECT_ARENA_ROLE);
    /* At most once per chain epoch (the epoch of the block's slot). */
    const uint64_t epoch = params_epoch_of(ctx->params, ctx->hdr->slot);
    if ((o.flags & ARENA_OP_SHARE_SET) && o.sigma_epoch == epoch)
        return val_failf(val, VAL_STATE, REJECT_ARENA_SHARE_RATE, "already set in epoch %llu",
                         (unsigned long long)epoch);
    /* With delegations in, sigma may rise but not fall: a fall in the
     * window's last block would leave them no block to cancel in
     * (doc/security.md "Arena share lowered under locked delegators"). */
    if (s.sigma_bps < o.sigma_bps && o.del_total > 0)
        return val_failf(val, VAL_STATE, REJECT_ARENA_SHARE_RATE,
                         "below %u with delegations in", o.sigma_bps);
    o.sigma_bps = s.sigma_bps;
    o.sigma_epoch = epoch;
    o.flags |= ARENA_OP_SHARE_SET;
    arena_put_operator(v, s.task, tx->sender, &o);
    return write_done(v, val);
}

/* ---- ARENA_SUBMIT_COMMIT ---- */

bool arena_apply_submit_commit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                               struct validation *val)
{
    struct arena_commit c;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    if (!arena_commit_decode(&c, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, c.task, &t, &st, val) ||
        !in_window(ctx, &st, t.w.created + 1, t.w.submit_end, val) ||
        !load_role(v, c.task, tx->sender, ARENA_ROLE_TRAINER, &o, val))
        return false;
    if (o.flags & ARENA_OP_COMMITTED)
        return val_fail(val, VAL_STATE, REJECT_ARENA_DUPLICATE);
    if (st.n_commits == UINT32_MAX)
        return val_fail(val, VAL_STATE, REJECT_ARENA_OVERFLOW);
    o.flags |= ARENA_OP_COMMITTED;
    o.seq = st.n_commits++;
    o.commit_height = ctx->hdr->height;
    memcpy(o.commitment, c.commitment, HASH_SIZE);
    arena_put_operator(v, c.task, tx->sender, &o);
    arena_put_status(v, c.task, &st);
    return write_done(v, val);
}

/* ---- ARENA_SUBMIT_REVEAL ---- */

bool arena_apply_submit_reveal(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                               struct validation *val)
{
    struct arena_submit_reveal r;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    uint8_t expect[HASH_SIZE], model[HASH_SIZE];
    if (!arena_submit_reveal_decode(&r, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, r.task, &t, &st, val) ||
        !in_window(ctx, &st, t.w.submit_end + 1, t.w.reveal_end, val) ||
        !load_role(v, r.task, tx->sender, ARENA_ROLE_TRAINER, &o, val))
        return false;
    if (!(o.flags & ARENA_OP_COMMITTED))
        return val_failf(val, VAL_STATE, REJECT_ARENA_COMMIT_MISMATCH, "no commitment");
    if (o.flags & ARENA_OP_REVEALED)
        return val_fail(val, VAL_STATE, REJECT_ARENA_DUPLICATE);
    const uint64_t nparams = fl_param_count(&t.p.spec);
    if (r.n != nparams)
        return val_failf(val, VAL_STATE, REJECT_ARENA_SIZE, "%llu weights, the model has %llu",
                         (unsigned long long)r.n, (unsigned long long)nparams);
    fl_model_hash(model, r.weights, (size_t)r.n);
    arena_submission_commitment(expect, r.task, tx->sender, model, r.salt);
    if (memcmp(expect, o.commitment, HASH_SIZE) != 0)
        return val_fail(val, VAL_STATE, REJECT_ARENA_COMMIT_MISMATCH);
    o.flags |= ARENA_OP_REVEALED;
    memcpy(o.model_hash, model, HASH_SIZE);
    arena_put_weights(v, r.task, tx->sender, r.weights, r.n);
    arena_put_operator(v, r.task, tx->sender, &o);
    return write_done(v, val);
}

/* ---- ARENA_REVEAL_VALSET ---- */

bool arena_apply_reveal_valset(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                               struct validation *val)
{
    struct arena_reveal_valset r;
    struct arena_task t;
    struct arena_status st;
    const uint8_t *old;
    size_t old_len;
    uint8_t leaf[HASH_SIZE];
    if (!arena_reveal_valset_decode(&r, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, r.task, &t, &st, val) ||
        !in_window(ctx, &st, t.w.reveal_end + 1, t.w.sets_end, val))
        return false;
    if (memcmp(tx->sender, t.creator, PUBKEY_SIZE) != 0)
        return val_failf(val, VAL_STATE, REJECT_ARENA_ROLE, "not the task's creator");
    if (r.set >= t.p.k)
        return val_failf(val, VAL_STATE, REJECT_ARENA_VALSET_PROOF, "set %u of %u", r.set, t.p.k);
    const struct arena_set_commit *sc = &t.p.sets[r.set];
    if (r.chunk >= sc->n_chunks)
        return val_failf(val, VAL_STATE, REJECT_ARENA_VALSET_PROOF, "chunk %u of %u", r.chunk,
                         sc->n_chunks);
    if (arena_get_chunk(v, r.task, r.set, r.chunk, &old, &old_len))
        return val_fail(val, VAL_STATE, REJECT_ARENA_DUPLICATE);
    if (view_failed(v))
        return read_error(val);
    arena_leaf_hash(leaf, r.salt, r.set, r.chunk, r.data, r.len);
    if (!arena_merkle_verify(sc->root, sc->n_chunks, r.chunk, leaf, r.path, r.npath))
        return val_fail(val, VAL_STATE, REJECT_ARENA_VALSET_PROOF);
    const uint64_t row = arena_row_size(&t.p.spec);
    if (row == 0 || r.len % row != 0)
        return val_failf(val, VAL_STATE, REJECT_ARENA_VALSET_ROWS, "%u bytes, rows of %llu",
                         r.len, (unsigned long long)row);
    const uint64_t rows = r.len / row;
    if (st.rows_revealed[r.set] + rows > sc->n_rows)
        return val_failf(val, VAL_STATE, REJECT_ARENA_VALSET_ROWS, "more than %u rows",
                         sc->n_rows);
    st.rows_revealed[r.set] += (uint32_t)rows;
    st.chunks_revealed[r.set]++;
    if (st.chunks_revealed[r.set] == sc->n_chunks && st.rows_revealed[r.set] == sc->n_rows)
        st.sets_complete |= (uint8_t)(1u << r.set);
    arena_put_chunk(v, r.task, r.set, r.chunk, r.data, r.len);
    arena_put_status(v, r.task, &st);
    return write_done(v, val);
}

/* ---- ARENA_SCORE_COMMIT ---- */

bool arena_apply_score_commit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                              struct validation *val)
{
    struct arena_commit c;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    if (!arena_commit_decode(&c, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, c.task, &t, &st, val) ||
        !in_window(ctx, &st, t.w.sets_end + 1, t.w.score_commit_end, val) ||
        !load_role(v, c.task, tx->sender, ARENA_ROLE_VALIDATOR, &o, val))
        return false;
    if (sets_assigned(&t, &o) == 0)
        return val_failf(val, VAL_STATE, REJECT_ARENA_ROLE, "not assigned to any set");
    if (o.flags & ARENA_OP_SCORE_COMMITTED)
        return val_fail(val, VAL_STATE, REJECT_ARENA_DUPLICATE);
    o.flags |= ARENA_OP_SCORE_COMMITTED;
    memcpy(o.score_commitment, c.commitment, HASH_SIZE);
    arena_put_operator(v, c.task, tx->sender, &o);
    return write_done(v, val);
}

/* ---- ARENA_SCORE_REVEAL ---- */

bool arena_apply_score_reveal(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                              struct validation *val)
{
    struct arena_score_reveal r;
    struct arena_task t;
    struct arena_status st;
    struct arena_operator o;
    uint8_t expect[HASH_SIZE];
    if (!arena_score_reveal_decode(&r, tx->payload, tx->payload_len))
        return val_fail(val, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!load_task(v, r.task, &t, &st, val) ||
        !in_window(ctx, &st, t.w.score_commit_end + 1, t.w.settle, val) ||
        !load_role(v, r.task, tx->sender, ARENA_ROLE_VALIDATOR, &o, val))
        return false;
    const unsigned sets = sets_assigned(&t, &o);
    if (sets == 0)
        return val_failf(val, VAL_STATE, REJECT_ARENA_ROLE, "not assigned to any set");
    if (!(o.flags & ARENA_OP_SCORE_COMMITTED))
        return val_failf(val, VAL_STATE, REJECT_ARENA_COMMIT_MISMATCH, "no commitment");
    if (o.flags & ARENA_OP_SCORE_REVEALED)
        return val_fail(val, VAL_STATE, REJECT_ARENA_DUPLICATE);
    /* One loss per (assigned set, scoreable submission): sets ascending,
     * then submissions in commit order. */
    const uint64_t expect_n = (uint64_t)sets * st.n_scoreable;
    if (r.n != expect_n)
        return val_failf(val, VAL_STATE, REJECT_ARENA_SIZE, "%u losses, expected %llu", r.n,
                         (unsigned long long)expect_n);
    arena_scores_commitment(expect, r.task, tx->sender, r.n, r.losses, r.salt);
    if (memcmp(expect, o.score_commitment, HASH_SIZE) != 0)
        return val_fail(val, VAL_STATE, REJECT_ARENA_COMMIT_MISMATCH);
    o.flags |= ARENA_OP_SCORE_REVEALED;
    arena_put_losses(v, r.task, tx->sender, r.losses, r.n);
    arena_put_operator(v, r.task, tx->sender, &o);
    return write_done(v, val);
}

/* ---- expiry ---- */

uint64_t arena_tx_expiry(struct view *v, const struct tx *tx)
{
    struct arena_task t;
    const uint8_t *task;
    /* Every windowed payload starts with the task id. */
    switch (tx->type) {
    case TX_ARENA_STAKE:
    case TX_ARENA_DELEGATE:
    case TX_ARENA_SET_SHARE:
    case TX_ARENA_SUBMIT_COMMIT:
    case TX_ARENA_SUBMIT_REVEAL:
    case TX_ARENA_REVEAL_VALSET:
    case TX_ARENA_SCORE_COMMIT:
    case TX_ARENA_SCORE_REVEAL:
        break;
    default:
        return 0;
    }
    if (tx->payload_len < ARENA_TASK_ID_SIZE)
        return 0;
    task = tx->payload;
    if (!arena_get_task(v, task, &t))
        return 0;
    switch (tx->type) {
    case TX_ARENA_SUBMIT_REVEAL:
        return t.w.reveal_end;
    case TX_ARENA_REVEAL_VALSET:
        return t.w.sets_end;
    case TX_ARENA_SCORE_COMMIT:
        return t.w.score_commit_end;
    case TX_ARENA_SCORE_REVEAL:
        return t.w.settle;
    default:
        return t.w.submit_end;
    }
}
