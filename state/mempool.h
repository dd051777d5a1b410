/* The pool of valid transactions waiting for a block.
 *
 * Per sender, transactions form a run of consecutive nonces starting at the
 * sender's account nonce.  A transaction is accepted when it passes the
 * stateless checks and local policy (fee rate, size, pool limits) and its
 * sender's run, applied to the tip state, stays valid.  A transaction with
 * the nonce of one already pooled replaces it when it pays a higher fee rate
 * and at least the incremental relay fee more.  When the pool is full the
 * run tail with the lowest fee rate is evicted.  After every block the
 * included transactions leave and the rest are re-validated.
 *
 * Not thread-safe: callers hold the node lock.
 */
#ifndef FML_STATE_MEMPOOL_H
#define FML_STATE_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/tx.h"
#include "consensus/validation.h"

struct chain;
struct mempool;

/* Fee rates are base units per 1,000 bytes (like bitcoind's per kvB). */
#define MEMPOOL_DEFAULT_MAX_BYTES (300u * 1000 * 1000)
#define MEMPOOL_DEFAULT_MIN_FEE_RATE 1000     /* 1 unit per byte */
#define MEMPOOL_INCREMENTAL_FEE_RATE 1000
#define MEMPOOL_MAX_RUN 64                    /* pooled transactions per sender */

struct mempool_entry {
    struct tx tx;
    uint8_t txid[HASH_SIZE];
    size_t size;
    uint64_t time;   /* unix seconds when it entered */
    uint64_t height; /* chain height when it entered */
};

struct mempool *mempool_new(struct chain *chain, size_t max_bytes, uint64_t min_fee_rate);
void mempool_free(struct mempool *mp);

/* Validates and adds tx.  Reasons (besides the stateless ones of tx_check):
 * txn-already-in-mempool, bad-txns-nonce-too-low, bad-txns-nonce-too-high,
 * too-long-mempool-chain, min-fee-not-met, insufficient-fee (replacement),
 * mempool-full, and the state reasons of the transaction's type. */
bool mempool_add(struct mempool *mp, const struct tx *tx, uint64_t now, struct validation *v);

bool mempool_has(const struct mempool *mp, const uint8_t txid[HASH_SIZE]);
const struct mempool_entry *mempool_get(const struct mempool *mp, const uint8_t txid[HASH_SIZE]);
size_t mempool_count(const struct mempool *mp);
size_t mempool_bytes(const struct mempool *mp);
size_t mempool_max_bytes(const struct mempool *mp);
uint64_t mempool_min_fee_rate(const struct mempool *mp);
/* The fee rate a transaction needs now (rises when the pool is full). */
uint64_t mempool_required_fee_rate(const struct mempool *mp);

/* The nonce the sender's next transaction should carry: account nonce plus
 * the sender's pooled run. */
uint64_t mempool_next_nonce(struct mempool *mp, const uint8_t sender[PUBKEY_SIZE]);

/* All entries in no particular order; *n set to the count. The array is the
 * caller's to free (entries themselves are borrowed). */
const struct mempool_entry **mempool_entries(const struct mempool *mp, size_t *n);

/* Candidates for a block in inclusion order: by fee rate, each sender's
 * transactions in nonce order.  The caller frees the array. */
const struct mempool_entry **mempool_select(const struct mempool *mp, size_t *n);

/* Removes a transaction and the later ones of its sender. */
void mempool_remove(struct mempool *mp, const uint8_t txid[HASH_SIZE]);

/* Told about every transaction that enters the pool (for relay), after it
 * entered, with the node lock held. */
void mempool_add_listener(struct mempool *mp,
                          void (*added)(void *arg, const struct mempool_entry *e), void *arg);
void mempool_remove_listener(struct mempool *mp, void *arg);

#endif
