/* What the in-node wallet may ask of the chain and the mempool, and what it
 * hears from them: a narrow interface, after Bitcoin Core's
 * interfaces::Chain.  node/ fills it in at start (node/wallet_chain.c) and
 * hands it to wallets_attach.  The wallet includes no state/ header and
 * links no state code: everything it knows of the ledger comes through here.
 *
 * Every call is made with the node lock held (RPC handlers, the chain's
 * notifications, start-up).  Lookups read the state at the tip.
 */
#ifndef FML_WALLET_CHAIN_IFACE_H
#define FML_WALLET_CHAIN_IFACE_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/accounts.h"
#include "consensus/block.h"
#include "consensus/fl.h"
#include "consensus/market.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "consensus/tx.h"
#include "consensus/validation.h"

/* A consistent read of the state at the tip for several lookups in a row;
 * what a lookup returns may point into it until it is freed. */
struct chain_snapshot;

/* What the wallet needs of an Arena task at the tip, summarized by node/
 * from the state (the wallet sees no state record directly). */
#define WALLET_ARENA_MAX_SETS 8
/* What the mempool holds of one sender (MEMPOOL_MAX_RUN transactions,
 * MEMPOOL_MAX_RUN_BYTES bytes; node/wallet_chain.c checks they agree): at
 * most this much of a creator's set chunks reaches each block. */
#define WALLET_POOL_RUN 64
#define WALLET_POOL_RUN_BYTES (2u * 1000 * 1000)
enum wallet_arena_state {
    WALLET_ARENA_OPEN = 0,
    WALLET_ARENA_REVEAL = 1,
    WALLET_ARENA_SCORING = 2,
    WALLET_ARENA_SETTLED = 3,
    WALLET_ARENA_REFUNDED = 4,
    WALLET_ARENA_FAILED = 5,
};
struct wallet_arena_task {
    uint8_t creator[PUBKEY_SIZE];
    uint8_t state; /* enum wallet_arena_state */
    uint64_t created_height;
    /* Last heights of the windows (consensus/arena.h "Timeline"). */
    uint64_t submit_end, reveal_end, sets_end, score_commit_end, settle_height;
    uint64_t budget, trainer_min_stake, validator_min_stake;
    uint8_t k; /* validation sets */
    uint16_t n_chunks[WALLET_ARENA_MAX_SETS];
    uint32_t n_rows[WALLET_ARENA_MAX_SETS];
    uint32_t in_width;  /* features per row (the spec's sizes[0]) */
    uint64_t n_params;  /* weights a submission reveals */
    uint32_t n_scoreable; /* submissions to score, fixed at the end of the reveal window */
};
/* An address's part in a task (role 1 trainer, 2 validator). */
struct wallet_arena_operator {
    uint8_t role;
    uint64_t own;
    bool committed, revealed, score_committed, score_revealed;
    uint8_t commitment[HASH_SIZE];
    uint8_t score_commitment[HASH_SIZE];
    uint32_t count[WALLET_ARENA_MAX_SETS]; /* draws per set (after the submit window) */
};

/* The active chain's changes, in order (during a reorganization all
 * disconnections come first), then tip_changed once. */
struct wallet_chain_events {
    void (*connected)(void *arg, const struct block *b, const uint8_t hash[HASH_SIZE],
                      uint64_t height);
    void (*disconnected)(void *arg, const struct block *b, const uint8_t hash[HASH_SIZE],
                         uint64_t height);
    void (*tip_changed)(void *arg);
    void *arg;
};

struct wallet_chain {
    void *ctx; /* first argument of every call below */

    /* ---- the active chain ---- */
    /* Hash and height of the tip. */
    void (*tip)(void *ctx, uint8_t hash[HASH_SIZE], uint64_t *height);
    /* Whether a known block is on the active chain; its height to *height. */
    bool (*in_active_chain)(void *ctx, const uint8_t hash[HASH_SIZE], uint64_t *height);
    /* The height of the last block of the active chain among a known
     * block and its ancestors (the fork point, or the block itself when it
     * is on the active chain); false when the block is unknown. */
    bool (*fork_height)(void *ctx, const uint8_t hash[HASH_SIZE], uint64_t *height);
    /* The block at a height of the active chain and its hash; the caller
     * frees it (block_free).  False when absent or unreadable. */
    bool (*read_block)(void *ctx, uint64_t height, struct block *out, uint8_t hash[HASH_SIZE]);

    /* ---- the state at the tip ---- */
    /* The account (zero balance and nonce when absent); false on a read
     * error. */
    bool (*get_account)(void *ctx, const uint8_t pub[PUBKEY_SIZE], struct account *out);
    /* NULL on a read error. */
    struct chain_snapshot *(*snapshot)(void *ctx);
    void (*snapshot_free)(struct chain_snapshot *s); /* NULL is ignored */
    /* Lookups in a snapshot: false when absent or unreadable. */
    bool (*get_validator)(struct chain_snapshot *s, const uint8_t pub[PUBKEY_SIZE],
                          struct validator *out);
    bool (*get_delegation)(struct chain_snapshot *s, const uint8_t validator[PUBKEY_SIZE],
                           const uint8_t delegator[PUBKEY_SIZE], struct delegation *out);
    bool (*fl_task)(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                    struct fl_task *out);
    bool (*fl_status)(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                      struct fl_status *out);
    bool (*fl_participant)(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                           const uint8_t pub[PUBKEY_SIZE], struct fl_participant *out);
    bool (*fl_entry)(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                     uint32_t round, const uint8_t pub[PUBKEY_SIZE], struct fl_entry *out);
    bool (*fl_round)(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                     uint32_t round, struct fl_round *out);
    /* The task's participant keys, sorted; *keys allocated (the caller
     * frees it; NULL when none).  False only on a read error. */
    bool (*fl_participants)(struct chain_snapshot *s, const uint8_t task[FL_TASK_ID_SIZE],
                            uint8_t **keys, size_t *n);
    /* The Arena (consensus/arena.h): a task, an address's operator record in
     * it, whether a chunk of a validation set is on chain, and the amount
     * of a delegation (task, operator, delegator). */
    bool (*arena_task)(struct chain_snapshot *s, const uint8_t task[HASH_SIZE],
                       struct wallet_arena_task *out);
    bool (*arena_operator)(struct chain_snapshot *s, const uint8_t task[HASH_SIZE],
                           const uint8_t pub[PUBKEY_SIZE], struct wallet_arena_operator *out);
    bool (*arena_chunk)(struct chain_snapshot *s, const uint8_t task[HASH_SIZE], uint8_t set,
                        uint16_t chunk);
    bool (*arena_delegation)(struct chain_snapshot *s, const uint8_t task[HASH_SIZE],
                             const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE],
                             uint64_t *amount);
    /* The AI Market (consensus/market.h): a published model (its spec
     * points into the snapshot), a compute provider, a model's price per
     * call as of the start of block `height` (false when a record is missing
     * or the price does not fit in u64), the calls of a model a payer has
     * paid a provider for, and what a data provider is owed by a model now
     * (0 when nothing). */
    bool (*market_model)(struct chain_snapshot *s, const uint8_t model[HASH_SIZE],
                         struct market_model *out);
    bool (*market_provider)(struct chain_snapshot *s, const uint8_t pub[PUBKEY_SIZE],
                            struct market_provider *out);
    bool (*market_price)(struct chain_snapshot *s, const struct chain_params *p,
                         const uint8_t model[HASH_SIZE], uint64_t height, uint64_t *price);
    uint64_t (*market_paid_calls)(struct chain_snapshot *s, const uint8_t model[HASH_SIZE],
                                  const uint8_t provider[PUBKEY_SIZE],
                                  const uint8_t payer[PUBKEY_SIZE]);
    uint64_t (*market_pending)(struct chain_snapshot *s, const uint8_t model[HASH_SIZE],
                               const uint8_t pub[PUBKEY_SIZE]);

    /* ---- the mempool: the calls below need has_mempool ---- */
    bool (*has_mempool)(void *ctx);
    /* Validates and pools tx; false with the reason in v when refused. */
    bool (*submit_tx)(void *ctx, const struct tx *tx, uint64_t now, struct validation *v);
    /* Takes a transaction (and the later ones of its sender) out again. */
    void (*remove_tx)(void *ctx, const uint8_t txid[HASH_SIZE]);
    bool (*has_tx)(void *ctx, const uint8_t txid[HASH_SIZE]);
    /* The nonce the sender's next transaction should carry. */
    uint64_t (*next_nonce)(void *ctx, const uint8_t sender[PUBKEY_SIZE]);
    /* Fee rates in units per 1,000 bytes: the configured floor, and what a
     * transaction needs now (higher when the pool is full). */
    uint64_t (*min_fee_rate)(void *ctx);
    uint64_t (*required_fee_rate)(void *ctx);
    /* Calls fn on every pooled transaction, in no particular order, until
     * fn returns false.  False when fn did, or out of memory. */
    bool (*each_tx)(void *ctx, bool (*fn)(void *arg, const struct tx *tx), void *arg);

    /* ---- notifications ---- */
    /* Registers the events (one set per ctx; a second call replaces it). */
    void (*listen)(void *ctx, const struct wallet_chain_events *ev);
    void (*unlisten)(void *ctx);
};

#endif
