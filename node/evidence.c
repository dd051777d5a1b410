/* Double-proposal reporting (see evidence.h). */
#include "node/evidence.h"
#include "consensus/stakingtx.h"
#include "node/node.h"
#include "state/chain.h"
#include "util/log.h"
#include "wallet/staker.h"
#include "wallet/wallet.h"

static void on_double_proposal(void *arg, const struct block_header *first,
                               const struct block_header *second)
{
    struct node *n = arg;
    struct evidence e = {*first, *second};
    struct wbuf w;
    uint8_t txid[HASH_SIZE];
    char err[256], hex[2 * HASH_SIZE + 1];
    struct wallet *own;
    if (n->wallets && wallets_find_key(n->wallets, first->proposer, &own)) {
        log_printf("Double proposal at slot %llu by our own validator key: not reporting it "
                   "(other nodes will)", (unsigned long long)first->slot);
        return;
    }
    if (!n->wallets || !n->mempool) {
        log_printf("Double proposal seen at slot %llu; no wallet to report it from",
                   (unsigned long long)first->slot);
        return;
    }
    wbuf_init(&w);
    evidence_encode(&e, &w);
    if (staker_submit(n->wallets, n->chain, n->mempool, TX_EVIDENCE, &w, txid, err, sizeof(err))) {
        hash_to_hex(txid, hex);
        log_printf("Reported a double proposal at slot %llu: evidence transaction %s",
                   (unsigned long long)first->slot, hex);
    } else {
        log_printf("Could not report a double proposal at slot %llu: %s",
                   (unsigned long long)first->slot, err);
    }
    wbuf_free(&w);
}

void evidence_watch(struct node *n)
{
    struct chain_listener l = {.double_proposal = on_double_proposal, .arg = n};
    chain_add_listener(n->chain, &l);
}

void evidence_unwatch(struct node *n)
{
    if (n->chain)
        chain_remove_listener(n->chain, n);
}
