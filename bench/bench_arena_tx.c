/* Benchmark of the AI Arena transaction types against a block of transfers,
 * measured in the same run on a regtest chain, from which their block units
 * (consensus/txtypes.c, doc/protocol.md 5.4) are chosen:
 *
 *   - n TRANSFERs to new accounts (the reference),
 *   - ARENA_TASK_CREATEs of the costliest shape to apply: 52 vesting epochs
 *     (55 events queued at 55 heights each), windows spread so that no height
 *     fills, one creator each,
 *   - ARENA_STAKEs by distinct addresses, each a first stake (a seat, the
 *     operator list rewritten: up to 128 keys),
 *   - ARENA_DELEGATEs by distinct delegators to staked operators,
 *   - ARENA_SUBMIT_COMMITs by staked trainers,
 *   - ARENA_SET_SHAREs by staked operators,
 *   - ARENA_SUBMIT_REVEALs of committed trainers, ARENA_REVEAL_VALSETs of
 *     one-row chunks with 6-hash paths (the most a block's count allows),
 *     ARENA_SCORE_COMMITs and ARENA_SCORE_REVEALs of drawn validators.
 *
 * Each is measured twice, as bench_staking does: n transactions
 * (max_block_txs lifted), whose ratio to n transfers is the cost of one, and
 * the full block the rule allows (max_block_txs / block units of them, or
 * all that fit max_block_size).  The tasks and operators the later types
 * address live in an in-memory view under the block's.
 *
 * Each figure is the minimum over -reps runs of: the stateless block checks,
 * the state transition into a fresh view and the state root over the changes.
 *
 *   bench_arena_tx [-n=20000] [-reps=2]
 *
 * The clock lives here only: nothing of this program reaches consensus. */
#include "bench/bench_chain.h"
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/arena.h"
#include "consensus/serialize.h"
#include "consensus/txtypes.h"
#include "state/accounts.h"
#include "state/apply.h"
#include "state/arena.h"
#include "state/chain.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char dir[] = "/tmp/fml-bench-arena-tx-XXXXXX";

static uint8_t (*many_sec)[SECKEY_SIZE];
static uint8_t (*many_pub)[PUBKEY_SIZE];
static uint8_t (*op_sec)[SECKEY_SIZE];
static uint8_t (*op_pub)[PUBKEY_SIZE];

/* Operators per task: every seat. */
#define OPS_PER_TASK ARENA_MAX_OPERATORS

static void task_id(uint8_t id[ARENA_TASK_ID_SIZE], uint64_t j)
{
    memset(id, 0, ARENA_TASK_ID_SIZE);
    id[0] = 'B';
    write_be64(id + 1, j);
}

/* The costliest task to create: 52 vesting epochs; the windows of creation
 * i spread over heights so that none fills. */
static struct arena_task_params create_params(uint64_t i)
{
    struct arena_task_params t;
    memset(&t, 0, sizeof(t));
    t.spec.kind = FL_MODEL_LOGREG;
    t.spec.n_sizes = 2;
    t.spec.sizes[0] = 1;
    t.spec.sizes[1] = 1;
    t.loss = ARENA_LOSS_LOGLOSS;
    t.k = 2;
    for (int s = 0; s < 2; s++) {
        memset(t.sets[s].root, 0x30 + s, HASH_SIZE);
        t.sets[s].n_chunks = 1;
        t.sets[s].n_rows = 1;
    }
    t.submit_blocks = 1 + (uint32_t)(i % ARENA_MAX_WINDOW_BLOCKS);
    t.reveal_blocks = 1 + (uint32_t)(i / ARENA_MAX_WINDOW_BLOCKS % ARENA_MAX_WINDOW_BLOCKS);
    t.score_commit_blocks = 1;
    t.score_reveal_blocks = 1;
    t.budget = ARENA_MIN_BUDGET;
    t.q_bps = 5000;
    t.delta_bps = 5000;
    t.d_bps = 1000;
    t.vest_epochs = ARENA_MAX_VEST;
    t.draws_per_set = 1;
    t.max_trainers = 1;
    t.max_validators = 1;
    t.trainer_min_stake = 1;
    t.validator_min_stake = 1;
    return t;
}

/* The chunk bytes of task j, set k, chunk c: one row of the 1-input model
 * (feature c, label k % 2). */
static void chunk_bytes(uint8_t out[8], uint64_t j, unsigned k, unsigned c)
{
    write_le32(out, (uint32_t)(c + 65536 * (j % 7)));
    write_le32(out + 4, k % 2);
}

#define VALSET_SETS ARENA_MAX_SETS
#define VALSET_CHUNKS ARENA_MAX_CHUNKS

static void set_salt(uint8_t salt[32], unsigned k)
{
    memset(salt, 0x50 + (int)k, 32);
}

/* The leaves of task j's set k. */
static void set_leaves(uint8_t *leaves, uint64_t j, unsigned k)
{
    uint8_t salt[32], data[8];
    set_salt(salt, k);
    for (unsigned c = 0; c < VALSET_CHUNKS; c++) {
        chunk_bytes(data, j, k, c);
        arena_leaf_hash(leaves + HASH_SIZE * c, salt, (uint8_t)k, (uint16_t)c, data, sizeof(data));
    }
}

static const uint8_t bench_weights[8] = {0, 0, 1, 0, 0, 0, 2, 0};
static const uint8_t bench_losses[4] = {0, 0, 1, 0};

/* The tasks the transactions address, ntasks of them, every seat taken by
 * op_pub (trainers first) unless kind is 'S', in the window of height h
 * that kind names:
 *   'S' open, no operator;  'O' open, operators staked;
 *   'R' submission reveals: trainers committed, the creator many_pub[j],
 *       8 sets of 64 one-row chunks;
 *   'K' set reveals: the same task one block later (the set window);
 *   'C' score commits: validators drawn once for set 0, one submission;
 *   'V' score reveals: the same, scores committed. */
static void arena_state(struct view *v, uint64_t h, uint64_t ntasks, char kind)
{
    for (uint64_t j = 0; j < ntasks; j++) {
        uint8_t id[ARENA_TASK_ID_SIZE];
        struct arena_task t;
        struct arena_status st;
        memset(&t, 0, sizeof(t));
        t.p = create_params(0);
        t.p.submit_blocks = kind == 'S' || kind == 'O' ? 100 : 1;
        t.p.reveal_blocks = 1;
        t.p.score_commit_blocks = 1;
        t.p.score_reveal_blocks = 10;
        t.p.max_trainers = ARENA_MAX_TRAINERS;
        t.p.max_validators = ARENA_MAX_VALIDATORS;
        t.p.k = VALSET_SETS;
        for (unsigned k = 0; k < VALSET_SETS; k++) {
            uint8_t leaves[VALSET_CHUNKS * HASH_SIZE];
            set_leaves(leaves, j, k);
            if (!arena_merkle_root(t.p.sets[k].root, leaves, VALSET_CHUNKS))
                die("merkle root", NULL);
            t.p.sets[k].n_chunks = VALSET_CHUNKS;
            t.p.sets[k].n_rows = VALSET_CHUNKS;
        }
        /* The block at h is the first of the kind's window. */
        t.created_height = kind == 'R'   ? h - 2
                           : kind == 'K' ? h - 3
                           : kind == 'C' ? h - 4
                           : kind == 'V' ? h - 5
                                         : h - 1;
        memcpy(t.creator, many_pub[j], PUBKEY_SIZE);
        arena_windows(&t, &t.w);
        task_id(id, j);
        arena_put_task(v, id, &t);
        memset(&st, 0, sizeof(st));
        st.state = kind == 'R' || kind == 'K'   ? ARENA_REVEAL
                   : kind == 'C' || kind == 'V' ? ARENA_SCORING
                                                : ARENA_OPEN;
        st.budget_left = t.p.budget;
        st.n_scoreable = kind == 'C' || kind == 'V' ? 1 : 0;
        if (kind != 'S') {
            st.n_trainers = ARENA_MAX_TRAINERS;
            st.n_validators = ARENA_MAX_VALIDATORS;
            for (size_t k = 0; k < OPS_PER_TASK; k++) {
                const uint8_t *pub = op_pub[j * OPS_PER_TASK + k];
                struct arena_operator o;
                uint8_t salt[32], model[HASH_SIZE];
                memset(&o, 0, sizeof(o));
                memset(salt, 9, sizeof(salt));
                o.role = k < ARENA_MAX_TRAINERS ? ARENA_ROLE_TRAINER : ARENA_ROLE_VALIDATOR;
                o.own = 1;
                if (kind == 'R' && o.role == ARENA_ROLE_TRAINER) {
                    o.flags = ARENA_OP_COMMITTED;
                    o.seq = (uint32_t)k;
                    fl_model_hash(model, bench_weights, 2);
                    arena_submission_commitment(o.commitment, id, pub, model, salt);
                }
                if ((kind == 'C' || kind == 'V') && o.role == ARENA_ROLE_VALIDATOR) {
                    o.flags = ARENA_OP_ELIGIBLE;
                    o.count[0] = 1;
                    if (kind == 'V') {
                        o.flags |= ARENA_OP_SCORE_COMMITTED;
                        arena_scores_commitment(o.score_commitment, id, pub, 1, bench_losses, salt);
                    }
                }
                if (!arena_add_operator(v, id, pub))
                    die("operator list", NULL);
                arena_put_operator(v, id, pub, &o);
            }
        }
        arena_put_status(v, id, &st);
    }
}

/* The payload of transaction i of a type. */
static void payload(uint8_t type, uint64_t i, struct wbuf *w)
{
    switch (type) {
    case TX_TRANSFER: {
        struct transfer t = {.amount = COIN};
        uint8_t sec[SECKEY_SIZE];
        derived_key(i, 1, sec, t.to);
        transfer_encode(&t, w);
        break;
    }
    case TX_ARENA_TASK_CREATE: {
        struct arena_task_params t = create_params(i);
        arena_task_params_encode(&t, w);
        break;
    }
    case TX_ARENA_STAKE: {
        struct arena_stake s = {.role = i % 2 ? ARENA_ROLE_VALIDATOR : ARENA_ROLE_TRAINER,
                                .amount = 1};
        task_id(s.task, i / OPS_PER_TASK);
        arena_stake_encode(&s, w);
        break;
    }
    case TX_ARENA_DELEGATE: {
        struct arena_delegate d = {.amount = ARENA_MIN_DELEGATION};
        task_id(d.task, i / OPS_PER_TASK);
        memcpy(d.op, op_pub[i], PUBKEY_SIZE);
        arena_delegate_encode(&d, w);
        break;
    }
    case TX_ARENA_SUBMIT_COMMIT: {
        struct arena_commit c;
        task_id(c.task, i / ARENA_MAX_TRAINERS);
        memset(c.commitment, 7, HASH_SIZE);
        arena_commit_encode(&c, w);
        break;
    }
    case TX_ARENA_SUBMIT_REVEAL: {
        struct arena_submit_reveal r = {.n = 2, .weights = bench_weights};
        task_id(r.task, i / ARENA_MAX_TRAINERS);
        memset(r.salt, 9, sizeof(r.salt));
        arena_submit_reveal_encode(&r, w);
        break;
    }
    case TX_ARENA_REVEAL_VALSET: {
        const uint64_t per = VALSET_SETS * VALSET_CHUNKS, j = i / per;
        const unsigned k = (unsigned)(i % per / VALSET_CHUNKS), ch = (unsigned)(i % VALSET_CHUNKS);
        uint8_t leaves[VALSET_CHUNKS * HASH_SIZE], path[ARENA_MAX_PATH * HASH_SIZE], data[8];
        unsigned np;
        set_leaves(leaves, j, k);
        if (!arena_merkle_path(path, &np, leaves, VALSET_CHUNKS, ch))
            die("merkle path", NULL);
        chunk_bytes(data, j, k, ch);
        struct arena_reveal_valset r = {.set = (uint8_t)k, .chunk = (uint16_t)ch,
                                        .npath = (uint8_t)np, .path = path,
                                        .len = sizeof(data), .data = data};
        task_id(r.task, j);
        set_salt(r.salt, k);
        arena_reveal_valset_encode(&r, w);
        break;
    }
    case TX_ARENA_SCORE_COMMIT: {
        struct arena_commit c;
        task_id(c.task, i / ARENA_MAX_VALIDATORS);
        memset(c.commitment, 8, HASH_SIZE);
        arena_commit_encode(&c, w);
        break;
    }
    case TX_ARENA_SCORE_REVEAL: {
        struct arena_score_reveal r = {.n = 1, .losses = bench_losses};
        task_id(r.task, i / ARENA_MAX_VALIDATORS);
        memset(r.salt, 9, sizeof(r.salt));
        arena_score_reveal_encode(&r, w);
        break;
    }
    case TX_ARENA_SET_SHARE: {
        struct arena_set_share s = {.sigma_bps = 2500};
        task_id(s.task, i / OPS_PER_TASK);
        arena_set_share_encode(&s, w);
        break;
    }
    default:
        die("payload type", NULL);
    }
}

/* n transactions of a type, transaction i by sec[pick(i)]. */
enum who { ANY, TRAINER, VALIDATOR, CREATOR };

static void fill(struct block *b, uint8_t type, uint64_t n, uint8_t (*sec)[SECKEY_SIZE],
                 uint8_t (*pub)[PUBKEY_SIZE], size_t nsend, enum who who)
{
    struct wbuf w;
    uint64_t *nonce = calloc(nsend, sizeof(uint64_t));
    if (!nonce)
        die("out of memory", NULL);
    wbuf_init(&w);
    for (uint64_t i = 0; i < n; i++) {
        /* Trainers: the first ARENA_MAX_TRAINERS operators of each task,
         * validators the others; the creator of task j is many_pub[j]. */
        size_t from = (size_t)(i % nsend);
        if (who == TRAINER)
            from = (size_t)(i / ARENA_MAX_TRAINERS * OPS_PER_TASK + i % ARENA_MAX_TRAINERS);
        else if (who == VALIDATOR)
            from = (size_t)(i / ARENA_MAX_VALIDATORS * OPS_PER_TASK + ARENA_MAX_TRAINERS +
                            i % ARENA_MAX_VALIDATORS);
        else if (who == CREATOR)
            from = (size_t)(i / (VALSET_SETS * VALSET_CHUNKS));
        struct tx tx;
        wbuf_reset(&w);
        payload(type, i, &w);
        tx_init(&tx);
        tx.type = type;
        memcpy(tx.sender, pub[from], PUBKEY_SIZE);
        tx.nonce = nonce[from]++;
        tx.fee = 100000;
        if (!tx_set_payload(&tx, w.data, w.len) ||
            !tx_sign(&tx, params.genesis_hash, sec[from], NULL) || !block_add_tx(b, &tx))
            die("making transactions", NULL);
        tx_free(&tx);
    }
    wbuf_free(&w);
    free(nonce);
}

int main(int argc, char **argv)
{
    uint64_t n = 20000, reps = 2;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-n", &n) && !arg_u64(argv[i], "-reps", &reps)) {
            fprintf(stderr, "usage: %s [-n=20000] [-reps=2]\n", argv[0]);
            return 2;
        }
    if (n == 0 || reps == 0 || !regtest_keys_init())
        return 2;
    struct chain *c = bench_open_chain(dir);
    if (!c)
        return 1;
    /* Whole tasks of operators: n rounded up. */
    uint64_t ntasks = (n + OPS_PER_TASK - 1) / OPS_PER_TASK;
    size_t nops = (size_t)(ntasks * OPS_PER_TASK);
    many_sec = calloc((size_t)n, SECKEY_SIZE);
    many_pub = calloc((size_t)n, PUBKEY_SIZE);
    op_sec = calloc(nops, SECKEY_SIZE);
    op_pub = calloc(nops, PUBKEY_SIZE);
    if (!many_sec || !many_pub || !op_sec || !op_pub)
        die("out of memory", NULL);
    struct view *funded = chain_view(c);
    struct validation v;
    for (size_t i = 0; i < n; i++) {
        derived_key(i, 2, many_sec[i], many_pub[i]);
        if (!accounts_credit(funded, many_pub[i], 10 * COIN, &v))
            die("funding", &v);
    }
    for (size_t i = 0; i < nops; i++) {
        derived_key(i, 4, op_sec[i], op_pub[i]);
        if (!accounts_credit(funded, op_pub[i], 10 * COIN, &v))
            die("funding", &v);
    }

    struct block transfers, creates, stakes, delegates, commits, shares, sreveals, chunks,
        scommits, sreveals2;
    struct block *blocks[] = {&transfers, &creates, &stakes, &delegates, &commits,
                              &shares,    &sreveals, &chunks, &scommits, &sreveals2};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        block_init(blocks[i]);
    make_header(c, &transfers.hdr);
    for (size_t i = 1; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        blocks[i]->hdr = transfers.hdr;
    const uint64_t h = transfers.hdr.height;

    fill(&transfers, TX_TRANSFER, n, secrets, pubs, REGTEST_VALIDATORS, ANY);
    /* Task creations: as many as max_block_size holds, at most n. */
    struct wbuf cw;
    wbuf_init(&cw);
    payload(TX_ARENA_TASK_CREATE, 0, &cw);
    uint64_t ncreate = (params.max_block_size - BLOCK_HEADER_SIZE - 5) /
                       (TX_FIXED_SIZE + compact_size_len(cw.len) + cw.len + 2);
    wbuf_free(&cw);
    if (ncreate > n)
        ncreate = n;
    fill(&creates, TX_ARENA_TASK_CREATE, ncreate, many_sec, many_pub, (size_t)n, ANY);
    fill(&stakes, TX_ARENA_STAKE, n, op_sec, op_pub, nops, ANY);
    fill(&delegates, TX_ARENA_DELEGATE, n, many_sec, many_pub, (size_t)n, ANY);
    uint64_t ncommit = ntasks * ARENA_MAX_TRAINERS < n ? ntasks * ARENA_MAX_TRAINERS : n;
    fill(&commits, TX_ARENA_SUBMIT_COMMIT, ncommit, op_sec, op_pub, nops, TRAINER);
    fill(&shares, TX_ARENA_SET_SHARE, n, op_sec, op_pub, nops, ANY);
    fill(&sreveals, TX_ARENA_SUBMIT_REVEAL, ncommit, op_sec, op_pub, nops, TRAINER);
    /* Valset chunks: a task's 512 one-row chunks, as many as max_block_size
     * holds. */
    wbuf_init(&cw);
    payload(TX_ARENA_REVEAL_VALSET, 0, &cw);
    uint64_t nchunks = (params.max_block_size - BLOCK_HEADER_SIZE - 5) /
                       (TX_FIXED_SIZE + compact_size_len(cw.len) + cw.len + 2);
    wbuf_free(&cw);
    if (nchunks > n)
        nchunks = n;
    fill(&chunks, TX_ARENA_REVEAL_VALSET, nchunks, many_sec, many_pub, (size_t)n, CREATOR);
    fill(&scommits, TX_ARENA_SCORE_COMMIT, ncommit, op_sec, op_pub, nops, VALIDATOR);
    fill(&sreveals2, TX_ARENA_SCORE_REVEAL, ncommit, op_sec, op_pub, nops, VALIDATOR);
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        seal(blocks[i]);

    struct view *open_tasks = view_new(NULL, funded);
    arena_state(open_tasks, h, ntasks, 'S');
    struct view *staked = view_new(NULL, funded);
    arena_state(staked, h, ntasks, 'O');
    const uint64_t nvtasks = (n + VALSET_SETS * VALSET_CHUNKS - 1) / (VALSET_SETS * VALSET_CHUNKS);
    struct view *revealing = view_new(NULL, funded);
    arena_state(revealing, h, ntasks, 'R');
    struct view *revealing_sets = view_new(NULL, funded);
    arena_state(revealing_sets, h, nvtasks, 'K');
    struct view *scoring = view_new(NULL, funded);
    arena_state(scoring, h, ntasks, 'C');
    struct view *revealing_scores = view_new(NULL, funded);
    arena_state(revealing_scores, h, ntasks, 'V');

    struct chain_params lifted = params;
    lifted.max_block_txs = (uint32_t)(10 * n); /* any type's units */
    check_params = &lifted;
    double t_tx = best_of(c, NULL, &transfers, reps);
    struct {
        const char *what;
        uint8_t type;
        struct block *b;
        struct view *parent;
        double t, t_full;
        size_t n_full;
    } rows[] = {
        {"ARENA_TASK_CREATEs (52 vesting epochs: 55 events each)", TX_ARENA_TASK_CREATE, &creates,
         funded, 0, 0, 0},
        {"ARENA_STAKEs (first stakes: seats, operator lists)", TX_ARENA_STAKE, &stakes, open_tasks,
         0, 0, 0},
        {"ARENA_DELEGATEs (distinct delegators)", TX_ARENA_DELEGATE, &delegates, staked, 0, 0, 0},
        {"ARENA_SUBMIT_COMMITs", TX_ARENA_SUBMIT_COMMIT, &commits, staked, 0, 0, 0},
        {"ARENA_SET_SHAREs", TX_ARENA_SET_SHARE, &shares, staked, 0, 0, 0},
        {"ARENA_SUBMIT_REVEALs (2 weights)", TX_ARENA_SUBMIT_REVEAL, &sreveals, revealing, 0, 0, 0},
        {"ARENA_REVEAL_VALSETs (one-row chunks, 6-hash paths)", TX_ARENA_REVEAL_VALSET, &chunks,
         revealing_sets, 0, 0, 0},
        {"ARENA_SCORE_COMMITs", TX_ARENA_SCORE_COMMIT, &scommits, scoring, 0, 0, 0},
        {"ARENA_SCORE_REVEALs (one loss)", TX_ARENA_SCORE_REVEAL, &sreveals2, revealing_scores, 0,
         0, 0},
    };
    const size_t nrows = sizeof(rows) / sizeof(rows[0]);
    for (size_t i = 0; i < nrows; i++)
        rows[i].t = best_of(c, rows[i].parent, rows[i].b, reps);
    check_params = &params;
    double t_tx_full = best_of(c, NULL, &transfers, reps);
    for (size_t i = 0; i < nrows; i++) {
        size_t k = params.max_block_txs / txtype_block_units(rows[i].type);
        if (k >= rows[i].b->ntx) {
            rows[i].n_full = rows[i].b->ntx;
            rows[i].t_full = best_of(c, rows[i].parent, rows[i].b, reps);
            continue;
        }
        struct block part;
        block_init(&part);
        part.hdr = rows[i].b->hdr;
        for (size_t j = 0; j < k; j++)
            if (!block_add_tx(&part, &rows[i].b->txs[j]))
                die("out of memory", NULL);
        seal(&part);
        rows[i].n_full = k;
        rows[i].t_full = best_of(c, rows[i].parent, &part, reps);
        block_free(&part);
    }

    printf("Blocks of each Arena type against %" PRIu64 " TRANSFERs, min of %" PRIu64
           " runs (stateless checks + transition + state root).\n\n",
           n, reps);
    printf("| transactions | n | time (ms) | ratio a transaction | block units | full block: n | "
           "time (ms) | ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    printf("| TRANSFERs | %" PRIu64 " | %.1f | 1.00 | %u | %" PRIu64 " | %.1f | 1.00 |\n", n,
           t_tx * 1e3, txtype_block_units(TX_TRANSFER), n, t_tx_full * 1e3);
    for (size_t i = 0; i < nrows; i++)
        printf("| %s | %zu | %.1f | %.2f | %u | %zu | %.1f | %.2f |\n", rows[i].what,
               rows[i].b->ntx, rows[i].t * 1e3,
               rows[i].t / t_tx * (double)n / (double)rows[i].b->ntx,
               txtype_block_units(rows[i].type), rows[i].n_full, rows[i].t_full * 1e3,
               rows[i].t_full / t_tx_full);

    view_free(revealing_scores);
    view_free(scoring);
    view_free(revealing);
    view_free(revealing_sets);
    view_free(staked);
    view_free(open_tasks);
    view_free(funded);
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        block_free(blocks[i]);
    free(many_sec);
    free(many_pub);
    free(op_sec);
    free(op_pub);
    chain_close(c);
    remove_dir();
    return 0;
}
