/* Staking transactions, state side: registration, self-stake, delegation,
 * unbonding and slashing by evidence.  Rules and reasons in doc/protocol.md
 * ("Staking"). */
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/stakingtx.h"
#include "state/accounts.h"
#include "state/staking.h"

#include <stdlib.h>
#include <string.h>

/* ---- records ---- */

static bool store_validator(struct view *v, const uint8_t pub[PUBKEY_SIZE],
                            const struct validator *val)
{
    uint8_t key[VALIDATOR_KEY_SIZE];
    struct wbuf w;
    if (view_journaling(v)) {
        /* Self-stake changes (bond, unbond, slash) for the address index. */
        struct validator old;
        if (!staking_get_validator(v, pub, &old))
            old.self_stake = 0;
        if (old.self_stake != val->self_stake)
            view_journal_stake(v, pub, old.self_stake, val->self_stake);
    }
    wbuf_init(&w);
    validator_key(key, pub);
    validator_encode(val, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
    return !view_failed(v);
}

bool staking_put_validator(struct view *v, const uint8_t pub[PUBKEY_SIZE],
                           const struct validator *val)
{
    return store_validator(v, pub, val);
}

static void delegation_key(uint8_t key[DELEGATION_KEY_SIZE], const uint8_t validator[PUBKEY_SIZE],
                           const uint8_t delegator[PUBKEY_SIZE])
{
    key[0] = 'd';
    memcpy(key + 1, validator, PUBKEY_SIZE);
    memcpy(key + 1 + PUBKEY_SIZE, delegator, PUBKEY_SIZE);
}

bool staking_get_delegation(struct view *v, const uint8_t validator[PUBKEY_SIZE],
                            const uint8_t delegator[PUBKEY_SIZE], struct delegation *out)
{
    uint8_t key[DELEGATION_KEY_SIZE];
    const uint8_t *val;
    size_t vlen;
    memset(out, 0, sizeof(*out));
    delegation_key(key, validator, delegator);
    if (!view_get(v, key, sizeof(key), &val, &vlen))
        return false;
    if (!delegation_decode(out, val, vlen)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static void put_delegation(struct view *v, const uint8_t validator[PUBKEY_SIZE],
                           const uint8_t delegator[PUBKEY_SIZE], const struct delegation *d)
{
    uint8_t key[DELEGATION_KEY_SIZE];
    struct wbuf w;
    delegation_key(key, validator, delegator);
    if (d->shares == 0) {
        view_del(v, key, sizeof(key));
        return;
    }
    wbuf_init(&w);
    delegation_encode(d, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
}

/* Adds to the running totals of "gstats" (minted, fees, paid, burned).  They
 * are statistics, counted modulo 2^64: the same coins paid again and again
 * as fees count each time, so no bound holds for them and adding to them
 * never fails a block.  False only when the record cannot be read. */
bool staking_add_stat(struct view *v, enum staking_stat which, uint64_t amount)
{
    struct staking_stats st;
    if (!staking_get_stats(v, &st))
        return false;
    uint64_t *field = which == STAT_MINTED ? &st.minted
                      : which == STAT_FEES ? &st.fees
                      : which == STAT_PAID ? &st.paid
                                           : &st.burned;
    *field += amount; /* wraps modulo 2^64 */
    staking_put_stats(v, &st);
    return true;
}

/* The number of entries queued at height (0 when none). */
static bool unbonding_count(struct view *v, uint64_t height, uint64_t *out)
{
    uint8_t key[UNBONDING_COUNT_KEY_SIZE];
    const uint8_t *cur;
    size_t len;
    unbonding_key(key, height);
    *out = 0;
    if (!view_get(v, key, sizeof(key), &cur, &len))
        return !view_failed(v);
    if (len != 8 || (*out = read_le64(cur)) == 0) {
        view_set_failed(v);
        return false;
    }
    return true;
}

/* A validator's queue of pending unbonding entries ('Q', consensus/staking.h). */
static void vq_key(uint8_t key[UNBONDING_VQ_ENTRY_KEY_SIZE], const uint8_t validator[PUBKEY_SIZE],
                   uint64_t seq)
{
    key[0] = 'Q';
    memcpy(key + 1, validator, PUBKEY_SIZE);
    write_be64(key + 1 + PUBKEY_SIZE, seq);
}

static bool vq_get(struct view *v, const uint8_t validator[PUBKEY_SIZE], uint64_t *head,
                   uint64_t *tail)
{
    uint8_t key[UNBONDING_VQ_ENTRY_KEY_SIZE];
    const uint8_t *cur;
    size_t len;
    vq_key(key, validator, 0);
    *head = *tail = 0;
    if (!view_get(v, key, UNBONDING_VQ_KEY_SIZE, &cur, &len))
        return !view_failed(v);
    if (len != 16 || (*head = read_le64(cur)) >= (*tail = read_le64(cur + 8))) {
        view_set_failed(v);
        return false;
    }
    return true;
}

static void vq_put(struct view *v, const uint8_t validator[PUBKEY_SIZE], uint64_t head,
                   uint64_t tail)
{
    uint8_t key[UNBONDING_VQ_ENTRY_KEY_SIZE], buf[16];
    vq_key(key, validator, 0);
    if (head == tail) {
        view_del(v, key, UNBONDING_VQ_KEY_SIZE);
        return;
    }
    write_le64(buf, head);
    write_le64(buf + 8, tail);
    view_put(v, key, UNBONDING_VQ_KEY_SIZE, buf, sizeof(buf));
}

/* Queues amount for owner, credited at the end of block `maturity`: one new
 * key and the count, and one key in validator's queue, O(1) whatever the
 * queues already hold.  validator is the one the stake was bonded to: a
 * slash of it for an offence before created_slot still cuts the entry. */
static bool add_unbonding(struct view *v, const struct block_ctx *ctx,
                          const uint8_t owner[PUBKEY_SIZE], const uint8_t validator[PUBKEY_SIZE],
                          uint64_t amount)
{
    uint8_t key[UNBONDING_ENTRY_KEY_SIZE], count_le[8], qkey[UNBONDING_VQ_ENTRY_KEY_SIZE], ref[16];
    uint64_t n, head, tail;
    uint64_t maturity = ctx->hdr->height + ctx->params->unbonding_blocks;
    struct wbuf w;
    struct unbonding_entry e = {.amount = amount, .created_slot = ctx->hdr->slot};
    if (!unbonding_count(v, maturity, &n) || !vq_get(v, validator, &head, &tail))
        return false;
    memcpy(e.owner, owner, PUBKEY_SIZE);
    memcpy(e.validator, validator, PUBKEY_SIZE);
    unbonding_entry_key(key, maturity, n);
    wbuf_init(&w);
    unbonding_entry_encode(&e, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
    write_le64(count_le, n + 1);
    view_put(v, key, UNBONDING_COUNT_KEY_SIZE, count_le, sizeof(count_le));
    vq_key(qkey, validator, tail);
    write_le64(ref, maturity);
    write_le64(ref + 8, n);
    view_put(v, qkey, sizeof(qkey), ref, sizeof(ref));
    vq_put(v, validator, head, tail + 1);
    return !view_failed(v);
}

/* Pops the entry (maturity, index) off the front of validator's queue: the
 * entries mature in the order they were queued. */
static bool vq_pop(struct view *v, const uint8_t validator[PUBKEY_SIZE], uint64_t maturity,
                   uint64_t index)
{
    uint8_t qkey[UNBONDING_VQ_ENTRY_KEY_SIZE];
    const uint8_t *ref;
    size_t len;
    uint64_t head, tail;
    if (!vq_get(v, validator, &head, &tail) || head == tail)
        return false;
    vq_key(qkey, validator, head);
    if (!view_get(v, qkey, sizeof(qkey), &ref, &len) || len != 16 || read_le64(ref) != maturity ||
        read_le64(ref + 8) != index)
        return false;
    view_del(v, qkey, sizeof(qkey));
    vq_put(v, validator, head + 1, tail);
    return !view_failed(v);
}

/* Cuts slash_bps of each of validator's pending entries queued at or after
 * ref_slot (the newest first, stopping at the first older one): work in
 * the number of entries queued since the offence.  *cut is what they lost. */
static bool slash_unbonding(struct view *v, const struct chain_params *p,
                            const uint8_t validator[PUBKEY_SIZE], uint64_t ref_slot, uint64_t *cut)
{
    uint64_t head, tail;
    *cut = 0;
    if (!vq_get(v, validator, &head, &tail))
        return false;
    for (uint64_t seq = tail; seq > head; seq--) {
        uint8_t qkey[UNBONDING_VQ_ENTRY_KEY_SIZE], key[UNBONDING_ENTRY_KEY_SIZE];
        const uint8_t *ref, *data;
        size_t len;
        struct unbonding_entry e;
        struct wbuf w;
        vq_key(qkey, validator, seq - 1);
        if (!view_get(v, qkey, sizeof(qkey), &ref, &len) || len != 16)
            return false;
        unbonding_entry_key(key, read_le64(ref), read_le64(ref + 8));
        if (!view_get(v, key, sizeof(key), &data, &len) || !unbonding_entry_decode(&e, data, len))
            return false;
        if (e.created_slot < ref_slot)
            break;
        uint64_t c = mul_div_floor(e.amount, p->slash_bps, 10000);
        if (c == 0)
            continue;
        e.amount -= c;
        *cut += c; /* parts of coins that exist: no overflow */
        wbuf_init(&w);
        unbonding_entry_encode(&e, &w);
        view_put_wbuf(v, key, sizeof(key), &w);
        wbuf_free(&w);
    }
    return !view_failed(v);
}

static bool delete_record(struct view *v, const uint8_t pub[PUBKEY_SIZE], struct validator *val,
                          struct validation *vs);

bool staking_retire(struct view *v, struct block_ctx *ctx, const uint8_t pub[PUBKEY_SIZE],
                    struct validator *val, struct validation *vs)
{
    if (val->self_stake) {
        if (!add_unbonding(v, ctx, pub, pub, val->self_stake))
            return val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
        val->self_stake = 0;
    }
    /* The record also stays while unbonding entries from it are pending:
     * evidence of an offence before they were queued still reaches them
     * through it (the last one to mature deletes it, delete_if_done). */
    uint64_t head, tail;
    if (!vq_get(v, pub, &head, &tail))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (val->status == VALIDATOR_JAILED || val->shares != 0 || head != tail) {
        if (val->status != VALIDATOR_JAILED)
            val->status = VALIDATOR_EXITED;
        return store_validator(v, pub, val) || val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
    }
    return delete_record(v, pub, val, vs);
}

/* Deletes the record of an exited validator with no share and no pending
 * unbonding entry left: what remains in the bank (rounding dust) and in
 * `delegated` (tokens no share stands for any more) goes to its key. */
static bool delete_record(struct view *v, const uint8_t pub[PUBKEY_SIZE], struct validator *val,
                          struct validation *vs)
{
    uint8_t key[VALIDATOR_KEY_SIZE];
    uint64_t dust = val->bank;
    validator_key(key, pub);
    view_del(v, key, sizeof(key));
    if (!amount_add(&dust, val->delegated))
        return val_fail(vs, VAL_ERROR, REJECT_STAKE_OVERFLOW);
    if (dust) {
        if (!accounts_credit(v, pub, dust, vs))
            return false;
        if (val->bank && !staking_add_stat(v, STAT_PAID, val->bank))
            return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    }
    return !view_failed(v) || val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

/* Pays a delegation its accrued rewards and resets its snapshot. */
static bool settle(struct view *v, struct validator *val, const uint8_t delegator[PUBKEY_SIZE],
                   struct delegation *d, struct validation *vs)
{
    uint64_t pending = delegation_pending(val, d);
    d->snapshot = val->acc;
    if (pending == 0)
        return true;
    /* The accrual rounds down, so the bank always covers what is pending.
     * Were it ever short, the transaction is invalid (a builder skips it,
     * a block carrying it is refused) rather than a local error that every
     * node would meet again on each try of the same block. */
    if (pending > val->bank)
        return val_fail(vs, VAL_CONSENSUS, REJECT_REWARD_BANK_SHORT);
    val->bank -= pending;
    return accounts_credit(v, delegator, pending, vs) &&
           (staking_add_stat(v, STAT_PAID, pending) || val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR));
}

/* ---- the list of registered validators ---- */

static bool list_insert(struct view *v, const struct chain_params *p,
                        const uint8_t pub[PUBKEY_SIZE], struct validation *vs)
{
    const uint8_t *data, *keys;
    size_t len, n, pos = 0;
    struct wbuf w;
    if (!view_get(v, VALIDATOR_LIST_KEY, 1, &data, &len) ||
        !validator_list_decode(&keys, &n, data, len, p->max_validators))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (n >= p->max_validators)
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_TOO_MANY_VALIDATORS);
    while (pos < n && memcmp(keys + pos * PUBKEY_SIZE, pub, PUBKEY_SIZE) < 0)
        pos++;
    wbuf_init(&w);
    put_compact(&w, n + 1);
    put_bytes(&w, keys, pos * PUBKEY_SIZE);
    put_bytes(&w, pub, PUBKEY_SIZE);
    put_bytes(&w, keys + pos * PUBKEY_SIZE, (n - pos) * PUBKEY_SIZE);
    view_put_wbuf(v, VALIDATOR_LIST_KEY, 1, &w);
    wbuf_free(&w);
    return true;
}

/* ---- transactions ---- */

bool staking_apply_register(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    struct validator_register r;
    struct validator val;
    if (!validator_register_decode(&r, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    /* A key jailed by evidence keeps its record for good: a tombstone. */
    if (staking_get_validator(v, tx->sender, &val))
        return val_fail(vs, VAL_STATE, val.status == VALIDATOR_JAILED
                                           ? REJECT_BAD_TXNS_VALIDATOR_TOMBSTONED
                                           : REJECT_BAD_TXNS_VALIDATOR_EXISTS);
    if (r.stake < p->min_validator_stake)
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_STAKE_TOO_LOW);
    if (!accounts_debit(v, tx->sender, r.stake, vs) || !list_insert(v, p, tx->sender, vs))
        return false;
    memset(&val, 0, sizeof(val));
    val.self_stake = r.stake;
    val.commission_bps = r.commission_bps;
    val.status = VALIDATOR_ACTIVE;
    memcpy(val.randao_commit, r.randao_commit, HASH_SIZE);
    val.registered_height = ctx->hdr->height;
    val.commission_base = r.commission_bps;
    val.commission_epoch = params_epoch_of(p, ctx->hdr->slot);
    return store_validator(v, tx->sender, &val) || val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool staking_apply_stake_add(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                             struct validation *vs)
{
    struct validator val;
    uint64_t amount;
    (void)ctx;
    if (!stake_amount_decode(&amount, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!staking_get_validator(v, tx->sender, &val))
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_NO_VALIDATOR);
    /* A validator jailed for downtime may add stake (to be able to UNJAIL
     * after a slash took it below the minimum); a tombstone may not. */
    if (val.status != VALIDATOR_ACTIVE && val.status != VALIDATOR_DOWNTIME)
        return val_fail(vs, VAL_STATE, val.status == VALIDATOR_EXITED ? REJECT_BAD_TXNS_VALIDATOR_EXITED
                                                                     : REJECT_BAD_TXNS_VALIDATOR_JAILED);
    if (!accounts_debit(v, tx->sender, amount, vs))
        return false;
    if (!amount_add(&val.self_stake, amount))
        return val_fail(vs, VAL_ERROR, REJECT_STAKE_OVERFLOW);
    return store_validator(v, tx->sender, &val) || val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool staking_apply_unbond(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *vs)
{
    struct validator val;
    uint64_t amount;
    if (!stake_amount_decode(&amount, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!staking_get_validator(v, tx->sender, &val))
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_NO_VALIDATOR);
    if (amount > val.self_stake)
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_UNBOND_TOO_MUCH);
    val.self_stake -= amount;
    if (!store_validator(v, tx->sender, &val) ||
        !add_unbonding(v, ctx, tx->sender, tx->sender, amount))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
    return true;
}

bool staking_apply_delegate(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *vs)
{
    struct delegation_change dc;
    struct validator val;
    struct delegation d;
    (void)ctx;
    if (!delegation_change_decode(&dc, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!staking_get_validator(v, dc.validator, &val))
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_NO_VALIDATOR);
    if (val.status != VALIDATOR_ACTIVE)
        return val_fail(vs, VAL_STATE, val.status == VALIDATOR_EXITED ? REJECT_BAD_TXNS_VALIDATOR_EXITED
                                                                     : REJECT_BAD_TXNS_VALIDATOR_JAILED);
    if (!accounts_debit(v, tx->sender, dc.amount, vs))
        return false;
    if (!staking_get_delegation(v, dc.validator, tx->sender, &d)) {
        /* Absent: d is zeroed (a first delegation); unreadable: caught below. */
    }
    if (view_failed(v))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (!settle(v, &val, tx->sender, &d, vs))
        return false;
    /* New shares at the current token value of a share (1:1 for the first). */
    uint64_t shares = val.shares == 0 || val.delegated == 0
                          ? dc.amount
                          : mul_div_floor(dc.amount, val.shares, val.delegated);
    if (shares == 0)
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_AMOUNT_TOO_SMALL);
    if (shares > UINT64_MAX - val.shares || !amount_add(&val.delegated, dc.amount))
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_DELEGATION_OVERFLOW);
    val.shares += shares;
    d.shares += shares;
    view_journal_stake(v, tx->sender, 0, dc.amount);
    put_delegation(v, dc.validator, tx->sender, &d);
    return store_validator(v, dc.validator, &val) || val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool staking_apply_undelegate(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                              struct validation *vs)
{
    struct delegation_change dc;
    struct validator val;
    struct delegation d;
    uint64_t burn, tokens;
    if (!delegation_change_decode(&dc, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!staking_get_validator(v, dc.validator, &val))
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_NO_VALIDATOR);
    if (!staking_get_delegation(v, dc.validator, tx->sender, &d))
        return view_failed(v) ? val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR)
                              : val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_NO_DELEGATION);
    if (!settle(v, &val, tx->sender, &d, vs))
        return false;
    if (dc.amount == UNDELEGATE_ALL) {
        burn = d.shares;
        tokens = mul_div_floor(burn, val.delegated, val.shares);
    } else if (dc.amount == 0) {
        burn = tokens = 0;
    } else {
        /* Shares worth at least the amount: rounding never favours the
         * delegator over the others. */
        if (val.delegated == 0)
            return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_UNDELEGATE_TOO_MUCH);
        unsigned __int128 num = (unsigned __int128)dc.amount * val.shares + val.delegated - 1;
        unsigned __int128 need = num / val.delegated;
        if (need > d.shares)
            return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_UNDELEGATE_TOO_MUCH);
        burn = (uint64_t)need;
        tokens = dc.amount;
    }
    d.shares -= burn;
    val.shares -= burn;
    val.delegated -= tokens;
    if (tokens)
        view_journal_stake(v, tx->sender, tokens, 0);
    put_delegation(v, dc.validator, tx->sender, &d);
    if (!store_validator(v, dc.validator, &val) ||
        (tokens && !add_unbonding(v, ctx, tx->sender, dc.validator, tokens)))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
    /* The last delegation of a validator that left the list: its record goes. */
    if (val.status == VALIDATOR_EXITED && val.shares == 0)
        return staking_retire(v, ctx, dc.validator, &val, vs);
    return true;
}

static void evidence_marker_key(uint8_t key[1 + PUBKEY_SIZE + 8], const uint8_t pub[PUBKEY_SIZE],
                                uint64_t slot)
{
    key[0] = 'S';
    memcpy(key + 1, pub, PUBKEY_SIZE);
    write_be64(key + 1 + PUBKEY_SIZE, slot);
}

bool staking_slash(struct view *v, struct block_ctx *ctx, const uint8_t offender[PUBKEY_SIZE],
                   uint64_t ref_slot, const uint8_t *marker, size_t marker_len,
                   const uint8_t reporter[PUBKEY_SIZE], struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    struct validator val;
    const uint8_t *mark;
    size_t mlen;
    /* The offender reporting itself would get the bounty back out of its
     * delegators' cut: refused, whatever the amounts. */
    if (memcmp(reporter, offender, PUBKEY_SIZE) == 0)
        return val_fail(vs, VAL_STATE, REJECT_BAD_EVIDENCE_SELF_REPORT);
    if (!staking_get_validator(v, offender, &val))
        return view_failed(v) ? val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR)
                              : val_fail(vs, VAL_STATE, REJECT_BAD_EVIDENCE_VALIDATOR);
    if (view_get(v, marker, marker_len, &mark, &mlen))
        return val_fail(vs, VAL_STATE, REJECT_BAD_EVIDENCE_DUPLICATE);
    /* One slash per key: a tombstone is out of the schedules for good, and
     * each further piece of evidence (fabricated slots or epochs cost the
     * key nothing to sign) would only burn its delegators again. */
    if (val.status == VALIDATOR_JAILED)
        return val_fail(vs, VAL_STATE, REJECT_BAD_EVIDENCE_TOMBSTONED);
    /* Past the unbonding period the stake that was bonded at the offence
     * may have left: the evidence is too old to be judged.  The window is
     * counted in slots (a block has at most one), and is never shorter
     * than three epochs, the time votes of an epoch are counted and
     * reported in (only a network with a very short unbonding period,
     * regtest, sees the difference). */
    uint64_t window = staking_evidence_window(p);
    if (ctx->hdr->slot > ref_slot && ctx->hdr->slot - ref_slot > window)
        return val_failf(vs, VAL_STATE, REJECT_BAD_EVIDENCE_TOO_OLD,
                         "offence at slot %llu, block at slot %llu, window %llu slots",
                         (unsigned long long)ref_slot, (unsigned long long)ctx->hdr->slot,
                         (unsigned long long)window);

    uint64_t self_cut = mul_div_floor(val.self_stake, p->slash_bps, 10000);
    uint64_t del_cut = mul_div_floor(val.delegated, p->slash_bps, 10000);
    uint64_t slashed = self_cut + del_cut;
    uint64_t bounty = mul_div_floor(slashed, p->evidence_bounty_bps, 10000);
    /* At most the validator's own cut: an operator reporting itself from
     * another key gets back no more than it lost, never a share of its
     * delegators' stake. */
    if (bounty > self_cut)
        bounty = self_cut;
    uint64_t burned = slashed - bounty;
    /* Stake that left after the offence is cut too (its unbonding entries,
     * the validator's and its delegators'); all of it is burned. */
    uint64_t unbonding_cut;
    if (!slash_unbonding(v, p, offender, ref_slot, &unbonding_cut))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    burned += unbonding_cut;
    val.self_stake -= self_cut;
    val.delegated -= del_cut;
    val.status = VALIDATOR_JAILED;
    view_put(v, marker, marker_len, "\x01", 1);
    uint64_t supply = view_get_u64(v, SUPPLY_KEY);
    if (burned > supply)
        return val_fail(vs, VAL_ERROR, REJECT_SUPPLY_UNDERFLOW);
    view_put_u64(v, SUPPLY_KEY, supply - burned);
    if (!store_validator(v, offender, &val) || !accounts_credit(v, reporter, bounty, vs) ||
        !staking_add_stat(v, STAT_BURNED, burned))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
    return true;
}

bool staking_apply_unjail(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    struct validator val;
    if (tx->payload_len != 0)
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!staking_get_validator(v, tx->sender, &val))
        return view_failed(v) ? val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR)
                              : val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_NO_VALIDATOR);
    if (val.status == VALIDATOR_JAILED)
        return val_fail(vs, VAL_STATE, REJECT_BAD_UNJAIL_TOMBSTONED);
    if (val.status != VALIDATOR_DOWNTIME)
        return val_fail(vs, VAL_STATE, REJECT_BAD_UNJAIL_NOT_JAILED);
    if (params_epoch_of(p, ctx->hdr->slot) < val.jailed_until)
        return val_fail(vs, VAL_STATE, REJECT_BAD_UNJAIL_TOO_EARLY);
    if (!staking_may_return(p, &val))
        return val_fail(vs, VAL_STATE, REJECT_BAD_UNJAIL_STAKE_TOO_LOW);
    /* Back in the stakes of the next boundary's snapshot: in the schedules
     * of the epochs from three after this one on (doc/protocol.md 16.7). */
    val.status = VALIDATOR_ACTIVE;
    val.jailed_until = 0;
    return store_validator(v, tx->sender, &val) || val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool staking_apply_edit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                        struct validation *vs)
{
    const struct chain_params *p = ctx->params;
    struct validator_edit e;
    struct validator val;
    uint64_t epoch = params_epoch_of(p, ctx->hdr->slot);
    if (!validator_edit_decode(&e, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (!staking_get_validator(v, tx->sender, &val))
        return view_failed(v) ? val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR)
                              : val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_NO_VALIDATOR);
    if (val.status == VALIDATOR_JAILED || val.status == VALIDATOR_EXITED)
        return val_fail(vs, VAL_STATE, val.status == VALIDATOR_EXITED ? REJECT_BAD_TXNS_VALIDATOR_EXITED
                                                                     : REJECT_BAD_TXNS_VALIDATOR_JAILED);
    /* The first edit of an epoch fixes the commission at its start, which
     * stays in force for the epoch's rewards; every edit of the epoch stays
     * within max_commission_change_bps of it. */
    if (val.commission_epoch != epoch) {
        val.commission_base = val.commission_bps;
        val.commission_epoch = epoch;
    }
    uint16_t base = val.commission_base;
    uint16_t step = e.commission_bps > base ? e.commission_bps - base : base - e.commission_bps;
    if (step > p->max_commission_change_bps)
        return val_fail(vs, VAL_STATE, REJECT_BAD_TXNS_COMMISSION_CHANGE);
    val.commission_bps = e.commission_bps;
    memcpy(val.description, e.description, e.description_len);
    val.description_len = e.description_len;
    return store_validator(v, tx->sender, &val) || val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool staking_apply_evidence(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *vs)
{
    struct evidence e;
    uint8_t key[1 + PUBKEY_SIZE + 8];
    if (!evidence_decode(&e, tx->payload, tx->payload_len))
        return val_fail(vs, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    /* Evidence speaks of what happened: no slot after the including block's. */
    if (e.a.slot > ctx->hdr->slot)
        return val_failf(vs, VAL_STATE, REJECT_BAD_EVIDENCE_FUTURE, "slot %llu in a block of slot %llu",
                         (unsigned long long)e.a.slot, (unsigned long long)ctx->hdr->slot);
    evidence_marker_key(key, e.a.proposer, e.a.slot);
    return staking_slash(v, ctx, e.a.proposer, e.a.slot, key, sizeof(key), tx->sender, vs);
}

/* ---- end of block: unbonding maturity and rewards ---- */

bool staking_release_unbonding(struct view *v, uint64_t height, struct validation *vs)
{
    uint8_t key[UNBONDING_ENTRY_KEY_SIZE];
    uint64_t n;
    if (!unbonding_count(v, height, &n))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *data;
        size_t len;
        struct unbonding_entry e;
        unbonding_entry_key(key, height, i);
        if (!view_get(v, key, sizeof(key), &data, &len) || !unbonding_entry_decode(&e, data, len))
            return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
        if (e.amount && !accounts_credit(v, e.owner, e.amount, vs))
            return false;
        view_del(v, key, sizeof(key));
        static const uint8_t none[PUBKEY_SIZE];
        if (memcmp(e.validator, none, PUBKEY_SIZE) != 0) {
            uint64_t head, tail;
            struct validator val;
            if (!vq_pop(v, e.validator, height, i) || !vq_get(v, e.validator, &head, &tail))
                return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
            /* The last pending entry of an exited validator with no share
             * left: its record goes now (staking_retire kept it). */
            if (head == tail && staking_get_validator(v, e.validator, &val) &&
                val.status == VALIDATOR_EXITED && val.shares == 0 &&
                !delete_record(v, e.validator, &val, vs))
                return false;
        }
    }
    if (n)
        view_del(v, key, UNBONDING_COUNT_KEY_SIZE);
    return !view_failed(v) || val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

bool staking_pay_proposer(struct view *v, const uint8_t pub[PUBKEY_SIZE], uint64_t epoch,
                          uint64_t reward, uint64_t fees, struct validation *vs)
{
    struct validator val, in_force;
    struct reward_split rs;
    if (!staking_get_validator(v, pub, &val))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR);
    /* The commission in force in the block's epoch: an edit counts from the
     * next epoch on. */
    in_force = val;
    in_force.commission_bps = validator_commission_at(&val, epoch);
    reward_split(&in_force, reward, &rs);
    if (rs.delegators)
        validator_accrue(&val, rs.delegators);
    /* reward and fees are coins that exist (the block's emission and fees
     * taken from balances), so their sum stays within the supply. */
    uint64_t operator = rs.operator;
    if (!amount_add(&operator, fees))
        return val_fail(vs, VAL_ERROR, REJECT_REWARD_OVERFLOW);
    val.earned += operator; /* a statistic, modulo 2^64 like gstats */
    if (!store_validator(v, pub, &val))
        return val_fail(vs, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
    return accounts_credit(v, pub, operator, vs) &&
           (staking_add_stat(v, STAT_PAID, operator) || val_fail(vs, VAL_ERROR, REJECT_STATE_READ_ERROR));
}
