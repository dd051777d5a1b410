/* Transactions from JSON (createrawtransaction; see rpc/txbuild.c): the
 * fields decoderawtransaction prints, read back into the consensus
 * encoding. */
#ifndef FML_RPC_TXBUILD_H
#define FML_RPC_TXBUILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"
#include "consensus/params.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"

struct jb;
/* Reads one type's payload fields and encodes them; false with the error
 * (naming the field) recorded in b. */
typedef bool (*tx_build_fn)(struct jb *b, uint8_t type, struct wbuf *w);
/* Indexed by enum tx_type; NULL for a value that is no type. */
extern const tx_build_fn tx_payload_build[TX_TYPE_LIMIT];

/* Builds the unsigned transaction described by in: {"type": name,
 * "sender": address or public key hex, "nonce": n (optional), "fee":
 * amount (optional), "version": 1 (optional), then the payload's fields,
 * beside these or under "payload"}.  The signature is left zero; the nonce
 * and fee are 0 when absent (*have_nonce / *have_fee say whether they were
 * given).  The payload passes the type's stateless checks.  False with a
 * message naming the field otherwise (tx then holds nothing). */
bool tx_build_from_json(const struct chain_params *p, const json_t *in, struct tx *tx,
                        bool *have_nonce, bool *have_fee, char *err, size_t errlen) WARN_UNUSED;

#endif
