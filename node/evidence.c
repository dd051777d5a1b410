/* Double-proposal reporting (see evidence.h). */
#include "node/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/serialize.h"
#include "consensus/stakingtx.h"
#include "node/node.h"
#include "state/chain.h"
#include "state/staking.h"
#include "state/view.h"
#include "util/hmap.h"
#include "util/log.h"
#include "node/staker.h"
#include "wallet/wallet.h"

/* What one node has reported: (proposer, slot) pairs and a count per
 * proposer. */
struct reporter {
    struct node *n;
    struct hmap reported; /* proposer | slot (u64 LE) -> (void *)1 */
    struct hmap per_key;  /* proposer -> count (uintptr_t) */
    bool full_logged;
    struct reporter *next;
};

/* The node's reporters (one per node; the list only matters to tests that
 * run several nodes in one process). */
static struct reporter *reporters;

/* Whether the tip state would take evidence against this proposer for this
 * slot and it would change something: a validator not yet slashed for the
 * slot, not yet jailed or with something left to slash (doc/protocol.md,
 * EVIDENCE). */
static bool state_takes(struct node *n, const struct block_header *h, const char **why)
{
    struct view *v = chain_view(n->chain);
    if (!v) {
        *why = "out of memory";
        return false;
    }
    bool ok = staking_evidence_worth(v, chain_params(n->chain), h->proposer, h->slot, why);
    view_free(v);
    return ok;
}

static void on_double_proposal(void *arg, const struct block_header *first,
                               const struct block_header *second)
{
    struct reporter *r = arg;
    struct node *n = r->n;
    struct evidence e = {*first, *second};
    struct validation val;
    struct wbuf w;
    uint8_t txid[HASH_SIZE], pair[PUBKEY_SIZE + 8];
    char err[256], hex[2 * HASH_SIZE + 1];
    const char *why = "";
    struct wallet *own;
    unsigned long long slot = (unsigned long long)first->slot;

    /* Only a double proposal by a validator is evidence anyone can use:
     * anything else is somebody's throwaway key, and costs nothing more than
     * this check (no transaction, no wallet write, no log line). */
    val_init(&val);
    if (!state_takes(n, first, &why) ||
        !evidence_valid(&e, chain_params(n->chain)->genesis_hash, &val)) {
        LOG_DEBUG(LOG_VALIDATION, "Double proposal at slot %llu not reported: %s", slot,
                  val.code != REJECT_NONE ? val.reason : why);
        return;
    }
    memcpy(pair, first->proposer, PUBKEY_SIZE);
    write_le64(pair + PUBKEY_SIZE, first->slot);
    if (hmap_get(&r->reported, pair, sizeof(pair)))
        return; /* reported once already */
    uintptr_t count = (uintptr_t)hmap_get(&r->per_key, first->proposer, PUBKEY_SIZE);
    if (count >= EVIDENCE_MAX_REPORTS_PER_KEY) {
        LOG_DEBUG(LOG_VALIDATION, "Double proposal at slot %llu not reported: %d slots of this "
                  "validator reported already", slot, EVIDENCE_MAX_REPORTS_PER_KEY);
        return;
    }
    if (hmap_count(&r->reported) >= EVIDENCE_MAX_TRACKED) {
        if (!r->full_logged)
            log_printf("Double proposals: %d reported since the start; no more are reported "
                       "until a restart", EVIDENCE_MAX_TRACKED);
        r->full_logged = true;
        return;
    }
    if (!hmap_put(&r->reported, pair, sizeof(pair), (void *)1, NULL) ||
        !hmap_put(&r->per_key, first->proposer, PUBKEY_SIZE, (void *)(count + 1), NULL))
        return;

    if (n->wallets && wallets_find_key(n->wallets, first->proposer, &own)) {
        log_printf("Double proposal at slot %llu by our own validator key: not reporting it "
                   "(other nodes will)", slot);
        return;
    }
    if (!n->wallets || !n->mempool) {
        log_printf("Double proposal seen at slot %llu; no wallet to report it from", slot);
        return;
    }
    wbuf_init(&w);
    evidence_encode(&e, &w);
    if (staker_submit(n->wallets, n->chain, n->mempool, TX_EVIDENCE, &w, txid, err, sizeof(err))) {
        hash_to_hex(txid, hex);
        log_printf("Reported a double proposal at slot %llu: evidence transaction %s", slot, hex);
    } else {
        log_printf("Could not report a double proposal at slot %llu: %s", slot, err);
    }
    wbuf_free(&w);
}

void evidence_watch(struct node *n)
{
    struct reporter *r = calloc(1, sizeof(*r));
    if (!r) {
        log_printf("Out of memory: double proposals will not be reported");
        return;
    }
    r->n = n;
    hmap_init(&r->reported);
    hmap_init(&r->per_key);
    r->next = reporters;
    reporters = r;
    struct chain_listener l = {.double_proposal = on_double_proposal, .arg = r};
    chain_add_listener(n->chain, &l);
}

void evidence_unwatch(struct node *n)
{
    for (struct reporter **pp = &reporters; *pp; pp = &(*pp)->next) {
        struct reporter *r = *pp;
        if (r->n != n)
            continue;
        if (n->chain)
            chain_remove_listener(n->chain, r);
        *pp = r->next;
        hmap_free(&r->reported, NULL);
        hmap_free(&r->per_key, NULL);
        free(r);
        return;
    }
}
