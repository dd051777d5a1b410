/* A fast generator of signed test transactions for the benchmarks: N
 * accounts funded in a regtest-like genesis (regtest's parameters and
 * validators, plus the accounts' allocations), and signed TRANSFERs among
 * them, each sender's nonces in order.  Keys are derived from the account
 * number; signing uses one libsecp256k1 context and precomputed keypairs
 * (tens of thousands of transactions a second), not tx_sign's context per
 * call.  Benchmarks only: nothing here decides anything of consensus.
 *
 *   struct gen g;
 *   gen_init(&g, 1000, 1000 * COIN);   // keys
 *   gen_fund(&g, &params);             // allocations + genesis_build
 *   gen_transfers(&g, &params, txs, n) // n signed transfers
 */
#ifndef FML_BENCH_GEN_TXS_H
#define FML_BENCH_GEN_TXS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/params.h"
#include "consensus/tx.h"

struct gen {
    size_t n;
    uint8_t (*pub)[PUBKEY_SIZE];
    void *keypairs; /* secp256k1_keypair[n] */
    void *ctx;      /* secp256k1_context */
    uint64_t *nonce; /* next nonce of each account */
    uint64_t amount; /* each account's allocation */
    size_t next;     /* the next sender */
    bool fresh_to;   /* each transfer to a key never used before (not an account) */
    uint64_t fresh;  /* fresh keys handed out */
};

/* n accounts (keys derived from their number); false on failure. */
bool gen_init(struct gen *g, size_t n, uint64_t amount);
void gen_free(struct gen *g);
/* Adds the accounts' allocations to p (regtest's, say) and rebuilds its
 * genesis (p->genesis_hash changes). */
bool gen_fund(const struct gen *g, struct chain_params *p);
/* n signed transfers of 1 unit and the given fee, senders taken round-robin,
 * each to the next account (fresh_to: to a new valid key each); out[i] must
 * be freed with tx_free. */
bool gen_transfers(struct gen *g, const struct chain_params *p, uint64_t fee, struct tx *out,
                   size_t n);

/* The bound the benchmarks compare with: BIP340 verifications per second of
 * the n transactions' signatures split over two threads (libsecp256k1's
 * verify and nothing else; the sighashes are computed before the clock
 * starts).  Negative when a signature does not verify or on failure. */
double gen_verify_bound(const struct tx *txs, size_t n, const struct chain_params *p);

#endif
