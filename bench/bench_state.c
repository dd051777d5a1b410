/* A large state: connecting blocks of transfers among -accounts funded
 * accounts (1,000,000 by default), cold and warm, with the LevelDB options
 * of the run.
 *
 * The accounts are funded in the genesis allocation of a regtest-like chain
 * (bench/gen_txs.h): the node's own genesis code writes them to the
 * chainstate and computes the state root, exactly as for any network, so
 * the state is the one real blocks would reach, without the hours of
 * blocks.  Then -blocks blocks of -txs signed transfers (20,000, the
 * chain's max_block_txs), each from a random sender to a random account,
 * are built once (the builder) on a copy, and connected by
 * chain_process_block (every check, the state transition, undo, the state
 * root, the synced LevelDB batch) on fresh copies of the genesis state:
 *
 *   cold   the chainstate freshly opened (empty block cache) and its files
 *          dropped from the page cache (posix_fadvise DONTNEED), as after a
 *          restart on a machine whose memory went elsewhere;
 *   warm   freshly opened, every account the blocks touch read once before
 *          (the block cache and the page cache hold them), as for blocks of
 *          transactions the mempool already checked.
 *
 * The blocks' signatures are in the signature cache (two -par threads), as
 * when their transactions went through the mempool: the figure is the
 * state's part of connecting (reads, the transition, undo, the state root,
 * the write).  Each as transfers per second, next to the same blocks
 * connected on a -ref-accounts state (1,000) in the same run: the ratio is
 * the cost of the state's size.  Also: the time the
 * genesis state takes to write, the chainstate's size on disk (after the
 * blocks, reopened: LevelDB tables, snappy-compressed by default), the
 * process's peak RSS.  LevelDB options: -dbcache=MiB, -writebuffer=MiB,
 * -filesize=MiB, -openfiles=N, -bloom=bits (0: none), -compression=0|1.
 *
 *   bench_state [-accounts=1000000] [-ref-accounts=1000] [-txs=20000] [-blocks=2]
 *               [-reps=2] [LevelDB options]
 *
 * Benchmarks only: nothing here decides anything of consensus. */
#include "bench/bench_util.h"
#include "bench/gen_txs.h"
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/key.h"
#include "consensus/serialize.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/db.h"
#include "state/mempool.h"
#include "state/sigcache.h"
#include "state/sigcheck.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <dirent.h>
#include <fcntl.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char root_dir[] = "/tmp/fml_bench_state_XXXXXX";
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
    fprintf(stderr, "bench_state: %s%s%s%s%s\n", what, v ? ": " : "", v ? v->reason : "",
            v && v->detail[0] ? " " : "", v ? v->detail : "");
    cleanup();
    exit(1);
}

/* Runs "<verb> <root>/<a> [<root>/<b>]" (cp -a, rm -rf). */
static void run(const char *verb, const char *a, const char *b)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s %s/%s%s%s%s", verb, root_dir, a, b ? " " : "",
             b ? root_dir : "", b ? "/" : "");
    if (b)
        snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s", b);
    if (system(cmd) != 0)
        die(cmd, NULL);
}

/* The pool blocks are connected with: two threads and a signature cache
 * holding the blocks' signatures (filled once built), as when every
 * transaction went through the mempool first: what is left to measure is
 * the state's part. */
static struct sigcache *cache;
static struct sigcheck *pool;

static struct chain *open_chain(const struct chain_params *p, const char *name)
{
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/%s", root_dir, name);
    struct chain_options opts = {.sigcheck = pool};
    struct chain *c = chain_open_with(p, path, &opts, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "chain_open: %s\n", err);
        die("chain_open", NULL);
    }
    return c;
}

/* Bytes of the files under dir; with drop, also drops them from the page
 * cache. */
static uint64_t dir_bytes(const char *dir, bool drop)
{
    uint64_t total = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[512];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            total += dir_bytes(path, drop);
            continue;
        }
        total += (uint64_t)st.st_size;
        if (drop) {
            int fd = open(path, O_RDONLY);
            if (fd >= 0) {
                (void)fdatasync(fd);
                (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
                close(fd);
            }
        }
    }
    if (d)
        closedir(d);
    return total;
}

/* One signed transfer from s to r of g's accounts. */
static void transfer(struct gen *g, size_t s, size_t r, struct tx *tx)
{
    const secp256k1_keypair *kp = g->keypairs;
    struct transfer t;
    struct wbuf w;
    uint8_t msg[HASH_SIZE];
    tx_init(tx);
    tx->type = TX_TRANSFER;
    memcpy(tx->sender, g->pub[s], PUBKEY_SIZE);
    tx->nonce = g->nonce[s]++;
    tx->fee = 1000;
    memcpy(t.to, g->pub[r], PUBKEY_SIZE);
    t.amount = 1;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    bool ok = !w.failed && tx_set_payload(tx, w.data, w.len);
    wbuf_free(&w);
    tx_sighash(tx, params.genesis_hash, msg);
    if (!ok || secp256k1_schnorrsig_sign32(g->ctx, tx->sig, msg, &kp[s], NULL) != 1)
        die("signing", NULL);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state % n;
}

/* nb blocks of ntx random transfers (at most MEMPOOL_MAX_RUN per sender in
 * a block), built on a copy of the genesis state "genesis". */
static struct block *build_blocks(struct gen *g, size_t nb, size_t ntx, struct tx **txs_out)
{
    run("cp -a", "genesis", "build");
    struct chain *c = open_chain(&params, "build");
    struct block *blocks = calloc(nb, sizeof(*blocks));
    struct tx *txs = calloc(nb * ntx, sizeof(*txs));
    uint8_t *count = calloc(g->n, 1);
    if (!blocks || !txs || !count)
        die("out of memory", NULL);
    for (size_t k = 0; k < nb; k++) {
        struct mempool *mp = mempool_new(c, 1u << 30, 0);
        struct validation v;
        uint8_t leader[PUBKEY_SIZE];
        memset(count, 0, g->n);
        if (!mp)
            die("mempool", NULL);
        for (size_t i = 0; i < ntx; i++) {
            size_t s;
            do
                s = (size_t)rnd(g->n);
            while (count[s] >= MEMPOOL_MAX_RUN);
            count[s]++;
            transfer(g, s, (size_t)rnd(g->n), &txs[k * ntx + i]);
            if (!mempool_add_unchecked(mp, &txs[k * ntx + i], 0))
                die("mempool_add_unchecked", NULL);
        }
        uint64_t slot = chain_tip(c)->hdr.slot + 1;
        struct view *view = chain_view(c);
        if (!view || !staking_leader_for(view, &params, chain_tip(c)->hdr.slot, slot, leader))
            die("leader", NULL);
        view_free(view);
        if (!builder_build(c, mp, leader, slot, &regtest_signer, &blocks[k], &v))
            die("build", &v);
        mempool_free(mp);
        if (blocks[k].ntx != ntx)
            die("the builder left transactions out", NULL);
        if (!chain_process_block(c, &blocks[k], &v))
            die("connect while building", &v);
    }
    chain_close(c);
    free(count);
    for (size_t i = 0; i < nb * ntx; i++) {
        uint8_t key[SIGCACHE_KEY_SIZE];
        struct validation v;
        if (!sigcheck_tx(cache, &txs[i], &params, key, &v))
            die("sigcheck_tx", &v);
        sigcache_insert(cache, key);
    }
    *txs_out = txs;
    return blocks;
}

/* Reads every account the transactions touch, through a view on the tip. */
static void warm_accounts(struct chain *c, const struct tx *txs, size_t n)
{
    struct view *view = chain_view(c);
    if (!view)
        die("view", NULL);
    for (size_t i = 0; i < n; i++) {
        uint8_t key[ACCOUNT_KEY_SIZE];
        const uint8_t *val;
        size_t vlen;
        struct transfer t;
        account_key(key, txs[i].sender);
        bool found = view_get(view, key, sizeof(key), &val, &vlen);
        if (transfer_decode(&t, txs[i].payload, txs[i].payload_len)) {
            account_key(key, t.to);
            found = view_get(view, key, sizeof(key), &val, &vlen);
        }
        (void)found;
    }
    view_free(view);
}

/* Resident bytes of the process now. */
static double rss_mib(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static double chain_rss;   /* MiB the open chain added, the blocks connected */
static uint64_t disk_after; /* bytes of the chainstate after the blocks, reopened */

/* Seconds to connect the blocks on a fresh copy of "genesis". */
static double connect_copy(const char *name, const struct block *blocks, size_t nb, bool warm,
                           const struct tx *txs, size_t ntx)
{
    char dir[256];
    run("rm -rf", name, NULL);
    snprintf(dir, sizeof(dir), "%s/%s", root_dir, name);
    run("cp -a", "genesis", name);
    (void)dir_bytes(dir, true);
    double rss0 = rss_mib();
    struct chain *c = open_chain(&params, name);
    if (warm)
        warm_accounts(c, txs, nb * ntx);
    struct validation v;
    double t0 = now_seconds();
    for (size_t k = 0; k < nb; k++)
        if (!chain_process_block(c, &blocks[k], &v))
            die("connect", &v);
    double t = now_seconds() - t0;
    if (rss_mib() - rss0 > chain_rss)
        chain_rss = rss_mib() - rss0;
    chain_close(c);
    /* On disk once reopened: the log replayed into tables. */
    chain_close(open_chain(&params, name));
    snprintf(dir, sizeof(dir), "%s/%s/chainstate", root_dir, name);
    disk_after = dir_bytes(dir, false);
    run("rm -rf", name, NULL);
    return t;
}

struct result {
    double genesis_s, cold, warm, rss;
    uint64_t disk;
};

/* The whole measure on a state of n accounts. */
static void measure(uint64_t n, size_t nb, size_t ntx, uint64_t reps, struct result *res)
{
    struct gen g;
    struct tx *txs;
    params_free(&params);
    /* 1,000 coins each, or less when that would pass the supply cap with
     * the regtest allocations. */
    uint64_t each = MAX_SUPPLY / 4 / n < 1000 * COIN ? MAX_SUPPLY / 4 / n : 1000 * COIN;
    if (!regtest_keys_init() || !gen_init(&g, (size_t)n, each) || !gen_fund(&g, &params))
        die("setup", NULL);
    run("rm -rf", "genesis", NULL);
    run("rm -rf", "build", NULL);
    double t0 = now_seconds();
    chain_close(open_chain(&params, "genesis"));
    res->genesis_s = now_seconds() - t0;
    /* Once more: LevelDB moves the genesis batch from its log into tables,
     * as a node's later starts would, so that no copy replays it. */
    chain_close(open_chain(&params, "genesis"));
    struct block *blocks = build_blocks(&g, nb, ntx, &txs);
    res->cold = res->warm = 1e30;
    chain_rss = 0;
    for (uint64_t r = 0; r < reps; r++) {
        double t = connect_copy("cold", blocks, nb, false, txs, ntx);
        if (t < res->cold)
            res->cold = t;
        t = connect_copy("warm", blocks, nb, true, txs, ntx);
        if (t < res->warm)
            res->warm = t;
    }
    res->rss = chain_rss;
    res->disk = disk_after;
    for (size_t k = 0; k < nb; k++)
        block_free(&blocks[k]);
    free(blocks);
    for (size_t i = 0; i < nb * ntx; i++)
        tx_free(&txs[i]);
    free(txs);
    gen_free(&g);
}

int main(int argc, char **argv)
{
    uint64_t accounts = 1000000, ref = 1000, ntx = 20000, nb = 2, reps = 2;
    uint64_t dbcache = DB_CACHE_DEFAULT_MIB, wb = db_tuning.write_buffer >> 20,
             fs = db_tuning.max_file_size >> 20, of = (uint64_t)db_tuning.max_open_files,
             bloom = (uint64_t)db_tuning.bloom_bits, comp = db_tuning.compression;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-accounts", &accounts) && !arg_u64(argv[i], "-ref-accounts", &ref) &&
            !arg_u64(argv[i], "-txs", &ntx) && !arg_u64(argv[i], "-blocks", &nb) &&
            !arg_u64(argv[i], "-reps", &reps) && !arg_u64(argv[i], "-dbcache", &dbcache) &&
            !arg_u64(argv[i], "-writebuffer", &wb) && !arg_u64(argv[i], "-filesize", &fs) &&
            !arg_u64(argv[i], "-openfiles", &of) && !arg_u64(argv[i], "-bloom", &bloom) &&
            !arg_u64(argv[i], "-compression", &comp)) {
            fprintf(stderr, "usage: bench_state [-accounts=1000000] [-ref-accounts=1000] "
                            "[-txs=20000] [-blocks=2] [-reps=2] [-dbcache=MiB] "
                            "[-writebuffer=MiB] [-filesize=MiB] [-openfiles=N] [-bloom=bits] "
                            "[-compression=0|1]\n");
            return 2;
        }
    db_tuning.cache = (size_t)dbcache << 20;
    db_tuning.write_buffer = (size_t)wb << 20;
    db_tuning.max_file_size = (size_t)fs << 20;
    db_tuning.max_open_files = (int)of;
    db_tuning.bloom_bits = (int)bloom;
    db_tuning.compression = comp != 0;
    if (ntx == 0 || nb == 0 || reps == 0 || accounts == 0 || ref == 0)
        die("sizes must be positive", NULL);
    if (!regtest_keys_init())
        die("setup", NULL);
    if (ntx > params.max_block_txs)
        ntx = params.max_block_txs;
    if (ntx > accounts * MEMPOOL_MAX_RUN || ntx > ref * MEMPOOL_MAX_RUN)
        die("too few accounts: at most 64 transfers of one sender per block", NULL);
    if (!mkdtemp(root_dir))
        die("mkdtemp", NULL);
    have_dir = true;

    cache = sigcache_new((size_t)SIGCACHE_DEFAULT_MIB << 20);
    pool = sigcheck_new(2, cache);
    if (!cache || !pool)
        die("pool", NULL);
    struct result big, small;
    measure(ref, (size_t)nb, (size_t)ntx, reps, &small);
    measure(accounts, (size_t)nb, (size_t)ntx, reps, &big);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double n = (double)(nb * ntx);
    printf("bench_state: %llu blocks of %llu random transfers; LevelDB: dbcache %llu MiB "
           "(chainstate %zu), write buffer %llu MiB, file size %llu MiB, open files %llu, "
           "bloom %llu bits/key, compression %s\n\n",
           (unsigned long long)nb, (unsigned long long)ntx, (unsigned long long)dbcache,
           db_cache_state() >> 20, (unsigned long long)wb, (unsigned long long)fs,
           (unsigned long long)of, (unsigned long long)bloom, comp ? "snappy" : "none");
    printf("| accounts | genesis state write (s) | chainstate on disk (MB) | chain RSS (MiB) "
           "| connect cold (tx/s) | ratio | connect warm (tx/s) | ratio |\n"
           "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const struct result *rs[2] = {&small, &big};
    uint64_t ns[2] = {ref, accounts};
    for (int k = 0; k < 2; k++)
        printf("| %llu | %.2f | %.1f | %.0f | %.0f | %.2f | %.0f | %.2f |\n",
               (unsigned long long)ns[k], rs[k]->genesis_s, (double)rs[k]->disk / 1e6, rs[k]->rss,
               n / rs[k]->cold, small.cold / rs[k]->cold, n / rs[k]->warm,
               small.warm / rs[k]->warm);
    printf("\nratio: the speed over the %llu-account state's, blocks of the same shape, same run (signatures "
           "cached, 2 threads); chain RSS: what the open chain adds while connecting; peak RSS "
           "of the program (generator and genesis included) %.0f MiB\n",
           (unsigned long long)ref, (double)ru.ru_maxrss / 1024.0);
    sigcheck_free(pool);
    sigcache_free(cache);
    params_free(&params);
    cleanup();
    return 0;
}
