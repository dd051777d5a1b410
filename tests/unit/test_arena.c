/* AI Arena transactions on a real chain (blocks built from the mempool and
 * connected, the supply audit after every block and each task's own
 * conservation): every reject reason of the ten types, the creation's burn
 * and lock, seats and roles, delegation (cancel, locked, claim, the
 * principal's remainder to the last claimer, rewards claimed tranche by
 * tranche), the share's rate limit per epoch, commit-reveal stopping a
 * copied submission, the validation-set chunks against their root, scores
 * only from validators drawn, and the disconnection of every block of a
 * task's life restoring the state root of the block before it.
 *
 * The rules are those of doc/protocol.md "18.5 Transaction rules". */
#include "chain_fixture.h"
#include "consensus/arena.h"
#include "consensus/emission.h"
#include "state/arena.h"
#include "tests/arena_fixture.h"

#define FEE 10000

static struct chain *chain;
static struct mempool *pool;

static uint8_t tracked[8][32];
static size_t ntracked;

/* ---- state reads ---- */

static struct arena_status status_of(const uint8_t task[32])
{
    struct arena_status st;
    struct view *v = chain_view(chain);
    ck_assert(arena_get_status(v, task, &st));
    view_free(v);
    return st;
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

static bool op_get(const uint8_t task[32], const uint8_t pub[32], struct arena_operator *o)
{
    struct view *v = chain_view(chain);
    bool found = arena_get_operator(v, task, pub, o);
    ck_assert(!view_failed(v));
    view_free(v);
    return found;
}

static struct arena_operator op_of(const uint8_t task[32], const uint8_t pub[32])
{
    struct arena_operator o;
    ck_assert(op_get(task, pub, &o));
    return o;
}

static bool delegation_of(const uint8_t task[32], const uint8_t op[32], const uint8_t d[32],
                          struct arena_delegation *out)
{
    struct view *v = chain_view(chain);
    bool found = arena_get_delegation(v, task, op, d, out);
    ck_assert(!view_failed(v));
    view_free(v);
    return found;
}

static struct staking_stats stats_now(void)
{
    struct staking_stats st;
    struct view *v = chain_view(chain);
    ck_assert(staking_get_stats(v, &st));
    view_free(v);
    return st;
}

static uint64_t supply_now(void)
{
    struct view *v = chain_view(chain);
    uint64_t s = view_get_u64(v, SUPPLY_KEY);
    view_free(v);
    return s;
}

/* A task's own books: what it received (budget and match) is where the
 * status says, and the audit balances. */
static void check_task(const uint8_t task[32])
{
    struct arena_task t = task_of(task);
    struct arena_status st = status_of(task);
    unsigned __int128 out = (unsigned __int128)st.burn + st.budget_left + st.paid + st.vest_paid +
                            st.vest_pending + st.forfeited + st.dust + st.returned +
                            st.slashed_budget;
    ck_assert_msg(out == (unsigned __int128)t.p.budget + st.match,
                  "task books: budget %llu + match %llu != where it went",
                  (unsigned long long)t.p.budget, (unsigned long long)st.match);
}

static void produce_checked(void)
{
    produce(chain, pool);
    for (size_t i = 0; i < ntracked; i++)
        check_task(tracked[i]);
}

/* Produces blocks until the next one is at height h. */
static void advance_to(uint64_t h)
{
    while (chain_height(chain) + 1 < h)
        produce_checked();
    ck_assert_uint_eq(chain_height(chain) + 1, h);
}

static void setup(void)
{
    ntracked = 0;
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

/* ---- transactions ---- */

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
    if (funds == 0)
        return;
    make_transfer(&tx, 3, p->pub, funds, mempool_next_nonce(pool, pubs[3]), FEE);
    submit(&tx, NULL);
    tx_free(&tx);
}

static void create(const struct party *p, const struct arena_task_params *tp, const char *expect,
                   uint8_t task[32])
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_create_payload(&w, tp);
    send(p, TX_ARENA_TASK_CREATE, &w, expect, task);
    wbuf_free(&w);
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

static void commit_raw(const struct party *p, uint8_t type, const uint8_t task[32],
                       const uint8_t commitment[32], const char *expect)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_commit_payload(&w, task, commitment);
    send(p, type, &w, expect, NULL);
    wbuf_free(&w);
}

#define NPARAMS 4

static void salt_of(const struct party *p, uint8_t salt[32])
{
    for (unsigned i = 0; i < 32; i++)
        salt[i] = (uint8_t)(p->pub[i] ^ 0xa5);
}

static void weights_of(int32_t w[NPARAMS], int who)
{
    for (int i = 0; i < NPARAMS; i++)
        w[i] = (int32_t)((who + 1) * 1000 + i * 17 - 2000);
}

/* Commits to w with the party's salt (or to what commitment says). */
static void sub_commit(const struct party *p, const uint8_t task[32], const int32_t *w,
                       const char *expect)
{
    uint8_t salt[32], c[32];
    salt_of(p, salt);
    ck_assert(fixture_arena_sub_commitment(c, task, p->pub, w, NPARAMS, salt));
    commit_raw(p, TX_ARENA_SUBMIT_COMMIT, task, c, expect);
}

static void sub_reveal_salted(const struct party *p, const uint8_t task[32],
                              const uint8_t salt[32], const int32_t *w, size_t n,
                              const char *expect)
{
    struct wbuf wb;
    wbuf_init(&wb);
    ck_assert(fixture_arena_reveal_payload(&wb, task, salt, w, n));
    send(p, TX_ARENA_SUBMIT_REVEAL, &wb, expect, NULL);
    wbuf_free(&wb);
}

static void sub_reveal(const struct party *p, const uint8_t task[32], const int32_t *w,
                       const char *expect)
{
    uint8_t salt[32];
    salt_of(p, salt);
    sub_reveal_salted(p, task, salt, w, NPARAMS, expect);
}

static void valset(const struct party *p, const uint8_t task[32],
                   const struct fixture_arena_sets *s, uint8_t k, uint16_t c, const char *expect)
{
    struct wbuf w;
    wbuf_init(&w);
    ck_assert(fixture_arena_valset_payload(&w, task, s, k, c, NULL, 0));
    send(p, TX_ARENA_REVEAL_VALSET, &w, expect, NULL);
    wbuf_free(&w);
}

static void valset_all(const struct party *p, const uint8_t task[32],
                       const struct fixture_arena_sets *s)
{
    for (uint8_t k = 0; k < s->k; k++)
        for (uint16_t c = 0; c < s->n_chunks[k]; c++)
            valset(p, task, s, k, c, NULL);
}

static void score_commit(const struct party *p, const uint8_t task[32], const uint32_t *losses,
                         uint32_t n, const char *expect)
{
    uint8_t salt[32], c[32];
    salt_of(p, salt);
    fixture_arena_score_commitment(c, task, p->pub, losses, n, salt);
    commit_raw(p, TX_ARENA_SCORE_COMMIT, task, c, expect);
}

static void score_reveal_salted(const struct party *p, const uint8_t task[32],
                                const uint8_t salt[32], const uint32_t *losses, uint32_t n,
                                const char *expect)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_score_payload(&w, task, salt, losses, n);
    send(p, TX_ARENA_SCORE_REVEAL, &w, expect, NULL);
    wbuf_free(&w);
}

static void score_reveal(const struct party *p, const uint8_t task[32], const uint32_t *losses,
                         uint32_t n, const char *expect)
{
    uint8_t salt[32];
    salt_of(p, salt);
    score_reveal_salted(p, task, salt, losses, n, expect);
}

/* The losses a validator reveals: one per (set it was drawn for,
 * scoreable submission), each base + its index. */
static uint32_t losses_for(const uint8_t task[32], const struct party *p, uint32_t base,
                           uint32_t *losses)
{
    struct arena_task t = task_of(task);
    struct arena_operator o = op_of(task, p->pub);
    struct arena_status st = status_of(task);
    uint32_t n = 0;
    for (unsigned k = 0; k < t.p.k; k++)
        if (o.count[k] > 0)
            for (unsigned s = 0; s < st.n_scoreable; s++, n++)
                losses[n] = base + n;
    return n;
}

/* ---- a task and its parties ---- */

struct world {
    struct party creator, tr[3], va[2], de[3], stranger;
    struct arena_task_params tp;
    struct fixture_arena_sets sets;
    uint8_t task[32];
    struct arena_windows w;
};

static void world_parties(struct world *W)
{
    new_party(&W->creator, 1000 * COIN);
    for (int i = 0; i < 3; i++)
        new_party(&W->tr[i], 100 * COIN);
    for (int i = 0; i < 2; i++)
        new_party(&W->va[i], 100 * COIN);
    for (int i = 0; i < 3; i++)
        new_party(&W->de[i], 100 * COIN);
    new_party(&W->stranger, 100 * COIN);
    produce_checked();
}

/* Creates the task of tp (its sets made here) in the next block. */
static void world_create(struct world *W, const struct arena_task_params *tp)
{
    W->tp = *tp;
    ck_assert(fixture_arena_sets_make(&W->sets, &W->tp, 7));
    create(&W->creator, &W->tp, NULL, W->task);
    produce_checked();
    memcpy(tracked[ntracked++], W->task, 32);
    W->w = task_of(W->task).w;
    ck_assert_uint_eq(W->w.created, chain_height(chain));
}

static void world_free(struct world *W)
{
    fixture_arena_sets_free(&W->sets);
}

/* ---- ARENA_TASK_CREATE ---- */

START_TEST(creation_burns_and_locks_the_budget)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    uint64_t bal0 = balance_of(chain, W.creator.pub), supply0 = supply_now();
    uint64_t burned0 = stats_now().burned, minted0 = stats_now().minted;
    world_create(&W, &tp);
    const uint64_t burn = 100 * COIN * params.arena_burn_bps / 10000;
    ck_assert_uint_gt(burn, 0);
    ck_assert_uint_eq(balance_of(chain, W.creator.pub), bal0 - 100 * COIN - FEE);
    struct arena_status st = status_of(W.task);
    ck_assert_uint_eq(st.state, ARENA_OPEN);
    ck_assert_uint_eq(st.burn, burn);
    ck_assert_uint_eq(st.budget_left, 100 * COIN - burn);
    ck_assert_uint_eq(stats_now().burned - burned0, burn);
    /* The supply lost the burn (and gained the block's emission). */
    struct supply_audit a;
    ck_assert(supply_audit(chain, &a));
    ck_assert_uint_eq(a.arena, 100 * COIN - burn);
    ck_assert_uint_eq(a.arena_tasks, 100 * COIN - burn);
    ck_assert_uint_eq(supply_now(), supply0 + (stats_now().minted - minted0) - burn);
    struct arena_task t = task_of(W.task);
    ck_assert_mem_eq(t.creator, W.creator.pub, 32);
    ck_assert_uint_eq(t.w.submit_end, t.created_height + 4);
    ck_assert_uint_eq(t.w.reveal_end, t.w.submit_end + 3);
    ck_assert_uint_eq(t.w.sets_end, t.w.reveal_end + 3);
    ck_assert_uint_eq(t.w.score_commit_end, t.w.sets_end + 2);
    ck_assert_uint_eq(t.w.settle, t.w.score_commit_end + 2);
    ck_assert_mem_eq(t.p.sets[1].root, W.tp.sets[1].root, 32);

    /* A budget the creator does not have. */
    struct party poor;
    new_party(&poor, 50 * COIN);
    produce_checked();
    uint8_t id[32];
    create(&poor, &tp, "bad-txns-insufficient-funds", id);
    /* Stateless: gamma above 5000, a budget below the minimum. */
    struct arena_task_params bad = tp;
    bad.gamma_bps = 5001;
    create(&W.creator, &bad, "bad-arena-payload", id);
    bad = tp;
    bad.budget = ARENA_MIN_BUDGET - 1;
    create(&W.creator, &bad, "bad-arena-payload", id);
    world_free(&W);
}
END_TEST

/* The heights of a task's events have a bounded work: the sixth task of the
 * largest shape whose settlement falls at one height is refused. */
START_TEST(creation_refused_when_a_height_is_full)
{
    struct party c;
    struct fixture_arena_sets sets;
    new_party(&c, 1000 * COIN);
    produce_checked();
    struct arena_task_params tp = fixture_arena_task(ARENA_MIN_BUDGET);
    tp.k = ARENA_MAX_SETS;
    for (unsigned k = 0; k < tp.k; k++) {
        tp.sets[k].n_chunks = 1;
        tp.sets[k].n_rows = 1;
    }
    tp.max_trainers = ARENA_MAX_TRAINERS;
    tp.max_validators = ARENA_MAX_VALIDATORS;
    ck_assert(fixture_arena_sets_make(&sets, &tp, 3));
    const uint32_t settle = arena_event_work(&tp, ARENA_EV_SETTLE);
    const unsigned fit = ARENA_MAX_HEIGHT_WORK / settle;
    ck_assert_uint_ge(fit, 1);
    uint8_t id[32];
    for (unsigned i = 0; i < fit; i++)
        create(&c, &tp, NULL, id);
    create(&c, &tp, "arena-height-full", id);
    produce_checked();
    /* One block later, a task with one block less to submit ends at the
     * same heights: still full. */
    tp.submit_blocks--;
    create(&c, &tp, "arena-height-full", id);
    /* One more block: the heights differ, there is room. */
    tp.submit_blocks += 2;
    create(&c, &tp, NULL, id);
    produce_checked();
    fixture_arena_sets_free(&sets);
}
END_TEST

/* ---- ARENA_STAKE ---- */

START_TEST(stake_rules)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    tp.max_trainers = 2;
    tp.max_validators = 1;
    uint8_t unknown[32];
    memset(unknown, 0x77, 32);
    stake(&W.tr[0], unknown, ARENA_ROLE_TRAINER, 10 * COIN, "arena-task-unknown");
    world_create(&W, &tp);
    /* Stateless: a role that is none, a zero amount. */
    stake(&W.tr[0], W.task, 3, 10 * COIN, "bad-arena-payload");
    stake(&W.tr[0], W.task, ARENA_ROLE_TRAINER, 0, "bad-arena-payload");
    uint64_t bal = balance_of(chain, W.tr[0].pub);
    /* A first stake below the role's minimum takes no seat. */
    stake(&W.tr[0], W.task, ARENA_ROLE_TRAINER, 6 * COIN, "arena-stake-low");
    stake(&W.tr[0], W.task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    stake(&W.tr[1], W.task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    stake(&W.va[0], W.task, ARENA_ROLE_VALIDATOR, 10 * COIN, NULL);
    produce_checked();
    /* Stakes add up (a later one may be below the minimum); the balance
     * pays them. */
    stake(&W.tr[0], W.task, ARENA_ROLE_TRAINER, 1 * COIN, NULL);
    produce_checked();
    ck_assert_uint_eq(op_of(W.task, W.tr[0].pub).own, 11 * COIN);
    ck_assert_uint_eq(balance_of(chain, W.tr[0].pub), bal - 11 * COIN - 2 * FEE);
    /* One role per address. */
    stake(&W.tr[0], W.task, ARENA_ROLE_VALIDATOR, 10 * COIN, "arena-role");
    stake(&W.va[0], W.task, ARENA_ROLE_TRAINER, 10 * COIN, "arena-role");
    /* Seats: two trainers, one validator. */
    stake(&W.tr[2], W.task, ARENA_ROLE_TRAINER, 10 * COIN, "arena-task-full");
    stake(&W.va[1], W.task, ARENA_ROLE_VALIDATOR, 10 * COIN, "arena-task-full");
    /* More than the balance. */
    stake(&W.tr[1], W.task, ARENA_ROLE_TRAINER, 1000 * COIN, "bad-txns-insufficient-funds");
    struct arena_status st = status_of(W.task);
    ck_assert_uint_eq(st.n_trainers, 2);
    ck_assert_uint_eq(st.n_validators, 1);
    /* The operator list is sorted. */
    uint8_t *keys;
    size_t n;
    struct view *v = chain_view(chain);
    ck_assert(arena_get_operators(v, W.task, &keys, &n));
    view_free(v);
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(keys, keys + 32, 32) < 0 && memcmp(keys + 32, keys + 64, 32) < 0);
    free(keys);
    /* After submit_end: arena-window. */
    advance_to(W.w.submit_end);
    stake(&W.tr[1], W.task, ARENA_ROLE_TRAINER, 1 * COIN, NULL);
    produce_checked();
    stake(&W.tr[1], W.task, ARENA_ROLE_TRAINER, 1 * COIN, "arena-window");
    ck_assert_uint_eq(op_of(W.task, W.tr[1].pub).own, 11 * COIN);
    world_free(&W);
}
END_TEST

/* ---- ARENA_DELEGATE, ARENA_UNDELEGATE (cancel, locked) ---- */

START_TEST(delegate_and_cancel)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    tp.submit_blocks = 8;
    uint8_t unknown[32];
    memset(unknown, 0x77, 32);
    delegate(&W.de[0], unknown, W.tr[0].pub, 5 * COIN, "arena-task-unknown");
    world_create(&W, &tp);
    /* Only to an operator of the task. */
    delegate(&W.de[0], W.task, W.tr[0].pub, 5 * COIN, "arena-role");
    stake(&W.tr[0], W.task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    produce_checked();
    /* Below the minimum (arena-stake-low); to oneself (stateless). */
    delegate(&W.de[0], W.task, W.tr[0].pub, ARENA_MIN_DELEGATION - 1, "arena-stake-low");
    delegate(&W.tr[0], W.task, W.tr[0].pub, 5 * COIN, "bad-arena-payload");
    delegate(&W.de[0], W.task, W.tr[0].pub, 500 * COIN, "bad-txns-insufficient-funds");
    uint64_t bal0 = balance_of(chain, W.de[0].pub);
    delegate(&W.de[0], W.task, W.tr[0].pub, 5 * COIN, NULL);
    delegate(&W.de[1], W.task, W.tr[0].pub, 2 * COIN, NULL);
    produce_checked();
    delegate(&W.de[0], W.task, W.tr[0].pub, 1 * COIN, NULL);
    produce_checked();
    struct arena_operator o = op_of(W.task, W.tr[0].pub);
    ck_assert_uint_eq(o.del_total, 8 * COIN);
    ck_assert_uint_eq(o.del_value, 8 * COIN);
    ck_assert_uint_eq(o.del_count, 2);
    struct arena_delegation d;
    ck_assert(delegation_of(W.task, W.tr[0].pub, W.de[0].pub, &d));
    ck_assert_uint_eq(d.amount, 6 * COIN);
    ck_assert_uint_eq(balance_of(chain, W.de[0].pub), bal0 - 6 * COIN - 2 * FEE);
    /* Nothing to undelegate from someone never delegated to, from a task
     * that does not exist, from oneself (stateless). */
    undelegate(&W.de[2], W.task, W.tr[0].pub, "arena-nothing");
    undelegate(&W.de[0], unknown, W.tr[0].pub, "arena-task-unknown");
    undelegate(&W.tr[0], W.task, W.tr[0].pub, "bad-arena-payload");
    undelegate(&W.de[0], W.task, W.tr[0].pub, NULL);
    produce_checked();
    /* Cancelled: the whole amount back, the record gone. */
    ck_assert(!delegation_of(W.task, W.tr[0].pub, W.de[0].pub, &d));
    ck_assert_uint_eq(balance_of(chain, W.de[0].pub), bal0 - 3 * FEE);
    o = op_of(W.task, W.tr[0].pub);
    ck_assert_uint_eq(o.del_total, 2 * COIN);
    ck_assert_uint_eq(o.del_value, 2 * COIN);
    ck_assert_uint_eq(o.del_count, 1);
    /* Locked from submit_end + 1 until the task ends. */
    advance_to(W.w.submit_end);
    delegate(&W.de[2], W.task, W.tr[0].pub, 1 * COIN, NULL);
    produce_checked();
    delegate(&W.de[2], W.task, W.tr[0].pub, 1 * COIN, "arena-window");
    undelegate(&W.de[1], W.task, W.tr[0].pub, "arena-locked");
    advance_to(W.w.reveal_end);
    undelegate(&W.de[1], W.task, W.tr[0].pub, "arena-locked");
    world_free(&W);
}
END_TEST

/* ---- ARENA_SET_SHARE ---- */

/* Produces empty blocks until the next block's slot is the first of an
 * epoch. */
static void to_epoch_start(void)
{
    const uint32_t e = params.epoch_slots;
    uint64_t next = chain_tip(chain)->hdr.slot + 1;
    uint64_t start = (next / e + 1) * e;
    produce_at(chain, pool, start - 1);
}

START_TEST(share_at_most_once_per_epoch)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    tp.submit_blocks = 10;
    world_create(&W, &tp);
    share(&W.tr[0], W.task, 1000, "arena-role");
    uint8_t unknown[32];
    memset(unknown, 0x77, 32);
    share(&W.tr[0], unknown, 1000, "arena-task-unknown");
    stake(&W.tr[0], W.task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    produce_checked();
    share(&W.tr[0], W.task, 10001, "bad-arena-payload");
    to_epoch_start();
    share(&W.tr[0], W.task, 1000, NULL);
    produce_checked();
    const uint64_t epoch = params_epoch_of(&params, chain_tip(chain)->hdr.slot);
    struct arena_operator o = op_of(W.task, W.tr[0].pub);
    ck_assert_uint_eq(o.sigma_bps, 1000);
    ck_assert_uint_eq(o.sigma_epoch, epoch);
    /* Again in the same epoch: refused; the value stays. */
    ck_assert_uint_eq(params_epoch_of(&params, chain_tip(chain)->hdr.slot + 1), epoch);
    share(&W.tr[0], W.task, 9000, "arena-share-rate");
    produce_checked();
    ck_assert_uint_eq(op_of(W.task, W.tr[0].pub).sigma_bps, 1000);
    /* In the next epoch: accepted. */
    to_epoch_start();
    share(&W.tr[0], W.task, 9000, NULL);
    produce_checked();
    ck_assert_uint_eq(op_of(W.task, W.tr[0].pub).sigma_bps, 9000);
    ck_assert_uint_eq(op_of(W.task, W.tr[0].pub).sigma_epoch, epoch + 1);
    /* Not after submit_end. */
    advance_to(W.w.submit_end + 1);
    to_epoch_start();
    share(&W.tr[0], W.task, 5000, "arena-window");
    world_free(&W);
}
END_TEST

/* ---- ARENA_SUBMIT_COMMIT, ARENA_SUBMIT_REVEAL ---- */

START_TEST(submissions_and_commit_reveal)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    tp.submit_blocks = 6;
    world_create(&W, &tp);
    int32_t w0[NPARAMS], w1[NPARAMS], w2[NPARAMS];
    weights_of(w0, 0);
    weights_of(w1, 1);
    weights_of(w2, 2);
    uint8_t unknown[32], c[32];
    memset(unknown, 0x77, 32);
    memset(c, 0x11, 32);
    commit_raw(&W.tr[0], TX_ARENA_SUBMIT_COMMIT, unknown, c, "arena-task-unknown");
    /* Only trainers commit. */
    sub_commit(&W.tr[0], W.task, w0, "arena-role");
    for (int i = 0; i < 3; i++)
        stake(&W.tr[i], W.task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    stake(&W.va[0], W.task, ARENA_ROLE_VALIDATOR, 10 * COIN, NULL);
    produce_checked();
    sub_commit(&W.va[0], W.task, w0, "arena-role");
    sub_commit(&W.stranger, W.task, w0, "arena-role");
    /* The stranger becomes a trainer but never commits. */
    stake(&W.stranger, W.task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    sub_commit(&W.tr[0], W.task, w0, NULL);
    produce_checked();
    /* A second commitment, even to other weights: arena-duplicate. */
    sub_commit(&W.tr[0], W.task, w1, "arena-duplicate");
    /* The copier commits before seeing anything: to the honest trainer's
     * commitment itself, as it is public. */
    struct arena_operator o0 = op_of(W.task, W.tr[0].pub);
    ck_assert_uint_eq(o0.seq, 0);
    commit_raw(&W.tr[1], TX_ARENA_SUBMIT_COMMIT, W.task, o0.commitment, NULL);
    produce_checked();
    sub_commit(&W.tr[2], W.task, w2, NULL);
    produce_checked();
    ck_assert_uint_eq(op_of(W.task, W.tr[1].pub).seq, 1);
    ck_assert_uint_eq(op_of(W.task, W.tr[2].pub).seq, 2);
    ck_assert_uint_eq(status_of(W.task).n_commits, 3);
    /* No reveal before the window. */
    sub_reveal(&W.tr[0], W.task, w0, "arena-window");
    advance_to(W.w.submit_end);
    sub_commit(&W.tr[0], W.task, w0, "arena-duplicate");
    produce_checked();
    /* After submit_end: no more commitments. */
    commit_raw(&W.tr[2], TX_ARENA_SUBMIT_COMMIT, W.task, c, "arena-window");
    /* The weights count of the spec. */
    sub_reveal_salted(&W.tr[0], W.task, c, w0, NPARAMS - 1, "arena-size");
    /* Another salt: not what was committed. */
    sub_reveal_salted(&W.tr[0], W.task, c, w0, NPARAMS, "arena-commit-mismatch");
    /* Not a trainer; a trainer who never committed; no such task. */
    sub_reveal(&W.va[0], W.task, w0, "arena-role");
    sub_reveal(&W.stranger, W.task, w0, "arena-commit-mismatch");
    sub_reveal(&W.tr[0], unknown, w0, "arena-task-unknown");
    sub_reveal(&W.tr[0], W.task, w0, NULL);
    produce_checked();
    struct arena_operator o = op_of(W.task, W.tr[0].pub);
    ck_assert(o.flags & ARENA_OP_REVEALED);
    {
        const uint8_t *wb;
        uint64_t n;
        uint8_t model[32], bytes[NPARAMS * 4];
        struct view *v = chain_view(chain);
        ck_assert(arena_get_weights(v, W.task, W.tr[0].pub, &wb, &n));
        ck_assert_uint_eq(n, NPARAMS);
        fixture_arena_weight_bytes(bytes, w0, NPARAMS);
        ck_assert_mem_eq(wb, bytes, sizeof(bytes));
        fl_model_hash(model, bytes, NPARAMS);
        ck_assert_mem_eq(o.model_hash, model, 32);
        view_free(v);
    }
    sub_reveal(&W.tr[0], W.task, w0, "arena-duplicate");
    /* The copier, having seen the weights and the salt: its commitment was
     * the honest trainer's, which binds the honest trainer's key; with its
     * own salt it matches nothing either. */
    uint8_t salt0[32];
    salt_of(&W.tr[0], salt0);
    sub_reveal_salted(&W.tr[1], W.task, salt0, w0, NPARAMS, "arena-commit-mismatch");
    sub_reveal(&W.tr[1], W.task, w0, "arena-commit-mismatch");
    /* A trainer who committed to its own weights cannot reveal the copy. */
    sub_reveal(&W.tr[2], W.task, w0, "arena-commit-mismatch");
    sub_reveal(&W.tr[2], W.task, w2, NULL);
    produce_checked();
    ck_assert(!(op_of(W.task, W.tr[1].pub).flags & ARENA_OP_REVEALED));
    /* After reveal_end: arena-window. */
    advance_to(W.w.reveal_end + 1);
    sub_reveal(&W.tr[1], W.task, w1, "arena-window");
    world_free(&W);
}
END_TEST

/* ---- ARENA_REVEAL_VALSET ---- */

START_TEST(valset_chunks_against_the_root)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    world_create(&W, &tp);
    valset(&W.creator, W.task, &W.sets, 0, 0, "arena-window");
    /* Not while submissions may still be revealed: the sets stay hidden
     * until every submission is fixed. */
    advance_to(W.w.reveal_end);
    valset(&W.creator, W.task, &W.sets, 0, 0, "arena-window");
    advance_to(W.w.reveal_end + 1);
    /* Only the creator, of a task that exists. */
    valset(&W.stranger, W.task, &W.sets, 0, 0, "arena-role");
    uint8_t unknown[32];
    memset(unknown, 0x77, 32);
    valset(&W.creator, unknown, &W.sets, 0, 0, "arena-task-unknown");
    struct wbuf w;
    wbuf_init(&w);
    /* A set or a chunk the task does not have. */
    struct fixture_arena_sets more;
    struct arena_task_params tp3 = tp;
    tp3.k = 3;
    tp3.sets[2] = tp.sets[1];
    tp3.sets[2].n_chunks = 4;
    ck_assert(fixture_arena_sets_make(&more, &tp3, 7));
    valset(&W.creator, W.task, &more, 2, 0, "arena-valset-proof");
    valset(&W.creator, W.task, &more, 2, 3, "arena-valset-proof");
    fixture_arena_sets_free(&more);
    /* Forged bytes (one bit), another chunk's path, another salt. */
    uint32_t len;
    const uint8_t *chunk = fixture_arena_chunk(&W.sets, 0, 1, &len);
    uint8_t forged[4096];
    ck_assert_uint_le(len, sizeof(forged));
    memcpy(forged, chunk, len);
    forged[5] ^= 1;
    ck_assert(fixture_arena_valset_payload(&w, W.task, &W.sets, 0, 1, forged, len));
    send(&W.creator, TX_ARENA_REVEAL_VALSET, &w, "arena-valset-proof", NULL);
    const uint8_t *chunk2 = fixture_arena_chunk(&W.sets, 0, 2, &len);
    ck_assert(fixture_arena_valset_payload(&w, W.task, &W.sets, 0, 1, chunk2, len));
    send(&W.creator, TX_ARENA_REVEAL_VALSET, &w, "arena-valset-proof", NULL);
    struct fixture_arena_sets salted = W.sets;
    salted.salt[0][0] ^= 1;
    valset(&W.creator, W.task, &salted, 0, 1, "arena-valset-proof");
    /* The right chunk. */
    valset(&W.creator, W.task, &W.sets, 0, 1, NULL);
    produce_checked();
    valset(&W.creator, W.task, &W.sets, 0, 1, "arena-duplicate");
    struct arena_status st = status_of(W.task);
    ck_assert_uint_eq(st.chunks_revealed[0], 1);
    ck_assert_uint_eq(st.rows_revealed[0], 4);
    ck_assert_uint_eq(st.sets_complete, 0);
    {
        const uint8_t *data;
        size_t dlen;
        struct view *v = chain_view(chain);
        ck_assert(arena_get_chunk(v, W.task, 0, 1, &data, &dlen));
        chunk = fixture_arena_chunk(&W.sets, 0, 1, &len);
        ck_assert_uint_eq(dlen, len);
        ck_assert_mem_eq(data, chunk, len);
        view_free(v);
    }
    valset(&W.creator, W.task, &W.sets, 0, 0, NULL);
    valset(&W.creator, W.task, &W.sets, 0, 2, NULL);
    produce_checked();
    st = status_of(W.task);
    ck_assert_uint_eq(st.sets_complete, 1);
    ck_assert_uint_eq(st.rows_revealed[0], 12);
    advance_to(W.w.sets_end + 1);
    valset(&W.creator, W.task, &W.sets, 1, 0, "arena-window");
    wbuf_free(&w);
    world_free(&W);
}
END_TEST

/* A chunk whose length is not whole rows, and chunks with more rows than
 * the commitment says: arena-valset-rows, although their path is right. */
START_TEST(valset_rows)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    /* Set 0 is cut from rows of 5 values (the task's rows have 4): 3 rows
     * of 20 bytes per chunk, 60 bytes, not a multiple of 16.  Set 1 holds
     * 13 rows but its commitment says 12. */
    struct arena_task_params wide = tp;
    wide.spec.sizes[0] = 4;
    wide.sets[0].n_chunks = 3;
    wide.sets[0].n_rows = 9;
    struct fixture_arena_sets s0, s1;
    ck_assert(fixture_arena_sets_make(&s0, &wide, 9));
    struct arena_task_params big = tp;
    big.sets[1].n_rows = 13;
    ck_assert(fixture_arena_sets_make(&s1, &big, 9));
    tp.sets[0] = wide.sets[0];
    tp.sets[1] = big.sets[1];
    tp.sets[1].n_rows = 12;
    W.tp = tp;
    memset(&W.sets, 0, sizeof(W.sets));
    create(&W.creator, &tp, NULL, W.task);
    produce_checked();
    memcpy(tracked[ntracked++], W.task, 32);
    W.w = task_of(W.task).w;
    advance_to(W.w.reveal_end + 1);
    valset(&W.creator, W.task, &s0, 0, 0, "arena-valset-rows");
    valset(&W.creator, W.task, &s1, 1, 0, NULL); /* 5 rows */
    valset(&W.creator, W.task, &s1, 1, 1, NULL); /* 4 rows */
    produce_checked();
    valset(&W.creator, W.task, &s1, 1, 2, "arena-valset-rows"); /* 4 more: 13 > 12 */
    ck_assert_uint_eq(status_of(W.task).rows_revealed[1], 9);
    fixture_arena_sets_free(&s0);
    fixture_arena_sets_free(&s1);
}
END_TEST

/* ---- a whole task: scores, claims ---- */

/* Stakes, a delegation to each validator, commitments and reveals of two
 * trainers, every set revealed: the task is at sets_end + 1 with its
 * scoreable submissions fixed.  va[0] is eligible; va[1]'s first stake is
 * below the minimum, refused: it is no operator of the task. */
static void run_to_scoring(struct world *W, const struct arena_task_params *tp)
{
    int32_t w[NPARAMS];
    world_create(W, tp);
    stake(&W->tr[0], W->task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    stake(&W->tr[1], W->task, ARENA_ROLE_TRAINER, 20 * COIN, NULL);
    stake(&W->va[0], W->task, ARENA_ROLE_VALIDATOR, 30 * COIN, NULL);
    stake(&W->va[1], W->task, ARENA_ROLE_VALIDATOR, 5 * COIN, "arena-stake-low");
    produce_checked();
    share(&W->va[0], W->task, 5000, NULL);
    delegate(&W->de[0], W->task, W->va[0].pub, 1000001, NULL);
    delegate(&W->de[1], W->task, W->va[0].pub, 1000002, NULL);
    delegate(&W->de[2], W->task, W->va[0].pub, 1000004, NULL);
    for (int i = 0; i < 2; i++) {
        weights_of(w, i);
        sub_commit(&W->tr[i], W->task, w, NULL);
    }
    advance_to(W->w.submit_end + 1);
    for (int i = 0; i < 2; i++) {
        weights_of(w, i);
        sub_reveal(&W->tr[i], W->task, w, NULL);
    }
    advance_to(W->w.reveal_end + 1);
    valset_all(&W->creator, W->task, &W->sets);
    advance_to(W->w.sets_end + 1);
    struct arena_status st = status_of(W->task);
    ck_assert_uint_eq(st.state, ARENA_SCORING);
    ck_assert_uint_eq(st.n_scoreable, 2);
    ck_assert_uint_eq(st.sets_complete, 3);
}

START_TEST(scores_only_from_validators_drawn)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    uint32_t losses[ARENA_MAX_SCORES] = {0};
    uint8_t c[32];
    memset(c, 0x22, 32);
    /* Before sets_end + 1: arena-window. */
    world_create(&W, &tp);
    stake(&W.va[0], W.task, ARENA_ROLE_VALIDATOR, 30 * COIN, NULL);
    produce_checked();
    commit_raw(&W.va[0], TX_ARENA_SCORE_COMMIT, W.task, c, "arena-window");
    world_free(&W);
    ntracked = 0;

    struct world X;
    world_parties(&X);
    run_to_scoring(&X, &tp);
    struct arena_operator v0 = op_of(X.task, X.va[0].pub), v1;
    ck_assert(v0.flags & ARENA_OP_ELIGIBLE);
    ck_assert(!op_get(X.task, X.va[1].pub, &v1));
    /* The only eligible validator holds every draw. */
    ck_assert_uint_eq(v0.count[0], tp.draws_per_set);
    ck_assert_uint_eq(v0.count[1], tp.draws_per_set);
    uint32_t n = losses_for(X.task, &X.va[0], 30000, losses);
    ck_assert_uint_eq(n, 4);
    /* Not a validator, not drawn. */
    score_commit(&X.tr[0], X.task, losses, n, "arena-role");
    score_commit(&X.stranger, X.task, losses, n, "arena-role");
    score_commit(&X.va[1], X.task, losses, n, "arena-role");
    commit_raw(&X.va[0], TX_ARENA_SCORE_COMMIT, c, c, "arena-task-unknown");
    /* No reveal in the commit window. */
    score_reveal(&X.va[0], X.task, losses, n, "arena-window");
    score_commit(&X.va[0], X.task, losses, n, NULL);
    produce_checked();
    score_commit(&X.va[0], X.task, losses, n, "arena-duplicate");
    advance_to(X.w.score_commit_end + 1);
    commit_raw(&X.va[0], TX_ARENA_SCORE_COMMIT, X.task, c, "arena-window");
    /* Exactly one loss per (set drawn, submission). */
    score_reveal(&X.va[0], X.task, losses, n - 1, "arena-size");
    score_reveal(&X.va[0], X.task, losses, n + 1, "arena-size");
    losses[0]++;
    score_reveal(&X.va[0], X.task, losses, n, "arena-commit-mismatch");
    losses[0]--;
    score_reveal_salted(&X.va[0], X.task, c, losses, n, "arena-commit-mismatch");
    score_reveal(&X.va[1], X.task, losses, n, "arena-role");
    score_reveal(&X.va[0], X.task, losses, n, NULL);
    produce_checked();
    score_reveal(&X.va[0], X.task, losses, n, "arena-duplicate");
    {
        const uint8_t *lb;
        uint32_t ln;
        struct view *v = chain_view(chain);
        ck_assert(arena_get_losses(v, X.task, X.va[0].pub, &lb, &ln));
        ck_assert_uint_eq(ln, n);
        ck_assert_uint_eq(read_le32(lb + 4), losses[1]);
        view_free(v);
    }
    advance_to(X.w.settle + 1);
    ck_assert_uint_eq(status_of(X.task).state, ARENA_SETTLED);
    score_reveal(&X.va[0], X.task, losses, n, "arena-window");
    world_free(&X);
}
END_TEST

/* A validator with three delegators never reveals its scores: it is
 * slashed at SETTLE and, with no other revealed validator, the task is
 * refunded.  The delegators claim their principal after the end: each its
 * pro-rata share of what is left, floor, the last one the remainder. */
START_TEST(claims_after_a_slash_last_takes_the_remainder)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    run_to_scoring(&W, &tp);
    undelegate(&W.de[0], W.task, W.va[0].pub, "arena-locked");
    /* Drawn, but no commitment to reveal; a task that does not exist. */
    uint32_t losses[ARENA_MAX_SCORES] = {0};
    uint32_t n = losses_for(W.task, &W.va[0], 100, losses);
    advance_to(W.w.score_commit_end + 1);
    score_reveal(&W.va[0], W.task, losses, n, "arena-commit-mismatch");
    uint8_t unknown[32];
    memset(unknown, 0x77, 32);
    score_reveal(&W.va[0], unknown, losses, n, "arena-task-unknown");
    advance_to(W.w.settle);
    undelegate(&W.de[0], W.task, W.va[0].pub, "arena-locked");
    advance_to(W.w.settle + 1);
    struct arena_status st = status_of(W.task);
    ck_assert_uint_eq(st.state, ARENA_REFUNDED);
    struct arena_operator o = op_of(W.task, W.va[0].pub);
    ck_assert(o.flags & ARENA_OP_SLASHED);
    const uint64_t total = 1000001 + 1000002 + 1000004;
    ck_assert_uint_eq(o.del_total, total);
    ck_assert_uint_eq(o.del_value, total - total * tp.slash_bps / 10000);
    const uint64_t value = o.del_value;
    uint64_t expect[2], bal[3];
    expect[0] = (uint64_t)((unsigned __int128)1000001 * value / total);
    expect[1] = (uint64_t)((unsigned __int128)1000002 * value / total);
    for (int i = 0; i < 3; i++)
        bal[i] = balance_of(chain, W.de[i].pub);
    undelegate(&W.de[0], W.task, W.va[0].pub, NULL);
    undelegate(&W.de[1], W.task, W.va[0].pub, NULL);
    produce_checked();
    undelegate(&W.de[2], W.task, W.va[0].pub, NULL);
    produce_checked();
    ck_assert_uint_eq(balance_of(chain, W.de[0].pub), bal[0] + expect[0] - FEE);
    ck_assert_uint_eq(balance_of(chain, W.de[1].pub), bal[1] + expect[1] - FEE);
    const uint64_t last = value - expect[0] - expect[1];
    ck_assert_uint_eq(balance_of(chain, W.de[2].pub), bal[2] + last - FEE);
    /* The remainder is more than the last one's floor share. */
    ck_assert_uint_gt(last, (uint64_t)((unsigned __int128)1000004 * value / total));
    o = op_of(W.task, W.va[0].pub);
    ck_assert_uint_eq(o.del_principal_paid, value);
    ck_assert_uint_eq(o.del_count, 0);
    /* Everything paid: the records are gone, a second claim has nothing. */
    struct arena_delegation d;
    for (int i = 0; i < 3; i++)
        ck_assert(!delegation_of(W.task, W.va[0].pub, W.de[i].pub, &d));
    undelegate(&W.de[0], W.task, W.va[0].pub, "arena-nothing");
    world_free(&W);
}
END_TEST

/* A validator who reveals, with sigma 50%: its delegators are credited a
 * part of its reward, Reward A at SETTLE and a tranche at each vesting;
 * each claim pays the principal once and the entitlement less what was
 * claimed; the record goes once the last tranche is in. */
START_TEST(claims_follow_the_tranches)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    uint32_t losses[ARENA_MAX_SCORES] = {0};
    run_to_scoring(&W, &tp);
    uint32_t n = losses_for(W.task, &W.va[0], 30000, losses);
    score_commit(&W.va[0], W.task, losses, n, NULL);
    advance_to(W.w.score_commit_end + 1);
    score_reveal(&W.va[0], W.task, losses, n, NULL);
    advance_to(W.w.settle + 1);
    ck_assert_uint_eq(status_of(W.task).state, ARENA_SETTLED);
    struct arena_operator o = op_of(W.task, W.va[0].pub);
    ck_assert_uint_gt(o.f_del, 0);
    ck_assert_uint_gt(o.d_credit, 0);
    const uint64_t total = o.del_total;
    const uint64_t x0 = 1000001;
    /* First claim: the principal (no slash: all of it) and Reward A's
     * share. */
    uint64_t bal = balance_of(chain, W.de[0].pub);
    uint64_t credit = o.d_credit;
    uint64_t ent = (uint64_t)((unsigned __int128)credit * x0 / total);
    undelegate(&W.de[0], W.task, W.va[0].pub, NULL);
    produce_checked();
    ck_assert_uint_eq(balance_of(chain, W.de[0].pub), bal + x0 + ent - FEE);
    struct arena_delegation d;
    ck_assert(delegation_of(W.task, W.va[0].pub, W.de[0].pub, &d));
    ck_assert_uint_eq(d.claimed, ent);
    ck_assert(d.flags & ARENA_DEL_PRINCIPAL_PAID);
    /* Nothing new until the next tranche. */
    undelegate(&W.de[0], W.task, W.va[0].pub, "arena-nothing");
    for (uint32_t i = 1; i <= tp.vest_epochs; i++) {
        advance_to(arena_vest_height(&W.w, params.epoch_slots, i) + 1);
        o = op_of(W.task, W.va[0].pub);
        ck_assert_uint_gt(o.d_credit, credit);
        credit = o.d_credit;
        uint64_t ent2 = (uint64_t)((unsigned __int128)credit * x0 / total);
        bal = balance_of(chain, W.de[0].pub);
        undelegate(&W.de[0], W.task, W.va[0].pub, NULL);
        produce_checked();
        ck_assert_uint_eq(balance_of(chain, W.de[0].pub), bal + ent2 - ent - FEE);
        ent = ent2;
        bool last = i == tp.vest_epochs;
        ck_assert(delegation_of(W.task, W.va[0].pub, W.de[0].pub, &d) == !last);
    }
    undelegate(&W.de[0], W.task, W.va[0].pub, "arena-nothing");
    /* A delegator claiming for the first time after the last tranche gets
     * everything at once and its record goes. */
    bal = balance_of(chain, W.de[1].pub);
    undelegate(&W.de[1], W.task, W.va[0].pub, NULL);
    produce_checked();
    ck_assert_uint_eq(balance_of(chain, W.de[1].pub),
                      bal + 1000002 + (uint64_t)((unsigned __int128)credit * 1000002 / total) - FEE);
    ck_assert(!delegation_of(W.task, W.va[0].pub, W.de[1].pub, &d));
    world_free(&W);
}
END_TEST

/* ---- reorganization ---- */

/* Every block of a task's life, one transaction type per block where it
 * can be, then disconnected one by one from the tip: after each, the state
 * root is the one the chain had at that height, and the audit balances. */
START_TEST(disconnecting_every_block_restores_the_state_root)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    tp.submit_blocks = 8;
    tp.reveal_blocks = 4;
    tp.vest_epochs = 1;
    uint8_t roots[128][32];
    const uint64_t base = chain_height(chain);
    chain_state_root(chain, roots[0]);
#define STEP()                                                                                     \
    do {                                                                                           \
        produce_checked();                                                                         \
        ck_assert_uint_lt(chain_height(chain) - base, 128);                                        \
        chain_state_root(chain, roots[chain_height(chain) - base]);                                \
    } while (0)
    W.tp = tp;
    ck_assert(fixture_arena_sets_make(&W.sets, &W.tp, 7));
    create(&W.creator, &W.tp, NULL, W.task);
    STEP();
    memcpy(tracked[ntracked++], W.task, 32);
    W.w = task_of(W.task).w;
    int32_t w[NPARAMS];
    stake(&W.tr[0], W.task, ARENA_ROLE_TRAINER, 10 * COIN, NULL);
    stake(&W.va[0], W.task, ARENA_ROLE_VALIDATOR, 10 * COIN, NULL);
    STEP();
    delegate(&W.de[0], W.task, W.va[0].pub, 3 * COIN, NULL);
    delegate(&W.de[1], W.task, W.va[0].pub, 2 * COIN, NULL);
    STEP();
    share(&W.va[0], W.task, 2500, NULL);
    STEP();
    weights_of(w, 0);
    sub_commit(&W.tr[0], W.task, w, NULL);
    STEP();
    undelegate(&W.de[1], W.task, W.va[0].pub, NULL);
    STEP();
    while (chain_height(chain) + 1 <= W.w.submit_end)
        STEP();
    sub_reveal(&W.tr[0], W.task, w, NULL);
    STEP();
    while (chain_height(chain) + 1 <= W.w.reveal_end)
        STEP();
    valset_all(&W.creator, W.task, &W.sets);
    STEP();
    while (chain_height(chain) + 1 <= W.w.sets_end)
        STEP();
    uint32_t losses[ARENA_MAX_SCORES] = {0};
    uint32_t n = losses_for(W.task, &W.va[0], 20000, losses);
    score_commit(&W.va[0], W.task, losses, n, NULL);
    STEP();
    while (chain_height(chain) + 1 <= W.w.score_commit_end)
        STEP();
    score_reveal(&W.va[0], W.task, losses, n, NULL);
    STEP();
    while (chain_height(chain) + 1 <= W.w.settle)
        STEP();
    ck_assert_uint_eq(status_of(W.task).state, ARENA_SETTLED);
    undelegate(&W.de[0], W.task, W.va[0].pub, NULL);
    STEP();
    while (chain_height(chain) <= arena_vest_height(&W.w, params.epoch_slots, 1))
        STEP();
    undelegate(&W.de[0], W.task, W.va[0].pub, NULL);
    STEP();
#undef STEP
    /* Back down to before the creation, one block at a time. */
    while (chain_height(chain) > base) {
        struct validation v;
        uint8_t root[32];
        ck_assert(chain_invalidate(chain, chain_tip(chain)->hash, &v));
        chain_state_root(chain, root);
        ck_assert_msg(memcmp(root, roots[chain_height(chain) - base], 32) == 0,
                      "state root differs after disconnecting to height %llu",
                      (unsigned long long)chain_height(chain));
        check_supply(chain);
    }
    struct arena_status st;
    struct view *v = chain_view(chain);
    ck_assert(!arena_get_status(v, W.task, &st));
    view_free(v);
    world_free(&W);
}
END_TEST

/* ---- expiry ---- */

START_TEST(expiry_is_the_end_of_each_window)
{
    struct world W;
    world_parties(&W);
    struct arena_task_params tp = fixture_arena_task(100 * COIN);
    world_create(&W, &tp);
    const uint8_t types[] = {TX_ARENA_STAKE,         TX_ARENA_DELEGATE,      TX_ARENA_SET_SHARE,
                             TX_ARENA_SUBMIT_COMMIT, TX_ARENA_SUBMIT_REVEAL, TX_ARENA_REVEAL_VALSET,
                             TX_ARENA_SCORE_COMMIT,  TX_ARENA_SCORE_REVEAL,  TX_ARENA_UNDELEGATE,
                             TX_ARENA_TASK_CREATE};
    const uint64_t expect[] = {W.w.submit_end, W.w.submit_end,       W.w.submit_end,
                               W.w.submit_end, W.w.reveal_end,       W.w.sets_end,
                               W.w.score_commit_end, W.w.settle, 0, 0};
    struct view *v = chain_view(chain);
    for (size_t i = 0; i < sizeof(types); i++) {
        struct tx tx;
        tx_init(&tx);
        tx.type = types[i];
        uint8_t payload[64];
        memcpy(payload, W.task, 32);
        memset(payload + 32, 0, 32);
        tx.payload = payload;
        tx.payload_len = sizeof(payload);
        ck_assert_uint_eq(arena_tx_expiry(v, &tx), expect[i]);
        tx.payload = NULL;
        tx.payload_len = 0;
        tx_free(&tx);
    }
    view_free(v);
    world_free(&W);
}
END_TEST

static Suite *arena_suite(void)
{
    Suite *s = suite_create("arena");
    TCase *tc = tcase_create("arena");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, creation_burns_and_locks_the_budget);
    tcase_add_test(tc, creation_refused_when_a_height_is_full);
    tcase_add_test(tc, stake_rules);
    tcase_add_test(tc, delegate_and_cancel);
    tcase_add_test(tc, share_at_most_once_per_epoch);
    tcase_add_test(tc, submissions_and_commit_reveal);
    tcase_add_test(tc, valset_chunks_against_the_root);
    tcase_add_test(tc, valset_rows);
    tcase_add_test(tc, scores_only_from_validators_drawn);
    tcase_add_test(tc, claims_after_a_slash_last_takes_the_remainder);
    tcase_add_test(tc, claims_follow_the_tranches);
    tcase_add_test(tc, disconnecting_every_block_restores_the_state_root);
    tcase_add_test(tc, expiry_is_the_end_of_each_window);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(arena_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
