/* Connecting blocks of signed transfers, against the signature bound.
 *
 * A regtest-like chain with -accounts funded accounts (bench/gen_txs.h)
 * gets -txs signed transfers in blocks of at most -block (the chain's
 * max_block_txs, 20,000).  The blocks are built once, then connected by
 * chain_process_block (every check, signatures included, the state
 * transition, the LevelDB write) on fresh chains:
 *
 *   par=1        the -par=1 pool (the caller alone), no signature cache;
 *   par=2        two threads, no cache;
 *   par=2+cache  two threads, with the signatures already in the cache, as
 *                when every transaction went through the mempool first;
 *   reindex      -reindex of the par=2 chain's files with the par=2 pool:
 *                the block index rebuilt from the block files, every block
 *                checked again in full and connected;
 *
 * each as transactions per second next to the bound measured in the same
 * run: BIP340 verifications per second on two threads (libsecp256k1's
 * verify of the same transactions' signatures, split over two threads,
 * nothing else; measured right before each timed step, so that a busy
 * machine weighs on a figure and its bound alike; the best of -reps of
 * each), and their ratio.
 *
 *   bench_connect [-accounts=1000] [-txs=60000] [-block=20000] [-reps=2]
 *
 * Benchmarks only: nothing here decides anything of consensus. */
#include "bench/bench_util.h"
#include "bench/gen_txs.h"
#include "consensus/amount.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/sigcache.h"
#include "state/sigcheck.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char root_dir[] = "/tmp/fml_bench_connect_XXXXXX";
static bool have_dir;

static void cleanup(void)
{
    if (!have_dir)
        return;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root_dir);
}

static void die(const char *what, const struct validation *v)
{
    fprintf(stderr, "bench_connect: %s%s%s%s%s\n", what, v ? ": " : "", v ? v->reason : "",
            v && v->detail[0] ? " " : "", v ? v->detail : "");
    cleanup();
    exit(1);
}

static struct chain *open_chain(const char *name, struct sigcheck *sc)
{
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/%s", root_dir, name);
    struct chain_options opts = {.sigcheck = sc};
    struct chain *c = chain_open_with(&params, path, &opts, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "chain_open: %s\n", err);
        die("chain_open", NULL);
    }
    return c;
}

/* ---- the bound: BIP340 verifications on two threads ---- */

/* Verifications per second of n signatures split over two threads (the
 * sighashes are computed before the clock starts; bench/gen_txs.h). */
static double verify_bound(const struct tx *txs, size_t n)
{
    double b = gen_verify_bound(txs, n, &params);
    if (b <= 0)
        die("a generated signature does not verify", NULL);
    return b;
}

/* ---- building the blocks ---- */

static void build_blocks(struct gen *g, uint64_t ntxs, uint64_t per_block, struct block **out,
                         size_t *nblocks, struct tx **all_out)
{
    struct chain *c = open_chain("build", NULL);
    size_t nb = (size_t)((ntxs + per_block - 1) / per_block);
    struct block *blocks = calloc(nb ? nb : 1, sizeof(*blocks));
    struct tx *all = calloc(ntxs ? ntxs : 1, sizeof(*all));
    if (!blocks || !all)
        die("out of memory", NULL);
    if (!gen_transfers(g, &params, 1000, all, (size_t)ntxs))
        die("generating transactions", NULL);
    size_t done = 0;
    for (size_t k = 0; k < nb; k++) {
        struct mempool *mp = mempool_new(c, 1u << 30, 0);
        struct validation v;
        uint8_t leader[PUBKEY_SIZE];
        size_t n = ntxs - done < per_block ? (size_t)(ntxs - done) : (size_t)per_block;
        if (!mp)
            die("mempool", NULL);
        for (size_t i = 0; i < n; i++)
            if (!mempool_add_unchecked(mp, &all[done + i], 0))
                die("mempool_add_unchecked", NULL);
        uint64_t slot = chain_tip(c)->hdr.slot + 1;
        struct view *view = chain_view(c);
        if (!view || !staking_leader_for(view, &params, chain_tip(c)->hdr.slot, slot, leader))
            die("leader", NULL);
        view_free(view);
        if (!builder_build(c, mp, leader, slot, &regtest_signer, &blocks[k], &v))
            die("build", &v);
        mempool_free(mp);
        if (blocks[k].ntx != n)
            die("the builder left transactions out", NULL);
        if (!chain_process_block(c, &blocks[k], &v))
            die("connect while building", &v);
        done += n;
    }
    chain_close(c);
    *out = blocks;
    *nblocks = nb;
    *all_out = all;
}

/* Seconds chain_process_block takes for every block on a fresh chain. */
static double connect_all(const char *name, struct sigcheck *sc, const struct block *blocks,
                          size_t nb)
{
    struct chain *c = open_chain(name, sc);
    struct validation v;
    double t0 = now_seconds();
    for (size_t k = 0; k < nb; k++)
        if (!chain_process_block(c, &blocks[k], &v))
            die("connect", &v);
    double t = now_seconds() - t0;
    if (chain_height(c) != nb)
        die("not every block connected", NULL);
    chain_close(c);
    return t;
}

static void report(const char *what, double figure, double bound)
{
    printf("| %s | %.0f | %.0f | %.2f |\n", what, figure, bound, figure / bound);
}

/* Seconds a -reindex of a chain's data directory takes (index from the block
 * files, then every block checked in full and connected again). */
static double reindex(const char *name, struct sigcheck *sc, size_t nb)
{
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/%s", root_dir, name);
    struct chain_options opts = {.reindex = true, .sigcheck = sc};
    double t0 = now_seconds();
    struct chain *c = chain_open_with(&params, path, &opts, err, sizeof(err));
    double t = now_seconds() - t0;
    if (!c || chain_height(c) != nb)
        die("reindex", NULL);
    chain_close(c);
    return t;
}

int main(int argc, char **argv)
{
    uint64_t accounts = 1000, ntxs = 60000, per_block = 20000, reps = 2, fresh = 0;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-accounts", &accounts) && !arg_u64(argv[i], "-txs", &ntxs) &&
            !arg_u64(argv[i], "-block", &per_block) && !arg_u64(argv[i], "-reps", &reps) &&
            !arg_u64(argv[i], "-fresh", &fresh)) {
            fprintf(stderr, "usage: bench_connect [-accounts=1000] [-txs=60000] "
                            "[-block=20000] [-reps=2] [-fresh=1: every recipient a new key]\n");
            return 2;
        }
    struct gen g;
    if (!regtest_keys_init() || accounts == 0 || per_block == 0 || ntxs == 0 || reps == 0 ||
        !gen_init(&g, (size_t)accounts, 1000 * COIN) || !gen_fund(&g, &params))
        die("setup", NULL);
    g.fresh_to = fresh != 0;
    if (per_block > params.max_block_txs)
        per_block = params.max_block_txs;
    if (ntxs > accounts * 64 * ((ntxs + per_block - 1) / per_block))
        die("too few accounts: at most 64 transactions of one sender per block", NULL);
    if (!mkdtemp(root_dir))
        die("mkdtemp", NULL);
    have_dir = true;

    double t0 = now_seconds();
    struct block *blocks;
    struct tx *all;
    size_t nb;
    build_blocks(&g, ntxs, per_block, &blocks, &nb, &all);
    printf("bench_connect: %llu transfers from %llu accounts in %zu blocks of up to %llu, "
           "%s (generated, built and connected once in %.1f s)\n",
           (unsigned long long)ntxs, (unsigned long long)accounts, nb,
           (unsigned long long)per_block,
           g.fresh_to ? "each to a new key" : "each to another of the accounts",
           now_seconds() - t0);

    double best[4] = {1e30, 1e30, 1e30, 1e30}, bound[4] = {0, 0, 0, 0};
    for (uint64_t r = 0; r < reps; r++) {
        char name[64];

        struct sigcheck *one = sigcheck_new(1, NULL);
        struct sigcheck *two = sigcheck_new(2, NULL);
        struct sigcache *cache = sigcache_new((size_t)SIGCACHE_DEFAULT_MIB << 20);
        struct sigcheck *two_cached = sigcheck_new(2, cache);
        if (!one || !two || !cache || !two_cached)
            die("pool", NULL);
        /* Warm: every signature in the cache, as the mempool leaves them. */
        for (size_t i = 0; i < ntxs; i++) {
            uint8_t key[SIGCACHE_KEY_SIZE];
            struct validation v;
            if (!sigcheck_tx(cache, &all[i], &params, key, &v))
                die("sigcheck_tx", &v);
            sigcache_insert(cache, key);
        }
        double t[4];
        snprintf(name, sizeof(name), "par1_%llu", (unsigned long long)r);
        bound[0] = fmax(bound[0], verify_bound(all, (size_t)ntxs));
        t[0] = connect_all(name, one, blocks, nb);
        snprintf(name, sizeof(name), "par2_%llu", (unsigned long long)r);
        bound[1] = fmax(bound[1], verify_bound(all, (size_t)ntxs));
        t[1] = connect_all(name, two, blocks, nb);
        bound[3] = fmax(bound[3], verify_bound(all, (size_t)ntxs));
        t[3] = reindex(name, two, nb);
        snprintf(name, sizeof(name), "cached_%llu", (unsigned long long)r);
        bound[2] = fmax(bound[2], verify_bound(all, (size_t)ntxs));
        t[2] = connect_all(name, two_cached, blocks, nb);
        for (int k = 0; k < 4; k++)
            if (t[k] < best[k])
                best[k] = t[k];
        sigcheck_free(one);
        sigcheck_free(two);
        sigcheck_free(two_cached);
        sigcache_free(cache);
    }
    printf("\n| connect | tx/s | bound: BIP340 verifies/s, 2 threads | ratio |\n"
           "|---|---:|---:|---:|\n");
    report("-par=1, no signature cache", (double)ntxs / best[0], bound[0]);
    report("-par=2, no signature cache", (double)ntxs / best[1], bound[1]);
    report("-par=2, signatures cached (mempool first)", (double)ntxs / best[2], bound[2]);
    report("-reindex, -par=2 (every signature verified)", (double)ntxs / best[3], bound[3]);
    printf("\ngoal: ratio >= 0.70 for connect and -reindex with full checks\n");

    for (size_t k = 0; k < nb; k++)
        block_free(&blocks[k]);
    free(blocks);
    for (size_t i = 0; i < ntxs; i++)
        tx_free(&all[i]);
    free(all);
    gen_free(&g);
    params_free(&params);
    cleanup();
    return 0;
}
