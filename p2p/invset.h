/* A bounded set of 32-byte hashes that forgets its oldest members: what a
 * peer is known to have (so nothing is announced twice), transactions
 * recently rejected (so they are not fetched again).  Memory is fixed at
 * creation; lookups are keyed with SipHash under a random key, so peers
 * choosing the hashes cannot force collisions.
 */
#ifndef FML_P2P_INVSET_H
#define FML_P2P_INVSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/attr.h"

struct invset {
    uint8_t (*ring)[HASH_SIZE]; /* members in insertion order */
    size_t cap, n, head;        /* head: the oldest when full */
    int32_t *table;             /* ring positions, -1 empty; 2 * cap rounded up */
    size_t mask;
    uint8_t key[16];
};

bool invset_init(struct invset *s, size_t cap) WARN_UNUSED;
void invset_free(struct invset *s);
bool invset_has(const struct invset *s, const uint8_t h[HASH_SIZE]);
/* Adds h (a no-op when present), forgetting the oldest member when full. */
void invset_add(struct invset *s, const uint8_t h[HASH_SIZE]);
void invset_clear(struct invset *s);

#endif
