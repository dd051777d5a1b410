/* The source node of bench/bench_sync.py, and the build + connect figure.
 *
 * Writes, for a network of its own (a genesis file: regtest's validators
 * and parameters, plus -accounts funded accounts of bench/gen_txs.h):
 *
 *   <out>/genesis.json        the file both fmld processes are started with
 *   <out>/<netdir>            the data directory's network part (blocks,
 *                             block index, chainstate) holding -txs signed
 *                             transfers in blocks of -block
 *
 * Every block is made as the node makes one from a full mempool: its
 * transactions enter a mempool through mempool_add (full checks; their
 * signatures land in the signature cache), then the builder builds the
 * block and chain_process_block connects it (two -par threads).  The build
 * + connect part is timed and printed next to the bound of the same run,
 * BIP340 verifies per second on two threads over the same signatures (the
 * check a block of transactions the node has not seen needs), and the
 * bound alone on its last line ("bound <verifies/s>") for the driver.
 * With -bound-only=1 it only measures and prints the bound again (the
 * driver does, right before each of its timed steps).  With -pending=N it
 * also writes <out>/pending.txt: N more signed transfers, the senders' next
 * nonces after the blocks, one a line as "<sender number> <hex>" (what
 * bench/bench_accept_rpc.py sends to a running node).
 *
 *   bench_sync_prep -out=DIR -netdir=DIR [-accounts=1000] [-txs=60000] [-block=20000]
 *                   [-pending=0]
 *   bench_sync_prep -bound-only=1 [-accounts=1000] [-txs=60000]
 *
 * Benchmarks only: nothing here decides anything of consensus. */
#include "bench/bench_util.h"
#include "bench/gen_txs.h"
#include "consensus/amount.h"
#include "node/genesisfile.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/sigcache.h"
#include "state/sigcheck.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what, const struct validation *v)
{
    fprintf(stderr, "bench_sync_prep: %s%s%s%s%s\n", what, v ? ": " : "", v ? v->reason : "",
            v && v->detail[0] ? " " : "", v ? v->detail : "");
    exit(1);
}

static const char *arg_str(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
            return argv[i] + n + 1;
    return NULL;
}

static void hex32(const uint8_t b[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[64] = '\0';
}

/* The genesis file: regtest's validators (whose keys tests/regtest_signer.h
 * holds), the accounts' allocations, slot 0 far enough in the past for
 * every block's slot. */
static char *genesis_json(const struct gen *g, uint64_t nblocks)
{
    size_t cap = 4096 + g->n * 128 + params.n_validators * 256, len = 0;
    char *s = malloc(cap), amount[32], hex[65];
    if (!s)
        die("out of memory", NULL);
    uint64_t start = (uint64_t)time(NULL) - (nblocks + 100) * 5;
    len += (size_t)snprintf(s + len, cap - len,
                            "{\"name\": \"benchsync\", \"hrp\": \"bfml\", \"genesis_time\": %llu, "
                            "\"params\": {\"slot_seconds\": 5}, \"allocations\": [",
                            (unsigned long long)start);
    genesisfile_format_amount(g->amount, amount);
    for (size_t i = 0; i < g->n; i++) {
        hex32(g->pub[i], hex);
        len += (size_t)snprintf(s + len, cap - len, "%s{\"pubkey\": \"%s\", \"amount\": \"%s\"}",
                                i ? ", " : "", hex, amount);
    }
    len += (size_t)snprintf(s + len, cap - len, "], \"validators\": [");
    for (size_t i = 0; i < params.n_validators; i++) {
        const struct genesis_validator *v = &params.validators[i];
        char commit[65];
        hex32(v->pubkey, hex);
        hex32(v->randao_commit, commit);
        genesisfile_format_amount(v->stake, amount);
        len += (size_t)snprintf(s + len, cap - len,
                                "%s{\"pubkey\": \"%s\", \"stake\": \"%s\", \"commission_bps\": %u, "
                                "\"randao_commit\": \"%s\"}",
                                i ? ", " : "", hex, amount, (unsigned)v->commission_bps, commit);
    }
    snprintf(s + len, cap - len, "]}\n");
    return s;
}

/* <out>/pending.txt: n transfers after the blocks' (see the top). */
static void write_pending(struct gen *g, const char *out, size_t n)
{
    char path[4200];
    size_t first = g->next;
    struct tx *txs = calloc(n, sizeof(*txs));
    if (!txs || !gen_transfers(g, &params, 1000, txs, n))
        die("generating pending transactions", NULL);
    snprintf(path, sizeof(path), "%s/pending.txt", out);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write pending.txt", NULL);
    for (size_t i = 0; i < n; i++) {
        struct wbuf w;
        wbuf_init(&w);
        tx_encode(&txs[i], &w);
        char *hex = malloc(w.len * 2 + 1);
        if (w.failed || !hex)
            die("encoding", NULL);
        sodium_bin2hex(hex, w.len * 2 + 1, w.data, w.len);
        fprintf(f, "%zu %s\n", (first + i) % g->n, hex);
        free(hex);
        wbuf_free(&w);
        tx_free(&txs[i]);
    }
    free(txs);
    if (fclose(f) != 0)
        die("cannot write pending.txt", NULL);
}

int main(int argc, char **argv)
{
    uint64_t accounts = 1000, ntxs = 60000, per_block = 20000, bound_only = 0, pending = 0;
    const char *out = arg_str(argc, argv, "-out"), *netdir = arg_str(argc, argv, "-netdir");
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-accounts", &accounts) && !arg_u64(argv[i], "-txs", &ntxs) &&
            !arg_u64(argv[i], "-block", &per_block) && !arg_u64(argv[i], "-bound-only", &bound_only) &&
            !arg_u64(argv[i], "-pending", &pending) &&
            strncmp(argv[i], "-out=", 5) != 0 &&
            strncmp(argv[i], "-netdir=", 8) != 0) {
            fprintf(stderr, "usage: bench_sync_prep -out=DIR -netdir=DIR [-accounts=1000] "
                            "[-txs=60000] [-block=20000] [-bound-only=1] [-pending=0]\n");
            return 2;
        }
    struct gen g;
    char err[256], path[4200];
    if (bound_only) {
        /* The bound again, right before a timed step of the driver: the
         * same generator, the same number of signatures. */
        struct tx *txs = calloc(ntxs ? ntxs : 1, sizeof(*txs));
        if (!regtest_keys_init() || !gen_init(&g, (size_t)(accounts ? accounts : 1), COIN) ||
            !txs || !gen_transfers(&g, &params, 1000, txs, (size_t)ntxs))
            die("setup", NULL);
        double b = gen_verify_bound(txs, (size_t)ntxs, &params);
        if (b <= 0)
            die("a generated signature does not verify", NULL);
        printf("bound %.0f\n", b);
        for (size_t i = 0; i < ntxs; i++)
            tx_free(&txs[i]);
        free(txs);
        gen_free(&g);
        params_free(&params);
        return 0;
    }
    if (!out || !netdir || accounts == 0 || ntxs == 0 || per_block == 0)
        die("-out, -netdir and positive sizes are needed", NULL);
    if (!regtest_keys_init() || !gen_init(&g, (size_t)accounts, 1000 * COIN))
        die("setup", NULL);
    if (per_block > params.max_block_txs)
        per_block = params.max_block_txs;
    size_t nb = (size_t)((ntxs + per_block - 1) / per_block);
    if (ntxs > accounts * MEMPOOL_MAX_RUN * nb)
        die("too few accounts: at most 64 transactions of one sender per block", NULL);
    if (pending > accounts * MEMPOOL_MAX_RUN)
        die("too few accounts: at most 64 pending transactions of one sender", NULL);

    char *json = genesis_json(&g, nb);
    params_free(&params);
    if (!genesisfile_parse(&params, json, strlen(json), err, sizeof(err)))
        die(err, NULL);
    snprintf(path, sizeof(path), "%s/genesis.json", out);
    FILE *f = fopen(path, "w");
    if (!f || fputs(json, f) < 0 || fclose(f) != 0)
        die("cannot write genesis.json", NULL);
    free(json);

    struct tx *all = calloc(ntxs, sizeof(*all));
    if (!all || !gen_transfers(&g, &params, 1000, all, (size_t)ntxs))
        die("generating transactions", NULL);
    double bound = gen_verify_bound(all, (size_t)ntxs, &params);
    if (bound <= 0)
        die("a generated signature does not verify", NULL);

    struct sigcache *cache = sigcache_new((size_t)SIGCACHE_DEFAULT_MIB << 20);
    struct sigcheck *pool = cache ? sigcheck_new(2, cache) : NULL;
    struct chain_options opts = {.sigcheck = pool};
    struct chain *c = pool ? chain_open_with(&params, netdir, &opts, err, sizeof(err)) : NULL;
    if (!c)
        die(pool ? err : "pool", NULL);
    double built = 0;
    size_t done = 0;
    for (size_t k = 0; k < nb; k++) {
        struct mempool *mp = mempool_new(c, 1u << 30, 0);
        struct validation v;
        struct block b;
        uint8_t leader[PUBKEY_SIZE];
        size_t n = ntxs - done < per_block ? (size_t)(ntxs - done) : (size_t)per_block;
        if (!mp)
            die("mempool", NULL);
        for (size_t i = 0; i < n; i++)
            if (!mempool_add(mp, &all[done + i], 0, &v))
                die("mempool_add", &v);
        uint64_t slot = chain_tip(c)->hdr.slot + 1;
        struct view *view = chain_view(c);
        if (!view || !staking_leader_for(view, &params, chain_tip(c)->hdr.slot, slot, leader))
            die("leader", NULL);
        view_free(view);
        double t0 = now_seconds();
        if (!builder_build(c, mp, leader, slot, &regtest_signer, &b, &v))
            die("build", &v);
        if (!chain_process_block(c, &b, &v))
            die("connect", &v);
        built += now_seconds() - t0;
        if (b.ntx != n)
            die("the builder left transactions out", NULL);
        block_free(&b);
        mempool_free(mp);
        done += n;
    }
    chain_close(c);
    sigcheck_free(pool);
    sigcache_free(cache);
    for (size_t i = 0; i < ntxs; i++)
        tx_free(&all[i]);
    free(all);
    if (pending > 0)
        write_pending(&g, out, (size_t)pending);
    gen_free(&g);
    params_free(&params);
    printf("| build + connect from a full mempool (builder, -par=2, signatures cached) | %.0f "
           "| %.0f | %.2f |\n",
           (double)ntxs / built, bound, (double)ntxs / built / bound);
    printf("bound %.0f\n", bound);
    return 0;
}
