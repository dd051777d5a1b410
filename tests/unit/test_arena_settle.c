/* AI Arena events on the state of a regtest chain: the records a task's
 * transactions leave (definition, status, operators, revealed losses) are
 * written into a view over the chain's state, and the end-block hook runs
 * at every height from the task's creation to its last tranche, with the
 * task's conservation and the funds it holds checked after every block:
 * ASSIGN, CLOSE, SETTLE and VEST (doc/protocol.md 18.7), the pool match,
 * its cap, and the work reserved per height (18.8).
 *
 * Each test states the rule it shows; the expected amounts are computed
 * here from the rules, not with consensus/arenamath.c, where a test needs
 * an exact figure. */
#include "chain_fixture.h"
#include "consensus/arena.h"
#include "consensus/emission.h"
#include "state/accounts.h"
#include "state/arena.h"
#include "state/arenaevents.h"
#include "tests/arena_fixture.h"

#include <sodium.h>

#define MAXOPS 24

static struct chain *chain;
static struct view *V;
static uint64_t supply0;

struct world {
    struct arena_task t;
    uint8_t id[32];
    uint8_t keys[MAXOPS][32]; /* sorted */
    size_t n;
};

/* Every key whose balance the tests follow. */
static uint8_t seen[4 * MAXOPS][32];
static size_t nseen;

static void see(const uint8_t k[32])
{
    for (size_t i = 0; i < nseen; i++)
        if (memcmp(seen[i], k, 32) == 0)
            return;
    ck_assert(nseen < 4 * MAXOPS);
    memcpy(seen[nseen++], k, 32);
}

static void setup(void)
{
    nseen = 0;
    fixture_setup();
    chain = open_chain();
    V = chain_view(chain);
    ck_assert(V != NULL);
    supply0 = view_get_u64(V, SUPPLY_KEY);
}

static void teardown(void)
{
    view_free(V);
    chain_close(chain);
    fixture_teardown();
}

static void key_of(uint8_t out[32], uint8_t tag, uint8_t i)
{
    memset(out, 0, 32);
    out[0] = tag;
    out[1] = i;
    out[31] = 0x5a;
}

static uint64_t balance(const uint8_t k[32])
{
    struct account a;
    ck_assert(accounts_get(V, k, &a));
    return a.balance;
}

static uint64_t pool(void)
{
    return view_get_u64(V, POOL_ARENA_KEY);
}

/* ---- records ---- */

static struct arena_status status_of(const struct world *w)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    struct arena_status s;
    arena_key_task(key, 'S', w->id);
    ck_assert(view_get(V, key, sizeof(key), &val, &len));
    ck_assert(arena_status_decode(&s, val, len));
    return s;
}

static void put_status(const struct world *w, const struct arena_status *s)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    struct wbuf b;
    arena_key_task(key, 'S', w->id);
    wbuf_init(&b);
    arena_status_encode(s, &b);
    view_put_wbuf(V, key, sizeof(key), &b);
    wbuf_free(&b);
}

static struct arena_operator op_of(const struct world *w, const uint8_t k[32])
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    const uint8_t *val;
    size_t len;
    struct arena_operator o;
    arena_key_operator(key, 'O', w->id, k);
    ck_assert(view_get(V, key, sizeof(key), &val, &len));
    ck_assert(arena_operator_decode(&o, val, len));
    return o;
}

static void put_op(const struct world *w, const uint8_t k[32], const struct arena_operator *o)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    struct wbuf b;
    arena_key_operator(key, 'O', w->id, k);
    wbuf_init(&b);
    arena_operator_encode(o, &b);
    view_put_wbuf(V, key, sizeof(key), &b);
    wbuf_free(&b);
}

static uint64_t slash_height(const uint8_t k[32])
{
    uint8_t key[ARENA_KEY_SLASH_SIZE];
    const uint8_t *val;
    size_t len;
    uint64_t h;
    arena_key_slash(key, k);
    if (!view_get(V, key, sizeof(key), &val, &len))
        return 0;
    ck_assert(arena_slash_height_decode(&h, val, len));
    return h;
}

/* ---- a task ---- */

static struct arena_task_params default_params(void)
{
    struct arena_task_params p;
    memset(&p, 0, sizeof(p));
    p.spec.kind = FL_MODEL_LOGREG;
    p.spec.n_sizes = 2;
    p.spec.sizes[0] = 3;
    p.spec.sizes[1] = 1;
    p.loss = ARENA_LOSS_LOGLOSS;
    p.k = 2;
    for (int k = 0; k < 2; k++) {
        p.sets[k].root[0] = (uint8_t)(k + 1);
        p.sets[k].n_chunks = 2;
        p.sets[k].n_rows = 10;
    }
    p.submit_blocks = 2;
    p.reveal_blocks = 2;
    p.score_commit_blocks = 2;
    p.score_reveal_blocks = 2;
    p.budget = 1000 * COIN;
    p.gamma_bps = 2000;
    p.q_bps = 5000;
    p.delta_bps = 5000;
    p.d_bps = 10000;
    p.epsilon = 0;
    p.vest_epochs = 4;
    p.draws_per_set = 4;
    p.max_trainers = 8;
    p.max_validators = 8;
    p.trainer_min_stake = 1 * COIN;
    p.validator_min_stake = 1 * COIN;
    p.slash_bps = 2000;
    return p;
}

static uint8_t creator[32];

/* What ARENA_TASK_CREATE leaves at height `at`: the definition, the status
 * (the burn taken, every set complete unless said), the events queued. */
static void create(struct world *w, uint8_t tag, const struct arena_task_params *p, uint64_t at)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    struct wbuf b;
    struct block_header hdr;
    struct block_ctx ctx = {.params = &params, .hdr = &hdr};
    struct validation val;
    memset(w, 0, sizeof(*w));
    memset(&hdr, 0, sizeof(hdr));
    hdr.height = at;
    memset(w->id, tag, 32);
    key_of(creator, 'c', 0);
    see(creator);
    memcpy(w->t.creator, creator, 32);
    w->t.created_height = at;
    w->t.p = *p;
    arena_windows_at(&w->t.p, at, &w->t.w);
    arena_key_task(key, 'T', w->id);
    wbuf_init(&b);
    arena_task_encode(&w->t, &b);
    view_put_wbuf(V, key, sizeof(key), &b);
    wbuf_free(&b);
    struct arena_status s;
    memset(&s, 0, sizeof(s));
    s.burn = arena_burn(p->budget, params.arena_burn_bps);
    s.budget_left = p->budget - s.burn;
    s.sets_complete = (uint8_t)((1u << p->k) - 1);
    for (int k = 0; k < p->k; k++) {
        s.chunks_revealed[k] = p->sets[k].n_chunks;
        s.rows_revealed[k] = p->sets[k].n_rows;
    }
    put_status(w, &s);
    val_init(&val);
    ck_assert_msg(arena_schedule_task(V, &ctx, w->id, &w->t, &val), "schedule: %s", val.reason);
    /* The definition as the state holds it (the spec's views). */
    const uint8_t *tv;
    size_t tl;
    ck_assert(view_get(V, key, sizeof(key), &tv, &tl));
}

static void put_list(const struct world *w)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    struct wbuf b;
    arena_key_task(key, 'L', w->id);
    wbuf_init(&b);
    arena_list_encode(&w->keys[0][0], w->n, &b);
    view_put_wbuf(V, key, sizeof(key), &b);
    wbuf_free(&b);
}

/* An operator staking `own` with `del` delegated to it and the share sigma. */
static void add_op(struct world *w, const uint8_t k[32], uint8_t role, uint64_t own, uint64_t del,
                   uint16_t sigma)
{
    struct arena_operator o;
    size_t i = w->n;
    ck_assert(w->n < MAXOPS);
    while (i > 0 && memcmp(w->keys[i - 1], k, 32) > 0) {
        memcpy(w->keys[i], w->keys[i - 1], 32);
        i--;
    }
    memcpy(w->keys[i], k, 32);
    w->n++;
    put_list(w);
    memset(&o, 0, sizeof(o));
    o.role = role;
    o.own = own;
    o.del_total = del;
    o.del_value = del;
    o.del_count = del ? 1 : 0;
    o.sigma_bps = sigma;
    put_op(w, k, &o);
    see(k);
}

/* A trainer's commit (seq) and, when revealed, its model hash. */
static void submit(struct world *w, const uint8_t k[32], uint32_t seq, uint8_t model, bool revealed)
{
    struct arena_operator o = op_of(w, k);
    struct arena_status s = status_of(w);
    o.flags |= ARENA_OP_COMMITTED;
    o.seq = seq;
    o.commit_height = w->t.created_height + 1;
    if (revealed) {
        o.flags |= ARENA_OP_REVEALED;
        memset(o.model_hash, model, 32);
    }
    put_op(w, k, &o);
    if (s.n_commits <= seq)
        s.n_commits = seq + 1;
    put_status(w, &s);
}

/* A validator's revealed losses: for each set it was drawn for (ascending),
 * loss(k, submission) for each scoreable submission in commit order. */
typedef uint32_t (*loss_fn)(size_t k, size_t sub, void *arg);

static void score(struct world *w, const uint8_t k[32], size_t m, loss_fn f, void *arg)
{
    struct arena_operator o = op_of(w, k);
    uint8_t buf[4 * ARENA_MAX_SCORES];
    uint32_t n = 0;
    for (size_t set = 0; set < w->t.p.k; set++) {
        if (!o.count[set])
            continue;
        for (size_t s = 0; s < m; s++)
            write_le32(buf + 4 * n++, f(set, s, arg));
    }
    uint8_t key[ARENA_KEY_OP_SIZE];
    struct wbuf b;
    arena_key_operator(key, 'Z', w->id, k);
    wbuf_init(&b);
    arena_losses_encode(buf, n, &b);
    view_put_wbuf(V, key, sizeof(key), &b);
    wbuf_free(&b);
    o.flags |= ARENA_OP_SCORE_COMMITTED | ARENA_OP_SCORE_REVEALED;
    put_op(w, k, &o);
}

static bool drawn(const struct arena_operator *o)
{
    for (int k = 0; k < ARENA_MAX_SETS; k++)
        if (o->count[k])
            return true;
    return false;
}

static bool is_drawn(const struct world *w, const uint8_t k[32])
{
    struct arena_operator o = op_of(w, k);
    return drawn(&o);
}

/* ---- conservation ---- */

static struct world *worlds[4];
static size_t nworlds;

static void track(struct world *w)
{
    ck_assert(nworlds < 4);
    worlds[nworlds++] = w;
}

/* Every unit the tasks hold, the accounts of their parties and the pool,
 * plus what the pool cap burned. */
static unsigned __int128 funds(void)
{
    unsigned __int128 t = pool();
    for (size_t i = 0; i < nseen; i++)
        t += balance(seen[i]);
    for (size_t j = 0; j < nworlds; j++) {
        struct world *w = worlds[j];
        struct arena_status s = status_of(w);
        t += s.budget_left + s.vest_pending;
        for (size_t i = 0; i < w->n; i++) {
            struct arena_operator o = op_of(w, w->keys[i]);
            t += o.own + o.del_value - o.del_principal_paid + o.d_credit - o.d_claimed;
        }
    }
    t += supply0 - view_get_u64(V, SUPPLY_KEY);
    return t;
}

static void check_task(const struct world *w)
{
    struct arena_status s = status_of(w);
    const uint64_t budget = w->t.p.budget;
    unsigned __int128 out = (unsigned __int128)s.burn + s.budget_left + s.paid + s.vest_paid +
                            s.vest_pending + s.forfeited + s.dust + s.returned + s.slashed_budget;
    ck_assert_msg(out == (unsigned __int128)budget + s.match,
                  "budget %llu + match %llu != accounted %llu", (unsigned long long)budget,
                  (unsigned long long)s.match, (unsigned long long)out);
    if (s.state == ARENA_SETTLED) {
        unsigned __int128 f = 0;
        uint8_t *keys;
        size_t n;
        ck_assert(arena_get_operators(V, w->id, &keys, &n));
        for (size_t i = 0; i < n; i++)
            f += op_of(w, keys + 32 * i).f;
        free(keys);
        ck_assert(s.distributed == (budget - s.burn) + s.match);
        ck_assert(f + s.dust == s.distributed);
        ck_assert(s.paid + s.vest_paid + s.vest_pending + s.forfeited + s.dust == s.distributed);
    }
}

static uint64_t height;

/* Runs the end-block hook of every height up to h, the conservation checked
 * after each. */
static void run_to(uint64_t h)
{
    for (; height < h;) {
        struct block_header hdr;
        struct block_ctx ctx = {.params = &params, .hdr = &hdr};
        struct validation val;
        unsigned __int128 before = funds();
        memset(&hdr, 0, sizeof(hdr));
        hdr.height = ++height;
        val_init(&val);
        ck_assert_msg(arena_end_block(V, &ctx, &val), "height %llu: %s", (unsigned long long)height,
                      val.reason);
        ck_assert(!view_failed(V));
        ck_assert_msg(funds() == before, "height %llu: funds not conserved",
                      (unsigned long long)height);
        for (size_t j = 0; j < nworlds; j++)
            check_task(worlds[j]);
    }
}

static void start(void)
{
    nworlds = 0;
    height = 0;
}

static uint64_t last_height(const struct world *w)
{
    return arena_vest_height(&w->t.w, params.epoch_slots, w->t.p.vest_epochs);
}

/* ---- losses ---- */

/* Honest validators report the true loss of each submission. */
static const uint32_t *truth;

static uint32_t honest(size_t k, size_t sub, void *arg)
{
    (void)arg;
    return truth[sub] + (uint32_t)k * 100;
}

static uint32_t random_loss(size_t k, size_t sub, void *arg)
{
    uint64_t *s = arg;
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL + k * 7 + sub;
    return (uint32_t)(*s >> 40) % 200000;
}

/* Gives the pool `amount` (as emission would). */
static void fund_pool(uint64_t amount)
{
    view_put_u64(V, POOL_ARENA_KEY, amount);
}

/* A standard task: trainers t[0..nt) (own stake own_t[i]) and validators
 * v[0..nv) (10 FML each), created at height 1. */
struct cast {
    uint8_t t[8][32];
    uint8_t v[8][32];
    size_t nt, nv;
};

static void cast_up(struct world *w, struct cast *c, const struct arena_task_params *p, size_t nt,
                    size_t nv, const uint64_t *own_t)
{
    create(w, 0x11, p, 1);
    track(w);
    c->nt = nt;
    c->nv = nv;
    for (size_t i = 0; i < nt; i++) {
        key_of(c->t[i], 't', (uint8_t)i);
        add_op(w, c->t[i], ARENA_ROLE_TRAINER, own_t ? own_t[i] : 10 * COIN, 0, 0);
    }
    for (size_t i = 0; i < nv; i++) {
        key_of(c->v[i], 'v', (uint8_t)i);
        add_op(w, c->v[i], ARENA_ROLE_VALIDATOR, 10 * COIN, 0, 0);
    }
}

/* ---- tests ---- */

/* The whole life of a task with honest parties: ranks by loss, every
 * drawn validator paid, Reward A now and B over the tranches, stakes back,
 * conservation after every block. */
START_TEST(honest_task_settles_and_vests)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    static const uint32_t losses[] = {30000, 20000, 40000};
    start();
    fund_pool(100 * COIN);
    cast_up(&w, &c, &p, 3, 4, NULL);
    for (size_t i = 0; i < 3; i++)
        submit(&w, c.t[i], (uint32_t)i, (uint8_t)(i + 1), true);
    run_to(w.t.w.submit_end);
    struct arena_status s = status_of(&w);
    ck_assert_int_eq(s.state, ARENA_REVEAL);
    unsigned draws = 0;
    for (size_t i = 0; i < 4; i++) {
        struct arena_operator o = op_of(&w, c.v[i]);
        ck_assert(o.flags & ARENA_OP_ELIGIBLE);
        ck_assert_uint_eq(o.stake_snapshot, 10 * COIN);
        for (int k = 0; k < ARENA_MAX_SETS; k++)
            draws += o.count[k];
    }
    ck_assert_uint_eq(draws, p.k * p.draws_per_set);
    run_to(w.t.w.sets_end);
    ck_assert_int_eq(status_of(&w).state, ARENA_SCORING);
    ck_assert_int_eq(status_of(&w).n_scoreable, 3);
    truth = losses;
    for (size_t i = 0; i < 4; i++)
        if (is_drawn(&w, c.v[i]))
            score(&w, c.v[i], 3, honest, NULL);
    uint64_t pool_before = pool();
    uint64_t creator_before = balance(creator);
    run_to(w.t.w.settle);
    s = status_of(&w);
    ck_assert_int_eq(s.state, ARENA_SETTLED);
    /* The match: floor(budget_left x kappa / 10^4), the pool holding more. */
    uint64_t left = p.budget - s.burn;
    ck_assert_uint_eq(s.match, left * params.arena_match_bps / 10000);
    ck_assert_uint_eq(pool(), pool_before - s.match + s.dust);
    ck_assert_uint_eq(balance(creator), creator_before);
    /* Ranks: t1 (20000) first, t0, t2. */
    ck_assert_int_eq(op_of(&w, c.t[1]).rank, 1);
    ck_assert_int_eq(op_of(&w, c.t[0]).rank, 2);
    ck_assert_int_eq(op_of(&w, c.t[2]).rank, 3);
    ck_assert_uint_gt(op_of(&w, c.t[1]).f, op_of(&w, c.t[0]).f);
    ck_assert_uint_gt(op_of(&w, c.t[0]).f, op_of(&w, c.t[2]).f);
    /* q = 1/2 and equal stakes: each rank half the one above, to rounding. */
    uint64_t f1 = op_of(&w, c.t[1]).f, f0 = op_of(&w, c.t[0]).f;
    ck_assert(f1 / 2 >= f0 - 1 && f1 / 2 <= f0 + 1);
    /* Reward A paid now: f x delta, the rest vesting; stakes back. */
    for (size_t i = 0; i < 3; i++) {
        struct arena_operator o = op_of(&w, c.t[i]);
        ck_assert_uint_eq(o.reward_a, o.f / 2);
        ck_assert_uint_eq(o.vest_b_op, o.f - o.f / 2);
        ck_assert_uint_eq(balance(c.t[i]), o.reward_a + 10 * COIN);
        ck_assert_uint_eq(o.own, 0);
        ck_assert_uint_eq(o.returned, 10 * COIN);
    }
    /* Every tranche paid by the last vest. */
    run_to(last_height(&w));
    s = status_of(&w);
    ck_assert_uint_eq(s.vest_pending, 0);
    ck_assert_uint_eq(s.forfeited, 0);
    for (size_t i = 0; i < 3; i++) {
        struct arena_operator o = op_of(&w, c.t[i]);
        ck_assert_uint_eq(balance(c.t[i]), o.f + 10 * COIN);
    }
}
END_TEST

/* The shares of G_v and G_t and of the first-ranked trainer, computed here
 * from doc/protocol.md 18.7 for one trainer and one validator. */
START_TEST(one_trainer_one_validator_exact)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    static const uint32_t losses[] = {30000};
    start();
    fund_pool(0);
    cast_up(&w, &c, &p, 1, 1, NULL);
    submit(&w, c.t[0], 0, 1, true);
    run_to(w.t.w.sets_end);
    truth = losses;
    score(&w, c.v[0], 1, honest, NULL);
    run_to(w.t.w.settle);
    struct arena_status s = status_of(&w);
    ck_assert_int_eq(s.state, ARENA_SETTLED);
    ck_assert_uint_eq(s.match, 0); /* an empty pool matches nothing */
    uint64_t R = p.budget - s.burn;
    /* T = Sv = 10 FML: G_v = R (g (T+Sv) + (1 - 2g) Sv) / (T+Sv) = R / 2 */
    unsigned __int128 T = 10 * COIN, Sv = 10 * COIN;
    uint64_t gv = (uint64_t)((unsigned __int128)R *
                             (p.gamma_bps * (T + Sv) + (10000 - 2 * p.gamma_bps) * Sv) /
                             (10000 * (T + Sv)));
    ck_assert_uint_eq(s.g_v, gv);
    ck_assert_uint_eq(op_of(&w, c.t[0]).f, R - gv);
    ck_assert_uint_eq(op_of(&w, c.v[0]).f, gv); /* c = 1: it is the consensus */
    ck_assert_uint_eq(s.dust, 0);
}
END_TEST

/* A validator reporting random losses is far from the consensus, so its
 * closeness, and its reward, is the lowest (without the closeness rule every
 * validator of equal stake earns the same per draw). */
START_TEST(random_scorer_earns_least)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    static const uint32_t losses[] = {30000, 20000, 40000};
    p.draws_per_set = 16;
    start();
    fund_pool(0);
    cast_up(&w, &c, &p, 3, 4, NULL);
    for (size_t i = 0; i < 3; i++)
        submit(&w, c.t[i], (uint32_t)i, (uint8_t)(i + 1), true);
    run_to(w.t.w.sets_end);
    truth = losses;
    /* The random scorer: the drawn validator with the most draws, so that
     * its reward would be the largest if it were honest. */
    size_t bad = 0;
    unsigned most = 0;
    for (size_t i = 0; i < 4; i++) {
        struct arena_operator o = op_of(&w, c.v[i]);
        unsigned d = 0;
        for (int k = 0; k < ARENA_MAX_SETS; k++)
            d += o.count[k];
        if (d > most) {
            most = d;
            bad = i;
        }
    }
    uint64_t seed = 7;
    for (size_t i = 0; i < 4; i++) {
        struct arena_operator o = op_of(&w, c.v[i]);
        if (!drawn(&o))
            continue;
        score(&w, c.v[i], 3, i == bad ? random_loss : honest, &seed);
    }
    run_to(w.t.w.settle);
    struct arena_operator r = op_of(&w, c.v[bad]);
    ck_assert_uint_lt(r.c_bps, 10000);
    for (size_t i = 0; i < 4; i++) {
        struct arena_operator o = op_of(&w, c.v[i]);
        if (i == bad || !drawn(&o))
            continue;
        ck_assert_uint_eq(o.c_bps, 10000);
        ck_assert_msg(r.f < o.f, "random scorer %llu >= honest %llu", (unsigned long long)r.f,
                      (unsigned long long)o.f);
    }
}
END_TEST

/* The consensus loss of (submission, set) is the lower median of the drawn
 * validators' losses weighted by their draws of that set, and a
 * submission's loss the floor of the mean over the sets: both in the
 * results record. */
static uint32_t offset_loss(size_t k, size_t sub, void *arg)
{
    return truth[sub] + (uint32_t)k * 1000 + *(const uint32_t *)arg;
}

START_TEST(consensus_is_the_weighted_lower_median)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    static const uint32_t losses[] = {30000, 20000};
    static const uint32_t off[] = {0, 7000, 90000, 3000};
    p.draws_per_set = 5;
    p.k = 3;
    p.sets[2] = p.sets[0];
    start();
    fund_pool(0);
    cast_up(&w, &c, &p, 2, 4, NULL);
    submit(&w, c.t[0], 0, 1, true);
    submit(&w, c.t[1], 1, 2, true);
    run_to(w.t.w.sets_end);
    truth = losses;
    for (size_t i = 0; i < 4; i++)
        if (is_drawn(&w, c.v[i]))
            score(&w, c.v[i], 2, offset_loss, (void *)&off[i]);
    run_to(w.t.w.settle);
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    struct arena_results *r = calloc(1, sizeof(*r));
    ck_assert(r != NULL);
    arena_key_task(key, 'R', w.id);
    ck_assert(view_get(V, key, sizeof(key), &val, &len));
    ck_assert(arena_results_decode(r, val, len));
    ck_assert_int_eq(r->m, 2);
    ck_assert_int_eq(r->consensus_mask, 7);
    for (size_t sub = 0; sub < 2; sub++) {
        uint64_t sum = 0;
        for (size_t k = 0; k < 3; k++) {
            /* By hand: the validators drawn for k sorted by (loss, key). */
            uint32_t l[4], wt[4], W = 0;
            size_t n = 0;
            for (size_t i = 0; i < 4; i++) {
                struct arena_operator o = op_of(&w, c.v[i]);
                if (!o.count[k])
                    continue;
                l[n] = truth[sub] + (uint32_t)k * 1000 + off[i];
                wt[n] = o.count[k];
                W += wt[n++];
            }
            for (size_t a = 1; a < n; a++)
                for (size_t b = a; b > 0 && l[b - 1] > l[b]; b--) {
                    uint32_t t = l[b]; l[b] = l[b - 1]; l[b - 1] = t;
                    t = wt[b]; wt[b] = wt[b - 1]; wt[b - 1] = t;
                }
            uint32_t cum = 0, med = 0;
            for (size_t a = 0; a < n; a++) {
                cum += wt[a];
                if (2 * cum >= W) {
                    med = l[a];
                    break;
                }
            }
            ck_assert_uint_eq(r->r[sub].set_loss[k], med);
            sum += med;
        }
        ck_assert_uint_eq(r->r[sub].loss, sum / 3);
        ck_assert_uint_eq(op_of(&w, c.t[sub]).loss, sum / 3);
    }
    free(r);
}
END_TEST

/* A drawn validator that does not reveal its scores by settle is slashed:
 * slash_bps of its own stake and of its delegations' value to the pool, its
 * slash height recorded, no reward. */
START_TEST(missing_score_reveal_is_slashed)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    static const uint32_t losses[] = {30000, 20000};
    start();
    fund_pool(0);
    cast_up(&w, &c, &p, 2, 3, NULL);
    for (size_t i = 0; i < 2; i++)
        submit(&w, c.t[i], (uint32_t)i, (uint8_t)(i + 1), true);
    /* Give the lazy one delegations too. */
    run_to(w.t.w.sets_end);
    truth = losses;
    size_t lazy = 3;
    for (size_t i = 0; i < 3; i++) {
        struct arena_operator o = op_of(&w, c.v[i]);
        if (!drawn(&o))
            continue;
        if (lazy == 3)
            lazy = i;
        else
            score(&w, c.v[i], 2, honest, NULL);
    }
    ck_assert_uint_lt(lazy, 3);
    uint64_t pool_before = pool();
    run_to(w.t.w.settle);
    struct arena_operator o = op_of(&w, c.v[lazy]);
    ck_assert(o.flags & ARENA_OP_SLASHED);
    ck_assert_uint_eq(o.slashed, 10 * COIN * p.slash_bps / 10000);
    ck_assert_uint_eq(o.f, 0);
    ck_assert_uint_eq(slash_height(c.v[lazy]), w.t.w.settle);
    ck_assert_uint_eq(balance(c.v[lazy]), 10 * COIN - o.slashed);
    struct arena_status s = status_of(&w);
    ck_assert_uint_eq(s.slashed, o.slashed);
    ck_assert_uint_eq(pool(), pool_before + o.slashed + s.dust - s.match);
}
END_TEST

/* A validator with delegations slashed loses slash_bps of their value too. */
START_TEST(slash_takes_delegations_value)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    static const uint32_t losses[] = {30000};
    start();
    fund_pool(0);
    create(&w, 0x11, &p, 1);
    track(&w);
    key_of(c.t[0], 't', 0);
    key_of(c.v[0], 'v', 0);
    key_of(c.t[1], 't', 1);
    add_op(&w, c.t[0], ARENA_ROLE_TRAINER, 10 * COIN, 0, 0);
    add_op(&w, c.t[1], ARENA_ROLE_TRAINER, 10 * COIN, 0, 0);
    add_op(&w, c.v[0], ARENA_ROLE_VALIDATOR, 10 * COIN, 30 * COIN, 5000);
    submit(&w, c.t[0], 0, 1, false); /* never revealed */
    submit(&w, c.t[1], 1, 2, true);  /* something to score */
    run_to(w.t.w.sets_end);
    struct arena_operator t = op_of(&w, c.t[0]);
    ck_assert(t.flags & ARENA_OP_SLASHED);
    ck_assert_uint_eq(slash_height(c.t[0]), w.t.w.sets_end);
    ck_assert_int_eq(status_of(&w).n_scoreable, 1);
    (void)losses;
    run_to(w.t.w.settle);
    struct arena_operator v = op_of(&w, c.v[0]);
    /* Drawn every time (the only validator) and silent: slashed. */
    ck_assert(v.flags & ARENA_OP_SLASHED);
    ck_assert_uint_eq(v.slashed_del, 30 * COIN * p.slash_bps / 10000);
    ck_assert_uint_eq(v.del_value, 30 * COIN - v.slashed_del);
    ck_assert_int_eq(status_of(&w).state, ARENA_REFUNDED);
}
END_TEST

/* A trainer that committed and never revealed is slashed at CLOSE and not
 * ranked; one revealing the model hash of an earlier commit is a duplicate:
 * not ranked, not paid, not slashed (its whole stake comes back). */
START_TEST(missed_reveals_slashed_duplicates_unpaid)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    static const uint32_t losses[] = {30000, 20000};
    start();
    fund_pool(0);
    cast_up(&w, &c, &p, 4, 2, NULL);
    submit(&w, c.t[0], 0, 1, true);
    submit(&w, c.t[1], 1, 2, true);
    submit(&w, c.t[2], 2, 1, true);  /* t0's model: a duplicate */
    submit(&w, c.t[3], 3, 3, false); /* never revealed */
    run_to(w.t.w.sets_end);
    ck_assert_int_eq(status_of(&w).n_scoreable, 2);
    {
        struct arena_operator o = op_of(&w, c.t[3]);
        ck_assert(o.flags & ARENA_OP_SLASHED);
        ck_assert_uint_eq(o.own, 10 * COIN - 10 * COIN * p.slash_bps / 10000);
        ck_assert_uint_eq(slash_height(c.t[3]), w.t.w.sets_end);
        o = op_of(&w, c.t[2]);
        ck_assert(!(o.flags & ARENA_OP_SLASHED));
        ck_assert_uint_eq(o.own, 10 * COIN);
        ck_assert_uint_eq(slash_height(c.t[2]), 0);
    }
    ck_assert(op_of(&w, c.t[2]).flags & ARENA_OP_DUPLICATE);
    ck_assert(!(op_of(&w, c.t[0]).flags & ARENA_OP_DUPLICATE));
    truth = losses;
    for (size_t i = 0; i < 2; i++)
        if (is_drawn(&w, c.v[i]))
            score(&w, c.v[i], 2, honest, NULL);
    run_to(w.t.w.settle);
    ck_assert_int_eq(status_of(&w).state, ARENA_SETTLED);
    ck_assert_int_eq(op_of(&w, c.t[2]).rank, 0);
    ck_assert_int_eq(op_of(&w, c.t[3]).rank, 0);
    ck_assert_uint_eq(op_of(&w, c.t[2]).f, 0);
    ck_assert_uint_gt(op_of(&w, c.t[0]).f, 0);
    /* Their stakes (what is left) come back at SETTLE. */
    ck_assert_uint_eq(balance(c.t[3]), 10 * COIN - 10 * COIN * p.slash_bps / 10000);
    ck_assert_uint_eq(balance(c.t[2]), 10 * COIN);
}
END_TEST

/* Two submissions within epsilon share a rank, and their rewards are in
 * proportion to their stakes; a stake split over two addresses submitting
 * the same-quality model earns what it earned whole, to rounding. */
static uint64_t clones_run(bool split, uint64_t *third)
{
    struct world w;
    struct arena_task_params p = default_params();
    uint8_t a[32], b[32], z[32], v[32];
    static const uint32_t losses[] = {20000, 20005, 30000};
    p.epsilon = 10;
    start();
    fund_pool(0);
    create(&w, 0x22, &p, 1);
    track(&w);
    key_of(a, 't', 0);
    key_of(b, 't', 1);
    key_of(z, 't', 2);
    key_of(v, 'v', 0);
    add_op(&w, a, ARENA_ROLE_TRAINER, split ? 10 * COIN : 20 * COIN, 0, 0);
    if (split)
        add_op(&w, b, ARENA_ROLE_TRAINER, 10 * COIN, 0, 0);
    add_op(&w, z, ARENA_ROLE_TRAINER, 20 * COIN, 0, 0);
    add_op(&w, v, ARENA_ROLE_VALIDATOR, 10 * COIN, 0, 0);
    static const uint32_t whole[] = {20000, 30000};
    submit(&w, a, 0, 1, true);
    if (split)
        submit(&w, b, 1, 2, true);
    submit(&w, z, split ? 2 : 1, 3, true);
    run_to(w.t.w.sets_end);
    truth = split ? losses : whole;
    score(&w, v, split ? 3 : 2, honest, NULL);
    run_to(w.t.w.settle);
    struct arena_operator oa = op_of(&w, a), oz = op_of(&w, z);
    ck_assert_int_eq(oa.rank, 1);
    ck_assert_int_eq(oz.rank, 2);
    uint64_t total = oa.f;
    if (split) {
        struct arena_operator ob = op_of(&w, b);
        ck_assert_int_eq(ob.rank, 1); /* within epsilon of the leader */
        ck_assert(oa.f >= ob.f ? oa.f - ob.f <= 1 : ob.f - oa.f <= 1);
        total += ob.f;
    }
    *third = oz.f;
    return total;
}

START_TEST(clones_share_a_rank_and_splitting_gains_nothing)
{
    uint64_t z1, z2;
    uint64_t whole = clones_run(false, &z1);
    view_free(V);
    V = chain_view(chain);
    nseen = 0;
    uint64_t split = clones_run(true, &z2);
    ck_assert_msg(whole >= split ? whole - split <= 2 : split - whole <= 2,
                  "whole %llu, split %llu", (unsigned long long)whole, (unsigned long long)split);
    ck_assert(z1 >= z2 ? z1 - z2 <= 2 : z2 - z1 <= 2);
}
END_TEST

/* No drawn validator reveals: no consensus; the task refunds (stakes back
 * but the slashes, budget_left to the creator, no match). */
START_TEST(no_revealed_validator_refunds)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    start();
    fund_pool(100 * COIN);
    cast_up(&w, &c, &p, 2, 2, NULL);
    submit(&w, c.t[0], 0, 1, true);
    submit(&w, c.t[1], 1, 2, true);
    run_to(w.t.w.sets_end);
    uint64_t cb = balance(creator), pb = pool();
    run_to(w.t.w.settle);
    struct arena_status s = status_of(&w);
    ck_assert_int_eq(s.state, ARENA_REFUNDED);
    ck_assert_uint_eq(s.match, 0);
    ck_assert_uint_eq(s.returned, p.budget - s.burn);
    ck_assert_uint_eq(balance(creator), cb + s.returned);
    ck_assert_uint_eq(pool(), pb + s.slashed);
    for (size_t i = 0; i < 2; i++)
        ck_assert_uint_eq(balance(c.t[i]), 10 * COIN);
    run_to(last_height(&w));
    ck_assert_uint_eq(status_of(&w).vest_paid, 0);
}
END_TEST

/* No trainer revealed: nothing to rank; the task refunds. */
START_TEST(no_revealed_trainer_refunds)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    start();
    fund_pool(100 * COIN);
    cast_up(&w, &c, &p, 1, 2, NULL);
    run_to(w.t.w.sets_end);
    ck_assert_int_eq(status_of(&w).n_scoreable, 0);
    for (size_t i = 0; i < 2; i++)
        if (is_drawn(&w, c.v[i]))
            score(&w, c.v[i], 0, honest, NULL);
    uint64_t cb = balance(creator);
    run_to(w.t.w.settle);
    struct arena_status s = status_of(&w);
    ck_assert_int_eq(s.state, ARENA_REFUNDED);
    ck_assert_uint_eq(s.match, 0);
    ck_assert_uint_eq(balance(creator), cb + p.budget - s.burn);
    ck_assert_uint_eq(balance(c.t[0]), 10 * COIN);
    for (size_t i = 0; i < 2; i++)
        ck_assert_uint_eq(balance(c.v[i]), 10 * COIN);
}
END_TEST

/* With no scoreable submission a score reveal would carry no loss, which
 * the payload check refuses: a validator drawn then is not slashed for not
 * revealing. */
START_TEST(nothing_to_score_slashes_no_validator)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    start();
    fund_pool(0);
    cast_up(&w, &c, &p, 1, 2, NULL);
    run_to(w.t.w.settle);
    struct arena_status s = status_of(&w);
    ck_assert_int_eq(s.n_scoreable, 0);
    ck_assert_int_eq(s.state, ARENA_REFUNDED);
    ck_assert_uint_eq(pool(), 0);
    for (size_t i = 0; i < 2; i++)
        ck_assert_uint_eq(balance(c.v[i]), 10 * COIN);
}
END_TEST

/* A set not complete at sets_end: the creator's budget_left goes to the
 * pool, every stake comes back, the task FAILED, and its later events do
 * nothing. */
START_TEST(unrevealed_set_fails_the_task)
{
    struct world w;
    struct cast c;
    struct arena_task_params p = default_params();
    start();
    fund_pool(0);
    cast_up(&w, &c, &p, 2, 2, NULL);
    struct arena_status s = status_of(&w);
    s.sets_complete = 1; /* set 1 missing */
    s.chunks_revealed[1] = 1;
    put_status(&w, &s);
    submit(&w, c.t[0], 0, 1, true);
    submit(&w, c.t[1], 1, 2, true);
    run_to(w.t.w.sets_end);
    s = status_of(&w);
    ck_assert_int_eq(s.state, ARENA_FAILED);
    ck_assert_uint_eq(s.slashed_budget, p.budget - s.burn);
    ck_assert_uint_eq(s.budget_left, 0);
    ck_assert_uint_eq(pool(), s.slashed_budget);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_uint_eq(balance(c.t[i]), 10 * COIN);
        ck_assert_uint_eq(balance(c.v[i]), 10 * COIN);
    }
    run_to(last_height(&w));
    struct arena_status after = status_of(&w);
    ck_assert_int_eq(after.state, ARENA_FAILED);
    ck_assert_uint_eq(after.paid, 0);
    ck_assert_uint_eq(after.end_height, w.t.w.sets_end);
}
END_TEST

/* The match is floor(budget_left x kappa / 10^4) when the pool holds that
 * much, else the whole pool. */
START_TEST(pool_match_bounded_by_kappa)
{
    static const uint32_t losses[] = {30000};
    for (int rich = 0; rich < 2; rich++) {
        struct world w;
        struct cast c;
        struct arena_task_params p = default_params();
        if (rich) {
            view_free(V);
            V = chain_view(chain);
            nseen = 0;
        }
        start();
        fund_pool(rich ? 4000 * COIN : 3 * COIN);
        cast_up(&w, &c, &p, 1, 1, NULL);
        submit(&w, c.t[0], 0, 1, true);
        run_to(w.t.w.sets_end);
        truth = losses;
        score(&w, c.v[0], 1, honest, NULL);
        uint64_t pb = pool();
        run_to(w.t.w.settle);
        struct arena_status s = status_of(&w);
        uint64_t bound = (p.budget - s.burn) * params.arena_match_bps / 10000;
        ck_assert_uint_eq(s.match, rich ? bound : pb);
        ck_assert_uint_eq(s.distributed, p.budget - s.burn + s.match);
    }
}
END_TEST

/* At the end of every block the pool above arena_pool_cap_blocks x the
 * Arena's part of the block reward is burned (supply and burned stat). */
START_TEST(pool_cap_burns_the_excess)
{
    struct block_header hdr;
    struct block_ctx ctx = {.params = &params, .hdr = &hdr};
    struct validation val;
    struct staking_stats st0, st1;
    memset(&hdr, 0, sizeof(hdr));
    hdr.height = 5;
    uint64_t cap = arena_pool_cap(params.arena_pool_cap_blocks, emission_at(&params, 5, 0),
                                  params.split_arena_bps);
    ck_assert_uint_eq(cap, (uint64_t)params.arena_pool_cap_blocks *
                               (params.block_reward * params.split_arena_bps / 10000));
    uint64_t supply = view_get_u64(V, SUPPLY_KEY);
    ck_assert(staking_get_stats(V, &st0));
    view_put_u64(V, POOL_ARENA_KEY, cap + 12345);
    val_init(&val);
    ck_assert(arena_end_block(V, &ctx, &val));
    ck_assert_uint_eq(pool(), cap);
    ck_assert_uint_eq(view_get_u64(V, SUPPLY_KEY), supply - 12345);
    ck_assert(staking_get_stats(V, &st1));
    ck_assert_uint_eq(st1.burned, st0.burned + 12345);
    /* At or below the cap nothing burns. */
    ck_assert(arena_end_block(V, &ctx, &val));
    ck_assert_uint_eq(pool(), cap);
    ck_assert_uint_eq(view_get_u64(V, SUPPLY_KEY), supply - 12345);
}
END_TEST

/* Reward B of a trainer slashed later, in another task, after this task
 * settled: the tranches from then on are forfeited to the pool, the earlier
 * ones stay paid. */
START_TEST(vesting_forfeited_on_a_later_slash)
{
    struct world w1, w2;
    struct arena_task_params p = default_params();
    uint8_t t[32], t2[32], v[32];
    static const uint32_t losses[] = {30000};
    start();
    fund_pool(0);
    p.vest_epochs = 4;
    create(&w1, 0x31, &p, 1);
    track(&w1);
    key_of(t, 't', 0);
    key_of(t2, 't', 1);
    key_of(v, 'v', 0);
    add_op(&w1, t, ARENA_ROLE_TRAINER, 10 * COIN, 0, 0);
    add_op(&w1, v, ARENA_ROLE_VALIDATOR, 10 * COIN, 0, 0);
    submit(&w1, t, 0, 1, true);
    /* Task 2: t commits and never reveals; its CLOSE falls between the
     * first and the second tranche of task 1. */
    uint64_t settle1 = w1.t.w.settle;
    uint64_t vest1 = arena_vest_height(&w1.t.w, params.epoch_slots, 1);
    struct arena_task_params p2 = default_params();
    p2.submit_blocks = (uint32_t)(vest1 - 4);
    p2.reveal_blocks = 2; /* CLOSE at sets_end = created + submit + 2 x 2 = vest1 + 1 */
    create(&w2, 0x32, &p2, 1);
    track(&w2);
    add_op(&w2, t, ARENA_ROLE_TRAINER, 10 * COIN, 0, 0);
    add_op(&w2, t2, ARENA_ROLE_TRAINER, 10 * COIN, 0, 0);
    submit(&w2, t, 0, 9, false);
    ck_assert_uint_gt(w2.t.w.sets_end, vest1);
    ck_assert_uint_lt(w2.t.w.sets_end, arena_vest_height(&w1.t.w, params.epoch_slots, 2));
    run_to(w1.t.w.sets_end);
    truth = losses;
    score(&w1, v, 1, honest, NULL);
    run_to(vest1);
    struct arena_operator o = op_of(&w1, t);
    uint64_t b = o.vest_b_op;
    ck_assert_uint_gt(b, 0);
    ck_assert_uint_eq(o.vest_paid_op, b / 4);
    ck_assert_uint_eq(o.forfeited, 0);
    run_to(w2.t.w.sets_end);
    ck_assert_uint_eq(slash_height(t), w2.t.w.sets_end);
    ck_assert_uint_gt(slash_height(t), settle1);
    run_to(last_height(&w1));
    o = op_of(&w1, t);
    ck_assert(o.flags & ARENA_OP_FORFEITED);
    ck_assert_uint_eq(o.vest_paid_op, b / 4);
    ck_assert_uint_eq(o.forfeited, b - b / 4);
    struct arena_status s = status_of(&w1);
    ck_assert_uint_eq(s.forfeited, b - b / 4 + op_of(&w1, v).forfeited);
    ck_assert_uint_eq(s.vest_pending, 0);
    /* The validator, never slashed, got every tranche. */
    ck_assert_uint_eq(op_of(&w1, v).vest_paid_op, op_of(&w1, v).vest_b_op);
}
END_TEST

/* Delegators' part: sigma of the reward in proportion to the delegated
 * share of S, credited to d_credit (A at once, B by tranches). */
START_TEST(delegators_part_credited)
{
    struct world w;
    struct arena_task_params p = default_params();
    uint8_t t[32], v[32];
    static const uint32_t losses[] = {30000};
    start();
    fund_pool(0);
    create(&w, 0x41, &p, 1);
    track(&w);
    key_of(t, 't', 0);
    key_of(v, 'v', 0);
    add_op(&w, t, ARENA_ROLE_TRAINER, 10 * COIN, 30 * COIN, 4000);
    add_op(&w, v, ARENA_ROLE_VALIDATOR, 10 * COIN, 0, 0);
    submit(&w, t, 0, 1, true);
    run_to(w.t.w.sets_end);
    truth = losses;
    score(&w, v, 1, honest, NULL);
    run_to(w.t.w.settle);
    struct arena_operator o = op_of(&w, t);
    ck_assert_uint_eq(o.stake_snapshot, 40 * COIN);
    uint64_t fdel = (uint64_t)((unsigned __int128)o.f * 4000 * (30 * COIN) / (10000 * 40 * COIN));
    ck_assert_uint_eq(o.f_del, fdel);
    ck_assert_uint_eq(o.f_op, o.f - fdel);
    ck_assert_uint_eq(o.d_credit, fdel * p.delta_bps / 10000);
    run_to(last_height(&w));
    o = op_of(&w, t);
    ck_assert_uint_eq(o.d_credit, o.f_del);
}
END_TEST

/* Every event's work is reserved at creation at its fixed height; a
 * creation whose heights lack room is refused (arena-height-full) and
 * leaves nothing queued. */
START_TEST(height_full_rejects_creation)
{
    struct arena_task_params p = default_params();
    p.max_trainers = ARENA_MAX_TRAINERS;
    p.max_validators = ARENA_MAX_VALIDATORS;
    p.k = ARENA_MAX_SETS;
    for (int k = 0; k < p.k; k++) {
        p.sets[k].n_chunks = 1;
        p.sets[k].n_rows = 1;
    }
    const uint32_t settle = arena_event_work(&p, ARENA_EV_SETTLE);
    const size_t fit = ARENA_MAX_HEIGHT_WORK / settle;
    ck_assert_uint_gt(fit, 0);
    struct block_header hdr;
    struct block_ctx ctx = {.params = &params, .hdr = &hdr};
    struct validation val;
    memset(&hdr, 0, sizeof(hdr));
    hdr.height = 1;
    struct arena_task t;
    memset(&t, 0, sizeof(t));
    t.created_height = 1;
    t.p = p;
    arena_windows_at(&t.p, 1, &t.w);
    uint8_t id[32];
    for (size_t i = 0; i < fit; i++) {
        memset(id, (int)i + 1, 32);
        val_init(&val);
        ck_assert_msg(arena_schedule_task(V, &ctx, id, &t, &val), "task %zu: %s", i, val.reason);
    }
    memset(id, 0xee, 32);
    val_init(&val);
    ck_assert(!arena_schedule_task(V, &ctx, id, &t, &val));
    ck_assert_str_eq(val.reason, "arena-height-full");
    /* The settle height holds fit events and their work. */
    uint8_t key[ARENA_KEY_QUEUE_SIZE];
    const uint8_t *hv;
    size_t hl;
    struct arena_height h;
    arena_key_queue(key, t.w.settle);
    ck_assert(view_get(V, key, sizeof(key), &hv, &hl));
    ck_assert(arena_height_decode(&h, hv, hl));
    ck_assert_uint_eq(h.events, fit);
    ck_assert_uint_eq(h.work, fit * settle);
    ck_assert_uint_le(h.work, ARENA_MAX_HEIGHT_WORK);
    arena_key_queue(key, t.w.submit_end);
    ck_assert(view_get(V, key, sizeof(key), &hv, &hl));
    ck_assert(arena_height_decode(&h, hv, hl));
    ck_assert_uint_eq(h.events, fit); /* the refused one queued nothing */
}
END_TEST

/* ---- on a chain: every event inside real blocks ---- */

static void refresh_view(void)
{
    view_free(V);
    V = chain_view(chain);
    ck_assert(V != NULL);
}

/* The next block, the supply audit (chain_fixture.h) and the task's
 * conservation checked after it. */
static void produce_task_block(struct mempool *mp, const struct world *w)
{
    produce(chain, mp);
    refresh_view();
    if (w)
        check_task(w);
}

static void send_tx(struct mempool *mp, const struct party *p, uint8_t type, struct wbuf *payload,
                    uint8_t txid[32])
{
    struct tx tx;
    struct validation v;
    ck_assert(!payload->failed);
    ck_assert(fixture_make_tx(&tx, p->sec, type, payload, mempool_next_nonce(mp, p->pub), 20000));
    val_init(&v);
    ck_assert_msg(mempool_add(mp, &tx, params.genesis_time, &v), "mempool_add type %u: %s %s",
                  type, v.reason, v.detail);
    if (txid)
        tx_txid(&tx, txid);
    tx_free(&tx);
    wbuf_free(payload);
    wbuf_init(payload);
}

static void new_party(struct mempool *mp, struct party *p, int from, uint64_t funds)
{
    randombytes_buf(p->sec, 32);
    ck_assert(key_pubkey(p->pub, p->sec));
    struct wbuf w;
    wbuf_init(&w);
    fixture_transfer_payload(&w, p->pub, funds);
    ck_assert(fixture_submit(mp, from, TX_TRANSFER, 20000, &w, NULL));
    wbuf_free(&w);
}

static void weights_of(int32_t out[4], int who)
{
    for (int i = 0; i < 4; i++)
        out[i] = (int32_t)((who + 1) * 1000 + i);
}

/* A whole task in blocks: stakes, a delegation, three submissions (one
 * never revealed), the sets revealed in chunks, two validators scoring,
 * settlement and both tranches; the supply audit and the task's
 * conservation after every block; then every block disconnected back to
 * the task's creation, each restoring the state root the chain had at its
 * parent. */
START_TEST(chain_task_through_every_event_and_back)
{
    struct mempool *mp = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct party cr, tr[3], va[2], dl;
    struct world w;
    struct wbuf b;
    wbuf_init(&b);
    new_party(mp, &cr, 0, 1000 * COIN);
    for (int i = 0; i < 3; i++)
        new_party(mp, &tr[i], 1, 100 * COIN);
    for (int i = 0; i < 2; i++)
        new_party(mp, &va[i], 2, 100 * COIN);
    new_party(mp, &dl, 3, 100 * COIN);
    produce_task_block(mp, NULL);

    uint8_t roots[256][32];
    uint64_t h0 = chain_height(chain);
    chain_state_root(chain, roots[h0 & 255]);

    struct arena_task_params p = fixture_arena_task(200 * COIN);
    struct fixture_arena_sets sets;
    ck_assert(fixture_arena_sets_make(&sets, &p, 5));
    memset(&w, 0, sizeof(w));
    fixture_arena_create_payload(&b, &p);
    send_tx(mp, &cr, TX_ARENA_TASK_CREATE, &b, w.id);
    produce_task_block(mp, NULL);
    ck_assert(arena_get_task(V, w.id, &w.t));
    const uint64_t c = chain_height(chain);
    chain_state_root(chain, roots[c & 255]);

    /* Stakes, a delegation to trainer 0, commitments. */
    static const uint64_t own[3] = {20 * COIN, 30 * COIN, 20 * COIN};
    for (int i = 0; i < 3; i++) {
        fixture_arena_stake_payload(&b, w.id, ARENA_ROLE_TRAINER, own[i]);
        send_tx(mp, &tr[i], TX_ARENA_STAKE, &b, NULL);
    }
    for (int i = 0; i < 2; i++) {
        fixture_arena_stake_payload(&b, w.id, ARENA_ROLE_VALIDATOR, (20 + 10 * (uint64_t)i) * COIN);
        send_tx(mp, &va[i], TX_ARENA_STAKE, &b, NULL);
    }
    uint8_t salt[3][32];
    for (int i = 0; i < 3; i++) {
        int32_t wt[4];
        uint8_t cm[32];
        memset(salt[i], 0x40 + i, 32);
        weights_of(wt, i);
        ck_assert(fixture_arena_sub_commitment(cm, w.id, tr[i].pub, wt, 4, salt[i]));
        fixture_arena_commit_payload(&b, w.id, cm);
        send_tx(mp, &tr[i], TX_ARENA_SUBMIT_COMMIT, &b, NULL);
    }
    produce_task_block(mp, &w);
    chain_state_root(chain, roots[chain_height(chain) & 255]);
    fixture_arena_delegate_payload(&b, w.id, tr[0].pub, 5 * COIN);
    send_tx(mp, &dl, TX_ARENA_DELEGATE, &b, NULL);
    fixture_arena_share_payload(&b, w.id, 3000);
    send_tx(mp, &tr[0], TX_ARENA_SET_SHARE, &b, NULL);
    while (chain_height(chain) < w.t.w.submit_end) {
        produce_task_block(mp, &w);
        chain_state_root(chain, roots[chain_height(chain) & 255]);
    }
    ck_assert_int_eq(status_of(&w).state, ARENA_REVEAL);

    /* Reveals: trainers 0 and 1, and every chunk; trainer 2 never. */
    for (int i = 0; i < 2; i++) {
        int32_t wt[4];
        weights_of(wt, i);
        ck_assert(fixture_arena_reveal_payload(&b, w.id, salt[i], wt, 4));
        send_tx(mp, &tr[i], TX_ARENA_SUBMIT_REVEAL, &b, NULL);
    }
    while (chain_height(chain) < w.t.w.reveal_end) {
        produce_task_block(mp, &w);
        chain_state_root(chain, roots[chain_height(chain) & 255]);
    }
    /* The sets, once every submission is fixed. */
    for (uint8_t k = 0; k < p.k; k++)
        for (uint16_t ch = 0; ch < p.sets[k].n_chunks; ch++) {
            ck_assert(fixture_arena_valset_payload(&b, w.id, &sets, k, ch, NULL, 0));
            send_tx(mp, &cr, TX_ARENA_REVEAL_VALSET, &b, NULL);
        }
    while (chain_height(chain) < w.t.w.sets_end) {
        produce_task_block(mp, &w);
        chain_state_root(chain, roots[chain_height(chain) & 255]);
    }
    struct arena_status s = status_of(&w);
    ck_assert_int_eq(s.state, ARENA_SCORING);
    ck_assert_int_eq(s.n_scoreable, 2);
    ck_assert(op_of(&w, tr[2].pub).flags & ARENA_OP_SLASHED);

    /* Scores of the drawn validators: trainer 1's model is the better. */
    uint32_t losses[2][ARENA_MAX_SCORES], n[2] = {0, 0};
    uint8_t ssalt[2][32];
    /* The scoreable submissions in commit order. */
    const bool first0 = op_of(&w, tr[0].pub).seq < op_of(&w, tr[1].pub).seq;
    for (int i = 0; i < 2; i++) {
        struct arena_operator o = op_of(&w, va[i].pub);
        for (uint8_t k = 0; k < p.k; k++)
            if (o.count[k]) {
                uint32_t l0 = 30000 + k + (uint32_t)i, l1 = 20000 + k;
                losses[i][n[i]++] = first0 ? l0 : l1;
                losses[i][n[i]++] = first0 ? l1 : l0;
            }
        if (n[i] == 0)
            continue;
        uint8_t cm[32];
        memset(ssalt[i], 0x60 + i, 32);
        fixture_arena_score_commitment(cm, w.id, va[i].pub, losses[i], n[i], ssalt[i]);
        fixture_arena_commit_payload(&b, w.id, cm);
        send_tx(mp, &va[i], TX_ARENA_SCORE_COMMIT, &b, NULL);
    }
    while (chain_height(chain) < w.t.w.score_commit_end) {
        produce_task_block(mp, &w);
        chain_state_root(chain, roots[chain_height(chain) & 255]);
    }
    for (int i = 0; i < 2; i++) {
        if (n[i] == 0)
            continue;
        fixture_arena_score_payload(&b, w.id, ssalt[i], losses[i], n[i]);
        send_tx(mp, &va[i], TX_ARENA_SCORE_REVEAL, &b, NULL);
    }
    const uint64_t end = arena_vest_height(&w.t.w, params.epoch_slots, p.vest_epochs);
    ck_assert_uint_lt(end - h0, 250);
    while (chain_height(chain) < end) {
        produce_task_block(mp, &w);
        chain_state_root(chain, roots[chain_height(chain) & 255]);
    }
    s = status_of(&w);
    ck_assert_int_eq(s.state, ARENA_SETTLED);
    ck_assert_uint_eq(s.vest_done, p.vest_epochs);
    ck_assert_uint_eq(s.vest_pending, 0);
    ck_assert_int_eq(op_of(&w, tr[1].pub).rank, 1);
    ck_assert_int_eq(op_of(&w, tr[0].pub).rank, 2);
    ck_assert_uint_gt(op_of(&w, tr[0].pub).d_credit, 0);

    /* Back block by block to the creation's parent. */
    for (uint64_t h = chain_height(chain); h > h0; h--) {
        struct validation v;
        uint8_t root[32];
        val_init(&v);
        ck_assert_msg(chain_invalidate(chain, chain_at(chain, h)->hash, &v), "%s", v.reason);
        ck_assert_uint_eq(chain_height(chain), h - 1);
        chain_state_root(chain, root);
        ck_assert_msg(memcmp(root, roots[(h - 1) & 255], 32) == 0,
                      "state root after disconnecting %llu", (unsigned long long)h);
        check_supply(chain);
    }
    refresh_view();
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_task(key, 'S', w.id);
    ck_assert(!view_get(V, key, sizeof(key), &val, &len));
    fixture_arena_sets_free(&sets);
    wbuf_free(&b);
    mempool_free(mp);
}
END_TEST

/* On a chain, the Arena pool reaches its cap after arena_pool_cap_blocks
 * blocks of emission and stays there, the excess burned in every block
 * after, with the supply audit (the rewards law counts the burn as an Arena
 * outflow) holding after each block. */
START_TEST(chain_pool_stays_at_its_cap)
{
    struct mempool *mp = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    const uint64_t blocks = params.arena_pool_cap_blocks;
    ck_assert_uint_le(blocks, 2000);
    struct staking_stats st0, st1;
    refresh_view();
    ck_assert(staking_get_stats(V, &st0));
    while (chain_height(chain) < blocks + 3)
        produce(chain, mp);
    refresh_view();
    const uint64_t h = chain_height(chain);
    uint64_t cap = arena_pool_cap(params.arena_pool_cap_blocks, emission_at(&params, h, 0),
                                  params.split_arena_bps);
    ck_assert_uint_eq(pool(), cap);
    ck_assert(staking_get_stats(V, &st1));
    ck_assert_uint_gt(st1.burned, st0.burned);
    mempool_free(mp);
}
END_TEST

static Suite *arena_settle_suite(void)
{
    Suite *s = suite_create("arena_settle");
    TCase *tc = tcase_create("events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, honest_task_settles_and_vests);
    tcase_add_test(tc, one_trainer_one_validator_exact);
    tcase_add_test(tc, random_scorer_earns_least);
    tcase_add_test(tc, consensus_is_the_weighted_lower_median);
    tcase_add_test(tc, missing_score_reveal_is_slashed);
    tcase_add_test(tc, slash_takes_delegations_value);
    tcase_add_test(tc, missed_reveals_slashed_duplicates_unpaid);
    tcase_add_test(tc, clones_share_a_rank_and_splitting_gains_nothing);
    tcase_add_test(tc, no_revealed_validator_refunds);
    tcase_add_test(tc, no_revealed_trainer_refunds);
    tcase_add_test(tc, nothing_to_score_slashes_no_validator);
    tcase_add_test(tc, unrevealed_set_fails_the_task);
    tcase_add_test(tc, pool_match_bounded_by_kappa);
    tcase_add_test(tc, pool_cap_burns_the_excess);
    tcase_add_test(tc, vesting_forfeited_on_a_later_slash);
    tcase_add_test(tc, delegators_part_credited);
    tcase_add_test(tc, height_full_rejects_creation);
    suite_add_tcase(s, tc);
    TCase *tcc = tcase_create("chain");
    tcase_add_checked_fixture(tcc, setup, teardown);
    tcase_set_timeout(tcc, 300);
    tcase_add_test(tcc, chain_task_through_every_event_and_back);
    tcase_add_test(tcc, chain_pool_stays_at_its_cap);
    suite_add_tcase(s, tcc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(arena_settle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
