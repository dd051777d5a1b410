/* Attacks on the AI Arena's transaction rules, on a real regtest chain
 * (blocks built from the mempool and connected, the supply audit after
 * every block): what a participant could try to halt, bloat or rob a task,
 * and the rule that stops it.  doc/security.md "AI Arena" lists them.
 *
 * The rules are those of doc/protocol.md "18.5 Transaction rules". */
#include "chain_fixture.h"
#include "consensus/arena.h"
#include "state/arena.h"
#include "tests/arena_fixture.h"

#define FEE 10000

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

static struct arena_task task_of(const uint8_t task[32])
{
    struct arena_task t;
    struct view *v = chain_view(chain);
    ck_assert(arena_get_task(v, task, &t));
    t.p.spec.norm = NULL; /* points into the view */
    view_free(v);
    return t;
}

static struct arena_status status_of(const uint8_t task[32])
{
    struct arena_status st;
    struct view *v = chain_view(chain);
    ck_assert(arena_get_status(v, task, &st));
    view_free(v);
    return st;
}

static bool op_get(const uint8_t task[32], const uint8_t pub[32], struct arena_operator *o)
{
    struct view *v = chain_view(chain);
    bool found = arena_get_operator(v, task, pub, o);
    ck_assert(!view_failed(v));
    view_free(v);
    return found;
}

static void submit(const struct tx *tx, const char *expect)
{
    struct validation v;
    bool ok = mempool_add(pool, tx, 0, &v);
    if (!expect)
        ck_assert_msg(ok, "rejected: %s %s", v.reason, v.detail);
    else {
        ck_assert_msg(!ok, "accepted, expected %s", expect);
        ck_assert_msg(strcmp(v.reason, expect) == 0, "rejected with %s (%s), expected %s",
                      v.reason, v.detail, expect);
    }
}

static void send(const struct party *p, uint8_t type, struct wbuf *w, const char *expect,
                 uint8_t txid_out[32])
{
    struct tx tx;
    make_tx_sec(&tx, p->sec, type, w, mempool_next_nonce(pool, p->pub), FEE);
    if (txid_out)
        tx_txid(&tx, txid_out);
    submit(&tx, expect);
    tx_free(&tx);
    wbuf_reset(w);
}

static void new_party(struct party *p, uint64_t funds)
{
    struct tx tx;
    randombytes_buf(p->sec, 32);
    ck_assert(key_pubkey(p->pub, p->sec));
    make_transfer(&tx, 3, p->pub, funds, mempool_next_nonce(pool, pubs[3]), FEE);
    submit(&tx, NULL);
    tx_free(&tx);
}

static void create(const struct party *p, const struct arena_task_params *tp, uint8_t task[32])
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_create_payload(&w, tp);
    send(p, TX_ARENA_TASK_CREATE, &w, NULL, task);
    wbuf_free(&w);
    produce(chain, pool);
}

static void stake(const struct party *p, const uint8_t task[32], uint8_t role, uint64_t amount,
                  const char *expect)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_stake_payload(&w, task, role, amount);
    send(p, TX_ARENA_STAKE, &w, expect, NULL);
    wbuf_free(&w);
}

static void delegate(const struct party *p, const uint8_t task[32], const uint8_t op[32],
                     uint64_t amount, const char *expect)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_delegate_payload(&w, task, op, amount);
    send(p, TX_ARENA_DELEGATE, &w, expect, NULL);
    wbuf_free(&w);
}

static void undelegate(const struct party *p, const uint8_t task[32], const uint8_t op[32],
                       const char *expect)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_undelegate_payload(&w, task, op);
    send(p, TX_ARENA_UNDELEGATE, &w, expect, NULL);
    wbuf_free(&w);
}

static void share(const struct party *p, const uint8_t task[32], uint16_t sigma,
                  const char *expect)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_share_payload(&w, task, sigma);
    send(p, TX_ARENA_SET_SHARE, &w, expect, NULL);
    wbuf_free(&w);
}

/* Produces empty blocks until the next block's slot is the first of an
 * epoch. */
static void to_epoch_start(void)
{
    const uint32_t e = params.epoch_slots;
    uint64_t next = chain_tip(chain)->hdr.slot + 1;
    uint64_t start = (next / e + 1) * e;
    produce_at(chain, pool, start - 1);
}

/* Seat squatting.  Seats are taken at an address's first stake and there
 * are at most max_trainers + max_validators of them; with no minimum on
 * that stake, one base unit (and a fee) per address filled every seat of a
 * role, so no honest operator could join and the task ended in a refund:
 * the creator lost the burn for a few fees.  The stake that takes a seat
 * must reach the role's minimum (arena-stake-low); later stakes add to it. */
START_TEST(seat_squatting_needs_the_minimum)
{
    struct party creator, squat[4], honest, trainer;
    uint8_t task[32];
    new_party(&creator, 1000 * COIN);
    for (int i = 0; i < 4; i++)
        new_party(&squat[i], 1 * COIN);
    new_party(&honest, 100 * COIN);
    new_party(&trainer, 100 * COIN);
    produce(chain, pool);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    tp.max_validators = 4;
    tp.max_trainers = 1;
    create(&creator, &tp, task);
    /* Every validator seat for one unit each, the trainer seat likewise. */
    for (int i = 0; i < 4; i++)
        stake(&squat[i], task, ARENA_ROLE_VALIDATOR, 1, "arena-stake-low");
    stake(&squat[0], task, ARENA_ROLE_TRAINER, tp.trainer_min_stake - 1, "arena-stake-low");
    produce(chain, pool);
    struct arena_status st = status_of(task);
    ck_assert_uint_eq(st.n_validators, 0);
    ck_assert_uint_eq(st.n_trainers, 0);
    /* The honest operators still find their seats. */
    stake(&honest, task, ARENA_ROLE_VALIDATOR, tp.validator_min_stake, NULL);
    stake(&trainer, task, ARENA_ROLE_TRAINER, tp.trainer_min_stake, NULL);
    produce(chain, pool);
    /* A top-up below the minimum is fine once seated. */
    stake(&honest, task, ARENA_ROLE_VALIDATOR, 1, NULL);
    produce(chain, pool);
    struct arena_operator o;
    ck_assert(op_get(task, honest.pub, &o));
    ck_assert_uint_eq(o.own, tp.validator_min_stake + 1);
    ck_assert(!op_get(task, squat[0].pub, &o));
    st = status_of(task);
    ck_assert_uint_eq(st.n_validators, 1);
    ck_assert_uint_eq(st.n_trainers, 1);
}
END_TEST

/* Share bait-and-switch.  An operator offers its delegators sigma = 100%,
 * collects delegations, then in a later epoch sets sigma = 0 in the block
 * of submit_end: the delegators are locked from submit_end + 1 and cannot
 * cancel, so the operator keeps the whole reward their stake earned.  With
 * delegations in, sigma may rise but not fall (arena-share-rate); once they
 * are cancelled the operator may lower it again. */
START_TEST(share_cannot_fall_under_delegators)
{
    struct party creator, op, del;
    uint8_t task[32];
    new_party(&creator, 1000 * COIN);
    new_party(&op, 100 * COIN);
    new_party(&del, 100 * COIN);
    produce(chain, pool);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    tp.submit_blocks = 4 * params.epoch_slots;
    create(&creator, &tp, task);
    const struct arena_task t = task_of(task);
    stake(&op, task, ARENA_ROLE_VALIDATOR, 10 * COIN, NULL);
    produce(chain, pool);
    share(&op, task, 10000, NULL);
    delegate(&del, task, op.pub, 50 * COIN, NULL);
    produce(chain, pool);
    /* The switch, in a later epoch, still in the window (the last block of
     * the window would leave the delegators no block to cancel in). */
    to_epoch_start();
    ck_assert_uint_le(chain_height(chain) + 1, t.w.submit_end);
    share(&op, task, 0, "arena-share-rate");
    share(&op, task, 9999, "arena-share-rate");
    produce(chain, pool);
    struct arena_operator o;
    ck_assert(op_get(task, op.pub, &o));
    ck_assert_uint_eq(o.sigma_bps, 10000);
    /* Without delegations in, the operator may lower it. */
    undelegate(&del, task, op.pub, NULL);
    produce(chain, pool);
    to_epoch_start();
    ck_assert_uint_le(chain_height(chain) + 1, t.w.submit_end);
    share(&op, task, 0, NULL);
    produce(chain, pool);
    ck_assert(op_get(task, op.pub, &o));
    ck_assert_uint_eq(o.sigma_bps, 0);
}
END_TEST

static void commit_to(const struct party *p, uint8_t type, const uint8_t task[32],
                      const uint8_t c[32])
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_commit_payload(&w, task, c);
    send(p, type, &w, NULL, NULL);
    wbuf_free(&w);
}

static void salt_of(const struct party *p, uint8_t salt[32])
{
    for (unsigned i = 0; i < 32; i++)
        salt[i] = (uint8_t)(p->pub[i] ^ 0x3c);
}

/* Produces blocks until the next one is at height h. */
static void advance_to(uint64_t h)
{
    while (chain_height(chain) + 1 < h)
        produce(chain, pool);
}

/* Every extreme a participant controls, in one task, through every event:
 * a 100% slash of a trainer that never reveals and of a duplicate, a
 * validator whose delegators take sigma = 100% and that reveals only
 * 0xFFFFFFFF, another that reveals only 0, epsilon at its maximum, q = 1,
 * gamma = 5000, one vesting epoch with delta = 0, delegators claiming at
 * every step.  Every block is built and connected (produce) and the supply
 * audit balances after each: no event fails a block of valid transactions. */
START_TEST(extremes_never_halt)
{
    struct party creator, tr[3], va[2], de[2];
    uint8_t task[32], salt[32], c[32];
    new_party(&creator, 1000 * COIN);
    for (int i = 0; i < 3; i++)
        new_party(&tr[i], 100 * COIN);
    for (int i = 0; i < 2; i++) {
        new_party(&va[i], 100 * COIN);
        new_party(&de[i], 100 * COIN);
    }
    produce(chain, pool);
    struct arena_task_params tp = fixture_arena_task(500 * COIN);
    tp.slash_bps = 10000;
    tp.gamma_bps = 5000;
    tp.q_bps = 1;
    tp.epsilon = UINT32_MAX;
    tp.delta_bps = 0;
    tp.vest_epochs = 1;
    tp.draws_per_set = ARENA_MAX_DRAWS;
    tp.d_bps = 1;
    struct fixture_arena_sets sets;
    ck_assert(fixture_arena_sets_make(&sets, &tp, 11));
    create(&creator, &tp, task);
    const struct arena_task t = task_of(task);
    for (int i = 0; i < 3; i++)
        stake(&tr[i], task, ARENA_ROLE_TRAINER, 10 * COIN + (uint64_t)i, NULL);
    for (int i = 0; i < 2; i++)
        stake(&va[i], task, ARENA_ROLE_VALIDATOR, 10 * COIN + (uint64_t)i, NULL);
    produce(chain, pool);
    share(&va[0], task, 10000, NULL);
    for (int i = 0; i < 2; i++)
        delegate(&de[i], task, va[0].pub, (uint64_t)(i + 1) * ARENA_MIN_DELEGATION + 7, NULL);
    /* tr[0] and tr[2] commit to the same weights (tr[2] later: a duplicate),
     * tr[1] commits and never reveals. */
    int32_t w[4] = {65536, -65536, 12345, -1};
    for (int i = 0; i < 3; i++) {
        salt_of(&tr[i], salt);
        ck_assert(fixture_arena_sub_commitment(c, task, tr[i].pub, w, 4, salt));
        commit_to(&tr[i], TX_ARENA_SUBMIT_COMMIT, task, c);
        produce(chain, pool);
    }
    advance_to(t.w.submit_end + 1);
    for (int i = 0; i < 3; i += 2) {
        struct wbuf b;
        wbuf_init(&b);
        salt_of(&tr[i], salt);
        ck_assert(fixture_arena_reveal_payload(&b, task, salt, w, 4));
        send(&tr[i], TX_ARENA_SUBMIT_REVEAL, &b, NULL, NULL);
        wbuf_free(&b);
    }
    advance_to(t.w.reveal_end + 1);
    for (uint8_t k = 0; k < sets.k; k++)
        for (uint16_t ch = 0; ch < sets.n_chunks[k]; ch++) {
            struct wbuf b;
            wbuf_init(&b);
            ck_assert(fixture_arena_valset_payload(&b, task, &sets, k, ch, NULL, 0));
            send(&creator, TX_ARENA_REVEAL_VALSET, &b, NULL, NULL);
            wbuf_free(&b);
        }
    advance_to(t.w.sets_end + 1);
    struct arena_status st = status_of(task);
    ck_assert_uint_eq(st.state, ARENA_SCORING);
    ck_assert_uint_eq(st.n_scoreable, 1);
    /* Each drawn validator commits to its extreme losses. */
    uint32_t losses[2][ARENA_MAX_SCORES], n[2] = {0, 0};
    for (int v = 0; v < 2; v++) {
        struct arena_operator o;
        ck_assert(op_get(task, va[v].pub, &o));
        for (unsigned k = 0; k < tp.k; k++)
            if (o.count[k])
                for (unsigned s = 0; s < st.n_scoreable; s++)
                    losses[v][n[v]++] = v == 0 ? UINT32_MAX : 0;
        if (n[v] == 0)
            continue;
        salt_of(&va[v], salt);
        fixture_arena_score_commitment(c, task, va[v].pub, losses[v], n[v], salt);
        commit_to(&va[v], TX_ARENA_SCORE_COMMIT, task, c);
    }
    advance_to(t.w.score_commit_end + 1);
    for (int v = 0; v < 2; v++) {
        if (n[v] == 0)
            continue;
        struct wbuf b;
        wbuf_init(&b);
        salt_of(&va[v], salt);
        fixture_arena_score_payload(&b, task, salt, losses[v], n[v]);
        send(&va[v], TX_ARENA_SCORE_REVEAL, &b, NULL, NULL);
        wbuf_free(&b);
    }
    advance_to(t.w.settle + 1);
    st = status_of(task);
    ck_assert_uint_eq(st.state, ARENA_SETTLED);
    /* The non-revealer lost its whole stake; the duplicate is unpaid but
     * not slashed. */
    struct arena_operator o;
    ck_assert(op_get(task, tr[1].pub, &o));
    ck_assert_uint_eq(o.slashed, 10 * COIN + 1);
    ck_assert(op_get(task, tr[2].pub, &o));
    ck_assert(o.flags & ARENA_OP_DUPLICATE);
    ck_assert_uint_eq(o.slashed, 0);
    ck_assert_uint_eq(o.f, 0);
    /* The delegators claim before and after the tranche. */
    undelegate(&de[0], task, va[0].pub, NULL);
    produce(chain, pool);
    advance_to(arena_vest_height(&t.w, params.epoch_slots, 1) + 1);
    undelegate(&de[0], task, va[0].pub, NULL);
    undelegate(&de[1], task, va[0].pub, NULL);
    produce(chain, pool);
    undelegate(&de[1], task, va[0].pub, "arena-nothing");
    st = status_of(task);
    ck_assert_uint_eq(st.vest_pending, 0);
    ck_assert_uint_eq(st.vest_done, 1);
    /* The task's books. */
    unsigned __int128 out = (unsigned __int128)st.burn + st.budget_left + st.paid +
                            st.vest_paid + st.vest_pending + st.forfeited + st.dust +
                            st.returned + st.slashed_budget;
    ck_assert(out == (unsigned __int128)tp.budget + st.match);
    fixture_arena_sets_free(&sets);
}
END_TEST

/* Reveals crowded out by fees.  A trainer's wallet reveals at its fee
 * rate; anyone who fills every block of the reveal window with transactions
 * paying more kept the reveal out until the window closed, and the trainer
 * was slashed (a rival trainer then took the whole trainer group): for a
 * window of w blocks about w x 20,000 transfers at a better rate.  The block
 * builder takes the Arena reveals first, within half of the block's bytes
 * and units (what a task's windows are sized for), then the rest by fee. */
START_TEST(reveals_not_crowded_out_by_fees)
{
    struct party creator, tr, att;
    uint8_t task[32], salt[32], c[32];
    new_party(&creator, 1000 * COIN);
    new_party(&tr, 100 * COIN);
    new_party(&att, 100 * COIN);
    produce(chain, pool);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    create(&creator, &tp, task);
    const struct arena_task t = task_of(task);
    stake(&tr, task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    int32_t w[4] = {65536, -65536, 12345, -1};
    salt_of(&tr, salt);
    ck_assert(fixture_arena_sub_commitment(c, task, tr.pub, w, 4, salt));
    commit_to(&tr, TX_ARENA_SUBMIT_COMMIT, task, c);
    advance_to(t.w.submit_end + 1);
    /* Blocks of 40 units here (20,000 on the real chains: the same attack
     * costs 500 times more transfers there). */
    const uint32_t saved = params.max_block_txs;
    params.max_block_txs = 40;
    struct wbuf b;
    wbuf_init(&b);
    ck_assert(fixture_arena_reveal_payload(&b, task, salt, w, 4));
    send(&tr, TX_ARENA_SUBMIT_REVEAL, &b, NULL, NULL);
    for (int i = 0; i < 60; i++) {
        struct tx tx;
        fixture_transfer_payload(&b, creator.pub, 1000);
        make_tx_sec(&tx, att.sec, TX_TRANSFER, &b, mempool_next_nonce(pool, att.pub), 50 * FEE);
        submit(&tx, NULL);
        tx_free(&tx);
        wbuf_reset(&b);
    }
    wbuf_free(&b);
    produce(chain, pool);
    params.max_block_txs = saved;
    ck_assert_uint_eq(chain_height(chain), t.w.submit_end + 1);
    struct arena_operator o;
    ck_assert(op_get(task, tr.pub, &o));
    ck_assert_msg(o.flags & ARENA_OP_REVEALED,
                  "the reveal was left out of a block full of better-paying transfers");
    /* The transfers took the rest of the block: 38 of them, 22 left. */
    struct block blk;
    ck_assert(chain_read_block(chain, chain_tip(chain), &blk));
    ck_assert_uint_eq(blk.ntx, 39);
    block_free(&blk);
}
END_TEST

static Suite *arena_attacks_suite(void)
{
    Suite *s = suite_create("arena_attacks");
    TCase *tc = tcase_create("arena_attacks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, seat_squatting_needs_the_minimum);
    tcase_add_test(tc, share_cannot_fall_under_delegators);
    tcase_add_test(tc, extremes_never_halt);
    tcase_add_test(tc, reveals_not_crowded_out_by_fees);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(arena_attacks_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
