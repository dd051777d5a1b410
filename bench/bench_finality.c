/* Benchmark of the worst block of finality votes against transfers, in the
 * same run on a regtest chain.
 *
 * The rules bound the votes of a block to 2 x max_validators: a vote counts
 * only from a key with stake in the vote weights of its target epoch (at
 * most max_validators keys), once per key and target epoch, and only the
 * epoch of the block and the one before are targets.  The worst block holds
 * all of them: max_validators keys (written into the vote weights of both
 * epochs in a view over the chain state), each voting for the previous
 * epoch and then for the current one, so that the block justifies both
 * epochs and finalizes one (every counting branch taken).  It is compared
 * with as many TRANSFERs and with the full block of -n TRANSFERs.
 *
 * Each figure is the minimum over -reps runs of the stateless block checks
 * (signatures), the state transition into a fresh view and the state root.
 *
 *   bench_finality [-n=20000] [-reps=3]
 *
 * The clock lives here only: nothing of this program reaches consensus. */
#include "bench/bench_chain.h"
#include "consensus/accounts.h"
#include "consensus/finality.h"
#include "consensus/params.h"
#include "state/finality.h"
#include "state/mempool.h"
#include "tests/chain_fixture.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/fml-bench-finality-XXXXXX";

struct keyed {
    uint8_t sec[SECKEY_SIZE];
    uint8_t pub[PUBKEY_SIZE];
};

static int cmp_pub(const void *a, const void *b)
{
    return memcmp(((const struct keyed *)a)->pub, ((const struct keyed *)b)->pub, PUBKEY_SIZE);
}

static void put_weights(struct view *v, uint64_t e, const struct keyed *k, size_t n)
{
    uint8_t key[10] = {'F', 'w'};
    struct wbuf w;
    write_be64(key + 2, e);
    wbuf_init(&w);
    put_u64(&w, (uint64_t)n * COIN);
    put_u32(&w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        put_bytes(&w, k[i].pub, PUBKEY_SIZE);
        put_u64(&w, COIN);
    }
    view_put_wbuf(v, key, sizeof(key), &w);
    wbuf_free(&w);
}

static void add_vote(struct block *b, const struct keyed *k, const struct checkpoint *src,
                     uint64_t te, const uint8_t th[HASH_SIZE])
{
    struct finality_vote fv = {.source = *src, .target = {.epoch = te}};
    struct wbuf w;
    struct tx tx;
    memcpy(fv.target.hash, th, HASH_SIZE);
    wbuf_init(&w);
    finality_vote_encode(&fv, &w);
    tx_init(&tx);
    tx.type = TX_FINALITY_VOTE;
    memcpy(tx.sender, k->pub, PUBKEY_SIZE);
    if (!tx_set_payload(&tx, w.data, w.len) || !tx_sign(&tx, params.genesis_hash, k->sec, NULL) ||
        !block_add_tx(b, &tx))
        die("making votes", NULL);
    tx_free(&tx);
    wbuf_free(&w);
}

static void add_transfers(struct block *b, uint64_t n)
{
    uint64_t nonce[REGTEST_VALIDATORS] = {0};
    for (uint64_t i = 0; i < n; i++) {
        size_t from = (size_t)(i % REGTEST_VALIDATORS);
        struct wbuf w;
        struct tx tx;
        wbuf_init(&w);
        fixture_transfer_payload(&w, pubs[(from + 1) % REGTEST_VALIDATORS], 1000);
        if (!fixture_make_tx(&tx, secrets[from], TX_TRANSFER, &w, nonce[from]++, 100000) ||
            !block_add_tx(b, &tx))
            die("making transfers", NULL);
        tx_free(&tx);
        wbuf_free(&w);
    }
}

int main(int argc, char **argv)
{
    uint64_t n = 20000, reps = 3;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-n", &n) && !arg_u64(argv[i], "-reps", &reps)) {
            fprintf(stderr, "usage: %s [-n=20000] [-reps=3]\n", argv[0]);
            return 2;
        }
    if (n == 0 || reps == 0 || !regtest_keys_init())
        return 2;
    struct chain *c = bench_open_chain(dir);
    if (!c)
        return 1;
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    /* A tip in epoch 2 with room for one more block in the epoch. */
    while (params_epoch_of(&params, chain_tip(c)->hdr.slot) < 2 ||
           params_epoch_of(&params, chain_tip(c)->hdr.slot + 1) !=
               params_epoch_of(&params, chain_tip(c)->hdr.slot))
        if (!fixture_produce(c, mp))
            die("producing", NULL);
    mempool_free(mp);
    const uint64_t e = params_epoch_of(&params, chain_tip(c)->hdr.slot);

    /* max_validators keys with equal stakes in the weights of e-1 and e. */
    const size_t nk = params.max_validators;
    struct keyed *k = calloc(nk, sizeof(*k));
    if (!k)
        die("out of memory", NULL);
    for (size_t i = 0; i < nk; i++)
        derived_key(i, 7, k[i].sec, k[i].pub);
    qsort(k, nk, sizeof(*k), cmp_pub);
    struct view *weighted = chain_view(c);
    put_weights(weighted, e - 1, k, nk);
    put_weights(weighted, e, k, nk);
    struct checkpoint genesis = {.epoch = 0}, prev = {.epoch = e - 1};
    uint8_t cp_cur[HASH_SIZE];
    memcpy(genesis.hash, params.genesis_hash, HASH_SIZE);
    if (!finality_checkpoint(weighted, &params, e - 1, prev.hash) ||
        !finality_checkpoint(weighted, &params, e, cp_cur))
        die("checkpoints", NULL);

    /* Every key votes genesis -> e-1 (justifies e-1), then e-1 -> e
     * (justifies e and finalizes e-1). */
    struct block votes, transfers_same, transfers_full;
    block_init(&votes);
    block_init(&transfers_same);
    block_init(&transfers_full);
    make_header(c, &votes.hdr);
    transfers_same.hdr = transfers_full.hdr = votes.hdr;
    for (size_t i = 0; i < nk; i++)
        add_vote(&votes, &k[i], &genesis, e - 1, prev.hash);
    for (size_t i = 0; i < nk; i++)
        add_vote(&votes, &k[i], &prev, e, cp_cur);
    add_transfers(&transfers_same, votes.ntx);
    add_transfers(&transfers_full, n);
    seal(&votes);
    seal(&transfers_same);
    seal(&transfers_full);

    /* The block must do what it claims: both epochs justified, e-1 final. */
    {
        struct validation v;
        struct checkpoint cur, pj, fin;
        struct view *view = view_new(NULL, weighted);
        if (!apply_block(view, &params, &chain_tip(c)->hdr, &votes, &v))
            die("apply votes", &v);
        if (!finality_justified(view, &params, &cur, &pj) ||
            !finality_finalized(view, &params, &fin) || cur.epoch != e || fin.epoch != e - 1)
            die("the votes did not justify and finalize", NULL);
        view_free(view);
    }

    struct chain_params lifted = params;
    lifted.max_block_txs = (uint32_t)(3 * n);
    check_params = &lifted;
    double t_votes = best_of(c, weighted, &votes, reps);
    double t_same = best_of(c, NULL, &transfers_same, reps);
    double t_full = best_of(c, NULL, &transfers_full, reps);
    check_params = &params;

    printf("A block of %zu FINALITY_VOTEs (2 x max_validators: every key of the weights for\n"
           "both target epochs) against TRANSFERs, min of %" PRIu64
           " runs (stateless checks + transition + state root).\n\n",
           votes.ntx, reps);
    printf("| block | n | time (ms) | ratio a transaction | ratio to %" PRIu64
           " transfers |\n|---|---:|---:|---:|---:|\n",
           n);
    printf("| TRANSFERs | %zu | %.1f | 1.00 | %.3f |\n", transfers_same.ntx, t_same * 1e3,
           t_same / t_full);
    printf("| FINALITY_VOTEs | %zu | %.1f | %.2f | %.3f |\n", votes.ntx, t_votes * 1e3,
           t_votes / t_same, t_votes / t_full);
    printf("| TRANSFERs (full block) | %" PRIu64 " | %.1f | 1.00 | 1.000 |\n", n, t_full * 1e3);

    view_free(weighted);
    block_free(&votes);
    block_free(&transfers_same);
    block_free(&transfers_full);
    free(k);
    chain_close(c);
    remove_dir();
    return 0;
}
