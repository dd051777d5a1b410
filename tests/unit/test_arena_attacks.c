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

struct party {
    uint8_t sec[32];
    uint8_t pub[32];
};

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

static Suite *arena_attacks_suite(void)
{
    Suite *s = suite_create("arena_attacks");
    TCase *tc = tcase_create("arena_attacks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, seat_squatting_needs_the_minimum);
    tcase_add_test(tc, share_cannot_fall_under_delegators);
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
