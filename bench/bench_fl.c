/* Benchmarks of the FL round's heavy parts.
 *
 * 1. Aggregation: k updates of n Q16.16 weights (default 64 x 1,000,000,
 *    i.e. 256 MB of updates), each of weight 1 (k slots), aggregated with
 *    each aggregator of consensus/fl.h, timed against a plain memory-read
 *    pass over the same bytes measured in the same run (-aggregation=0
 *    skips it).
 * 2. The worst-case finalization of a round, against a block of -transfers
 *    TRANSFERs on the same regtest chain (stateless checks, the state
 *    transition and the state root, as bench_staking measures): a task of
 *    FL_MAX_PARTICIPANTS (1,000) participants, FL_MAX_SLOTS (64) slots
 *    drawn to 64 distinct proposers (the most updates a round can read:
 *    64 x 1,000 is within FL_MAX_TASK_VERDICTS), P = FL_MAX_ROUND_WEIGHTS /
 *    1,000 = 64,000 parameters (the largest a 1,000-participant task may
 *    have), every update revealed and every one of the 1,000 participants
 *    (proposers vote too) revealing 64 verdicts (64,000 verdicts read, a
 *    proposer's own not counted), all accepted (the aggregation over
 *    all 64 updates, 1,000 payouts with their match), written into a view
 *    over the chain state; the empty block at the round's reveal end runs
 *    it.  Once per aggregator.
 *
 * Each figure is the minimum over -reps repetitions; the ratios are what
 * stays comparable across machines.
 *
 *   bench_fl [-k=64] [-n=1000000] [-reps=5] [-seed=1] [-aggregation=1]
 *            [-transfers=20000]
 *
 * The clock and the pseudo-random inputs live here only: nothing of this
 * program reaches consensus. */
#include "bench/bench_chain.h"
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/fl.h"
#include "state/accounts.h"
#include "state/apply.h"
#include "state/chain.h"
#include "state/fl.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/fl_aggregate_ref.h"
#include "tests/regtest_signer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Reads every byte once (8 at a time, four independent sums so the loop is
 * bound by memory, not by a dependency chain). */
static uint64_t read_pass(const uint8_t *p, size_t len)
{
    uint64_t a = 0, b = 0, c = 0, d = 0, w[4];
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        memcpy(w, p + i, 32);
        a += w[0];
        b += w[1];
        c += w[2];
        d += w[3];
    }
    for (; i < len; i++)
        a += p[i];
    return a ^ b ^ c ^ d;
}


/* ---- the aggregation ---- */

/* The aggregation of k updates of n weights by each aggregator: the tiled
 * fl_aggregate (with the CPU's instruction set and with the build's
 * baseline only) and the first implementation (tests/fl_aggregate_ref.h),
 * against a read pass of the same bytes.  Each repetition runs them all in
 * turn, so a disturbance of the machine hits every column alike; each
 * figure is the minimum over the repetitions.  The three implementations'
 * results are compared byte for byte. */
static int bench_aggregation(uint64_t k, uint64_t n, uint64_t reps, uint64_t seed)
{
    const size_t bytes = (size_t)(k * n * 4);
    uint8_t *data = malloc(bytes), *out = malloc((size_t)n * 4), *out2 = malloc((size_t)n * 4);
    struct fl_update_ref *refs = calloc((size_t)k, sizeof(*refs));
    if (!data || !out || !out2 || !refs) {
        fprintf(stderr, "out of memory (%zu bytes of updates)\n", bytes);
        return 1;
    }
    /* Weights within +-8.0 around a common model, as trained updates are;
     * one slot each (a round's k slots drawn to k proposers). */
    uint64_t s = seed;
    for (size_t i = 0; i < (size_t)(k * n); i++)
        write_le32(data + 4 * i, (uint32_t)(int32_t)((int64_t)(next_rand(&s) % (16 * FL_Q16_ONE)) - 8 * FL_Q16_ONE));
    for (size_t i = 0; i < k; i++) {
        refs[i].weights = data + 4 * i * (size_t)n;
        refs[i].weight = 1;
    }

    static const struct {
        const char *name;
        uint8_t agg;
        uint16_t trim;
    } runs[] = {
        {"fedavg", FL_AGG_FEDAVG, 0},
        {"median", FL_AGG_MEDIAN, 0},
        {"trimmed_mean:8", FL_AGG_TRIMMED_MEAN, 8},
    };
    enum { NRUNS = sizeof(runs) / sizeof(runs[0]) };
    /* [aggregator][0 tiled, 1 tiled baseline only, 2 first] */
    double best[NRUNS][3], best_read = 1e30;
    uint64_t sink = 0;
    for (size_t a = 0; a < NRUNS; a++)
        best[a][0] = best[a][1] = best[a][2] = 1e30;
    for (uint64_t r = 0; r < reps; r++) {
        double t = now_seconds();
        sink ^= read_pass(data, bytes);
        t = now_seconds() - t;
        if (t < best_read)
            best_read = t;
        for (size_t a = 0; a < NRUNS; a++)
            for (int v = 0; v < 3; v++) {
                fl_aggregate_baseline_only(v == 1);
                t = now_seconds();
                bool ok = v == 2 ? fl_aggregate_ref(runs[a].agg, runs[a].trim, refs, (size_t)k,
                                                    (size_t)n, out2)
                                 : fl_aggregate(runs[a].agg, runs[a].trim, refs, (size_t)k,
                                                (size_t)n, v ? out2 : out);
                t = now_seconds() - t;
                fl_aggregate_baseline_only(false);
                if (!ok) {
                    fprintf(stderr, "%s failed\n", runs[a].name);
                    return 1;
                }
                if (t < best[a][v])
                    best[a][v] = t;
                if (v && memcmp(out, out2, (size_t)n * 4) != 0) {
                    fprintf(stderr, "%s: the implementations disagree\n", runs[a].name);
                    return 1;
                }
                sink ^= read_le32(out);
            }
    }
    printf("FL aggregation: %" PRIu64 " updates x %" PRIu64 " parameters = %.1f MB, "
           "min of %" PRIu64 " runs\n",
           k, n, (double)bytes / 1e6, reps);
    printf("\n| aggregator | time (ms) | read passes | ratio | baseline ISA (ms) | ratio "
           "| first implementation (ms) | ratio | speed-up |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    printf("| memory read pass | %.1f | 1.00 | 1.00 | | | | | |\n", best_read * 1e3);
    for (size_t a = 0; a < NRUNS; a++)
        printf("| %s | %.1f | %.2f | %.2f | %.1f | %.2f | %.1f | %.2f | %.1f |\n", runs[a].name,
               best[a][0] * 1e3, best[a][0] / best_read, best_read / best[a][0],
               best[a][1] * 1e3, best_read / best[a][1], best[a][2] * 1e3,
               best_read / best[a][2], best[a][2] / best[a][0]);
    printf("\n");
    fprintf(stderr, "(checksum %016" PRIx64 ")\n", sink);
    free(data);
    free(out);
    free(out2);
    free(refs);
    return 0;
}

/* ---- the worst-case finalization ---- */

static char dir[] = "/tmp/fml-bench-fl-XXXXXX";

/* n TRANSFERs of 1 FML from the four validators to new accounts. */
static void fill_transfers(struct block *b, uint64_t n)
{
    struct wbuf w;
    uint64_t nonce[REGTEST_VALIDATORS] = {0};
    wbuf_init(&w);
    for (uint64_t i = 0; i < n; i++) {
        size_t from = (size_t)(i % REGTEST_VALIDATORS);
        struct transfer t = {.amount = COIN};
        uint8_t sec[SECKEY_SIZE];
        struct tx tx;
        memset(sec, 0, SECKEY_SIZE);
        write_be64(sec, i + 1);
        sec[31] = 1;
        if (!key_pubkey(t.to, sec)) /* a new account each */
            die("key", NULL);
        wbuf_reset(&w);
        transfer_encode(&t, &w);
        tx_init(&tx);
        tx.type = TX_TRANSFER;
        memcpy(tx.sender, pubs[from], PUBKEY_SIZE);
        tx.nonce = nonce[from]++;
        tx.fee = 100000;
        if (!tx_set_payload(&tx, w.data, w.len) ||
            !tx_sign(&tx, params.genesis_hash, secrets[from], NULL) || !block_add_tx(b, &tx))
            die("making transactions", NULL);
        tx_free(&tx);
    }
    wbuf_free(&w);
}

enum { FIN_M = FL_MAX_PARTICIPANTS, FIN_K = FL_MAX_SLOTS };
#define FIN_P ((uint32_t)(FL_MAX_ROUND_WEIGHTS / FL_MAX_PARTICIPANTS))

/* One finalizing task: m participants, k distinct proposers of one slot,
 * P parameters. */
struct fin_shape {
    uint32_t m, k, P;
};

static int cmp_key(const void *a, const void *b)
{
    return memcmp(a, b, PUBKEY_SIZE);
}

/* A task finalizing at its reveal end h, into v: sh.k distinct proposers
 * of one slot (the first sh.k keys), every update revealed (distinct random
 * weights), every participant (proposers too) revealing sh.k +1 verdicts;
 * the FINALIZE event queued at h with what the round reserves (false when h
 * has no room). */
static bool fin_state(struct view *v, uint64_t h, uint8_t aggregator, uint64_t *seed,
                      struct fin_shape sh, uint8_t tag)
{
    static uint8_t keys[FIN_M][PUBKEY_SIZE];
    uint8_t id[FL_TASK_ID_SIZE], key[FL_KEY_TASK_SIZE];
    struct wbuf w;
    const size_t FIN_M_ = sh.m, FIN_K_ = sh.k;
    const uint32_t FIN_P_ = sh.P;
    for (size_t i = 0; i < FIN_M_; i++) {
        memset(keys[i], 0, PUBKEY_SIZE);
        write_be64(keys[i], next_rand(seed));
        keys[i][31] = 2;
    }
    qsort(keys, FIN_M_, PUBKEY_SIZE, cmp_key);
    memset(id, tag, sizeof(id));
    struct fl_task t;
    memset(&t, 0, sizeof(t));
    t.created_height = 1;
    t.p.spec.kind = FL_MODEL_LOGREG;
    t.p.spec.n_sizes = 2;
    t.p.spec.sizes[0] = FIN_P_ - 1;
    t.p.spec.sizes[1] = 1;
    t.p.rounds = 1;
    t.p.min_participants = 2;
    t.p.max_participants = (uint16_t)FIN_M_;
    t.p.min_stake = 1;
    t.p.proposer_slots = (uint16_t)FIN_K_;
    t.p.join_blocks = t.p.submit_blocks = t.p.update_reveal_blocks = 1;
    t.p.commit_blocks = t.p.reveal_blocks = 1;
    t.p.aggregator = aggregator;
    t.p.trim_k = aggregator == FL_AGG_TRIMMED_MEAN ? 8 : 0;
    t.p.slash_bps = 1000;
    t.p.voter_reward_bps = 3000;
    t.p.budget = 1000000 * COIN;
    if (fl_param_count(&t.p.spec) != FIN_P_ || fl_finalize_weights(&t.p) > FL_MAX_HEIGHT_WEIGHTS ||
        (uint64_t)FIN_K_ * FIN_M_ > FL_MAX_TASK_VERDICTS)
        die("the finalization task exceeds the bounds", NULL);
    fl_key_task(key, 'T', id);
    wbuf_init(&w);
    fl_task_encode(&t, &w);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_reset(&w);
    put_compact(&w, FIN_M_);
    put_bytes(&w, keys, FIN_M_ * PUBKEY_SIZE);
    fl_key_task(key, 'L', id);
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
    /* Windows of one block: the round started at h - 3 (wrapping below 0
     * for the chain's first block), its reveal end is h. */
    const uint64_t start = h - 3;
    struct fl_windows win;
    fl_round_windows(&t.p, start, &win);
    if (win.reveal_end != h)
        die("fl windows", NULL);
    struct fl_status st;
    memset(&st, 0, sizeof(st));
    st.state = FL_TASK_RUNNING;
    st.round = 1;
    st.round_start = start;
    st.n_participants = st.n_active = (uint16_t)FIN_M_;
    st.budget = t.p.budget;
    st.burn = fl_burn(t.p.budget, params.fl_burn_bps);
    st.budget_left = st.budget - st.burn;
    memset(st.model_hash, 0x5a, HASH_SIZE);
    fl_put_status(v, id, &st);
    uint8_t *weights = malloc((size_t)FIN_P_ * 4);
    uint8_t verdicts[FL_VERDICT_SIZE * FL_MAX_SLOTS];
    if (!weights)
        die("out of memory", NULL);
    for (size_t i = 0; i < FIN_K_; i++) {
        verdicts[FL_VERDICT_SIZE * i] = 1;
        write_le32(verdicts + FL_VERDICT_SIZE * i + 1, 50000);
    }
    struct fl_round rd;
    memset(&rd, 0, sizeof(rd));
    rd.start = start;
    rd.n_proposers = rd.n_slots = (uint16_t)FIN_K_;
    rd.n_voters = (uint16_t)(FIN_M_ - FIN_K_);
    for (size_t i = 0; i < FIN_M_; i++) {
        struct fl_participant p;
        struct fl_entry e;
        memset(&p, 0, sizeof(p));
        p.status = FL_PART_ACTIVE;
        p.stake = (1 + next_rand(seed) % 1000) * COIN;
        p.joined_height = 1;
        memset(&e, 0, sizeof(e));
        e.stake = p.stake;
        uint8_t ukey[FL_KEY_ENTRY_SIZE];
        /* Every participant votes, proposers too. */
        e.vote_flags = FL_VOTE_COMMITTED | FL_VOTE_REVEALED;
        e.verdicts = (uint16_t)FIN_K_;
        fl_key_entry(ukey, 'V', id, 1, keys[i]);
        view_put(v, ukey, sizeof(ukey), verdicts, FL_VERDICT_SIZE * FIN_K_);
        rd.n_vote_reveals++;
        rd.voting_stake += e.stake;
        if (i < FIN_K_) {
            e.flags = FL_ENTRY_COMMITTED | FL_ENTRY_REVEALED;
            e.role = FL_ROLE_PROPOSER;
            e.slots = 1;
            e.size = FIN_P_;
            for (size_t j = 0; j < FIN_P_; j++)
                write_le32(weights + 4 * j,
                           (uint32_t)(int32_t)((int64_t)(next_rand(seed) % (16 * FL_Q16_ONE)) -
                                               8 * FL_Q16_ONE));
            fl_model_hash(e.model_hash, weights, FIN_P_);
            fl_key_entry(ukey, 'U', id, 1, keys[i]);
            view_put(v, ukey, sizeof(ukey), weights, (size_t)FIN_P_ * 4);
            p.rounds_proposer = 1;
            rd.n_update_reveals++;
        } else {
            e.role = FL_ROLE_VOTER;
            p.rounds_voter = 1;
        }
        fl_put_participant(v, id, keys[i], &p);
        fl_put_entry(v, id, 1, keys[i], &e);
    }
    fl_put_round(v, id, 1, &rd);
    free(weights);
    return fl_schedule_event(v, h, id, FL_EV_FINALIZE, fl_event_work_for(FIN_M_),
                             fl_round_weights(&t.p, (uint32_t)FIN_M_),
                             fl_round_verdicts((uint32_t)FIN_K_, (uint32_t)FIN_M_));
}

static int bench_finalization(uint64_t ntransfers, uint64_t reps, uint64_t seed)
{
    if (!regtest_keys_init())
        return 2;
    struct chain *c = bench_open_chain(dir);
    if (!c)
        return 1;
    struct block transfers, empty;
    block_init(&transfers);
    block_init(&empty);
    make_header(c, &transfers.hdr);
    empty.hdr = transfers.hdr;
    fill_transfers(&transfers, ntransfers);
    seal(&transfers);
    seal(&empty);
    /* max_block_txs lifted when -transfers asks for more than a block. */
    struct chain_params saved = params;
    if (params.max_block_txs < ntransfers)
        params.max_block_txs = (uint32_t)ntransfers;
    double t_tx = best_of(c, NULL, &transfers, reps);
    params = saved;
    double t_empty = best_of(c, NULL, &empty, reps);
    static const struct {
        const char *name;
        uint8_t agg;
    } aggs[] = {{"fedavg", FL_AGG_FEDAVG}, {"median", FL_AGG_MEDIAN},
                {"trimmed_mean:8", FL_AGG_TRIMMED_MEAN}};
    /* The shapes: the largest task (verdicts and participants); a full
     * height by weights (64 slots among 65, (64 + 1) x P just under
     * FL_MAX_HEIGHT_WEIGHTS); a full height by verdicts (as many of the
     * largest task with P = 2 as FL_MAX_HEIGHT_VERDICTS takes). */
    const struct fin_shape largest = {FIN_M, FIN_K, FIN_P};
    const struct fin_shape by_weights = {FIN_K + 1, FIN_K,
                                         (uint32_t)(FL_MAX_HEIGHT_WEIGHTS / (FIN_K + 1))};
    const struct fin_shape by_verdicts = {FIN_M, FIN_K, 2};
    const uint32_t n_by_verdicts = FL_MAX_HEIGHT_VERDICTS / (FIN_K * FIN_M);
    /* The bounds at once: the weights less what the others reserve, one
     * fewer task of the verdicts (every participant votes: each of those
     * reserves 64,000 verdicts, and 1,000-participant tasks of one slot
     * 1,000 each, so the work cannot be filled beside four of them), and
     * the work filled with 1,000-participant tasks of one slot. */
    const struct fin_shape w_less = {FIN_K + 1, FIN_K,
                                     (uint32_t)((FL_MAX_HEIGHT_WEIGHTS - 4000) / (FIN_K + 1))};
    const struct fin_shape one_slot = {FIN_M, 1, 2};
    struct part {
        struct fin_shape sh;
        uint32_t tasks;
    };
    const struct {
        const char *what;
        struct part parts[3];
    } shapes[] = {
        {"the largest task: 1,000 participants, 64 updates of 64,000, 64,000 verdicts",
         {{largest, 1}}},
        {"a height full of weights: 65 participants, 64 updates of 123,076", {{by_weights, 1}}},
        {"a height full of verdicts: 4 tasks of 1,000, 256,000 verdicts, P = 2",
         {{by_verdicts, n_by_verdicts}}},
        {"a height full of weights and work, 212,160 verdicts (20 tasks, 19,225 work)",
         {{w_less, 1}, {by_verdicts, n_by_verdicts - 1}, {one_slot, 16}}},
    };
    printf("\nFL finalizations at the bounds (distinct proposers of one slot, every update "
           "and vote revealed, all accepted) against %" PRIu64 " TRANSFERs, min of %" PRIu64
           " runs (stateless checks + transition + state root)\n\n",
           ntransfers, reps);
    printf("| block | aggregator | time (ms) | ratio |\n|---|---|---:|---:|\n");
    printf("| %" PRIu64 " TRANSFERs | | %.1f | 1.00 |\n", ntransfers, t_tx * 1e3);
    printf("| an empty block | | %.1f | %.3f |\n", t_empty * 1e3, t_empty / t_tx);
    for (size_t sh = 0; sh < sizeof(shapes) / sizeof(shapes[0]); sh++)
        for (size_t a = 0; a < sizeof(aggs) / sizeof(aggs[0]); a++) {
            struct view *base = chain_view(c);
            uint64_t s = seed;
            struct fin_shape made[32];
            uint32_t ntasks = 0;
            for (size_t q = 0; q < 3; q++)
                for (uint32_t j = 0; j < shapes[sh].parts[q].tasks; j++) {
                    made[ntasks] = shapes[sh].parts[q].sh;
                    if (!fin_state(base, transfers.hdr.height, aggs[a].agg, &s, made[ntasks],
                                   (uint8_t)(0xa0 + ntasks)))
                        die("the height's room", NULL);
                    ntasks++;
                }
            /* The finalizations really ran: the model of round 1 is written. */
            struct view *check = view_new(NULL, base);
            struct validation v;
            if (!apply_block(check, &params, &chain_tip(c)->hdr, &empty, &v))
                die("apply_block", &v);
            for (uint32_t j = 0; j < ntasks; j++) {
                uint8_t id[FL_TASK_ID_SIZE];
                struct fl_round rd;
                const uint8_t *model;
                size_t n;
                memset(id, 0xa0 + (int)j, sizeof(id));
                if (!fl_get_round(check, id, 1, &rd) || rd.outcome != FL_OUTCOME_ACCEPTED ||
                    rd.n_accepted != made[j].k || !fl_get_weights(check, 'M', id, 1, &model, &n) ||
                    n != made[j].P)
                    die("the finalization", NULL);
            }
            view_free(check);
            double t = best_of(c, base, &empty, reps);
            printf("| %s | %s | %.1f | %.2f |\n", shapes[sh].what, aggs[a].name, t * 1e3,
                   t / t_tx);
            view_free(base);
        }
    block_free(&transfers);
    block_free(&empty);
    chain_close(c);
    remove_dir();
    return 0;
}

/* The initial-model hash of task creations without initial weights, near
 * the largest parameter count: fl_zero_model_hash (cached hasher states)
 * against hashing the zeros (what a creation cost before the cache). */
static int bench_zero_model_hash(uint64_t count)
{
    const uint64_t base = 240000;
    uint8_t *zeros = calloc(base + 3 * count, 4), out[HASH_SIZE];
    if (!zeros)
        return 1;
    double t0 = now_seconds();
    for (uint64_t i = 0; i < count; i++)
        fl_model_hash(out, zeros, (size_t)(base + 3 * i));
    double plain = now_seconds() - t0;
    t0 = now_seconds();
    for (uint64_t i = 0; i < count; i++)
        fl_zero_model_hash(out, base + 3 * i);
    double cached = now_seconds() - t0;
    free(zeros);
    printf("\nZero-model hashes of %" PRIu64 " task creations of about 250,000 parameters:\n\n"
           "| hash | time (ms) | ratio |\n|---|---:|---:|\n| the zeros hashed | %.1f | 1.00 |\n"
           "| fl_zero_model_hash | %.1f | %.4f |\n",
           count, plain * 1e3, cached * 1e3, cached / plain);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t k = 64, n = 1000000, reps = 5, seed = 1, aggregation = 1, transfers = 20000,
             finalization = 1;
    bool sizes_given = false;
    for (int i = 1; i < argc; i++) {
        if (arg_u64(argv[i], "-k", &k) || arg_u64(argv[i], "-n", &n)) {
            sizes_given = true;
            continue;
        }
        if (!arg_u64(argv[i], "-reps", &reps) && !arg_u64(argv[i], "-seed", &seed) &&
            !arg_u64(argv[i], "-aggregation", &aggregation) &&
            !arg_u64(argv[i], "-transfers", &transfers) &&
            !arg_u64(argv[i], "-finalization", &finalization)) {
            fprintf(stderr,
                    "usage: %s [-k=64] [-n=1000000] [-reps=5] [-seed=1] [-aggregation=1] "
                    "[-transfers=20000] [-finalization=1]\n",
                    argv[0]);
            return 2;
        }
    }
    if (k == 0 || n == 0 || reps == 0 || transfers == 0)
        return 2;
    if (aggregation) {
        /* The default: 64 x 1,000,000, and a finalization's most weights at
         * the per-height bound (64 x 123,076, doc/protocol.md 17.13). */
        int rc = bench_aggregation(k, n, reps, seed);
        if (!rc && !sizes_given)
            rc = bench_aggregation(FL_MAX_SLOTS, FL_MAX_HEIGHT_WEIGHTS / (FL_MAX_SLOTS + 1), reps,
                                  seed);
        if (rc)
            return rc;
    }
    if (!finalization)
        return 0;
    if (bench_zero_model_hash(500))
        return 1;
    return bench_finalization(transfers, reps, seed);
}
