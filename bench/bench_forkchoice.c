/* Benchmark of the fork choice's worst evaluation (doc/protocol.md section
 * 20.4) against connecting as many blocks.
 *
 * A regtest chain justifies epoch 1, then grows -depth blocks above a fork
 * point F without votes (its justified epoch stays 1).  A side branch of as
 * many blocks from F carries one vote, in its last block, for an epoch above
 * 1: the most a branch can make a node do.  Its blocks before the last are
 * only stored (no vote: nothing to evaluate); the last one makes the node
 * evaluate the branch: disconnect -depth blocks, connect -depth, find that
 * one vote justified nothing, and go back (-depth disconnects and connects
 * again).  Against it: the same side branch connected by a node at F (-depth
 * connects: what any reorganization of that depth costs).  The blocks are
 * small: the figure is the cost per block of the moves themselves, which a
 * block's transactions add to in the same proportion on both sides.
 *
 *   bench_forkchoice [-depth=20] [-reps=3]
 *
 * -depth is at most finality_depth (20 on regtest): deeper forks are never
 * taken.  The clock lives here only: nothing of this program reaches
 * consensus. */
#include "bench/bench_util.h"
#include "consensus/finality.h"
#include "consensus/params.h"
#include "state/chain.h"
#include "state/finality.h"
#include "state/mempool.h"
#include "tests/chain_fixture.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAINS 3

static char dirs[MAX_CHAINS][256];
static size_t ndirs;

static void cleanup(void)
{
    for (size_t i = 0; i < ndirs; i++)
        (void)fixture_remove_dir(dirs[i]);
    ndirs = 0;
}

static void die(const char *what, const struct validation *v)
{
    fprintf(stderr, "%s failed: %s %s\n", what, v ? v->reason : "", v ? v->detail : "");
    cleanup();
    exit(1);
}

static struct chain *open_new(void)
{
    char err[256] = "";
    if (ndirs == MAX_CHAINS || !fixture_tmpdir(dirs[ndirs], sizeof(dirs[ndirs]), "bench-fc"))
        die("making a directory", NULL);
    struct chain *c = fixture_chain_open(dirs[ndirs++], err, sizeof(err));
    if (!c) {
        fprintf(stderr, "chain_open: %s\n", err);
        die("opening a chain", NULL);
    }
    return c;
}

static void close_all(struct chain **c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        chain_close(c[i]);
    cleanup();
}

struct moves {
    uint64_t connects, disconnects;
};

static void on_connect(void *arg, const struct block *b, const struct block_index *bi)
{
    (void)b, (void)bi;
    ((struct moves *)arg)->connects++;
}

static void on_disconnect(void *arg, const struct block *b, const struct block_index *bi)
{
    (void)b, (void)bi;
    ((struct moves *)arg)->disconnects++;
}

/* Offers a vote of validator who for the tip's epoch (its checkpoint on c)
 * from c's justified checkpoint. */
static void vote(struct chain *c, struct mempool *mp, int who)
{
    struct checkpoint cur, prev;
    struct finality_vote fv;
    struct validation v;
    struct view *view = chain_view(c);
    uint64_t e = params_epoch_of(&params, chain_tip(c)->hdr.slot);
    if (!view || !finality_justified(view, &params, &cur, &prev) ||
        !finality_checkpoint(view, &params, e, fv.target.hash))
        die("reading the checkpoints", NULL);
    view_free(view);
    fv.source = cur;
    fv.target.epoch = e;
    struct wbuf w;
    struct tx tx;
    wbuf_init(&w);
    finality_vote_encode(&fv, &w);
    if (!fixture_make_tx(&tx, secrets[who], TX_FINALITY_VOTE, &w, 0, 0) ||
        !mempool_add(mp, &tx, 0, &v))
        die("a vote", &v);
    tx_free(&tx);
    wbuf_free(&w);
}

static void produce(struct chain *c, struct mempool *mp)
{
    if (!fixture_produce(c, mp))
        die("producing", NULL);
}

/* Hands blocks from..to of src's active chain to dst (headers first, as
 * sync does, as far as dst can check them before their blocks); the
 * seconds spent on the blocks from time_from on. */
static double hand_over(struct chain *src, struct chain *dst, uint64_t from, uint64_t to,
                        uint64_t time_from)
{
    struct validation v;
    double spent = 0;
    for (uint64_t h = from; h <= to; h++)
        if (!chain_process_header_unchecked(dst, &chain_at(src, h)->hdr, &v)) {
            if (v.cls == VAL_PREMATURE)
                break; /* checked with their blocks */
            if (v.cls != VAL_DUPLICATE)
                die("a header", &v);
        }
    for (uint64_t h = from; h <= to; h++) {
        struct block b;
        if (!chain_read_block(src, chain_at(src, h), &b))
            die("reading a block", NULL);
        double t0 = now_seconds();
        if (!chain_process_block(dst, &b, &v) && v.cls != VAL_DUPLICATE)
            die("a block", &v);
        if (h >= time_from)
            spent += now_seconds() - t0;
        block_free(&b);
    }
    return spent;
}

/* One run: the evaluation's seconds and moves, and the seconds connecting
 * the side branch at F takes. */
static void run(uint64_t depth, double *t_eval, double *t_connect, struct moves *m)
{
    struct chain *c[3];
    c[0] = open_new(); /* the node */
    c[1] = open_new(); /* builds the side branch */
    struct mempool *mp = mempool_new(c[0], MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *mp2 = mempool_new(c[1], MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    if (!mp || !mp2)
        die("out of memory", NULL);

    /* Justify epoch 1 (three votes of four), then a block or two. */
    while (params_epoch_of(&params, chain_tip(c[0])->hdr.slot) < 1)
        produce(c[0], mp);
    produce(c[0], mp);
    for (int who = 0; who < 3; who++)
        vote(c[0], mp, who);
    produce(c[0], mp);
    produce(c[0], mp);
    const uint64_t fork = chain_height(c[0]);
    hand_over(c[0], c[1], 1, fork, UINT64_MAX);

    /* The node: depth blocks above F, no votes. */
    for (uint64_t i = 0; i < depth; i++)
        produce(c[0], mp);
    /* The side: depth blocks from F (the first in epoch 2 at least, where
     * a vote can target an epoch above 1), the last holding one vote for
     * its own epoch. */
    struct validation v;
    uint64_t slot = chain_tip(c[1])->hdr.slot + 2;
    if (slot < 2 * params.epoch_slots)
        slot = 2 * params.epoch_slots;
    if (!fixture_produce_at(c[1], mp2, slot, &v))
        die("producing", &v);
    while (chain_height(c[1]) < fork + depth - 1)
        produce(c[1], mp2);
    vote(c[1], mp2, 3);
    produce(c[1], mp2);

    /* Connecting the side branch at F. */
    c[2] = open_new();
    hand_over(c[0], c[2], 1, fork, UINT64_MAX);
    *t_connect = hand_over(c[1], c[2], fork + 1, fork + depth, fork + 1);

    /* The evaluation: the node stores the side blocks, and its last one
     * makes it evaluate the branch. */
    struct chain_listener l = {.connected = on_connect, .disconnected = on_disconnect, .arg = m};
    const struct block_index *tip = chain_tip(c[0]);
    memset(m, 0, sizeof(*m));
    chain_add_listener(c[0], &l);
    *t_eval = hand_over(c[1], c[0], fork + 1, fork + depth, fork + depth);
    if (chain_tip(c[0]) != tip || m->connects != 2 * depth || m->disconnects != 2 * depth)
        die("the evaluation did not go there and back", NULL);
    mempool_free(mp);
    mempool_free(mp2);
    close_all(c, 3);
}

int main(int argc, char **argv)
{
    uint64_t depth = 0, reps = 3;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-depth", &depth) && !arg_u64(argv[i], "-reps", &reps)) {
            fprintf(stderr, "usage: %s [-depth=finality_depth] [-reps=3]\n", argv[0]);
            return 2;
        }
    if (!regtest_keys_init())
        return 2;
    if (depth == 0)
        depth = params.finality_depth;
    if (depth < 2 || depth > params.finality_depth || reps == 0) {
        fprintf(stderr, "-depth must be 2..%u, -reps positive\n", params.finality_depth);
        return 2;
    }
    double best_eval = 0, best_connect = 0;
    struct moves m = {0, 0};
    for (uint64_t r = 0; r < reps; r++) {
        double te, tc;
        run(depth, &te, &tc, &m);
        if (r == 0 || te < best_eval)
            best_eval = te;
        if (r == 0 || tc < best_connect)
            best_connect = tc;
    }
    printf("The worst fork-choice evaluation: a side branch forking %" PRIu64
           " blocks below the tip\nwith one vote above the tip's justified epoch, min of %" PRIu64
           " runs.\n\n",
           depth, reps);
    printf("| what | connects | disconnects | time (ms) | ratio |\n|---|---:|---:|---:|---:|\n");
    printf("| connect the %" PRIu64 " side blocks at the fork point | %" PRIu64 " | 0 | %.1f | "
           "1.00 |\n",
           depth, depth, best_connect * 1e3);
    printf("| evaluate the side branch and go back | %" PRIu64 " | %" PRIu64 " | %.1f | %.2f |\n",
           m.connects, m.disconnects, best_eval * 1e3, best_eval / best_connect);
    return 0;
}
