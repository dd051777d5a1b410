/* The consensus layer's table of transaction types: for each value of enum
 * tx_type, its name, the module that owns it and its stateless payload check
 * (the module's own code: consensus/accounts.c, consensus/stakingtx.c,
 * consensus/fltx.c).  The other layers keep their own tables indexed by the
 * same enum (state/modules.c, rpc/txjson.c, wallet/txkinds.c); test_txtypes
 * fails when one of them lacks a type.  doc/modules.md lists every place. */
#ifndef FML_CONSENSUS_TXTYPES_H
#define FML_CONSENSUS_TXTYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/tx.h"

struct txtype {
    const char *name;   /* lower-case, as RPC shows it ("transfer") */
    const char *module; /* the owner's name in state/modules.c ("accounts") */
    /* Payload well formed, canonical and within its bounds; nothing of state. */
    bool (*check)(const struct tx *tx, const struct chain_params *p, struct validation *v);
    /* Consensus weight in block units: a block's transactions may weigh
     * max_block_txs units in all (block_check).  A type weighs 1 when a
     * block of max_block_txs of it connects in at most 0.90 of the time of
     * as many transfers, else the smallest integer at least 1.1 x its
     * measured ratio (bench/bench_staking, bench/bench_blocks;
     * doc/protocol.md section 5.4). */
    uint32_t block_units;
};

/* Indexed by enum tx_type; a value that is no type has an all-NULL entry. */
extern const struct txtype txtypes[TX_TYPE_LIMIT];

/* Whether type is a value of enum tx_type: the one switch listing every
 * type, so adding an enum value makes the compiler point here. */
bool txtype_known(uint8_t type);
/* The entry of a known type, or NULL. */
const struct txtype *txtype_get(uint8_t type);

/* The block units of a type (its block_units; 1 for an unknown type, which
 * tx_check rejects anyway). */
uint32_t txtype_block_units(uint8_t type);

/* Lower-case name ("transfer"), or NULL for an unknown type. */
const char *txtype_name(uint8_t type);
/* The type whose name is s, or 0 when there is none. */
uint8_t txtype_from_name(const char *s);

/* bad-txns-type for an unknown type; otherwise the type's own payload checks. */
bool txtype_check_payload(const struct tx *tx, const struct chain_params *params,
                          struct validation *v);

#endif
