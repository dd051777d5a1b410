/* A regtest chain for fuzz targets that need a node's state: a temporary
 * data directory (in /dev/shm when it can), blocks produced by the
 * well-known validators through the block builder, and signed transactions
 * into the mempool.  Every step is checked with FUZZ_CHECK.
 */
#ifndef FML_TESTS_FUZZ_CHAIN_FIXTURE_H
#define FML_TESTS_FUZZ_CHAIN_FIXTURE_H

#include "tests/fuzz/fuzz.h"
#include "tests/regtest_signer.h"

#include "consensus/accounts.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Makes a fresh directory named after the target in out. */
static inline void fixture_tmpdir(char *out, size_t len, const char *name)
{
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(out, len, "%s/fml-fuzz-%s-XXXXXX", tmp, name);
    FUZZ_CHECK(mkdtemp(out) != NULL);
}

static inline int fixture_remove_entry(const char *path, const struct stat *st, int flag,
                                       struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes a directory made by fixture_tmpdir and everything in it. */
static inline void fixture_remove_dir(const char *dir)
{
    nftw(dir, fixture_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens a chain on the regtest parameters (regtest_keys_init first). */
static inline struct chain *fixture_chain_open(const char *dir)
{
    char err[256] = "";
    struct chain *c = chain_open(&params, dir, false, err, sizeof(err));
    if (!c)
        fprintf(stderr, "chain_open: %s\n", err);
    FUZZ_CHECK(c != NULL);
    return c;
}

/* The leader of the next slot builds a block from the mempool; it must connect. */
static inline void fixture_produce(struct chain *c, struct mempool *mp)
{
    uint8_t leader[PUBKEY_SIZE];
    struct block b;
    struct validation v;
    uint64_t slot = chain_tip(c)->hdr.slot + 1;
    struct view *view = chain_view(c);
    FUZZ_CHECK(view && staking_leader_for(view, &params, chain_tip(c)->hdr.slot, slot, leader));
    view_free(view);
    val_init(&v);
    FUZZ_CHECK(builder_build(c, mp, leader, slot, &regtest_signer, &b, &v));
    FUZZ_CHECK(chain_process_block(c, &b, &v));
    block_free(&b);
}

/* Validator `from` signs a transaction with its next nonce and fee; it must
 * enter the mempool.  Its txid goes to txid when given. */
static inline void fixture_submit(struct mempool *mp, int from, uint8_t type, uint64_t fee,
                                  const struct wbuf *payload, uint8_t txid[HASH_SIZE])
{
    struct tx tx;
    struct validation v;
    tx_init(&tx);
    tx.type = type;
    memcpy(tx.sender, pubs[from], PUBKEY_SIZE);
    tx.nonce = mempool_next_nonce(mp, pubs[from]);
    tx.fee = fee;
    FUZZ_CHECK(tx_set_payload(&tx, payload->data, payload->len));
    FUZZ_CHECK(tx_sign(&tx, params.genesis_hash, secrets[from], NULL));
    val_init(&v);
    if (!mempool_add(mp, &tx, params.genesis_time, &v))
        fprintf(stderr, "mempool_add: %s %s\n", v.reason, v.detail);
    FUZZ_CHECK(v.cls == VAL_OK);
    if (txid)
        tx_txid(&tx, txid);
    tx_free(&tx);
}

/* A TRANSFER of amount base units between two validators' accounts. */
static inline void fixture_transfer(struct mempool *mp, int from, int to, uint64_t amount,
                                    uint64_t fee, uint8_t txid[HASH_SIZE])
{
    struct transfer t;
    struct wbuf w;
    memcpy(t.to, pubs[to], PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    fixture_submit(mp, from, TX_TRANSFER, fee, &w, txid);
    wbuf_free(&w);
}

#endif
