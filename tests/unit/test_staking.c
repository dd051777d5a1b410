/* Staking on a real chain: registration, self-stake, unbonding maturity,
 * delegation rewards and commission to the base unit, slashing by evidence,
 * jailing, and the supply and reward conservation invariants after each. */
#include "chain_fixture.h"
#include "consensus/emission.h"
#include "consensus/genesis.h"
#include "consensus/stakingtx.h"
#include "state/audit.h"
#include <time.h>

#define FEE 5000

static struct chain *chain;
static struct mempool *pool;

static void setup(void)
{
    fixture_setup();
    chain = open_chain();
    pool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
}

static void teardown(void)
{
    mempool_free(pool);
    chain_close(chain);
    fixture_teardown();
}

static void check_invariants(void)
{
    struct supply_audit a;
    ck_assert(supply_audit(chain, &a));
    ck_assert_msg(a.supply_ok, "supply %llu != held", (unsigned long long)a.supply);
    ck_assert_msg(a.rewards_ok, "minted %llu + fees %llu != paid %llu + pools %llu + banks %llu",
                  (unsigned long long)a.minted, (unsigned long long)a.fees,
                  (unsigned long long)a.paid, (unsigned long long)a.pools,
                  (unsigned long long)a.banks);
}

/* Submits a transaction; expect NULL for success or the reject reason. */
static void submit(const struct tx *tx, const char *expect)
{
    submit_to(pool, tx, expect);
}

static void send_payload(const uint8_t sec[32], uint8_t type, struct wbuf *w, const char *expect)
{
    uint8_t pub[32];
    struct tx tx;
    ck_assert(key_pubkey(pub, sec));
    make_tx_sec(&tx, sec, type, w, mempool_next_nonce(pool, pub), FEE);
    submit(&tx, expect);
    tx_free(&tx);
    wbuf_reset(w);
}

static void fund(const uint8_t to[32], uint64_t amount)
{
    struct tx tx;
    make_transfer(&tx, 3, to, amount, mempool_next_nonce(pool, pubs[3]), FEE);
    submit(&tx, NULL);
    tx_free(&tx);
}

START_TEST(register_stake_unbond)
{
    uint8_t sec[32], pub[32];
    struct wbuf w;
    wbuf_init(&w);
    randombytes_buf(sec, sizeof(sec));
    ck_assert(key_pubkey(pub, sec));
    fund(pub, 5000 * COIN);
    produce(chain, pool);
    check_invariants();

    /* Below the minimum stake (1000 FML on regtest), then a good one. */
    struct validator_register r = {.stake = 999 * COIN, .commission_bps = 500};
    randao_onion(r.randao_commit, sec, 10);
    validator_register_encode(&r, &w);
    send_payload(sec, TX_VALIDATOR_REGISTER, &w, "bad-txns-stake-too-low");

    r.stake = 2000 * COIN;
    r.commission_bps = 6000; /* above max_commission_bps */
    validator_register_encode(&r, &w);
    send_payload(sec, TX_VALIDATOR_REGISTER, &w, "bad-txns-commission");
    r.commission_bps = 500;
    validator_register_encode(&r, &w);
    send_payload(sec, TX_VALIDATOR_REGISTER, &w, NULL);
    uint64_t before = balance_of(chain, pub);
    produce(chain, pool);
    struct validator val = validator_of(chain, pub);
    ck_assert_uint_eq(val.self_stake, 2000 * COIN);
    ck_assert_uint_eq(val.commission_bps, 500);
    ck_assert_uint_eq(balance_of(chain, pub), before - 2000 * COIN - FEE);
    validator_register_encode(&r, &w);
    send_payload(sec, TX_VALIDATOR_REGISTER, &w, "bad-txns-validator-exists");
    check_invariants();

    /* STAKE_ADD then UNBOND: funds come back exactly unbonding_blocks later. */
    stake_amount_encode(500 * COIN, &w);
    send_payload(sec, TX_STAKE_ADD, &w, NULL);
    produce(chain, pool);
    ck_assert_uint_eq(validator_of(chain, pub).self_stake, 2500 * COIN);
    stake_amount_encode(3000 * COIN, &w);
    send_payload(sec, TX_UNBOND, &w, "bad-txns-unbond-too-much");
    stake_amount_encode(700 * COIN, &w);
    send_payload(sec, TX_UNBOND, &w, NULL);
    produce(chain, pool);
    uint64_t unbond_height = chain_height(chain);
    uint64_t bal = balance_of(chain, pub);
    ck_assert_uint_eq(validator_of(chain, pub).self_stake, 1800 * COIN);
    while (chain_height(chain) < unbond_height + params.unbonding_blocks - 1) {
        produce(chain, pool);
        ck_assert_uint_eq(balance_of(chain, pub), bal);
        check_invariants();
    }
    produce(chain, pool);
    ck_assert_uint_eq(chain_height(chain), unbond_height + params.unbonding_blocks);
    ck_assert_uint_eq(balance_of(chain, pub), bal + 700 * COIN);
    check_invariants();

    /* A non-validator cannot add stake or unbond. */
    stake_amount_encode(1 * COIN, &w);
    send_payload(secrets[3], TX_UNBOND, &w, NULL); /* validator 3 may */
    uint8_t other[32], other_pub[32];
    randombytes_buf(other, 32);
    ck_assert(key_pubkey(other_pub, other));
    fund(other_pub, 10 * COIN);
    produce(chain, pool);
    stake_amount_encode(1 * COIN, &w);
    send_payload(other, TX_STAKE_ADD, &w, "bad-txns-no-validator");
    wbuf_free(&w);
}
END_TEST

/* The delegators' part of one proposer reward, by the protocol formula. */
static uint64_t delegators_part(const struct validator *v, uint64_t reward)
{
    uint64_t commission = reward * v->commission_bps / 10000;
    uint64_t rest = reward - commission;
    return (uint64_t)((unsigned __int128)rest * v->delegated / (v->self_stake + v->delegated));
}

START_TEST(delegation_rewards_to_the_base_unit)
{
    uint8_t dsec[32], dpub[32];
    struct wbuf w;
    struct delegation_change dc;
    struct emission_split split;
    wbuf_init(&w);
    randombytes_buf(dsec, 32);
    ck_assert(key_pubkey(dpub, dsec));
    fund(dpub, 60000 * COIN);
    produce(chain, pool);

    /* Delegate 50,000 FML to validator 1 (self-stake 100,000, commission 10%). */
    memcpy(dc.validator, pubs[1], 32);
    dc.amount = 50000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, NULL);
    produce(chain, pool);
    struct validator v1 = validator_of(chain, pubs[1]);
    ck_assert_uint_eq(v1.delegated, 50000 * COIN);
    ck_assert_uint_eq(v1.shares, 50000 * COIN);
    check_invariants();

    /* Validator 1 proposes k empty blocks: each pays delegators
     * floor(31.5 FML x 50,000 / 150,000) = 10.5 FML; the operator gets the rest. */
    emission_split(&params, params.block_reward, &split);
    uint64_t per_block = delegators_part(&v1, split.proposer);
    ck_assert_uint_eq(per_block, 1050000000);
    uint64_t op_before = balance_of(chain, pubs[1]);
    const int k = 5;
    for (int i = 0; i < k; i++)
        produce_by(chain, pool, 1);
    ck_assert_uint_eq(balance_of(chain, pubs[1]), op_before + k * (split.proposer - per_block));
    v1 = validator_of(chain, pubs[1]);
    ck_assert_uint_eq(v1.bank, k * per_block);
    check_invariants();

    /* Claim (UNDELEGATE 0): floor(shares x floor(T x 2^64 / shares) / 2^64). */
    unsigned __int128 total = (unsigned __int128)k * per_block;
    unsigned __int128 acc = (total << 64) / v1.shares;
    uint64_t expect = (uint64_t)(((unsigned __int128)v1.shares * acc) >> 64);
    ck_assert(expect == k * per_block || expect == k * per_block - 1);
    uint64_t dbal;
    dc.amount = 0;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_UNDELEGATE, &w, NULL);
    /* Make sure the claim lands in a block not proposed by validator 1 so
     * that no new reward accrues in the same block. */
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    while (leader_at(chain, slot) == 1)
        slot++;
    dbal = balance_of(chain, dpub);
    v1 = validator_of(chain, pubs[1]);
    acc = v1.acc;
    struct delegation d;
    struct view *view = chain_view(chain);
    ck_assert(staking_get_delegation(view, pubs[1], dpub, &d));
    view_free(view);
    expect = delegation_pending(&v1, &d);
    produce_at(chain, pool, slot);
    ck_assert_uint_eq(balance_of(chain, dpub), dbal + expect - FEE);
    /* What stays in the bank is below one unit per share's worth. */
    ck_assert_uint_le(v1.bank - expect, 1);
    check_invariants();

    /* Undelegate 20,000 FML: shares burned by ceiling, tokens unbond. */
    dc.amount = 20000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_UNDELEGATE, &w, NULL);
    produce(chain, pool);
    uint64_t h = chain_height(chain);
    v1 = validator_of(chain, pubs[1]);
    ck_assert_uint_eq(v1.delegated, 30000 * COIN);
    dbal = balance_of(chain, dpub);
    while (chain_height(chain) < h + params.unbonding_blocks)
        produce(chain, pool);
    ck_assert_uint_ge(balance_of(chain, dpub), dbal + 20000 * COIN);
    check_invariants();

    /* Too much, then all. */
    dc.amount = 40000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_UNDELEGATE, &w, "bad-txns-undelegate-too-much");
    dc.amount = UNDELEGATE_ALL;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_UNDELEGATE, &w, NULL);
    produce(chain, pool);
    v1 = validator_of(chain, pubs[1]);
    ck_assert_uint_eq(v1.shares, 0);
    ck_assert_uint_eq(v1.delegated, 0);
    view = chain_view(chain);
    ck_assert(!staking_get_delegation(view, pubs[1], dpub, &d));
    view_free(view);
    check_invariants();

    /* Self-delegation and tiny delegations are refused. */
    memcpy(dc.validator, pubs[1], 32);
    dc.amount = 10 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(secrets[1], TX_DELEGATE, &w, "bad-txns-self-delegation");
    dc.amount = params.min_delegation - 1;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, "bad-txns-amount");
    wbuf_free(&w);
}
END_TEST

/* Two signed headers of validator `who` for one slot. */
static size_t list_size(void)
{
    const uint8_t *val, *keys;
    size_t len, n;
    struct view *view = chain_view(chain);
    ck_assert(view_get(view, VALIDATOR_LIST_KEY, 1, &val, &len));
    ck_assert(validator_list_decode(&keys, &n, val, len, params.max_validators));
    view_free(view);
    return n;
}

static void register_key(const uint8_t sec[32], uint64_t stake, const char *expect)
{
    struct wbuf w;
    struct validator_register r = {.stake = stake, .commission_bps = 500};
    wbuf_init(&w);
    randao_onion(r.randao_commit, sec, 10);
    validator_register_encode(&r, &w);
    send_payload(sec, TX_VALIDATOR_REGISTER, &w, expect);
    wbuf_free(&w);
}

static void make_evidence(struct evidence *e, int who, uint64_t slot)
{
    memset(e, 0, sizeof(*e));
    e->a.version = BLOCK_VERSION;
    e->a.height = 5;
    e->a.slot = slot;
    e->a.time = params_slot_start(&params, slot);
    memcpy(e->a.proposer, pubs[who], 32);
    e->b = e->a;
    e->b.state_root[0] = 1;
    ck_assert(header_sign(&e->a, params.genesis_hash, secrets[who], NULL));
    ck_assert(header_sign(&e->b, params.genesis_hash, secrets[who], NULL));
}

START_TEST(evidence_slashes_jails_and_pays_bounty)
{
    uint8_t dsec[32], dpub[32];
    struct wbuf w;
    struct delegation_change dc;
    struct evidence e;
    struct supply_audit before, after;
    wbuf_init(&w);
    randombytes_buf(dsec, 32);
    ck_assert(key_pubkey(dpub, dsec));
    fund(dpub, 20000 * COIN);
    produce(chain, pool);
    memcpy(dc.validator, pubs[2], 32);
    dc.amount = 10000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, NULL);
    produce(chain, pool);

    /* Evidence that is not evidence. */
    make_evidence(&e, 2, 2);
    e.b = e.a;
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, "bad-evidence-same");
    make_evidence(&e, 2, 2);
    e.b.slot = 3;
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, "bad-evidence-slot");
    make_evidence(&e, 2, 2);
    e.b.sig[3] ^= 1;
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, "bad-evidence-sig");

    /* Real evidence, reported by validator 3. */
    struct validator v2 = validator_of(chain, pubs[2]);
    ck_assert(supply_audit(chain, &before));
    uint64_t reporter = balance_of(chain, pubs[3]);
    make_evidence(&e, 2, 2);
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, NULL);
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    while (leader_at(chain, slot) == 3 || leader_at(chain, slot) == 2)
        slot++;
    produce_at(chain, pool, slot);

    uint64_t self_cut = v2.self_stake * params.slash_bps / 10000;
    uint64_t del_cut = v2.delegated * params.slash_bps / 10000;
    uint64_t bounty = (self_cut + del_cut) * params.evidence_bounty_bps / 10000;
    struct validator s2 = validator_of(chain, pubs[2]);
    ck_assert_uint_eq(s2.status, VALIDATOR_JAILED);
    ck_assert_uint_eq(s2.self_stake, v2.self_stake - self_cut);
    ck_assert_uint_eq(s2.delegated, v2.delegated - del_cut);
    ck_assert_uint_eq(s2.shares, v2.shares); /* delegations shrink pro rata */
    ck_assert_uint_eq(balance_of(chain, pubs[3]), reporter + bounty - FEE);
    ck_assert(supply_audit(chain, &after));
    ck_assert_uint_eq(after.burned - before.burned, self_cut + del_cut - bounty);
    check_invariants();

    /* The same evidence again, and new delegations to a jailed validator. */
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, "bad-evidence-duplicate");
    /* Another offence of the tombstone (a new slot): one slash per key. */
    make_evidence(&e, 2, chain_tip(chain)->hdr.slot);
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, "bad-evidence-tombstoned");
    dc.amount = 10 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, "bad-txns-validator-jailed");

    /* Its slots in the schedules already drawn stay empty. */
    uint64_t s = chain_tip(chain)->hdr.slot + 1;
    while (leader_at(chain, s) != 2)
        s++;
    struct block b;
    struct validation v;
    ck_assert(!try_build_at(chain, pool, s, &b, &v));
    ck_assert_str_eq(v.reason, "bad-blk-proposer-jailed");

    /* Three epochs later it is out of the schedule altogether. */
    for (int i = 0; i < 3 * (int)params.epoch_slots; i++) {
        uint64_t next = chain_tip(chain)->hdr.slot + 1;
        while (leader_at(chain, next) == 2)
            next++;
        produce_at(chain, pool, next);
    }
    struct view *view = chain_view(chain);
    struct schedule sched;
    ck_assert(staking_schedule_for(view, &params, chain_tip(chain)->hdr.slot,
                                   chain_tip(chain)->hdr.slot + 1, &sched));
    for (size_t i = 0; i < sched.n; i++)
        ck_assert(memcmp(sched.entries[i].pubkey, pubs[2], 32) != 0);
    ck_assert_uint_eq(sched.n, 3);
    schedule_free(&sched);
    view_free(view);

    /* It has left the validator list (its slot is free) and its remaining
     * self-stake was unbonded; the jailed record stays, so the key cannot
     * register again. */
    ck_assert_uint_eq(list_size(), 3);
    s2 = validator_of(chain, pubs[2]);
    ck_assert_uint_eq(s2.status, VALIDATOR_JAILED);
    ck_assert_uint_eq(s2.self_stake, 0);
    register_key(secrets[2], params.min_validator_stake, "bad-txns-validator-tombstoned");

    /* Its delegator can still leave, with the slashed value. */
    dc.amount = UNDELEGATE_ALL;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_UNDELEGATE, &w, NULL);
    produce(chain, pool);
    ck_assert_uint_eq(validator_of(chain, pubs[2]).delegated, 0);
    ck_assert_uint_eq(validator_of(chain, pubs[2]).status, VALIDATOR_JAILED);
    register_key(secrets[2], params.min_validator_stake, "bad-txns-validator-tombstoned");
    check_invariants();
    wbuf_free(&w);
}
END_TEST

START_TEST(reorganization_restores_staking_state)
{
    uint8_t root[32];
    struct wbuf w;
    wbuf_init(&w);
    produce(chain, pool);
    uint8_t fork_root[32];
    chain_state_root(chain, fork_root);
    const struct block_index *fork = chain_tip(chain);
    uint8_t fork_hash[32];
    memcpy(fork_hash, fork->hash, 32);

    stake_amount_encode(100 * COIN, &w);
    send_payload(secrets[0], TX_UNBOND, &w, NULL);
    produce(chain, pool);
    produce(chain, pool);
    struct validation v;
    ck_assert(chain_invalidate(chain, chain_at(chain, chain_height(chain) - 1)->hash, &v));
    ck_assert_mem_eq(chain_tip(chain)->hash, fork_hash, 32);
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, fork_root, 32);
    ck_assert_uint_eq(validator_of(chain, pubs[0]).self_stake, 100000 * COIN);
    check_invariants();
    wbuf_free(&w);
}
END_TEST

/* Closes the fixture's chain and opens a new one, in a fresh directory, on
 * the parameters as the test changed them (a new genesis). */
static void reopen_with_params(const char *sub)
{
    char dir[300], err[256] = "";
    struct block_header g;
    mempool_free(pool);
    chain_close(chain);
    ck_assert(genesis_build(&params, &g));
    snprintf(dir, sizeof(dir), "%s/%s", datadir, sub);
    chain = chain_open(&params, dir, false, err, sizeof(err));
    ck_assert_msg(chain != NULL, "chain_open: %s", err);
    pool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
}

/* The running totals (gstats fees and paid, a validator's earned) pass
 * MAX_SUPPLY: a validator holding a quarter of the supply pays its whole
 * balance as the fee of a transaction in its own blocks and gets it back.
 * Every block still connects (it once failed with reward-overflow from the
 * fifth such block on, for good), and the supply still adds up. */
START_TEST(statistics_past_the_supply_cap_never_fail_a_block)
{
    for (size_t i = 0; i < params.n_allocs; i++)
        params.allocs[i].amount = MAX_SUPPLY / 4 - 1000000 * COIN;
    reopen_with_params("big");
    struct staking_stats st;
    for (int k = 0; k < 6; k++) {
        struct tx tx;
        uint64_t bal = balance_of(chain, pubs[0]);
        make_transfer(&tx, 0, pubs[1], 1, nonce_of(chain, pubs[0]), bal - 1);
        submit(&tx, NULL);
        tx_free(&tx);
        produce_by(chain, pool, 0); /* checks the supply after the block */
        ck_assert_uint_eq(mempool_count(pool), 0);
    }
    struct view *view = chain_view(chain);
    ck_assert(staking_get_stats(view, &st));
    view_free(view);
    ck_assert_uint_gt(st.fees, MAX_SUPPLY);
    ck_assert_uint_gt(st.paid, MAX_SUPPLY);
    ck_assert_uint_gt(validator_of(chain, pubs[0]).earned, MAX_SUPPLY);
    check_invariants();

    /* Near 2^64 they wrap, and still never fail. */
    view = chain_view(chain);
    st.fees = UINT64_MAX - 5;
    staking_put_stats(view, &st);
    ck_assert(staking_add_stat(view, STAT_FEES, 10));
    ck_assert(staking_get_stats(view, &st));
    ck_assert_uint_eq(st.fees, 4);
    view_free(view);
}
END_TEST

/* The count of entries queued at height (0 when none) and entry seq. */
static uint64_t queued_count(uint64_t height)
{
    uint8_t key[UNBONDING_COUNT_KEY_SIZE];
    const uint8_t *val;
    size_t len;
    uint64_t n = 0;
    struct view *view = chain_view(chain);
    unbonding_key(key, height);
    if (view_get(view, key, sizeof(key), &val, &len)) {
        ck_assert_uint_eq(len, 8);
        n = read_le64(val);
    }
    view_free(view);
    return n;
}

static bool queued_entry(uint64_t height, uint64_t seq, struct unbonding_entry *e)
{
    uint8_t key[UNBONDING_ENTRY_KEY_SIZE];
    const uint8_t *val;
    size_t len;
    struct view *view = chain_view(chain);
    unbonding_entry_key(key, height, seq);
    bool found = view_get(view, key, sizeof(key), &val, &len);
    if (found)
        ck_assert(unbonding_entry_decode(e, val, len));
    view_free(view);
    return found;
}

/* Several UNBONDs in one block, two from one sender: one queue entry each,
 * in block order; disconnecting the block removes them exactly (state root
 * of the parent); connected again they pay out at maturity and leave no
 * key behind. */
START_TEST(unbonding_queue_order_and_undo)
{
    struct wbuf w;
    struct validation v;
    wbuf_init(&w);
    produce(chain, pool);
    uint8_t parent_root[32], parent_hash[32];
    chain_state_root(chain, parent_root);
    memcpy(parent_hash, chain_tip(chain)->hash, 32);
    const int who[4] = {0, 1, 0, 2};
    const uint64_t amount[4] = {100 * COIN, 200 * COIN, 300 * COIN, 7};
    for (int i = 0; i < 4; i++) {
        stake_amount_encode(amount[i], &w);
        send_payload(secrets[who[i]], TX_UNBOND, &w, NULL);
    }
    produce(chain, pool);
    uint64_t h = chain_height(chain), maturity = h + params.unbonding_blocks;
    uint8_t block_hash[32];
    memcpy(block_hash, chain_tip(chain)->hash, 32);

    struct block b;
    ck_assert(chain_read_block(chain, chain_tip(chain), &b));
    ck_assert_uint_eq(queued_count(maturity), 4);
    size_t seq = 0;
    for (size_t i = 0; i < b.ntx; i++) {
        uint64_t amt;
        struct unbonding_entry e;
        if (b.txs[i].type != TX_UNBOND)
            continue;
        ck_assert(stake_amount_decode(&amt, b.txs[i].payload, b.txs[i].payload_len));
        ck_assert(queued_entry(maturity, seq++, &e));
        ck_assert_mem_eq(e.owner, b.txs[i].sender, 32);
        ck_assert_uint_eq(e.amount, amt);
    }
    ck_assert_uint_eq(seq, 4);
    block_free(&b);

    /* Disconnect: no queue key is left and the root is the parent's. */
    ck_assert(chain_invalidate(chain, block_hash, &v));
    ck_assert_mem_eq(chain_tip(chain)->hash, parent_hash, 32);
    uint8_t root[32];
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, parent_root, 32);
    ck_assert_uint_eq(queued_count(maturity), 0);
    struct unbonding_entry e;
    ck_assert(!queued_entry(maturity, 0, &e));
    ck_assert(chain_reconsider(chain, block_hash, &v));
    ck_assert_mem_eq(chain_tip(chain)->hash, block_hash, 32);
    ck_assert_uint_eq(queued_count(maturity), 4);

    uint64_t bal[3];
    for (int i = 0; i < 3; i++)
        bal[i] = balance_of(chain, pubs[i]);
    while (chain_height(chain) < maturity)
        produce_by(chain, pool, 3); /* validator 3 proposes: no rewards to 0-2 */
    ck_assert_uint_eq(balance_of(chain, pubs[0]), bal[0] + 400 * COIN);
    ck_assert_uint_eq(balance_of(chain, pubs[1]), bal[1] + 200 * COIN);
    ck_assert_uint_eq(balance_of(chain, pubs[2]), bal[2] + 7);
    ck_assert_uint_eq(queued_count(maturity), 0);
    for (uint64_t i = 0; i < 4; i++)
        ck_assert(!queued_entry(maturity, i, &e));
    check_invariants();
    wbuf_free(&w);
}
END_TEST

/* The validator set full (max_validators 8: the four genesis validators and
 * four minimum-stake registrations), the four new ones unbond everything:
 * three epoch boundaries later they have left the list, their slots are free,
 * a new key registers and so does one of the old keys again.  (The list
 * never shrank before: the ninth registration failed for good.) */
START_TEST(validator_slots_freed_after_full_unbond)
{
    params.max_validators = 8;
    reopen_with_params("small");
    uint8_t sec[5][32], pub[5][32];
    for (int i = 0; i < 5; i++) {
        randombytes_buf(sec[i], 32);
        ck_assert(key_pubkey(pub[i], sec[i]));
        fund(pub[i], 3000 * COIN);
    }
    produce(chain, pool);
    for (int i = 0; i < 4; i++)
        register_key(sec[i], params.min_validator_stake, NULL);
    produce(chain, pool);
    ck_assert_uint_eq(list_size(), 8);
    register_key(sec[4], params.min_validator_stake, "bad-txns-too-many-validators");

    struct wbuf w;
    wbuf_init(&w);
    for (int i = 0; i < 4; i++) {
        stake_amount_encode(params.min_validator_stake, &w);
        send_payload(sec[i], TX_UNBOND, &w, NULL);
    }
    produce(chain, pool);
    uint64_t bal0 = balance_of(chain, pub[0]);
    /* Out of the schedules in force after at most three boundaries. */
    uint64_t e = params_epoch_of(&params, chain_tip(chain)->hdr.slot);
    while (params_epoch_of(&params, chain_tip(chain)->hdr.slot) < e + 3)
        produce(chain, pool);
    ck_assert_uint_eq(list_size(), 4);
    struct validator val;
    struct view *view = chain_view(chain);
    ck_assert(!staking_get_validator(view, pub[0], &val)); /* record gone */
    view_free(view);
    while (balance_of(chain, pub[0]) == bal0 && chain_height(chain) < 100)
        produce(chain, pool);
    ck_assert_uint_eq(balance_of(chain, pub[0]), bal0 + params.min_validator_stake);

    register_key(sec[4], params.min_validator_stake, NULL);
    register_key(sec[0], params.min_validator_stake, NULL); /* registers again */
    produce(chain, pool);
    ck_assert_uint_eq(list_size(), 6);
    ck_assert_uint_eq(validator_of(chain, pub[0]).self_stake, params.min_validator_stake);
    ck_assert_uint_eq(validator_of(chain, pub[4]).status, VALIDATOR_ACTIVE);
    check_invariants();
    wbuf_free(&w);
}
END_TEST

/* The schedule a block at `slot` would be drawn from, on top of the tip. */
static void schedule_at(uint64_t slot, struct schedule *out)
{
    struct view *view = chain_view(chain);
    ck_assert(staking_schedule_for(view, &params, chain_tip(chain)->hdr.slot, slot, out));
    view_free(view);
}

static bool same_schedule(const struct schedule *a, const struct schedule *b)
{
    if (a->n != b->n || memcmp(a->seed, b->seed, 32) != 0)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (memcmp(a->entries[i].pubkey, b->entries[i].pubkey, 32) != 0 ||
            a->entries[i].stake != b->entries[i].stake)
            return false;
    return true;
}

/* Schedule grinding: the proposer of the last slot of epoch e-1 knows the
 * mix its block leaves (its reveal is fixed) and chooses that block's
 * stake-changing transactions.  Two versions of that block, with and
 * without a large STAKE_ADD, must give the same schedule for epoch e+1 (the
 * first one drawn with that mix); the stake counts from epoch e+2 on.  (The
 * schedule of e+1 once took the stakes of that very block.) */
START_TEST(last_block_of_an_epoch_cannot_grind_the_schedule)
{
    const uint64_t es = params.epoch_slots;
    produce(chain, pool);
    uint64_t e = params_epoch_of(&params, chain_tip(chain)->hdr.slot) + 2;
    uint64_t last = e * es - 1; /* the last slot of epoch e-1 */
    while (chain_tip(chain)->hdr.slot + 1 < last)
        produce(chain, pool);
    int who = leader_at(chain, last);
    uint8_t parent[32];
    memcpy(parent, chain_tip(chain)->hash, 32);

    /* Without the stake change. */
    struct mempool *empty = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    produce_at(chain, empty, last);
    uint8_t plain[32];
    memcpy(plain, chain_tip(chain)->hash, 32);
    struct schedule a, a2;
    schedule_at((e + 1) * es, &a);
    schedule_at((e + 2) * es, &a2);
    struct validation v;
    ck_assert(chain_invalidate(chain, plain, &v));
    ck_assert_mem_eq(chain_tip(chain)->hash, parent, 32);

    /* With it: the leader adds a third of the total stake to its own. */
    struct wbuf w;
    wbuf_init(&w);
    stake_amount_encode(200000 * COIN, &w);
    send_payload(secrets[who], TX_STAKE_ADD, &w, NULL);
    wbuf_free(&w);
    produce_at(chain, pool, last);
    ck_assert_uint_eq(validator_of(chain, pubs[who]).self_stake, 300000 * COIN);
    struct schedule b, b2;
    schedule_at((e + 1) * es, &b);
    schedule_at((e + 2) * es, &b2);

    ck_assert_msg(same_schedule(&a, &b), "the last block of epoch %llu changed the schedule of "
                  "epoch %llu", (unsigned long long)(e - 1), (unsigned long long)(e + 1));
    ck_assert(!same_schedule(&a2, &b2)); /* it counts from e+2 */
    /* Through the boundary, as stored: the next schedule at e is the one above. */
    while (chain_tip(chain)->hdr.slot < (e + 1) * es - 1)
        produce(chain, pool);
    struct schedule c;
    schedule_at((e + 1) * es, &c);
    ck_assert(same_schedule(&b, &c));
    schedule_free(&a);
    schedule_free(&a2);
    schedule_free(&b);
    schedule_free(&b2);
    schedule_free(&c);
    mempool_free(empty);
}
END_TEST

/* A validator whose own stake is gone but that still has a delegation
 * leaves the list as "exited": no new stake or delegation, its delegator
 * leaves as usual, and with the last share the record goes and the key may
 * register again. */
START_TEST(exited_validator_keeps_its_delegations_until_they_leave)
{
    uint8_t sec[32], pub[32], dsec[32], dpub[32];
    struct wbuf w;
    struct delegation_change dc;
    wbuf_init(&w);
    randombytes_buf(sec, 32);
    randombytes_buf(dsec, 32);
    ck_assert(key_pubkey(pub, sec) && key_pubkey(dpub, dsec));
    fund(pub, 3000 * COIN);
    fund(dpub, 3000 * COIN);
    produce(chain, pool);
    register_key(sec, params.min_validator_stake, NULL);
    produce(chain, pool);
    memcpy(dc.validator, pub, 32);
    dc.amount = 500 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, NULL);
    produce(chain, pool);
    ck_assert_uint_eq(list_size(), 5);

    stake_amount_encode(params.min_validator_stake, &w);
    send_payload(sec, TX_UNBOND, &w, NULL);
    produce(chain, pool);
    uint64_t e = params_epoch_of(&params, chain_tip(chain)->hdr.slot);
    while (params_epoch_of(&params, chain_tip(chain)->hdr.slot) < e + 3)
        produce(chain, pool);
    ck_assert_uint_eq(list_size(), 4);
    struct validator val = validator_of(chain, pub);
    ck_assert_uint_eq(val.status, VALIDATOR_EXITED);
    ck_assert_uint_eq(val.self_stake, 0);
    ck_assert_uint_eq(val.delegated, 500 * COIN);

    stake_amount_encode(10 * COIN, &w);
    send_payload(sec, TX_STAKE_ADD, &w, "bad-txns-validator-exited");
    dc.amount = 10 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, "bad-txns-validator-exited");
    register_key(sec, params.min_validator_stake, "bad-txns-validator-exists");

    uint64_t dbal = balance_of(chain, dpub);
    dc.amount = UNDELEGATE_ALL;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_UNDELEGATE, &w, NULL);
    produce(chain, pool);
    /* No share left, but unbonding entries from it are pending (a slash
     * must still reach them): the record stays until the last matures. */
    val = validator_of(chain, pub);
    ck_assert_uint_eq(val.status, VALIDATOR_EXITED);
    ck_assert_uint_eq(val.shares, 0);
    register_key(sec, params.min_validator_stake, "bad-txns-validator-exists");
    while (balance_of(chain, dpub) < dbal && chain_height(chain) < 200)
        produce(chain, pool);
    ck_assert_uint_eq(balance_of(chain, dpub), dbal - FEE + 500 * COIN);
    struct view *view = chain_view(chain);
    ck_assert(!staking_get_validator(view, pub, &val)); /* the record is gone */
    view_free(view);

    register_key(sec, params.min_validator_stake, NULL);
    produce(chain, pool);
    ck_assert_uint_eq(list_size(), 5);
    ck_assert_uint_eq(validator_of(chain, pub).status, VALIDATOR_ACTIVE);
    check_invariants();
    wbuf_free(&w);
}
END_TEST

/* Nothing at stake: a validator that unbonded everything keeps its places in
 * the schedules already drawn (up to three epochs: the stakes of epoch e are
 * those at the end of e-3) while its stake waits in the queue, where it is not
 * slashed, and goes back to it after unbonding_blocks.  A double proposal in
 * those slots costs it nothing, and the record is deleted once it left the
 * schedules, so the key registers again unjailed.  Its slots must stay empty,
 * as a jailed validator's: a block it proposes with less than
 * min_validator_stake bonded is invalid.  (Such blocks once connected.) */
START_TEST(validator_with_nothing_bonded_proposes_no_more)
{
    struct wbuf w;
    wbuf_init(&w);
    produce(chain, pool);
    stake_amount_encode(100000 * COIN, &w);
    send_payload(secrets[0], TX_UNBOND, &w, NULL);
    produce(chain, pool);
    ck_assert_uint_eq(validator_of(chain, pubs[0]).self_stake, 0);
    /* Its next slot in the schedules in force. */
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    while (leader_at(chain, slot) != 0)
        slot++;
    ck_assert(params_epoch_of(&params, slot) <=
              params_epoch_of(&params, chain_tip(chain)->hdr.slot) + 3);
    struct block b;
    struct validation v;
    bool built = try_build_at(chain, pool, slot, &b, &v);
    if (built) {
        bool connected = chain_process_block(chain, &b, &v);
        block_free(&b);
        ck_abort_msg("validator 0 with nothing bonded built a block at slot %llu (%s)",
                     (unsigned long long)slot, connected ? "connected" : v.reason);
    }
    ck_assert_str_eq(v.reason, "bad-blk-proposer-unbonded");
    /* The others go on; validator 0's slots stay empty until it left the
     * schedules. */
    uint64_t e = params_epoch_of(&params, slot);
    while (params_epoch_of(&params, chain_tip(chain)->hdr.slot) < e + 3) {
        uint64_t s = chain_tip(chain)->hdr.slot + 1;
        while (leader_at(chain, s) == 0)
            s++;
        produce_at(chain, pool, s);
    }
    struct validator val;
    struct view *view = chain_view(chain);
    ck_assert(!staking_get_validator(view, pubs[0], &val)); /* left the list */
    view_free(view);
    check_invariants();
    wbuf_free(&w);
}
END_TEST

/* Whether a node would report a double proposal of pub at slot. */
static bool worth_reporting(const uint8_t pub[32], uint64_t slot)
{
    const char *why = "";
    struct view *view = chain_view(chain);
    bool ok = staking_evidence_worth(view, &params, pub, slot, &why);
    view_free(view);
    return ok;
}

/* Escaping the jail: a validator signs two blocks for its slot, both with an
 * UNBOND of all its stake.  Evidence then has nothing left to slash, so nodes
 * did not report it; at the next boundaries the validator left the list, its
 * record was deleted and the key registered again, never jailed.  A double
 * proposal by a validator not yet jailed is worth reporting even with
 * nothing to slash: jailed, the key keeps its record and never registers
 * again. */
START_TEST(double_proposal_with_nothing_left_still_jails)
{
    uint8_t sec[32], pub[32];
    struct wbuf w;
    wbuf_init(&w);
    randombytes_buf(sec, 32);
    ck_assert(key_pubkey(pub, sec));
    fund(pub, 3000 * COIN);
    produce(chain, pool);
    register_key(sec, params.min_validator_stake, NULL);
    produce(chain, pool);
    uint64_t slot = chain_tip(chain)->hdr.slot;
    stake_amount_encode(params.min_validator_stake, &w);
    send_payload(sec, TX_UNBOND, &w, NULL);
    produce(chain, pool);
    ck_assert_uint_eq(validator_of(chain, pub).self_stake, 0);

    /* Two headers it signed for one slot. */
    struct evidence e;
    memset(&e, 0, sizeof(e));
    e.a.version = BLOCK_VERSION;
    e.a.height = 5;
    e.a.slot = slot;
    e.a.time = params_slot_start(&params, slot);
    memcpy(e.a.proposer, pub, 32);
    e.b = e.a;
    e.b.state_root[0] = 1;
    ck_assert(header_sign(&e.a, params.genesis_hash, sec, NULL));
    ck_assert(header_sign(&e.b, params.genesis_hash, sec, NULL));
    ck_assert_msg(worth_reporting(pub, slot), "a double proposal of an unjailed validator with "
                  "nothing left to slash is not reported");
    evidence_encode(&e, &w);
    send_payload(secrets[1], TX_EVIDENCE, &w, NULL);
    produce(chain, pool);
    ck_assert_uint_eq(validator_of(chain, pub).status, VALIDATOR_JAILED);
    ck_assert(!worth_reporting(pub, slot + 1)); /* jailed, nothing to slash */

    /* It leaves the list but keeps its record: it never registers again. */
    uint64_t ep = params_epoch_of(&params, chain_tip(chain)->hdr.slot);
    while (params_epoch_of(&params, chain_tip(chain)->hdr.slot) < ep + 3)
        produce(chain, pool);
    ck_assert_uint_eq(list_size(), 4);
    ck_assert_uint_eq(validator_of(chain, pub).status, VALIDATOR_JAILED);
    register_key(sec, params.min_validator_stake, "bad-txns-validator-tombstoned");
    check_invariants();
    wbuf_free(&w);
}
END_TEST

/* Self-reporting for a bounty: an operator whose stake is mostly delegated
 * (an exited validator keeps only delegations; an active one may unbond its
 * own stake while delegations keep it drawable) signs two headers for any
 * slot and reports itself from another key.  The bounty was a share of
 * everything slashed, delegations included: 0.5% of its delegators' stake
 * for nothing of its own.  The bounty is at most the validator's own cut, so
 * reporting oneself never pays. */
/* Stake that left after the offence is still cut: the validator's own
 * UNBOND and its delegators' UNDELEGATE queued at or after the offence's
 * slot lose slash_bps (burned); an entry queued before keeps all of it. */
START_TEST(slash_cuts_unbonding_after_offence)
{
    uint8_t dsec[32], dpub[32];
    struct wbuf w;
    struct delegation_change dc;
    struct evidence e;
    struct unbonding_entry ue;
    struct supply_audit before, after;
    wbuf_init(&w);
    randombytes_buf(dsec, 32);
    ck_assert(key_pubkey(dpub, dsec));
    fund(dpub, 20000 * COIN);
    produce(chain, pool);
    memcpy(dc.validator, pubs[2], 32);
    dc.amount = 10000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, NULL);
    produce(chain, pool);
    /* Entry A, before the offence. */
    dc.amount = 1000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_UNDELEGATE, &w, NULL);
    produce(chain, pool);
    uint64_t mat_a = chain_tip(chain)->hdr.height + params.unbonding_blocks;
    produce(chain, pool);
    uint64_t offence = chain_tip(chain)->hdr.slot;
    /* Entries U (the validator's own) and B (a delegator's), after it. */
    stake_amount_encode(1000 * COIN, &w);
    send_payload(secrets[2], TX_UNBOND, &w, NULL);
    dc.amount = 2000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_UNDELEGATE, &w, NULL);
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    while (leader_at(chain, slot) == 2)
        slot++;
    produce_at(chain, pool, slot);
    uint64_t mat_b = chain_tip(chain)->hdr.height + params.unbonding_blocks;
    ck_assert(queued_entry(mat_b, 0, &ue) && ue.created_slot == slot);
    ck_assert(memcmp(ue.validator, pubs[2], 32) == 0);

    struct validator v2 = validator_of(chain, pubs[2]);
    ck_assert(supply_audit(chain, &before));
    make_evidence(&e, 2, offence);
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, NULL);
    slot = chain_tip(chain)->hdr.slot + 1;
    while (leader_at(chain, slot) == 3 || leader_at(chain, slot) == 2)
        slot++;
    produce_at(chain, pool, slot);
    ck_assert_uint_eq(validator_of(chain, pubs[2]).status, VALIDATOR_JAILED);
    ck_assert(queued_entry(mat_a, 0, &ue));
    ck_assert_uint_eq(ue.amount, 1000 * COIN);
    uint64_t cut = 0;
    for (uint64_t i = 0; i < 2; i++) {
        ck_assert(queued_entry(mat_b, i, &ue));
        uint64_t was = memcmp(ue.owner, pubs[2], 32) == 0 ? 1000 * COIN : 2000 * COIN;
        ck_assert_uint_eq(ue.amount, was - was * params.slash_bps / 10000);
        cut += was * params.slash_bps / 10000;
    }
    uint64_t self_cut = v2.self_stake * params.slash_bps / 10000;
    uint64_t del_cut = v2.delegated * params.slash_bps / 10000;
    uint64_t bounty = (self_cut + del_cut) * params.evidence_bounty_bps / 10000;
    if (bounty > self_cut)
        bounty = self_cut;
    ck_assert(supply_audit(chain, &after));
    ck_assert_uint_eq(after.burned - before.burned, self_cut + del_cut - bounty + cut);
    check_invariants();
    /* At maturity the cut amounts are paid and the validator's queue is empty. */
    uint64_t bal = balance_of(chain, dpub);
    while (chain_tip(chain)->hdr.height < mat_b) {
        slot = chain_tip(chain)->hdr.slot + 1;
        while (leader_at(chain, slot) == 2)
            slot++;
        produce_at(chain, pool, slot);
    }
    ck_assert_uint_eq(balance_of(chain, dpub), bal + 1000 * COIN + 1900 * COIN);
    {
        uint8_t qk[1 + 32];
        const uint8_t *val;
        size_t len;
        qk[0] = 'Q';
        memcpy(qk + 1, pubs[2], 32);
        struct view *view = chain_view(chain);
        ck_assert(!view_get(view, qk, sizeof(qk), &val, &len));
        view_free(view);
    }
    check_invariants();
    wbuf_free(&w);
}
END_TEST

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The work of a slash is the number of the offender's entries queued since
 * the offence: N UNDELEGATEs of one block, all cut by one evidence.  Prints
 * the time of the evidence's block against a block of N transfers. */
START_TEST(slash_work_many_entries)
{
    enum { N = 160 };
    uint8_t dsec[32], dpub[32];
    struct wbuf w;
    struct delegation_change dc;
    struct evidence e;
    struct timespec t0;
    wbuf_init(&w);
    randombytes_buf(dsec, 32);
    ck_assert(key_pubkey(dpub, dsec));
    fund(dpub, 20000 * COIN);
    produce(chain, pool);
    memcpy(dc.validator, pubs[2], 32);
    dc.amount = 10000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, NULL);
    produce(chain, pool);
    uint64_t offence = chain_tip(chain)->hdr.slot;
    /* A sender's chain in the mempool is limited: 20 a block, N / 20 = 8
     * blocks, within regtest's 10-block unbonding period and evidence window. */
    uint64_t mat = 0, first = 0;
    for (int i = 0; i < N; i++) {
        dc.amount = 1 * COIN;
        delegation_change_encode(&dc, &w);
        send_payload(dsec, TX_UNDELEGATE, &w, NULL);
        if (i % 20 == 19) {
            uint64_t s = chain_tip(chain)->hdr.slot + 1;
            produce_at(chain, pool, s);
            mat = chain_tip(chain)->hdr.height + params.unbonding_blocks;
            if (!first)
                first = mat;
        }
    }
    ck_assert_uint_eq(queued_count(mat), 20);
    for (int i = 0; i < 20; i++) {
        struct tx tx;
        struct wbuf tw;
        wbuf_init(&tw);
        fixture_transfer_payload(&tw, pubs[0], 1);
        make_tx_sec(&tx, dsec, TX_TRANSFER, &tw, mempool_next_nonce(pool, dpub), FEE);
        wbuf_free(&tw);
        submit(&tx, NULL);
        tx_free(&tx);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    produce(chain, pool);
    double transfers = seconds_since(&t0);
    make_evidence(&e, 2, offence);
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, NULL);
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    while (leader_at(chain, slot) == 3 || leader_at(chain, slot) == 2)
        slot++;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    produce_at(chain, pool, slot);
    double slash = seconds_since(&t0);
    struct unbonding_entry ue;
    ck_assert(queued_entry(mat, 19, &ue) && ue.amount == COIN - COIN * params.slash_bps / 10000);
    ck_assert(queued_entry(first, 0, &ue) && ue.amount == COIN - COIN * params.slash_bps / 10000);
    printf("slash_work: one evidence cutting %d unbonding entries: block %.4f s; block of 20 "
           "transfers %.4f s (build, connect)\n", N, slash, transfers);
    check_invariants();
    wbuf_free(&w);
}
END_TEST

/* Evidence of a slot after the including block's, reported by the
 * offender's own key, or older than the unbonding period: refused. */
START_TEST(evidence_future_self_and_old_refused)
{
    struct wbuf w;
    struct evidence e;
    wbuf_init(&w);
    produce(chain, pool);
    uint64_t tip = chain_tip(chain)->hdr.slot;
    make_evidence(&e, 2, tip + 1000);
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, "bad-evidence-future");
    make_evidence(&e, 2, tip);
    evidence_encode(&e, &w);
    send_payload(secrets[2], TX_EVIDENCE, &w, "bad-evidence-self-report");
    /* Past the unbonding period. */
    make_evidence(&e, 1, tip);
    while (chain_tip(chain)->hdr.slot + 1 <= tip + staking_evidence_window(&params))
        produce(chain, pool);
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, "bad-evidence-too-old");
    ck_assert_uint_eq(validator_of(chain, pubs[2]).status, VALIDATOR_ACTIVE);
    ck_assert_uint_eq(validator_of(chain, pubs[1]).status, VALIDATOR_ACTIVE);
    wbuf_free(&w);
}
END_TEST

START_TEST(self_report_bounty_never_exceeds_own_cut)
{
    uint8_t sec[32], pub[32], dsec[32], dpub[32], rsec[32], rpub[32];
    struct wbuf w;
    struct delegation_change dc;
    wbuf_init(&w);
    randombytes_buf(sec, 32);
    randombytes_buf(dsec, 32);
    randombytes_buf(rsec, 32);
    ck_assert(key_pubkey(pub, sec) && key_pubkey(dpub, dsec) && key_pubkey(rpub, rsec));
    fund(pub, 3000 * COIN);
    fund(dpub, 60000 * COIN);
    fund(rpub, 10 * COIN);
    produce(chain, pool);
    register_key(sec, params.min_validator_stake, NULL);
    produce(chain, pool);
    memcpy(dc.validator, pub, 32);
    dc.amount = 50000 * COIN;
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, NULL);
    stake_amount_encode(params.min_validator_stake, &w);
    send_payload(sec, TX_UNBOND, &w, NULL);
    produce(chain, pool);
    struct validator val = validator_of(chain, pub);
    ck_assert_uint_eq(val.self_stake, 0);
    ck_assert_uint_eq(val.delegated, 50000 * COIN);

    struct evidence e;
    memset(&e, 0, sizeof(e));
    e.a.version = BLOCK_VERSION;
    e.a.height = 5;
    e.a.slot = chain_tip(chain)->hdr.slot;
    e.a.time = params_slot_start(&params, e.a.slot);
    memcpy(e.a.proposer, pub, 32);
    e.b = e.a;
    e.b.state_root[0] = 1;
    ck_assert(header_sign(&e.a, params.genesis_hash, sec, NULL));
    ck_assert(header_sign(&e.b, params.genesis_hash, sec, NULL));
    evidence_encode(&e, &w);
    uint64_t before = balance_of(chain, rpub);
    send_payload(rsec, TX_EVIDENCE, &w, NULL);
    produce(chain, pool);
    val = validator_of(chain, pub);
    ck_assert_uint_eq(val.status, VALIDATOR_JAILED);
    ck_assert_uint_eq(val.delegated, 50000 * COIN - 2500 * COIN); /* delegations still slashed */
    uint64_t after = balance_of(chain, rpub);
    ck_assert_msg(after + FEE <= before, "the operator's second key gained %llu base units by "
                  "reporting its own validator", (unsigned long long)(after + FEE - before));
    check_invariants();
    wbuf_free(&w);
}
END_TEST

/* Produces the next block in a slot led by one of the four regtest
 * validators (the signer knows no other key's reveals). */
static void produce_known(void)
{
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    while (leader_at(chain, slot) < 0)
        slot++;
    produce_at(chain, pool, slot);
}

/* The list full (256): 252 minimum-stake validators, half of them with a
 * delegation, unbond everything in one block.  They all leave the list at
 * one boundary (the exited ones keep their records); disconnecting that
 * block restores the state root and the list exactly, connecting it again
 * gives the same root; then one block of UNDELEGATEs deletes the 126 exited
 * records, and the supply adds up after every block. */
START_TEST(many_validators_leave_at_one_boundary_and_reorg)
{
    params.max_validators = 256;
    reopen_with_params("mass");
    enum { N = 252 };
    static uint8_t sec[N][32], pub[N][32];
    uint8_t dsec[32], dpub[32];
    struct wbuf w;
    struct delegation_change dc;
    wbuf_init(&w);
    randombytes_buf(dsec, 32);
    ck_assert(key_pubkey(dpub, dsec));
    fund(dpub, 200000 * COIN);
    for (int i = 0; i < N; i++) {
        randombytes_buf(sec[i], 32);
        ck_assert(key_pubkey(pub[i], sec[i]));
        fund(pub[i], 3000 * COIN);
        if (i % 20 == 19)
            produce_known();
    }
    produce_known();
    for (int i = 0; i < N; i++)
        register_key(sec[i], params.min_validator_stake, NULL);
    produce_known();
    ck_assert_uint_eq(list_size(), 256);
    for (int i = 0; i < N; i += 2) {
        memcpy(dc.validator, pub[i], 32);
        dc.amount = 10 * COIN;
        delegation_change_encode(&dc, &w);
        send_payload(dsec, TX_DELEGATE, &w, NULL);
        if (i % 40 == 38)
            produce_known();
    }
    produce_known();
    for (int i = 0; i < N; i++) {
        stake_amount_encode(params.min_validator_stake, &w);
        send_payload(sec[i], TX_UNBOND, &w, NULL);
    }
    produce_known();
    size_t prev = list_size();
    int shrunk = 0;
    for (int k = 0; k < 60 && list_size() > 4; k++) {
        uint8_t before[32], after[32], root[32], hash[32];
        struct validation v;
        chain_state_root(chain, before);
        produce_known();
        size_t n = list_size();
        if (n < prev) {
            chain_state_root(chain, after);
            memcpy(hash, chain_tip(chain)->hash, 32);
            ck_assert(chain_invalidate(chain, hash, &v));
            chain_state_root(chain, root);
            ck_assert_mem_eq(root, before, 32);
            ck_assert_uint_eq(list_size(), prev);
            ck_assert(chain_reconsider(chain, hash, &v));
            ck_assert_mem_eq(chain_tip(chain)->hash, hash, 32);
            chain_state_root(chain, root);
            ck_assert_mem_eq(root, after, 32);
            shrunk++;
        }
        prev = n;
    }
    ck_assert_uint_eq(list_size(), 4);
    ck_assert_int_eq(shrunk, 1); /* all at one boundary */
    ck_assert_uint_eq(validator_of(chain, pub[0]).status, VALIDATOR_EXITED);
    for (int i = 0; i < N; i += 2) {
        memcpy(dc.validator, pub[i], 32);
        dc.amount = UNDELEGATE_ALL;
        delegation_change_encode(&dc, &w);
        send_payload(dsec, TX_UNDELEGATE, &w, NULL);
        if (i % 40 == 38)
            produce_known();
    }
    produce_known();
    for (int k = 0; k < 12; k++)
        produce_known(); /* the queue pays out; the last entry deletes each record */
    struct view *view = chain_view(chain);
    for (int i = 0; i < N; i++) {
        struct validator val;
        ck_assert(!staking_get_validator(view, pub[i], &val));
    }
    view_free(view);
    check_invariants();
    wbuf_free(&w);
}
END_TEST

static Suite *staking_suite(void)
{
    Suite *s = suite_create("staking");
    TCase *tc = tcase_create("staking");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, register_stake_unbond);
    tcase_add_test(tc, delegation_rewards_to_the_base_unit);
    tcase_add_test(tc, evidence_slashes_jails_and_pays_bounty);
    tcase_add_test(tc, reorganization_restores_staking_state);
    tcase_add_test(tc, statistics_past_the_supply_cap_never_fail_a_block);
    tcase_add_test(tc, unbonding_queue_order_and_undo);
    tcase_add_test(tc, validator_slots_freed_after_full_unbond);
    tcase_add_test(tc, last_block_of_an_epoch_cannot_grind_the_schedule);
    tcase_add_test(tc, exited_validator_keeps_its_delegations_until_they_leave);
    tcase_add_test(tc, validator_with_nothing_bonded_proposes_no_more);
    tcase_add_test(tc, double_proposal_with_nothing_left_still_jails);
    tcase_add_test(tc, self_report_bounty_never_exceeds_own_cut);
    tcase_add_test(tc, evidence_future_self_and_old_refused);
    tcase_add_test(tc, slash_cuts_unbonding_after_offence);
    tcase_add_test(tc, slash_work_many_entries);
    tcase_add_test(tc, many_validators_leave_at_one_boundary_and_reorg);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(staking_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
