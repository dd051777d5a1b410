/* Blocks at the bounds of the FL rules against a full block of transfers.
 *
 * On a regtest chain in a temporary directory, one run measures the time
 * chain_process_block takes to validate and connect (signatures, state
 * transition, undo, state root, the LevelDB write) each of:
 *
 *   transfers       20,000 TRANSFERs to new accounts: the reference;
 *   task creates    a full block of FL_TASK_CREATEs (10,000: max_block_txs
 *                   block units, two each) whose starts fill three heights
 *                   to FL_MAX_HEIGHT_WORK (2,500 empty tasks each) and, with
 *                   two joins each, 2,000 more a fourth;
 *   cancels         a height of FL_MAX_HEIGHT_WORK of starts with nobody joined;
 *   small starts    a height of FL_MAX_HEIGHT_WORK of starts of 2-participant tasks
 *                   (each draws round 1);
 *   empty rounds    their reveal end: as many void round-1 finalizations (the
 *                   proposer slashed, round 2 drawn), the most empty rounds
 *                   one block can run whatever the number of tasks;
 *   joins           a full block of FL_JOINs (10,000, two units each) into
 *                   1,000-participant tasks;
 *   large starts    a height of starts of 1,000-participant tasks (19 of them);
 *   large voids     their void round-1 finalizations;
 *   large ends      their void round-2 finalizations, which end the tasks:
 *                   every stake (19,000 accounts) returned;
 *   finalization    one height finalizing a round that reserves
 *                   FL_MAX_HEIGHT_WEIGHTS weights: 31 slots among 32
 *                   participants, every update drawn (1 MB, 249,950 weights)
 *                   committed, revealed and accepted, their median written
 *                   as the model (bench_fl measures the other per-height
 *                   bounds, verdicts and work, on a state written directly);
 *
 * and prints each time with its ratio to the reference.  Options: -reps=N
 * runs the whole sequence N times (default 2) and keeps each minimum;
 * -addressindex keeps the address index (chain_open_with) while connecting;
 * -transfers measures only the reference block (compare its time with and
 * without -addressindex for the cost of the index).
 */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "consensus/txtypes.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/fl.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/chain_fixture.h"
#include "tests/regtest_signer.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define FEE 10000
#define NKEYS 512         /* funded senders */
#define PER_KEY 64        /* MEMPOOL_MAX_RUN */
#define NTX 20000
#define HEIGHTS 3         /* heights the empty creates fill */
#define FAR 200           /* join window of the creates left over */
#define BIG_TASKS ((FL_MAX_HEIGHT_WORK) / (FL_EVENT_BASE_WORK + FL_MAX_PARTICIPANTS))
#define NPARTIES (BIG_TASKS * FL_MAX_PARTICIPANTS) /* a joiner per seat */
#define AGG_P 249950      /* the largest model whose update reveal fits max_tx_size */
#define FIN_SLOTS (FL_MAX_HEIGHT_WEIGHTS / AGG_P - 1) /* (slots + 1) x P within a height */

struct key {
    uint8_t sec[SECKEY_SIZE];
    uint8_t pub[PUBKEY_SIZE];
};

static struct chain *chain;
static struct mempool *pool;
static struct key keys[NKEYS];
static struct key parties[NPARTIES];
static char datadir[256];

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_blocks: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void new_key(struct key *k)
{
    randombytes_buf(k->sec, SECKEY_SIZE);
    if (!key_pubkey(k->pub, k->sec))
        die("key");
}

/* Builds the next block (by its slot's leader) from the pool. */
static void build(struct block *b)
{
    uint8_t leader[PUBKEY_SIZE];
    struct validation v;
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    struct view *view = chain_view(chain);
    if (!staking_leader_for(view, &params, chain_tip(chain)->hdr.slot, slot, leader))
        die("no leader");
    view_free(view);
    if (!builder_build(chain, pool, leader, slot, &regtest_signer, b, &v))
        die("build: %s %s", v.reason, v.detail);
}

/* Builds and connects the next block; returns the seconds connecting took
 * and the block's transaction count in *ntx. */
static double produce(size_t *ntx)
{
    struct block b;
    struct validation v;
    build(&b);
    if (ntx)
        *ntx = b.ntx;
    double t0 = now();
    if (!chain_process_block(chain, &b, &v))
        die("process: %s %s", v.reason, v.detail);
    double t = now() - t0;
    block_free(&b);
    return t;
}

/* A line of /proc/self/status in kB (0 when unavailable). */
static long proc_status_kb(const char *field)
{
    char line[256];
    long kb = 0;
    size_t n = strlen(field);
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kb = atol(line + n + 1);
    fclose(f);
    return kb;
}

/* Resets the peak resident size (Linux; ignored elsewhere). */
static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static void produce_to(uint64_t height)
{
    while (chain_height(chain) < height)
        produce(NULL);
}

static void send(const uint8_t sec[SECKEY_SIZE], uint8_t type, const struct wbuf *w,
                 uint64_t fee, uint8_t txid[HASH_SIZE])
{
    struct tx tx;
    struct validation v;
    tx_init(&tx);
    tx.type = type;
    if (!key_pubkey(tx.sender, sec))
        die("key");
    tx.nonce = mempool_next_nonce(pool, tx.sender);
    tx.fee = fee;
    if (!tx_set_payload(&tx, w->data, w->len) || !tx_sign(&tx, params.genesis_hash, sec, NULL))
        die("tx");
    if (txid)
        tx_txid(&tx, txid);
    if (!mempool_add(pool, &tx, 0, &v))
        die("mempool: %s %s", v.reason, v.detail);
    tx_free(&tx);
}

static void transfer(const uint8_t sec[SECKEY_SIZE], const uint8_t to[PUBKEY_SIZE], uint64_t amount)
{
    struct transfer t;
    struct wbuf w;
    memcpy(t.to, to, PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    send(sec, TX_TRANSFER, &w, FEE, NULL);
    wbuf_free(&w);
}

static void create(const uint8_t sec[SECKEY_SIZE], const struct fl_task_params *t,
                   uint8_t id[HASH_SIZE])
{
    struct wbuf w;
    wbuf_init(&w);
    fl_task_params_encode(t, &w);
    send(sec, TX_FL_TASK_CREATE, &w, FEE, id);
    wbuf_free(&w);
}

static void join(const uint8_t sec[SECKEY_SIZE], const uint8_t task[HASH_SIZE], uint64_t stake)
{
    struct fl_join j;
    struct wbuf w;
    memcpy(j.task, task, HASH_SIZE);
    j.stake = stake;
    wbuf_init(&w);
    fl_join_encode(&j, &w);
    send(sec, TX_FL_JOIN, &w, FEE, NULL);
    wbuf_free(&w);
}

static struct fl_task_params small_task(uint32_t join_blocks)
{
    return fixture_fl_small_task(join_blocks, FL_MAX_ROUNDS);
}

struct figures {
    double transfers, creates, cancels, small_starts, empty_rounds, joins, large_starts,
        large_voids, large_ends, finalization;
    double fin_mb, fin_peak_mb; /* update bytes finalized; peak memory above the start */
    uint32_t fin_updates;
};

static void expect_ntx(size_t got, size_t want, const char *what)
{
    if (got != want)
        die("%s: %zu transactions in the block, expected %zu", what, got, want);
}

static bool opt_addrindex, opt_transfers_only;

static void cleanup(void)
{
    mempool_free(pool);
    chain_close(chain);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", datadir);
    if (system(cmd) != 0)
        die("rm");
}

static void run(struct figures *f)
{
    char err[256] = "";
    size_t ntx;
    snprintf(datadir, sizeof(datadir), "/tmp/fml-bench-blocks-XXXXXX");
    if (!mkdtemp(datadir))
        die("mkdtemp");
    chain = chain_open_with(&params, datadir, &(struct chain_options){.addrindex = opt_addrindex}, err, sizeof(err));
    if (!chain)
        die("chain_open: %s", err);
    pool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);

    /* Fund the senders (64 a validator a block), then the parties. */
    for (int i = 0; i < NKEYS; i++) {
        new_key(&keys[i]);
        transfer(secrets[i % REGTEST_VALIDATORS], keys[i].pub, 200 * COIN);
        if (i % (REGTEST_VALIDATORS * PER_KEY) == REGTEST_VALIDATORS * PER_KEY - 1)
            produce(NULL);
    }
    produce(NULL);
    for (int i = 0; i < NPARTIES; i++) {
        new_key(&parties[i]);
        transfer(keys[i % NKEYS].sec, parties[i].pub, COIN);
    }
    produce(NULL);

    /* The reference: 20,000 transfers to new accounts. */
    for (int i = 0; i < NTX; i++) {
        struct key to;
        new_key(&to);
        transfer(keys[i / PER_KEY].sec, to.pub, COIN);
    }
    f->transfers = produce(&ntx);
    expect_ntx(ntx, NTX, "transfers");
    if (opt_transfers_only) {
        cleanup();
        return;
    }

    /* A full block of task creations (max_block_txs block units): 2,500
     * empty ones (each reserves its start's FL_EVENT_BASE_WORK) for each of
     * three heights, which fills them; 2,000 at the fourth, which two joins
     * each fill; 500 far ahead. */
    const uint32_t per_height = FL_MAX_HEIGHT_WORK / FL_EVENT_BASE_WORK;
    const uint32_t joined = FL_MAX_HEIGHT_WORK / (FL_EVENT_BASE_WORK + 2);
    const int ncreate = (int)(params.max_block_txs / txtype_block_units(TX_FL_TASK_CREATE));
    if ((uint64_t)per_height * HEIGHTS + joined > (uint64_t)ncreate || ncreate > NTX)
        die("the creates do not fit %d heights", HEIGHTS + 1);
    static uint8_t ids[NTX][HASH_SIZE];
    for (int i = 0; i < ncreate; i++) {
        uint32_t at = (uint32_t)i < per_height * HEIGHTS ? 1 + (uint32_t)(i % HEIGHTS)
                      : (uint32_t)i < per_height * HEIGHTS + joined ? HEIGHTS + 1
                                                                     : FAR;
        struct fl_task_params t = small_task(at);
        create(keys[i / PER_KEY].sec, &t, ids[i]);
    }
    f->creates = produce(&ntx);
    expect_ntx(ntx, (size_t)ncreate, "creates");
    const uint64_t hc = chain_height(chain);
    {
        struct view *v = chain_view(chain);
        struct fl_height h;
        for (uint64_t k = 1; k <= HEIGHTS; k++)
            if (!fl_get_height(v, hc + k, &h) || h.work != FL_MAX_HEIGHT_WORK)
                die("height %llu not full", (unsigned long long)(hc + k));
        view_free(v);
    }
    /* The tasks starting at hc + HEIGHTS + 1 get two participants each. */
    for (uint32_t i = per_height * HEIGHTS, n = 0; n < joined; i++, n++) {
        join(keys[(2 * n) % NKEYS].sec, ids[i], 1);
        join(keys[(2 * n + 1) % NKEYS].sec, ids[i], 1);
    }
    produce(&ntx); /* hc + 1: the joins, and the first height's cancels */
    expect_ntx(ntx, 2 * joined, "joins");
    {
        struct view *v = chain_view(chain);
        struct fl_height h;
        if (!fl_get_height(v, hc + HEIGHTS + 1, &h) || h.work != FL_MAX_HEIGHT_WORK)
            die("the joined tasks' height is not full");
        view_free(v);
    }
    f->cancels = produce(NULL); /* hc + 2 */
    produce_to(hc + HEIGHTS);
    f->small_starts = produce(NULL); /* hc + HEIGHTS + 1: round 1 drawn for each */
    {
        struct fl_round r1;
        struct fl_windows w1;
        const struct fl_task_params st1 = small_task(1);
        struct view *v = chain_view(chain);
        if (!fl_get_round(v, ids[per_height * HEIGHTS], 1, &r1))
            die("small round not drawn");
        view_free(v);
        fl_round_windows(&st1, r1.start, &w1);
        produce_to(w1.reveal_end - 1);
    }
    f->empty_rounds = produce(NULL); /* void, slashed, round 2 drawn */

    /* Tasks of 1,000 participants: as many as one height's work allows. */
    struct fl_task_params big = small_task(20); /* past the small tasks' reservations */
    big.max_participants = FL_MAX_PARTICIPANTS;
    static uint8_t big_ids[BIG_TASKS][HASH_SIZE];
    for (int i = 0; i < BIG_TASKS; i++)
        create(keys[i].sec, &big, big_ids[i]);
    produce(NULL);
    const uint64_t hb = chain_height(chain);
    for (int i = 0; i < BIG_TASKS; i++)
        for (int p = 0; p < FL_MAX_PARTICIPANTS; p++)
            join(parties[i * FL_MAX_PARTICIPANTS + p].sec, big_ids[i], 1);
    /* Two blocks: the first full (max_block_txs block units of joins). */
    f->joins = produce(&ntx);
    expect_ntx(ntx, params.max_block_txs / txtype_block_units(TX_FL_JOIN), "large joins");
    produce(&ntx);
    expect_ntx(ntx, (size_t)BIG_TASKS * FL_MAX_PARTICIPANTS -
                        params.max_block_txs / txtype_block_units(TX_FL_JOIN),
               "the other large joins");
    produce_to(hb + big.join_blocks - 1);
    f->large_starts = produce(NULL);
    for (uint32_t r = 1; r <= 2; r++) {
        struct fl_round rr;
        struct fl_windows ww;
        struct view *v = chain_view(chain);
        if (!fl_get_round(v, big_ids[0], r, &rr))
            die("large round %u not drawn", r);
        view_free(v);
        fl_round_windows(&big, rr.start, &ww);
        produce_to(ww.reveal_end - 1);
        if (r == 1)
            f->large_voids = produce(NULL);
        else
            f->large_ends = produce(NULL);
    }
    {
        struct fl_status bst;
        struct view *v = chain_view(chain);
        if (!fl_get_status(v, big_ids[0], &bst) || bst.state != FL_TASK_COMPLETED)
            die("the large tasks did not end");
        view_free(v);
    }

    /* The largest finalization one height allows by weights: one task of
     * FIN_SLOTS + 1 participants drawing FIN_SLOTS slots, (FIN_SLOTS + 1) x
     * AGG_P weights within FL_MAX_HEIGHT_WEIGHTS: every proposer drawn
     * commits to and reveals a 1 MB update, every participant (proposers
     * too) accepts them all,
     * and the finalization reads them, takes their median, writes the model
     * and deletes them. */
    struct fl_task_params agg = small_task(1);
    agg.spec.sizes[0] = AGG_P - 1;
    agg.rounds = 1;
    agg.max_participants = agg.min_participants = FIN_SLOTS + 1;
    agg.proposer_slots = FIN_SLOTS;
    agg.aggregator = FL_AGG_MEDIAN;
    while (!fl_window_carries(&params, agg.update_reveal_blocks, TX_FL_UPDATE_REVEAL, FIN_SLOTS,
                              fl_update_reveal_tx_size(AGG_P)))
        agg.update_reveal_blocks++;
    if (fl_finalize_weights(&agg) > FL_MAX_HEIGHT_WEIGHTS)
        die("finalization task too large");
    uint8_t agg_id[HASH_SIZE];
    create(keys[0].sec, &agg, agg_id);
    produce(NULL);
    for (uint32_t p = 0; p < FIN_SLOTS + 1; p++)
        join(parties[p].sec, agg_id, 1);
    produce(NULL); /* joins, start: round 1 drawn */
    struct fl_round rd;
    struct view *view = chain_view(chain);
    if (!fl_get_round(view, agg_id, 1, &rd))
        die("finalization round not drawn");
    view_free(view);
    struct fl_windows win;
    fl_round_windows(&agg, rd.start, &win);
    produce_to(rd.start - 1);
    uint8_t *weights = malloc((size_t)AGG_P * 4);
    if (!weights)
        die("out of memory");
    static const uint8_t salt[32] = {7};
    bool proposer[FIN_SLOTS + 1];
    uint32_t nprop = 0;
    /* Each proposer's update: random bytes from a seed of its index. */
    uint8_t seed[randombytes_SEEDBYTES];
    for (uint32_t p = 0; p < FIN_SLOTS + 1; p++) {
        struct fl_entry e;
        view = chain_view(chain);
        proposer[p] = fl_get_entry(view, agg_id, 1, parties[p].pub, &e) &&
                      e.role == FL_ROLE_PROPOSER;
        view_free(view);
        if (!proposer[p])
            continue;
        nprop++;
        struct fl_update_commit c;
        struct wbuf w;
        uint8_t mh[HASH_SIZE];
        memset(seed, (int)p, sizeof(seed));
        randombytes_buf_deterministic(weights, (size_t)AGG_P * 4, seed);
        fl_model_hash(mh, weights, AGG_P);
        memcpy(c.task, agg_id, HASH_SIZE);
        c.round = 1;
        fl_update_commitment(c.commitment, agg_id, 1, parties[p].pub, mh, salt);
        wbuf_init(&w);
        fl_update_commit_encode(&c, &w);
        send(parties[p].sec, TX_FL_UPDATE_COMMIT, &w, FEE, NULL);
        wbuf_free(&w);
    }
    produce_to(win.update_reveal_start - 1);
    for (uint32_t p = 0; p < FIN_SLOTS + 1; p++) {
        if (!proposer[p])
            continue;
        struct fl_update_reveal u;
        struct wbuf w;
        memset(seed, (int)p, sizeof(seed));
        randombytes_buf_deterministic(weights, (size_t)AGG_P * 4, seed);
        memcpy(u.task, agg_id, HASH_SIZE);
        u.round = 1;
        memcpy(u.salt, salt, 32);
        u.n = AGG_P;
        u.weights = weights;
        wbuf_init(&w);
        fl_update_reveal_encode(&u, &w);
        send(parties[p].sec, TX_FL_UPDATE_REVEAL, &w, 2 * fl_update_reveal_tx_size(AGG_P), NULL);
        wbuf_free(&w);
    }
    free(weights);
    produce_to(win.update_reveal_end);
    if (mempool_count(pool) != 0)
        die("update reveals left in the pool");
    uint8_t verdicts[FL_VERDICT_SIZE * FL_MAX_SLOTS];
    memset(verdicts, 0, sizeof(verdicts));
    for (uint32_t i = 0; i < nprop; i++)
        verdicts[FL_VERDICT_SIZE * i] = 1;
    /* Every participant votes, proposers too (+1 on its own update, not
     * counted). */
    for (uint32_t p = 0; p < FIN_SLOTS + 1; p++) {
        struct fl_vote_commit c;
        struct wbuf w;
        memcpy(c.task, agg_id, HASH_SIZE);
        c.round = 1;
        fl_vote_commitment(c.commitment, agg_id, 1, parties[p].pub, nprop, verdicts, salt);
        wbuf_init(&w);
        fl_vote_commit_encode(&c, &w);
        send(parties[p].sec, TX_FL_VOTE_COMMIT, &w, FEE, NULL);
        wbuf_free(&w);
    }
    produce_to(win.reveal_start - 1);
    for (uint32_t p = 0; p < FIN_SLOTS + 1; p++) {
        struct fl_vote_reveal rv;
        struct wbuf w;
        memcpy(rv.task, agg_id, HASH_SIZE);
        rv.round = 1;
        memcpy(rv.salt, salt, 32);
        rv.n = nprop;
        rv.verdicts = verdicts;
        wbuf_init(&w);
        fl_vote_reveal_encode(&rv, &w);
        send(parties[p].sec, TX_FL_VOTE_REVEAL, &w, FEE, NULL);
        wbuf_free(&w);
    }
    produce_to(win.reveal_end - 1);
    long rss0 = proc_status_kb("VmRSS");
    reset_peak_rss();
    f->finalization = produce(NULL);
    f->fin_peak_mb = (double)(proc_status_kb("VmHWM") - rss0) / 1024;
    f->fin_mb = (double)nprop * AGG_P * 4 / 1048576;
    f->fin_updates = nprop;
    view = chain_view(chain);
    if (!fl_get_round(view, agg_id, 1, &rd) || rd.outcome != FL_OUTCOME_ACCEPTED ||
        rd.n_accepted != nprop)
        die("the finalization accepted %u of %u updates", rd.n_accepted, nprop);
    view_free(view);
    cleanup();
}

static void keep_min(double *best, double t, int rep)
{
    if (rep == 0 || t < *best)
        *best = t;
}

int main(int argc, char **argv)
{
    int reps = 2;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-reps=", 6) == 0)
            reps = atoi(argv[i] + 6);
        else if (strcmp(argv[i], "-addressindex") == 0)
            opt_addrindex = true;
        else if (strcmp(argv[i], "-transfers") == 0)
            opt_transfers_only = true;
        else
            die("usage: bench_blocks [-reps=N] [-addressindex] [-transfers]");
    }
    if (reps < 1 || !regtest_keys_init())
        die("setup");
    struct figures best, f;
    memset(&best, 0, sizeof(best));
    memset(&f, 0, sizeof(f));
    for (int r = 0; r < reps; r++) {
        run(&f);
        keep_min(&best.transfers, f.transfers, r);
        if (opt_transfers_only)
            continue;
        keep_min(&best.creates, f.creates, r);
        keep_min(&best.cancels, f.cancels, r);
        keep_min(&best.small_starts, f.small_starts, r);
        keep_min(&best.empty_rounds, f.empty_rounds, r);
        keep_min(&best.joins, f.joins, r);
        keep_min(&best.large_starts, f.large_starts, r);
        keep_min(&best.large_voids, f.large_voids, r);
        keep_min(&best.large_ends, f.large_ends, r);
        keep_min(&best.finalization, f.finalization, r);
        keep_min(&best.fin_peak_mb, f.fin_peak_mb, r);
        best.fin_mb = f.fin_mb;
        best.fin_updates = f.fin_updates;
    }
    const uint32_t small = FL_MAX_HEIGHT_WORK / (FL_EVENT_BASE_WORK + 2),
                   empty = FL_MAX_HEIGHT_WORK / FL_EVENT_BASE_WORK;
    struct {
        const char *what;
        double t;
    } rows[] = {
        {"20,000 transfers (reference)", best.transfers},
        {"10,000 FL_TASK_CREATEs (a full block), 4 heights filled", best.creates},
        {"a full height of cancellations (nobody joined)", best.cancels},
        {"a full height of starts, 2 participants", best.small_starts},
        {"a full height of void rounds, 2 participants", best.empty_rounds},
        {"10,000 FL_JOINs (a full block) into 1,000-participant tasks", best.joins},
        {"a full height of starts, 1,000 participants", best.large_starts},
        {"a full height of void rounds, 1,000 participants", best.large_voids},
        {"a full height of task ends, 19,000 stakes returned", best.large_ends},
        {"finalization reserving FL_MAX_HEIGHT_WEIGHTS (median of 1 MB updates)",
         best.finalization},
    };
    if (opt_transfers_only) {
        printf("20,000 transfers to new accounts, address index %s: connect %.1f ms "
               "(minimum of %d run(s))\n",
               opt_addrindex ? "on" : "off", best.transfers * 1e3, reps);
        params_free(&params);
        return 0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("Blocks at the FL bounds (work %d a height: %u empty starts, %u small or %d large "
           "events; %d weights aggregated a height), minimum of %d run(s):\n\n",
           FL_MAX_HEIGHT_WORK, empty, small, BIG_TASKS, FL_MAX_HEIGHT_WEIGHTS, reps);
    printf("| block | connect (ms) | ratio to transfers |\n|---|---:|---:|\n");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        printf("| %s | %.1f | %.2f |\n", rows[i].what, rows[i].t * 1e3,
               rows[i].t / best.transfers);
    printf("\nThe finalization block: %u updates drawn to distinct proposers of %d slots, "
           "%.1f MiB of updates, peak memory %.1f MiB above the start of the block (%.1fx).  "
           "Max RSS of the run %ld MiB.\n",
           best.fin_updates, FIN_SLOTS, best.fin_mb, best.fin_peak_mb,
           best.fin_peak_mb / best.fin_mb, ru.ru_maxrss / 1024);
    params_free(&params);
    return 0;
}
