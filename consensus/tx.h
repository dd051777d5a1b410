/* Transactions: the envelope shared by every type, its encoding, hashes,
 * signature and stateless checks.
 *
 *   tx := version u8 | type u8 | sender [32] | nonce u64 | fee u64
 *         | payload (CompactSize length, bytes) | sig [64]
 *
 * txid = BLAKE2b-256 "FML/txid" of the whole encoding.  The signature is BIP340
 * by the sender over BLAKE2b-256 "FML/txsig" of (genesis hash | encoding without
 * the signature), so a transaction is valid on one network only.  What the
 * payload holds depends on the type: consensus/txtypes.c holds, per type, its
 * name and stateless payload check (doc/modules.md lists every table a type
 * has an entry in).
 */
#ifndef FML_CONSENSUS_TX_H
#define FML_CONSENSUS_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/serialize.h"
#include "consensus/validation.h"

struct chain_params;

#define TX_VERSION 1
/* Decoder bound on any payload; each type has a tighter one (txtypes.c). */
#define TX_MAX_PAYLOAD (1u << 20)
/* Fixed part: version, type, sender, nonce, fee, signature. */
#define TX_FIXED_SIZE (1 + 1 + PUBKEY_SIZE + 8 + 8 + SIG_SIZE)

/* Transaction types, owned by the modules (accounts and staking 1-15, fl 16-31,
 * arena 32-47, market 48-63, finality 64-79).  Adding
 * one: a value here, then the compiler points at txtype_known()
 * (consensus/txtypes.c) and test_txtypes at every table that lacks an entry
 * for it; doc/modules.md lists them all. */
enum tx_type {
    TX_TRANSFER = 1,
    TX_VALIDATOR_REGISTER = 2,
    TX_STAKE_ADD = 3,
    TX_UNBOND = 4,
    TX_DELEGATE = 5,
    TX_UNDELEGATE = 6,
    TX_EVIDENCE = 7,
    TX_UNJAIL = 8,
    TX_VALIDATOR_EDIT = 9,
    TX_FL_TASK_CREATE = 16,
    TX_FL_JOIN = 17,
    TX_FL_UPDATE_COMMIT = 18,
    TX_FL_VOTE_COMMIT = 19,
    TX_FL_VOTE_REVEAL = 20,
    TX_FL_UPDATE_REVEAL = 21,
    TX_ARENA_TASK_CREATE = 32,
    TX_ARENA_STAKE = 33,
    TX_ARENA_DELEGATE = 34,
    TX_ARENA_UNDELEGATE = 35,
    TX_ARENA_SET_SHARE = 36,
    TX_ARENA_SUBMIT_COMMIT = 37,
    TX_ARENA_SUBMIT_REVEAL = 38,
    TX_ARENA_REVEAL_VALSET = 39,
    TX_ARENA_SCORE_COMMIT = 40,
    TX_ARENA_SCORE_REVEAL = 41,
    TX_MARKET_PUBLISH = 48,
    TX_MARKET_SET_PRICE = 49,
    TX_MARKET_PROVIDER_REGISTER = 50,
    TX_MARKET_CALL = 51,
    TX_MARKET_CLAIM = 52,
    TX_FINALITY_VOTE = 64,
    TX_FINALITY_EVIDENCE = 65,
};
/* One past the largest type: the size of every table indexed by the type. */
#define TX_TYPE_LIMIT 66

struct tx {
    uint8_t version;
    uint8_t type; /* raw byte: an unknown type decodes and is refused by tx_check */
    uint8_t sender[PUBKEY_SIZE];
    uint64_t nonce;
    uint64_t fee;
    uint8_t *payload; /* owned; NULL when payload_len is 0 */
    uint32_t payload_len;
    uint8_t sig[SIG_SIZE];
};

void tx_init(struct tx *tx);
void tx_free(struct tx *tx);
/* Deep copy; false on allocation failure. */
bool tx_copy(struct tx *dst, const struct tx *src) WARN_UNUSED;
/* Replaces the payload with a copy of p. */
bool tx_set_payload(struct tx *tx, const void *p, size_t n) WARN_UNUSED;

void tx_encode(const struct tx *tx, struct wbuf *w);
size_t tx_encoded_size(const struct tx *tx);
/* Decodes one transaction from the reader (used inside blocks). */
bool tx_decode_from(struct tx *tx, struct rbuf *r) WARN_UNUSED;
/* Decodes a whole buffer holding exactly one transaction. */
bool tx_decode(struct tx *tx, const uint8_t *data, size_t len) WARN_UNUSED;

void tx_txid(const struct tx *tx, uint8_t txid[HASH_SIZE]);
void tx_sighash(const struct tx *tx, const uint8_t genesis[HASH_SIZE], uint8_t out[HASH_SIZE]);
/* Sets tx->sig; the sender must already be the key's public key. */
bool tx_sign(struct tx *tx, const uint8_t genesis[HASH_SIZE], const uint8_t sec[SECKEY_SIZE],
             const uint8_t aux[32]) WARN_UNUSED;

/* Context-free checks: version, known type, payload well formed and within
 * its bound, size, and the signature.  Reasons: bad-txns-version,
 * bad-txns-type, bad-txns-payload, bad-txns-oversize, bad-txns-sig, and the
 * payload checks of each type. */
bool tx_check(const struct tx *tx, const struct chain_params *params, struct validation *v);
/* tx_check's parts, in the order tx_check runs them: every stateless rule
 * but the signature, then the signature over the transaction's sighash
 * (tx_sighash with the chain's genesis hash).  A failing signature is
 * VAL_CONSENSUS REJECT_BAD_TXNS_SIG, which the caller reports. */
bool tx_check_nosig(const struct tx *tx, const struct chain_params *params, struct validation *v);
bool tx_check_sig(const struct tx *tx, const uint8_t sighash[HASH_SIZE]) WARN_UNUSED;

#endif
