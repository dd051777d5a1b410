/* FL Alliance on a real chain: a whole task (create, joins, honest rounds
 * accepted, a bad update rejected by the voters and its proposers slashed,
 * missed submissions and reveals slashed, removal below the minimum stake,
 * a round without reveals, completion with refunds), cancellation when too
 * few join, the allow-list and the participant limit, a round without
 * updates, every reject reason of the five types, the supply audit and the
 * task's pool conservation after every block, and a reorganization in the
 * middle of a round that restores the exact state root; and the work per
 * height: events at one height bounded and reserved (creations refused,
 * rounds delayed, aggregated weights spread), two void rounds ending a task;
 * reservations sized by what a task has (empty tasks, drawn rounds,
 * finalizations' candidates, a void round giving its finalization back),
 * quiet rounds ending a large task, and the mempool pooling no more joins
 * than a task and its start height can take, nor FL transactions whose
 * window has ended.
 *
 * Roles come from the RANDAO mix, so the scenario reads them from the state
 * and chooses who misbehaves from them; the expected rewards and slashes are
 * computed here from the rules of doc/protocol.md section 17. */
#include "chain_fixture.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/txtypes.h"
#include "state/audit.h"
#include "state/fl.h"

#define FEE 10000
#define NP 7
#define NPARAMS 4 /* logistic regression on 3 inputs */

static struct chain *chain;
static struct mempool *pool;

struct party {
    uint8_t sec[32];
    uint8_t pub[32];
};

static uint8_t tracked[4][32];
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

static struct fl_round round_of(const uint8_t task[32], uint32_t round)
{
    struct fl_round r;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_round(v, task, round, &r));
    view_free(v);
    return r;
}

/* The pool of every task balances: reward_pool + slashed = paid + pool +
 * returned; and the whole supply is accounted for. */
static void check_invariants(void)
{
    struct supply_audit a;
    ck_assert(supply_audit(chain, &a));
    ck_assert_msg(a.supply_ok, "supply %llu != held (fl pools %llu, fl stakes %llu)",
                  (unsigned long long)a.supply, (unsigned long long)a.fl_pools,
                  (unsigned long long)a.fl_stakes);
    ck_assert(a.rewards_ok);
}

static void check_task_pool(const uint8_t task[32])
{
    struct fl_status st;
    struct fl_task t;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_status(v, task, &st) && fl_get_task(v, task, &t));
    ck_assert_uint_eq(t.p.reward_pool + st.slashed, st.paid + st.pool + st.returned);
    view_free(v);
}

static void produce_checked(void)
{
    produce(chain, pool);
    check_invariants();
    for (size_t i = 0; i < ntracked; i++)
        check_task_pool(tracked[i]);
}

/* Produces blocks until the next one is at height h. */
static void advance_to(uint64_t h)
{
    while (chain_height(chain) + 1 < h)
        produce_checked();
    ck_assert_uint_eq(chain_height(chain) + 1, h);
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
        ck_assert_str_eq(v.reason, expect);
    }
}

/* Sends a payload; the txid goes to txid_out when given. */
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

static struct fl_task_params task_params(void)
{
    return fixture_fl_task(1000 * COIN);
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

static void update(const struct party *p, const uint8_t task[32], uint32_t round,
                   const int32_t *weights, size_t n, const char *expect)
{
    uint8_t bytes[4 * 16];
    struct fl_update u;
    struct wbuf w;
    ck_assert(n <= 16);
    for (size_t i = 0; i < n; i++)
        write_le32(bytes + 4 * i, (uint32_t)weights[i]);
    memcpy(u.task, task, 32);
    u.round = round;
    u.n = n;
    u.weights = bytes;
    wbuf_init(&w);
    fl_update_encode(&u, &w);
    send(p, TX_FL_UPDATE, &w, expect, NULL);
    wbuf_free(&w);
}

static void salt_of(const struct party *p, uint32_t round, uint8_t salt[32])
{
    memcpy(salt, p->pub, 32);
    salt[0] ^= (uint8_t)round;
}

static void commit(const struct party *p, const uint8_t task[32], uint32_t round, int8_t vote,
                   int32_t metric, const char *expect)
{
    struct fl_vote_commit c;
    struct wbuf w;
    uint8_t salt[32];
    salt_of(p, round, salt);
    memcpy(c.task, task, 32);
    c.round = round;
    fl_vote_commitment(c.commitment, task, round, p->pub, vote, metric, salt);
    wbuf_init(&w);
    fl_vote_commit_encode(&c, &w);
    send(p, TX_FL_VOTE_COMMIT, &w, expect, NULL);
    wbuf_free(&w);
}

static void reveal_salted(const struct party *p, const uint8_t task[32], uint32_t round,
                          int8_t vote, int32_t metric, const uint8_t salt[32], const char *expect)
{
    struct fl_vote_reveal r;
    struct wbuf w;
    memcpy(r.task, task, 32);
    r.round = round;
    r.vote = vote;
    r.metric = metric;
    memcpy(r.salt, salt, 32);
    wbuf_init(&w);
    fl_vote_reveal_encode(&r, &w);
    send(p, TX_FL_VOTE_REVEAL, &w, expect, NULL);
    wbuf_free(&w);
}

static void reveal(const struct party *p, const uint8_t task[32], uint32_t round, int8_t vote,
                   int32_t metric, const char *expect)
{
    uint8_t salt[32];
    salt_of(p, round, salt);
    reveal_salted(p, task, round, vote, metric, salt, expect);
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

/* ---- the round oracle ---- */

struct snapshot {
    uint64_t pool;
    uint64_t balance[NP];
    uint64_t stake[NP];
};

static void take_snapshot(const uint8_t task[32], const struct party *ps, struct snapshot *s)
{
    struct fl_status st;
    ck_assert(status_of(task, &st));
    s->pool = st.pool;
    for (int i = 0; i < NP; i++) {
        s->balance[i] = balance_of(chain, ps[i].pub);
        s->stake[i] = participant_of(task, ps[i].pub).stake;
    }
}

/* After round r was finalized in the last block: every reward and slash as
 * the rules give them from the entries, every balance and stake moved by
 * exactly that (plus the removal refund, and the end-of-task refund when
 * `last`).  Returns the number of participants removed. */
static int check_finalized(const uint8_t task[32], const struct party *ps, uint32_t r,
                           uint8_t outcome, const struct snapshot *before, bool last,
                           unsigned __int128 contrib[NP], uint64_t *rewards_sum,
                           uint64_t *slashes_sum)
{
    const struct fl_task_params tp = task_params();
    struct fl_round rd = round_of(task, r);
    struct fl_entry e[NP];
    bool in[NP];
    uint64_t submitted = 0, stake_for = 0, stake_against = 0, paid = 0, slashed = 0;
    int removed = 0;
    ck_assert_msg(rd.outcome == outcome, "round %u outcome %s, want %s", r,
                  fl_outcome_name(rd.outcome), fl_outcome_name(outcome));
    ck_assert_uint_eq(rd.end_height, chain_height(chain));
    for (int i = 0; i < NP; i++) {
        in[i] = entry_of(task, r, ps[i].pub, &e[i]);
        if (!in[i])
            continue;
        ck_assert_uint_eq(e[i].stake, before->stake[i]);
        if (e[i].role == FL_ROLE_PROPOSER && (e[i].flags & FL_ENTRY_SUBMITTED))
            submitted += e[i].stake;
        if (e[i].role == FL_ROLE_VOTER && (e[i].flags & FL_ENTRY_REVEALED))
            *(e[i].vote > 0 ? &stake_for : &stake_against) += e[i].stake;
    }
    ck_assert_uint_eq(rd.stake_for, stake_for);
    ck_assert_uint_eq(rd.stake_against, stake_against);
    uint64_t R = 0;
    if (outcome == FL_OUTCOME_ACCEPTED || outcome == FL_OUTCOME_REJECTED)
        R = before->pool / (tp.rounds - r + 1);
    uint64_t vp = R * tp.voter_reward_bps / 10000, pp = R - vp;
    ck_assert_uint_eq(rd.reward, R);
    ck_assert_uint_eq(rd.voter_part, vp);
    for (int i = 0; i < NP; i++) {
        if (!in[i])
            continue;
        uint64_t reward = 0;
        bool slash = false;
        if (e[i].role == FL_ROLE_PROPOSER) {
            bool sub = e[i].flags & FL_ENTRY_SUBMITTED;
            if (!sub)
                slash = true;
            else if (outcome == FL_OUTCOME_ACCEPTED) {
                reward = (uint64_t)((unsigned __int128)pp * e[i].stake / submitted);
                contrib[i] += e[i].stake;
            } else if (outcome == FL_OUTCOME_REJECTED)
                slash = true;
        } else if (!(e[i].flags & FL_ENTRY_REVEALED)) {
            slash = true;
        } else if (outcome == FL_OUTCOME_ACCEPTED) {
            if (e[i].vote > 0)
                reward = (uint64_t)((unsigned __int128)vp * e[i].stake / stake_for);
            else
                slash = true;
        } else {
            if (e[i].vote < 0)
                reward = (uint64_t)((unsigned __int128)vp * e[i].stake / stake_against);
            else
                slash = true;
        }
        uint64_t cut = slash ? e[i].stake * tp.slash_bps / 10000 : 0;
        ck_assert_msg(e[i].reward == reward, "party %d reward %llu, want %llu", i,
                      (unsigned long long)e[i].reward, (unsigned long long)reward);
        ck_assert_msg(e[i].slash == cut, "party %d slash %llu, want %llu", i,
                      (unsigned long long)e[i].slash, (unsigned long long)cut);
        paid += reward;
        slashed += cut;
        struct fl_participant p = participant_of(task, ps[i].pub);
        uint64_t left = before->stake[i] - cut, refund = 0;
        if (left < tp.min_stake) {
            ck_assert_uint_eq(p.status, FL_PART_REMOVED);
            ck_assert(e[i].flags & FL_ENTRY_REMOVED);
            ck_assert_uint_eq(p.stake, 0);
            refund = left;
            removed++;
        } else if (last) {
            ck_assert_uint_eq(p.status, FL_PART_EXITED);
            ck_assert_uint_eq(p.stake, 0);
            refund = left;
        } else {
            ck_assert_uint_eq(p.status, FL_PART_ACTIVE);
            ck_assert_uint_eq(p.stake, left);
        }
        ck_assert(p.contribution == contrib[i]);
        ck_assert_uint_eq(balance_of(chain, ps[i].pub), before->balance[i] + reward + refund);
    }
    ck_assert_uint_eq(rd.paid, paid);
    ck_assert_uint_eq(rd.slashed, slashed);
    struct fl_status st;
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.pool, last ? 0 : before->pool - paid + slashed);
    *rewards_sum += paid;
    *slashes_sum += slashed;
    return removed;
}

/* ---- the whole task ---- */

static int role_of(const uint8_t task[32], uint32_t round, const struct party *p)
{
    struct fl_entry e;
    return entry_of(task, round, p->pub, &e) ? e.role : 0;
}

static void honest_weights(int32_t w[NPARAMS], uint32_t round, int who)
{
    for (int j = 0; j < NPARAMS; j++)
        w[j] = (int32_t)((int64_t)round * 65536 + j * 1000 - who * 7 - (j == 3 ? 200000 : 0));
}

/* The lowest-stake party among those with the role in the round (-1: none),
 * skipping `skip`. */
static int lowest(const uint8_t task[32], const struct party *ps, uint32_t round, int role, int skip)
{
    int best = -1;
    uint64_t best_stake = UINT64_MAX;
    for (int i = 0; i < NP; i++) {
        struct fl_entry e;
        if (i != skip && entry_of(task, round, ps[i].pub, &e) && e.role == role &&
            e.stake < best_stake) {
            best = i;
            best_stake = e.stake;
        }
    }
    return best;
}

START_TEST(whole_task)
{
    /* Two low stakes that one slash takes below the minimum (10 FML); the
     * last party joins in the last block of the join window. */
    static const uint64_t stakes[NP] = {11 * COIN, 11 * COIN, 40 * COIN, 50 * COIN,
                                        60 * COIN, 70 * COIN, 20 * COIN};
    struct party ps[NP], creator, poor, outsider;
    uint8_t task[32], unknown[32];
    unsigned __int128 contrib[NP] = {0};
    uint64_t rewards_sum = 0, slashes_sum = 0;
    int removed = 0;
    struct fl_task_params tp = task_params();
    struct snapshot snap;
    struct fl_windows win;
    int32_t w[NPARAMS];

    new_party(&creator, 2000 * COIN);
    new_party(&poor, 5 * COIN);
    new_party(&outsider, 100 * COIN);
    for (int i = 0; i < NP; i++)
        new_party(&ps[i], 200 * COIN);
    produce_checked();

    /* The pool comes from the creator's balance. */
    create_task(&poor, &tp, "bad-txns-insufficient-funds", NULL);
    uint64_t creator_before = balance_of(chain, creator.pub);
    create_task(&creator, &tp, NULL, task);
    memcpy(tracked[ntracked++], task, 32);
    /* Not yet in the state: joins and updates find no task. */
    join(&ps[0], task, 20 * COIN, "bad-fl-task");
    produce_checked();
    const uint64_t h0 = chain_height(chain);
    ck_assert_uint_eq(balance_of(chain, creator.pub), creator_before - tp.reward_pool - FEE);
    struct fl_status st;
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.state, FL_TASK_OPEN);
    ck_assert_uint_eq(st.pool, tp.reward_pool);

    /* Joins: unknown task, stake too low, duplicate, not enough funds. */
    memset(unknown, 0x77, 32);
    join(&ps[0], unknown, 20 * COIN, "bad-fl-task");
    join(&ps[0], task, 9 * COIN, "bad-fl-stake-too-low");
    join(&poor, task, 10 * COIN, "bad-txns-insufficient-funds");
    honest_weights(w, 1, 0);
    update(&ps[0], task, 1, w, NPARAMS, "bad-fl-round"); /* not started */
    for (int i = 0; i < NP - 1; i++)
        join(&ps[i], task, stakes[i], NULL);
    join(&ps[2], task, 40 * COIN, "bad-fl-duplicate");
    uint64_t bal0 = balance_of(chain, ps[0].pub);
    produce_checked();
    ck_assert_uint_eq(balance_of(chain, ps[0].pub), bal0 - stakes[0] - FEE);
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.n_participants, NP - 1);
    struct supply_audit audit;
    ck_assert(supply_audit(chain, &audit));
    ck_assert_uint_eq(audit.fl_pools, tp.reward_pool);
    ck_assert_uint_eq(audit.fl_stakes, 242 * COIN);

    /* The join window closes; round 1 starts at the next block. */
    advance_to(h0 + tp.join_blocks);
    join(&ps[NP - 1], task, stakes[NP - 1], NULL); /* the last block of the window */
    produce_checked();
    join(&outsider, task, 20 * COIN, "bad-fl-window");
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.state, FL_TASK_RUNNING);
    ck_assert_uint_eq(st.round, 1);
    ck_assert_uint_eq(st.round_start, h0 + tp.join_blocks + 1);
    ck_assert_uint_eq(st.n_participants, NP);
    struct fl_round rd = round_of(task, 1);
    ck_assert_uint_eq(rd.n_proposers, 4); /* ceil(7 x 50%) */
    ck_assert_uint_eq(rd.n_voters, 3);

    /* ---- Round 1: honest updates, accepted. ---- */
    windows_of(task, 1, &win);
    update(&outsider, task, 1, w, NPARAMS, "bad-fl-role");
    int voter = -1, proposer = -1;
    for (int i = 0; i < NP; i++) {
        int role = role_of(task, 1, &ps[i]);
        ck_assert(role == FL_ROLE_PROPOSER || role == FL_ROLE_VOTER);
        if (role == FL_ROLE_VOTER && voter < 0)
            voter = i;
        if (role == FL_ROLE_PROPOSER && proposer < 0)
            proposer = i;
    }
    ck_assert(voter >= 0 && proposer >= 0);
    update(&ps[voter], task, 1, w, NPARAMS, "bad-fl-role");
    update(&creator, task, 1, w, NPARAMS, "bad-fl-role");
    update(&ps[proposer], task, 1, w, NPARAMS - 1, "bad-fl-size");
    update(&ps[proposer], task, 2, w, NPARAMS, "bad-fl-round");
    update(&ps[proposer], unknown, 1, w, NPARAMS, "bad-fl-task");
    commit(&ps[voter], unknown, 1, 1, 0, "bad-fl-task");
    reveal(&ps[voter], unknown, 1, 1, 0, "bad-fl-task");
    commit(&ps[voter], task, 1, 1, 0, "bad-fl-window");
    __int128 num[NPARAMS] = {0};
    uint64_t den = 0;
    for (int i = 0; i < NP; i++) {
        if (role_of(task, 1, &ps[i]) != FL_ROLE_PROPOSER)
            continue;
        honest_weights(w, 1, i);
        update(&ps[i], task, 1, w, NPARAMS, NULL);
        for (int j = 0; j < NPARAMS; j++)
            num[j] += (__int128)stakes[i] * w[j];
        den += stakes[i];
    }
    update(&ps[proposer], task, 1, w, NPARAMS, "bad-fl-duplicate");
    produce_checked();
    struct fl_entry e;
    ck_assert(entry_of(task, 1, ps[proposer].pub, &e));
    ck_assert(e.flags & FL_ENTRY_SUBMITTED);
    ck_assert_uint_eq(e.size, NPARAMS);
    advance_to(win.commit_start);
    /* Aggregated at the end of the submit window: stake-weighted mean. */
    uint8_t expect_model[4 * NPARAMS], expect_hash[32];
    for (int j = 0; j < NPARAMS; j++)
        write_le32(expect_model + 4 * j, (uint32_t)(int32_t)fl_div_round(num[j], den));
    fl_model_hash(expect_hash, expect_model, NPARAMS);
    rd = round_of(task, 1);
    ck_assert(rd.has_candidate);
    ck_assert_mem_eq(rd.candidate_hash, expect_hash, 32);
    ck_assert_uint_eq(rd.n_updates, 4);
    update(&ps[proposer], task, 1, w, NPARAMS, "bad-fl-window");
    commit(&ps[proposer], task, 1, 1, 0, "bad-fl-role");
    reveal(&ps[voter], task, 1, 1, 0, "bad-fl-window");
    for (int i = 0; i < NP; i++)
        if (role_of(task, 1, &ps[i]) == FL_ROLE_VOTER)
            commit(&ps[i], task, 1, 1, 52429, NULL);
    commit(&ps[voter], task, 1, 1, 52429, "bad-fl-duplicate");
    produce_checked();
    advance_to(win.reveal_start);
    uint8_t wrong_salt[32] = {0};
    reveal_salted(&ps[voter], task, 1, 1, 52429, wrong_salt, "bad-fl-reveal-mismatch");
    reveal(&ps[voter], task, 1, -1, 52429, "bad-fl-reveal-mismatch"); /* another vote */
    reveal(&ps[proposer], task, 1, 1, 52429, "bad-fl-role");
    commit(&ps[voter], task, 1, 1, 52429, "bad-fl-window"); /* too late */
    for (int i = 0; i < NP; i++)
        if (role_of(task, 1, &ps[i]) == FL_ROLE_VOTER)
            reveal(&ps[i], task, 1, 1, 52429, NULL);
    reveal(&ps[voter], task, 1, 1, 52429, "bad-fl-duplicate");
    produce_checked();
    take_snapshot(task, ps, &snap);
    advance_to(win.reveal_end + 1);
    removed += check_finalized(task, ps, 1, FL_OUTCOME_ACCEPTED, &snap, false, contrib,
                               &rewards_sum, &slashes_sum);
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.model_round, 1);
    struct view *view = chain_view(chain);
    const uint8_t *model;
    size_t nmodel;
    ck_assert(fl_get_weights(view, 'M', task, 1, &model, &nmodel));
    ck_assert_uint_eq(nmodel, NPARAMS);
    ck_assert_mem_eq(model, expect_model, sizeof(expect_model));
    ck_assert(!fl_get_weights(view, 'C', task, 1, &model, &nmodel)); /* candidate dropped */
    view_free(view);
    reveal(&ps[voter], task, 1, 1, 52429, "bad-fl-round"); /* the round is over */
    ck_assert_uint_eq(st.round, 2);

    /* ---- Round 2: a bad update; the voters reject it; the lowest-stake
     * voter stays silent (no commit, no reveal). ---- */
    windows_of(task, 2, &win);
    for (int i = 0; i < NP; i++) {
        if (role_of(task, 2, &ps[i]) != FL_ROLE_PROPOSER)
            continue;
        honest_weights(w, 2, i);
        if (i == lowest(task, ps, 2, FL_ROLE_PROPOSER, -1))
            for (int j = 0; j < NPARAMS; j++)
                w[j] = 30000 * 65536; /* poisoned */
        update(&ps[i], task, 2, w, NPARAMS, NULL);
    }
    produce_checked();
    advance_to(win.commit_start);
    ck_assert(round_of(task, 2).has_candidate);
    int silent = lowest(task, ps, 2, FL_ROLE_VOTER, -1);
    ck_assert(silent >= 0);
    for (int i = 0; i < NP; i++)
        if (i != silent && role_of(task, 2, &ps[i]) == FL_ROLE_VOTER)
            commit(&ps[i], task, 2, -1, 30000, NULL);
    produce_checked();
    advance_to(win.reveal_start);
    reveal(&ps[silent], task, 2, -1, 30000, "bad-fl-no-commit");
    for (int i = 0; i < NP; i++)
        if (i != silent && role_of(task, 2, &ps[i]) == FL_ROLE_VOTER)
            reveal(&ps[i], task, 2, -1, 30000, NULL);
    produce_checked();
    take_snapshot(task, ps, &snap);
    advance_to(win.reveal_end + 1);
    removed += check_finalized(task, ps, 2, FL_OUTCOME_REJECTED, &snap, false, contrib,
                               &rewards_sum, &slashes_sum);
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.model_round, 1); /* the global model stays */
    ck_assert_uint_ge(removed, 1);        /* a low-stake party was slashed out */

    /* ---- Round 3: the lowest-stake proposer misses its submission, the
     * lowest-stake voter votes -1 against the others' +1: accepted. ---- */
    windows_of(task, 3, &win);
    int missing = lowest(task, ps, 3, FL_ROLE_PROPOSER, -1);
    for (int i = 0; i < NP; i++) {
        if (role_of(task, 3, &ps[i]) != FL_ROLE_PROPOSER || i == missing)
            continue;
        honest_weights(w, 3, i);
        update(&ps[i], task, 3, w, NPARAMS, NULL);
    }
    produce_checked();
    advance_to(win.commit_start);
    int against = lowest(task, ps, 3, FL_ROLE_VOTER, -1);
    ck_assert(against >= 0 && lowest(task, ps, 3, FL_ROLE_VOTER, against) >= 0);
    for (int i = 0; i < NP; i++)
        if (role_of(task, 3, &ps[i]) == FL_ROLE_VOTER)
            commit(&ps[i], task, 3, i == against ? -1 : 1, 40000, NULL);
    produce_checked();
    advance_to(win.reveal_start);
    for (int i = 0; i < NP; i++)
        if (role_of(task, 3, &ps[i]) == FL_ROLE_VOTER)
            reveal(&ps[i], task, 3, i == against ? -1 : 1, 40000, NULL);
    produce_checked();
    take_snapshot(task, ps, &snap);
    advance_to(win.reveal_end + 1);
    removed += check_finalized(task, ps, 3, FL_OUTCOME_ACCEPTED, &snap, false, contrib,
                               &rewards_sum, &slashes_sum);
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.model_round, 3);

    /* ---- Round 4 (the last): updates, commitments, but no reveal: void,
     * every voter slashed, no proposer slashed; then the task completes. ---- */
    windows_of(task, 4, &win);
    for (int i = 0; i < NP; i++) {
        if (role_of(task, 4, &ps[i]) != FL_ROLE_PROPOSER)
            continue;
        honest_weights(w, 4, i);
        update(&ps[i], task, 4, w, NPARAMS, NULL);
    }
    produce_checked();
    advance_to(win.commit_start);
    for (int i = 0; i < NP; i++)
        if (role_of(task, 4, &ps[i]) == FL_ROLE_VOTER)
            commit(&ps[i], task, 4, 1, 40000, NULL);
    produce_checked();
    advance_to(win.reveal_start);
    produce_checked();
    take_snapshot(task, ps, &snap);
    uint64_t creator_bal = balance_of(chain, creator.pub);
    struct fl_status before_end;
    ck_assert(status_of(task, &before_end));
    advance_to(win.reveal_end + 1);
    removed += check_finalized(task, ps, 4, FL_OUTCOME_VOID_NO_VOTES, &snap, true, contrib,
                               &rewards_sum, &slashes_sum);
    ck_assert(round_of(task, 4).model_round == 3);

    /* Completed: the pool's remainder back to the creator, stakes back. */
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.state, FL_TASK_COMPLETED);
    ck_assert_uint_eq(st.end_height, chain_height(chain));
    ck_assert_uint_eq(st.n_active, 0);
    ck_assert_uint_eq(balance_of(chain, creator.pub), creator_bal + st.returned);
    ck_assert_uint_eq(st.returned, before_end.pool + round_of(task, 4).slashed);

    /* Conservation over the whole task: pool in = paid + returned (+ 0
     * left), and every unit of stake came back or went to the pool. */
    ck_assert_uint_eq(st.pool, 0);
    ck_assert_uint_eq(tp.reward_pool + st.slashed, st.paid + st.returned);
    ck_assert_uint_eq(st.paid, rewards_sum);
    ck_assert_uint_eq(st.slashed, slashes_sum);
    ck_assert_uint_gt(slashes_sum, 0);
    ck_assert_uint_gt(rewards_sum, 0);
    for (int i = 0; i < NP; i++) {
        struct fl_participant p = participant_of(task, ps[i].pub);
        ck_assert_uint_eq(p.stake, 0);
        ck_assert_uint_eq(p.returned + p.slashed, stakes[i]);
        ck_assert(p.status == FL_PART_EXITED || p.status == FL_PART_REMOVED);
    }
    ck_assert(supply_audit(chain, &audit));
    ck_assert_uint_eq(audit.fl_pools, 0);
    ck_assert_uint_eq(audit.fl_stakes, 0);
    /* The round records stay; updates and candidates are gone. */
    view = chain_view(chain);
    for (uint32_t r = 1; r <= 4; r++) {
        ck_assert(fl_get_round(view, task, r, &rd));
        ck_assert(!fl_get_weights(view, 'C', task, r, &model, &nmodel));
    }
    view_free(view);
    produce_checked();
    reveal(&ps[0], task, 4, 1, 0, "bad-fl-round");
}
END_TEST

/* ---- cancellation, allow-list, limits, a round without updates ---- */

static int cmp_key(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

START_TEST(too_few_join_cancels)
{
    struct party creator, a, b;
    uint8_t task[32];
    struct fl_task_params tp = task_params();
    new_party(&creator, 2000 * COIN);
    new_party(&a, 100 * COIN);
    new_party(&b, 100 * COIN);
    produce_checked();
    create_task(&creator, &tp, NULL, task);
    memcpy(tracked[ntracked++], task, 32);
    produce_checked();
    uint64_t h0 = chain_height(chain);
    join(&a, task, 30 * COIN, NULL);
    join(&b, task, 15 * COIN, NULL);
    produce_checked();
    uint64_t ca = balance_of(chain, creator.pub), ba = balance_of(chain, a.pub),
             bb = balance_of(chain, b.pub);
    advance_to(h0 + tp.join_blocks + 1);
    struct fl_status st;
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.state, FL_TASK_CANCELLED);
    ck_assert_uint_eq(st.end_height, h0 + tp.join_blocks);
    ck_assert_uint_eq(balance_of(chain, creator.pub), ca + tp.reward_pool);
    ck_assert_uint_eq(balance_of(chain, a.pub), ba + 30 * COIN);
    ck_assert_uint_eq(balance_of(chain, b.pub), bb + 15 * COIN);
    ck_assert_uint_eq(participant_of(task, a.pub).status, FL_PART_EXITED);
    ck_assert_uint_eq(st.returned, tp.reward_pool);
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
    /* Allow p[0..2] (sorted), two seats, one round. */
    uint8_t allow[3][32];
    for (int i = 0; i < 3; i++)
        memcpy(allow[i], p[i].pub, 32);
    qsort(allow, 3, 32, cmp_key);
    struct fl_task_params tp = task_params();
    tp.min_participants = 2;
    tp.max_participants = 2;
    tp.rounds = 1;
    tp.n_allow = 3;
    tp.allow = allow[0];
    create_task(&creator, &tp, NULL, task);
    memcpy(tracked[ntracked++], task, 32);
    produce_checked();
    const uint64_t h0 = chain_height(chain);
    join(&p[3], task, 20 * COIN, "bad-fl-not-allowed");
    join(&p[0], task, 20 * COIN, NULL);
    join(&p[1], task, 25 * COIN, NULL);
    produce_checked();
    join(&p[2], task, 20 * COIN, "bad-fl-full");
    join(&p[3], task, 20 * COIN, "bad-fl-not-allowed"); /* checked before the seats */
    uint64_t creator_bal = balance_of(chain, creator.pub);
    struct fl_status st;
    advance_to(h0 + tp.join_blocks + 1);
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.state, FL_TASK_RUNNING);
    struct fl_round rd = round_of(task, 1);
    ck_assert_uint_eq(rd.n_proposers, 1);
    ck_assert_uint_eq(rd.n_voters, 1);
    /* Nobody submits: the round is void at the end of the submit window,
     * the proposer slashed, and (the last round) the task completes there. */
    int prop = role_of(task, 1, &p[0]) == FL_ROLE_PROPOSER ? 0 : 1;
    uint64_t stake = prop == 0 ? 20 * COIN : 25 * COIN, other = prop == 0 ? 25 * COIN : 20 * COIN;
    uint64_t bp = balance_of(chain, p[prop].pub), bv = balance_of(chain, p[1 - prop].pub);
    struct fl_windows win;
    windows_of(task, 1, &win);
    advance_to(win.submit_end + 1);
    rd = round_of(task, 1);
    ck_assert_uint_eq(rd.outcome, FL_OUTCOME_VOID_NO_UPDATES);
    ck_assert(!rd.has_candidate);
    uint64_t cut = stake * tp.slash_bps / 10000;
    ck_assert_uint_eq(rd.slashed, cut);
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.state, FL_TASK_COMPLETED);
    ck_assert_uint_eq(st.end_height, win.submit_end);
    ck_assert_uint_eq(balance_of(chain, p[prop].pub), bp + stake - cut);
    ck_assert_uint_eq(balance_of(chain, p[1 - prop].pub), bv + other);
    ck_assert_uint_eq(balance_of(chain, creator.pub), creator_bal + tp.reward_pool + cut);
    ck_assert_uint_eq(st.returned, tp.reward_pool + cut);
}
END_TEST

/* Two tasks side by side whose proposers all miss round 1: in the first the
 * slash leaves them at exactly the minimum stake and they stay; in the
 * second it leaves them one unit below and they are removed, which leaves
 * one participant, so that task completes at once. */
START_TEST(removal_at_the_minimum_stake)
{
    struct party creator, a[3], b[3];
    uint8_t ta[32], tb[32];
    struct fl_task_params tp = task_params();
    tp.rounds = 2;
    const uint64_t exact = 125 * COIN / 10;     /* 20% of it leaves 10 FML */
    const uint64_t under = exact - 2;            /* leaves 10 FML - 1 unit */
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
    memcpy(tracked[ntracked++], ta, 32);
    memcpy(tracked[ntracked++], tb, 32);
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
    advance_to(win.submit_end + 1);

    struct fl_status st;
    ck_assert(status_of(ta, &st));
    ck_assert_uint_eq(st.state, FL_TASK_RUNNING);
    ck_assert_uint_eq(st.round, 2);
    ck_assert_uint_eq(st.n_active, 3);
    ck_assert_uint_eq(round_of(ta, 1).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    for (int i = 0; i < 3; i++) {
        struct fl_participant p = participant_of(ta, a[i].pub);
        ck_assert_uint_eq(p.status, FL_PART_ACTIVE);
        ck_assert_uint_eq(p.stake, role_of(ta, 1, &a[i]) == FL_ROLE_PROPOSER ? tp.min_stake : exact);
    }

    ck_assert(status_of(tb, &st));
    ck_assert_uint_eq(st.state, FL_TASK_COMPLETED);
    ck_assert_uint_eq(st.end_height, win.submit_end);
    ck_assert_uint_eq(st.round, 1);
    int removed = 0;
    for (int i = 0; i < 3; i++) {
        struct fl_participant p = participant_of(tb, b[i].pub);
        bool proposer = role_of(tb, 1, &b[i]) == FL_ROLE_PROPOSER;
        uint64_t back = proposer ? tp.min_stake - 1 : under;
        ck_assert_uint_eq(p.status, proposer ? FL_PART_REMOVED : FL_PART_EXITED);
        ck_assert_uint_eq(p.stake, 0);
        ck_assert_uint_eq(p.returned, back);
        ck_assert_uint_eq(balance_of(chain, b[i].pub), bal[i] + back);
        removed += proposer;
    }
    ck_assert_int_eq(removed, 2);
}
END_TEST

/* ---- reorganization ---- */

START_TEST(reorganization_mid_round_restores_state_root)
{
    struct party creator, ps[3];
    uint8_t task[32];
    struct fl_task_params tp = task_params();
    tp.rounds = 2;
    new_party(&creator, 2000 * COIN);
    for (int i = 0; i < 3; i++)
        new_party(&ps[i], 100 * COIN);
    produce_checked();
    create_task(&creator, &tp, NULL, task);
    memcpy(tracked[ntracked++], task, 32);
    produce_checked();
    uint64_t h0 = chain_height(chain);
    for (int i = 0; i < 3; i++)
        join(&ps[i], task, (20 + 10 * (uint64_t)i) * COIN, NULL);
    advance_to(h0 + tp.join_blocks + 1);
    struct fl_windows win;
    windows_of(task, 1, &win);
    int32_t w[NPARAMS];
    for (int i = 0; i < 3; i++)
        if (role_of(task, 1, &ps[i]) == FL_ROLE_PROPOSER) {
            honest_weights(w, 1, i);
            update(&ps[i], task, 1, w, NPARAMS, NULL);
        }
    produce_checked();
    /* The fork point: updates in, no candidate yet. */
    uint8_t fork_root[32], fork_hash[32], root[32];
    chain_state_root(chain, fork_root);
    memcpy(fork_hash, chain_tip(chain)->hash, 32);
    advance_to(win.commit_start);
    struct fl_round rd = round_of(task, 1);
    ck_assert(rd.has_candidate);
    uint8_t cand[32];
    memcpy(cand, rd.candidate_hash, 32);
    for (int i = 0; i < 3; i++)
        if (role_of(task, 1, &ps[i]) == FL_ROLE_VOTER)
            commit(&ps[i], task, 1, 1, 1, NULL);
    produce_checked();
    ck_assert_uint_eq(round_of(task, 1).n_commits, 1);

    /* Disconnect the aggregation block and the commitment block. */
    struct validation v;
    ck_assert(chain_invalidate(chain, chain_at(chain, win.submit_end)->hash, &v));
    ck_assert_mem_eq(chain_tip(chain)->hash, fork_hash, 32);
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, fork_root, 32);
    rd = round_of(task, 1);
    ck_assert(!rd.has_candidate);
    ck_assert_uint_eq(rd.n_updates, 2);
    ck_assert_uint_eq(rd.n_commits, 0);
    check_invariants();

    /* The other branch (later slots) aggregates the same candidate and the
     * round finishes there. */
    uint64_t slot = chain_tip(chain)->hdr.slot + 50;
    produce_at(chain, pool, slot);
    check_invariants();
    ck_assert_uint_eq(chain_height(chain), win.submit_end);
    rd = round_of(task, 1);
    ck_assert(rd.has_candidate);
    ck_assert_mem_eq(rd.candidate_hash, cand, 32);
    for (int i = 0; i < 3; i++)
        if (role_of(task, 1, &ps[i]) == FL_ROLE_VOTER)
            commit(&ps[i], task, 1, 1, 1, NULL);
    produce_checked();
    advance_to(win.reveal_start);
    for (int i = 0; i < 3; i++)
        if (role_of(task, 1, &ps[i]) == FL_ROLE_VOTER)
            reveal(&ps[i], task, 1, 1, 1, NULL);
    advance_to(win.reveal_end + 1);
    ck_assert_uint_eq(round_of(task, 1).outcome, FL_OUTCOME_ACCEPTED);
    check_task_pool(task);
}
END_TEST


/* ---- work per height ---- */

/* A small task: 2 participants, stakes and pool of one unit, windows of one
 * block, starting at the end of block created + join_blocks. */
static struct fl_task_params small_task(uint32_t join_blocks)
{
    return fixture_fl_small_task(join_blocks, 100);
}

/* The value stored under key, or 0 bytes when absent. */
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

/* Events of many tasks at one height: each is its own small record (no list
 * rewritten per event), the height takes at most FL_MAX_HEIGHT_WORK of work
 * (the next creation aiming there is rejected, a round whose aggregation
 * would fall there starts one block later), and a reorganization of the
 * block that filled it restores the state root. */
START_TEST(events_at_one_height_are_bounded)
{
    enum { SENDERS = 40, RUN = 63 };
    /* Nobody joins them: each reserves only the base of its start. */
    const int ntasks = FL_MAX_HEIGHT_WORK / FL_EVENT_BASE_WORK;
    ck_assert_int_le(ntasks, SENDERS * RUN);
    struct party senders[SENDERS], a, b, creator;
    for (int i = 0; i < SENDERS; i++)
        new_party(&senders[i], 10 * COIN);
    new_party(&a, 10 * COIN);
    new_party(&b, 10 * COIN);
    new_party(&creator, 10 * COIN);
    produce_checked();
    uint8_t root_before[32];
    chain_state_root(chain, root_before);
    /* Every start at H = the next block + 5. */
    const uint64_t hnext = chain_height(chain) + 1, H = hnext + 5;
    struct fl_task_params t = small_task(5);
    uint8_t at_h[32];
    for (int i = 0; i < ntasks; i++)
        create_task(&senders[i / RUN], &t, NULL, i == 0 ? at_h : NULL);
    produce_checked();
    ck_assert_uint_eq(chain_height(chain), hnext);
    /* The height is full: one more start there is refused, and so is a
     * participant (the start would walk it). */
    struct fl_task_params late = small_task(4);
    create_task(&creator, &late, "bad-fl-queue-full", NULL);
    join(&a, at_h, 1, "bad-fl-queue-full");
    create_task(&creator, &t, NULL, NULL); /* H + 1 has room */
    /* No record grows with the number of events of a height. */
    uint8_t key[10] = {'f', 'Q'};
    write_be64(key + 2, H);
    ck_assert_msg(state_value_len(key, sizeof(key)) <= 64, "'f' 'Q' | H holds %zu bytes",
                  state_value_len(key, sizeof(key)));
    key[1] = 'q';
    ck_assert_uint_le(state_value_len(key, sizeof(key)), 64);
    struct view *v = chain_view(chain);
    struct fl_height hd;
    ck_assert(fl_get_height(v, H, &hd));
    ck_assert_uint_eq(hd.events, (uint32_t)ntasks);
    ck_assert_uint_eq(hd.work, FL_MAX_HEIGHT_WORK);
    view_free(v);

    /* Disconnecting the block restores the state; connecting it again
     * restores the queue. */
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

    /* A task whose round 1 would aggregate at H (started at H - 1, submit
     * window of one block) starts its round at H + 1 instead. */
    uint8_t task[32];
    struct fl_task_params x = small_task(3);
    create_task(&creator, &x, NULL, task);
    produce_checked();
    ck_assert_uint_eq(chain_height(chain) + x.join_blocks, H - 1);
    join(&a, task, 1, NULL);
    join(&b, task, 1, NULL);
    advance_to(H);
    struct fl_status st;
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.state, FL_TASK_RUNNING);
    ck_assert_uint_eq(st.round_start, H + 1);
    ck_assert_uint_eq(round_of(task, 1).start, H + 1);
    /* The height's events run (nobody joined them: all cancelled) and its
     * records go. */
    produce_checked();
    v = chain_view(chain);
    ck_assert(fl_get_height(v, H, &hd));
    ck_assert_uint_eq(hd.events, 0);
    ck_assert_uint_eq(hd.work, 0);
    view_free(v);
    uint8_t ekey[FL_KEY_EVENT_SIZE];
    fl_key_event(ekey, H, 0);
    ck_assert_uint_eq(state_value_len(ekey, sizeof(ekey)), 0);
}
END_TEST

/* A task whose rounds stay empty ends after two void rounds in a row: it
 * cannot keep its share of every height's work without transactions. */
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
    memcpy(tracked[ntracked++], task, 32);
    produce_checked();
    join(&a, task, 1, NULL);
    join(&b, task, 1, NULL);
    produce_checked(); /* joins; round 1 drawn */
    for (int i = 0; i < 8; i++)
        produce_checked();
    struct fl_status st;
    ck_assert(status_of(task, &st));
    ck_assert_msg(st.state == FL_TASK_COMPLETED, "task %s in round %u",
                  fl_task_state_name(st.state), st.round);
    ck_assert_uint_eq(st.round, 2);
    ck_assert_uint_eq(round_of(task, 1).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    ck_assert_uint_eq(round_of(task, 2).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    ck_assert_uint_eq(st.pool, 0);
}
END_TEST

/* Two tasks whose aggregations would together exceed FL_MAX_HEIGHT_WEIGHTS
 * at one height: the second round starts one block later.  A round reserves
 * the weights of the proposers it draws: 17 of 18 participants here. */
START_TEST(aggregated_weights_per_height_are_bounded)
{
    enum { N = 18 };
    struct party creator, p[2 * N];
    uint8_t ta[32], tb[32];
    new_party(&creator, 100 * COIN);
    for (int i = 0; i < 2 * N; i++)
        new_party(&p[i], 10 * COIN);
    produce_checked();
    struct fl_task_params t = small_task(2);
    t.rounds = 10;
    t.min_participants = t.max_participants = N;
    t.proposer_fraction_bps = 9999;
    /* N - 1 proposers x P just over half the height's weights. */
    uint32_t P = (uint32_t)(FL_MAX_HEIGHT_WEIGHTS / 2 / (N - 1) + 1);
    t.spec.sizes[0] = P - 1;
    t.submit_blocks = 10;
    ck_assert_uint_eq(fl_round_weights(&t, N), fl_aggregation_weights(&t));
    ck_assert_uint_gt(2 * fl_round_weights(&t, N), FL_MAX_HEIGHT_WEIGHTS);
    ck_assert_uint_le(fl_round_weights(&t, N), FL_MAX_HEIGHT_WEIGHTS);
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
}
END_TEST

static struct fl_height height_of(uint64_t h)
{
    struct fl_height hd;
    struct view *v = chain_view(chain);
    ck_assert(fl_get_height(v, h, &hd));
    view_free(v);
    return hd;
}

/* Creations of the largest empty tasks do not fill a height: a task's start
 * reserves FL_EVENT_BASE_WORK and one unit per participant who joined, not
 * FL_EVENT_BASE_WORK + max_participants (20 creations would fill a height,
 * and the heights ahead of an honest round, for 20 fees a height). */
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

/* The builder fills a block by block units (txtypes[].block_units), not by
 * count: with max_block_txs = 5, two FL_TASK_CREATEs (2 units each) and two
 * transfers (1 each) are 6 units, so whatever the order one of them waits
 * for the next block.  Counting transactions put all four in one block,
 * which block_check rejects (bad-blk-txns). */
START_TEST(the_builder_fills_blocks_by_units)
{
    struct party creator;
    struct block b;
    new_party(&creator, 100 * COIN);
    produce_checked();
    const uint32_t saved = params.max_block_txs; /* the chain's own parameters */
    params.max_block_txs = 5;
    struct fl_task_params t = small_task(5);
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

/* A round reserves what its draw can cost: the work of the task's
 * participants and the weights of the proposers drawn, not those of
 * max_participants. */
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
    memcpy(tracked[ntracked++], task, 32);
    produce_checked();
    join(&a, task, 1, NULL);
    join(&b, task, 1, NULL);
    produce_checked(); /* joins; round 1 drawn */
    struct fl_windows win;
    windows_of(task, 1, &win);
    struct fl_height agg = height_of(win.submit_end), fin = height_of(win.reveal_end);
    ck_assert_uint_eq(agg.work, FL_EVENT_BASE_WORK + 2);
    ck_assert_uint_eq(agg.weights, 1 * 2); /* one proposer of 2 parameters */
    ck_assert_uint_eq(fin.work, FL_EVENT_BASE_WORK + 2);
    ck_assert_uint_eq(fin.weights, 2); /* the candidate */

    /* Disconnecting the block of the joins and the start gives the start
     * height back its reservation (8 and a unit per join) and the round's
     * heights theirs; connecting it again restores the state root. */
    uint8_t root_after[32], root[32], hash[32];
    struct validation val;
    const uint64_t J = chain_height(chain);
    chain_state_root(chain, root_after);
    memcpy(hash, chain_tip(chain)->hash, 32);
    ck_assert(chain_invalidate(chain, hash, &val));
    ck_assert_uint_eq(height_of(J).work, FL_EVENT_BASE_WORK);
    ck_assert_uint_eq(height_of(J).events, 1);
    ck_assert_uint_eq(height_of(win.submit_end).work, 0);
    ck_assert_uint_eq(height_of(win.reveal_end).weights, 0);
    ck_assert(chain_reconsider(chain, hash, &val));
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, root_after, 32);
    ck_assert_uint_eq(height_of(J).work, 0);
    ck_assert_uint_eq(height_of(win.submit_end).work, FL_EVENT_BASE_WORK + 2);
}
END_TEST

/* A void round (no update) never finalizes: the work reserved for its
 * finalization is given back at its aggregation, not held unused until the
 * reveal end. */
START_TEST(a_void_round_gives_back_its_finalization)
{
    struct party creator, a, b;
    uint8_t task[32];
    new_party(&creator, 10 * COIN);
    new_party(&a, 10 * COIN);
    new_party(&b, 10 * COIN);
    produce_checked();
    struct fl_task_params t = small_task(1);
    t.commit_blocks = 3;
    create_task(&creator, &t, NULL, task);
    memcpy(tracked[ntracked++], task, 32);
    produce_checked();
    join(&a, task, 1, NULL);
    join(&b, task, 1, NULL);
    produce_checked(); /* joins; round 1 drawn */
    struct fl_windows win;
    windows_of(task, 1, &win);
    ck_assert_uint_eq(height_of(win.reveal_end).work, FL_EVENT_BASE_WORK + 2);
    advance_to(win.submit_end + 1); /* the void aggregation; round 2 drawn */
    ck_assert_uint_eq(round_of(task, 1).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    struct fl_windows win2;
    windows_of(task, 2, &win2);
    ck_assert_uint_ne(win2.submit_end, win.reveal_end);
    ck_assert_uint_ne(win2.reveal_end, win.reveal_end);
    struct fl_height fin = height_of(win.reveal_end);
    ck_assert_msg(fin.work == 0 && fin.weights == 0 && fin.events == 0,
                  "height %llu keeps work %u and %llu weights for %u events after the void round",
                  (unsigned long long)win.reveal_end, fin.work,
                  (unsigned long long)fin.weights, fin.events);
    uint8_t qkey[FL_KEY_QUEUE_SIZE];
    fl_key_queue(qkey, win.reveal_end);
    ck_assert_msg(state_value_len(qkey, sizeof(qkey)) == 0,
                  "an empty 'f' 'q' record stays at height %llu",
                  (unsigned long long)win.reveal_end);
    /* Disconnecting the aggregation block restores the reservation. */
    uint8_t root_after[32], root[32], hash[32];
    struct validation val;
    chain_state_root(chain, root_after);
    memcpy(hash, chain_tip(chain)->hash, 32);
    ck_assert(chain_invalidate(chain, hash, &val));
    ck_assert_uint_eq(height_of(win.reveal_end).work, FL_EVENT_BASE_WORK + 2);
    ck_assert(chain_reconsider(chain, hash, &val));
    chain_state_root(chain, root);
    ck_assert_mem_eq(root, root_after, 32);
}
END_TEST

/* Joins of different senders compete for a task's seats and its start
 * height's work: the mempool admits no more of them than the tip can take,
 * or the extra ones, failing in every block, would fill the builder's
 * candidates ahead of everything else (a block of 128 joins and no honest
 * transfer with 40,000 such joins pooled at a high fee). */
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
    struct fl_status st;
    ck_assert(status_of(task, &st));
    ck_assert_uint_eq(st.n_participants, 2);
    join(&ps[3], task, 1, "bad-fl-full");

    /* The start height's work: 8 of it left, 9 joiners of a large task. */
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

/* A finalization reads its round's candidate, writes it as the model and
 * deletes it: its P weights count at its height with the aggregations'.
 * Without them, thousands of tasks with 1 MB models could finalize at one
 * height, reading, writing and keeping in the undo record gigabytes in one
 * block. */
START_TEST(finalizations_count_their_candidates)
{
    enum { N = 18 };
    struct party creator, p[2 * N + 2];
    uint8_t ta[32], tb[32], tc[32];
    new_party(&creator, 100 * COIN);
    for (int i = 0; i < 2 * N + 2; i++)
        new_party(&p[i], 10 * COIN);
    produce_checked();
    /* Two aggregations of 17 proposers at J + 10 leave 89,985 weights there. */
    struct fl_task_params a = small_task(3), b;
    a.rounds = 10;
    a.min_participants = a.max_participants = N;
    a.proposer_fraction_bps = 9999;
    a.submit_blocks = 10;
    b = a;
    a.spec.sizes[0] = 235295 - 1;
    b.spec.sizes[0] = 230000 - 1;
    create_task(&creator, &a, NULL, ta);
    create_task(&creator, &b, NULL, tb);
    produce_checked();
    const uint64_t J = chain_height(chain) + a.join_blocks;
    /* A task of 100,000 parameters starting at J whose reveal ends at J + 10. */
    struct fl_task_params c = small_task(2);
    c.spec.sizes[0] = 100000 - 1;
    c.rounds = 10;
    c.reveal_blocks = 8;
    create_task(&creator, &c, NULL, tc);
    produce_checked();
    ck_assert_uint_eq(chain_height(chain) + c.join_blocks, J);
    for (int i = 0; i < N; i++) {
        join(&p[i], ta, 1, NULL);
        join(&p[N + i], tb, 1, NULL);
    }
    join(&p[2 * N], tc, 1, NULL);
    join(&p[2 * N + 1], tc, 1, NULL);
    advance_to(J + 1);
    ck_assert_uint_eq(round_of(ta, 1).start, J + 1);
    ck_assert_uint_eq(round_of(tb, 1).start, J + 1);
    ck_assert_uint_eq(height_of(J + 10).weights, 17 * 235295 + 17 * 230000);
    struct fl_windows win;
    windows_of(tc, 1, &win);
    ck_assert_msg(win.reveal_end != J + 10,
                  "the finalization of 100,000 weights falls at J + 10 with %llu reserved there",
                  (unsigned long long)height_of(J + 10).weights);
    ck_assert_uint_eq(round_of(tc, 1).start, J + 2);
    ck_assert_uint_le(height_of(J + 10).weights, FL_MAX_HEIGHT_WEIGHTS);
}
END_TEST

/* One cheap update every other round does not keep a task's rounds
 * running: a round with an update and no vote is void too (no votes), so a
 * void round then an update alone end the task. */
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
    memcpy(tracked[ntracked++], task, 32);
    produce_checked();
    join(&ps[0], task, 1, NULL);
    join(&ps[1], task, 2, NULL);
    produce_checked(); /* round 1 drawn */
    struct fl_windows win;
    windows_of(task, 1, &win);
    advance_to(win.submit_end + 1); /* round 1 void; round 2 drawn */
    ck_assert_uint_eq(round_of(task, 1).outcome, FL_OUTCOME_VOID_NO_UPDATES);
    windows_of(task, 2, &win);
    advance_to(win.submit_start);
    const int32_t w[2] = {1, 2};
    for (int i = 0; i < 2; i++)
        if (role_of(task, 2, &ps[i]) == FL_ROLE_PROPOSER)
            update(&ps[i], task, 2, w, 2, NULL);
    advance_to(win.reveal_end + 1);
    struct fl_round r2 = round_of(task, 2);
    ck_assert_uint_eq(r2.n_updates, 1);
    ck_assert_uint_eq(r2.outcome, FL_OUTCOME_VOID_NO_VOTES);
    struct fl_status st;
    ck_assert(status_of(task, &st));
    ck_assert_msg(st.state == FL_TASK_COMPLETED, "task %s in round %u",
                  fl_task_state_name(st.state), st.round);
}
END_TEST

/* A task of many participants whose rounds see a handful of transactions is
 * quiet: an update and one vote every other round kept a 1,000-participant
 * task reserving 2 x 1,008 of work a round (30 such tasks, 15 transactions a
 * block, held every height's work).  With 64 drawn, a round needs 8 updates
 * and reveals; a void round then a round of 1 update and 1 reveal end it. */
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
    memcpy(tracked[ntracked++], task, 32);
    produce_checked();
    for (int i = 0; i < N; i++)
        join(&ps[i], task, 1, NULL);
    produce_checked(); /* round 1 drawn */
    struct fl_windows win;
    windows_of(task, 1, &win);
    advance_to(win.submit_end + 1); /* round 1 void; round 2 drawn */
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
    update(&ps[proposer], task, 2, w, 2, NULL);
    advance_to(win.commit_start);
    commit(&ps[voter], task, 2, 1, 0, NULL);
    advance_to(win.reveal_start);
    reveal(&ps[voter], task, 2, 1, 0, NULL);
    advance_to(win.reveal_end + 1);
    struct fl_round r2 = round_of(task, 2);
    ck_assert_uint_eq(r2.outcome, FL_OUTCOME_ACCEPTED);
    ck_assert(fl_round_quiet(&r2));
    struct fl_status st;
    ck_assert(status_of(task, &st));
    ck_assert_msg(st.state == FL_TASK_COMPLETED, "task %s in round %u after a void and a quiet round",
                  fl_task_state_name(st.state), st.round);
}
END_TEST

/* Updates a submit window's last block cannot take leave the pool when the
 * window ends: kept, they would fill the builder's candidates (by fee rate)
 * in the next blocks until the per-block rotation (8 MB) reached them. */
START_TEST(fl_transactions_leave_the_pool_when_their_window_ends)
{
    enum { N = 17, P = 249960 };
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
    t.proposer_fraction_bps = 9999; /* 16 proposers */
    t.submit_blocks = 8;
    create_task(&creator, &t, NULL, task);
    produce_checked();
    for (int i = 0; i < N; i++)
        join(&ps[i], task, 1, NULL);
    produce_checked(); /* round 1 drawn */
    struct fl_windows win;
    windows_of(task, 1, &win);
    advance_to(win.submit_end);
    /* Every proposer's 1 MB update for the window's last block, which takes 3. */
    uint8_t *weights = calloc(P, 4);
    ck_assert(weights != NULL);
    int sent = 0;
    for (int i = 0; i < N; i++) {
        if (role_of(task, 1, &ps[i]) != FL_ROLE_PROPOSER)
            continue;
        struct fl_update u;
        struct wbuf w;
        struct tx tx;
        memcpy(u.task, task, 32);
        u.round = 1;
        u.n = P;
        u.weights = weights;
        wbuf_init(&w);
        fl_update_encode(&u, &w);
        make_tx_sec(&tx, ps[i].sec, TX_FL_UPDATE, &w, mempool_next_nonce(pool, ps[i].pub),
                    2 * fl_update_tx_size(P));
        submit(&tx, NULL);
        tx_free(&tx);
        wbuf_free(&w);
        sent++;
    }
    free(weights);
    ck_assert_int_eq(sent, 16);
    produce_checked();
    ck_assert_uint_eq(round_of(task, 1).n_updates, 3);
    ck_assert_msg(mempool_count(pool) == 0, "%zu updates for a closed window still pooled",
                  mempool_count(pool));
}
END_TEST

static Suite *fl_state_suite(void)
{
    Suite *s = suite_create("fl_state");
    TCase *tc = tcase_create("fl_state");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, whole_task);
    tcase_add_test(tc, too_few_join_cancels);
    tcase_add_test(tc, allow_list_limit_and_round_without_updates);
    tcase_add_test(tc, removal_at_the_minimum_stake);
    tcase_add_test(tc, reorganization_mid_round_restores_state_root);
    tcase_add_test(tc, events_at_one_height_are_bounded);
    tcase_add_test(tc, two_void_rounds_end_the_task);
    tcase_add_test(tc, aggregated_weights_per_height_are_bounded);
    tcase_add_test(tc, empty_tasks_do_not_fill_a_height);
    tcase_add_test(tc, rounds_reserve_what_they_draw);
    tcase_add_test(tc, a_void_round_gives_back_its_finalization);
    tcase_add_test(tc, joins_beyond_what_a_task_can_take_are_not_pooled);
    tcase_add_test(tc, finalizations_count_their_candidates);
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
