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
/* The same for a transaction whose id is known (block_decode's txids). */
json_t *tx_to_json_id(const struct chain_params *p, const struct tx *tx,
                      const uint8_t txid[HASH_SIZE]);
/* Writes the bytes rpc_json_dumps(tx_to_json_id(p, tx, txid), 0, ...)
 * gives, straight into o (no jansson value per field): getblock's
 * verbosity 2. */
/* Recently encoded addresses (a block's senders and recipients repeat;
 * bech32 was an eighth of a big block's encoding); cache may be NULL. */
struct rpc_addr_cache;
struct rpc_addr_cache *rpc_addr_cache_new(void);
void rpc_addr_cache_free(struct rpc_addr_cache *cache);
void tx_write_json(struct rpc_out *o, const struct chain_params *p, const struct tx *tx,
                   const uint8_t txid[HASH_SIZE], struct rpc_addr_cache *cache);
/* The payload part of it: the bytes of tx_payload_to_json's value. */
void tx_payload_write_json(struct rpc_out *o, const struct chain_params *p, const struct tx *tx,
                           struct rpc_addr_cache *cache);
/* getblock's "tx" array of a decoded block: the txids (verbosity 1) or
 * each transaction as tx_to_json shows it (verbosity 2), written straight
 * into one json_raw value; NULL when out of memory. */
json_t *block_txs_json(const struct chain_params *p, const struct block *b, int verbosity);
/* A quoted hash, and an address (null when it does not encode), as
 * json_hash / json_address are written. */
void rpc_out_hash(struct rpc_out *o, const uint8_t h[HASH_SIZE]);
void rpc_out_address(struct rpc_out *o, const struct chain_params *p,
                     const uint8_t pub[PUBKEY_SIZE], struct rpc_addr_cache *cache);
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
