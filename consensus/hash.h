/* BLAKE2b-256 with one personalization per object type.
 *
 * Every hash in the protocol names what it hashes, so that bytes of one kind can
 * never be passed off as another (a txid can't collide with a block hash).  The
 * personalization is the tag's ASCII padded with zero bytes to 16 bytes.  The
 * full list, with what each covers, is in doc/protocol.md ("Hashes").
 */
#ifndef FML_CONSENSUS_HASH_H
#define FML_CONSENSUS_HASH_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HASH_SIZE 32

#define HTAG_TXID       "FML/txid"
#define HTAG_TXSIG      "FML/txsig"
#define HTAG_BLOCK      "FML/block"
#define HTAG_BLOCKSIG   "FML/blocksig"
#define HTAG_MERKLE     "FML/merkle"
#define HTAG_LTELEM     "FML/lthash-elem"
#define HTAG_STATEROOT  "FML/stateroot"
#define HTAG_RANDAO     "FML/randao"
#define HTAG_MIX        "FML/mix"
#define HTAG_LEADER     "FML/leader"
#define HTAG_GENESIS    "FML/genesis"
#define HTAG_CHECKSUM   "FML/p2p-check"
#define HTAG_KEYSEED    "FML/keyseed"
#define HTAG_EVIDENCE   "FML/evidence"
#define HTAG_FLROLES    "FML/fl-roles"
#define HTAG_FLMODEL    "FML/fl-model"
#define HTAG_FLVOTE     "FML/fl-vote"
#define HTAG_FLUPDATE   "FML/fl-update"
#define HTAG_ARENA_SUB    "FML/arena-sub"
#define HTAG_ARENA_SCORE  "FML/arena-score"
#define HTAG_ARENA_LEAF   "FML/arena-leaf"
#define HTAG_ARENA_NODE   "FML/arena-node"
#define HTAG_ARENA_ASSIGN "FML/arena-assign"
#define HTAG_MARKET_REQUEST "FML/market-req"
/* Messages signed by signmessage (not consensus). */
#define HTAG_MESSAGE "FML/message"

struct hasher {
    crypto_generichash_blake2b_state st;
};

void hasher_init(struct hasher *h, const char *tag);
void hasher_write(struct hasher *h, const void *data, size_t len);
void hasher_u64(struct hasher *h, uint64_t v);
void hasher_final(struct hasher *h, uint8_t out[HASH_SIZE]);

/* One-shot: out = BLAKE2b-256_tag(data). */
void hash_tagged(uint8_t out[HASH_SIZE], const char *tag, const void *data, size_t len);

/* Hex of a 32-byte hash in byte order (no reversal, unlike Bitcoin). */
void hash_to_hex(const uint8_t h[HASH_SIZE], char out[2 * HASH_SIZE + 1]);
bool hash_from_hex(uint8_t out[HASH_SIZE], const char *hex);

bool hash_is_zero(const uint8_t h[HASH_SIZE]);

#endif
