/* The AI Arena's events at their bounds against a full block of transfers.
 *
 * On a regtest chain in a temporary directory, one run measures the time
 * chain_process_block takes to validate and connect (signatures, state
 * transition, undo, state root, the LevelDB write) each of:
 *
 *   transfers   20,000 TRANSFERs to new accounts: the reference;
 *   settle      one height of ARENA_MAX_HEIGHT_WORK of SETTLEs of the
 *               largest tasks (64 trainers, 64 validators, 8 sets, 16 draws a
 *               set, every validator scoring every set: 8 x 64 x 64 losses
 *               read a task; 8 x 64 chunks of 16 KiB deleted a task;
 *               delegations on every operator);
 *   assign      a height of ASSIGNs of tasks with 64 trainers and 64
 *               validators (8 sets x 16 draws each);
 *   close       a height of CLOSEs of such tasks, every trainer slashed for
 *               a missed reveal;
 *   vest        a height of VESTs of such tasks, every operator paid a
 *               tranche and its delegators credited one.
 *
 * The tasks' records are written straight into the chain's state before
 * the block that runs their events (with the state root kept: the lanes
 * are updated as a block's changes would), as the transactions of earlier
 * blocks would have left them, with their events queued at the next
 * height.  Options: -reps=N (default 2) keeps each minimum. */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/arena.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "state/arenaevents.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/chain_internal.h"
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
#include <time.h>

#define FEE 10000
#define NKEYS 320
#define PER_KEY 64
#define NTX 20000
#define NT ARENA_MAX_TRAINERS
#define NV ARENA_MAX_VALIDATORS
#define NOPS (NT + NV)
#define CHUNK_BYTES 16384

struct key {
    uint8_t sec[SECKEY_SIZE];
    uint8_t pub[PUBKEY_SIZE];
};

static struct chain *chain;
static struct mempool *pool;
static struct key keys[NKEYS];
static char datadir[256];

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_arena: ");
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

static double produce(size_t *ntx)
{
    uint8_t leader[PUBKEY_SIZE];
    struct validation v;
    struct block b;
    uint64_t slot = chain_tip(chain)->hdr.slot + 1;
    struct view *view = chain_view(chain);
    if (!staking_leader_for(view, &params, chain_tip(chain)->hdr.slot, slot, leader))
        die("no leader");
    view_free(view);
    if (!builder_build(chain, pool, leader, slot, &regtest_signer, &b, &v))
        die("build: %s %s", v.reason, v.detail);
    if (ntx)
        *ntx = b.ntx;
    double t0 = now();
    if (!chain_process_block(chain, &b, &v))
        die("process: %s %s", v.reason, v.detail);
    double t = now() - t0;
    block_free(&b);
    return t;
}

static void transfer(const uint8_t sec[SECKEY_SIZE], const uint8_t to[PUBKEY_SIZE], uint64_t amount)
{
    struct transfer t;
    struct wbuf w;
    struct tx tx;
    struct validation v;
    memcpy(t.to, to, PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    tx_init(&tx);
    tx.type = TX_TRANSFER;
    if (!key_pubkey(tx.sender, sec))
        die("key");
    tx.nonce = mempool_next_nonce(pool, tx.sender);
    tx.fee = FEE;
    if (!tx_set_payload(&tx, w.data, w.len) || !tx_sign(&tx, params.genesis_hash, sec, NULL))
        die("tx");
    if (!mempool_add(pool, &tx, 0, &v))
        die("mempool: %s %s", v.reason, v.detail);
    tx_free(&tx);
    wbuf_free(&w);
}

/* ---- writing a view's changes straight into the chain's state ---- */

static void inject(struct view *v)
{
    size_t n;
    const struct view_change *ch = view_changes(v, &n);
    struct db_batch *batch = db_batch_new();
    uint8_t *key = malloc(1 + 4096);
    if (view_failed(v) || !batch || !key)
        die("inject");
    for (size_t i = 0; i < n; i++) {
        chain_prefixed_key(key, 's', ch[i].key, ch[i].klen);
        if (ch[i].has_cur)
            db_batch_put(batch, key, ch[i].klen + 1, ch[i].cur, ch[i].cur_len);
        else
            db_batch_del(batch, key, ch[i].klen + 1);
    }
    chain_lthash_apply(&chain->lt, ch, n);
    chain_batch_meta(batch, &chain->lt, tip_of(chain)->hash);
    if (!db_write(chain->state, batch, false))
        die("db_write");
    db_batch_free(batch);
    free(key);
}

static void put(struct view *v, const uint8_t *key, size_t klen, struct wbuf *w)
{
    if (w->failed)
        die("encode");
    view_put_wbuf(v, key, klen, w);
    wbuf_free(w);
    wbuf_init(w);
}

/* ---- the largest task ---- */

static struct arena_task big_task(uint64_t created)
{
    struct arena_task t;
    memset(&t, 0, sizeof(t));
    struct arena_task_params *p = &t.p;
    p->spec.kind = FL_MODEL_LOGREG;
    p->spec.n_sizes = 2;
    p->spec.sizes[0] = 1023; /* rows of 4 KiB */
    p->spec.sizes[1] = 1;
    p->loss = ARENA_LOSS_LOGLOSS;
    p->k = ARENA_MAX_SETS;
    for (int k = 0; k < p->k; k++) {
        p->sets[k].root[0] = (uint8_t)k;
        p->sets[k].n_chunks = ARENA_MAX_CHUNKS;
        p->sets[k].n_rows = ARENA_MAX_SET_BYTES / 4096;
    }
    p->submit_blocks = p->reveal_blocks = p->score_commit_blocks = p->score_reveal_blocks = 1;
    p->budget = 1000 * COIN;
    p->gamma_bps = 2000;
    p->q_bps = 8000;
    p->delta_bps = 3000;
    p->d_bps = 5000;
    p->epsilon = 100;
    p->vest_epochs = ARENA_MAX_VEST;
    p->draws_per_set = ARENA_MAX_DRAWS;
    p->max_trainers = NT;
    p->max_validators = NV;
    p->trainer_min_stake = COIN;
    p->validator_min_stake = COIN;
    p->slash_bps = 1000;
    t.created_height = created;
    memset(t.creator, 0xcc, PUBKEY_SIZE);
    arena_windows_at(p, created, &t.w);
    return t;
}

static void put_be32(uint8_t *p, uint32_t x)
{
    p[0] = (uint8_t)(x >> 24);
    p[1] = (uint8_t)(x >> 16);
    p[2] = (uint8_t)(x >> 8);
    p[3] = (uint8_t)x;
}

static void op_key(uint8_t out[PUBKEY_SIZE], uint32_t task, uint32_t i)
{
    memset(out, 0, PUBKEY_SIZE);
    put_be32(out, task);
    out[4] = (uint8_t)i;
    out[31] = 0x77;
}

enum stage { AT_ASSIGN, AT_CLOSE, AT_SETTLE, AT_VEST };

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Writes task number `tn` as its transactions would have left it before the
 * event of `stage`, queued as event `seq` of height h. */
static void write_task(struct view *v, uint32_t tn, enum stage stage, uint64_t h, uint32_t seq)
{
    uint8_t id[HASH_SIZE], key[ARENA_KEY_DEL_SIZE + 8];
    struct wbuf w;
    memset(id, 0, sizeof(id));
    put_be32(id, tn);
    id[31] = (uint8_t)stage;
    struct arena_task t = big_task(h > 10 ? h - 10 : 1);
    wbuf_init(&w);
    arena_key_task(key, 'T', id);
    arena_task_encode(&t, &w);
    put(v, key, ARENA_KEY_TASK_SIZE, &w);

    struct arena_status st;
    memset(&st, 0, sizeof(st));
    st.state = stage == AT_ASSIGN ? ARENA_OPEN : stage == AT_CLOSE ? ARENA_REVEAL
               : stage == AT_SETTLE ? ARENA_SCORING : ARENA_SETTLED;
    st.n_trainers = NT;
    st.n_validators = NV;
    st.n_commits = NT;
    st.n_scoreable = stage >= AT_SETTLE ? NT : 0;
    st.sets_complete = 0xff;
    st.burn = 100 * COIN;
    st.budget_left = stage == AT_VEST ? 0 : 900 * COIN;
    if (stage == AT_VEST) {
        st.distributed = 900 * COIN;
        st.paid = 270 * COIN;
        st.vest_pending = 630 * COIN;
    }
    arena_key_task(key, 'S', id);
    arena_status_encode(&st, &w);
    put(v, key, ARENA_KEY_TASK_SIZE, &w);

    uint8_t list[NOPS][PUBKEY_SIZE];
    for (uint32_t i = 0; i < NOPS; i++)
        op_key(list[i], tn, i);
    arena_key_task(key, 'L', id);
    arena_list_encode(&list[0][0], NOPS, &w);
    put(v, key, ARENA_KEY_TASK_SIZE, &w);

    for (uint32_t i = 0; i < NOPS; i++) {
        struct arena_operator o;
        memset(&o, 0, sizeof(o));
        o.role = i < NT ? ARENA_ROLE_TRAINER : ARENA_ROLE_VALIDATOR;
        o.own = 10 * COIN;
        o.del_total = o.del_value = 5 * COIN;
        o.del_count = 3;
        o.sigma_bps = 2500;
        if (o.role == ARENA_ROLE_TRAINER) {
            o.flags = ARENA_OP_COMMITTED;
            o.seq = i;
            if (stage != AT_CLOSE)
                o.flags |= ARENA_OP_REVEALED;
            memset(o.model_hash, (int)i + 1, HASH_SIZE);
        }
        if (stage >= AT_CLOSE) {
            o.flags |= ARENA_OP_ELIGIBLE;
            o.stake_snapshot = o.own + o.del_total;
        }
        if (stage >= AT_SETTLE && o.role == ARENA_ROLE_VALIDATOR) {
            /* The reserved worst case: every validator drawn for every set. */
            for (int k = 0; k < ARENA_MAX_SETS; k++)
                o.count[k] = 2;
            o.flags |= ARENA_OP_SCORE_COMMITTED | ARENA_OP_SCORE_REVEALED;
        }
        if (stage == AT_VEST) {
            o.own = 0;
            o.flags |= ARENA_OP_RETURNED;
            o.f = 7 * COIN;
            o.f_del = COIN;
            o.f_op = 6 * COIN;
            o.vest_b_op = 4 * COIN;
            o.vest_b_del = COIN - 1;
        }
        arena_key_operator(key, 'O', id, list[i]);
        arena_operator_encode(&o, &w);
        put(v, key, ARENA_KEY_OP_SIZE, &w);
        if (stage == AT_VEST) {
            /* The account the stake came from. */
            struct account a = {.balance = COIN, .nonce = 1};
            uint8_t av[ACCOUNT_VALUE_SIZE];
            account_key(key, list[i]);
            account_encode(&a, av);
            view_put(v, key, ACCOUNT_KEY_SIZE, av, sizeof(av));
        }
        if (stage == AT_SETTLE && o.role == ARENA_ROLE_VALIDATOR) {
            static uint8_t losses[4 * ARENA_MAX_SCORES];
            for (uint32_t j = 0; j < ARENA_MAX_SCORES; j++)
                write_le32(losses + 4 * j, 20000 + (uint32_t)(j % NT) * 100 +
                                               (uint32_t)(next_rand() % 400));
            arena_key_operator(key, 'Z', id, list[i]);
            arena_losses_encode(losses, ARENA_MAX_SCORES, &w);
            put(v, key, ARENA_KEY_OP_SIZE, &w);
        }
    }
    if (stage == AT_SETTLE) {
        static uint8_t chunk[CHUNK_BYTES];
        for (int k = 0; k < ARENA_MAX_SETS; k++)
            for (uint16_t c = 0; c < ARENA_MAX_CHUNKS; c++) {
                write_le32(chunk, tn ^ ((uint32_t)k << 16) ^ c);
                arena_key_chunk(key, id, (uint8_t)k, c);
                view_put(v, key, ARENA_KEY_CHUNK_SIZE, chunk, sizeof(chunk));
            }
    }
    struct arena_event_entry e;
    memcpy(e.task, id, HASH_SIZE);
    e.event = stage == AT_ASSIGN ? ARENA_EV_ASSIGN : stage == AT_CLOSE ? ARENA_EV_CLOSE
              : stage == AT_SETTLE ? ARENA_EV_SETTLE : ARENA_EV_VEST;
    e.index = stage == AT_VEST ? 1 : 0;
    arena_key_event(key, h, seq);
    arena_event_encode(&e, &w);
    put(v, key, ARENA_KEY_EVENT_SIZE, &w);
    wbuf_free(&w);
}

static uint32_t stage_work(enum stage s)
{
    struct arena_task t = big_task(1);
    switch (s) {
    case AT_ASSIGN: return arena_event_work(&t.p, ARENA_EV_ASSIGN);
    case AT_CLOSE: return arena_event_work(&t.p, ARENA_EV_CLOSE);
    case AT_SETTLE: return arena_event_work(&t.p, ARENA_EV_SETTLE);
    default: return arena_event_work(&t.p, ARENA_EV_VEST);
    }
}

/* Fills the next height with events of `stage` and times its block. */
static double full_height(enum stage stage, uint32_t *ntasks, uint32_t base)
{
    const uint32_t work = stage_work(stage);
    const uint32_t n = ARENA_MAX_HEIGHT_WORK / work;
    const uint64_t h = chain_height(chain) + 1;
    for (uint32_t i = 0; i < n;) {
        struct view *v = chain_view(chain);
        for (uint32_t j = 0; j < 50 && i < n; j++, i++)
            write_task(v, base + i, stage, h, i);
        inject(v);
        view_free(v);
    }
    struct view *v = chain_view(chain);
    struct arena_height ah = {.events = n, .work = n * work};
    uint8_t key[ARENA_KEY_QUEUE_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    arena_key_queue(key, h);
    arena_height_encode(&ah, &w);
    put(v, key, sizeof(key), &w);
    wbuf_free(&w);
    inject(v);
    view_free(v);
    *ntasks = n;
    return produce(NULL);
}

struct figures {
    double transfers, settle, assign, close, vest;
    uint32_t n_settle, n_assign, n_close, n_vest;
};

static void run(struct figures *f)
{
    char err[256] = "";
    size_t ntx;
    snprintf(datadir, sizeof(datadir), "/tmp/fml-bench-arena-XXXXXX");
    if (!mkdtemp(datadir))
        die("mkdtemp");
    chain = chain_open(&params, datadir, false, err, sizeof(err));
    if (!chain)
        die("chain_open: %s", err);
    pool = mempool_new(chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    for (int i = 0; i < NKEYS; i++) {
        randombytes_buf(keys[i].sec, SECKEY_SIZE);
        if (!key_pubkey(keys[i].pub, keys[i].sec))
            die("key");
        transfer(secrets[i % REGTEST_VALIDATORS], keys[i].pub, 200 * COIN);
        if (i % (REGTEST_VALIDATORS * PER_KEY) == REGTEST_VALIDATORS * PER_KEY - 1)
            produce(NULL);
    }
    produce(NULL);
    for (int i = 0; i < NTX; i++) {
        uint8_t sec[SECKEY_SIZE], to[PUBKEY_SIZE];
        randombytes_buf(sec, SECKEY_SIZE);
        if (!key_pubkey(to, sec))
            die("key");
        transfer(keys[i / PER_KEY].sec, to, COIN);
    }
    f->transfers = produce(&ntx);
    if (ntx != NTX)
        die("transfers: %zu in the block", ntx);
    f->settle = full_height(AT_SETTLE, &f->n_settle, 0);
    f->assign = full_height(AT_ASSIGN, &f->n_assign, 100000);
    f->close = full_height(AT_CLOSE, &f->n_close, 200000);
    f->vest = full_height(AT_VEST, &f->n_vest, 300000);
    mempool_free(pool);
    chain_close(chain);
    if (!fixture_remove_dir(datadir))
        die("rm %s", datadir);
}

static void keep_min(double *best, double v, int r)
{
    if (r == 0 || v < *best)
        *best = v;
}

int main(int argc, char **argv)
{
    int reps = 2;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-reps=", 6) == 0)
            reps = atoi(argv[i] + 6);
        else
            die("usage: bench_arena [-reps=N]");
    }
    if (reps < 1 || !regtest_keys_init())
        die("setup");
    struct figures best, f;
    memset(&best, 0, sizeof(best));
    for (int r = 0; r < reps; r++) {
        run(&f);
        keep_min(&best.transfers, f.transfers, r);
        keep_min(&best.settle, f.settle, r);
        keep_min(&best.assign, f.assign, r);
        keep_min(&best.close, f.close, r);
        keep_min(&best.vest, f.vest, r);
        best.n_settle = f.n_settle;
        best.n_assign = f.n_assign;
        best.n_close = f.n_close;
        best.n_vest = f.n_vest;
    }
    char l1[160], l2[160], l3[160], l4[160];
    snprintf(l1, sizeof(l1), "a height of %u SETTLEs (64 trainers, 64 validators, 8 sets, full scores)",
             best.n_settle);
    snprintf(l2, sizeof(l2), "a height of %u ASSIGNs (128 operators, 8 x 16 draws)", best.n_assign);
    snprintf(l3, sizeof(l3), "a height of %u CLOSEs (64 missed reveals slashed each)", best.n_close);
    snprintf(l4, sizeof(l4), "a height of %u VESTs (128 tranches paid, 128 credited each)",
             best.n_vest);
    struct {
        const char *what;
        double t;
    } rows[] = {
        {"20,000 transfers (reference)", best.transfers},
        {l1, best.settle},
        {l2, best.assign},
        {l3, best.close},
        {l4, best.vest},
    };
    printf("Blocks at the Arena bounds (ARENA_MAX_HEIGHT_WORK %d), minimum of %d run(s):\n\n",
           ARENA_MAX_HEIGHT_WORK, reps);
    printf("| block | connect (ms) | ratio to transfers |\n|---|---:|---:|\n");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        printf("| %s | %.1f | %.2f |\n", rows[i].what, rows[i].t * 1e3, rows[i].t / best.transfers);
    params_free(&params);
    return 0;
}
