/* FL Alliance v2 on a real chain.  Each rule of a round by a test that fails
 * without it: a copied update caught (both copies unpaid and slashed), the
 * per-update judgement (an honest update accepted and paid beside a harmful
 * one that is slashed), an update equal to the global model excluded but not
 * slashed, a commitment never revealed slashed, reveals that do not match
 * their commitment or carry the wrong number of verdicts rejected, voters
 * paid by their agreement with the outcomes, a round without vote reveals
 * void, reveals taking the builder's reveal half, the match from gpool/fl
 * and the loss of a creator who is every participant, the FL pool cap burn,
 * and a reorganization across every transition of a task restoring the
 * state root at every height; the supply audit and every task's
 * conservation law after every block.  And the work per height: events
 * bounded and reserved (creations refused, rounds delayed by their
 * finalization's work, weights and verdicts),
 * quiet rounds ending tasks, the mempool pooling no more joins than a task
 * can take nor FL transactions whose window has ended, and the builder
 * filling blocks by units.
 *
 * Roles come from the RANDAO mix, so the tests read them from the state;
 * where a rule needs two proposers, several identical tasks are created and
 * the first whose draw has them is used. */
#include "chain_fixture.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/emission.h"
#include "consensus/txtypes.h"
#include "state/audit.h"
#include "state/fl.h"

#define FEE 10000
#define NPARAMS 4 /* logistic regression on 3 inputs */
#define MAXP 12
#define MAXT 8

static struct chain *chain;
static struct mempool *pool;

/* Every task a case creates, over all of start_case's attempts. */
#define MAXTRACKED 64
static uint8_t tracked[MAXTRACKED][32];
static size_t ntracked;

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

/* ---- state reads ---- */

static bool status_of(const uint8_t task[32], struct fl_status *st)
{
    struct view *v = chain_view(chain);
    bool found = fl_get_status(v, task, st);
    ck_assert(!view_failed(v));
    view_free(v);
    return found;
}

static struct fl_status status(const uint8_t task[32])
{
    struct fl_status st;
    ck_assert(status_of(task, &st));
    return st;
}

static struct fl_participant participant_of(const uint8_t task[32], const uint8_t pub[32])
{
    struct fl_participant p;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_participant(v, task, pub, &p));
    view_free(v);
    return p;
}

static bool entry_of(const uint8_t task[32], uint32_t round, const uint8_t pub[32],
                     struct fl_entry *e)
{
    struct view *v = chain_view(chain);
    bool found = fl_get_entry(v, task, round, pub, e);
    ck_assert(!view_failed(v));
    view_free(v);
    return found;
}

static struct fl_entry entry(const uint8_t task[32], uint32_t round, const uint8_t pub[32])
{
    struct fl_entry e;
    ck_assert(entry_of(task, round, pub, &e));
    return e;
}

static struct fl_round round_of(const uint8_t task[32], uint32_t round)
{
    struct fl_round r;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_round(v, task, round, &r));
    view_free(v);
    return r;
}

static uint64_t fl_pool_now(void)
{
    struct view *v = chain_view(chain);
    uint64_t x = view_get_u64(v, POOL_FL_KEY);
    view_free(v);
    return x;
}

static struct fl_flows flows_now(void)
{
    struct fl_flows f;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_flows(v, &f));
    view_free(v);
    return f;
}

/* What a task holds balances: budget - burn + slashed = paid + budget_left
 * + slashed_left + returned, and the burn is fl_burn_bps of the budget. */
static void check_task_conservation(const uint8_t task[32])
{
    struct fl_status st;
    struct fl_task t;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_status(v, task, &st) && fl_get_task(v, task, &t));
    ck_assert_uint_eq(st.budget, t.p.budget);
    ck_assert_uint_eq(st.burn, fl_burn(t.p.budget, params.fl_burn_bps));
    ck_assert_uint_eq(st.budget - st.burn + st.slashed,
                      st.paid + st.budget_left + st.slashed_left + st.returned);
    view_free(v);
}

/* The fixture checks the supply audit after every block; this adds every
 * tracked task's conservation law. */
static void produce_checked(void)
{
    produce(chain, pool);
    for (size_t i = 0; i < ntracked; i++)
        check_task_conservation(tracked[i]);
}

static void track(const uint8_t task[32])
{
    ck_assert_uint_lt(ntracked, MAXTRACKED);
    memcpy(tracked[ntracked++], task, 32);
}

/* Produces blocks until the next one is at height h. */
static void advance_to(uint64_t h)
{
    while (chain_height(chain) + 1 < h)
        produce_checked();
    ck_assert_uint_eq(chain_height(chain) + 1, h);
}

static struct fl_height height_of(uint64_t h)
{
    struct fl_height hd;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_height(v, h, &hd));
    view_free(v);
    return hd;
}

/* ---- transactions ---- */

static void submit(const struct tx *tx, const char *expect)
{
    submit_to(pool, tx, expect);
}

static void send(const struct party *p, uint8_t type, struct wbuf *w, const char *expect,
                 uint8_t txid_out[32])
{
    send_from(pool, p, type, w, FEE, expect, txid_out);
}

static void new_party(struct party *p, uint64_t funds)
{
    new_party_from(pool, p, funds, FEE);
}

static void create_task(const struct party *creator, const struct fl_task_params *t,
                        const char *expect, uint8_t task[32])
{
    struct wbuf w;
    wbuf_init(&w);
    fl_task_params_encode(t, &w);
    send(creator, TX_FL_TASK_CREATE, &w, expect, task);
    wbuf_free(&w);
}

static void join(const struct party *p, const uint8_t task[32], uint64_t stake, const char *expect)
{
    struct fl_join j;
    struct wbuf w;
    memcpy(j.task, task, 32);
    j.stake = stake;
    wbuf_init(&w);
    fl_join_encode(&j, &w);
    send(p, TX_FL_JOIN, &w, expect, NULL);
    wbuf_free(&w);
}

static void salt_of(const struct party *p, uint32_t round, char kind, uint8_t salt[32])
{
    memcpy(salt, p->pub, 32);
    salt[0] ^= (uint8_t)round;
    salt[1] ^= (uint8_t)kind;
}

static void weight_bytes(const int32_t *w, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        write_le32(out + 4 * i, (uint32_t)w[i]);
}

static void update_commit(const struct party *p, const uint8_t task[32], uint32_t round,
                          const int32_t *weights, size_t n, const char *expect)
{
    uint8_t bytes[4 * 16], mh[32], salt[32];
    struct fl_update_commit c;
    struct wbuf w;
    ck_assert(n <= 16);
    weight_bytes(weights, n, bytes);
    fl_model_hash(mh, bytes, n);
    salt_of(p, round, 'u', salt);
    memcpy(c.task, task, 32);
    c.round = round;
    fl_update_commitment(c.commitment, task, round, p->pub, mh, salt);
    wbuf_init(&w);
    fl_update_commit_encode(&c, &w);
    send(p, TX_FL_UPDATE_COMMIT, &w, expect, NULL);
    wbuf_free(&w);
}

static void update_reveal_salted(const struct party *p, const uint8_t task[32], uint32_t round,
                                 const int32_t *weights, size_t n, const uint8_t salt[32],
                                 const char *expect)
{
    uint8_t bytes[4 * 16];
    struct fl_update_reveal u;
    struct wbuf w;
    ck_assert(n <= 16);
    weight_bytes(weights, n, bytes);
    memcpy(u.task, task, 32);
    u.round = round;
    memcpy(u.salt, salt, 32);
    u.n = n;
    u.weights = bytes;
    wbuf_init(&w);
    fl_update_reveal_encode(&u, &w);
    send(p, TX_FL_UPDATE_REVEAL, &w, expect, NULL);
    wbuf_free(&w);
}

static void update_reveal(const struct party *p, const uint8_t task[32], uint32_t round,
                          const int32_t *weights, size_t n, const char *expect)
{
    uint8_t salt[32];
    salt_of(p, round, 'u', salt);
    update_reveal_salted(p, task, round, weights, n, salt, expect);
}

#define METRIC 40000

static void verdict_bytes(const int8_t *v, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        out[FL_VERDICT_SIZE * i] = (uint8_t)v[i];
        write_le32(out + FL_VERDICT_SIZE * i + 1, (uint32_t)METRIC);
    }
}

static void vote_commit(const struct party *p, const uint8_t task[32], uint32_t round,
                        const int8_t *verdicts, size_t n, const char *expect)
{
    uint8_t bytes[FL_VERDICT_SIZE * FL_MAX_SLOTS], salt[32];
    struct fl_vote_commit c;
    struct wbuf w;
    ck_assert(n <= FL_MAX_SLOTS);
    verdict_bytes(verdicts, n, bytes);
    salt_of(p, round, 'v', salt);
    memcpy(c.task, task, 32);
    c.round = round;
    fl_vote_commitment(c.commitment, task, round, p->pub, n, bytes, salt);
    wbuf_init(&w);
    fl_vote_commit_encode(&c, &w);
    send(p, TX_FL_VOTE_COMMIT, &w, expect, NULL);
    wbuf_free(&w);
}

static void vote_reveal_salted(const struct party *p, const uint8_t task[32], uint32_t round,
                               const int8_t *verdicts, size_t n, const uint8_t salt[32],
                               const char *expect)
{
    uint8_t bytes[FL_VERDICT_SIZE * FL_MAX_SLOTS];
    struct fl_vote_reveal r;
    struct wbuf w;
    ck_assert(n <= FL_MAX_SLOTS);
    verdict_bytes(verdicts, n, bytes);
    memcpy(r.task, task, 32);
    r.round = round;
    memcpy(r.salt, salt, 32);
    r.n = n;
    r.verdicts = bytes;
    wbuf_init(&w);
    fl_vote_reveal_encode(&r, &w);
    send(p, TX_FL_VOTE_REVEAL, &w, expect, NULL);
    wbuf_free(&w);
}

static void vote_reveal(const struct party *p, const uint8_t task[32], uint32_t round,
                        const int8_t *verdicts, size_t n, const char *expect)
{
    uint8_t salt[32];
    salt_of(p, round, 'v', salt);
    vote_reveal_salted(p, task, round, verdicts, n, salt, expect);
}

static void windows_of(const uint8_t task[32], uint32_t round, struct fl_windows *win)
{
    struct view *v = chain_view(chain);
    struct fl_task t;
    struct fl_round r;
    ck_assert(fl_get_task(v, task, &t) && fl_get_round(v, task, round, &r));
    fl_round_windows(&t.p, r.start, win);
    view_free(v);
}

static int role_of(const uint8_t task[32], uint32_t round, const struct party *p)
{
    struct fl_entry e;
    return entry_of(task, round, p->pub, &e) ? e.role : 0;
}

/* Distinct weights for each party and round. */
static void honest_weights(int32_t w[NPARAMS], uint32_t round, int who)
{
    for (int j = 0; j < NPARAMS; j++)
        w[j] = (int32_t)((int64_t)round * 65536 + j * 1000 - who * 7 - (j == 3 ? 200000 : 0));
}

/* ---- a task of np parties ----
 * ps[] come out sorted by key, so party order is the participant list's
 * (the verdict order is the revealed proposers' in it). */
struct fl_case {
    struct party creator;
    struct party ps[MAXP];
    int np;
    uint64_t stake[MAXP];
    struct fl_task_params tp;
    uint8_t task[32];
    uint64_t h0; /* the block that created the task */
    uint64_t creator_spent; /* the creation's budget and fee */
};

static int cmp_party(const void *a, const void *b)
{
    return memcmp(((const struct party *)a)->pub, ((const struct party *)b)->pub, 32);
}

static int count_proposers(const uint8_t task[32], uint32_t round, const struct party *ps, int np)
{
    int k = 0;
    for (int i = 0; i < np; i++)
        k += role_of(task, round, &ps[i]) == FL_ROLE_PROPOSER;
    return k;
}

/* Parties (bit i: party i) that run_round leaves without an update commit
 * or without a vote; start_case clears them. */
static uint32_t skip_update, skip_vote;
/* When set, start_case keeps only a task whose round 1 draw it accepts. */
static bool (*draw_filter)(const struct fl_case *c, const uint8_t task[32]);

/* Funds the parties, creates ntasks identical tasks, joins every party to
 * each, runs to the start of round 1 and keeps the first task whose draw has
 * at least min_proposers distinct proposers (the others run unattended).
 * Keys are fresh each run, so the draw is luck: when no task qualifies the
 * case starts over with new parties and tasks, up to START_ATTEMPTS times,
 * which puts the chance of giving up below 1e-9 for every case here. */
#define START_ATTEMPTS 6
static void start_case(struct fl_case *c, const struct fl_task_params *tp, int np,
                       const uint64_t *stakes, int ntasks, int min_proposers)
{
    uint8_t tasks[MAXT][32];
    ck_assert(np <= MAXP && ntasks <= MAXT);
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        memset(c, 0, sizeof(*c));
        c->np = np;
        c->tp = *tp;
        new_party(&c->creator, (uint64_t)ntasks * tp->budget + 100 * COIN);
        for (int i = 0; i < np; i++)
            new_party(&c->ps[i], 1000 * COIN);
        qsort(c->ps, (size_t)np, sizeof(c->ps[0]), cmp_party);
        for (int i = 0; i < np; i++)
            c->stake[i] = stakes[i];
        produce_checked();
        for (int t = 0; t < ntasks; t++)
            create_task(&c->creator, tp, NULL, tasks[t]);
        produce_checked();
        c->h0 = chain_height(chain);
        for (int t = 0; t < ntasks; t++) {
            track(tasks[t]);
            for (int i = 0; i < np; i++)
                join(&c->ps[i], tasks[t], stakes[i], NULL);
        }
        advance_to(c->h0 + tp->join_blocks + 1);
        for (int t = 0; t < ntasks; t++) {
            if (status(tasks[t]).state != FL_TASK_RUNNING)
                continue;
            if (count_proposers(tasks[t], 1, c->ps, np) >= min_proposers &&
                (!draw_filter || draw_filter(c, tasks[t]))) {
                memcpy(c->task, tasks[t], 32);
                skip_update = skip_vote = 0;
                draw_filter = NULL;
                return;
            }
        }
    }
    ck_abort_msg("no task of %d drew %d proposers in %d attempts", ntasks, min_proposers,
                 START_ATTEMPTS);
}

/* The parties (indices) of a role in a round, in key order. */
static int members(const struct fl_case *c, uint32_t round, int role, int *out)
{
    int k = 0;
    for (int i = 0; i < c->np; i++)
        if (role_of(c->task, round, &c->ps[i]) == role)
            out[k++] = i;
    return k;
}

/* The parties whose update was revealed in the round, in key order: the
 * order of every vote's verdicts. */
static int revealed_order(const struct fl_case *c, uint32_t round, int *out)
{
    int k = 0;
    for (int i = 0; i < c->np; i++) {
        struct fl_entry e;
        if (entry_of(c->task, round, c->ps[i].pub, &e) && e.role == FL_ROLE_PROPOSER &&
            (e.flags & FL_ENTRY_REVEALED))
            out[k++] = i;
    }
    return k;
}

struct before {
    uint64_t balance[MAXP];
    uint64_t stake[MAXP];
    struct fl_status st;
    uint64_t pool;
    struct fl_flows flows;
};

static void snapshot(const struct fl_case *c, struct before *b)
{
    for (int i = 0; i < c->np; i++) {
        b->balance[i] = balance_of(chain, c->ps[i].pub);
        b->stake[i] = participant_of(c->task, c->ps[i].pub).stake;
    }
    b->st = status(c->task);
    b->pool = fl_pool_now();
    b->flows = flows_now();
}

/* A whole round: every proposer commits and reveals weights(round, i),
 * every participant of the round (proposers too) commits and reveals verdict
 * vote(i, revealed index) (none when `silent_voters`).  Stops after the
 * vote reveals, before the finalizing block. */
typedef int8_t (*vote_fn)(const struct fl_case *c, int voter, int update);
typedef void (*weights_fn)(const struct fl_case *c, uint32_t round, int who, int32_t w[NPARAMS]);

static int8_t vote_yes(const struct fl_case *c, int voter, int update)
{
    (void)c, (void)voter, (void)update;
    return 1;
}

static void weights_honest(const struct fl_case *c, uint32_t round, int who, int32_t w[NPARAMS])
{
    (void)c;
    honest_weights(w, round, who);
}

static void run_round(const struct fl_case *c, uint32_t round, weights_fn weights, vote_fn vote,
                      bool silent_voters)
{
    struct fl_windows win;
    int32_t w[NPARAMS];
    int rev[MAXP], nrev;
    windows_of(c->task, round, &win);
    advance_to(win.submit_start);
    for (int i = 0; i < c->np; i++)
        if (role_of(c->task, round, &c->ps[i]) == FL_ROLE_PROPOSER &&
            !(skip_update >> i & 1)) {
            weights(c, round, i, w);
            update_commit(&c->ps[i], c->task, round, w, NPARAMS, NULL);
        }
    produce_checked();
    advance_to(win.update_reveal_start);
    for (int i = 0; i < c->np; i++)
        if (role_of(c->task, round, &c->ps[i]) == FL_ROLE_PROPOSER &&
            !(skip_update >> i & 1)) {
            weights(c, round, i, w);
            update_reveal(&c->ps[i], c->task, round, w, NPARAMS, NULL);
        }
    produce_checked();
    advance_to(win.commit_start);
    nrev = revealed_order(c, round, rev);
    if (!silent_voters)
        for (int i = 0; i < c->np; i++)
            if (role_of(c->task, round, &c->ps[i]) != 0 && !(skip_vote >> i & 1)) {
                int8_t v[MAXP];
                for (int k = 0; k < nrev; k++)
                    v[k] = vote(c, i, k);
                vote_commit(&c->ps[i], c->task, round, v, (size_t)nrev, NULL);
            }
    produce_checked();
    advance_to(win.reveal_start);
    if (!silent_voters)
        for (int i = 0; i < c->np; i++)
            if (role_of(c->task, round, &c->ps[i]) != 0 && !(skip_vote >> i & 1)) {
                int8_t v[MAXP];
                for (int k = 0; k < nrev; k++)
                    v[k] = vote(c, i, k);
                vote_reveal(&c->ps[i], c->task, round, v, (size_t)nrev, NULL);
            }
    produce_checked();
    advance_to(win.reveal_end);
}

/* The slash of a stake: floor(stake x slash_bps / 10000). */
static uint64_t cut_of(const struct fl_case *c, uint64_t stake)
{
    return fl_bps(stake, c->tp.slash_bps);
}

/* The round reward of round r from what the task held before it. */
static uint64_t reward_of(const struct fl_case *c, const struct before *b, uint32_t r)
{
    return (b->st.budget_left + b->st.slashed_left) / (c->tp.rounds - r + 1);
}

/* What participant i's vote earned in finalized round r: floor(voter_part x
 * stake x agree / sum of stake x agree), from the entries. */
static uint64_t vote_pay_of(const struct fl_case *c, uint32_t r, int i)
{
    struct fl_round rd = round_of(c->task, r);
    unsigned __int128 W = 0;
    for (int k = 0; k < c->np; k++) {
        struct fl_entry e;
        if (entry_of(c->task, r, c->ps[k].pub, &e) && (e.vote_flags & FL_VOTE_REVEALED))
            W += (unsigned __int128)e.stake * e.agree;
    }
    struct fl_entry e = entry(c->task, r, c->ps[i].pub);
    if (W == 0 || !(e.vote_flags & FL_VOTE_REVEALED))
        return 0;
    return (uint64_t)((unsigned __int128)rd.voter_part * e.stake * e.agree / W);
}

/* ---- the rules of a round ---- */

static const uint64_t equal_stakes[MAXP] = {50 * COIN, 50 * COIN, 50 * COIN, 50 * COIN,
                                            50 * COIN, 50 * COIN, 50 * COIN, 50 * COIN};

/* The first two proposers (key order) reveal the same weights. */
static int copy_a, copy_b;
static void weights_copied(const struct fl_case *c, uint32_t round, int who, int32_t w[NPARAMS])
{
    honest_weights(w, round, who == copy_b ? copy_a : who);
    (void)c;
}

/* Two proposers revealing identical weights are both COPY: excluded although
 * every voter accepts them, unpaid and slashed; another proposer's update
 * is accepted and paid. */
START_TEST(copy_caught)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    start_case(&c, &tp, 4, equal_stakes, 8, 2);
    int props[MAXP], nprops = members(&c, 1, FL_ROLE_PROPOSER, props);
    copy_a = props[0];
    copy_b = props[1];
    run_round(&c, 1, weights_copied, vote_yes, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked(); /* finalized */
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.end_height, chain_height(chain));
    for (int k = 0; k < 2; k++) {
        int i = k ? copy_b : copy_a;
        struct fl_entry e = entry(c.task, 1, c.ps[i].pub);
        ck_assert_msg(e.flags & FL_ENTRY_COPY, "party %d flags %#x", i, e.flags);
        ck_assert(!(e.flags & FL_ENTRY_ACCEPTED));
        ck_assert(e.tally > 0); /* every voter said yes */
        /* nothing for its update, only what its own vote earned */
        ck_assert_uint_eq(e.reward, vote_pay_of(&c, 1, i));
        ck_assert_uint_eq(e.slash, cut_of(&c, b.stake[i]));
        ck_assert_uint_gt(e.slash, 0);
        ck_assert_uint_eq(participant_of(c.task, c.ps[i].pub).stake, b.stake[i] - e.slash);
        ck_assert_uint_eq(balance_of(chain, c.ps[i].pub), b.balance[i] + e.reward + e.matched);
    }
    ck_assert_uint_eq(rd.n_accepted, (unsigned)(nprops - 2));
    for (int k = 2; k < nprops; k++) {
        struct fl_entry e = entry(c.task, 1, c.ps[props[k]].pub);
        ck_assert(e.flags & FL_ENTRY_ACCEPTED);
        ck_assert_uint_gt(e.reward, 0);
        ck_assert_uint_eq(e.slash, 0);
    }
    ck_assert_uint_eq(rd.outcome, nprops > 2 ? FL_OUTCOME_ACCEPTED : FL_OUTCOME_REJECTED);
    /* The slashes went to slashed_left (this round paid nothing from it). */
    struct fl_status st = status(c.task);
    ck_assert_uint_ge(st.slashed, 2 * cut_of(&c, 50 * COIN));
    ck_assert_uint_eq(st.slashed, rd.slashed);
}
END_TEST

/* The first proposer's update is harmful; every voter rejects it. */
static int harmful_one;
static void weights_one_harmful(const struct fl_case *c, uint32_t round, int who,
                                int32_t w[NPARAMS])
{
    (void)c;
    honest_weights(w, round, who);
    if (who == harmful_one)
        for (int j = 0; j < NPARAMS; j++)
            w[j] = 30000 * 65536; /* poisoned */
}
static int8_t vote_against_harmful(const struct fl_case *c, int voter, int update)
{
    int rev[MAXP];
    (void)voter;
    revealed_order(c, 1, rev);
    return rev[update] == harmful_one ? -1 : 1;
}

/* One honest and one harmful update in a round: the honest one is accepted,
 * aggregated and paid by its slots and the harmful one slashed, where v1
 * judged only the aggregate and slashed both. */
START_TEST(per_update_slash_spares_the_honest_co_proposer)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    start_case(&c, &tp, 4, equal_stakes, 8, 2);
    int props[MAXP], nprops = members(&c, 1, FL_ROLE_PROPOSER, props);
    harmful_one = props[0];
    run_round(&c, 1, weights_one_harmful, vote_against_harmful, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert_uint_eq(rd.n_accepted, (unsigned)(nprops - 1));
    const uint64_t R = reward_of(&c, &b, 1);
    const uint64_t vp = fl_bps(R, tp.voter_reward_bps), pp = R - vp;
    ck_assert_uint_eq(rd.reward, R);
    ck_assert_uint_eq(rd.voter_part, vp);
    uint32_t slots = 0;
    __int128 num[NPARAMS] = {0};
    for (int k = 1; k < nprops; k++) {
        struct fl_entry e = entry(c.task, 1, c.ps[props[k]].pub);
        int32_t w[NPARAMS];
        honest_weights(w, 1, props[k]);
        for (int j = 0; j < NPARAMS; j++)
            num[j] += (__int128)e.slots * w[j];
        slots += e.slots;
    }
    ck_assert_uint_eq(rd.accepted_slots, slots);
    for (int k = 0; k < nprops; k++) {
        int i = props[k];
        struct fl_entry e = entry(c.task, 1, c.ps[i].pub);
        struct fl_participant p = participant_of(c.task, c.ps[i].pub);
        if (i == harmful_one) {
            ck_assert(e.flags & FL_ENTRY_HARMFUL);
            ck_assert(!(e.flags & FL_ENTRY_ACCEPTED));
            /* every other vote against it; its own verdict not counted */
            ck_assert_int_eq(e.tally, -(int64_t)(rd.voting_stake - e.stake));
            ck_assert_uint_eq(e.agree, (unsigned)(nprops - 1));
            ck_assert_uint_eq(e.reward, vote_pay_of(&c, 1, i));
            ck_assert_uint_eq(e.slash, cut_of(&c, b.stake[i]));
            ck_assert(p.contribution == 0);
            ck_assert_uint_eq(balance_of(chain, c.ps[i].pub), b.balance[i] + e.reward + e.matched);
        } else {
            uint64_t pay = (uint64_t)((unsigned __int128)pp * e.slots / slots);
            ck_assert(e.flags & FL_ENTRY_ACCEPTED);
            ck_assert(!(e.flags & FL_ENTRY_HARMFUL));
            ck_assert_uint_eq(e.slash, 0);
            /* its slots' share, and its vote on the others' updates */
            ck_assert_uint_eq(e.agree, (unsigned)(nprops - 1));
            ck_assert_uint_eq(e.reward, pay + vote_pay_of(&c, 1, i));
            ck_assert_uint_gt(pay, 0);
            ck_assert(p.contribution == e.slots); /* slot units */
            ck_assert_uint_eq(p.accepted, 1);
            ck_assert_uint_eq(balance_of(chain, c.ps[i].pub), b.balance[i] + e.reward + e.matched);
            ck_assert_uint_eq(p.stake, b.stake[i]);
        }
    }
    /* The model: the accepted updates averaged by slots. */
    uint8_t expect[4 * NPARAMS], hash[32];
    for (int j = 0; j < NPARAMS; j++)
        write_le32(expect + 4 * j, (uint32_t)(int32_t)fl_div_round(num[j], slots));
    fl_model_hash(hash, expect, NPARAMS);
    struct fl_status st = status(c.task);
    ck_assert_uint_eq(st.model_round, 1);
    ck_assert_mem_eq(st.model_hash, hash, 32);
    ck_assert_mem_eq(rd.model_hash, hash, 32);
    struct view *v = chain_view(chain);
    const uint8_t *model;
    size_t n;
    ck_assert(fl_get_weights(v, 'M', c.task, 1, &model, &n));
    ck_assert_uint_eq(n, NPARAMS);
    ck_assert_mem_eq(model, expect, sizeof(expect));
    /* The updates and verdicts are gone; the entries keep their counts. */
    const uint8_t *data;
    size_t len;
    for (int i = 0; i < c.np; i++) {
        ck_assert(!fl_get_revealed(v, 'U', c.task, 1, c.ps[i].pub, &data, &len));
        ck_assert(!fl_get_revealed(v, 'V', c.task, 1, c.ps[i].pub, &data, &len));
    }
    view_free(v);
}
END_TEST

static void weights_zero(const struct fl_case *c, uint32_t round, int who, int32_t w[NPARAMS])
{
    (void)c, (void)round, (void)who;
    memset(w, 0, NPARAMS * sizeof(w[0]));
}

/* An update equal to the global model (all zeros before any accepted round)
 * is NO_WORK: excluded and unpaid even when voted for, but not slashed; the
 * global model stays. */
START_TEST(an_update_equal_to_the_global_model_is_no_work)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.min_participants = 2;
    start_case(&c, &tp, 2, equal_stakes, 1, 1);
    int props[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 1);
    struct fl_status st0 = status(c.task);
    run_round(&c, 1, weights_zero, vote_yes, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_entry e = entry(c.task, 1, c.ps[props[0]].pub);
    ck_assert_msg(e.flags & FL_ENTRY_NO_WORK, "flags %#x", e.flags);
    ck_assert(!(e.flags & (FL_ENTRY_ACCEPTED | FL_ENTRY_COPY | FL_ENTRY_HARMFUL)));
    ck_assert(e.tally > 0);
    ck_assert_uint_eq(e.reward, 0);
    ck_assert_uint_eq(e.slash, 0);
    ck_assert_uint_eq(participant_of(c.task, c.ps[props[0]].pub).stake, b.stake[props[0]]);
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_REJECTED);
    ck_assert_uint_eq(rd.n_accepted, 0);
    struct fl_status st = status(c.task);
    ck_assert_uint_eq(st.model_round, 0);
    ck_assert_mem_eq(st.model_hash, st0.model_hash, 32);
}
END_TEST

/* A proposer that commits and never reveals is slashed; with no update
 * revealed the round is void and the voters are not slashed. */
START_TEST(a_commitment_never_revealed_is_slashed)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.min_participants = 2;
    start_case(&c, &tp, 2, equal_stakes, 1, 1);
    int props[MAXP], voters[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 1);
    ck_assert_int_eq(members(&c, 1, FL_ROLE_VOTER, voters), 1);
    struct fl_windows win;
    windows_of(c.task, 1, &win);
    int32_t w[NPARAMS];
    honest_weights(w, 1, 0);
    update_commit(&c.ps[props[0]], c.task, 1, w, NPARAMS, NULL);
    advance_to(win.reveal_end);
    struct before b;
    snapshot(&c, &b);
    ck_assert(entry(c.task, 1, c.ps[props[0]].pub).flags & FL_ENTRY_COMMITTED);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_VOID_NO_UPDATES);
    ck_assert_uint_eq(rd.n_update_commits, 1);
    struct fl_entry e = entry(c.task, 1, c.ps[props[0]].pub);
    ck_assert_uint_eq(e.slash, cut_of(&c, b.stake[props[0]]));
    ck_assert_uint_gt(e.slash, 0);
    ck_assert_uint_eq(entry(c.task, 1, c.ps[voters[0]].pub).slash, 0);
    ck_assert_uint_eq(rd.paid, 0);
    ck_assert_uint_eq(rd.reward, 0);
    ck_assert_uint_eq(status(c.task).slashed_left, e.slash);
}
END_TEST

/* Update and vote reveals that do not match their commitment are rejected,
 * and so is a vote reveal whose verdicts are not one per revealed update
 * (the voter who committed to it cannot reveal and is slashed). */
START_TEST(reveals_that_do_not_match_are_rejected)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.proposer_slots = 1;
    start_case(&c, &tp, 3, equal_stakes, 1, 1);
    int props[MAXP], voters[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 1);
    ck_assert_int_eq(members(&c, 1, FL_ROLE_VOTER, voters), 2);
    const struct party *P = &c.ps[props[0]], *A = &c.ps[voters[0]], *B = &c.ps[voters[1]];
    struct fl_windows win;
    windows_of(c.task, 1, &win);
    int32_t w[NPARAMS], other[NPARAMS];
    honest_weights(w, 1, 0);
    honest_weights(other, 1, 1);
    uint8_t salt[32], wrong_salt[32] = {0};
    salt_of(P, 1, 'u', salt);
    update_commit(A, c.task, 1, w, NPARAMS, "bad-fl-role");
    update_commit(P, c.task, 2, w, NPARAMS, "bad-fl-round");
    update_reveal(P, c.task, 1, w, NPARAMS, "bad-fl-window");
    update_commit(P, c.task, 1, w, NPARAMS, NULL);
    update_commit(P, c.task, 1, w, NPARAMS, "bad-fl-duplicate");
    produce_checked();
    advance_to(win.update_reveal_start);
    update_commit(P, c.task, 1, w, NPARAMS, "bad-fl-window");
    update_reveal(A, c.task, 1, w, NPARAMS, "bad-fl-role");
    update_reveal(P, c.task, 1, other, NPARAMS, "bad-fl-reveal-mismatch");
    update_reveal_salted(P, c.task, 1, w, NPARAMS, wrong_salt, "bad-fl-reveal-mismatch");
    update_reveal(P, c.task, 1, w, NPARAMS - 1, "bad-fl-size");
    update_reveal(P, c.task, 1, w, NPARAMS, NULL);
    update_reveal(P, c.task, 1, w, NPARAMS, "bad-fl-duplicate");
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 1).n_update_reveals, 1);
    advance_to(win.commit_start);
    const int8_t yes[2] = {1, 1}, no[1] = {-1};
    vote_commit(&c.creator, c.task, 1, yes, 1, "bad-fl-role"); /* not in the round */
    vote_commit(A, c.task, 1, yes, 2, NULL); /* two verdicts for one update */
    vote_commit(B, c.task, 1, yes, 1, NULL);
    produce_checked();
    advance_to(win.reveal_start);
    vote_reveal(A, c.task, 1, yes, 2, "bad-fl-vote");
    vote_reveal(A, c.task, 1, yes, 0, "bad-fl-vote");
    vote_reveal(B, c.task, 1, no, 1, "bad-fl-reveal-mismatch");
    vote_reveal_salted(B, c.task, 1, yes, 1, wrong_salt, "bad-fl-reveal-mismatch");
    vote_reveal(P, c.task, 1, yes, 1, "bad-fl-no-commit"); /* a proposer votes too */
    vote_reveal(B, c.task, 1, yes, 1, NULL);
    vote_reveal(B, c.task, 1, yes, 1, "bad-fl-duplicate");
    produce_checked();
    advance_to(win.reveal_end);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert_uint_eq(rd.n_vote_reveals, 1);
    ck_assert_uint_eq(rd.voting_stake, b.stake[voters[1]]);
    ck_assert_uint_eq(entry(c.task, 1, A->pub).slash, cut_of(&c, b.stake[voters[0]]));
    ck_assert_uint_eq(entry(c.task, 1, B->pub).slash, 0);
    ck_assert_uint_eq(entry(c.task, 1, B->pub).agree, 1);
}
END_TEST

/* Voter 2 (key order) rejects everything, the others accept everything. */
static int8_t vote_by_rank(const struct fl_case *c, int voter, int update)
{
    int voters[MAXP], n = members(c, 1, FL_ROLE_VOTER, voters);
    (void)update;
    for (int k = 0; k < n; k++)
        if (voters[k] == voter)
            return k == 2 ? -1 : 1;
    return 1;
}

/* Votes are paid by stake x agreement with the outcomes of the updates not
 * the voter's own: the voter whose every verdict went against the outcome
 * gets nothing (and is not slashed), the others who agreed on every update
 * share the voter part, the proposers counting every update but their own
 * (and paid their slots' share besides). */
START_TEST(voters_are_paid_by_agreement)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.proposer_slots = 2; /* 5 parties: at least 3 voters */
    start_case(&c, &tp, 5, equal_stakes, 1, 1);
    int voters[MAXP], nv = members(&c, 1, FL_ROLE_VOTER, voters);
    ck_assert_int_ge(nv, 3);
    run_round(&c, 1, weights_honest, vote_by_rank, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    int rev[MAXP], nrev = revealed_order(&c, 1, rev);
    (void)rev;
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert_uint_eq(rd.n_accepted, (unsigned)nrev);
    const uint64_t R = reward_of(&c, &b, 1), vp = fl_bps(R, tp.voter_reward_bps);
    const uint64_t pp = R - vp;
    int props[MAXP], np = members(&c, 1, FL_ROLE_PROPOSER, props);
    unsigned __int128 W = 0;
    for (int k = 0; k < nv; k++)
        W += (unsigned __int128)b.stake[voters[k]] * (k == 2 ? 0 : (unsigned)nrev);
    for (int k = 0; k < np; k++)
        W += (unsigned __int128)b.stake[props[k]] * (unsigned)(nrev - 1);
    for (int k = 0; k < np; k++) {
        int i = props[k];
        struct fl_entry e = entry(c.task, 1, c.ps[i].pub);
        uint64_t vote = (uint64_t)((unsigned __int128)vp * b.stake[i] * (unsigned)(nrev - 1) / W);
        uint64_t slots = (uint64_t)((unsigned __int128)pp * e.slots / rd.accepted_slots);
        ck_assert_uint_eq(e.agree, (unsigned)(nrev - 1));
        ck_assert_uint_eq(e.verdicts, (unsigned)nrev);
        ck_assert_uint_eq(e.reward, slots + vote);
        ck_assert_uint_eq(e.slash, 0);
    }
    for (int k = 0; k < nv; k++) {
        int i = voters[k];
        struct fl_entry e = entry(c.task, 1, c.ps[i].pub);
        uint16_t agree = k == 2 ? 0 : (uint16_t)nrev;
        uint64_t pay = (uint64_t)((unsigned __int128)vp * b.stake[i] * agree / W);
        ck_assert_uint_eq(e.agree, agree);
        ck_assert_uint_eq(e.verdicts, (unsigned)nrev);
        ck_assert_uint_eq(e.reward, pay);
        ck_assert_uint_eq(e.slash, 0);
        ck_assert_uint_eq(balance_of(chain, c.ps[i].pub), b.balance[i] + pay + e.matched);
        if (k == 2)
            ck_assert_uint_eq(e.reward, 0);
        else
            ck_assert_uint_gt(e.reward, 0);
    }
}
END_TEST

/* Updates revealed, no vote revealed: VOID_NO_VOTES, nothing paid, the
 * voters slashed and so the proposers when another update than their own was
 * revealed, the model unchanged. */
START_TEST(a_round_without_vote_reveals_is_void)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    start_case(&c, &tp, 3, equal_stakes, 1, 1);
    run_round(&c, 1, weights_honest, vote_yes, true);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_VOID_NO_VOTES);
    ck_assert_uint_eq(rd.reward, 0);
    ck_assert_uint_eq(rd.paid, 0);
    ck_assert_uint_eq(rd.matched, 0);
    for (int i = 0; i < c.np; i++) {
        struct fl_entry e = entry(c.task, 1, c.ps[i].pub);
        ck_assert_uint_eq(e.reward, 0);
        ck_assert(!(e.flags & FL_ENTRY_ACCEPTED));
        /* nobody voted: every voter slashed, and every proposer that had
         * another's update to judge */
        bool due = e.role == FL_ROLE_VOTER || rd.n_update_reveals > 1;
        ck_assert_uint_eq(e.slash, due ? cut_of(&c, b.stake[i]) : 0);
    }
    ck_assert_uint_eq(status(c.task).model_round, 0);
    ck_assert_uint_eq(status(c.task).budget_left, b.st.budget_left);
}
END_TEST

/* ---- every participant votes ---- */

/* The Sybil split of the vote: two honest addresses of 10s and an attacker
 * whose 10s are split over ten addresses of s.  Every participant votes, so
 * on an honest update the attacker holds exactly its share of the others'
 * stake (10s of 20s), whichever addresses were drawn; honest votes for it
 * and the attacker's against it cancel and nobody is slashed.  With the
 * voters limited to the participants drawn no slot, both honest addresses
 * drawn left the attacker's undrawn addresses as the only voters: each
 * honest update HARMFUL and slashed. */
#define SYBIL_S (10 * COIN)
static bool both_honest_propose(const struct fl_case *c, const uint8_t task[32])
{
    return role_of(task, 1, &c->ps[0]) == FL_ROLE_PROPOSER &&
           role_of(task, 1, &c->ps[1]) == FL_ROLE_PROPOSER;
}
static int8_t vote_by_side(const struct fl_case *c, int voter, int update)
{
    int rev[MAXP];
    revealed_order(c, 1, rev);
    bool honest_voter = voter < 2, honest_update = rev[update] < 2;
    return honest_voter == honest_update ? 1 : -1;
}
START_TEST(sybil_split_does_not_take_the_vote)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    uint64_t stakes[MAXP];
    tp.max_participants = 12;
    tp.min_stake = SYBIL_S;
    tp.proposer_slots = 8;
    stakes[0] = stakes[1] = 10 * SYBIL_S;
    for (int i = 2; i < 12; i++)
        stakes[i] = SYBIL_S;
    draw_filter = both_honest_propose;
    start_case(&c, &tp, 12, stakes, 4, 2);
    run_round(&c, 1, weights_honest, vote_by_side, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.n_vote_reveals, 12);
    ck_assert_uint_eq(rd.voting_stake, 30 * SYBIL_S);
    for (int i = 0; i < 2; i++) {
        struct fl_entry e = entry(c.task, 1, c.ps[i].pub);
        /* V_i: every revealed vote but i's own */
        uint64_t V = 0, attacker = 0;
        for (int k = 0; k < 12; k++) {
            struct fl_entry o = entry(c.task, 1, c.ps[k].pub);
            if (k == i || !(o.vote_flags & FL_VOTE_REVEALED))
                continue;
            V += o.stake;
            attacker += k >= 2 ? o.stake : 0;
        }
        ck_assert_uint_eq(V, 20 * SYBIL_S);
        ck_assert_uint_eq(attacker, 10 * SYBIL_S);
        /* its share of V_i is its stake's share of the non-proposer stake */
        ck_assert(attacker * (30 * SYBIL_S - b.stake[i]) == 10 * SYBIL_S * V);
        printf("sybil vote: the attacker split over ten addresses holds %.3f of the stake "
               "voting on honest update %d (its share of the stake but the proposer's: %.3f)\n",
               (double)attacker / (double)V, i,
               (double)(10 * SYBIL_S) / (double)(30 * SYBIL_S - b.stake[i]));
        ck_assert_int_eq(e.tally, 0); /* 10s for, 10s against */
        ck_assert(!(e.flags & (FL_ENTRY_HARMFUL | FL_ENTRY_ACCEPTED)));
        ck_assert_uint_eq(e.slash, 0);
        ck_assert_uint_eq(participant_of(c.task, c.ps[i].pub).stake, b.stake[i]);
    }
    /* The attacker's own updates: 9s for (its own verdict left out), 20s against. */
    for (int i = 2; i < 12; i++) {
        struct fl_entry e = entry(c.task, 1, c.ps[i].pub);
        if (e.role == FL_ROLE_PROPOSER && (e.flags & FL_ENTRY_REVEALED)) {
            ck_assert_int_eq(e.tally, -11 * (int64_t)SYBIL_S);
            ck_assert(!(e.flags & FL_ENTRY_ACCEPTED));
        }
    }
}
END_TEST

/* Three equal stakes, two proposers and one participant drawn no slot: the
 * lone non-proposer votes against both updates and the proposers for each
 * other's.  Each update's tally is 0 over the two other stakes: neither
 * accepted nor HARMFUL, nobody slashed; with only the non-proposer voting it
 * alone made both HARMFUL. */
static int8_t vote_lone_against(const struct fl_case *c, int voter, int update)
{
    (void)update;
    return role_of(c->task, 1, &c->ps[voter]) == FL_ROLE_VOTER ? -1 : 1;
}
START_TEST(a_lone_voter_cannot_force_slashes)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.proposer_slots = 2;
    start_case(&c, &tp, 3, equal_stakes, 8, 2);
    int props[MAXP], voters[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 2);
    ck_assert_int_eq(members(&c, 1, FL_ROLE_VOTER, voters), 1);
    run_round(&c, 1, weights_honest, vote_lone_against, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_REJECTED);
    ck_assert_uint_eq(rd.slashed, 0);
    for (int k = 0; k < 2; k++) {
        struct fl_entry e = entry(c.task, 1, c.ps[props[k]].pub);
        ck_assert_int_eq(e.tally, 0);
        ck_assert(!(e.flags & (FL_ENTRY_HARMFUL | FL_ENTRY_ACCEPTED)));
        ck_assert_uint_eq(e.slash, 0);
    }
    /* The lone voter agreed with both outcomes (excluded): paid the voter part
     * with the proposers, who agreed with none. */
    struct fl_entry v = entry(c.task, 1, c.ps[voters[0]].pub);
    ck_assert_uint_eq(v.agree, 2);
    ck_assert_uint_eq(v.reward, rd.voter_part);
}
END_TEST

/* A proposer's verdict on its own update must be -1 or +1 and is not
 * counted: voting against itself it still is accepted on the other's vote,
 * its tally the other stake alone, its agreement 0.  In the next round the
 * proposer does not vote at all: its own update being the only one
 * revealed, it had nothing to judge and is not slashed. */
static int own_round;
static int8_t vote_self_against(const struct fl_case *c, int voter, int update)
{
    int rev[MAXP];
    revealed_order(c, (uint32_t)own_round, rev);
    return rev[update] == voter ? -1 : 1;
}
START_TEST(a_proposer_own_verdict_is_ignored)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.min_participants = 2;
    tp.proposer_slots = 1;
    start_case(&c, &tp, 2, equal_stakes, 1, 1);
    int props[MAXP], voters[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 1);
    ck_assert_int_eq(members(&c, 1, FL_ROLE_VOTER, voters), 1);
    own_round = 1;
    run_round(&c, 1, weights_honest, vote_self_against, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    struct fl_entry e = entry(c.task, 1, c.ps[props[0]].pub);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert_uint_eq(rd.voting_stake, b.stake[0] + b.stake[1]);
    ck_assert(e.flags & FL_ENTRY_ACCEPTED);
    ck_assert_int_eq(e.tally, (int64_t)b.stake[voters[0]]);
    ck_assert(e.vote_flags & FL_VOTE_REVEALED);
    ck_assert_uint_eq(e.verdicts, 1);
    ck_assert_uint_eq(e.agree, 0);
    ck_assert_uint_eq(e.slash, 0);
    ck_assert_uint_eq(e.reward, rd.reward - rd.voter_part); /* its slot, no vote pay */
    ck_assert_uint_eq(entry(c.task, 1, c.ps[voters[0]].pub).reward, rd.voter_part);

    /* Round 2: the proposer casts no vote. */
    members(&c, 2, FL_ROLE_PROPOSER, props);
    members(&c, 2, FL_ROLE_VOTER, voters);
    skip_vote = 1u << props[0];
    own_round = 2;
    run_round(&c, 2, weights_honest, vote_self_against, false);
    snapshot(&c, &b);
    produce_checked();
    rd = round_of(c.task, 2);
    e = entry(c.task, 2, c.ps[props[0]].pub);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert(!(e.vote_flags & FL_VOTE_REVEALED));
    ck_assert_uint_eq(e.slash, 0);
    ck_assert_uint_eq(participant_of(c.task, c.ps[props[0]].pub).stake, b.stake[props[0]]);
}
END_TEST

/* Three proposers: X reveals its update and casts no vote, Y neither
 * commits an update nor votes, Z does both.  X had Z's update to judge: it
 * is slashed, its own update still accepted and paid by its slots.  Y is
 * slashed once for its two failures. */
START_TEST(a_proposer_that_does_not_vote_is_slashed)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    start_case(&c, &tp, 4, equal_stakes, 8, 3);
    int props[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 3);
    const int X = props[0], Y = props[1], Z = props[2];
    skip_vote = 1u << X | 1u << Y;
    skip_update = 1u << Y;
    run_round(&c, 1, weights_honest, vote_yes, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert_uint_eq(rd.n_update_reveals, 2);
    struct fl_entry ex = entry(c.task, 1, c.ps[X].pub), ey = entry(c.task, 1, c.ps[Y].pub),
                    ez = entry(c.task, 1, c.ps[Z].pub);
    ck_assert(ex.flags & FL_ENTRY_ACCEPTED);
    ck_assert(!(ex.vote_flags & FL_VOTE_COMMITTED));
    ck_assert_uint_eq(ex.slash, cut_of(&c, b.stake[X]));
    const uint64_t pp = rd.reward - rd.voter_part;
    ck_assert_uint_eq(ex.reward, (uint64_t)((unsigned __int128)pp * ex.slots / rd.accepted_slots));
    ck_assert_uint_eq(ey.slash, cut_of(&c, b.stake[Y]));
    ck_assert_uint_eq(participant_of(c.task, c.ps[Y].pub).stake, b.stake[Y] - ey.slash);
    ck_assert_uint_eq(ez.slash, 0);
    ck_assert_uint_eq(rd.slashed, ex.slash + ey.slash);
}
END_TEST

/* The update and vote reveals take the builder's reveal half: transfers
 * paying a hundred times their fee rate, more than a block holds, do not
 * push them out of a block (the reveals' window is sized for half of each
 * block). */
START_TEST(reveals_are_not_crowded_out_of_their_window)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.proposer_slots = 1;
    start_case(&c, &tp, 3, equal_stakes, 1, 1);
    int props[MAXP], voters[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 1);
    ck_assert_int_eq(members(&c, 1, FL_ROLE_VOTER, voters), 2);
    struct fl_windows win;
    windows_of(c.task, 1, &win);
    int32_t w[NPARAMS];
    honest_weights(w, 1, props[0]);
    update_commit(&c.ps[props[0]], c.task, 1, w, NPARAMS, NULL);
    advance_to(win.update_reveal_start);
    const uint32_t saved = params.max_block_txs;
    params.max_block_txs = 4; /* two units of reveals in the first pass */
    for (int i = 0; i < 6; i++)
        ck_assert(fixture_transfer(pool, i % 4, (i + 1) % 4, COIN, 100 * FEE, NULL));
    update_reveal(&c.ps[props[0]], c.task, 1, w, NPARAMS, NULL);
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 1).n_update_reveals, 1);
    params.max_block_txs = saved;
    produce_checked(); /* the transfers left */
    advance_to(win.commit_start);
    const int8_t yes[1] = {1};
    for (int k = 0; k < 2; k++)
        vote_commit(&c.ps[voters[k]], c.task, 1, yes, 1, NULL);
    advance_to(win.reveal_start);
    params.max_block_txs = 4;
    for (int i = 0; i < 6; i++)
        ck_assert(fixture_transfer(pool, i % 4, (i + 1) % 4, COIN, 100 * FEE, NULL));
    vote_reveal(&c.ps[voters[0]], c.task, 1, yes, 1, NULL);
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 1).n_vote_reveals, 1);
    params.max_block_txs = saved;
}
END_TEST

/* Transfers paying a hundred times the reveals' fee rate, three times the
 * builder's 2 x max_block_txs candidates: the reveal must still reach the
 * builder's reveal half (it is not among the best candidates by fee rate,
 * so it cannot be the candidate walk by fee that finds it), or a sender
 * buying one block of transfers per block keeps every reveal of a task out
 * of its window and gets its proposers and voters slashed. */
START_TEST(reveals_survive_more_transfers_than_the_candidates_hold)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.proposer_slots = 1;
    start_case(&c, &tp, 3, equal_stakes, 1, 1);
    int props[MAXP], voters[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 1);
    ck_assert_int_eq(members(&c, 1, FL_ROLE_VOTER, voters), 2);
    struct fl_windows win;
    windows_of(c.task, 1, &win);
    int32_t w[NPARAMS];
    honest_weights(w, 1, props[0]);
    update_commit(&c.ps[props[0]], c.task, 1, w, NPARAMS, NULL);
    advance_to(win.update_reveal_start);
    const uint32_t saved = params.max_block_txs;
    params.max_block_txs = 4; /* candidates: the best 8 */
    for (int i = 0; i < 24; i++)
        ck_assert(fixture_transfer(pool, i % 4, (i + 1) % 4, COIN, 100 * FEE, NULL));
    update_reveal(&c.ps[props[0]], c.task, 1, w, NPARAMS, NULL);
    size_t n, reveals = 0;
    const struct mempool_entry **sel = mempool_select(pool, &n);
    for (size_t i = 0; i < n; i++)
        reveals += sel[i]->tx.type == TX_FL_UPDATE_REVEAL;
    free(sel);
    ck_assert_msg(reveals == 1, "%zu reveals among %zu candidates", reveals, n);
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 1).n_update_reveals, 1);
    params.max_block_txs = saved;
    produce_checked(); /* the transfers left */
    advance_to(win.commit_start);
    const int8_t yes[1] = {1};
    for (int k = 0; k < 2; k++)
        vote_commit(&c.ps[voters[k]], c.task, 1, yes, 1, NULL);
    advance_to(win.reveal_start);
    params.max_block_txs = 4;
    for (int i = 0; i < 24; i++)
        ck_assert(fixture_transfer(pool, i % 4, (i + 1) % 4, COIN, 100 * FEE, NULL));
    vote_reveal(&c.ps[voters[0]], c.task, 1, yes, 1, NULL); /* the half: 2 units */
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 1).n_vote_reveals, 1);
    params.max_block_txs = saved;
    produce_checked();
    ck_assert_uint_eq(mempool_count(pool), 0);
}
END_TEST

/* A full pool evicts the lowest fee rates first; a reveal must land in its
 * window, so transfers paying more (most of them never mined, so nearly
 * free to their sender) must not evict it, nor the fee rate their
 * evictions raise keep a reveal out of the pool until the next block: the
 * proposer or voter would miss the window and be slashed. */
START_TEST(a_full_pool_keeps_the_reveals)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.proposer_slots = 1;
    start_case(&c, &tp, 3, equal_stakes, 1, 1);
    int props[MAXP], voters[MAXP];
    ck_assert_int_eq(members(&c, 1, FL_ROLE_PROPOSER, props), 1);
    ck_assert_int_eq(members(&c, 1, FL_ROLE_VOTER, voters), 2);
    struct fl_windows win;
    windows_of(c.task, 1, &win);
    int32_t w[NPARAMS];
    honest_weights(w, 1, props[0]);
    update_commit(&c.ps[props[0]], c.task, 1, w, NPARAMS, NULL);
    advance_to(win.update_reveal_start);
    ck_assert_uint_eq(mempool_count(pool), 0);
    mempool_free(pool);
    pool = mempool_new(chain, 40000, MEMPOOL_DEFAULT_MIN_FEE_RATE); /* a small pool */
    update_reveal(&c.ps[props[0]], c.task, 1, w, NPARAMS, NULL);
    int sent = 0;
    for (int i = 0; i < 4 * MEMPOOL_MAX_RUN; i++)
        sent += fixture_transfer(pool, i % 4, (i + 1) % 4, COIN, 100 * FEE, NULL);
    ck_assert_msg((size_t)sent > mempool_count(pool), "%d transfers, %zu pooled: none evicted",
                  sent, mempool_count(pool));
    ck_assert_uint_eq(round_of(c.task, 1).n_update_reveals, 0);
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 1).n_update_reveals, 1);
    while (mempool_count(pool))
        produce_checked();
    advance_to(win.commit_start);
    const int8_t yes[1] = {1};
    for (int k = 0; k < 2; k++)
        vote_commit(&c.ps[voters[k]], c.task, 1, yes, 1, NULL);
    advance_to(win.reveal_start);
    ck_assert_uint_eq(mempool_count(pool), 0);
    for (int i = 0; i < 4 * MEMPOOL_MAX_RUN; i++)
        fixture_transfer(pool, i % 4, (i + 1) % 4, COIN, 100 * FEE, NULL);
    ck_assert_uint_gt(mempool_required_fee_rate(pool), MEMPOOL_DEFAULT_MIN_FEE_RATE);
    vote_reveal(&c.ps[voters[0]], c.task, 1, yes, 1, NULL);
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 1).n_vote_reveals, 1);
}
END_TEST

/* ---- the FL pool ---- */

/* The parties' and the creator's balances together. */
static uint64_t owner_total(const struct fl_case *c)
{
    uint64_t t = balance_of(chain, c->creator.pub);
    for (int i = 0; i < c->np; i++)
        t += balance_of(chain, c->ps[i].pub);
    return t;
}

/* Fees the owner paid: one per transaction, nonces count them. */
static uint64_t owner_fees(const struct fl_case *c)
{
    uint64_t n = nonce_of(chain, c->creator.pub);
    for (int i = 0; i < c->np; i++)
        n += nonce_of(chain, c->ps[i].pub);
    return n * FEE;
}

/* Each accepted round is matched from gpool/fl in proportion to its
 * payouts from budget_left (floor(X_b x fl_match_bps / 10000), at most the
 * pool), the flows count it and the supply audit balances; and a creator
 * who is every participant of its task, honest in every round, still loses
 * burn - matched >= (fl_burn_bps - fl_match_bps) x budget (less rounding):
 * running a task for itself to collect the match never pays. */
START_TEST(pool_match_and_self_dealing_loss)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.rounds = 3;
    const int np = 3;
    const uint64_t funded = tp.budget + 100 * COIN + (uint64_t)np * 1000 * COIN;
    start_case(&c, &tp, np, equal_stakes, 1, 1);
    /* Round 1, checked in full: every payout matched. */
    run_round(&c, 1, weights_honest, vote_yes, false);
    struct before b;
    snapshot(&c, &b);
    produce_checked();
    struct fl_round rd = round_of(c.task, 1);
    struct fl_flows f = flows_now();
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert_uint_eq(b.st.slashed_left, 0);
    const uint64_t X = rd.paid, Xb = X; /* nothing slashed before: all from budget_left */
    const uint64_t at_finalization = fl_pool_now() + (f.matched - b.flows.matched) +
                                     (f.burned - b.flows.burned);
    const uint64_t M = fl_match(at_finalization, Xb, params.fl_match_bps);
    ck_assert_uint_gt(M, 0);
    uint64_t matched = 0;
    for (int i = 0; i < c.np; i++) {
        struct fl_entry e = entry(c.task, 1, c.ps[i].pub);
        uint64_t m = (uint64_t)((unsigned __int128)M * e.reward / X);
        ck_assert_uint_eq(e.matched, m);
        ck_assert_uint_eq(participant_of(c.task, c.ps[i].pub).matched, m);
        ck_assert_uint_eq(balance_of(chain, c.ps[i].pub), b.balance[i] + e.reward + m);
        matched += m;
    }
    ck_assert_uint_gt(matched, 0);
    ck_assert_uint_eq(rd.matched, matched);
    ck_assert_uint_eq(f.matched - b.flows.matched, matched);
    ck_assert_uint_le(M - matched, (uint64_t)c.np);
    ck_assert_uint_eq(status(c.task).matched, matched);
    ck_assert_uint_eq(status(c.task).budget_left, b.st.budget_left - X);
    struct supply_audit a;
    ck_assert(supply_audit(chain, &a));
    ck_assert_uint_eq(a.fl_matched, f.matched);
    ck_assert_uint_eq(a.fl_pool, fl_pool_now());

    /* The remaining rounds, then the end: the owner's loss. */
    for (uint32_t r = 2; r <= tp.rounds; r++) {
        run_round(&c, r, weights_honest, vote_yes, false);
        produce_checked();
        ck_assert_uint_eq(round_of(c.task, r).outcome, FL_OUTCOME_ACCEPTED);
    }
    struct fl_status st = status(c.task);
    ck_assert_uint_eq(st.state, FL_TASK_COMPLETED);
    ck_assert_uint_eq(st.slashed, 0);
    ck_assert_uint_eq(st.paid + st.returned, tp.budget - st.burn);
    const uint64_t loss = funded - owner_total(&c) - owner_fees(&c);
    ck_assert_uint_eq(loss, st.burn - st.matched);
    const uint64_t bound = fl_bps(tp.budget, params.fl_burn_bps) -
                           fl_bps(tp.budget, params.fl_match_bps);
    ck_assert_msg(loss >= bound, "loss %llu below (burn - match) x budget = %llu",
                  (unsigned long long)loss, (unsigned long long)bound);
    printf("self-dealing: budget %llu, burned %llu, matched %llu, loss %llu (%.2f%% of the "
           "budget; bound (%u - %u) bps = %llu)\n",
           (unsigned long long)tp.budget, (unsigned long long)st.burn,
           (unsigned long long)st.matched, (unsigned long long)loss,
           100.0 * (double)loss / (double)tp.budget, params.fl_burn_bps, params.fl_match_bps,
           (unsigned long long)bound);
}
END_TEST

/* gpool/fl above fl_pool_cap_blocks x the FL part of the height's emission
 * is burned at the end of the block: the supply goes down by it, gstats
 * burned and the pool's burned flow up. */
START_TEST(the_fl_pool_cap_burns_the_excess)
{
    for (int i = 0; i < 5; i++)
        produce_checked();
    const uint32_t saved = params.fl_pool_cap_blocks;
    const uint64_t before = fl_pool_now();
    struct supply_audit a0, a1;
    ck_assert(supply_audit(chain, &a0));
    params.fl_pool_cap_blocks = 2;
    const uint64_t h = chain_height(chain) + 1;
    const uint64_t cap = fl_pool_cap(2, emission_at(&params, h, 0), params.split_fl_bps);
    ck_assert_uint_gt(before, cap);
    produce_checked();
    /* Disconnecting the block gives the pool its excess back; connecting it
     * again burns it again, to the same state root. */
    uint8_t root_after[32], root[32], hash[32];
    struct validation val;
    chain_state_root(chain, root_after);
    memcpy(hash, chain_tip(chain)->hash, 32);
    ck_assert(chain_invalidate(chain, hash, &val));
    ck_assert_uint_eq(fl_pool_now(), before);
    check_supply(chain);
    ck_assert(chain_reconsider(chain, hash, &val));
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, root_after, 32);
    params.fl_pool_cap_blocks = saved;
    ck_assert(supply_audit(chain, &a1));
    ck_assert_uint_eq(fl_pool_now(), cap);
    const uint64_t burned = a1.fl_burned - a0.fl_burned;
    ck_assert_uint_gt(burned, 0);
    ck_assert_uint_eq(a1.burned - a0.burned, burned);
    ck_assert_uint_ge(burned, before - cap);
    /* The next block under the usual cap burns nothing. */
    produce_checked();
    ck_assert(supply_audit(chain, &a0));
    ck_assert_uint_eq(a0.fl_burned, a1.fl_burned);
}
END_TEST

/* ---- reorganization ---- */

#define MAXH 256
static uint8_t roots[MAXH][32];

static void record_root(void)
{
    uint64_t h = chain_height(chain);
    ck_assert_uint_lt(h, MAXH);
    chain_state_root(chain, roots[h]);
}

/* A task through every transition (creation with its burn, joins, the
 * start and slot draw, update commits and reveals, vote commits and reveals,
 * an accepted finalization with its model, rewards and match, a void round
 * with slashes, the end with the returns), then every block disconnected
 * one by one back to before the task, each height's state root restored,
 * and the blocks connected again to the same tip and root. */
START_TEST(reorganization_across_every_transition)
{
    struct fl_case c;
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.rounds = 2;
    new_party(&c.creator, 10 * COIN); /* only to have a block before the task */
    produce_checked();
    const uint64_t base = chain_height(chain);
    record_root();
    start_case(&c, &tp, 3, equal_stakes, 1, 1);
    for (uint64_t h = base + 1; h <= chain_height(chain); h++) {
        /* start_case's blocks: their roots from the headers (checked below
         * against the recomputed state). */
        ck_assert_uint_lt(h, MAXH);
        memcpy(roots[h], chain_at(chain, h)->hdr.state_root, 32);
    }
    run_round(&c, 1, weights_honest, vote_yes, false);
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 1).outcome, FL_OUTCOME_ACCEPTED);
    ck_assert_uint_gt(round_of(c.task, 1).matched, 0);
    run_round(&c, 2, weights_honest, vote_yes, true);
    produce_checked();
    ck_assert_uint_eq(round_of(c.task, 2).outcome, FL_OUTCOME_VOID_NO_VOTES);
    ck_assert_uint_gt(round_of(c.task, 2).slashed, 0);
    ck_assert_uint_eq(status(c.task).state, FL_TASK_COMPLETED);
    produce_checked();
    const uint64_t top = chain_height(chain);
    for (uint64_t h = base + 1; h <= top; h++)
        memcpy(roots[h], chain_at(chain, h)->hdr.state_root, 32);
    uint8_t top_root[32], first_hash[32], root[32];
    chain_state_root(chain, top_root);
    ck_assert_mem_eq(top_root, roots[top], 32);
    memcpy(first_hash, chain_at(chain, base + 1)->hash, 32);
    invalidate_to(chain, base, roots);
    ck_assert(!status_of(c.task, &(struct fl_status){0}));
    struct validation v;
    ck_assert(chain_reconsider(chain, first_hash, &v));
    ck_assert_uint_eq(chain_height(chain), top);
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, top_root, 32);
    check_supply(chain);
    check_task_conservation(c.task);
    ck_assert_uint_eq(status(c.task).state, FL_TASK_COMPLETED);
}
END_TEST

/* ---- cancellation, allow-list, limits, removal ---- */

static int cmp_key(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

START_TEST(too_few_join_cancels)
{
    struct party creator, a, b;
    uint8_t task[32];
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    new_party(&creator, 2000 * COIN);
    new_party(&a, 100 * COIN);
    new_party(&b, 100 * COIN);
    produce_checked();
    uint64_t c0 = balance_of(chain, creator.pub);
    create_task(&creator, &tp, NULL, task);
    track(task);
    produce_checked();
    /* The budget left the creator; the burn left the supply. */
    struct fl_status st = status(task);
    ck_assert_uint_eq(balance_of(chain, creator.pub), c0 - tp.budget - FEE);
    ck_assert_uint_eq(st.burn, tp.budget / 10);
    ck_assert_uint_eq(st.budget_left, tp.budget - st.burn);
    uint64_t h0 = chain_height(chain);
    join(&a, task, 30 * COIN, NULL);
    join(&b, task, 15 * COIN, NULL);
    produce_checked();
    uint64_t ca = balance_of(chain, creator.pub), ba = balance_of(chain, a.pub),
             bb = balance_of(chain, b.pub);
    advance_to(h0 + tp.join_blocks + 1);
    st = status(task);
    ck_assert_uint_eq(st.state, FL_TASK_CANCELLED);
    ck_assert_uint_eq(st.end_height, h0 + tp.join_blocks);
    ck_assert_uint_eq(balance_of(chain, creator.pub), ca + tp.budget - st.burn);
    ck_assert_uint_eq(balance_of(chain, a.pub), ba + 30 * COIN);
    ck_assert_uint_eq(balance_of(chain, b.pub), bb + 15 * COIN);
    ck_assert_uint_eq(participant_of(task, a.pub).status, FL_PART_EXITED);
    ck_assert_uint_eq(st.returned, tp.budget - st.burn);
    ck_assert_uint_eq(st.budget_left, 0);
    join(&a, task, 30 * COIN, "bad-fl-window");
}
END_TEST

START_TEST(allow_list_limit_and_round_without_updates)
{
    struct party creator, p[4];
    uint8_t task[32];
    new_party(&creator, 2000 * COIN);
    for (int i = 0; i < 4; i++)
        new_party(&p[i], 100 * COIN);
    produce_checked();
    uint8_t allow[3][32];
    for (int i = 0; i < 3; i++)
        memcpy(allow[i], p[i].pub, 32);
    qsort(allow, 3, 32, cmp_key);
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.min_participants = 2;
    tp.max_participants = 2;
    tp.rounds = 1;
    tp.n_allow = 3;
    tp.allow = allow[0];
    create_task(&creator, &tp, NULL, task);
    track(task);
    produce_checked();
    const uint64_t h0 = chain_height(chain);
    join(&p[3], task, 20 * COIN, "bad-fl-not-allowed");
    join(&p[0], task, 20 * COIN, NULL);
    join(&p[1], task, 25 * COIN, NULL);
    produce_checked();
    join(&p[2], task, 20 * COIN, "bad-fl-full");
    join(&p[3], task, 20 * COIN, "bad-fl-not-allowed"); /* checked before the seats */
    uint64_t creator_bal = balance_of(chain, creator.pub);
    advance_to(h0 + tp.join_blocks + 1);
    struct fl_status st = status(task);
    ck_assert_uint_eq(st.state, FL_TASK_RUNNING);
    struct fl_round rd = round_of(task, 1);
    ck_assert_uint_eq(rd.n_proposers, 1); /* k_eff = min(3, 2 - 1) */
    ck_assert_uint_eq(rd.n_slots, 1);
    ck_assert_uint_eq(rd.n_voters, 1);
    /* Nobody commits: void at the reveal end, the proposer slashed, and (the
     * last round) the task completes there. */
    int prop = role_of(task, 1, &p[0]) == FL_ROLE_PROPOSER ? 0 : 1;
    ck_assert_uint_eq(entry(task, 1, p[prop].pub).slots, 1);
    uint64_t stake = prop == 0 ? 20 * COIN : 25 * COIN, other = prop == 0 ? 25 * COIN : 20 * COIN;
    uint64_t bp = balance_of(chain, p[prop].pub), bv = balance_of(chain, p[1 - prop].pub);
    struct fl_windows win;
    windows_of(task, 1, &win);
    advance_to(win.reveal_end + 1);
    rd = round_of(task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_VOID_NO_UPDATES);
    uint64_t cut = stake * tp.slash_bps / 10000;
    ck_assert_uint_eq(rd.slashed, cut);
    st = status(task);
    ck_assert_uint_eq(st.state, FL_TASK_COMPLETED);
    ck_assert_uint_eq(st.end_height, win.reveal_end);
    ck_assert_uint_eq(balance_of(chain, p[prop].pub), bp + stake - cut);
    ck_assert_uint_eq(balance_of(chain, p[1 - prop].pub), bv + other);
    ck_assert_uint_eq(balance_of(chain, creator.pub), creator_bal + tp.budget - st.burn + cut);
    ck_assert_uint_eq(st.returned, tp.budget - st.burn + cut);
}
END_TEST

/* Two tasks side by side whose proposers all miss round 1: in the first the
 * slash leaves them at exactly the minimum stake and they stay; in the
 * second one unit below and they are removed (their rest returned), and the
 * task completes when fewer than two remain. */
START_TEST(removal_at_the_minimum_stake)
{
    struct party creator, a[3], b[3];
    uint8_t ta[32], tb[32];
    struct fl_task_params tp = fixture_fl_task(1000 * COIN);
    tp.rounds = 2;
    const uint64_t exact = 125 * COIN / 10; /* 20% of it leaves 10 FML */
    const uint64_t under = exact - 2;        /* leaves 10 FML - 1 unit */
    ck_assert_uint_eq(exact - exact * tp.slash_bps / 10000, tp.min_stake);
    ck_assert_uint_eq(under - under * tp.slash_bps / 10000, tp.min_stake - 1);
    new_party(&creator, 5000 * COIN);
    for (int i = 0; i < 3; i++) {
        new_party(&a[i], 100 * COIN);
        new_party(&b[i], 100 * COIN);
    }
    produce_checked();
    create_task(&creator, &tp, NULL, ta);
    create_task(&creator, &tp, NULL, tb);
    track(ta);
    track(tb);
    produce_checked();
    const uint64_t h0 = chain_height(chain);
    for (int i = 0; i < 3; i++) {
        join(&a[i], ta, exact, NULL);
        join(&b[i], tb, under, NULL);
    }
    advance_to(h0 + tp.join_blocks + 1);
    struct fl_windows win;
    windows_of(ta, 1, &win);
    uint64_t bal[3];
    for (int i = 0; i < 3; i++)
        bal[i] = balance_of(chain, b[i].pub);
    advance_to(win.reveal_end + 1);

    struct fl_status st = status(ta);
    ck_assert_uint_eq(st.state, FL_TASK_RUNNING);
    ck_assert_uint_eq(st.round, 2);
    ck_assert_uint_eq(st.n_active, 3);
    ck_assert_uint_eq(round_of(ta, 1).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    for (int i = 0; i < 3; i++) {
        struct fl_participant p = participant_of(ta, a[i].pub);
        ck_assert_uint_eq(p.status, FL_PART_ACTIVE);
        ck_assert_uint_eq(p.stake, role_of(ta, 1, &a[i]) == FL_ROLE_PROPOSER ? tp.min_stake : exact);
    }

    st = status(tb);
    int removed = 0;
    for (int i = 0; i < 3; i++)
        removed += role_of(tb, 1, &b[i]) == FL_ROLE_PROPOSER;
    ck_assert_int_ge(removed, 1);
    ck_assert_uint_eq(st.state, 3 - removed < 2 ? FL_TASK_COMPLETED : FL_TASK_RUNNING);
    for (int i = 0; i < 3; i++) {
        struct fl_participant p = participant_of(tb, b[i].pub);
        bool proposer = role_of(tb, 1, &b[i]) == FL_ROLE_PROPOSER;
        if (proposer) {
            ck_assert_uint_eq(p.status, FL_PART_REMOVED);
            ck_assert_uint_eq(p.stake, 0);
            ck_assert_uint_eq(p.returned, tp.min_stake - 1);
            ck_assert_uint_eq(balance_of(chain, b[i].pub), bal[i] + tp.min_stake - 1);
            ck_assert(entry(tb, 1, b[i].pub).flags & FL_ENTRY_REMOVED);
        } else if (st.state == FL_TASK_COMPLETED) {
            ck_assert_uint_eq(p.status, FL_PART_EXITED);
            ck_assert_uint_eq(balance_of(chain, b[i].pub), bal[i] + under);
        } else {
            ck_assert_uint_eq(p.status, FL_PART_ACTIVE);
            ck_assert_uint_eq(p.stake, under);
        }
    }
}
END_TEST

/* ---- work per height ---- */

static struct fl_task_params small_task(uint32_t join_blocks)
{
    return fixture_fl_small_task(join_blocks, 100);
}

static size_t state_value_len(const uint8_t *key, size_t klen)
{
    const uint8_t *val;
    size_t len = 0;
    struct view *v = chain_view(chain);
    if (!view_get(v, key, klen, &val, &len))
        len = 0;
    ck_assert(!view_failed(v));
    view_free(v);
    return len;
}

/* Events of many tasks at one height: each is its own small record, the
 * height takes at most FL_MAX_HEIGHT_WORK of work (the next creation aiming
 * there is rejected, a round whose finalization would fall there starts one
 * block later), and a reorganization of the block that filled it restores
 * the state root. */
START_TEST(events_at_one_height_are_bounded)
{
    enum { SENDERS = 40, RUN = 63 };
    const int ntasks = FL_MAX_HEIGHT_WORK / FL_EVENT_BASE_WORK;
    ck_assert_int_le(ntasks, SENDERS * RUN);
    static struct party senders[SENDERS];
    struct party a, b, creator;
    for (int i = 0; i < SENDERS; i++)
        new_party(&senders[i], 10 * COIN);
    new_party(&a, 10 * COIN);
    new_party(&b, 10 * COIN);
    new_party(&creator, 10 * COIN);
    produce_checked();
    uint8_t root_before[32];
    chain_state_root(chain, root_before);
    /* Every start at H = the next block + 8. */
    const uint64_t hnext = chain_height(chain) + 1, H = hnext + 8;
    struct fl_task_params t = small_task(8);
    uint8_t at_h[32];
    for (int i = 0; i < ntasks; i++)
        create_task(&senders[i / RUN], &t, NULL, i == 0 ? at_h : NULL);
    produce_checked();
    ck_assert_uint_eq(chain_height(chain), hnext);
    struct fl_task_params late = small_task(7);
    create_task(&creator, &late, "bad-fl-queue-full", NULL);
    join(&a, at_h, 1, "bad-fl-queue-full");
    create_task(&creator, &t, NULL, NULL); /* H + 1 has room */
    uint8_t key[10] = {'f', 'Q'};
    write_be64(key + 2, H);
    ck_assert_uint_le(state_value_len(key, sizeof(key)), 64);
    key[1] = 'q';
    ck_assert_uint_le(state_value_len(key, sizeof(key)), 64);
    struct fl_height hd = height_of(H);
    ck_assert_uint_eq(hd.events, (uint32_t)ntasks);
    ck_assert_uint_eq(hd.work, FL_MAX_HEIGHT_WORK);

    uint8_t root_after[32], root[32], hash[32];
    chain_state_root(chain, root_after);
    memcpy(hash, chain_tip(chain)->hash, 32);
    struct validation val;
    ck_assert(chain_invalidate(chain, hash, &val));
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, root_before, 32);
    ck_assert(chain_reconsider(chain, hash, &val));
    ck_assert_mem_eq(chain_tip(chain)->hash, hash, 32);
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, root_after, 32);

    /* A task whose round 1 would finalize at H (started at H - 3, windows of
     * one block) starts its round at H - 2 instead, finalizing at H + 1. */
    uint8_t task[32];
    struct fl_task_params x = small_task(3);
    create_task(&creator, &x, NULL, task);
    produce_checked();
    ck_assert_uint_eq(chain_height(chain) + x.join_blocks, H - 4);
    join(&a, task, 1, NULL);
    join(&b, task, 1, NULL);
    advance_to(H - 2);
    struct fl_status st = status(task);
    ck_assert_uint_eq(st.state, FL_TASK_RUNNING);
    ck_assert_uint_eq(round_of(task, 1).start, H - 2);
    struct fl_windows win;
    windows_of(task, 1, &win);
    ck_assert_uint_eq(win.reveal_end, H + 1);
    advance_to(H + 1);
    hd = height_of(H);
    ck_assert_uint_eq(hd.events, 0);
    ck_assert_uint_eq(hd.work, 0);
    uint8_t ekey[FL_KEY_EVENT_SIZE];
    fl_key_event(ekey, H, 0);
    ck_assert_uint_eq(state_value_len(ekey, sizeof(ekey)), 0);
}
END_TEST

/* A task whose rounds stay empty ends after two void rounds in a row. */
START_TEST(two_void_rounds_end_the_task)
{
    struct party creator, a, b;
    uint8_t task[32];
    new_party(&creator, 10 * COIN);
    new_party(&a, 10 * COIN);
    new_party(&b, 10 * COIN);
    produce_checked();
    struct fl_task_params t = small_task(1);
    t.rounds = FL_MAX_ROUNDS;
    create_task(&creator, &t, NULL, task);
    track(task);
    produce_checked();
    join(&a, task, 1, NULL);
    join(&b, task, 1, NULL);
    produce_checked(); /* joins; round 1 drawn */
    for (int i = 0; i < 12; i++)
        produce_checked();
    struct fl_status st = status(task);
    ck_assert_msg(st.state == FL_TASK_COMPLETED, "task %s in round %u",
                  fl_task_state_name(st.state), st.round);
    ck_assert_uint_eq(st.round, 2);
    ck_assert_uint_eq(round_of(task, 1).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    ck_assert_uint_eq(round_of(task, 2).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    ck_assert_uint_eq(st.budget_left + st.slashed_left, 0);
}
END_TEST

/* Two tasks whose finalizations would together exceed FL_MAX_HEIGHT_WEIGHTS
 * at one height: the second round starts one block later.  A finalization
 * reserves (k_eff + 1) x P weights: 18 x P with 17 slots among 18. */
START_TEST(finalization_weights_per_height_are_bounded)
{
    enum { N = 18 };
    static struct party p[2 * N];
    struct party creator;
    uint8_t ta[32], tb[32];
    new_party(&creator, 100 * COIN);
    for (int i = 0; i < 2 * N; i++)
        new_party(&p[i], 10 * COIN);
    produce_checked();
    struct fl_task_params t = small_task(2);
    t.rounds = 10;
    t.min_participants = t.max_participants = N;
    t.proposer_slots = N - 1;
    uint32_t P = (uint32_t)(FL_MAX_HEIGHT_WEIGHTS / 2 / N + 1);
    t.spec.sizes[0] = P - 1;
    t.update_reveal_blocks = 1;
    while (!fl_window_carries(&params, t.update_reveal_blocks, TX_FL_UPDATE_REVEAL,
                              t.proposer_slots, fl_update_reveal_tx_size(P)))
        t.update_reveal_blocks++;
    ck_assert_uint_eq(fl_round_weights(&t, N), fl_finalize_weights(&t));
    ck_assert_uint_eq(fl_round_weights(&t, N), (uint64_t)N * P);
    ck_assert_uint_gt(2 * fl_round_weights(&t, N), FL_MAX_HEIGHT_WEIGHTS);
    create_task(&creator, &t, NULL, ta);
    create_task(&creator, &t, NULL, tb);
    produce_checked();
    const uint64_t J = chain_height(chain) + t.join_blocks;
    for (int i = 0; i < N; i++) {
        join(&p[i], ta, 1, NULL);
        join(&p[N + i], tb, 1, NULL);
    }
    advance_to(J + 1);
    uint64_t sa = round_of(ta, 1).start, sb = round_of(tb, 1).start;
    ck_assert_msg((sa == J + 1 && sb == J + 2) || (sa == J + 2 && sb == J + 1),
                  "rounds start at %llu and %llu (J = %llu)", (unsigned long long)sa,
                  (unsigned long long)sb, (unsigned long long)J);
    struct fl_windows win;
    windows_of(ta, 1, &win);
    ck_assert_uint_le(height_of(win.reveal_end).weights, FL_MAX_HEIGHT_WEIGHTS);
}
END_TEST

/* Five tasks of 1,000 participants and 64 slots each reserve about 60,000
 * verdicts at their reveal end: four fit FL_MAX_HEIGHT_VERDICTS, the fifth
 * round starts one block later (work and weights would have let all five
 * finalize together). */
START_TEST(finalization_verdicts_per_height_are_bounded)
{
    enum { N = FL_MAX_PARTICIPANTS, T = 5 };
    static struct party ps[N];
    struct party creator;
    uint8_t ids[T][32];
    new_party(&creator, 100 * COIN);
    for (int i = 0; i < N; i++) {
        if (i % 60 == 59)
            produce_checked(); /* runs of at most MEMPOOL_MAX_RUN */
        new_party(&ps[i], 10 * COIN);
    }
    produce_checked();
    struct fl_task_params t = small_task(2);
    t.rounds = 10;
    t.max_participants = N;
    t.proposer_slots = FL_MAX_SLOTS;
    for (int k = 0; k < T; k++)
        create_task(&creator, &t, NULL, ids[k]);
    produce_checked();
    const uint64_t J = chain_height(chain) + t.join_blocks;
    for (int k = 0; k < T; k++)
        for (int i = 0; i < N; i++)
            join(&ps[i], ids[k], 1, NULL);
    advance_to(J + 1);
    int first = 0, second = 0;
    uint64_t verdicts = 0;
    for (int k = 0; k < T; k++) {
        struct fl_round rd = round_of(ids[k], 1);
        ck_assert_uint_eq(rd.n_slots, FL_MAX_SLOTS);
        if (rd.start == J + 1) {
            first++;
            /* every participant votes: k_eff x m */
            verdicts += (uint64_t)rd.n_slots * (rd.n_voters + rd.n_proposers);
        } else if (rd.start == J + 2) {
            second++;
        }
    }
    ck_assert_msg(first == 4 && second == 1, "%d rounds start at J + 1, %d at J + 2", first,
                  second);
    struct fl_windows win;
    windows_of(ids[0], 1, &win);
    struct fl_height hd = height_of(J + 1 + (win.reveal_end - win.submit_start));
    ck_assert_uint_eq(hd.verdicts, verdicts);
    ck_assert_uint_le(hd.verdicts, FL_MAX_HEIGHT_VERDICTS);
    ck_assert_uint_le(hd.work, FL_MAX_HEIGHT_WORK);
}
END_TEST

/* Creations of the largest empty tasks do not fill a height: a task's start
 * reserves FL_EVENT_BASE_WORK and one unit per participant who joined. */
START_TEST(empty_tasks_do_not_fill_a_height)
{
    struct party creator, a;
    uint8_t first[32];
    new_party(&creator, 100 * COIN);
    new_party(&a, 10 * COIN);
    produce_checked();
    const int n = FL_MAX_HEIGHT_WORK / (FL_EVENT_BASE_WORK + FL_MAX_PARTICIPANTS) + 1;
    struct fl_task_params t = small_task(5);
    t.max_participants = FL_MAX_PARTICIPANTS;
    const uint64_t H = chain_height(chain) + 1 + t.join_blocks;
    for (int i = 0; i < n; i++)
        create_task(&creator, &t, NULL, i == 0 ? first : NULL);
    produce_checked();
    ck_assert_uint_eq(height_of(H).events, (uint32_t)n);
    ck_assert_uint_eq(height_of(H).work, (uint32_t)n * FL_EVENT_BASE_WORK);
    join(&a, first, 1, NULL);
    produce_checked();
    ck_assert_uint_eq(height_of(H).work, (uint32_t)n * FL_EVENT_BASE_WORK + 1);
}
END_TEST

/* A round reserves what its draw costs at its reveal end: the work of the
 * task's participants, (k_eff + 1) x P weights and k_eff x voters verdicts,
 * not those of max_participants; a reorganization gives them back. */
START_TEST(rounds_reserve_what_they_draw)
{
    struct party creator, a, b;
    uint8_t task[32];
    new_party(&creator, 10 * COIN);
    new_party(&a, 10 * COIN);
    new_party(&b, 10 * COIN);
    produce_checked();
    struct fl_task_params t = small_task(1);
    t.max_participants = FL_MAX_PARTICIPANTS;
    create_task(&creator, &t, NULL, task);
    track(task);
    produce_checked();
    join(&a, task, 1, NULL);
    join(&b, task, 1, NULL);
    produce_checked(); /* joins; round 1 drawn */
    const uint64_t J = chain_height(chain);
    struct fl_windows win;
    windows_of(task, 1, &win);
    struct fl_height fin = height_of(win.reveal_end);
    ck_assert_uint_eq(fin.events, 1);
    ck_assert_uint_eq(fin.work, FL_EVENT_BASE_WORK + 2);
    ck_assert_uint_eq(fin.weights, (1 + 1) * 2); /* k_eff 1, P 2 */
    ck_assert_uint_eq(fin.verdicts, 1 * 2);      /* one slot, two participants vote */
    uint8_t root_after[32], root[32], hash[32];
    struct validation val;
    chain_state_root(chain, root_after);
    memcpy(hash, chain_tip(chain)->hash, 32);
    ck_assert(chain_invalidate(chain, hash, &val));
    ck_assert_uint_eq(height_of(J).work, FL_EVENT_BASE_WORK);
    ck_assert_uint_eq(height_of(J).events, 1);
    ck_assert_uint_eq(height_of(win.reveal_end).work, 0);
    ck_assert_uint_eq(height_of(win.reveal_end).verdicts, 0);
    ck_assert(chain_reconsider(chain, hash, &val));
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, root_after, 32);
    ck_assert_uint_eq(height_of(J).work, 0);
    ck_assert_uint_eq(height_of(win.reveal_end).verdicts, 2);
}
END_TEST

/* Joins of different senders compete for a task's seats and its start
 * height's work: the mempool admits no more of them than the tip can take. */
START_TEST(joins_beyond_what_a_task_can_take_are_not_pooled)
{
    enum { JOINERS = 4 };
    struct party creator, ps[JOINERS];
    uint8_t task[32];
    new_party(&creator, 10 * COIN);
    for (int i = 0; i < JOINERS; i++)
        new_party(&ps[i], 10 * COIN);
    produce_checked();
    struct fl_task_params t = small_task(5); /* two seats */
    create_task(&creator, &t, NULL, task);
    produce_checked();
    join(&ps[0], task, 1, NULL);
    join(&ps[1], task, 1, NULL);
    join(&ps[2], task, 1, "mempool-fl-full");
    ck_assert_uint_eq(mempool_count(pool), 2);
    produce_checked();
    ck_assert_uint_eq(mempool_count(pool), 0);
    ck_assert_uint_eq(status(task).n_participants, 2);
    join(&ps[3], task, 1, "bad-fl-full");

    enum { SENDERS = 40, RUN = 63, ROOM = 8 };
    const int fill = (FL_MAX_HEIGHT_WORK - ROOM) / FL_EVENT_BASE_WORK - 1;
    static struct party senders[SENDERS], joiners[ROOM + 1];
    for (int i = 0; i < SENDERS; i++)
        new_party(&senders[i], 10 * COIN);
    for (int i = 0; i < ROOM + 1; i++)
        new_party(&joiners[i], 10 * COIN);
    produce_checked();
    struct fl_task_params big = small_task(5);
    big.max_participants = FL_MAX_PARTICIPANTS;
    const uint64_t H = chain_height(chain) + 1 + big.join_blocks;
    create_task(&creator, &big, NULL, task);
    for (int i = 0; i < fill; i++)
        create_task(&senders[i / RUN], &big, NULL, NULL);
    produce_checked();
    ck_assert_uint_eq(FL_MAX_HEIGHT_WORK - height_of(H).work, ROOM);
    for (int i = 0; i < ROOM; i++)
        join(&joiners[i], task, 1, NULL);
    join(&joiners[ROOM], task, 1, "mempool-fl-queue-full");
    produce_checked();
    ck_assert_uint_eq(mempool_count(pool), 0);
    ck_assert_uint_eq(height_of(H).work, FL_MAX_HEIGHT_WORK);
}
END_TEST

/* One cheap update every other round does not keep a task's rounds
 * running: an update revealed and no vote is void too (no votes). */
START_TEST(an_update_alone_does_not_keep_a_task_running)
{
    struct party creator, ps[2];
    uint8_t task[32];
    new_party(&creator, 10 * COIN);
    new_party(&ps[0], 10 * COIN);
    new_party(&ps[1], 10 * COIN);
    produce_checked();
    struct fl_task_params t = small_task(1);
    t.rounds = FL_MAX_ROUNDS;
    create_task(&creator, &t, NULL, task);
    track(task);
    produce_checked();
    join(&ps[0], task, 1, NULL);
    join(&ps[1], task, 2, NULL);
    produce_checked(); /* round 1 drawn */
    struct fl_windows win;
    windows_of(task, 1, &win);
    advance_to(win.reveal_end + 1); /* round 1 void; round 2 drawn */
    ck_assert_uint_eq(round_of(task, 1).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    windows_of(task, 2, &win);
    advance_to(win.submit_start);
    const int32_t w[2] = {1, 2};
    int prop = role_of(task, 2, &ps[0]) == FL_ROLE_PROPOSER ? 0 : 1;
    update_commit(&ps[prop], task, 2, w, 2, NULL);
    advance_to(win.update_reveal_start);
    update_reveal(&ps[prop], task, 2, w, 2, NULL);
    advance_to(win.reveal_end + 1);
    struct fl_round r2 = round_of(task, 2);
    ck_assert_uint_eq(r2.n_update_reveals, 1);
    ck_assert_uint_eq(r2.outcome, FL_OUTCOME_VOID_NO_VOTES);
    struct fl_status st = status(task);
    ck_assert_msg(st.state == FL_TASK_COMPLETED, "task %s in round %u",
                  fl_task_state_name(st.state), st.round);
}
END_TEST

/* A task of many participants whose rounds see a handful of transactions is
 * quiet: with 64 drawn a round needs 8 update and vote reveals; a void round
 * then a round of 1 update reveal and 1 vote reveal end it. */
START_TEST(quiet_rounds_end_a_large_task)
{
    enum { N = 64 };
    static struct party ps[N];
    struct party creator;
    uint8_t task[32];
    new_party(&creator, 10 * COIN);
    for (int i = 0; i < N; i++) {
        if (i == N / 2)
            produce_checked(); /* runs of at most MEMPOOL_MAX_RUN */
        new_party(&ps[i], 10 * COIN);
    }
    produce_checked();
    struct fl_task_params t = small_task(1);
    t.rounds = FL_MAX_ROUNDS;
    t.max_participants = N;
    create_task(&creator, &t, NULL, task);
    track(task);
    produce_checked();
    for (int i = 0; i < N; i++)
        join(&ps[i], task, 1, NULL);
    produce_checked(); /* round 1 drawn */
    struct fl_windows win;
    windows_of(task, 1, &win);
    advance_to(win.reveal_end + 1);
    ck_assert_uint_eq(round_of(task, 1).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    windows_of(task, 2, &win);
    int proposer = -1, voter = -1;
    for (int i = 0; i < N; i++) {
        int role = role_of(task, 2, &ps[i]);
        if (role == FL_ROLE_PROPOSER && proposer < 0)
            proposer = i;
        if (role == FL_ROLE_VOTER && voter < 0)
            voter = i;
    }
    ck_assert(proposer >= 0 && voter >= 0);
    advance_to(win.submit_start);
    const int32_t w[2] = {1, 2};
    const int8_t yes[1] = {1};
    update_commit(&ps[proposer], task, 2, w, 2, NULL);
    advance_to(win.update_reveal_start);
    update_reveal(&ps[proposer], task, 2, w, 2, NULL);
    advance_to(win.commit_start);
    vote_commit(&ps[voter], task, 2, yes, 1, NULL);
    advance_to(win.reveal_start);
    vote_reveal(&ps[voter], task, 2, yes, 1, NULL);
    advance_to(win.reveal_end + 1);
    struct fl_round r2 = round_of(task, 2);
    ck_assert_uint_eq(r2.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert(fl_round_quiet(&r2));
    struct fl_status st = status(task);
    ck_assert_msg(st.state == FL_TASK_COMPLETED,
                  "task %s in round %u after a void and a quiet round",
                  fl_task_state_name(st.state), st.round);
}
END_TEST

/* Update reveals the window's last block cannot take leave the pool when
 * the window ends. */
START_TEST(fl_transactions_leave_the_pool_when_their_window_ends)
{
    enum { N = 17, P = 249950 }; /* the largest reveal under max_tx_size */
    struct party creator, ps[N];
    uint8_t task[32];
    new_party(&creator, 10 * COIN);
    for (int i = 0; i < N; i++)
        new_party(&ps[i], 10 * COIN);
    produce_checked();
    struct fl_task_params t = small_task(1);
    t.spec.sizes[0] = P - 1;
    t.rounds = 1;
    t.max_participants = N;
    t.proposer_slots = 16;
    t.submit_blocks = 2;
    t.update_reveal_blocks = 1;
    while (!fl_window_carries(&params, t.update_reveal_blocks, TX_FL_UPDATE_REVEAL,
                              t.proposer_slots, fl_update_reveal_tx_size(P)))
        t.update_reveal_blocks++;
    create_task(&creator, &t, NULL, task);
    produce_checked();
    for (int i = 0; i < N; i++)
        join(&ps[i], task, 1, NULL);
    produce_checked(); /* round 1 drawn */
    struct fl_windows win;
    windows_of(task, 1, &win);
    uint8_t *weights = calloc(P, 4);
    ck_assert(weights != NULL);
    for (int i = 0; i < N; i++)
        weights[i] = (uint8_t)i; /* no two updates alike */
    uint8_t mh[32], salt[32];
    int sent = 0;
    for (int i = 0; i < N; i++) {
        if (role_of(task, 1, &ps[i]) != FL_ROLE_PROPOSER)
            continue;
        struct fl_update_commit c;
        struct wbuf w;
        weights[0] = (uint8_t)i;
        fl_model_hash(mh, weights, P);
        salt_of(&ps[i], 1, 'u', salt);
        memcpy(c.task, task, 32);
        c.round = 1;
        fl_update_commitment(c.commitment, task, 1, ps[i].pub, mh, salt);
        wbuf_init(&w);
        fl_update_commit_encode(&c, &w);
        send(&ps[i], TX_FL_UPDATE_COMMIT, &w, NULL, NULL);
        wbuf_free(&w);
    }
    advance_to(win.update_reveal_end);
    /* Every proposer's 1 MB reveal for the window's last block. */
    for (int i = 0; i < N; i++) {
        if (role_of(task, 1, &ps[i]) != FL_ROLE_PROPOSER)
            continue;
        struct fl_update_reveal u;
        struct wbuf w;
        struct tx tx;
        weights[0] = (uint8_t)i;
        memcpy(u.task, task, 32);
        u.round = 1;
        salt_of(&ps[i], 1, 'u', u.salt);
        u.n = P;
        u.weights = weights;
        wbuf_init(&w);
        fl_update_reveal_encode(&u, &w);
        make_tx_sec(&tx, ps[i].sec, TX_FL_UPDATE_REVEAL, &w, mempool_next_nonce(pool, ps[i].pub),
                    2 * fl_update_reveal_tx_size(P));
        submit(&tx, NULL);
        tx_free(&tx);
        wbuf_free(&w);
        sent++;
    }
    free(weights);
    ck_assert_int_ge(sent, 4);
    produce_checked();
    uint16_t in = round_of(task, 1).n_update_reveals;
    ck_assert_int_lt(in, sent);
    ck_assert_msg(mempool_count(pool) == 0, "%zu reveals for a closed window still pooled",
                  mempool_count(pool));
}
END_TEST

/* The builder fills a block by block units (txtypes[].block_units). */
START_TEST(the_builder_fills_blocks_by_units)
{
    struct party creator;
    struct block b;
    new_party(&creator, 100 * COIN);
    produce_checked();
    const uint32_t saved = params.max_block_txs;
    params.max_block_txs = 5;
    struct fl_task_params t = small_task(5);
    /* Two commits or reveals of 2 units at half of 5 units a block. */
    t.submit_blocks = t.update_reveal_blocks = t.commit_blocks = t.reveal_blocks = 2;
    create_task(&creator, &t, NULL, NULL);
    create_task(&creator, &t, NULL, NULL);
    ck_assert(fixture_transfer(pool, 2, 1, COIN, FEE, NULL));
    ck_assert(fixture_transfer(pool, 2, 1, COIN, FEE, NULL));
    build_next(chain, pool, &b);
    uint64_t units = 0;
    for (size_t i = 0; i < b.ntx; i++)
        units += txtype_block_units(b.txs[i].type);
    ck_assert_uint_eq(b.ntx, 3);
    ck_assert_uint_le(units, 5);
    block_free(&b);
    produce_checked();
    ck_assert_uint_eq(mempool_count(pool), 1);
    produce_checked();
    ck_assert_uint_eq(mempool_count(pool), 0);
    params.max_block_txs = saved;
}
END_TEST

static Suite *fl_state_suite(void)
{
    Suite *s = suite_create("fl_state");
    TCase *tc = tcase_create("fl_state");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, copy_caught);
    tcase_add_test(tc, per_update_slash_spares_the_honest_co_proposer);
    tcase_add_test(tc, sybil_split_does_not_take_the_vote);
    tcase_add_test(tc, a_lone_voter_cannot_force_slashes);
    tcase_add_test(tc, a_proposer_own_verdict_is_ignored);
    tcase_add_test(tc, a_proposer_that_does_not_vote_is_slashed);
    tcase_add_test(tc, an_update_equal_to_the_global_model_is_no_work);
    tcase_add_test(tc, a_commitment_never_revealed_is_slashed);
    tcase_add_test(tc, reveals_that_do_not_match_are_rejected);
    tcase_add_test(tc, voters_are_paid_by_agreement);
    tcase_add_test(tc, a_round_without_vote_reveals_is_void);
    tcase_add_test(tc, reveals_are_not_crowded_out_of_their_window);
    tcase_add_test(tc, reveals_survive_more_transfers_than_the_candidates_hold);
    tcase_add_test(tc, a_full_pool_keeps_the_reveals);
    tcase_add_test(tc, pool_match_and_self_dealing_loss);
    tcase_add_test(tc, the_fl_pool_cap_burns_the_excess);
    tcase_add_test(tc, reorganization_across_every_transition);
    tcase_add_test(tc, too_few_join_cancels);
    tcase_add_test(tc, allow_list_limit_and_round_without_updates);
    tcase_add_test(tc, removal_at_the_minimum_stake);
    tcase_add_test(tc, events_at_one_height_are_bounded);
    tcase_add_test(tc, two_void_rounds_end_the_task);
    tcase_add_test(tc, finalization_weights_per_height_are_bounded);
    tcase_add_test(tc, finalization_verdicts_per_height_are_bounded);
    tcase_add_test(tc, empty_tasks_do_not_fill_a_height);
    tcase_add_test(tc, rounds_reserve_what_they_draw);
    tcase_add_test(tc, joins_beyond_what_a_task_can_take_are_not_pooled);
    tcase_add_test(tc, an_update_alone_does_not_keep_a_task_running);
    tcase_add_test(tc, quiet_rounds_end_a_large_task);
    tcase_add_test(tc, fl_transactions_leave_the_pool_when_their_window_ends);
    tcase_add_test(tc, the_builder_fills_blocks_by_units);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fl_state_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
