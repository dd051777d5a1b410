/* A regtest chain on a temporary data directory for state-level tests: the
 * four well-known validator keys, a block signer that knows them, and
 * helpers to build and sign transactions and to produce blocks in the slots
 * each validator leads.  Static inline: each test program takes what it uses.
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
#include "tests/regtest_signer.h"

#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char datadir[256];

static inline void fixture_setup(void)
{
    ck_assert(regtest_keys_init());
    snprintf(datadir, sizeof(datadir), "/tmp/fml-test-chain-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(datadir));
}

static inline void fixture_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", datadir);
    ck_assert_int_eq(system(cmd), 0);
    params_free(&params);
}

static inline struct chain *open_chain(void)
{
    char err[256] = "";
    struct chain *c = chain_open(&params, datadir, false, err, sizeof(err));
    ck_assert_msg(c != NULL, "chain_open: %s", err);
    return c;
}

/* The validator leading slot on top of the tip. */
static inline int leader_at(struct chain *c, uint64_t slot)
{
    uint8_t leader[PUBKEY_SIZE];
    struct view *view = chain_view(c);
    ck_assert(staking_leader_for(view, &params, chain_tip(c)->hdr.slot, slot, leader));
    view_free(view);
    return validator_index(leader);
}

/* Builds (without submitting) a block at slot by whoever leads it. */
static inline bool try_build_at(struct chain *c, struct mempool *mp, uint64_t slot, struct block *out,
                                struct validation *v)
{
    uint8_t leader[PUBKEY_SIZE];
    struct view *view = chain_view(c);
    ck_assert(staking_leader_for(view, &params, chain_tip(c)->hdr.slot, slot, leader));
    view_free(view);
    return builder_build(c, mp, leader, slot, &regtest_signer, out, v);
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
    struct block b;
    struct validation v;
    ck_assert_msg(try_build_at(c, mp, slot, &b, &v), "build: %s %s", v.reason, v.detail);
    ck_assert_msg(chain_process_block(c, &b, &v), "process: %s %s", v.reason, v.detail);
    block_free(&b);
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

/* A signed transaction of any type from a secret key. */
static inline void make_tx_sec(struct tx *tx, const uint8_t sec[SECKEY_SIZE], uint8_t type,
                               const struct wbuf *payload, uint64_t nonce, uint64_t fee)
{
    tx_init(tx);
    tx->type = type;
    ck_assert(key_pubkey(tx->sender, sec));
    tx->nonce = nonce;
    tx->fee = fee;
    ck_assert(tx_set_payload(tx, payload->data, payload->len));
    ck_assert(tx_sign(tx, params.genesis_hash, sec, NULL));
}

static inline void make_transfer(struct tx *tx, int from, const uint8_t to[PUBKEY_SIZE],
                                 uint64_t amount, uint64_t nonce, uint64_t fee)
{
    struct transfer t;
    struct wbuf w;
    memcpy(t.to, to, PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    make_tx_sec(tx, secrets[from], TX_TRANSFER, &w, nonce, fee);
    wbuf_free(&w);
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
