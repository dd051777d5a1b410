/* Checking a block's transactions on a pool of threads (-par), with the
 * signature cache (state/sigcache.h).
 *
 * sigcheck_block gives exactly block_check's answer: the block's own rules
 * (block_check_contents) on the calling thread, then every transaction's
 * tx_check spread over the pool; when some fail, the reason is that of the
 * first failing transaction in block order, whatever the number of threads
 * and however they were scheduled.  Nothing here touches the state: the
 * state transition runs after, on the caller's thread, in block order.
 *
 * A signature found in the cache is not verified again.  Block checks only
 * read the cache; the mempool fills it with the signatures of the
 * transactions it accepts, and only those (a pre-check, sigcheck_txs, hands
 * its verdicts to the mempool instead).
 *
 * The pool runs one block at a time (callers on several threads take
 * turns); the calling thread works as one of the threads. */
#ifndef FML_STATE_SIGCHECK_H
#define FML_STATE_SIGCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/params.h"
#include "consensus/validation.h"
#include "state/sigcache.h"

/* Threads at most (bitcoind's MAX_SCRIPTCHECK_THREADS + the caller). */
#define SIGCHECK_MAX_THREADS 16

struct sigcheck;

/* The threads -par=n asks for, as bitcoind counts them: n > 0 is n threads
 * (the caller and n - 1 workers), 0 the number of cores, n < 0 the cores
 * but -n; at least 1, at most SIGCHECK_MAX_THREADS. */
int sigcheck_threads_for_par(int64_t par);

/* A pool of nthreads threads (nthreads - 1 workers; 1: none) using cache
 * (may be NULL: no cache).  NULL when a thread cannot be started. */
struct sigcheck *sigcheck_new(int nthreads, struct sigcache *cache);
/* Stops the workers; the cache is the caller's. */
void sigcheck_free(struct sigcheck *sc);
int sigcheck_threads(const struct sigcheck *sc);
struct sigcache *sigcheck_cache(const struct sigcheck *sc);

/* block_check with the pool and the cache; sc NULL: on the calling thread,
 * without a cache. */
bool sigcheck_block(struct sigcheck *sc, const struct block *b, const struct chain_params *p,
                    struct validation *v) WARN_UNUSED;

/* The transactions' half of sigcheck_block, in two, so that the caller can
 * do other work (the block's state transition into a view) while the
 * workers check: sigcheck_block is block_check_contents, then
 * sigcheck_begin, which hands the transactions to the workers and returns
 * at once, then sigcheck_end, which joins the work and returns the verdict
 * on the transactions (the first failing one in block order).  Every begin
 * must be followed by its end on the same thread (the pool is held in
 * between); b and p stay unchanged until then.  sc NULL, without
 * workers, or a block of at most 16 transactions (one chunk): begin does
 * nothing and end does all the work on the calling thread. */
void sigcheck_begin(struct sigcheck *sc, const struct block *b, const struct chain_params *p);
bool sigcheck_end(struct sigcheck *sc, const struct block *b, const struct chain_params *p,
                  struct validation *v) WARN_UNUSED;

/* tx_check, skipping the verification of a signature the cache holds
 * (cache may be NULL), and then the stateless checks too: a key enters the
 * cache only for a transaction that passed both, and it binds the sighash,
 * which covers every field those checks read.  key_out (may be NULL): when cache is set and the
 * check passed, the signature's cache key, for the caller to
 * sigcache_insert once it accepts the transaction (the mempool does, so that
 * only signatures of accepted transactions take room in the cache). */
bool sigcheck_tx(struct sigcache *cache, const struct tx *tx, const struct chain_params *p,
                 uint8_t key_out[SIGCACHE_KEY_SIZE], struct validation *v) WARN_UNUSED;

/* A pre-check's verdict on one transaction: v (cls VAL_OK: passed) and,
 * when it passed with a cache, the signature's cache key.  The mempool
 * (mempool_add_checked) trusts a passing verdict only for the transaction
 * whose key equals it (same sighash, public key and signature), and puts
 * the key in the cache only when it accepts the transaction. */
struct sigcheck_verdict {
    struct validation v;
    bool keyed;
    uint8_t key[SIGCACHE_KEY_SIZE];
};

/* Whether pre is a passing verdict for this very transaction: its key
 * equals tx's under cache (a keyed hash, no verification); key_out gets
 * tx's key whenever cache is set.  False without a cache. */
bool sigcheck_verdict_matches(struct sigcache *cache, const struct tx *tx,
                              const struct chain_params *p, const struct sigcheck_verdict *pre,
                              uint8_t key_out[SIGCACHE_KEY_SIZE]);

/* The mempool's stateless half on the pool, for transactions about to be
 * offered to it (a JSON-RPC batch of sendrawtransaction, a peer's burst of
 * tx messages): sigcheck_tx of each of the n transactions spread over the
 * threads, every one checked whatever the others give; out[i] its verdict,
 * with its key when it passed.  The cache is only read: nothing enters it
 * here (the mempool inserts on acceptance).  Needs no lock.  The pool runs
 * one job at a time, and a block check comes first: a pre-check that finds
 * the pool busy, or a block check waiting for it, runs on the calling
 * thread alone, and one on the pool stops handing out chunks as soon as a
 * block check waits, hands the pool over, and finishes on the calling
 * thread.  Returns how many passed. */
size_t sigcheck_txs(struct sigcheck *sc, const struct tx *txs, size_t n,
                    const struct chain_params *p, struct sigcheck_verdict *out);

#endif
