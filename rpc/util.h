/* Shared pieces of the method files: argument parsing that every area needs
 * (hashes, addresses) and the JSON shapes of blocks and transactions, so that
 * every method shows them the same way. */
#ifndef FML_RPC_UTIL_H
#define FML_RPC_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/params.h"
#include "consensus/tx.h"
#include "rpc/rpc.h"
#include "consensus/attr.h"

struct chain;
struct block_index;

/* A 64-hex-digit hash argument; -8 with bitcoind's wording otherwise. */
bool rpc_arg_hash(struct rpc_call *call, size_t idx, const char *name, uint8_t out[HASH_SIZE])
    WARN_UNUSED;
/* An address argument of this network; -5 "Invalid address" otherwise. */
bool rpc_arg_address(struct rpc_call *call, size_t idx, uint8_t out[PUBKEY_SIZE]) WARN_UNUSED;

/* The tag of signed messages (signmessage / verifymessage): the signed
 * 32 bytes are hash_tagged(HTAG_MESSAGE, message). */
#define RPC_MESSAGE_TAG HTAG_MESSAGE
void rpc_message_hash(uint8_t out[HASH_SIZE], const char *message);

json_t *json_hash(const uint8_t h[HASH_SIZE]);
json_t *json_address(const struct chain_params *p, const uint8_t pub[PUBKEY_SIZE]);

/* A transaction as JSON: txid, version, type, sender, nonce, fee, size, the
 * decoded payload and the signature. */
json_t *tx_to_json(const struct chain_params *p, const struct tx *tx);
/* The type-specific payload fields (rpc/txjson.c); {"hex": ...} for an
 * unknown type or a payload that does not decode. */
json_t *tx_payload_to_json(const struct chain_params *p, const struct tx *tx);
/* Sets the payload fields of one type on o; false when the payload does not
 * decode. */
typedef bool (*tx_json_fn)(const struct chain_params *p, const struct tx *tx, json_t *o);
/* Indexed by enum tx_type; NULL for a value that is no type. */
extern const tx_json_fn tx_payload_json[TX_TYPE_LIMIT];

/* The median of the times of bi and up to 10 blocks before it (the last 11
 * block times, as bitcoind's median time past; fewer near genesis). */
uint64_t block_median_time(const struct block_index *bi);

/* A header as getblockheader shows it (confirmations need the chain). */
json_t *header_to_json(struct chain *c, const struct block_index *bi);
/* The same against the active chain that ends at tip (a read view's,
 * state/readview.h): confirmations and nextblockhash from tip's ancestors. */
json_t *header_to_json_at(const struct chain_params *p, const struct block_index *bi,
                          const struct block_index *tip);

#endif
