/* Blocks: header, body, Merkle root, encodings and stateless checks.
 *
 *   header := version u32 | height u64 | prev [32] | slot u64 | time u64
 *             | tx_root [32] | state_root [32] | proposer [32]
 *             | randao_reveal [32] | sig [64]                  (252 bytes)
 *   block  := header | CompactSize n | n transactions
 *
 * Block hash: BLAKE2b-256 "FML/block" of the whole header.  The proposer signs
 * BLAKE2b-256 "FML/blocksig" of (genesis hash | header without sig).
 * Merkle root: leaves are txids; a parent is BLAKE2b-256 "FML/merkle" of
 * (left | right); an odd last node moves up unchanged (no duplication, so no
 * two transaction lists share a root); no transactions gives 32 zero bytes.
 */
#ifndef FML_CONSENSUS_BLOCK_H
#define FML_CONSENSUS_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "consensus/validation.h"

struct chain_params;

#define BLOCK_VERSION 1
#define BLOCK_HEADER_SIZE (4 + 8 + 32 + 8 + 8 + 32 + 32 + 32 + 32 + 64)
/* Decoder bound on the transaction count; the chain parameter is tighter. */
#define BLOCK_MAX_TXS_DECODE 100000

struct block_header {
    uint32_t version;
    uint64_t height;
    uint8_t prev[HASH_SIZE];
    uint64_t slot;
    uint64_t time;
    uint8_t tx_root[HASH_SIZE];
    uint8_t state_root[HASH_SIZE];
    uint8_t proposer[PUBKEY_SIZE];
    uint8_t randao_reveal[HASH_SIZE];
    uint8_t sig[SIG_SIZE];
};

struct block {
    struct block_header hdr;
    size_t ntx;
    size_t cap; /* allocated entries of txs and txids */
    struct tx *txs;
    uint8_t (*txids)[HASH_SIZE]; /* txids[i] of txs[i], filled by decode/add */
};

void header_encode(const struct block_header *h, uint8_t out[BLOCK_HEADER_SIZE]);
bool header_decode(struct block_header *h, const uint8_t *data, size_t len) WARN_UNUSED;
bool header_decode_from(struct block_header *h, struct rbuf *r) WARN_UNUSED;
void header_hash(const struct block_header *h, uint8_t out[HASH_SIZE]);
void header_sighash(const struct block_header *h, const uint8_t genesis[HASH_SIZE],
                    uint8_t out[HASH_SIZE]);
bool header_sign(struct block_header *h, const uint8_t genesis[HASH_SIZE],
                 const uint8_t sec[SECKEY_SIZE], const uint8_t aux[32]) WARN_UNUSED;
bool header_check_sig(const struct block_header *h, const uint8_t genesis[HASH_SIZE]);

void block_init(struct block *b);
void block_free(struct block *b);
/* Appends a copy of tx; false on allocation failure. */
bool block_add_tx(struct block *b, const struct tx *tx) WARN_UNUSED;
/* Drops the last transaction. */
void block_pop_tx(struct block *b);

void block_encode(const struct block *b, struct wbuf *w);
/* Decodes exactly one block of at most max_size bytes. */
bool block_decode(struct block *b, const uint8_t *data, size_t len, size_t max_size) WARN_UNUSED;

void merkle_root(const uint8_t (*leaves)[HASH_SIZE], size_t n, uint8_t out[HASH_SIZE]);
void block_merkle_root(const struct block *b, uint8_t out[HASH_SIZE]);

/* Context-free checks of a block other than genesis: version, size, tx count,
 * Merkle root, distinct txids, every tx_check, the proposer's signature.
 * Reasons: bad-blk-version, bad-blk-length, bad-blk-txns, bad-blk-merkle,
 * bad-blk-duptx, bad-blk-sig, or the transaction's own reason. */
bool block_check(const struct block *b, const struct chain_params *params, struct validation *v);
/* block_check up to the transactions: every rule above but the
 * transactions' own checks (tx_check), which block_check then runs in block
 * order.  A caller spreading the tx_checks over threads reports the failure
 * of the first transaction in block order that fails, as block_check does. */
bool block_check_contents(const struct block *b, const struct chain_params *params,
                          struct validation *v);

#endif
