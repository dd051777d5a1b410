/* A regtest chain on a temporary data directory, for the unit tests, the
 * fuzz targets and the benchmarks that need a node's state: the four
 * well-known validators (tests/regtest_signer.h) produce blocks through the
 * block builder, and sign transactions into the mempool.
 *
 * No test framework here: each step returns whether it worked (and says why
 * on stderr or in a struct validation), and the caller asserts it in its own
 * way (tests/unit/chain_fixture.h with Check, fuzz targets with FUZZ_CHECK).
 * Static inline: each program takes what it uses.
 */
#ifndef FML_TESTS_CHAIN_FIXTURE_H
#define FML_TESTS_CHAIN_FIXTURE_H

#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/fl.h"
#include "consensus/params.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "consensus/validation.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The FL task most tests create: a logistic model of 3 weights and a bias,
 * 3 to 8 participants staking 10 FML, 4 rounds, 3 proposer slots, windows of
 * 2 blocks after a 3-block join window, FedAvg, 20% slashing, a quarter for
 * voters. */
static inline struct fl_task_params fixture_fl_task(uint64_t budget)
{
    struct fl_task_params t = {
        .spec = {.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {3, 1}},
        .rounds = 4,
        .min_participants = 3,
        .max_participants = 8,
        .min_stake = 10 * COIN,
        .proposer_slots = 3,
        .join_blocks = 3,
        .submit_blocks = 2,
        .update_reveal_blocks = 2,
        .commit_blocks = 2,
        .reveal_blocks = 2,
        .aggregator = FL_AGG_FEDAVG,
        .slash_bps = 2000,
        .voter_reward_bps = 2500,
        .budget = budget,
    };
    return t;
}

/* The cheapest FL task the rules allow: 2 participants (one proposer slot),
 * stakes and budget of one unit, windows of one block, starting at the end of block created +
 * join_blocks; the tests of per-height bounds create it by the thousand. */
static inline struct fl_task_params fixture_fl_small_task(uint32_t join_blocks, uint32_t rounds)
{
    struct fl_task_params t = {
        .spec = {.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {1, 1}},
        .rounds = rounds,
        .min_participants = 2,
        .max_participants = 2,
        .min_stake = 1,
        .proposer_slots = 1,
        .join_blocks = join_blocks,
        .submit_blocks = 1,
        .update_reveal_blocks = 1,
        .commit_blocks = 1,
        .reveal_blocks = 1,
        .aggregator = FL_AGG_FEDAVG,
        .slash_bps = 5000,
        .voter_reward_bps = 5000,
        .budget = 1,
    };
    return t;
}

/* Makes a fresh directory fml-<name>-XXXXXX (in /dev/shm when it can) in
 * out; false when it cannot. */
static inline bool fixture_tmpdir(char *out, size_t len, const char *name)
{
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(out, len, "%s/fml-%s-XXXXXX", tmp, name);
    return mkdtemp(out) != NULL;
}

static inline int fixture_remove_entry(const char *path, const struct stat *st, int flag,
                                       struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes a directory made by fixture_tmpdir and everything in it. */
static inline bool fixture_remove_dir(const char *dir)
{
    return nftw(dir, fixture_remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

/* Opens a chain on the regtest parameters (regtest_keys_init first); NULL
 * with the reason in err when it cannot. */
static inline struct chain *fixture_chain_open(const char *dir, char *err, size_t errlen)
{
    return chain_open(&params, dir, false, err, errlen);
}

/* The validator leading slot on top of the tip. */
static inline bool fixture_leader(struct chain *c, uint64_t slot, uint8_t leader[PUBKEY_SIZE])
{
    struct view *view = chain_view(c);
    bool found = view && staking_leader_for(view, &params, chain_tip(c)->hdr.slot, slot, leader);
    view_free(view);
    return found;
}

/* Builds (without submitting) a block at slot by whoever leads it; false
 * with the builder's reason in v (none when the leader is unknown). */
static inline bool fixture_build_at(struct chain *c, struct mempool *mp, uint64_t slot,
                                    struct block *out, struct validation *v)
{
    uint8_t leader[PUBKEY_SIZE];
    val_init(v);
    if (!fixture_leader(c, slot, leader))
        return false;
    return builder_build(c, mp, leader, slot, &regtest_signer, out, v);
}

/* The leader of slot builds a block from the mempool and the chain
 * connects it; false with the reason in v. */
static inline bool fixture_produce_at(struct chain *c, struct mempool *mp, uint64_t slot,
                                      struct validation *v)
{
    struct block b;
    if (!fixture_build_at(c, mp, slot, &b, v))
        return false;
    bool connected = chain_process_block(c, &b, v);
    block_free(&b);
    return connected;
}

/* The leader of the next slot produces a block (as fixture_produce_at);
 * false with the reason on stderr. */
static inline bool fixture_produce(struct chain *c, struct mempool *mp)
{
    struct validation v;
    if (fixture_produce_at(c, mp, chain_tip(c)->hdr.slot + 1, &v))
        return true;
    fprintf(stderr, "produce: %s %s\n", v.reason, v.detail);
    return false;
}

/* A signed transaction of any type from a secret key (tx_init'ed here; the
 * caller frees it, also on failure). */
static inline bool fixture_make_tx(struct tx *tx, const uint8_t sec[SECKEY_SIZE], uint8_t type,
                                   const struct wbuf *payload, uint64_t nonce, uint64_t fee)
{
    tx_init(tx);
    tx->type = type;
    tx->nonce = nonce;
    tx->fee = fee;
    return key_pubkey(tx->sender, sec) && tx_set_payload(tx, payload->data, payload->len) &&
           tx_sign(tx, params.genesis_hash, sec, NULL);
}

/* The payload of a TRANSFER of amount base units to `to`. */
static inline void fixture_transfer_payload(struct wbuf *w, const uint8_t to[PUBKEY_SIZE],
                                            uint64_t amount)
{
    struct transfer t;
    memcpy(t.to, to, PUBKEY_SIZE);
    t.amount = amount;
    transfer_encode(&t, w);
}

/* Validator `from` signs a transaction with its next nonce and fee into the
 * mempool; its txid goes to txid when given.  False (the reason on stderr)
 * when the mempool refuses it. */
static inline bool fixture_submit(struct mempool *mp, int from, uint8_t type, uint64_t fee,
                                  const struct wbuf *payload, uint8_t txid[HASH_SIZE])
{
    struct tx tx;
    struct validation v;
    val_init(&v);
    bool ok = fixture_make_tx(&tx, secrets[from], type, payload,
                              mempool_next_nonce(mp, pubs[from]), fee);
    if (ok && !mempool_add(mp, &tx, params.genesis_time, &v))
        fprintf(stderr, "mempool_add: %s %s\n", v.reason, v.detail);
    ok = ok && v.cls == VAL_OK;
    if (ok && txid)
        tx_txid(&tx, txid);
    tx_free(&tx);
    return ok;
}

/* A TRANSFER of amount base units between two validators' accounts, into
 * the mempool (as fixture_submit). */
static inline bool fixture_transfer(struct mempool *mp, int from, int to, uint64_t amount,
                                    uint64_t fee, uint8_t txid[HASH_SIZE])
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_transfer_payload(&w, pubs[to], amount);
    bool ok = !w.failed && fixture_submit(mp, from, TX_TRANSFER, fee, &w, txid);
    wbuf_free(&w);
    return ok;
}

#endif
