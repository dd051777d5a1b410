/* The AI Market module, state side: the five transaction types
 * (state/markettx.c), the end-of-block work (state/market.c: the
 * multipliers of the models called in the block, use-is-mining from
 * gpool/market, the pool cap), and the record accessors the RPC methods and
 * a compute provider read.
 *
 * A call's price is the one as of the start of its block: multipliers
 * change only at the end of a block.  Everything lives in the state under
 * keys starting with 'M' (consensus/market.h), so undo is the view's.
 */
#ifndef FML_STATE_MARKET_H
#define FML_STATE_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/market.h"
#include "state/apply.h"
#include "consensus/tx.h"
#include "state/view.h"
#include "consensus/attr.h"

/* End-block hook: the models called in this block ('M' 'Q' | height | seq,
 * in the order first called): each one's multiplier update and mining,
 * then the Market pool cap burn. */
bool market_end_block(struct view *v, struct block_ctx *ctx, struct validation *val) WARN_UNUSED;

/* Transactions (state/markettx.c). */
bool market_apply_publish(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *val) WARN_UNUSED;
bool market_apply_set_price(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *val) WARN_UNUSED;
bool market_apply_provider_register(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                                    struct validation *val) WARN_UNUSED;
bool market_apply_call(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                       struct validation *val) WARN_UNUSED;
bool market_apply_claim(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                        struct validation *val) WARN_UNUSED;

/* ---- records ----
 * Getters return false when the record is absent, and also when it is
 * malformed (the view is then marked failed: check view_failed()). */

/* The record holds no variable-size field (spec is the shape only). */
bool market_get_model(struct view *v, const uint8_t model[HASH_SIZE], struct market_model *out)
    WARN_UNUSED;
void market_put_model(struct view *v, const uint8_t model[HASH_SIZE], const struct market_model *m);
bool market_get_provider(struct view *v, const uint8_t pub[PUBKEY_SIZE],
                         struct market_provider *out) WARN_UNUSED;
/* Calls of model paid to provider by payer, in all (0 when none). */
uint64_t market_get_paid_calls(struct view *v, const uint8_t model[HASH_SIZE],
                               const uint8_t provider[PUBKEY_SIZE],
                               const uint8_t payer[PUBKEY_SIZE]);
/* Models published so far; the seq-th (0-based) in publication order. */
uint64_t market_model_count(struct view *v);
bool market_model_at(struct view *v, uint64_t seq, uint8_t model[HASH_SIZE]) WARN_UNUSED;
/* Zeroes when absent; false only on a read error or a malformed value. */
bool market_get_flows(struct view *v, struct market_flows *out) WARN_UNUSED;

/* The full spec of a leaf, normalization included: an upload's from
 * 'M' 'S' | model (written once at publication), an FL or Arena model's from
 * its task.  out->norm points into the view's copy.  False for a composite
 * or a missing record (and marks the view failed when the stored spec is
 * malformed or its shape is not the record's). */
bool market_get_spec(struct view *v, const struct market_model *m, struct fl_spec *out)
    WARN_UNUSED;

/* The weights of a leaf (n = fl_param_count(spec) x i32 LE), read from
 * wherever its source keeps them; *data points into the view's copy.
 * False for a composite or a missing record. */
bool market_get_weights(struct view *v, const struct market_model *m, const uint8_t **data,
                        size_t *len) WARN_UNUSED;

/* A model's price per call as of the start of block `height` (the next
 * block's when height = tip + 1): own at its decayed multiplier plus every
 * component's, recursively.  *own_total = the sum of the own parts (the
 * price), *complexity_total the sum of the complexity parts.  False when a
 * record is missing or the sum does not fit in u64. */
bool market_price_at(struct view *v, const struct chain_params *p,
                     const uint8_t model[HASH_SIZE], uint64_t height, uint64_t *price)
    WARN_UNUSED;
/* A model's multiplier as of the start of block `height` (decayed lazily). */
uint64_t market_mult_at(const struct chain_params *p, const struct market_model *m,
                        uint64_t height);

/* A data provider's share count in a model (fl: its contribution in the
 * source task; arena: 1 for the winner) and what it is owed now. */
bool market_data_shares(struct view *v, const struct market_model *m,
                        const uint8_t pub[PUBKEY_SIZE], unsigned __int128 *shares) WARN_UNUSED;
uint64_t market_pending(struct view *v, const uint8_t model[HASH_SIZE],
                        const struct market_model *m, const uint8_t pub[PUBKEY_SIZE]);

#endif
