/* Benchmark of the staking state transition's worst cases against a full
 * block of transfers, all measured in the same run on a regtest chain:
 *
 *   - a block of n TRANSFERs (the reference),
 *   - a block of n UNBONDs (each queues an unbonding entry at one height),
 *   - the same UNBONDs on a state whose queue at that height already holds
 *     -queued entries (more than one block can put there: it shows the cost
 *     per entry does not depend on what the queue holds).
 *
 * Each figure is the minimum over -reps runs of: the stateless block checks
 * (signatures), the state transition into a fresh view over the chain state,
 * and the state root over the changes.  The ratios to the transfer block are
 * what stays comparable across machines.
 *
 *   bench_staking [-n=20000] [-queued=100000] [-reps=3]
 *
 * The clock lives here only: nothing of this program reaches consensus. */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/stakingtx.h"
#include "state/apply.h"
#include "state/chain.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool arg_u64(const char *arg, const char *name, uint64_t *out)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0 || arg[n] != '=')
        return false;
    *out = strtoull(arg + n + 1, NULL, 10);
    return true;
}

static char dir[] = "/tmp/fml-bench-staking-XXXXXX";

static void remove_dir(void)
{
    char cmd[sizeof(dir) + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static void die(const char *what, const struct validation *v)
{
    fprintf(stderr, "%s failed: %s %s\n", what, v ? v->reason : "", v ? v->detail : "");
    remove_dir();
    exit(1);
}

/* A header for the block after the tip, led and revealed as the state says. */
static void make_header(struct chain *c, struct block_header *hdr)
{
    const struct block_index *tip = chain_tip(c);
    struct view *view = chain_view(c);
    struct validator val;
    memset(hdr, 0, sizeof(*hdr));
    hdr->version = BLOCK_VERSION;
    hdr->height = tip->hdr.height + 1;
    hdr->slot = tip->hdr.slot + 1;
    memcpy(hdr->prev, tip->hash, HASH_SIZE);
    if (!staking_leader_for(view, &params, tip->hdr.slot, hdr->slot, hdr->proposer) ||
        !staking_get_validator(view, hdr->proposer, &val) ||
        !regtest_reveal(NULL, hdr->proposer, val.reveals, hdr->randao_reveal))
        die("header", NULL);
    view_free(view);
}

/* n transactions of one type, spread over the four validators' keys. */
static void fill_block(struct block *b, uint8_t type, uint64_t n)
{
    struct wbuf w;
    uint64_t nonce[REGTEST_VALIDATORS] = {0};
    wbuf_init(&w);
    for (uint64_t i = 0; i < n; i++) {
        unsigned from = (unsigned)(i % REGTEST_VALIDATORS);
        struct tx tx;
        wbuf_reset(&w);
        if (type == TX_TRANSFER) {
            struct transfer t = {.amount = COIN};
            uint8_t sec[SECKEY_SIZE] = {0};
            write_be64(sec, i + 1); /* a new account each */
            sec[31] = 1;
            if (!key_pubkey(t.to, sec))
                die("key", NULL);
            transfer_encode(&t, &w);
        } else {
            stake_amount_encode(1, &w);
        }
        tx_init(&tx);
        tx.type = type;
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

/* Stateless checks, the state transition over parent (or the chain state),
 * and the state root: seconds. */
static double validate(struct chain *c, struct view *parent, const struct block *b)
{
    struct validation v;
    uint8_t root[HASH_SIZE];
    double t = now_seconds();
    if (!block_check(b, &params, &v))
        die("block_check", &v);
    struct view *view = parent ? view_new(NULL, parent) : chain_view(c);
    if (!apply_block(view, &params, &chain_tip(c)->hdr, b, &v))
        die("apply_block", &v);
    if (!chain_root_with(c, view, root))
        die("state root", NULL);
    view_free(view);
    return now_seconds() - t;
}

static double best_of(struct chain *c, struct view *parent, const struct block *b, uint64_t reps)
{
    double best = 1e30;
    for (uint64_t r = 0; r < reps; r++) {
        double t = validate(c, parent, b);
        if (t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    uint64_t n = 20000, queued = 100000, reps = 3;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-n", &n) && !arg_u64(argv[i], "-queued", &queued) &&
            !arg_u64(argv[i], "-reps", &reps)) {
            fprintf(stderr, "usage: %s [-n=20000] [-queued=100000] [-reps=3]\n", argv[0]);
            return 2;
        }
    if (n == 0 || reps == 0 || !regtest_keys_init())
        return 2;
    char err[256] = "";
    if (!mkdtemp(dir))
        return 1;
    struct chain *c = chain_open(&params, dir, false, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "chain_open: %s\n", err);
        remove_dir();
        return 1;
    }

    struct block transfers, unbonds;
    block_init(&transfers);
    block_init(&unbonds);
    make_header(c, &transfers.hdr);
    unbonds.hdr = transfers.hdr;
    fill_block(&transfers, TX_TRANSFER, n);
    fill_block(&unbonds, TX_UNBOND, n);
    block_merkle_root(&transfers, transfers.hdr.tx_root);
    block_merkle_root(&unbonds, unbonds.hdr.tx_root);
    if (!regtest_sign(NULL, &transfers.hdr) || !regtest_sign(NULL, &unbonds.hdr))
        die("signing", NULL);

    /* A queue at the maturity height of these UNBONDs already holding
     * `queued` entries. */
    struct view *full = chain_view(c);
#ifdef UNBONDING_ENTRY_KEY_SIZE
    uint64_t maturity = transfers.hdr.height + params.unbonding_blocks;
    uint8_t key[UNBONDING_ENTRY_KEY_SIZE], count[8];
    struct wbuf w;
    wbuf_init(&w);
    for (uint64_t i = 0; i < queued; i++) {
        struct unbonding_entry e = {.amount = 1};
        memcpy(e.owner, pubs[i % REGTEST_VALIDATORS], PUBKEY_SIZE);
        wbuf_reset(&w);
        unbonding_entry_encode(&e, &w);
        unbonding_entry_key(key, maturity, i);
        view_put_wbuf(full, key, sizeof(key), &w);
    }
    wbuf_free(&w);
    if (queued) {
        write_le64(count, queued);
        view_put(full, key, UNBONDING_COUNT_KEY_SIZE, count, sizeof(count));
    }
#else
    queued = 0; /* the single-list queue of earlier versions: compared without */
#endif

    double t_tx = best_of(c, NULL, &transfers, reps);
    double t_ub = best_of(c, NULL, &unbonds, reps);
    double t_full = best_of(c, full, &unbonds, reps);
    view_free(full);

    printf("staking state transition, %" PRIu64 " transactions a block, min of %" PRIu64
           " runs (stateless checks + transition + state root)\n\n",
           n, reps);
    printf("| block | time (ms) | ratio to transfers |\n|---|---:|---:|\n");
    printf("| %" PRIu64 " TRANSFERs | %.1f | 1.00 |\n", n, t_tx * 1e3);
    printf("| %" PRIu64 " UNBONDs, empty queue | %.1f | %.2f |\n", n, t_ub * 1e3, t_ub / t_tx);
    printf("| %" PRIu64 " UNBONDs, %" PRIu64 " entries already queued | %.1f | %.2f |\n", n,
           queued, t_full * 1e3, t_full / t_tx);

    block_free(&transfers);
    block_free(&unbonds);
    chain_close(c);
    remove_dir();
    return 0;
}
