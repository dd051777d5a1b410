/* Checkpoint finality over RPC: getfinalityinfo (doc/protocol.md section
 * 20; getblockchaininfo shows the justified and finalized blocks). */
#include "consensus/finality.h"
#include "consensus/params.h"
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/chain.h"
#include "state/finality.h"
#include "state/mempool.h"
#include "state/view.h"

#include <stdlib.h>
#include <string.h>

static json_t *checkpoint_json(struct chain *c, const struct checkpoint *cp)
{
    json_t *o = json_object();
    const struct block_index *bi = chain_lookup(c, cp->hash);
    json_object_set_new(o, "epoch", json_integer((json_int_t)cp->epoch));
    json_object_set_new(o, "hash", json_hash(cp->hash));
    if (bi)
        json_object_set_new(o, "height", json_integer((json_int_t)bi->hdr.height));
    return o;
}

static json_t *vote_json(struct rpc_call *call, struct view *v, const struct tx *tx,
                         const struct finality_vote *fv, const uint8_t *txid)
{
    const struct chain_params *p = rpc_env(call)->params;
    json_t *o = json_object();
    json_object_set_new(o, "validator", json_address(p, tx->sender));
    json_object_set_new(o, "stake", json_amount(finality_weight(v, fv->target.epoch, tx->sender)));
    json_object_set_new(o, "source_epoch", json_integer((json_int_t)fv->source.epoch));
    json_object_set_new(o, "source", json_hash(fv->source.hash));
    json_object_set_new(o, "target_epoch", json_integer((json_int_t)fv->target.epoch));
    json_object_set_new(o, "target", json_hash(fv->target.hash));
    json_object_set_new(o, "txid", json_hash(txid));
    return o;
}

/* The votes for target epoch t counted on the active chain: those of the
 * blocks of epochs t and t+1 (where the rules take them). */
static json_t *counted_votes(struct rpc_call *call, struct chain *c, struct view *v, uint64_t t)
{
    const struct chain_params *p = rpc_env(call)->params;
    json_t *arr = json_array();
    for (const struct block_index *bi = chain_tip(c);
         bi && bi->hdr.height > 0 && bi->hdr.slot >= t * p->epoch_slots;
         bi = chain_at(c, bi->hdr.height - 1)) {
        struct block b;
        if (params_epoch_of(p, bi->hdr.slot) > t + 1)
            continue;
        if (!chain_read_block(c, bi, &b))
            break;
        for (size_t i = 0; i < b.ntx; i++) {
            struct finality_vote fv;
            if (b.txs[i].type == TX_FINALITY_VOTE &&
                finality_vote_decode(&fv, b.txs[i].payload, b.txs[i].payload_len) &&
                fv.target.epoch == t)
                json_array_append_new(arr, vote_json(call, v, &b.txs[i], &fv, b.txids[i]));
        }
        block_free(&b);
    }
    return arr;
}

static json_t *pending_votes(struct rpc_call *call, struct view *v, uint64_t t)
{
    struct mempool *mp = rpc_env(call)->mempool;
    json_t *arr = json_array();
    size_t n = 0;
    const struct mempool_entry **es = mp ? mempool_entries(mp, &n) : NULL;
    for (size_t i = 0; es && i < n; i++) {
        struct finality_vote fv;
        if (es[i]->tx.type == TX_FINALITY_VOTE &&
            finality_vote_decode(&fv, es[i]->tx.payload, es[i]->tx.payload_len) &&
            fv.target.epoch == t)
            json_array_append_new(arr, vote_json(call, v, &es[i]->tx, &fv, es[i]->txid));
    }
    free(es);
    return arr;
}

static json_t *epoch_json(struct rpc_call *call, struct chain *c, struct view *v, uint64_t t)
{
    const struct chain_params *p = rpc_env(call)->params;
    uint64_t total, voted, linked;
    struct checkpoint cp = {.epoch = t};
    json_t *o = json_object();
    json_object_set_new(o, "epoch", json_integer((json_int_t)t));
    if (finality_checkpoint(v, p, t, cp.hash))
        json_object_set_new(o, "checkpoint", checkpoint_json(c, &cp));
    if (t >= 1 && finality_tally(v, t, &total, &voted, &linked)) {
        json_object_set_new(o, "total_stake", json_amount(total));
        json_object_set_new(o, "voted_stake", json_amount(voted));
        json_object_set_new(o, "linked_stake", json_amount(linked));
        json_object_set_new(o, "voted_share", json_real(total ? (double)voted / (double)total : 0));
        json_object_set_new(o, "votes", counted_votes(call, c, v, t));
    }
    json_object_set_new(o, "pending", pending_votes(call, v, t));
    return o;
}

static json_t *getfinalityinfo(struct rpc_call *call)
{
    struct chain *c = rpc_env(call)->chain;
    const struct chain_params *p = rpc_env(call)->params;
    struct checkpoint cur, prev, fin;
    struct view *v = chain_view(c);
    if (!v)
        return rpc_error(call, RPC_MISC_ERROR, "out of memory");
    if (!finality_justified(v, p, &cur, &prev) || !finality_finalized(v, p, &fin)) {
        view_free(v);
        return rpc_error(call, RPC_MISC_ERROR, "state read error");
    }
    const uint64_t e = params_epoch_of(p, chain_tip(c)->hdr.slot);
    json_t *o = json_object();
    json_object_set_new(o, "epoch", json_integer((json_int_t)e));
    json_object_set_new(o, "justified", checkpoint_json(c, &cur));
    json_object_set_new(o, "previous_justified", checkpoint_json(c, &prev));
    json_object_set_new(o, "finalized", checkpoint_json(c, &fin));
    json_object_set_new(o, "current", epoch_json(call, c, v, e));
    if (e >= 1)
        json_object_set_new(o, "previous", epoch_json(call, c, v, e - 1));
    view_free(v);
    return o;
}

const struct rpc_method finality_rpc_methods[] = {
    {
        .category = "Blockchain",
        .name = "getfinalityinfo",
        .handler = getfinalityinfo,
        .summary = "Checkpoint finality at the tip: the justified and finalized checkpoints, "
                   "and for the tip's epoch and the one before it (the target epochs votes "
                   "may still count for) the epoch's total stake, the stake of the votes "
                   "counted on the active chain, its share, the votes counted and those "
                   "pending in the mempool.  An epoch is justified once votes of more than "
                   "2/3 of its stake are counted for it; the epoch before a justified one is "
                   "finalized when more than 2/3 voted from it (linked_stake).",
        .result = "{\n"
                  "  \"epoch\": n,                 (epoch of the tip)\n"
                  "  \"justified\": {\"epoch\": n, \"hash\": \"hex\", \"height\": n},\n"
                  "  \"previous_justified\": {...}, (the one justified before it)\n"
                  "  \"finalized\": {...},         (the chain never leaves this block)\n"
                  "  \"current\": {                (target epoch = epoch)\n"
                  "    \"epoch\": n,\n"
                  "    \"checkpoint\": {...},      (last block before the epoch's first slot)\n"
                  "    \"total_stake\": n,         (FML in the epoch's vote weights)\n"
                  "    \"voted_stake\": n,         (FML of the votes counted for it)\n"
                  "    \"linked_stake\": n,        (of those, votes from the epoch before it)\n"
                  "    \"voted_share\": x.xxx,     (voted_stake / total_stake)\n"
                  "    \"votes\": [ {\"validator\", \"stake\", \"source_epoch\", \"source\",\n"
                  "                \"target_epoch\", \"target\", \"txid\"}, ... ],\n"
                  "    \"pending\": [ ... ]        (votes in the mempool, same fields)\n"
                  "  },\n"
                  "  \"previous\": {...}           (target epoch = epoch - 1, same fields)\n"
                  "}",
        .examples = "fml-cli getfinalityinfo",
    },
};
const size_t finality_rpc_methods_count =
    sizeof(finality_rpc_methods) / sizeof(finality_rpc_methods[0]);
