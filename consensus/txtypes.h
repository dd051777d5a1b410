/* Dispatch on the transaction type for the consensus layer: names and the
 * stateless payload check of every type.  Each case calls the type's module
 * (consensus/accounts.c, consensus/staking.c, ...). */
#ifndef FML_CONSENSUS_TXTYPES_H
#define FML_CONSENSUS_TXTYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/tx.h"

/* Lower-case name ("transfer"), or NULL for an unknown type. */
const char *txtype_name(uint8_t type);
/* The type whose name is s, or 0 when there is none. */
uint8_t txtype_from_name(const char *s);

/* bad-txns-type for an unknown type; otherwise the type's own payload checks. */
bool txtype_check_payload(const struct tx *tx, const struct chain_params *params,
                          struct validation *v);

#endif
