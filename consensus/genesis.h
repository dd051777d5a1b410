/* The genesis state and block of a parameter set.
 *
 * Genesis has no transactions: its state is built directly from the
 * parameters (accounts, validators, schedules, globals, the parameters
 * themselves), and its header commits to that state's root.
 */
#ifndef FML_CONSENSUS_GENESIS_H
#define FML_CONSENSUS_GENESIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/params.h"

struct kvpair {
    uint8_t *key;
    size_t klen;
    uint8_t *val;
    size_t vlen;
};

struct kvlist {
    struct kvpair *items;
    size_t n;
    size_t cap;
};

void kvlist_init(struct kvlist *l);
void kvlist_free(struct kvlist *l);
bool kvlist_add(struct kvlist *l, const void *key, size_t klen, const void *val, size_t vlen);

/* The genesis state, in ascending key order.  False on allocation failure or
 * when the parameters are inconsistent (duplicate allocations or validators). */
bool genesis_state(const struct chain_params *p, struct kvlist *out) WARN_UNUSED;

/* The genesis header (its hash must equal p->genesis_hash once built). */
bool genesis_header(const struct chain_params *p, struct block_header *out) WARN_UNUSED;

/* Builds the genesis header from the state and records its hash in
 * p->genesis_hash. */
bool genesis_build(struct chain_params *p, struct block_header *out) WARN_UNUSED;

#endif
