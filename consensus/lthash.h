/* LtHash: an incremental hash of a set of (key, value) pairs.
 *
 * The state is 1024 lanes of 16 bits.  Each pair expands (BLAKE2b-256 seed ->
 * ChaCha20 keystream) to 1024 lanes that are added to the state mod 2^16 when
 * the pair enters the set and subtracted when it leaves, so the root of a state
 * costs O(changes) per block and does not depend on the order of changes.  The
 * root is BLAKE2b-256 of the lanes.  Construction in doc/protocol.md.
 */
#ifndef FML_CONSENSUS_LTHASH_H
#define FML_CONSENSUS_LTHASH_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"

#define LTHASH_LANES 1024
#define LTHASH_BYTES (2 * LTHASH_LANES)

struct lthash {
    uint16_t lanes[LTHASH_LANES];
};

void lthash_init(struct lthash *lt);
void lthash_add(struct lthash *lt, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);
void lthash_remove(struct lthash *lt, const uint8_t *key, size_t klen, const uint8_t *val,
                   size_t vlen);
void lthash_root(const struct lthash *lt, uint8_t out[32]);

void lthash_encode(const struct lthash *lt, uint8_t out[LTHASH_BYTES]);
void lthash_decode(struct lthash *lt, const uint8_t in[LTHASH_BYTES]);

#endif
