/* Benchmark of the AI Market's worst block against a block of transfers,
 * measured in the same run on a regtest chain:
 *
 *   - max_block_txs TRANSFERs to new accounts (the reference),
 *   - max_block_txs / 2 MARKET_CALLs (block units 2), each of a composite
 *     whose expansion is 16 models (the bound): a top model of 8 components,
 *     7 FL leaves (data providers' accrual) and a composite of 7 more
 *     (1 + 7 + 1 + 7), every model of its own owner; the
 *     first MARKET_MAX_HEIGHT_TOUCHED / 16 calls each touch 16 models not
 *     touched before in the block, so the block's end updates the most
 *     multipliers and mining shares the bound allows; the rest call them
 *     again,
 *   - the end of a block alone (market_end_block) with
 *     MARKET_MAX_HEIGHT_TOUCHED models queued,
 *   - max_block_txs / 2 MARKET_CALLs of uploaded leaves of the largest
 *     normalization (logistic 65535 -> 1: 65,535 pairs, 524 KB under
 *     'M' 'S'), BIG_MODELS of them called in turn: the model record read
 *     and written by each call and the end of the block stays small.
 *
 * The models and the provider live in an in-memory view under the block's.
 * Each figure is the minimum over -reps runs of: the stateless block checks,
 * the state transition into a fresh view and the state root over the
 * changes (for the end of a block alone: the hook and the root).
 *
 *   bench_market [-reps=2] [-calls=N] [-expansions=N]
 *
 * -calls (default max_block_txs / its block units) and -expansions (default
 * MARKET_MAX_HEIGHT_TOUCHED / 16) measure other block units or touch
 * bounds.
 *
 * The clock lives here only: nothing of this program reaches consensus. */
#include "bench/bench_chain.h"
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "consensus/market.h"
#include "consensus/serialize.h"
#include "consensus/txtypes.h"
#include "state/accounts.h"
#include "state/apply.h"
#include "state/chain.h"
#include "state/market.h"
#include "state/marketint.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/fml-bench-market-XXXXXX";

/* Model m of expansion j: 0 the top, 1..7 its leaves, 8 the inner
 * composite, 9..15 the inner's leaves. */
#define PER_EXPANSION MARKET_MAX_EXPANSION
static void model_id(uint8_t id[HASH_SIZE], uint64_t j, unsigned m)
{
    memset(id, 0, HASH_SIZE);
    id[0] = 'b';
    write_be64(id + 1, j);
    id[9] = (uint8_t)m;
}

static void leaf(struct market_model *x, const uint8_t owner[PUBKEY_SIZE], uint64_t h)
{
    memset(x, 0, sizeof(*x));
    memcpy(x->owner, owner, PUBKEY_SIZE);
    x->published_height = h - 1;
    x->name_len = 1;
    x->name[0] = 'l';
    x->source = MARKET_SOURCE_FL;
    memset(x->source_id, 0x66, HASH_SIZE);
    x->spec.kind = FL_MODEL_MLP;
    x->spec.n_sizes = 3;
    x->spec.sizes[0] = 32;
    x->spec.sizes[1] = 32;
    x->spec.sizes[2] = 4;
    x->macs = market_macs(&x->spec);
    x->expansion = 1;
    x->n_inputs = 32;
    x->n_outputs = 4;
    x->base_price = 1000;
    x->target = 1;
    x->split.creator_bps = 4000;
    x->split.data_bps = 4000;
    x->split.provider_bps = 2000;
    x->mult = MARKET_MULT_ONE;
    x->mult_height = h - 1;
    x->data_shares = 1000;
}

static void composite(struct market_model *x, const uint8_t owner[PUBKEY_SIZE], uint64_t h,
                      uint64_t j, unsigned first, unsigned k, unsigned depth, unsigned expansion)
{
    leaf(x, owner, h);
    x->source = MARKET_SOURCE_COMPOSITE;
    memset(x->source_id, 0, HASH_SIZE);
    memset(&x->spec, 0, sizeof(x->spec));
    x->macs = 0;
    x->mode = MARKET_MODE_AVERAGE;
    x->n_components = (uint8_t)k;
    x->depth = (uint8_t)depth;
    x->expansion = (uint8_t)expansion;
    x->split.data_bps = 0;
    x->split.creator_bps = 8000;
    x->data_shares = 0;
    for (unsigned i = 0; i < k; i++)
        model_id(x->components[i], j, first + i);
}

/* nexp expansions of 16 models each, every model of its own owner (16
 * accounts credited a call). */
static void market_state(struct view *v, uint64_t h, uint64_t nexp)
{
    for (uint64_t j = 0; j < nexp; j++) {
        struct market_model x;
        uint8_t id[HASH_SIZE], owner[PUBKEY_SIZE];
        for (unsigned m = 0; m < PER_EXPANSION; m++) {
            /* An owner's key needs no secret here: nothing it signs. */
            model_id(owner, j, m);
            owner[0] = 'o';
            if (m == 0) {
                /* The top: leaves 1..7 and the inner composite 8. */
                composite(&x, owner, h, j, 1, 8, 2, 16);
            } else if (m == 8) {
                /* The inner composite: leaves 9..15. */
                composite(&x, owner, h, j, 9, 7, 1, 8);
            } else {
                leaf(&x, owner, h);
            }
            model_id(id, j, m);
            market_put_model(v, id, &x);
        }
    }
}

/* Uploaded leaves of the largest normalization: the record, the full spec
 * ('M' 'S') and the weights ('M' 'W'), as a publication writes them. */
#define BIG_MODELS 16
#define BIG_INPUTS 65535u
static void big_id(uint8_t id[HASH_SIZE], uint64_t k)
{
    memset(id, 0, HASH_SIZE);
    id[0] = 'g';
    write_be64(id + 1, k);
}

static void big_state(struct view *v, uint64_t h)
{
    uint8_t *norm = malloc((size_t)BIG_INPUTS * 8), *w = calloc(BIG_INPUTS + 1, 4);
    if (!norm || !w)
        die("out of memory", NULL);
    for (uint32_t i = 0; i < BIG_INPUTS; i++) {
        write_le32(norm + 8 * i, i);
        write_le32(norm + 8 * i + 4, 65536);
    }
    for (uint64_t k = 0; k < BIG_MODELS; k++) {
        struct market_model x;
        uint8_t id[HASH_SIZE], owner[PUBKEY_SIZE], key[MARKET_KEY_MODEL_SIZE];
        big_id(id, k);
        big_id(owner, k);
        owner[0] = 'u';
        leaf(&x, owner, h);
        x.source = MARKET_SOURCE_UPLOAD;
        memcpy(x.source_id, id, HASH_SIZE);
        x.spec.kind = FL_MODEL_LOGREG;
        x.spec.n_sizes = 2;
        x.spec.sizes[0] = BIG_INPUTS;
        x.spec.sizes[1] = 1;
        x.macs = market_macs(&x.spec);
        x.n_inputs = BIG_INPUTS;
        x.n_outputs = 1;
        x.split = (struct market_split){9000, 0, 1000};
        x.data_shares = 0;
        x.target = 10;
        market_put_model(v, id, &x);
        struct fl_spec full = x.spec;
        full.n_norm = BIG_INPUTS;
        full.norm = norm;
        market_put_spec(v, id, &full);
        market_weights_key(key, id);
        view_put(v, key, sizeof(key), w, (size_t)(BIG_INPUTS + 1) * 4);
    }
    free(norm);
    free(w);
}

static void fill(struct block *b, uint8_t type, uint64_t n, uint8_t (*sec)[SECKEY_SIZE],
                 uint8_t (*pub)[PUBKEY_SIZE], uint64_t nexp, const uint8_t provider[PUBKEY_SIZE])
{
    struct wbuf w;
    wbuf_init(&w);
    for (uint64_t i = 0; i < n; i++) {
        struct tx tx;
        wbuf_reset(&w);
        if (type == TX_TRANSFER) {
            struct transfer t = {.amount = COIN};
            uint8_t s[SECKEY_SIZE];
            derived_key(i, 1, s, t.to);
            transfer_encode(&t, &w);
        } else {
            struct market_call c = {.calls = 1, .max_price = UINT64_C(1) << 40};
            if (nexp == 0)
                big_id(c.model, i % BIG_MODELS);
            else
                model_id(c.model, i % nexp, 0);
            memcpy(c.provider, provider, PUBKEY_SIZE);
            market_call_encode(&c, &w);
        }
        tx_init(&tx);
        tx.type = type;
        memcpy(tx.sender, pub[i], PUBKEY_SIZE);
        tx.nonce = 0;
        tx.fee = 100000;
        if (!tx_set_payload(&tx, w.data, w.len) ||
            !tx_sign(&tx, params.genesis_hash, sec[i], NULL) || !block_add_tx(b, &tx))
            die("making transactions", NULL);
        tx_free(&tx);
    }
    wbuf_free(&w);
}

int main(int argc, char **argv)
{
    /* -calls and -expansions (defaults: the consensus values) price other
     * block units and touch bounds. */
    uint64_t reps = 2, ncalls = 0, nexp = MARKET_MAX_HEIGHT_TOUCHED / PER_EXPANSION;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-reps", &reps) && !arg_u64(argv[i], "-calls", &ncalls) &&
            !arg_u64(argv[i], "-expansions", &nexp)) {
            fprintf(stderr, "usage: %s [-reps=2] [-calls=N] [-expansions=N]\n", argv[0]);
            return 2;
        }
    if (nexp == 0 || nexp > MARKET_MAX_HEIGHT_TOUCHED / PER_EXPANSION)
        return 2;
    if (reps == 0 || !regtest_keys_init())
        return 2;
    struct chain *c = bench_open_chain(dir);
    if (!c)
        return 1;
    const uint64_t ntx = params.max_block_txs;
    if (ncalls == 0 || ncalls > params.max_block_txs)
        ncalls = params.max_block_txs / txtype_block_units(TX_MARKET_CALL);
    uint8_t (*sec)[SECKEY_SIZE] = calloc((size_t)ntx, SECKEY_SIZE);
    uint8_t (*pub)[PUBKEY_SIZE] = calloc((size_t)ntx, PUBKEY_SIZE);
    if (!sec || !pub)
        die("out of memory", NULL);
    struct view *funded = chain_view(c);
    struct validation v;
    for (uint64_t i = 0; i < ntx; i++) {
        derived_key(i, 2, sec[i], pub[i]);
        if (!accounts_credit(funded, pub[i], 10 * COIN, &v))
            die("funding", &v);
    }
    uint8_t psec[SECKEY_SIZE], provider[PUBKEY_SIZE];
    derived_key(0, 4, psec, provider);

    struct block transfers, calls, bigcalls;
    block_init(&transfers);
    block_init(&calls);
    block_init(&bigcalls);
    make_header(c, &transfers.hdr);
    calls.hdr = transfers.hdr;
    bigcalls.hdr = transfers.hdr;
    const uint64_t h = transfers.hdr.height;
    fill(&transfers, TX_TRANSFER, ntx, sec, pub, nexp, provider);
    fill(&calls, TX_MARKET_CALL, ncalls, sec, pub, nexp, provider);
    fill(&bigcalls, TX_MARKET_CALL, ncalls, sec, pub, 0, provider);
    seal(&transfers);
    seal(&calls);
    seal(&bigcalls);

    struct view *models = view_new(NULL, funded);
    market_state(models, h, nexp);
    struct market_provider pr;
    memset(&pr, 0, sizeof(pr));
    pr.stake = params.market_min_provider_stake;
    market_put_provider(models, provider, &pr);
    /* A pool to mine from. */
    view_put_u64(models, POOL_MARKET_KEY, 1000 * COIN);
    view_put_u64(models, SUPPLY_KEY, view_get_u64(models, SUPPLY_KEY) + 1000 * COIN);

    struct view *bigs = view_new(NULL, funded);
    big_state(bigs, h);
    market_put_provider(bigs, provider, &pr);
    view_put_u64(bigs, POOL_MARKET_KEY, 1000 * COIN);
    view_put_u64(bigs, SUPPLY_KEY, view_get_u64(bigs, SUPPLY_KEY) + 1000 * COIN);

    /* The end of a block alone: every model of nexp expansions queued. */
    struct view *queued = view_new(NULL, models);
    {
        uint32_t q = 0;
        for (uint64_t j = 0; j < nexp; j++)
            for (unsigned m = 0; m < PER_EXPANSION; m++) {
                uint8_t id[HASH_SIZE];
                struct market_model x;
                model_id(id, j, m);
                if (!market_get_model(queued, id, &x))
                    die("model", NULL);
                x.block_height = h;
                x.block_calls = 3;
                x.block_own = 1000 + m;
                market_put_model(queued, id, &x);
                if (!market_touch(queued, h, id, &v) ||
                    !market_add_height_own(queued, h, x.block_own, &v))
                    die("queue", &v);
                q++;
            }
        if (q != nexp * PER_EXPANSION)
            die("queue size", NULL);
    }

    /* The calls block touches every model of every expansion: each one's
     * multiplier is updated at its end. */
    {
        struct view *view = view_new(NULL, models);
        if (!apply_block(view, &params, &chain_tip(c)->hdr, &calls, &v))
            die("apply_block", &v);
        for (uint64_t j = 0; j < nexp; j++)
            for (unsigned m = 0; m < PER_EXPANSION; m++) {
                uint8_t id[HASH_SIZE];
                struct market_model x;
                model_id(id, j, m);
                if (!market_get_model(view, id, &x) || x.mult_height != h || x.mined == 0)
                    die("a model not touched", NULL);
            }
        view_free(view);
    }
    double t_tx = 1e30, t_calls = 1e30, t_end = 1e30, t_big = 1e30;
    for (uint64_t r = 0; r < reps; r++) {
        double t = validate(c, funded, &transfers);
        t_tx = t < t_tx ? t : t_tx;
        t = validate(c, models, &calls);
        t_calls = t < t_calls ? t : t_calls;
        t = validate(c, bigs, &bigcalls);
        t_big = t < t_big ? t : t_big;
        struct block_ctx ctx = {.params = &params, .hdr = &transfers.hdr};
        uint8_t root[HASH_SIZE];
        struct view *view = view_new(NULL, queued);
        t = now_seconds();
        if (!market_end_block(view, &ctx, &v))
            die("market_end_block", &v);
        if (!chain_root_with(c, view, root))
            die("state root", NULL);
        t = now_seconds() - t;
        view_free(view);
        t_end = t < t_end ? t : t_end;
    }
    printf("block of %" PRIu64 " transfers:                    %8.1f ms\n", ntx, t_tx * 1e3);
    printf("block of %" PRIu64 " market calls (16-model expansions, %" PRIu64
           " models touched): %8.1f ms  ratio %.2f\n",
           ncalls, nexp * PER_EXPANSION, t_calls * 1e3, t_calls / t_tx);
    printf("end of a block with %" PRIu64 " models queued:          %8.1f ms  ratio %.2f\n",
           nexp * PER_EXPANSION, t_end * 1e3, t_end / t_tx);
    printf("block of %" PRIu64 " market calls of %d leaves of 65535-pair normalization: %8.1f ms  "
           "ratio %.2f\n",
           ncalls, BIG_MODELS, t_big * 1e3, t_big / t_tx);
    view_free(bigs);
    view_free(queued);
    view_free(models);
    view_free(funded);
    block_free(&transfers);
    block_free(&calls);
    block_free(&bigcalls);
    free(sec);
    free(pub);
    chain_close(c);
    remove_dir();
    return 0;
}
