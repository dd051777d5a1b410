/* The regtest chain of tests/chain_fixture.h for Check unit tests: every
 * step asserted, the data directory in `datadir`, and the conservation laws
 * of the supply checked after every block produced.  Static inline: each
 * test program takes what it uses.
 */
#ifndef FML_TESTS_UNIT_CHAIN_FIXTURE_H
#define FML_TESTS_UNIT_CHAIN_FIXTURE_H

#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "state/audit.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/chain_fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char datadir[256];

static inline void fixture_setup(void)
{
    ck_assert(regtest_keys_init());
    ck_assert(fixture_tmpdir(datadir, sizeof(datadir), "test-chain"));
}

static inline void fixture_teardown(void)
{
    ck_assert(fixture_remove_dir(datadir));
    params_free(&params);
}

static inline struct chain *open_chain(void)
{
    char err[256] = "";
    struct chain *c = fixture_chain_open(datadir, err, sizeof(err));
    ck_assert_msg(c != NULL, "chain_open: %s", err);
    return c;
}

/* The validator leading slot on top of the tip. */
static inline int leader_at(struct chain *c, uint64_t slot)
{
    uint8_t leader[PUBKEY_SIZE];
    ck_assert(fixture_leader(c, slot, leader));
    return validator_index(leader);
}

/* Builds (without submitting) a block at slot by whoever leads it. */
static inline bool try_build_at(struct chain *c, struct mempool *mp, uint64_t slot, struct block *out,
                                struct validation *v)
{
    return fixture_build_at(c, mp, slot, out, v);
}

static inline void build_next(struct chain *c, struct mempool *mp, struct block *out)
{
    struct validation v;
    ck_assert_msg(try_build_at(c, mp, chain_tip(c)->hdr.slot + 1, out, &v), "build: %s", v.reason);
}

/* The conservation laws of the supply (state/audit.h), checked after every
 * block the fixture produces: every unit minted is held somewhere or burned. */
static inline void check_supply(struct chain *c)
{
    struct supply_audit a;
    ck_assert(supply_audit(c, &a));
    ck_assert_msg(a.supply_ok, "height %llu: supply %llu != held", (unsigned long long)chain_height(c),
                  (unsigned long long)a.supply);
    ck_assert_msg(a.issued_ok, "height %llu: genesis %llu + minted %llu != supply %llu + burned %llu",
                  (unsigned long long)chain_height(c), (unsigned long long)a.genesis,
                  (unsigned long long)a.minted, (unsigned long long)a.supply,
                  (unsigned long long)a.burned);
    ck_assert_msg(a.rewards_ok, "height %llu: minted + fees != paid + pools + banks",
                  (unsigned long long)chain_height(c));
}

static inline void produce_at(struct chain *c, struct mempool *mp, uint64_t slot)
{
    struct validation v;
    ck_assert_msg(fixture_produce_at(c, mp, slot, &v), "produce: %s %s", v.reason, v.detail);
    check_supply(c);
}

static inline void produce(struct chain *c, struct mempool *mp)
{
    produce_at(c, mp, chain_tip(c)->hdr.slot + 1);
}

/* Produces blocks until validator `who` has proposed one (other leaders'
 * slots are skipped rather than filled); returns the slot used. */
static inline uint64_t produce_by(struct chain *c, struct mempool *mp, int who)
{
    uint64_t slot = chain_tip(c)->hdr.slot + 1;
    while (leader_at(c, slot) != who)
        slot++;
    produce_at(c, mp, slot);
    return slot;
}

/* Invalidates the tip block by block down to height base: after each, the
 * state root is roots[the new height] and the supply laws hold. */
static inline void invalidate_to(struct chain *c, uint64_t base, uint8_t (*roots)[32])
{
    uint8_t root[32];
    for (uint64_t h = chain_height(c); h > base; h--) {
        struct validation v;
        uint8_t hash[32];
        memcpy(hash, chain_tip(c)->hash, 32);
        ck_assert(chain_invalidate(c, hash, &v));
        ck_assert_uint_eq(chain_height(c), h - 1);
        chain_state_root(c, root);
        ck_assert_msg(memcmp(root, roots[h - 1], 32) == 0, "state root differs at height %llu",
                      (unsigned long long)(h - 1));
        check_supply(c);
    }
}

/* A signed transaction of any type from a secret key. */
static inline void make_tx_sec(struct tx *tx, const uint8_t sec[SECKEY_SIZE], uint8_t type,
                               const struct wbuf *payload, uint64_t nonce, uint64_t fee)
{
    ck_assert(fixture_make_tx(tx, sec, type, payload, nonce, fee));
}

static inline void make_transfer(struct tx *tx, int from, const uint8_t to[PUBKEY_SIZE],
                                 uint64_t amount, uint64_t nonce, uint64_t fee)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_transfer_payload(&w, to, amount);
    make_tx_sec(tx, secrets[from], TX_TRANSFER, &w, nonce, fee);
    wbuf_free(&w);
}

/* A key of a test's own: an account once funded. */
struct party {
    uint8_t sec[32];
    uint8_t pub[32];
};

/* Offers tx to the mempool: accepted when expect is NULL, else refused
 * with the reason expect. */
static inline void submit_to(struct mempool *mp, const struct tx *tx, const char *expect)
{
    struct validation v;
    bool ok = mempool_add(mp, tx, 0, &v);
    if (!expect)
        ck_assert_msg(ok, "rejected: %s %s", v.reason, v.detail);
    else {
        ck_assert_msg(!ok, "accepted, expected %s", expect);
        ck_assert_str_eq(v.reason, expect);
    }
}

/* Signs the payload w as a transaction of type from p at its next nonce
 * and offers it (submit_to); its txid in txid_out when not NULL.  Resets w. */
static inline void send_from(struct mempool *mp, const struct party *p, uint8_t type, struct wbuf *w,
                             uint64_t fee, const char *expect, uint8_t txid_out[32])
{
    struct tx tx;
    make_tx_sec(&tx, p->sec, type, w, mempool_next_nonce(mp, p->pub), fee);
    if (txid_out)
        tx_txid(&tx, txid_out);
    submit_to(mp, &tx, expect);
    tx_free(&tx);
    wbuf_reset(w);
}

/* A new random key, funded by validator 3 with a transfer in the mempool. */
static inline void new_party_from(struct mempool *mp, struct party *p, uint64_t funds, uint64_t fee)
{
    struct tx tx;
    randombytes_buf(p->sec, 32);
    ck_assert(key_pubkey(p->pub, p->sec));
    make_transfer(&tx, 3, p->pub, funds, mempool_next_nonce(mp, pubs[3]), fee);
    submit_to(mp, &tx, NULL);
    tx_free(&tx);
}

static inline uint64_t balance_of(struct chain *c, const uint8_t pub[PUBKEY_SIZE])
{
    struct account a;
    ck_assert(chain_get_account(c, pub, &a));
    return a.balance;
}

static inline uint64_t nonce_of(struct chain *c, const uint8_t pub[PUBKEY_SIZE])
{
    struct account a;
    ck_assert(chain_get_account(c, pub, &a));
    return a.nonce;
}

static inline struct validator validator_of(struct chain *c, const uint8_t pub[PUBKEY_SIZE])
{
    struct validator val;
    struct view *view = chain_view(c);
    ck_assert(staking_get_validator(view, pub, &val));
    view_free(view);
    return val;
}

#endif
