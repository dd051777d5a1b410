/* Double-proposal reporting (see evidence.h). */
#include "node/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/finality.h"
#include "consensus/serialize.h"
#include "state/finality.h"
#include "state/mempool.h"

#include <event2/event.h>
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
struct seen_votes {
    size_t n;
    struct tx votes[EVIDENCE_VOTES_PER_KEY];
};

struct vote_pair {
    struct tx a, b;
};

struct reporter {
    struct node *n;
    struct hmap reported; /* proposer | slot (u64 LE) -> (void *)1 */
    struct hmap per_key;  /* proposer -> count (uintptr_t) */
    bool full_logged;
    struct hmap votes;          /* voter -> struct seen_votes * */
    struct hmap votes_reported; /* voter | lo | hi target epochs -> (void *)1 */
    struct hmap vote_reports;   /* voter -> pairs reported (uintptr_t) */
    struct vote_pair *pending;  /* conflicting pairs to report */
    size_t npending;
    bool flush_scheduled;
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

/* ---- double and surround votes ---- */

static void report_vote_pair(struct reporter *r, const struct tx *a, const struct tx *b)
{
    struct node *n = r->n;
    struct finality_vote x, y;
    struct wbuf w;
    struct wallet *own;
    uint8_t txid[HASH_SIZE];
    char err[256], hex[2 * HASH_SIZE + 1];
    const char *why = "";
    if (!finality_vote_decode(&x, a->payload, a->payload_len) ||
        !finality_vote_decode(&y, b->payload, b->payload_len))
        return;
    struct view *v = chain_view(n->chain);
    bool worth = v && finality_evidence_worth(v, chain_params(n->chain), a->sender, x.target.epoch,
                                              y.target.epoch, &why);
    view_free(v);
    if (!worth) {
        LOG_DEBUG(LOG_VALIDATION, "Conflicting finality votes not reported: %s", why);
        return;
    }
    if (n->wallets && wallets_find_key(n->wallets, a->sender, &own)) {
        log_printf("Conflicting finality votes by our own validator key: not reporting them");
        return;
    }
    if (!n->wallets || !n->mempool) {
        log_printf("Conflicting finality votes seen; no wallet to report them from");
        return;
    }
    wbuf_init(&w);
    finality_evidence_encode(a, b, &w);
    if (staker_submit(n->wallets, n->chain, n->mempool, TX_FINALITY_EVIDENCE, &w, txid, err,
                      sizeof(err))) {
        hash_to_hex(txid, hex);
        log_printf("Reported conflicting finality votes (target epochs %llu and %llu): evidence "
                   "transaction %s",
                   (unsigned long long)x.target.epoch, (unsigned long long)y.target.epoch, hex);
    } else {
        log_printf("Could not report conflicting finality votes: %s", err);
    }
    wbuf_free(&w);
}

static void flush_votes(struct reporter *r)
{
    struct vote_pair *p = r->pending;
    size_t np = r->npending;
    r->pending = NULL;
    r->npending = 0;
    r->flush_scheduled = false;
    for (size_t i = 0; i < np; i++) {
        report_vote_pair(r, &p[i].a, &p[i].b);
        tx_free(&p[i].a);
        tx_free(&p[i].b);
    }
    free(p);
}

static void on_flush_event(evutil_socket_t fd, short what, void *arg)
{
    struct reporter *r = arg;
    (void)fd;
    (void)what;
    pthread_mutex_lock(&r->n->lock);
    flush_votes(r);
    pthread_mutex_unlock(&r->n->lock);
}

static void queue_pair(struct reporter *r, const struct tx *a, const struct tx *b)
{
    struct vote_pair *t = realloc(r->pending, (r->npending + 1) * sizeof(*t));
    if (!t)
        return;
    r->pending = t;
    if (!tx_copy(&t[r->npending].a, a))
        return;
    if (!tx_copy(&t[r->npending].b, b)) {
        tx_free(&t[r->npending].a);
        return;
    }
    r->npending++;
    if (!r->flush_scheduled && r->n->base) {
        struct timeval now = {0, 0};
        r->flush_scheduled = event_base_once(r->n->base, -1, EV_TIMEOUT, on_flush_event, r, &now) == 0;
    }
}

static void seen_votes_free(void *p)
{
    struct seen_votes *s = p;
    for (size_t i = 0; i < s->n; i++)
        tx_free(&s->votes[i]);
    free(s);
}

static void on_vote(void *arg, const struct tx *tx)
{
    struct reporter *r = arg;
    struct finality_vote fv, other;
    if (tx->type != TX_FINALITY_VOTE || !finality_vote_decode(&fv, tx->payload, tx->payload_len))
        return;
    struct seen_votes *s = hmap_get(&r->votes, tx->sender, PUBKEY_SIZE);
    if (!s) {
        /* Only validators' votes are kept: any key can sign votes that pass
         * the stateless checks, and must not take the places of theirs. */
        struct validator val;
        struct view *view = chain_view(r->n->chain);
        bool is_validator = view && staking_get_validator(view, tx->sender, &val);
        view_free(view);
        if (!is_validator || hmap_count(&r->votes) >= EVIDENCE_MAX_TRACKED ||
            !(s = calloc(1, sizeof(*s))))
            return;
        if (!hmap_put(&r->votes, tx->sender, PUBKEY_SIZE, s, NULL)) {
            free(s);
            return;
        }
    }
    size_t lowest = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!finality_vote_decode(&other, s->votes[i].payload, s->votes[i].payload_len))
            continue;
        if (memcmp(&other, &fv, sizeof(fv)) == 0)
            return; /* known */
        if (finality_votes_conflict(&fv, &other)) {
            uint8_t key[PUBKEY_SIZE + 16];
            uint64_t lo = fv.target.epoch < other.target.epoch ? fv.target.epoch : other.target.epoch;
            uint64_t hi = fv.target.epoch < other.target.epoch ? other.target.epoch : fv.target.epoch;
            memcpy(key, tx->sender, PUBKEY_SIZE);
            write_be64(key + PUBKEY_SIZE, lo);
            write_be64(key + PUBKEY_SIZE + 8, hi);
            uintptr_t count = (uintptr_t)hmap_get(&r->vote_reports, tx->sender, PUBKEY_SIZE);
            if (!hmap_get(&r->votes_reported, key, sizeof(key)) &&
                count < EVIDENCE_MAX_REPORTS_PER_KEY &&
                hmap_count(&r->votes_reported) < EVIDENCE_MAX_TRACKED &&
                hmap_put(&r->votes_reported, key, sizeof(key), (void *)1, NULL) &&
                hmap_put(&r->vote_reports, tx->sender, PUBKEY_SIZE, (void *)(count + 1), NULL))
                queue_pair(r, &s->votes[i], tx);
        }
        struct finality_vote low;
        if (finality_vote_decode(&low, s->votes[lowest].payload, s->votes[lowest].payload_len) &&
            other.target.epoch < low.target.epoch)
            lowest = i;
    }
    /* Keep the highest target epochs: a full record drops its lowest. */
    if (s->n < EVIDENCE_VOTES_PER_KEY) {
        if (tx_copy(&s->votes[s->n], tx))
            s->n++;
    } else {
        struct finality_vote low;
        if (finality_vote_decode(&low, s->votes[lowest].payload, s->votes[lowest].payload_len) &&
            low.target.epoch <= fv.target.epoch) {
            struct tx copy;
            if (tx_copy(&copy, tx)) {
                tx_free(&s->votes[lowest]);
                s->votes[lowest] = copy;
            }
        }
    }
}

static void on_connected(void *arg, const struct block *b, const struct block_index *bi)
{
    (void)bi;
    for (size_t i = 0; i < b->ntx; i++)
        if (b->txs[i].type == TX_FINALITY_VOTE)
            on_vote(arg, &b->txs[i]);
}

static void on_tip_changed(void *arg, const struct block_index *tip)
{
    struct reporter *r = arg;
    (void)tip;
    /* Without an event loop (tests that run the chain alone), here. */
    if (r->npending && !r->flush_scheduled)
        flush_votes(r);
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
    hmap_init(&r->votes);
    hmap_init(&r->votes_reported);
    hmap_init(&r->vote_reports);
    r->next = reporters;
    reporters = r;
    struct chain_listener l = {.double_proposal = on_double_proposal,
                               .connected = on_connected,
                               .tip_changed = on_tip_changed,
                               .arg = r};
    chain_add_listener(n->chain, &l);
    if (n->mempool)
        mempool_set_vote_listener(n->mempool, on_vote, r);
}

void evidence_unwatch(struct node *n)
{
    for (struct reporter **pp = &reporters; *pp; pp = &(*pp)->next) {
        struct reporter *r = *pp;
        if (r->n != n)
            continue;
        if (n->chain)
            chain_remove_listener(n->chain, r);
        if (n->mempool)
            mempool_set_vote_listener(n->mempool, NULL, NULL);
        *pp = r->next;
        hmap_free(&r->reported, NULL);
        hmap_free(&r->per_key, NULL);
        hmap_free(&r->votes, seen_votes_free);
        hmap_free(&r->votes_reported, NULL);
        hmap_free(&r->vote_reports, NULL);
        for (size_t i = 0; i < r->npending; i++) {
            tx_free(&r->pending[i].a);
            tx_free(&r->pending[i].b);
        }
        free(r->pending);
        free(r);
        return;
    }
}
