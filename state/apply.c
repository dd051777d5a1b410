/* The state transition function (see apply.h). */
#include "state/apply.h"
#include "state/accounts.h"
#include "state/modules.h"

void block_ctx_init(struct block_ctx *ctx, const struct chain_params *params,
                    const struct block_header *hdr, const struct block_header *prev)
{
    ctx->params = params;
    ctx->hdr = hdr;
    ctx->prev_slot = prev->slot;
    ctx->fees = 0;
}

bool apply_block_begin(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i].begin_block && !modules[i].begin_block(v, ctx, val))
            return false;
    return true;
}

bool apply_block_end(struct view *v, struct block_ctx *ctx, struct validation *val)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i].end_block && !modules[i].end_block(v, ctx, val))
            return false;
    return true;
}

/* The envelope: the nonce must be the sender's next (except for a type that
 * prevents its own replay, txrules[].own_replay: the account nonce is left
 * alone), and the sender pays the fee whatever the type does. */
bool apply_tx(struct view *v, struct block_ctx *ctx, const struct tx *tx, struct validation *val)
{
    struct account sender;
    const struct txrules *r = txrules_get(tx->type);
    const bool own_replay = r && r->own_replay;
    if (!accounts_get(v, tx->sender, &sender))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    if (own_replay) {
        if (sender.balance < tx->fee)
            return val_fail(val, VAL_STATE, REJECT_BAD_TXNS_INSUFFICIENT_FUNDS);
        if (tx->fee) {
            sender.balance -= tx->fee;
            accounts_put(v, tx->sender, &sender);
            ctx->fees += tx->fee;
        }
        return txapply_dispatch(v, ctx, tx, val);
    }
    if (tx->nonce < sender.nonce)
        return val_failf(val, VAL_STATE, REJECT_BAD_TXNS_NONCE_TOO_LOW, "nonce %llu, expected %llu",
                         (unsigned long long)tx->nonce, (unsigned long long)sender.nonce);
    if (tx->nonce > sender.nonce)
        return val_failf(val, VAL_STATE, REJECT_BAD_TXNS_NONCE_TOO_HIGH, "nonce %llu, expected %llu",
                         (unsigned long long)tx->nonce, (unsigned long long)sender.nonce);
    if (sender.balance < tx->fee)
        return val_fail(val, VAL_STATE, REJECT_BAD_TXNS_INSUFFICIENT_FUNDS);
    sender.balance -= tx->fee;
    sender.nonce++;
    accounts_put(v, tx->sender, &sender);
    ctx->fees += tx->fee; /* fees are bounded by the supply: no overflow */
    return txapply_dispatch(v, ctx, tx, val);
}

bool apply_block(struct view *v, const struct chain_params *params,
                 const struct block_header *prev, const struct block *b, struct validation *val)
{
    struct block_ctx ctx;
    block_ctx_init(&ctx, params, &b->hdr, prev);
    /* The journal's causes (view.h): nothing when the view does not journal. */
    view_journal_mark(v, JOURNAL_CAUSE_BEGIN);
    if (!apply_block_begin(v, &ctx, val))
        return false;
    for (size_t i = 0; i < b->ntx; i++) {
        view_journal_mark(v, (int64_t)i);
        if (!apply_tx(v, &ctx, &b->txs[i], val))
            return false;
    }
    view_journal_mark(v, JOURNAL_CAUSE_END);
    if (!apply_block_end(v, &ctx, val))
        return false;
    if (view_failed(v))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    return true;
}
