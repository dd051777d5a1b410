/* What the block benchmarks on a regtest chain share: their data directory,
 * failing, the next block's header, derived keys, sealing a block and timing
 * its validation.  Benchmarks only: nothing here decides anything of consensus. */
#ifndef FML_BENCH_CHAIN_H
#define FML_BENCH_CHAIN_H

#include "bench/bench_util.h"
#include "consensus/block.h"
#include "consensus/key.h"
#include "consensus/serialize.h"
#include "state/apply.h"
#include "state/chain.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The chain's data directory (removed on exit), NULL before it is made. */
static const char *bench_dir;

static inline void remove_dir(void)
{
    if (!bench_dir)
        return;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", bench_dir);
}

static inline void die(const char *what, const struct validation *v)
{
    fprintf(stderr, "%s failed: %s %s\n", what, v ? v->reason : "", v ? v->detail : "");
    remove_dir();
    exit(1);
}

/* Makes the data directory from its mkdtemp template (kept as bench_dir)
 * and opens a regtest chain there: NULL, said on stderr, if it cannot. */
static inline struct chain *bench_open_chain(char *template)
{
    char err[256] = "";
    if (!mkdtemp(template))
        return NULL;
    bench_dir = template;
    struct chain *c = chain_open(&params, template, false, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "chain_open: %s\n", err);
        remove_dir();
    }
    return c;
}

/* A header for the block after the tip, led and revealed as the state says. */
static inline void make_header(struct chain *c, struct block_header *hdr)
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

/* A derived key: i + 1 big-endian, tag in the last byte. */
static inline void derived_key(uint64_t i, uint8_t tag, uint8_t sec[SECKEY_SIZE],
                               uint8_t pub[PUBKEY_SIZE])
{
    memset(sec, 0, SECKEY_SIZE);
    write_be64(sec, i + 1);
    sec[31] = tag;
    if (!key_pubkey(pub, sec))
        die("key", NULL);
}

static inline void seal(struct block *b)
{
    block_merkle_root(b, b->hdr.tx_root);
    if (!regtest_sign(NULL, &b->hdr))
        die("signing", NULL);
}

/* The parameters block_check sees: the chain's, or (to measure n
 * transactions of a type whatever its block units) the same with
 * max_block_txs lifted. */
static const struct chain_params *check_params = &params;

/* Stateless checks, the state transition over parent (or the chain state),
 * and the state root: seconds. */
static inline double validate(struct chain *c, struct view *parent, const struct block *b)
{
    struct validation v;
    uint8_t root[HASH_SIZE];
    double t = now_seconds();
    if (!block_check(b, check_params, &v))
        die("block_check", &v);
    struct view *view = parent ? view_new(NULL, parent) : chain_view(c);
    if (!apply_block(view, &params, &chain_tip(c)->hdr, b, &v))
        die("apply_block", &v);
    if (!chain_root_with(c, view, root))
        die("state root", NULL);
    view_free(view);
    return now_seconds() - t;
}

/* The least of reps validations. */
static inline double best_of(struct chain *c, struct view *parent, const struct block *b,
                             uint64_t reps)
{
    double best = 1e30;
    for (uint64_t r = 0; r < reps; r++) {
        double t = validate(c, parent, b);
        if (t < best)
            best = t;
    }
    return best;
}

#endif
