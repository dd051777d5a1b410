/* Liveness: the slots each validator led and missed, the downtime jail at the
 * epoch change, UNJAIL, the evidence tombstone and VALIDATOR_EDIT, on a
 * regtest chain with the downtime jail turned on (doc/protocol.md 16.7);
 * rivals orphaning a validator's blocks to have it jailed, on two nodes. */
#include "chain_fixture.h"
#include "consensus/emission.h"
#include "consensus/finality.h"
#include "consensus/genesis.h"
#include "consensus/stakingtx.h"
#include "state/finality.h"

#include <time.h>

#define FEE 5000
#define EPOCH 32
#define VICTIM 1

static struct chain *chain;
static struct mempool *pool;

static void setup(void)
{
    struct block_header g;
    fixture_setup();
    params.epoch_slots = EPOCH;
    params.downtime_jail_bps = 5000;
    params.downtime_min_slots = 4;
    params.downtime_jail_epochs = 2;
    params.downtime_slash_bps = 100;
    params.max_commission_change_bps = 100;
    ck_assert(genesis_build(&params, &g));
    chain = open_chain();
    pool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
}

/* The same chain with the downtime jail off (tests that skip slots freely). */
static void setup_off(void)
{
    struct block_header g;
    fixture_setup();
    params.epoch_slots = EPOCH;
    params.downtime_jail_bps = 0;
    params.max_commission_change_bps = 100;
    ck_assert(genesis_build(&params, &g));
    chain = open_chain();
    pool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
}

/* The longest epochs params_validate allows, with the jail on. */
static void setup_long(void)
{
    struct block_header g;
    fixture_setup();
    params.epoch_slots = 100000;
    params.downtime_jail_bps = 5000;
    params.downtime_min_slots = 4;
    params.downtime_jail_epochs = 2;
    ck_assert(genesis_build(&params, &g));
    chain = open_chain();
    pool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
}

static void teardown(void)
{
    mempool_free(pool);
    chain_close(chain);
    fixture_teardown();
}

static uint64_t tip_slot(void)
{
    return chain_tip(chain)->hdr.slot;
}

static uint64_t tip_epoch(void)
{
    return params_epoch_of(&params, tip_slot());
}

static struct liveness live_of(uint64_t epoch, int who)
{
    struct liveness l;
    struct view *view = chain_view(chain);
    ck_assert(staking_get_liveness(view, epoch, pubs[who], &l));
    view_free(view);
    return l;
}

static bool scheduled(int which, int who)
{
    struct view *view = chain_view(chain);
    uint8_t key[2];
    const uint8_t *val;
    size_t len;
    struct schedule s;
    bool found = false;
    schedule_key(key, which);
    ck_assert(view_get(view, key, sizeof(key), &val, &len));
    ck_assert(schedule_decode(&s, val, len, params.max_validators));
    for (size_t i = 0; i < s.n; i++)
        found |= memcmp(s.entries[i].pubkey, pubs[who], PUBKEY_SIZE) == 0;
    schedule_free(&s);
    view_free(view);
    return found;
}

static void send_payload(const uint8_t sec[32], uint8_t type, struct wbuf *w, const char *expect)
{
    uint8_t pub[32];
    struct tx tx;
    ck_assert(key_pubkey(pub, sec));
    make_tx_sec(&tx, sec, type, w, mempool_next_nonce(pool, pub), FEE);
    submit_to(pool, &tx, expect);
    tx_free(&tx);
    wbuf_reset(w);
}

/* Produces every slot after the tip up to `last` (included) whose leader is
 * not in the mask `off`; counts, per validator, the slots led and missed
 * from the tip on (into led/missed when not NULL). */
static void run_to(uint64_t last, unsigned off, uint32_t *led, uint32_t *missed)
{
    for (uint64_t slot = tip_slot() + 1; slot <= last; slot++) {
        int who = leader_at(chain, slot);
        ck_assert(who >= 0);
        if (led)
            led[who]++;
        if (off & (1u << who)) {
            if (missed)
                missed[who]++;
            continue;
        }
        produce_at(chain, pool, slot);
    }
}

/* The next block, by the first leader after the tip not in off. */
static void produce_next(unsigned off)
{
    uint64_t slot = tip_slot() + 1;
    while (off & (1u << leader_at(chain, slot)))
        slot++;
    produce_at(chain, pool, slot);
}

/* The first block of the next epoch by a leader not in off. */
static void first_of_next_epoch(unsigned off)
{
    uint64_t slot = (tip_epoch() + 1) * EPOCH;
    while (off & (1u << leader_at(chain, slot)))
        slot++;
    produce_at(chain, pool, slot);
}

/* The share test alone: more than bps of the slots led, at least min led. */
START_TEST(threshold_boundary)
{
    struct liveness l = {.led = 4, .missed = 2};
    ck_assert(!liveness_over(&l, 5000, 4)); /* exactly half: not over */
    l.missed = 3;
    ck_assert(liveness_over(&l, 5000, 4));
    ck_assert(!liveness_over(&l, 0, 4)); /* off */
    l.led = 3;
    l.missed = 3;
    ck_assert(!liveness_over(&l, 5000, 4)); /* too few slots to judge */
    l.led = 10000;
    l.missed = 5001;
    ck_assert(liveness_over(&l, 5000, 1));
    l.missed = 5000;
    ck_assert(!liveness_over(&l, 5000, 1));
    l.led = 100000;
    l.missed = 100000;
    ck_assert(liveness_over(&l, 9999, 1));
}
END_TEST

/* The defaults of each network and the ranges params_validate takes. */
START_TEST(params_ranges)
{
    struct chain_params mainp, testp, p;
    char err[128];
    ck_assert(params_init(&mainp, NET_MAIN) && params_init(&testp, NET_TEST));
    ck_assert_uint_eq(mainp.downtime_jail_bps, 5000);
    ck_assert_uint_eq(testp.downtime_jail_bps, 5000);
    ck_assert_uint_eq(mainp.downtime_min_slots, 4);
    ck_assert_uint_eq(mainp.downtime_jail_epochs, 6);
    ck_assert_uint_eq(mainp.downtime_slash_bps, 1);
    ck_assert_uint_eq(mainp.max_commission_change_bps, 100);
    params_free(&mainp);
    params_free(&testp);
    ck_assert(params_init(&p, NET_REGTEST));
    ck_assert_uint_eq(p.downtime_jail_bps, 0); /* off on regtest */
    ck_assert(params_validate(&p, err, sizeof(err)));
    p.epoch_slots = 2; /* below min slots: fine while the jail is off */
    ck_assert(params_validate(&p, err, sizeof(err)));
    p.downtime_jail_bps = 5000;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    ck_assert_str_eq(err, "downtime_min_slots must be 1..epoch_slots");
    p.epoch_slots = 8;
    ck_assert(params_validate(&p, err, sizeof(err)));
    p.downtime_min_slots = 0;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    p.downtime_min_slots = 4;
    p.downtime_jail_epochs = 1;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    ck_assert_str_eq(err, "downtime_jail_epochs must be 2..1000000");
    p.downtime_jail_epochs = 6;
    p.downtime_jail_bps = 10000;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    ck_assert_str_eq(err, "downtime_jail_bps must be 0..9999");
    p.downtime_jail_bps = 9999;
    ck_assert(params_validate(&p, err, sizeof(err)));
    p.downtime_slash_bps = 1001;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    ck_assert_str_eq(err, "downtime_slash_bps must be 0..1000");
    p.downtime_slash_bps = 1000;
    p.max_commission_change_bps = 10001;
    ck_assert(!params_validate(&p, err, sizeof(err)));
    ck_assert_str_eq(err, "max_commission_change_bps above 10000");
    p.max_commission_change_bps = 0;
    ck_assert(params_validate(&p, err, sizeof(err)));
    params_free(&p);
}
END_TEST

/* Empty slots count against the leader the schedule of their epoch names,
 * a block for its proposer; a run of several empty slots counts each. */
START_TEST(counting_with_gaps)
{
    uint32_t led[4] = {0}, missed[4] = {0};
    /* Slots 1..12 without the victim, then nothing until a block at 18 or
     * later: slots 13..(that block - 1) are missed by whoever led them. */
    run_to(12, 1u << VICTIM, led, missed);
    uint64_t slot = 18;
    while (leader_at(chain, slot) == VICTIM)
        slot++;
    for (uint64_t s = 13; s < slot; s++) {
        int who = leader_at(chain, s);
        led[who]++;
        missed[who]++;
    }
    led[leader_at(chain, slot)]++;
    produce_at(chain, pool, slot);
    uint32_t total = 0;
    for (int i = 0; i < 4; i++) {
        struct liveness l = live_of(0, i);
        ck_assert_msg(l.led == led[i] && l.missed == missed[i], "validator %d: %u/%u, want %u/%u",
                      i, l.led, l.missed, led[i], missed[i]);
        total += l.led;
    }
    ck_assert_uint_eq(total, slot); /* every slot 1..slot, once */
    ck_assert_uint_gt(missed[VICTIM], 0);
}
END_TEST

/* A block after a long gap counts only its own epoch's slots: the epochs
 * without a block record nothing and judge nobody, and the parent's epoch
 * is judged (its counts deleted) without its tail (a network outage). */
START_TEST(gap_bound)
{
    run_to(5, 0, NULL, NULL);
    ck_assert_uint_gt(live_of(0, 0).led + live_of(0, 1).led + live_of(0, 2).led + live_of(0, 3).led, 0);
    /* Epoch 0 ... then a block in epoch 5 at its slot 3 or later. */
    uint64_t slot = 5 * EPOCH + 3;
    produce_at(chain, pool, slot);
    uint32_t sum5 = 0;
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(live_of(0, i).led, 0); /* judged and deleted */
        for (uint64_t e = 1; e < 5; e++)
            ck_assert_uint_eq(live_of(e, i).led, 0);
        sum5 += live_of(5, i).led;
        ck_assert_uint_eq(validator_of(chain, pubs[i]).status, VALIDATOR_ACTIVE);
    }
    ck_assert_uint_eq(sum5, slot - 5 * EPOCH + 1);

    /* A gap of millions of slots costs no more than two epochs of draws. */
    slot = 100000000ull * EPOCH + 7;
    produce_at(chain, pool, slot);
    uint32_t sum = 0;
    for (int i = 0; i < 4; i++)
        sum += live_of(100000000ull, i).led;
    ck_assert_uint_eq(sum, 8);
}
END_TEST

/* When the whole network missed more than the threshold of an epoch's
 * slots, nobody is jailed: it was not one validator's fault. */
START_TEST(network_outage_jails_nobody)
{
    run_to(2, 0, NULL, NULL);
    first_of_next_epoch(0); /* slots 3..31 of epoch 0 empty for everyone */
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(validator_of(chain, pubs[i]).status, VALIDATOR_ACTIVE);
}
END_TEST

/* An offline validator is jailed at the first block of the next epoch,
 * slashed, drops out of the schedules two epochs later, cannot UNJAIL
 * before its jail ends, then UNJAILs and proposes again after the usual
 * delay. */
START_TEST(jail_and_unjail)
{
    uint32_t led[4] = {0}, missed[4] = {0};
    struct wbuf w;
    struct party other;
    wbuf_init(&w);
    new_party_from(pool, &other, 10 * COIN, FEE);
    run_to(EPOCH - 1, 1u << VICTIM, led, missed);
    ck_assert_msg(led[VICTIM] >= params.downtime_min_slots, "victim led %u", led[VICTIM]);
    /* Not judged before the epoch is over. */
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_ACTIVE);
    uint64_t stake = validator_of(chain, pubs[VICTIM]).self_stake;
    first_of_next_epoch(1u << VICTIM);
    struct validator v = validator_of(chain, pubs[VICTIM]);
    ck_assert_uint_eq(v.status, VALIDATOR_DOWNTIME);
    ck_assert_uint_eq(v.jailed_until, 1 + params.downtime_jail_epochs);
    ck_assert_uint_eq(v.self_stake, stake - stake / 100);
    for (int i = 0; i < 4; i++)
        if (i != VICTIM)
            ck_assert_uint_eq(validator_of(chain, pubs[i]).status, VALIDATOR_ACTIVE);

    /* Too early; not jailed; not a validator; a payload. */
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, "bad-unjail-too-early");
    send_payload(secrets[0], TX_UNJAIL, &w, "bad-unjail-not-jailed");
    send_from(pool, &other, TX_UNJAIL, &w, FEE, "bad-txns-no-validator", NULL);
    put_u8(&w, 0);
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, "bad-txns-payload");
    /* The key keeps its record while jailed: no second registration. */
    struct validator_register r = {.stake = params.min_validator_stake};
    validator_register_encode(&r, &w);
    send_payload(secrets[VICTIM], TX_VALIDATOR_REGISTER, &w, "bad-txns-validator-exists");

    /* Epochs 1 and 2 were drawn before the jail: it is in their schedules
     * (its slots stay empty and count against nobody); epoch 3 is drawn
     * from the stakes after it, without it. */
    ck_assert(scheduled(SCHEDULE_CUR, VICTIM) && scheduled(SCHEDULE_NEXT, VICTIM));
    run_to(2 * EPOCH - 1, 1u << VICTIM, NULL, NULL);
    ck_assert_uint_eq(live_of(1, VICTIM).led, 0);
    first_of_next_epoch(1u << VICTIM);
    ck_assert(scheduled(SCHEDULE_CUR, VICTIM) && !scheduled(SCHEDULE_NEXT, VICTIM));
    v = validator_of(chain, pubs[VICTIM]);
    ck_assert_uint_eq(v.status, VALIDATOR_DOWNTIME); /* not judged again */
    ck_assert_uint_eq(v.jailed_until, 3);
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, "bad-unjail-too-early");
    run_to(3 * EPOCH - 1, 1u << VICTIM, NULL, NULL);
    first_of_next_epoch(1u << VICTIM);
    ck_assert_uint_eq(tip_epoch(), 3);
    ck_assert(!scheduled(SCHEDULE_CUR, VICTIM));

    /* The jail is over: UNJAIL in epoch 3, back in the schedule of epoch 6
     * (the stakes at the end of epoch 3). */
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, NULL);
    produce_next(1u << VICTIM);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_ACTIVE);
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, "bad-unjail-not-jailed");
    for (uint64_t e = 4; e <= 6; e++) {
        run_to(e * EPOCH - 1, 1u << VICTIM, NULL, NULL);
        first_of_next_epoch(1u << VICTIM);
        ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_ACTIVE);
    }
    ck_assert_uint_eq(tip_epoch(), 6);
    ck_assert(scheduled(SCHEDULE_CUR, VICTIM));
    produce_by(chain, pool, VICTIM);
    ck_assert_uint_eq(chain_tip(chain)->hdr.proposer[0], pubs[VICTIM][0]);
    wbuf_free(&w);
}
END_TEST

/* Disconnecting the judging block restores the counts it deleted and the
 * record it jailed (the undo data covers every key), state root included;
 * the next first block of the epoch judges the same way. */
START_TEST(judging_undone_by_reorg)
{
    uint8_t roots[2 * EPOCH][32];
    run_to(EPOCH - 1, 1u << VICTIM, NULL, NULL);
    uint64_t base = chain_height(chain);
    ck_assert_uint_lt(base, 2 * EPOCH);
    chain_state_root(chain, roots[base]);
    struct liveness before = live_of(0, VICTIM);
    uint64_t stake = validator_of(chain, pubs[VICTIM]).self_stake;
    ck_assert_uint_gt(before.missed, 0);
    first_of_next_epoch(1u << VICTIM);
    uint64_t judged_at = tip_slot();
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_DOWNTIME);
    ck_assert_uint_eq(live_of(0, VICTIM).led, 0);
    invalidate_to(chain, base, roots);
    struct validator v = validator_of(chain, pubs[VICTIM]);
    ck_assert_uint_eq(v.status, VALIDATOR_ACTIVE);
    ck_assert_uint_eq(v.self_stake, stake);
    ck_assert_uint_eq(live_of(0, VICTIM).led, before.led);
    ck_assert_uint_eq(live_of(0, VICTIM).missed, before.missed);
    /* Another first block of epoch 1, at a later slot. */
    uint64_t slot = judged_at + 1;
    while (leader_at(chain, slot) == VICTIM)
        slot++;
    produce_at(chain, pool, slot);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_DOWNTIME);
}
END_TEST

/* Exactly half of its slots missed is not over a 5000 bps threshold: the
 * validator stays; skipping more of its own slots only counts against it. */
START_TEST(half_missed_stays)
{
    /* A validator that leads an even number (at least 4) of slots 1..31. */
    uint32_t led[4] = {0};
    int who = -1;
    for (uint64_t s = 1; s < EPOCH; s++)
        led[leader_at(chain, s)]++;
    for (int i = 0; i < 4 && who < 0; i++)
        if (led[i] >= params.downtime_min_slots && led[i] % 2 == 0)
            who = i;
    ck_assert_msg(who >= 0, "no validator leads an even number of slots");
    /* It misses exactly half of them and proposes the others. */
    uint32_t seen = 0;
    for (uint64_t s = 1; s < EPOCH; s++) {
        if (leader_at(chain, s) == who && seen++ < led[who] / 2)
            continue;
        produce_at(chain, pool, s);
    }
    struct liveness l = live_of(0, who);
    ck_assert_uint_eq(l.led, led[who]);
    ck_assert_uint_eq(l.missed * 2, l.led);
    first_of_next_epoch(0);
    ck_assert_uint_eq(validator_of(chain, pubs[who]).status, VALIDATOR_ACTIVE);
}
END_TEST

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

/* Evidence makes a tombstone, also of a validator jailed for downtime: no
 * UNJAIL, no EDIT, and the key never registers again. */
START_TEST(tombstone_refusals)
{
    struct wbuf w;
    struct evidence e;
    wbuf_init(&w);
    run_to(EPOCH - 1, 1u << VICTIM, NULL, NULL);
    first_of_next_epoch(1u << VICTIM);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_DOWNTIME);
    make_evidence(&e, VICTIM, chain_tip(chain)->hdr.slot - 1);
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, NULL);
    make_evidence(&e, 2, chain_tip(chain)->hdr.slot);
    evidence_encode(&e, &w);
    send_payload(secrets[3], TX_EVIDENCE, &w, NULL);
    produce_next(1u << VICTIM);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_JAILED);
    ck_assert_uint_eq(validator_of(chain, pubs[2]).status, VALIDATOR_JAILED);
    for (int i = 0; i < 3; i++) {
        run_to((tip_epoch() + 1) * EPOCH - 1, 1u << VICTIM | 1u << 2, NULL, NULL);
        first_of_next_epoch(1u << VICTIM | 1u << 2);
    }
    ck_assert_uint_ge(tip_epoch(), 3); /* the downtime jail would be over */
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, "bad-unjail-tombstoned");
    send_payload(secrets[2], TX_UNJAIL, &w, "bad-unjail-tombstoned");
    struct validator_edit ed = {.commission_bps = 1000};
    validator_edit_encode(&ed, &w);
    send_payload(secrets[2], TX_VALIDATOR_EDIT, &w, "bad-txns-validator-jailed");
    struct validator_register r = {.stake = params.min_validator_stake, .commission_bps = 0};
    validator_register_encode(&r, &w);
    send_payload(secrets[2], TX_VALIDATOR_REGISTER, &w, "bad-txns-validator-tombstoned");
    validator_register_encode(&r, &w);
    send_payload(secrets[VICTIM], TX_VALIDATOR_REGISTER, &w, "bad-txns-validator-tombstoned");
    wbuf_free(&w);
}
END_TEST

/* A validator jailed for downtime that unbonds below the minimum cannot
 * UNJAIL; adding stake back (allowed while jailed for downtime) can. */
START_TEST(unjail_needs_stake)
{
    struct wbuf w;
    wbuf_init(&w);
    run_to(EPOCH - 1, 1u << VICTIM, NULL, NULL);
    first_of_next_epoch(1u << VICTIM);
    for (int i = 0; i < 2; i++) {
        run_to((tip_epoch() + 1) * EPOCH - 1, 1u << VICTIM, NULL, NULL);
        first_of_next_epoch(1u << VICTIM);
    }
    ck_assert_uint_eq(tip_epoch(), 3);
    uint64_t keep = params.min_validator_stake - 1;
    stake_amount_encode(validator_of(chain, pubs[VICTIM]).self_stake - keep, &w);
    send_payload(secrets[VICTIM], TX_UNBOND, &w, NULL);
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, "bad-unjail-stake-too-low");
    stake_amount_encode(1, &w);
    send_payload(secrets[VICTIM], TX_STAKE_ADD, &w, NULL);
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, NULL);
    produce_next(1u << VICTIM);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_ACTIVE);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).self_stake, params.min_validator_stake);
    wbuf_free(&w);
}
END_TEST

static void edit(int who, uint16_t commission, const char *desc, size_t len, const char *expect)
{
    struct wbuf w;
    struct validator_edit e = {.commission_bps = commission};
    wbuf_init(&w);
    if (len <= VALIDATOR_DESCRIPTION_MAX) {
        memcpy(e.description, desc, len);
        e.description_len = (uint8_t)len;
        validator_edit_encode(&e, &w);
    } else {
        put_u16(&w, commission);
        put_varbytes(&w, desc, len);
    }
    send_payload(secrets[who], TX_VALIDATOR_EDIT, &w, expect);
    wbuf_free(&w);
}

/* The delegators' part of validator 0's next block, from its bank; the
 * block's epoch in *epoch. */
static uint64_t delegators_cut(uint64_t *epoch)
{
    uint64_t before = validator_of(chain, pubs[0]).bank;
    produce_by(chain, pool, 0);
    *epoch = tip_epoch();
    return validator_of(chain, pubs[0]).bank - before;
}

/* Commission moves by at most max_commission_change_bps from its value at
 * the start of the epoch, takes effect for rewards from the next epoch, and
 * the description is bounded UTF-8. */
START_TEST(edit_bounds)
{
    struct wbuf w;
    struct emission_split split;
    uint8_t dsec[32], dpub[32];
    wbuf_init(&w);
    randombytes_buf(dsec, 32);
    ck_assert(key_pubkey(dpub, dsec));
    struct tx tx;
    make_transfer(&tx, 3, dpub, 200000 * COIN, mempool_next_nonce(pool, pubs[3]), FEE);
    submit_to(pool, &tx, NULL);
    tx_free(&tx);
    produce(chain, pool);
    struct delegation_change dc = {.amount = 100000 * COIN};
    memcpy(dc.validator, pubs[0], 32);
    delegation_change_encode(&dc, &w);
    send_payload(dsec, TX_DELEGATE, &w, NULL);
    produce(chain, pool);
    emission_split(&params, params.block_reward, &split);
    /* Half the stake is delegated: delegators get half of what commission leaves. */
    uint64_t at1000 = (split.proposer - split.proposer * 1000 / 10000) / 2;
    uint64_t at1100 = (split.proposer - split.proposer * 1100 / 10000) / 2;
    uint64_t at1200 = (split.proposer - split.proposer * 1200 / 10000) / 2;
    uint64_t be, cut = delegators_cut(&be);
    ck_assert_uint_eq(cut, at1000);

    uint64_t e = tip_epoch();
    edit(0, 1101, "", 0, "bad-txns-commission-change");
    edit(0, 899, "", 0, "bad-txns-commission-change");
    edit(0, 900, "", 0, NULL);
    edit(0, 1100, "n\xc3\xb8" "de one", 8, NULL); /* within 100 of 1000, the start */
    edit(0, 1101, "", 0, "bad-txns-commission-change");
    edit(0, 5001, "", 0, "bad-txns-commission"); /* above max_commission_bps */
    edit(0, 1100, "bad\xff", 4, "bad-txns-description");
    edit(0, 1100, "new\nline", 8, "bad-txns-description");
    char big[VALIDATOR_DESCRIPTION_MAX + 1];
    memset(big, 'x', sizeof(big));
    edit(0, 1100, big, sizeof(big), "bad-txns-payload");
    produce(chain, pool);
    struct validator v = validator_of(chain, pubs[0]);
    ck_assert_uint_eq(v.commission_bps, 1100);
    ck_assert_uint_eq(v.description_len, 8);
    ck_assert(memcmp(v.description, "n\xc3\xb8" "de one", 8) == 0);
    /* The edit's epoch keeps 1000 for rewards, the next one has 1100. */
    cut = delegators_cut(&be);
    ck_assert_uint_eq(cut, be == e ? at1000 : at1100);
    while (tip_epoch() == e)
        produce(chain, pool);
    cut = delegators_cut(&be);
    ck_assert_uint_eq(cut, at1100);
    /* Around 1100 now: up to 1200, a step over the boundary of 100 again. */
    e = tip_epoch();
    edit(0, 1201, "", 0, "bad-txns-commission-change");
    edit(0, 1200, "", 0, NULL);
    produce(chain, pool);
    cut = delegators_cut(&be);
    ck_assert_uint_eq(cut, be == e ? at1100 : at1200);
    while (tip_epoch() <= e)
        produce(chain, pool);
    cut = delegators_cut(&be);
    ck_assert_uint_eq(cut, at1200);
    wbuf_free(&w);
}
END_TEST

/* The most a block can count: the parent at the first slot of an epoch of
 * 100,000 slots, the block at the last slot of the next one (199,997 empty
 * slots, one leader draw each).  Prints the time to build and connect it
 * against a block after no gap. */
START_TEST(worst_gap_cost)
{
    struct timespec t0, t1, t2;
    produce_at(chain, pool, 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    produce_at(chain, pool, 2);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t slot = 2 * 100000 - 1;
    while (leader_at(chain, slot) < 0)
        slot--;
    produce_at(chain, pool, slot);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    uint32_t sum0 = 0, sum1 = 0;
    for (int i = 0; i < 4; i++) {
        sum1 += live_of(1, i).led;
        sum0 += live_of(0, i).led;
    }
    ck_assert_uint_eq(sum0, 0); /* judged */
    ck_assert_uint_eq(sum1, slot - 100000 + 1);
    double plain = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    double worst = (double)(t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) / 1e9;
    printf("worst_gap_cost: block after 199,997 empty slots %.3f s, after none %.3f s "
           "(build, connect and supply audit)\n", worst, plain);
}
END_TEST

/* ---- the downtime jail beside checkpoint finality (doc/protocol.md 16.7, 20.3) ---- */

/* A FINALITY_VOTE of validator who, source (se, sh), target (te, th). */
static void make_vote_of(struct tx *tx, int who, uint64_t se, const uint8_t sh[HASH_SIZE],
                         uint64_t te, const uint8_t th[HASH_SIZE])
{
    struct finality_vote fv = {.source = {.epoch = se}, .target = {.epoch = te}};
    struct wbuf w;
    memcpy(fv.source.hash, sh, HASH_SIZE);
    memcpy(fv.target.hash, th, HASH_SIZE);
    wbuf_init(&w);
    finality_vote_encode(&fv, &w);
    make_tx_sec(tx, secrets[who], TX_FINALITY_VOTE, &w, 0, 0);
    wbuf_free(&w);
}

/* checkpoint(e) on the active chain: the last block before e's first slot. */
static void checkpoint_of(uint64_t e, uint8_t out[HASH_SIZE])
{
    const struct block_index *bi = chain_tip(chain);
    while (bi->hdr.height > 0 && bi->hdr.slot >= e * EPOCH)
        bi = chain_at(chain, bi->hdr.height - 1);
    memcpy(out, bi->hash, HASH_SIZE);
}

/* The victim's vote for target epoch e (source genesis: nothing else votes,
 * so nothing is justified), offered to the mempool. */
static void victim_vote(uint64_t e, const char *expect)
{
    struct tx tx;
    uint8_t th[HASH_SIZE];
    checkpoint_of(e, th);
    make_vote_of(&tx, VICTIM, 0, params.genesis_hash, e, th);
    submit_to(pool, &tx, expect);
    tx_free(&tx);
}

static uint64_t weight_of(uint64_t e, int who, uint64_t *voted)
{
    uint64_t total, linked;
    struct view *view = chain_view(chain);
    uint64_t s = finality_weight(view, e, pubs[who]);
    ck_assert(finality_tally(view, e, &total, voted, &linked));
    view_free(view);
    return s;
}

/* Jailed for downtime at the first block of epoch 1, the victim stays in
 * the schedules of epochs 1 and 2 (drawn before): its votes for them count
 * in the tallies.  The schedule of epoch 3 lacks it: its vote for 3 is
 * bad-vote-not-validator, and epoch 3's weights total no longer holds its
 * stake. */
START_TEST(jailed_validator_votes)
{
    uint64_t voted;
    run_to(EPOCH - 1, 1u << VICTIM, NULL, NULL);
    first_of_next_epoch(1u << VICTIM);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_DOWNTIME);
    uint64_t w1 = weight_of(1, VICTIM, &voted);
    ck_assert_uint_gt(w1, 0);
    ck_assert_uint_eq(voted, 0);
    victim_vote(1, NULL);
    produce_next(1u << VICTIM);
    ck_assert_uint_eq(weight_of(1, VICTIM, &voted), w1);
    /* Counted with at most what is bonded now: the downtime slash took its part. */
    struct validator jv = validator_of(chain, pubs[VICTIM]);
    uint64_t bonded = jv.self_stake + jv.delegated;
    ck_assert_uint_lt(bonded, w1);
    ck_assert_uint_eq(voted, bonded);

    run_to(2 * EPOCH - 1, 1u << VICTIM, NULL, NULL);
    first_of_next_epoch(1u << VICTIM);
    ck_assert_uint_eq(tip_epoch(), 2);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_DOWNTIME);
    uint64_t w2 = weight_of(2, VICTIM, &voted);
    ck_assert_uint_gt(w2, 0);
    victim_vote(2, NULL);
    produce_next(1u << VICTIM);
    weight_of(2, VICTIM, &voted);
    jv = validator_of(chain, pubs[VICTIM]);
    bonded = jv.self_stake + jv.delegated;
    ck_assert_uint_eq(voted, bonded < w2 ? bonded : w2);

    run_to(3 * EPOCH - 1, 1u << VICTIM, NULL, NULL);
    first_of_next_epoch(1u << VICTIM);
    ck_assert_uint_eq(tip_epoch(), 3);
    ck_assert(!scheduled(SCHEDULE_CUR, VICTIM));
    ck_assert_uint_eq(weight_of(3, VICTIM, &voted), 0);
    victim_vote(3, "bad-vote-not-validator");
    /* The weights of 3 are epoch 3's schedule: the other three's stakes. */
    uint64_t total, linked, sum = 0;
    struct view *view = chain_view(chain);
    ck_assert(finality_tally(view, 3, &total, &voted, &linked));
    for (int i = 0; i < 4; i++)
        sum += finality_weight(view, 3, pubs[i]);
    view_free(view);
    ck_assert_uint_eq(total, sum);
}
END_TEST

/* FINALITY_EVIDENCE (a double vote) makes a tombstone like EVIDENCE: of an
 * active validator and of one jailed for downtime; neither may UNJAIL or
 * register the key again. */
START_TEST(finality_evidence_tombstone)
{
    struct wbuf w;
    struct tx a, b;
    uint8_t h1[HASH_SIZE], h2[HASH_SIZE];
    memset(h1, 0x11, HASH_SIZE);
    memset(h2, 0x22, HASH_SIZE);
    wbuf_init(&w);
    run_to(EPOCH - 1, 1u << VICTIM, NULL, NULL);
    first_of_next_epoch(1u << VICTIM);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_DOWNTIME);
    int offenders[2] = {VICTIM, 2};
    for (int i = 0; i < 2; i++) {
        make_vote_of(&a, offenders[i], 0, params.genesis_hash, 1, h1);
        make_vote_of(&b, offenders[i], 0, params.genesis_hash, 1, h2);
        finality_evidence_encode(&a, &b, &w);
        send_payload(secrets[3], TX_FINALITY_EVIDENCE, &w, NULL);
        tx_free(&a);
        tx_free(&b);
    }
    uint64_t stake2 = validator_of(chain, pubs[2]).self_stake;
    produce_next(1u << VICTIM | 1u << 2);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status, VALIDATOR_JAILED);
    ck_assert_uint_eq(validator_of(chain, pubs[2]).status, VALIDATOR_JAILED);
    ck_assert_uint_eq(validator_of(chain, pubs[2]).self_stake,
                      stake2 - stake2 * params.slash_bps / 10000);
    for (int i = 0; i < 3; i++) {
        run_to((tip_epoch() + 1) * EPOCH - 1, 1u << VICTIM | 1u << 2, NULL, NULL);
        first_of_next_epoch(1u << VICTIM | 1u << 2);
    }
    /* Vote weights: the victim (jailed for downtime at the first block of
     * epoch 1) has none from epoch 3, validator 2 (tombstoned by a later
     * block of epoch 1) none from epoch 4. */
    uint64_t voted;
    ck_assert_uint_eq(tip_epoch(), 4);
    ck_assert_uint_eq(weight_of(3, VICTIM, &voted), 0);
    ck_assert_uint_gt(weight_of(3, 2, &voted), 0);
    ck_assert_uint_eq(weight_of(4, 2, &voted), 0);
    ck_assert_uint_gt(weight_of(4, 0, &voted), 0);
    send_payload(secrets[VICTIM], TX_UNJAIL, &w, "bad-unjail-tombstoned");
    send_payload(secrets[2], TX_UNJAIL, &w, "bad-unjail-tombstoned");
    struct validator_register r = {.stake = params.min_validator_stake, .commission_bps = 0};
    validator_register_encode(&r, &w);
    send_payload(secrets[2], TX_VALIDATOR_REGISTER, &w, "bad-txns-validator-tombstoned");
    validator_register_encode(&r, &w);
    send_payload(secrets[VICTIM], TX_VALIDATOR_REGISTER, &w, "bad-txns-validator-tombstoned");
    wbuf_free(&w);
}
END_TEST

/* ---- orphaning a victim's blocks (doc/security.md, "Offline validators
 * that kept their slots", known limits) ----
 *
 * Two nodes on one genesis: the honest node (`chain`), where the victim
 * builds and everyone's blocks arrive, and the rivals' node (`rival`), where
 * rivals build and which is given only the blocks the rivals accept.  A
 * rival block is published at once (given to the honest node); the honest
 * node follows the longest branch, the first seen on a tie. */

static char rival_dir[256];
static struct chain *rival;
static struct mempool *rival_pool;
static int double_proposals;

static void count_double_proposal(void *arg, const struct block_header *first,
                                  const struct block_header *second)
{
    (void)arg, (void)first, (void)second;
    double_proposals++;
}

static void setup_rival(void)
{
    char err[256] = "";
    struct chain_listener l = {.double_proposal = count_double_proposal};
    setup();
    ck_assert(fixture_tmpdir(rival_dir, sizeof(rival_dir), "test-rival"));
    rival = fixture_chain_open(rival_dir, err, sizeof(err));
    ck_assert_msg(rival != NULL, "chain_open: %s", err);
    rival_pool = mempool_new(rival, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    double_proposals = 0;
    chain_add_listener(chain, &l);
    chain_add_listener(rival, &l);
}

static void teardown_rival(void)
{
    mempool_free(rival_pool);
    chain_close(rival);
    ck_assert(fixture_remove_dir(rival_dir));
    teardown();
}

/* The leader of slot builds on c's tip; the block (the caller frees it) is
 * connected to c. */
static void build_on(struct chain *c, struct mempool *mp, uint64_t slot, struct block *b)
{
    struct validation v;
    ck_assert_msg(fixture_build_at(c, mp, slot, b, &v), "build at %llu: %s",
                  (unsigned long long)slot, v.reason);
    ck_assert_msg(chain_process_block(c, b, &v), "connect: %s %s", v.reason, v.detail);
    check_supply(c);
}

/* A block another node built, given to c (a side branch or the new tip). */
static void give(struct chain *c, const struct block *b)
{
    struct validation v;
    ck_assert_msg(chain_process_block(c, b, &v), "give: %s %s", v.reason, v.detail);
}

static bool is_tip(struct chain *c, const struct block *b)
{
    uint8_t h[HASH_SIZE];
    header_hash(&b->hdr, h);
    return memcmp(chain_tip(c)->hash, h, HASH_SIZE) == 0;
}

static bool on_active_chain(const struct block *b)
{
    uint8_t h[HASH_SIZE];
    const struct block_index *bi = chain_at(chain, b->hdr.height);
    header_hash(&b->hdr, h);
    return bi && memcmp(bi->hash, h, HASH_SIZE) == 0;
}

/* Every slot up to last filled on the honest node, each block also given to
 * the rivals' node. */
static void honest_to(uint64_t last)
{
    for (uint64_t slot = tip_slot() + 1; slot <= last; slot++) {
        struct block b;
        build_on(chain, pool, slot, &b);
        give(rival, &b);
        block_free(&b);
    }
    ck_assert(memcmp(chain_tip(chain)->hash, chain_tip(rival)->hash, HASH_SIZE) == 0);
}

/* The exact condition.  A rival that leads the slot after a victim's block
 * and builds on the victim's parent makes a block of the same height: the
 * honest node saw the victim's first and keeps it (the next leader builds on
 * it), and the rival's block is the one orphaned, its slot counted missed
 * against the rival.  A rival that leads the two slots after it makes a
 * branch one longer: every node moves to it, the victim's block is orphaned
 * and its slot counted missed against the victim, at no cost to the rival
 * (both its blocks stay, nothing is signed twice). */
START_TEST(orphaning_needs_two_rival_slots)
{
    uint64_t s = 0, t = 0;
    int r = -1, q = -1;
    /* s: a victim slot followed by two slots of one rival r; t, later: a
     * victim slot followed by one slot of a rival q and a slot of another. */
    for (uint64_t x = 1; x + 2 < EPOCH && !s; x++)
        if (leader_at(chain, x) == VICTIM && leader_at(chain, x + 1) != VICTIM &&
            leader_at(chain, x + 2) == leader_at(chain, x + 1))
            s = x, r = leader_at(chain, x + 1);
    for (uint64_t x = s + 3; x + 2 < EPOCH && s && !t; x++)
        if (leader_at(chain, x) == VICTIM && leader_at(chain, x + 1) != VICTIM &&
            leader_at(chain, x + 2) != leader_at(chain, x + 1))
            t = x, q = leader_at(chain, x + 1);
    ck_assert_msg(s && t, "epoch 0's schedule has no slots for the test (s %llu, t %llu)",
                  (unsigned long long)s, (unsigned long long)t);

    struct block v, r1, r2;
    honest_to(s - 1);
    build_on(chain, pool, s, &v); /* the rivals' node never takes it */
    build_on(rival, rival_pool, s + 1, &r1);
    give(chain, &r1);
    ck_assert_uint_eq(r1.hdr.height, v.hdr.height);
    ck_assert_msg(is_tip(chain, &v), "a rival block of the victim's height won the tie");
    build_on(rival, rival_pool, s + 2, &r2);
    give(chain, &r2);
    ck_assert_msg(is_tip(chain, &r2), "the longer rival branch did not win");
    ck_assert(!on_active_chain(&v) && on_active_chain(&r1));
    struct liveness lv = live_of(0, VICTIM), lr = live_of(0, r);
    ck_assert_uint_eq(lv.missed, 1); /* slot s, counted by r1 */
    ck_assert_uint_eq(lr.missed, 0);
    block_free(&v);
    block_free(&r1);
    block_free(&r2);

    /* One rival slot only: the tie is lost. */
    struct block v2, rq, next;
    honest_to(t - 1);
    uint32_t q_missed = live_of(0, q).missed;
    build_on(chain, pool, t, &v2);
    build_on(rival, rival_pool, t + 1, &rq);
    give(chain, &rq);
    ck_assert_msg(is_tip(chain, &v2), "a rival block of the victim's height won the tie");
    build_on(chain, pool, t + 2, &next); /* the next leader builds on the first seen */
    uint8_t v2_hash[HASH_SIZE];
    header_hash(&v2.hdr, v2_hash);
    ck_assert(memcmp(next.hdr.prev, v2_hash, HASH_SIZE) == 0 && on_active_chain(&v2));
    ck_assert(!on_active_chain(&rq));
    give(rival, &v2);
    give(rival, &next);
    ck_assert(is_tip(rival, &next)); /* the rivals' node follows too */
    ck_assert_uint_eq(live_of(0, VICTIM).missed, 1);
    ck_assert_uint_eq(live_of(0, q).missed, q_missed + 1); /* slot t + 1, counted by next */
    block_free(&v2);
    block_free(&rq);
    block_free(&next);

    /* The two slots may sit around the victim's: a rival that withholds
     * its block of the slot before and builds on it in the slot after. */
    uint64_t u = 0;
    int w = -1;
    for (uint64_t x = t + 4; x + 1 < EPOCH && !u; x++)
        if (leader_at(chain, x) == VICTIM && leader_at(chain, x - 1) != VICTIM &&
            leader_at(chain, x + 1) == leader_at(chain, x - 1))
            u = x, w = leader_at(chain, x - 1);
    if (u) {
        struct block held, v3, rw;
        honest_to(u - 2);
        uint32_t w_missed = live_of(0, w).missed;
        build_on(rival, rival_pool, u - 1, &held); /* not published yet */
        build_on(chain, pool, u, &v3);
        build_on(rival, rival_pool, u + 1, &rw);
        give(chain, &held);
        ck_assert(is_tip(chain, &v3));
        give(chain, &rw);
        ck_assert(is_tip(chain, &rw) && !on_active_chain(&v3));
        ck_assert_uint_eq(live_of(0, VICTIM).missed, 2);
        ck_assert_uint_eq(live_of(0, w).missed, w_missed);
        block_free(&held);
        block_free(&v3);
        block_free(&rw);
    }
    ck_assert_int_eq(double_proposals, 0);
    printf("orphaning_needs_two_rival_slots: the victim's block at slot %llu orphaned by "
           "validator %d leading slots %llu and %llu; validator %d's block at slot %llu "
           "(one slot after the victim's at %llu) lost the tie and cost it a missed slot",
           (unsigned long long)s, r, (unsigned long long)s + 1, (unsigned long long)s + 2, q,
           (unsigned long long)t + 1, (unsigned long long)t);
    if (u)
        printf("; the victim's block at slot %llu orphaned by validator %d withholding its "
               "block of slot %llu and building on it at slot %llu",
               (unsigned long long)u, w, (unsigned long long)u - 1, (unsigned long long)u + 1);
    printf("\n");
}
END_TEST

/* The victim's blocks of epoch 0 that are not on the active chain; its
 * slots in *led, and the rivals' slots of epoch 0 whose blocks are not on
 * it in *rival_lost. */
static uint32_t orphaned_in_epoch0(unsigned rivals, uint32_t *led, uint32_t *rival_lost)
{
    uint32_t on_chain[4] = {0}, sched[4] = {0};
    for (uint64_t h = 1; h <= chain_height(chain); h++) {
        const struct block_index *bi = chain_at(chain, h);
        if (bi->hdr.slot < EPOCH)
            on_chain[validator_index(bi->hdr.proposer)]++;
    }
    /* Epoch 0's schedule was drawn at genesis: the same on every branch. */
    struct view *view = chain_view(chain);
    for (uint64_t slot = 1; slot < EPOCH; slot++) {
        uint8_t leader[PUBKEY_SIZE];
        ck_assert(staking_leader_for(view, &params, 0, slot, leader));
        sched[validator_index(leader)]++;
    }
    view_free(view);
    *led = sched[VICTIM];
    *rival_lost = 0;
    for (int i = 0; i < 4; i++)
        if (rivals & (1u << i))
            *rival_lost += sched[i] - on_chain[i];
    return sched[VICTIM] - on_chain[VICTIM];
}

/* Jailing by orphaning.  The three other validators (three quarters of the
 * slots) orphan the victim's blocks: each one they target is withheld from
 * their node, which they extend on their own; once it is one longer than
 * the victim's branch every node moves to it.  They target victim blocks
 * while they have targeted fewer than `budget`, and must target the next
 * one while a race is on (it builds on a targeted block).  The victim is
 * jailed at the first block of epoch 1 exactly when the orphaned share of
 * the slots it led is over downtime_jail_bps (and it led at least
 * downtime_min_slots); the rivals lose no block and sign nothing twice. */
static void orphan_race(unsigned budget)
{
    const unsigned rivals = 0xfu & ~(1u << VICTIM);
    unsigned targeted = 0;
    uint64_t slot;
    for (slot = 1; slot < 3 * EPOCH; slot++) {
        bool settled = memcmp(chain_tip(chain)->hash, chain_tip(rival)->hash, HASH_SIZE) == 0;
        if (slot > EPOCH && settled && tip_slot() >= EPOCH)
            break;
        int who = leader_at(chain, slot);
        struct block b;
        if (who == VICTIM) {
            build_on(chain, pool, slot, &b);
            if (settled && targeted >= budget)
                give(rival, &b);
            else
                targeted++; /* withheld from the rivals' node */
        } else {
            ck_assert(rivals & (1u << who));
            build_on(rival, rival_pool, slot, &b);
            give(chain, &b);
        }
        block_free(&b);
    }
    ck_assert_msg(slot < 3 * EPOCH, "the rivals' branch never won");
    uint32_t led, lost;
    uint32_t orphaned = orphaned_in_epoch0(rivals, &led, &lost);
    bool jailed = validator_of(chain, pubs[VICTIM]).status == VALIDATOR_DOWNTIME;
    bool over = led >= params.downtime_min_slots &&
                (uint64_t)orphaned * 10000 > (uint64_t)led * params.downtime_jail_bps;
    printf("orphan_race(budget %u): the victim led %u slots of epoch 0, %u of its blocks "
           "orphaned, %s (jailed above %u); the rivals lost %u blocks\n",
           budget, led, orphaned, jailed ? "jailed" : "not jailed",
           (unsigned)((uint64_t)led * params.downtime_jail_bps / 10000), lost);
    ck_assert_msg(jailed == over, "jailed %d with %u of %u orphaned", jailed, orphaned, led);
    ck_assert_uint_eq(lost, 0);
    ck_assert_int_eq(double_proposals, 0);
    if (budget == 0)
        ck_assert_uint_eq(orphaned, 0);
    if (budget >= EPOCH)
        ck_assert_uint_eq(orphaned, led); /* every one of them */
}

START_TEST(orphaning_jails_above_the_threshold)
{
    /* _i: no attack; as many as the threshold's share of the slots the
     * victim leads (not jailed); one more (jailed); no limit (jailed). */
    uint32_t led = 0;
    for (uint64_t slot = 1; slot < EPOCH; slot++)
        led += leader_at(chain, slot) == VICTIM;
    unsigned share = (unsigned)((uint64_t)led * params.downtime_jail_bps / 10000);
    unsigned budgets[4] = {0, share, share + 1, EPOCH};
    ck_assert_uint_ge(led, params.downtime_min_slots);
    orphan_race(budgets[_i]);
    ck_assert_uint_eq(validator_of(chain, pubs[VICTIM]).status,
                      _i >= 2 ? VALIDATOR_DOWNTIME : VALIDATOR_ACTIVE);
}
END_TEST

static Suite *liveness_suite(void)
{
    Suite *s = suite_create("liveness");
    TCase *tc = tcase_create("liveness");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, threshold_boundary);
    tcase_add_test(tc, params_ranges);
    tcase_add_test(tc, counting_with_gaps);
    tcase_add_test(tc, gap_bound);
    tcase_add_test(tc, network_outage_jails_nobody);
    tcase_add_test(tc, jail_and_unjail);
    tcase_add_test(tc, half_missed_stays);
    tcase_add_test(tc, judging_undone_by_reorg);
    tcase_add_test(tc, tombstone_refusals);
    tcase_add_test(tc, unjail_needs_stake);
    tcase_add_test(tc, jailed_validator_votes);
    tcase_add_test(tc, finality_evidence_tombstone);
    suite_add_tcase(s, tc);
    TCase *off = tcase_create("edit");
    tcase_add_checked_fixture(off, setup_off, teardown);
    tcase_set_timeout(off, 120);
    tcase_add_test(off, edit_bounds);
    suite_add_tcase(s, off);
    TCase *orph = tcase_create("orphaning");
    tcase_add_checked_fixture(orph, setup_rival, teardown_rival);
    tcase_set_timeout(orph, 120);
    tcase_add_test(orph, orphaning_needs_two_rival_slots);
    tcase_add_loop_test(orph, orphaning_jails_above_the_threshold, 0, 4);
    suite_add_tcase(s, orph);
    TCase *lng = tcase_create("long");
    tcase_add_checked_fixture(lng, setup_long, teardown);
    tcase_set_timeout(lng, 120);
    tcase_add_test(lng, worst_gap_cost);
    suite_add_tcase(s, lng);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(liveness_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
