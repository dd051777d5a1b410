/* Block building (see builder.h). */
#include "state/builder.h"
#include "consensus/txtypes.h"
#include "state/apply.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/modules.h"
#include "state/staking.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

bool builder_next_slot(struct chain *c, bool (*ours)(void *arg, const uint8_t pub[PUBKEY_SIZE]),
                       void *arg, uint64_t from, uint64_t max_slots, uint64_t *slot,
                       uint8_t pub[PUBKEY_SIZE])
{
    const struct chain_params *p = chain_params(c);
    const struct block_index *tip = chain_tip(c);
    struct view *view = chain_view(c);
    struct schedule sched;
    uint64_t epoch = UINT64_MAX;
    bool found = false, have = false;

    if (!view)
        return false;
    if (from <= tip->hdr.slot)
        from = tip->hdr.slot + 1;
    schedule_init(&sched);
    for (uint64_t s = from; s < from + max_slots && !found; s++) {
        size_t idx;
        /* The schedule is the same for every slot of an epoch. */
        if (params_epoch_of(p, s) != epoch) {
            schedule_free(&sched);
            epoch = params_epoch_of(p, s);
            have = staking_schedule_for(view, p, tip->hdr.slot, s, &sched);
        }
        if (have && schedule_leader(&sched, s, &idx) && ours(arg, sched.entries[idx].pubkey)) {
            memcpy(pub, sched.entries[idx].pubkey, PUBKEY_SIZE);
            *slot = s;
            found = true;
        }
    }
    schedule_free(&sched);
    view_free(view);
    return found;
}

/* A reveal that must land in its window (txrules[].reveal), or a finality
 * vote (txrules[].own_replay: bounded by 2 x max_validators, and useful
 * only within its two epochs). */
static bool must_land(uint8_t type)
{
    const struct txrules *r = txrules_get(type);
    return r && (r->reveal || r->own_replay);
}

/* Adds pooled transactions that still apply, best fee rate first, within the
 * block limits.  First pass: the reveals (txrules[].reveal), within half of the block's
 * bytes and units, so that transactions paying more cannot push them out of
 * their window (that half is what a task's windows are sized for); second
 * pass: everything else, and the reveals the first left, in the same order. */
static bool fill_transactions(struct chain *c, struct mempool *mp, struct view *view,
                              struct block_ctx *ctx, size_t block_size, struct block *b,
                              struct validation *v)
{
    const struct chain_params *p = chain_params(c);
    size_t n, size = BLOCK_HEADER_SIZE + 9;
    uint64_t units = 0; /* block units taken (txtypes[].block_units) */
    const struct mempool_entry **cand = mempool_select(mp, &n);
    if (!cand)
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    bool *taken = calloc(n ? n : 1, sizeof(*taken));
    if (!taken) {
        free(cand);
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    }
    const size_t half_size = BLOCK_HEADER_SIZE + 9 + block_size / 2;
    const uint64_t half_units = p->max_block_txs / 2;
    for (int pass = 0; pass < 2; pass++) {
        const size_t max_size = pass == 0 ? half_size : block_size;
        const uint64_t max_units = pass == 0 ? half_units : p->max_block_txs;
        for (size_t i = 0; i < n && units < max_units; i++) {
            const struct mempool_entry *e = cand[i];
            struct validation tv;
            if (taken[i] || (pass == 0 && !must_land(e->tx.type)))
                continue;
            uint32_t u = txtype_block_units(e->tx.type);
            if (size + e->size > max_size || units + u > max_units)
                continue;
            struct view *child = view_new(NULL, view);
            if (!child) {
                free(taken);
                free(cand);
                return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
            }
            val_init(&tv);
            uint64_t fees = ctx->fees;
            if (apply_tx(child, ctx, &e->tx, &tv)) {
                if (!block_add_tx(b, &e->tx)) {
                    view_free(child);
                    free(taken);
                    free(cand);
                    return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
                }
                view_commit(child);
                size += e->size;
                units += u;
                taken[i] = true;
            } else {
                ctx->fees = fees;
                if (pass == 1)
                    LOG_DEBUG(LOG_PRODUCER, "skipping a pooled transaction: %s", tv.reason);
            }
            view_free(child);
        }
    }
    free(taken);
    free(cand);
    return true;
}

bool builder_build(struct chain *c, struct mempool *mp, const uint8_t pub[PUBKEY_SIZE],
                   uint64_t slot, const struct block_signer *signer, struct block *out,
                   struct validation *v)
{
    return builder_build_max(c, mp, pub, slot, signer, 0, out, v);
}

bool builder_build_max(struct chain *c, struct mempool *mp, const uint8_t pub[PUBKEY_SIZE],
                       uint64_t slot, const struct block_signer *signer, size_t max_size,
                       struct block *out, struct validation *v)
{
    const struct chain_params *p = chain_params(c);
    const size_t block_size =
        max_size && max_size < p->max_block_size ? max_size : p->max_block_size;
    const struct block_index *tip = chain_tip(c);
    struct view *view = chain_view(c);
    struct validator val;
    struct block_ctx ctx;
    bool ok = false;

    val_init(v);
    block_init(out);
    if (!view)
        return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
    out->hdr.version = BLOCK_VERSION;
    out->hdr.height = tip->hdr.height + 1;
    memcpy(out->hdr.prev, tip->hash, HASH_SIZE);
    out->hdr.slot = slot;
    out->hdr.time = params_slot_start(p, slot);
    memcpy(out->hdr.proposer, pub, PUBKEY_SIZE);
    if (!staking_get_validator(view, pub, &val)) {
        val_fail(v, VAL_STATE, REJECT_NOT_A_VALIDATOR);
        goto done;
    }
    if (!signer->reveal(signer->arg, pub, val.reveals, out->hdr.randao_reveal)) {
        val_fail(v, VAL_ERROR, REJECT_RANDAO_REVEAL_UNAVAILABLE);
        goto done;
    }
    block_ctx_init(&ctx, p, &out->hdr, &tip->hdr);
    if (!apply_block_begin(view, &ctx, v) || !fill_transactions(c, mp, view, &ctx, block_size, out, v) ||
        !apply_block_end(view, &ctx, v))
        goto done;
    if (!chain_root_with(c, view, out->hdr.state_root)) {
        val_fail(v, VAL_ERROR, REJECT_STATE_READ_ERROR);
        goto done;
    }
    block_merkle_root(out, out->hdr.tx_root);
    if (!signer->sign(signer->arg, &out->hdr)) {
        val_fail(v, VAL_ERROR, REJECT_SIGNING_FAILED);
        goto done;
    }
    ok = true;
done:
    view_free(view);
    if (!ok)
        block_free(out);
    return ok;
}
