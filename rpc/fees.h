/* The fee estimate behind estimatesmartfee.
 *
 * The estimator watches the mempool (the chain height at which each
 * transaction entered) and the blocks connected to the active chain.  For the
 * last FEE_WINDOW_BLOCKS blocks it keeps, per block, up to
 * FEE_BLOCK_SAMPLES of the included transactions it had seen enter the pool:
 * their fee rate (base units per 1000 bytes) and how many blocks each waited
 * (block height minus the height at entry, so 1 for the next block).  A
 * transaction still pooled after t blocks counts as one that did not confirm
 * within t.  The estimate for a target t is the lowest fee rate at which at
 * least 85% (95% when conservative) of the transactions at that rate or
 * above confirmed within t blocks (rates grouped in buckets 10% apart, read
 * from the highest down, each group holding FEE_MIN_GROUP transactions at
 * least; the walk stops at the first group below the threshold), and never
 * below the fee rate the mempool requires now (-minrelaytxfee, raised when
 * the pool is full).  When the pool would fit in one block and nothing in the
 * last block waited more than one block, the blocks are not full and the
 * estimate is that minimum.  Nothing is kept on disk: after a restart the
 * estimator starts empty.  Memory: at most FEE_WINDOW_BLOCKS x
 * FEE_BLOCK_SAMPLES samples and FEE_MAX_TRACKED pooled transactions: the
 * entry heights of the last FEE_MAX_TRACKED transactions that entered the
 * pool are kept, and each new one past that pushes out the oldest (constant
 * work per transaction; a transaction pushed out still pooled goes
 * unmeasured when mined).
 *
 * Not thread-safe: the chain and mempool call it with the node lock held,
 * as RPC handlers do.
 */
#ifndef FML_RPC_FEES_H
#define FML_RPC_FEES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FEE_WINDOW_BLOCKS 1008 /* blocks remembered; also the largest target */
#define FEE_BLOCK_SAMPLES 500  /* transactions sampled per block at most */
#define FEE_MAX_TRACKED 200000 /* pooled transactions whose entry height is kept */
#define FEE_MIN_GROUP 4        /* transactions a bucket group needs to be judged */
#define FEE_THRESHOLD_ECONOMICAL 85
#define FEE_THRESHOLD_CONSERVATIVE 95

struct chain;
struct mempool;
struct fee_estimator;

/* Registers with the chain and the mempool; NULL on allocation failure. */
struct fee_estimator *fee_estimator_new(struct chain *c, struct mempool *mp);
/* Unregisters and frees (NULL is fine); before the mempool and chain go. */
void fee_estimator_free(struct fee_estimator *fe);

struct fee_estimate {
    bool found;
    uint64_t rate;   /* base units per 1000 bytes, when found */
    uint64_t floor;  /* the mempool's required fee rate now */
    size_t blocks;   /* blocks of history */
    size_t samples;  /* transactions of history */
};

/* The estimate for target blocks (1..FEE_WINDOW_BLOCKS) at a success
 * threshold in percent. */
void fee_estimate(const struct fee_estimator *fe, uint32_t target, unsigned threshold_pct,
                  struct fee_estimate *out);

/* What the mempool listener does for each transaction entering the pool:
 * records its entry height, pushing out the oldest record when
 * FEE_MAX_TRACKED are held.  Constant work. */
void fee_estimator_track(struct fee_estimator *fe, const uint8_t txid[32], uint64_t height);
/* Transactions whose entry height is held now. */
size_t fee_estimator_tracked(const struct fee_estimator *fe);
/* Records examined to make room since start (one per transaction past
 * FEE_MAX_TRACKED). */
uint64_t fee_estimator_visits(const struct fee_estimator *fe);

#endif
