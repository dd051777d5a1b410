/* The pool of valid transactions waiting for a block.
 *
 * Per sender, transactions form a run of consecutive nonces starting at the
 * sender's account nonce.  A transaction is accepted when it passes the
 * stateless checks and local policy (fee rate, size, pool limits) and its
 * sender's run, applied to the tip state, stays valid.  A transaction with
 * the nonce of one already pooled replaces it when it pays a higher fee rate
 * and at least the incremental relay fee more on every byte of the sender's
 * run (which is applied again).  A sender's run holds at most
 * MEMPOOL_MAX_RUN transactions and MEMPOOL_MAX_RUN_BYTES bytes.  When the pool's memory
 * (mempool_usage: every allocation of entries and indexes, counted as the
 * allocator rounds it) passes the limit, the tail of the run with the lowest
 * fee rate anywhere in it (a run is mined in nonce order, so no sooner than
 * its cheapest) is evicted; a heap keyed by that rate finds it in O(log n).
 * Runs of reveals only (txrules[].reveal: at most one per committed
 * participant and round, gone at the end of its window) are evicted after
 * every other run, and a reveal needs only the minimum fee rate, not the one
 * evictions raised: transactions paying more cannot keep a reveal from its
 * window.
 *
 * After a block the included transactions leave: a run whose first
 * transactions are exactly the mined ones just loses them, as nothing else
 * can lower a sender's balance.  Runs whose next nonce a block gave to
 * another transaction are checked again, within MEMPOOL_RECHECK_TXS
 * transactions per block (past it they go).  Runs that hold other types,
 * whose validity also depends on other state and on the height, are checked
 * in rotation, at most MEMPOOL_RECHECK_TXS transactions per block, and the
 * ones the next block would take are applied in block order, so that those
 * which no longer apply leave before they keep valid ones out of a block.
 * After a reorganization the whole pool is checked, as the state went back.
 *
 * A sender's run of transfers keeps the sender's account as its run left it
 * at the tip, so a transfer appended to the run is applied alone on it; that
 * account is dropped when a block connects or disconnects and whenever the
 * run changes otherwise (a replacement, a removal, an eviction, a mined or
 * expired transaction).
 *
 * Locking: callers hold the node lock for everything but the functions
 * marked "without the node lock".  The pool also has a lock of its own,
 * taken inside every function that changes it (after the node lock, never
 * the other way) and held only while the pool's own structures change:
 * never while a transaction's checks run (they only read the pool, and
 * nothing else changes it while the node lock is held), never across a
 * block connection.  The readers marked "without the node lock" take only
 * that lock, so an RPC thread reading them never waits for a block
 * connection.
 */
#ifndef FML_STATE_MEMPOOL_H
#define FML_STATE_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/tx.h"
#include "consensus/validation.h"
#include "consensus/attr.h"
#include "state/sigcheck.h"

struct chain;
struct mempool;

/* Fee rates are base units per 1,000 bytes (like bitcoind's per kvB). */
#define MEMPOOL_DEFAULT_MAX_BYTES (300u * 1000 * 1000)
#define MEMPOOL_DEFAULT_MIN_FEE_RATE 1000     /* 1 unit per byte */
#define MEMPOOL_INCREMENTAL_FEE_RATE 1000
#define MEMPOOL_MAX_RUN 64                    /* pooled transactions per sender */
/* Encoded bytes pooled per sender: each transaction the sender adds or
 * replaces makes the pool apply the sender's run again. */
#define MEMPOOL_MAX_RUN_BYTES (2u * 1000 * 1000)
/* Per block, runs holding transactions other than transfers are checked
 * again in rotation until this many transactions or bytes were checked. */
#define MEMPOOL_RECHECK_TXS 4096
#define MEMPOOL_RECHECK_BYTES (8u * 1000 * 1000)

struct mempool_entry {
    struct tx tx;
    uint8_t txid[HASH_SIZE];
    size_t size;
    uint64_t time;   /* unix seconds when it entered */
    uint64_t height; /* chain height when it entered */
    /* An FL_JOIN counted against its task's seats and this start height; else 0. */
    uint64_t fl_height;
    /* An ARENA_STAKE counted against a seat of its task and role (the
     * sender's first stake in the task). */
    bool arena_seat;
};

struct mempool *mempool_new(struct chain *chain, size_t max_bytes, uint64_t min_fee_rate);
void mempool_free(struct mempool *mp);

/* Validates and adds tx.  Reasons (besides the stateless ones of tx_check):
 * txn-already-in-mempool, bad-txns-nonce-too-low, bad-txns-nonce-too-high,
 * too-long-mempool-chain, min-fee-not-met, insufficient-fee (replacement),
 * mempool-full, mempool-fl-full and mempool-fl-queue-full (an FL_JOIN when the
 * pooled joins of its task or start height take the seats or work left at
 * the tip), arena-task-full as a policy rejection (a first ARENA_STAKE when
 * the pooled first stakes of its task and role take the seats left at the
 * tip), and the state reasons of the transaction's type. */
bool mempool_add(struct mempool *mp, const struct tx *tx, uint64_t now, struct validation *v)
    WARN_UNUSED;

/* mempool_add after the stateless checks and the signature were taken
 * without the node lock (sigcheck_txs on this very transaction): pre is
 * their verdict.  A failing one is the answer, at the point where
 * mempool_add would have found it (after the duplicate check), without
 * verifying again; a passing one is trusted when its cache key is this
 * transaction's (sigcheck_verdict_matches: same sighash, key and
 * signature), and otherwise the checks run as in mempool_add.  The
 * signature enters the cache only when the transaction is accepted.  pre
 * NULL: as mempool_add.  The result is mempool_add's. */
bool mempool_add_checked(struct mempool *mp, const struct tx *tx, uint64_t now,
                         const struct sigcheck_verdict *pre, struct validation *v) WARN_UNUSED;
/* mempool_add_checked with the transaction's txid already known (tx_txid of
 * tx: the caller's hash is not taken again); txid NULL: computed. */
bool mempool_add_txid(struct mempool *mp, const struct tx *tx, const uint8_t txid[HASH_SIZE],
                      uint64_t now, const struct sigcheck_verdict *pre, struct validation *v)
    WARN_UNUSED;

/* The checks of mempool_add without changing the pool (testmempoolaccept);
 * a full pool's eviction is not tried, so mempool-full is not reported. */
bool mempool_test(struct mempool *mp, const struct tx *tx, struct validation *v) WARN_UNUSED;
/* mempool_test with a pre-check's verdict, as mempool_add_checked (the
 * cache is left as it is). */
bool mempool_test_checked(struct mempool *mp, const struct tx *tx,
                          const struct sigcheck_verdict *pre, struct validation *v) WARN_UNUSED;

bool mempool_has(const struct mempool *mp, const uint8_t txid[HASH_SIZE]);
const struct mempool_entry *mempool_get(const struct mempool *mp, const uint8_t txid[HASH_SIZE]);
size_t mempool_count(const struct mempool *mp);
/* Sum of the pooled transactions' encoded sizes. */
size_t mempool_bytes(const struct mempool *mp);
/* Heap memory the pool holds (entries, payloads, runs, hash tables, the
 * eviction heap), each allocation counted as glibc's malloc rounds it: what
 * max_bytes limits. */
size_t mempool_usage(const struct mempool *mp);
size_t mempool_max_bytes(const struct mempool *mp);
uint64_t mempool_min_fee_rate(const struct mempool *mp);
/* The fee rate a transaction needs now (rises when the pool is full). */
uint64_t mempool_required_fee_rate(const struct mempool *mp);

/* The nonce the sender's next transaction should carry: account nonce plus
 * the sender's pooled run. */
uint64_t mempool_next_nonce(struct mempool *mp, const uint8_t sender[PUBKEY_SIZE]);

/* Without the node lock: the nonce the sender's next transaction should
 * carry, given account_nonce, the sender's nonce at a tip the caller read
 * (a published read view, state/readview.h): past the sender's pooled run,
 * or past a pooled transaction of the sender that a block connected since
 * that tip took (the read view is published at the end of the activation,
 * after the pool's own update), else account_nonce. */
uint64_t mempool_next_nonce_after(struct mempool *mp, const uint8_t sender[PUBKEY_SIZE],
                                  uint64_t account_nonce);
/* Without the node lock: a copy of the pooled transaction txid into *out
 * (the caller's to tx_free) and, when time is not NULL, when it entered.
 * False when it is not pooled, or out of memory (*oom set). */
bool mempool_lookup(struct mempool *mp, const uint8_t txid[HASH_SIZE], struct tx *out,
                    uint64_t *time, bool *oom) WARN_UNUSED;

/* All entries in no particular order; *n set to the count. The array is the
 * caller's to free (entries themselves are borrowed). */
const struct mempool_entry **mempool_entries(const struct mempool *mp, size_t *n);

/* Candidates for a block in inclusion order: by fee rate, each sender's
 * transactions in nonce order (the merge of every sender's run).  Enough for
 * a block with room to skip what no longer applies, not the whole pool: it
 * stops at twice the chain's max_block_txs transactions or max_block_size
 * bytes, at O(log k) per candidate from a heap of the senders' first
 * transactions that the pool keeps.  Staking and FL transactions are applied
 * in that order to a view of the tip, and a sender's run that fails gives
 * no candidates from there on (one a block made invalid, or one that
 * conflicts with a better candidate of another sender).  The reveals
 * (txrules[].reveal) the walk did not reach follow, the leading ones of
 * each run within half of a block, so that better paying transactions
 * cannot keep them from the builder's reveal half.  The caller frees the
 * array. */
const struct mempool_entry **mempool_select(const struct mempool *mp, size_t *n);

/* Finality votes (txrules[].own_replay) are pooled outside the nonce runs:
 * no fee needed, one per (sender, target epoch) (txn-vote-conflict for a
 * second, different one), at most mempool_max_votes() (2 x max_validators:
 * mempool-votes-full), each applied alone to the tip state when it comes
 * and again at every new tip (gone once counted or out of its window).
 * mempool_select puts them first. */
size_t mempool_max_votes(const struct mempool *mp);
/* Told of every vote that passes the stateless checks, accepted or not (the
 * node's evidence watcher: a conflicting pair is evidence).  One listener. */
void mempool_set_vote_listener(struct mempool *mp, void (*seen)(void *arg, const struct tx *tx),
                               void *arg);

/* Removes a transaction and the later ones of its sender. */
void mempool_remove(struct mempool *mp, const uint8_t txid[HASH_SIZE]);

/* Told about every transaction that enters the pool (for relay), after it
 * entered, with the node lock held. */
void mempool_add_listener(struct mempool *mp,
                          void (*added)(void *arg, const struct mempool_entry *e), void *arg);
void mempool_remove_listener(struct mempool *mp, void *arg);

/* For tests and benchmarks only: pools tx with no check at all (no
 * signature, state or fee check, no eviction), as bitcoind's
 * addUnchecked.  tx->nonce must follow the sender's pooled run, or start
 * one.  False on allocation failure or a nonce out of order. */
bool mempool_add_unchecked(struct mempool *mp, const struct tx *tx, uint64_t now) WARN_UNUSED;
/* For tests: false makes every check apply the sender's whole run, as
 * without the runs' applied accounts (the same verdicts, more work). */
void mempool_set_run_cache(struct mempool *mp, bool on);
/* For tests: a count of the steps eviction and re-validation took so far
 * (runs and entries visited, heap moves, transactions re-applied). */
uint64_t mempool_work(const struct mempool *mp);

#endif
