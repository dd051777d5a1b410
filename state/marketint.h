/* The AI Market module, state side: what state/market.c and
 * state/markettx.c share besides state/market.h. */
#ifndef FML_STATE_MARKETINT_H
#define FML_STATE_MARKETINT_H

#include <stdbool.h>
#include <stdint.h>

#include "state/market.h"

/* val_fail(VAL_ERROR, state-read-error); always false. */
bool market_read_error(struct validation *val);
/* True unless the view failed (then state-write-error). */
bool market_write_done(struct view *v, struct validation *val);

void market_put_provider(struct view *v, const uint8_t pub[PUBKEY_SIZE],
                         const struct market_provider *p);
void market_put_flows(struct view *v, const struct market_flows *f);

/* A data provider's snapshot of acc ('M' 'D' | model | key; 0 when absent). */
bool market_get_snapshot(struct view *v, const uint8_t model[HASH_SIZE],
                         const uint8_t pub[PUBKEY_SIZE], unsigned __int128 *acc) WARN_UNUSED;
void market_put_snapshot(struct view *v, const uint8_t model[HASH_SIZE],
                         const uint8_t pub[PUBKEY_SIZE], unsigned __int128 acc);

/* Adds calls to 'M' 'C' | model | provider | payer (wrapping: a statistic a
 * provider reads, which no sum of calls a chain can pay reaches). */
void market_add_paid_calls(struct view *v, const uint8_t model[HASH_SIZE],
                           const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE],
                           uint64_t calls);

/* 'M' 'q' | height: the models called in block `height` (count u32 LE) and
 * the sum of their own parts so far (u64 LE); zeros when absent. */
bool market_get_height(struct view *v, uint64_t height, uint32_t *count, uint64_t *own)
    WARN_UNUSED;
bool market_get_touched(struct view *v, uint64_t height, uint32_t *count) WARN_UNUSED;
/* Adds amount to the height's sum of own parts. */
bool market_add_height_own(struct view *v, uint64_t height, uint64_t amount,
                           struct validation *val) WARN_UNUSED;
/* Appends model to the height's queue; market-height-full when it already
 * holds MARKET_MAX_HEIGHT_TOUCHED. */
bool market_touch(struct view *v, uint64_t height, const uint8_t model[HASH_SIZE],
                  struct validation *val) WARN_UNUSED;

/* A model's price per call at the cap of every multiplier in its expansion:
 * own at cap x 2^32 plus each component's, recursively (the 10^12 bound).
 * False when a component is missing (check view_failed()) or on overflow. */
bool market_price_at_cap(struct view *v, const struct chain_params *p,
                         const struct market_model *m, unsigned __int128 *price) WARN_UNUSED;

/* The data part of an amount goes to the data providers' accrual when the
 * model has any (fl or arena source with shares); else it is the owner's. */
bool market_has_data_providers(const struct market_model *m);

/* Takes amount out of the supply (supply down, gstats burned up). */
bool market_burn_supply(struct view *v, uint64_t amount, struct validation *val) WARN_UNUSED;

#endif
