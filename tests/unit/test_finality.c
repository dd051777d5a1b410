/* Checkpoint finality: vote validity (each bad-vote-* reason), the 2/3
 * arithmetic, justification and finalization on a regtest chain of four
 * equal validators, the own-replay envelope (no nonce), the mempool's one
 * vote per (validator, target epoch) and its bound, double and surround
 * vote evidence, and the fork choice that never leaves the finalized block. */
#include "chain_fixture.h"
#include "rpc/fees.h"
#include "consensus/finality.h"
#include "state/finality.h"
#include "state/modules.h"
#include "consensus/stakingtx.h"
#include "node/staker.h"

static struct chain *c;
static struct mempool *mp;

static void setup(void)
{
    fixture_setup();
    c = open_chain();
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    ck_assert(mp);
}

static void teardown(void)
{
    mempool_free(mp);
    chain_close(c);
    fixture_teardown();
}

static uint64_t epoch_of_tip(void)
{
    return params_epoch_of(&params, chain_tip(c)->hdr.slot);
}

/* Produces blocks until the tip is in epoch e (its first block there). */
static void produce_into_epoch(uint64_t e)
{
    while (epoch_of_tip() < e)
        produce(c, mp);
}

/* The hash of checkpoint(e) on the active chain: the last block with a slot
 * before e's first slot. */
static void checkpoint_hash(uint64_t e, uint8_t out[HASH_SIZE])
{
    const struct block_index *bi = chain_tip(c);
    while (bi->hdr.height > 0 && bi->hdr.slot >= e * params.epoch_slots)
        bi = chain_at(c, bi->hdr.height - 1);
    memcpy(out, bi->hash, HASH_SIZE);
}

static void make_vote_sec(struct tx *tx, const uint8_t sec[SECKEY_SIZE], uint64_t se,
                          const uint8_t sh[HASH_SIZE], uint64_t te, const uint8_t th[HASH_SIZE],
                          uint64_t nonce, uint64_t fee)
{
    struct finality_vote fv = {.source = {.epoch = se}, .target = {.epoch = te}};
    struct wbuf w;
    memcpy(fv.source.hash, sh, HASH_SIZE);
    memcpy(fv.target.hash, th, HASH_SIZE);
    wbuf_init(&w);
    finality_vote_encode(&fv, &w);
    make_tx_sec(tx, sec, TX_FINALITY_VOTE, &w, nonce, fee);
    wbuf_free(&w);
}

/* A valid-looking vote of validator who: target e (its checkpoint on the
 * active chain), source the tip state's justified checkpoint. */
static void make_vote(struct tx *tx, int who, uint64_t e)
{
    struct checkpoint cur, prev;
    uint8_t th[HASH_SIZE];
    struct view *v = chain_view(c);
    ck_assert(finality_justified(v, &params, &cur, &prev));
    view_free(v);
    checkpoint_hash(e, th);
    make_vote_sec(tx, secrets[who], cur.epoch, cur.hash, e, th, 0, 0);
}

static void vote(int who, uint64_t e, const char *expect)
{
    struct tx tx;
    make_vote(&tx, who, e);
    submit_to(mp, &tx, expect);
    tx_free(&tx);
}

static void state_justified(struct checkpoint *cur, struct checkpoint *fin)
{
    struct checkpoint prev;
    struct view *v = chain_view(c);
    ck_assert(finality_justified(v, &params, cur, &prev));
    ck_assert(finality_finalized(v, &params, fin));
    view_free(v);
}

START_TEST(supermajority_is_more_than_two_thirds)
{
    ck_assert(!finality_supermajority(2, 3));
    ck_assert(!finality_supermajority(200, 300));
    ck_assert(finality_supermajority(201, 300));
    ck_assert(!finality_supermajority(1, 2));
    ck_assert(finality_supermajority(3, 4));
    ck_assert(!finality_supermajority(0, 0));
    ck_assert(!finality_supermajority(UINT64_MAX / 3 * 2, UINT64_MAX / 3 * 3));
    ck_assert(finality_supermajority(UINT64_MAX, UINT64_MAX));
}
END_TEST

START_TEST(vote_validity_reasons)
{
    struct tx tx;
    uint8_t th[HASH_SIZE], bad[HASH_SIZE];
    struct party outsider;
    struct validation v;

    produce_into_epoch(1);
    produce(c, mp);
    checkpoint_hash(1, th);
    memset(bad, 0x42, sizeof(bad));

    /* Stateless: nonce, epochs. */
    make_vote_sec(&tx, secrets[0], 0, params.genesis_hash, 1, th, 1, 0);
    val_init(&v);
    ck_assert(!tx_check(&tx, &params, &v));
    ck_assert_str_eq(v.reason, "bad-vote-nonce");
    tx_free(&tx);
    make_vote_sec(&tx, secrets[0], 1, th, 1, th, 0, 0);
    submit_to(mp, &tx, "bad-vote-epochs");
    tx_free(&tx);
    make_vote_sec(&tx, secrets[0], 0, params.genesis_hash, 0, params.genesis_hash, 0, 0);
    submit_to(mp, &tx, "bad-vote-epochs");
    tx_free(&tx);
    /* Against the state. */
    make_vote_sec(&tx, secrets[0], 0, params.genesis_hash, 2, th, 0, 0);
    submit_to(mp, &tx, "bad-vote-target-epoch");
    tx_free(&tx);
    make_vote_sec(&tx, secrets[0], 0, params.genesis_hash, 1, bad, 0, 0);
    submit_to(mp, &tx, "bad-vote-target");
    tx_free(&tx);
    make_vote_sec(&tx, secrets[0], 0, bad, 1, th, 0, 0);
    submit_to(mp, &tx, "bad-vote-source");
    tx_free(&tx);
    randombytes_buf(outsider.sec, 32);
    ck_assert(key_pubkey(outsider.pub, outsider.sec));
    make_vote_sec(&tx, outsider.sec, 0, params.genesis_hash, 1, th, 0, 0);
    submit_to(mp, &tx, "bad-vote-not-validator");
    tx_free(&tx);

    /* A good vote: no fee, nonce 0; a second, different one for the same
     * target is a double vote the pool refuses. */
    uint64_t nonce = nonce_of(c, pubs[0]);
    vote(0, 1, NULL);
    make_vote_sec(&tx, secrets[0], 0, params.genesis_hash, 1, bad, 0, 0);
    submit_to(mp, &tx, "txn-vote-conflict");
    tx_free(&tx);
    make_vote(&tx, 0, 1);
    submit_to(mp, &tx, "txn-already-in-mempool");
    ck_assert_uint_eq(mempool_count(mp), 1);
    produce(c, mp);
    ck_assert_uint_eq(mempool_count(mp), 0);
    /* Counted: the account nonce did not move, and the vote cannot count
     * again (nor in a block). */
    ck_assert_uint_eq(nonce_of(c, pubs[0]), nonce);
    submit_to(mp, &tx, "bad-vote-duplicate");
    {
        struct block b;
        build_next(c, mp, &b);
        bool found = false;
        for (size_t i = 0; i < b.ntx; i++)
            found |= b.txs[i].type == TX_FINALITY_VOTE;
        ck_assert(!found); /* the builder skipped it */
        block_free(&b);
    }
    tx_free(&tx);
    /* A transfer of the voter still uses its nonce as before. */
    ck_assert(fixture_transfer(mp, 0, 1, 1000, 10000, NULL));
    produce(c, mp);
    ck_assert_uint_eq(nonce_of(c, pubs[0]), nonce + 1);
}
END_TEST

START_TEST(justification_and_finalization)
{
    struct checkpoint cur, fin;
    uint8_t cp1[HASH_SIZE], cp2[HASH_SIZE];
    produce_into_epoch(1);
    produce(c, mp);
    checkpoint_hash(1, cp1);
    /* Two of four equal stakes: not more than 2/3. */
    vote(0, 1, NULL);
    vote(1, 1, NULL);
    produce(c, mp);
    state_justified(&cur, &fin);
    ck_assert_uint_eq(cur.epoch, 0);
    uint64_t total, voted, linked;
    struct view *v = chain_view(c);
    ck_assert(finality_tally(v, 1, &total, &voted, &linked));
    view_free(v);
    ck_assert_uint_eq(voted * 2, total);
    ck_assert_uint_eq(linked, voted); /* the source (0, genesis) links to 1 */
    /* The third: justified; genesis stays finalized. */
    vote(2, 1, NULL);
    produce(c, mp);
    state_justified(&cur, &fin);
    ck_assert_uint_eq(cur.epoch, 1);
    ck_assert_mem_eq(cur.hash, cp1, HASH_SIZE);
    ck_assert_uint_eq(fin.epoch, 0);

    /* Epoch 2: votes 1 -> 2 by three validators justify 2 and finalize 1. */
    produce_into_epoch(2);
    produce(c, mp);
    checkpoint_hash(2, cp2);
    vote(0, 2, NULL);
    vote(1, 2, NULL);
    vote(3, 2, NULL);
    /* A late vote for 1 (the previous epoch, from the previous justified
     * source) is still valid in epoch 2. */
    {
        struct tx tx;
        make_vote_sec(&tx, secrets[3], 0, params.genesis_hash, 1, cp1, 0, 0);
        submit_to(mp, &tx, NULL);
        tx_free(&tx);
    }
    produce(c, mp);
    state_justified(&cur, &fin);
    ck_assert_uint_eq(cur.epoch, 2);
    ck_assert_mem_eq(cur.hash, cp2, HASH_SIZE);
    ck_assert_uint_eq(fin.epoch, 1);
    ck_assert_mem_eq(fin.hash, cp1, HASH_SIZE);
    uint64_t h;
    uint8_t hash[HASH_SIZE];
    ck_assert(chain_finalized(c, &h, hash));
    ck_assert_mem_eq(hash, cp1, HASH_SIZE);
    ck_assert_uint_eq(h, chain_lookup(c, cp1)->hdr.height);
}
END_TEST

/* Three votes justify an epoch; returns its checkpoint. */
static void justify(uint64_t e)
{
    produce_into_epoch(e);
    produce(c, mp);
    vote(0, e, NULL);
    vote(1, e, NULL);
    vote(2, e, NULL);
    produce(c, mp);
}

START_TEST(fork_choice_never_leaves_the_finalized_block)
{
    struct block alt_justified, alt_finalized;
    struct validation v;
    struct checkpoint cur, fin;
    produce(c, mp);
    produce(c, mp);
    /* A fork below checkpoint(1), before anything is justified. */
    build_next(c, mp, &alt_finalized);
    produce_at(c, mp, chain_tip(c)->hdr.slot + 2);
    justify(1);
    /* A fork below checkpoint(2) (in epoch 2, above checkpoint(1)). */
    produce_into_epoch(2);
    build_next(c, mp, &alt_justified);
    produce_at(c, mp, chain_tip(c)->hdr.slot + 2);
    produce(c, mp);
    vote(0, 2, NULL);
    vote(1, 2, NULL);
    vote(2, 2, NULL);
    produce(c, mp);
    state_justified(&cur, &fin);
    ck_assert_uint_eq(cur.epoch, 2);
    ck_assert_uint_eq(fin.epoch, 1);
    /* Below the finalized block: refused, header and block, although well
     * within finality_depth. */
    ck_assert_uint_lt(chain_height(c) - alt_finalized.hdr.height, params.finality_depth);
    ck_assert(!chain_process_header(c, &alt_finalized.hdr, &v));
    ck_assert_str_eq(v.reason, "bad-fork-prior-to-finalized");
    ck_assert(!chain_process_block(c, &alt_finalized, &v));
    ck_assert_str_eq(v.reason, "bad-fork-prior-to-finalized");
    /* Above it (below a justified, not finalized checkpoint): taken in as a
     * side branch. */
    ck_assert_msg(chain_process_block(c, &alt_justified, &v), "%s", v.reason);
    block_free(&alt_justified);
    block_free(&alt_finalized);
}
END_TEST

/* A branch forking below the justified checkpoint, which is not finalized,
 * is not taken for being longer: the fork choice ranks by justified epoch
 * first (doc/protocol.md section 20.4; tests/unit/test_forkchoice.c has the
 * rest of it). */
START_TEST(no_reorg_across_a_justified_checkpoint_to_a_longer_branch)
{
    char dir2[256], err[256] = "";
    struct checkpoint cur, fin;
    struct validation v;
    ck_assert(fixture_tmpdir(dir2, sizeof(dir2), "test-chain2"));
    struct chain *c2 = fixture_chain_open(dir2, err, sizeof(err));
    ck_assert_msg(c2 != NULL, "%s", err);
    struct mempool *mp2 = mempool_new(c2, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    produce(c, mp);
    produce(c, mp);
    const uint64_t fork = chain_height(c);
    for (uint64_t h = 1; h <= fork; h++) {
        struct block b;
        ck_assert(chain_read_block(c, chain_at(c, h), &b));
        ck_assert_msg(chain_process_block(c2, &b, &v), "%s", v.reason);
        block_free(&b);
    }
    justify(1);
    state_justified(&cur, &fin);
    ck_assert_uint_eq(cur.epoch, 1);
    ck_assert_uint_eq(fin.epoch, 0);
    ck_assert_uint_lt(chain_at(c, fork)->hdr.height, chain_lookup(c, cur.hash)->hdr.height + 1);
    /* The other branch: longer, without the votes. */
    produce_at(c2, mp2, chain_tip(c2)->hdr.slot + 2);
    while (chain_height(c2) <= chain_height(c) + 1)
        produce(c2, mp2);
    /* As sync does: the branch's headers (forking below the tip's epoch,
     * indexed unchecked), then its blocks. */
    for (uint64_t h = fork + 1; h <= chain_height(c2); h++)
        ck_assert_msg(chain_process_header_unchecked(c, &chain_at(c2, h)->hdr, &v), "%s", v.reason);
    for (uint64_t h = fork + 1; h <= chain_height(c2); h++) {
        struct block b;
        ck_assert(chain_read_block(c2, chain_at(c2, h), &b));
        if (!chain_process_block(c, &b, &v))
            ck_assert_msg(v.cls != VAL_CONSENSUS, "%s", v.reason);
        block_free(&b);
    }
    ck_assert_mem_ne(chain_tip(c)->hash, chain_tip(c2)->hash, HASH_SIZE);
    ck_assert_uint_lt(chain_height(c), chain_height(c2));
    state_justified(&cur, &fin);
    ck_assert_uint_eq(cur.epoch, 1);
    mempool_free(mp2);
    chain_close(c2);
    ck_assert(fixture_remove_dir(dir2));
}
END_TEST

/* A vote for epoch 1 made on the last block of epoch 0 (its checkpoint):
 * the pool checks it for the next block, which enters epoch 1, and the
 * first block of the epoch counts it with the epoch's weights. */
START_TEST(vote_in_the_first_block_of_its_epoch)
{
    struct tx tx;
    uint64_t total, voted, linked;
    while (chain_tip(c)->hdr.slot + 1 < params.epoch_slots)
        produce(c, mp);
    ck_assert_uint_eq(params_epoch_of(&params, chain_tip(c)->hdr.slot + 1), 1);
    make_vote_sec(&tx, secrets[1], 0, params.genesis_hash, 1, chain_tip(c)->hash, 0, 0);
    submit_to(mp, &tx, NULL);
    tx_free(&tx);
    produce(c, mp);
    ck_assert_uint_eq(mempool_count(mp), 0);
    struct view *v = chain_view(c);
    ck_assert(finality_tally(v, 1, &total, &voted, &linked));
    ck_assert_uint_eq(voted, finality_weight(v, 1, pubs[1]));
    ck_assert_uint_gt(voted, 0);
    view_free(v);
}
END_TEST

/* Votes pay nothing and go into blocks first: the fee estimate does not
 * count them as transactions that confirmed at a zero fee rate. */
START_TEST(fee_estimate_ignores_votes)
{
    struct fee_estimate est;
    struct fee_estimator *fe = fee_estimator_new(c, mp);
    ck_assert(fe);
    produce_into_epoch(1);
    produce(c, mp);
    vote(0, 1, NULL);
    vote(1, 1, NULL);
    ck_assert(fixture_transfer(mp, 2, 3, 1000, 10000, NULL));
    produce(c, mp);
    ck_assert_uint_eq(mempool_count(mp), 0);
    fee_estimate(fe, 1, FEE_THRESHOLD_ECONOMICAL, &est);
    ck_assert_uint_eq(est.samples, 1); /* the transfer only */
    fee_estimator_free(fe);
}
END_TEST

START_TEST(mempool_votes_bounded_and_expire)
{
    produce_into_epoch(1);
    produce(c, mp);
    for (int i = 0; i < 4; i++)
        vote(i, 1, NULL);
    ck_assert_uint_eq(mempool_count(mp), 4);
    ck_assert_uint_eq(mempool_max_votes(mp), 2 * params.max_validators);
    /* Nobody includes them until epoch 3: out of their window, they go. */
    struct tx kept[4];
    for (int i = 0; i < 4; i++)
        make_vote(&kept[i], i, 1);
    mempool_free(mp);
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    for (int i = 0; i < 4; i++)
        ck_assert(mempool_add_unchecked(mp, &kept[i], 0));
    /* Blocks of an empty pool would take them: produce with a scratch pool. */
    struct mempool *empty = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    while (epoch_of_tip() < 3)
        produce(c, empty);
    mempool_free(empty);
    ck_assert_uint_eq(mempool_count(mp), 0);
    for (int i = 0; i < 4; i++) {
        submit_to(mp, &kept[i], "bad-vote-target-epoch");
        tx_free(&kept[i]);
    }
}
END_TEST

static bool staking_get_validator_at_tip(struct chain *ch, const uint8_t pub[PUBKEY_SIZE],
                                         struct validator *out)
{
    struct view *v = chain_view(ch);
    bool ok = v && staking_get_validator(v, pub, out);
    view_free(v);
    return ok;
}

static uint64_t finality_weight_at_tip(uint64_t e, const uint8_t pub[PUBKEY_SIZE])
{
    struct view *v = chain_view(c);
    uint64_t w = finality_weight(v, e, pub);
    view_free(v);
    return w;
}

static void evidence_by(int reporter, const struct tx *a, const struct tx *b, const char *expect)
{
    struct wbuf w;
    struct tx tx;
    wbuf_init(&w);
    finality_evidence_encode(a, b, &w);
    make_tx_sec(&tx, secrets[reporter], TX_FINALITY_EVIDENCE, &w,
                mempool_next_nonce(mp, pubs[reporter]), 100000);
    submit_to(mp, &tx, expect);
    tx_free(&tx);
    wbuf_free(&w);
}

static void evidence_from(const struct tx *a, const struct tx *b, const char *expect)
{
    evidence_by(3, a, b, expect);
}

/* The next block in a slot whose leader is not jailed (1 and 2 may be). */
static void produce_unjailed(void)
{
    uint64_t slot = chain_tip(c)->hdr.slot + 1;
    while (leader_at(c, slot) == 1 || leader_at(c, slot) == 2)
        slot++;
    produce_at(c, mp, slot);
}

/* A vote counts with at most the stake bonded to its sender now: a
 * validator that unbonded all of it after the schedule was drawn has no
 * vote left (and nothing a slash could cut). */
START_TEST(unbonded_stake_does_not_vote)
{
    struct wbuf w;
    struct tx tx;
    struct validator val;
    produce_into_epoch(1);
    produce(c, mp);
    ck_assert(staking_get_validator_at_tip(c, pubs[3], &val));
    ck_assert_uint_eq(val.delegated, 0);
    wbuf_init(&w);
    stake_amount_encode(val.self_stake, &w);
    make_tx_sec(&tx, secrets[3], TX_UNBOND, &w, mempool_next_nonce(mp, pubs[3]), 100000);
    submit_to(mp, &tx, NULL);
    tx_free(&tx);
    wbuf_free(&w);
    produce(c, mp);
    uint64_t e = epoch_of_tip();
    ck_assert(finality_weight_at_tip(e, pubs[3]) > 0); /* still in the schedule */
    vote(3, e, "bad-vote-not-validator");
    vote(0, e, NULL);
}
END_TEST

/* A validator votes for epoch e only once a quarter of e has passed by the
 * clock (at least one slot, never past e's last slot), whenever the chain's
 * first block of e came. */
START_TEST(vote_deadline)
{
    struct chain_params p = params;
    p.epoch_slots = 8;
    ck_assert(!staker_vote_due(&p, 16, 16));
    ck_assert(staker_vote_due(&p, 16, 17));
    ck_assert(staker_vote_due(&p, 16, 18));
    ck_assert(staker_vote_due(&p, 17, 18));
    ck_assert(staker_vote_due(&p, 19, 30)); /* late: still due */
    p.epoch_slots = 120;
    ck_assert(!staker_vote_due(&p, 240, 254));
    ck_assert(staker_vote_due(&p, 241, 255));
    p.epoch_slots = 2;
    ck_assert(!staker_vote_due(&p, 4, 4));
    ck_assert(staker_vote_due(&p, 4, 5));
    p.epoch_slots = 1;
    ck_assert(staker_vote_due(&p, 4, 5));
}
END_TEST

START_TEST(double_and_surround_vote_evidence)
{
    uint8_t h1[HASH_SIZE], h2[HASH_SIZE], h3[HASH_SIZE];
    struct tx a, b, s_in, s_out, other, xfer;
    struct validator val;
    memset(h1, 1, HASH_SIZE);
    memset(h2, 2, HASH_SIZE);
    memset(h3, 3, HASH_SIZE);
    produce(c, mp);
    /* Non-conflicting: 0->1 and 1->2. */
    make_vote_sec(&a, secrets[1], 0, params.genesis_hash, 1, h1, 0, 0);
    make_vote_sec(&b, secrets[1], 1, h1, 2, h2, 0, 0);
    evidence_from(&a, &b, "bad-evidence-no-conflict");
    evidence_from(&a, &a, "bad-evidence-same");
    /* Two voters. */
    make_vote_sec(&other, secrets[2], 0, params.genesis_hash, 1, h2, 0, 0);
    evidence_from(&a, &other, "bad-evidence-voter");
    /* Not a vote. */
    make_transfer(&xfer, 1, pubs[0], 5, 0, 1000);
    evidence_from(&a, &xfer, "bad-evidence-vote");
    /* A bad signature inside. */
    tx_free(&b);
    make_vote_sec(&b, secrets[1], 0, params.genesis_hash, 1, h2, 0, 0);
    b.sig[0] ^= 1;
    evidence_from(&a, &b, "bad-evidence-vote");
    b.sig[0] ^= 1;
    /* Oversized: a vote transaction past FINALITY_MAX_VOTE_TX is no payload. */
    {
        struct wbuf w;
        uint8_t big[FINALITY_MAX_VOTE_TX + 1];
        memset(big, 0, sizeof(big));
        wbuf_init(&w);
        put_varbytes(&w, big, sizeof(big));
        put_varbytes(&w, big, sizeof(big));
        struct tx tx;
        make_tx_sec(&tx, secrets[3], TX_FINALITY_EVIDENCE, &w, mempool_next_nonce(mp, pubs[3]), 100000);
        submit_to(mp, &tx, "bad-txns-payload");
        tx_free(&tx);
        wbuf_free(&w);
    }
    /* Votes for an epoch the chain has not reached (the tip is in epoch 0). */
    ck_assert_uint_eq(epoch_of_tip(), 0);
    evidence_from(&a, &b, "bad-evidence-future");
    produce_into_epoch(1);
    /* The offender's own key reporting. */
    evidence_by(1, &a, &b, "bad-evidence-self-report");
    /* Evidence against a key that is no validator. */
    {
        struct party p;
        struct tx x, y;
        randombytes_buf(p.sec, 32);
        ck_assert(key_pubkey(p.pub, p.sec));
        make_vote_sec(&x, p.sec, 0, params.genesis_hash, 1, h1, 0, 0);
        make_vote_sec(&y, p.sec, 0, params.genesis_hash, 1, h2, 0, 0);
        evidence_from(&x, &y, "bad-evidence-validator");
        tx_free(&x);
        tx_free(&y);
    }
    /* Double vote (same target, different hashes): slashed and jailed. */
    ck_assert(staking_get_validator_at_tip(c, pubs[1], &val));
    uint64_t before = val.self_stake;
    evidence_from(&a, &b, NULL);
    produce(c, mp);
    ck_assert(staking_get_validator_at_tip(c, pubs[1], &val));
    ck_assert_uint_eq(val.status, VALIDATOR_JAILED);
    ck_assert_uint_eq(val.self_stake, before - before * params.slash_bps / 10000);
    /* The same offence again (either order) changes nothing more. */
    evidence_from(&b, &a, "bad-evidence-duplicate");
    /* A surround vote (0->3 around 1->2) of validator 2 is another offence. */
    make_vote_sec(&s_out, secrets[2], 0, params.genesis_hash, 3, h3, 0, 0);
    make_vote_sec(&s_in, secrets[2], 1, h1, 2, h2, 0, 0);
    evidence_from(&s_in, &s_out, "bad-evidence-future");
    while (epoch_of_tip() < 3)
        produce_unjailed();
    evidence_from(&s_in, &s_out, NULL);
    produce_unjailed();
    ck_assert(staking_get_validator_at_tip(c, pubs[2], &val));
    ck_assert_uint_eq(val.status, VALIDATOR_JAILED);
    /* A new offence of the tombstone (another target epoch): one slash per key. */
    {
        struct tx x, y;
        uint64_t stake = val.self_stake;
        make_vote_sec(&x, secrets[2], 0, params.genesis_hash, 3, h1, 0, 0);
        make_vote_sec(&y, secrets[2], 0, params.genesis_hash, 3, h2, 0, 0);
        evidence_from(&x, &y, "bad-evidence-tombstoned");
        tx_free(&x);
        tx_free(&y);
        /* An offence of validator 0 in epoch 1, now past the unbonding period. */
        make_vote_sec(&x, secrets[0], 0, params.genesis_hash, 1, h1, 0, 0);
        make_vote_sec(&y, secrets[0], 0, params.genesis_hash, 1, h2, 0, 0);
        while (chain_tip(c)->hdr.slot + 1 <= params.epoch_slots + staking_evidence_window(&params))
            produce_unjailed();
        evidence_from(&x, &y, "bad-evidence-too-old");
        tx_free(&x);
        tx_free(&y);
        ck_assert(staking_get_validator_at_tip(c, pubs[2], &val));
        ck_assert_uint_eq(val.self_stake, stake);
    }
    tx_free(&a);
    tx_free(&b);
    tx_free(&s_in);
    tx_free(&s_out);
    tx_free(&other);
    tx_free(&xfer);
}
END_TEST

/* doc/protocol.md section 20's vectors: a vote of regtest validator 0 and
 * the evidence of a double vote, reported by validator 3. */
#define VOTE_A_HEX                                                                               \
    "01403db672398d793d551d60932e10d461218418689e66c88cec28ea8a842caf635f0000000000000000000000" \
    "000000000050000000000000000090b8c85610dcddefaacb62beea9df6b1f42a6eada2843f236ec09a0ca4dafe" \
    "bb01000000000000001111111111111111111111111111111111111111111111111111111111111111" \
    "0bea14787c1152a3ff02f1eafe73214a3f1929930869b82351953941fee8ed8a" \
    "d1add40317bcc1536e66d0fbfc03cb4c20147c5bd41c190250538adf0013eeda"
#define VOTE_A_TXID "7f4a1d10c3d00954ca3be5dfc0ad0f088ba50818ceada71495af3cac0bfb8d1b"
#define VOTE_B_TXID "f8281a3a9acadd2dd8642f5226b684c2b361a245757f03e6b1e5ddc33b415838"
#define EVIDENCE_TXID "9d102ee4ad98e525fa18bb9898ae85c27b72ae4d3ab7005080e136dc0afd912d"

START_TEST(vectors)
{
    uint8_t h1[HASH_SIZE], h2[HASH_SIZE], id[HASH_SIZE];
    char hex[2 * HASH_SIZE + 1];
    struct tx a, b, e;
    struct wbuf w;
    struct validation v;
    memset(h1, 0x11, HASH_SIZE);
    memset(h2, 0x22, HASH_SIZE);
    ck_assert_str_eq(params.name, "regtest");
    make_vote_sec(&a, secrets[0], 0, params.genesis_hash, 1, h1, 0, 0);
    make_vote_sec(&b, secrets[0], 0, params.genesis_hash, 1, h2, 0, 0);
    wbuf_init(&w);
    tx_encode(&a, &w);
    ck_assert_uint_eq(w.len, 195);
    char *enc = malloc(2 * w.len + 1);
    for (size_t i = 0; i < w.len; i++)
        sprintf(enc + 2 * i, "%02x", w.data[i]);
    ck_assert_str_eq(enc, VOTE_A_HEX);
    free(enc);
    tx_txid(&a, id);
    hash_to_hex(id, hex);
    ck_assert_str_eq(hex, VOTE_A_TXID);
    tx_txid(&b, id);
    hash_to_hex(id, hex);
    ck_assert_str_eq(hex, VOTE_B_TXID);
    val_init(&v);
    ck_assert(tx_check(&a, &params, &v));
    wbuf_reset(&w);
    finality_evidence_encode(&a, &b, &w);
    ck_assert_uint_eq(w.len, 392);
    make_tx_sec(&e, secrets[3], TX_FINALITY_EVIDENCE, &w, 0, 1000);
    tx_txid(&e, id);
    hash_to_hex(id, hex);
    ck_assert_str_eq(hex, EVIDENCE_TXID);
    wbuf_reset(&w);
    tx_encode(&e, &w);
    ck_assert_uint_eq(w.len, 509);
    val_init(&v);
    ck_assert_msg(tx_check(&e, &params, &v), "%s", v.reason);
    wbuf_free(&w);
    tx_free(&a);
    tx_free(&b);
    tx_free(&e);
}
END_TEST

static Suite *finality_suite(void)
{
    Suite *s = suite_create("finality");
    TCase *tc = tcase_create("finality");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, supermajority_is_more_than_two_thirds);
    tcase_add_test(tc, vectors);
    tcase_add_test(tc, vote_validity_reasons);
    tcase_add_test(tc, justification_and_finalization);
    tcase_add_test(tc, fork_choice_never_leaves_the_finalized_block);
    tcase_add_test(tc, no_reorg_across_a_justified_checkpoint_to_a_longer_branch);
    tcase_add_test(tc, vote_in_the_first_block_of_its_epoch);
    tcase_add_test(tc, fee_estimate_ignores_votes);
    tcase_add_test(tc, mempool_votes_bounded_and_expire);
    tcase_add_test(tc, double_and_surround_vote_evidence);
    tcase_add_test(tc, unbonded_stake_does_not_vote);
    tcase_add_test(tc, vote_deadline);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(finality_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
