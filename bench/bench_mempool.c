/* Benchmark of the mempool at its limit: the pool is filled to -size MB of
 * accounted memory (default 300, the node's default -maxmempool) with
 * one-transaction senders, the shape that made eviction scan every sender;
 * then it times admitting transactions that force eviction (64 transfers
 * and one 131 kB FL task), connecting a block (the tip change that re-checks
 * the pool), and taking a block's candidates from the full pool.  Each figure is a ratio
 * against a baseline measured in the same run with the pool empty:
 * admitting the same kind of transaction, connecting the same kind of block
 * (the fastest of five).
 *
 *   bench_mempool [-size=300] [-n=64]
 *
 * The fill uses mempool_add_unchecked (unsigned transactions of made-up
 * senders), so only the timed steps pay for signatures and state.  The
 * clock lives here only: nothing of this program reaches consensus. */
#include "bench/bench_util.h"
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/fl.h"
#include "consensus/stakingtx.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/chain_fixture.h"
#include "tests/regtest_signer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what)
{
    fprintf(stderr, "bench_mempool: %s\n", what);
    exit(1);
}

static void transfer(struct tx *tx, int from, uint64_t nonce, uint64_t fee)
{
    struct transfer t;
    struct wbuf w;
    tx_init(tx);
    tx->type = TX_TRANSFER;
    if (!key_pubkey(tx->sender, secrets[from]))
        die("key");
    tx->nonce = nonce;
    tx->fee = fee;
    memcpy(t.to, pubs[3], PUBKEY_SIZE);
    t.amount = COIN;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    if (!tx_set_payload(tx, w.data, w.len) || !tx_sign(tx, params.genesis_hash, secrets[from], NULL))
        die("tx");
    wbuf_free(&w);
}

/* An FL task creation from validator 3 with the largest allow-list
 * (4,096 keys: about 131 kB), reward pool `pool`. */
static void big_task(struct tx *tx, uint64_t nonce, uint64_t pool)
{
    static uint8_t allow[FL_MAX_ALLOW * PUBKEY_SIZE];
    struct fl_task_params t = fixture_fl_task(pool);
    t.n_allow = FL_MAX_ALLOW;
    t.allow = allow;
    struct wbuf w;
    for (uint32_t i = 0; i < FL_MAX_ALLOW; i++)
        write_be64(allow + (size_t)i * PUBKEY_SIZE, (uint64_t)i + 1);
    tx_init(tx);
    tx->type = TX_FL_TASK_CREATE;
    if (!key_pubkey(tx->sender, secrets[3]))
        die("key");
    tx->nonce = nonce;
    wbuf_init(&w);
    fl_task_params_encode(&t, &w);
    tx->fee = 10 * (uint64_t)w.len; /* 10,000 units/kB: above any evicted rate */
    if (!tx_set_payload(tx, w.data, w.len) || !tx_sign(tx, params.genesis_hash, secrets[3], NULL))
        die("tx");
    wbuf_free(&w);
}

/* Times admitting txs[0..n) into mp; seconds per transaction. */
static double time_admit(struct mempool *mp, struct tx *txs, size_t n)
{
    double t0 = now_seconds();
    for (size_t i = 0; i < n; i++) {
        struct validation v;
        if (!mempool_add(mp, &txs[i], 0, &v)) {
            fprintf(stderr, "bench_mempool: admit: %s %s\n", v.reason, v.detail);
            exit(1);
        }
    }
    return (now_seconds() - t0) / (double)n;
}

/* Builds a block of one transfer of validator 2's from a scratch pool and
 * times connecting it (every pool on the chain hears of it). */
static double time_one_block(struct chain *c)
{
    struct mempool *scratch = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    struct account a;
    struct tx tx;
    struct block b;
    struct validation v;
    uint8_t leader[PUBKEY_SIZE];
    if (!scratch || !chain_get_account(c, pubs[2], &a))
        die("scratch pool");
    transfer(&tx, 2, a.nonce, 1000);
    if (!mempool_add(scratch, &tx, 0, &v))
        die(v.reason);
    uint64_t slot = chain_tip(c)->hdr.slot + 1;
    struct view *view = chain_view(c);
    if (!view || !staking_leader_for(view, &params, chain_tip(c)->hdr.slot, slot, leader))
        die("leader");
    view_free(view);
    if (!builder_build(c, scratch, leader, slot, &regtest_signer, &b, &v))
        die(v.reason);
    mempool_free(scratch);
    double t0 = now_seconds();
    if (!chain_process_block(c, &b, &v))
        die(v.reason);
    double t = now_seconds() - t0;
    block_free(&b);
    tx_free(&tx);
    return t;
}

/* The fastest of five such blocks (the machine is shared). */
static double time_block(struct chain *c)
{
    double best = time_one_block(c);
    for (int i = 1; i < 5; i++) {
        double t = time_one_block(c);
        if (t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    uint64_t size_mb = MEMPOOL_DEFAULT_MAX_BYTES / 1000000, n = 64;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-size", &size_mb) && !arg_u64(argv[i], "-n", &n)) {
            fprintf(stderr, "usage: %s [-size=300] [-n=64]\n", argv[0]);
            return 1;
        }
    if (n == 0 || n > MEMPOOL_MAX_RUN || size_mb == 0)
        die("-n must be 1..64, -size at least 1");
    if (!regtest_keys_init())
        die("regtest keys");
    char datadir[] = "/tmp/fml-bench-mempool-XXXXXX", err[256] = "";
    if (!mkdtemp(datadir))
        die("mkdtemp");
    struct chain *c = chain_open(&params, datadir, false, err, sizeof(err));
    if (!c)
        die(err);
    size_t max = (size_t)size_mb * 1000000;
    struct mempool *mp = mempool_new(c, max, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx *base = calloc(n, sizeof(*base)), *full = calloc(n, sizeof(*full));
    if (!mp || !base || !full)
        die("out of memory");
    for (uint64_t i = 0; i < n; i++) {
        transfer(&base[i], 0, i, 100000);
        transfer(&full[i], 1, i, 100000);
    }

    struct tx big_base, big_full;
    uint8_t big_txid[HASH_SIZE];
    big_task(&big_base, 0, 1000 * COIN);
    big_task(&big_full, 0, 1001 * COIN);

    /* Baselines with the pool empty. */
    double admit_empty = time_admit(mp, base, n);
    double big_empty = time_admit(mp, &big_base, 1);
    tx_txid(&big_base, big_txid);
    mempool_remove(mp, big_txid);
    double block_empty = time_block(c);

    /* Fill with one-transaction senders at the minimum fee. */
    double t0 = now_seconds();
    struct tx fake;
    struct transfer t;
    struct wbuf w;
    tx_init(&fake);
    fake.type = TX_TRANSFER;
    fake.fee = 155;
    memcpy(t.to, pubs[3], PUBKEY_SIZE);
    t.amount = 1;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    if (!tx_set_payload(&fake, w.data, w.len))
        die("payload");
    wbuf_free(&w);
    memset(fake.sender, 0x42, PUBKEY_SIZE);
    for (uint64_t i = 0; mempool_usage(mp) + 4096 < max; i++) {
        memcpy(fake.sender, &i, sizeof(i));
        if (!mempool_add_unchecked(mp, &fake, 0))
            die("fill");
    }
    tx_free(&fake);
    double fill = now_seconds() - t0;
    size_t filled = mempool_count(mp);
    printf("pool filled: %zu one-transaction senders, %zu tx bytes, usage %zu of %zu (%.1f s)\n",
           filled, mempool_bytes(mp), mempool_usage(mp), max, fill);

    /* The timed steps with the pool full. */
    double admit_full = time_admit(mp, full, n);
    size_t evicted = filled + n - mempool_count(mp);
    size_t before_big = mempool_count(mp);
    double big_full_t = time_admit(mp, &big_full, 1);
    size_t big_evicted = before_big + 1 - mempool_count(mp);
    size_t nsel;
    t0 = now_seconds();
    const struct mempool_entry **sel = mempool_select(mp, &nsel);
    double select_full = now_seconds() - t0;
    free(sel);
    double block_full = time_block(c);
    size_t after = mempool_count(mp);

    /* One valid stake addition below every transfer of the pool (after the
     * task of the same sender): each tip
     * change walks a block's worth of candidates to reach it. */
    struct tx low;
    tx_init(&low);
    low.type = TX_STAKE_ADD;
    low.fee = 100;
    if (!key_pubkey(low.sender, secrets[3]))
        die("key");
    low.nonce = mempool_next_nonce(mp, pubs[3]); /* after its pooled task */
    wbuf_init(&w);
    stake_amount_encode(COIN, &w);
    if (!tx_set_payload(&low, w.data, w.len) || !mempool_add_unchecked(mp, &low, 0))
        die("low fill");
    wbuf_free(&w);
    tx_free(&low);
    double block_low = time_block(c);
    size_t after_low = mempool_count(mp);

    /* Delegations on top of the pool that no longer apply (from senders
     * with nothing), as a block can leave them: the next tip change applies
     * the next block's candidates and drops them, each once. */
    enum { STALE = 45000 };
    struct tx ghost;
    tx_init(&ghost);
    ghost.type = TX_DELEGATE;
    ghost.fee = 50000;
    wbuf_init(&w);
    put_bytes(&w, pubs[0], PUBKEY_SIZE);
    put_u64(&w, COIN);
    if (!tx_set_payload(&ghost, w.data, w.len))
        die("payload");
    wbuf_free(&w);
    memset(ghost.sender, 0x67, PUBKEY_SIZE);
    for (uint64_t i = 0; i < STALE; i++) {
        memcpy(ghost.sender, &i, sizeof(i));
        if (!mempool_add_unchecked(mp, &ghost, 0))
            die("stale fill");
    }
    tx_free(&ghost);
    size_t before_stale = mempool_count(mp), nstale_sel;
    /* Block candidates before any tip change dropped them: skipped. */
    t0 = now_seconds();
    sel = mempool_select(mp, &nstale_sel);
    double select_stale = now_seconds() - t0;
    free(sel);
    double block_stale = time_one_block(c);
    size_t stale_gone = before_stale - mempool_count(mp);

    /* A reorganization (the tip invalidated): the whole pool is checked
     * again, once. */
    size_t before_reorg = mempool_count(mp);
    struct validation rv;
    uint8_t tip_hash[HASH_SIZE];
    memcpy(tip_hash, chain_tip(c)->hash, HASH_SIZE);
    t0 = now_seconds();
    if (!chain_invalidate(c, tip_hash, &rv))
        die(rv.reason);
    double reorg_full = now_seconds() - t0;
    size_t after_reorg = mempool_count(mp);

    printf("admit into an empty pool:    %10.1f us per tx (baseline)\n", admit_empty * 1e6);
    printf("admit into the full pool:    %10.1f us per tx, %zu evicted  ratio %.2f\n",
           admit_full * 1e6, evicted, admit_full / admit_empty);
    printf("admit a %zu-byte task, empty: %10.1f us (baseline)\n", tx_encoded_size(&big_base),
           big_empty * 1e6);
    printf("admit it into the full pool: %10.1f us, %zu evicted  ratio %.2f\n", big_full_t * 1e6,
           big_evicted, big_full_t / big_empty);
    printf("connect a block, empty pool: %10.1f ms (baseline)\n", block_empty * 1e3);
    printf("connect a block, full pool:  %10.1f ms  ratio %.2f (%zu pooled before, %zu after)\n",
           block_full * 1e3, block_full / block_empty, filled + n + 1 - evicted - big_evicted, after);
    printf("block candidates from the full pool (mempool_select): %.1f ms, %zu candidates\n",
           select_full * 1e3, nsel);
    printf("connect a block, full pool, a stake addition below it: %.1f ms  ratio %.2f (%zu pooled)\n",
           block_low * 1e3, block_low / block_empty, after_low);
    printf("block candidates with them on top: %.1f ms, %zu candidates\n", select_stale * 1e3,
           nstale_sel);
    printf("connect a block with %d stale delegations on top: %.1f ms  ratio %.2f, %zu dropped "
           "(%.1f us each)\n",
           STALE, block_stale * 1e3, block_stale / block_empty, stale_gone,
           stale_gone ? (block_stale - block_empty) / (double)stale_gone * 1e6 : 0.0);

    printf("disconnect the tip, full pool: %.1f ms (%zu pooled before, %zu after; the fill's "
           "senders have nothing, so it drops them)\n",
           reorg_full * 1e3, before_reorg, after_reorg);
    for (uint64_t i = 0; i < n; i++) {
        tx_free(&base[i]);
        tx_free(&full[i]);
    }
    free(base);
    free(full);
    tx_free(&big_base);
    tx_free(&big_full);
    mempool_free(mp);
    chain_close(c);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", datadir);
    if (system(cmd) != 0)
        die("cleanup");
    params_free(&params);
    return 0;
}
