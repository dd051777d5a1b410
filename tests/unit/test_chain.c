/* The chain manager, state transition, mempool and block builder working
 * together on a temporary data directory: produce blocks with the regtest
 * validator keys, move FML, restart, invalidate and reorganize, and check that
 * state roots and balances come out exactly as they must. */
#include "chain_fixture.h"
#include "consensus/emission.h"
#include "state/accounts.h"
#include "state/addrindex.h"
#include "state/db.h"

#include <unistd.h>

static void setup(void)
{
    fixture_setup();
}

static void teardown(void)
{
    fixture_teardown();
}

START_TEST(genesis_opens_and_reopens)
{
    uint8_t root[HASH_SIZE];
    struct chain *c = open_chain();
    ck_assert_uint_eq(chain_height(c), 0);
    ck_assert_mem_eq(chain_tip(c)->hash, params.genesis_hash, HASH_SIZE);
    chain_state_root(c, root);
    ck_assert_mem_eq(root, chain_tip(c)->hdr.state_root, HASH_SIZE);
    struct account a;
    ck_assert(chain_get_account(c, pubs[0], &a));
    ck_assert_uint_eq(a.balance, 1000000 * COIN);
    chain_close(c);
    c = open_chain();
    ck_assert_uint_eq(chain_height(c), 0);
    chain_close(c);
}
END_TEST

START_TEST(blocks_mint_and_transfer_moves_funds)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct validation v;
    struct tx tx;
    uint8_t dest_sec[32], dest[32];
    struct account before[REGTEST_VALIDATORS], a;

    for (int i = 0; i < REGTEST_VALIDATORS; i++)
        ck_assert(chain_get_account(c, pubs[i], &before[i]));
    for (int i = 0; i < 10; i++)
        produce(c, mp);
    ck_assert_uint_eq(chain_height(c), 10);

    /* Ten blocks minted 10 x 50 FML, 70% to proposers (no fees). */
    uint64_t gained = 0;
    for (int i = 0; i < REGTEST_VALIDATORS; i++) {
        ck_assert(chain_get_account(c, pubs[i], &a));
        gained += a.balance - before[i].balance;
    }
    struct emission_split split;
    emission_split(&params, 50 * COIN, &split);
    ck_assert_uint_eq(gained, 10 * split.proposer);

    randombytes_buf(dest_sec, sizeof(dest_sec));
    ck_assert(key_pubkey(dest, dest_sec));
    make_transfer(&tx, 1, dest, 12 * COIN, 0, 2000);
    ck_assert_msg(mempool_add(mp, &tx, 0, &v), "%s", v.reason);
    ck_assert_uint_eq(mempool_count(mp), 1);
    ck_assert_uint_eq(mempool_next_nonce(mp, pubs[1]), 1);

    /* Same nonce again without a higher fee: refused. */
    struct tx dup;
    make_transfer(&dup, 1, dest, 11 * COIN, 0, 2000);
    ck_assert(!mempool_add(mp, &dup, 0, &v));
    ck_assert_str_eq(v.reason, "insufficient-fee");
    tx_free(&dup);
    /* A gap in nonces: refused. */
    make_transfer(&dup, 1, dest, 1 * COIN, 5, 2000);
    ck_assert(!mempool_add(mp, &dup, 0, &v));
    ck_assert_str_eq(v.reason, "bad-txns-nonce-too-high");
    tx_free(&dup);

    ck_assert(chain_get_account(c, pubs[1], &before[1]));
    produce(c, mp);
    ck_assert_uint_eq(mempool_count(mp), 0);
    ck_assert(chain_get_account(c, dest, &a));
    ck_assert_uint_eq(a.balance, 12 * COIN);
    ck_assert(chain_get_account(c, pubs[1], &a));
    ck_assert_uint_eq(a.nonce, 1);

    /* The transaction is found in the chain. */
    uint8_t txid[32];
    struct tx found;
    tx_txid(&tx, txid);
    ck_assert(chain_find_tx(c, txid, &found, NULL, NULL));
    ck_assert_uint_eq(found.nonce, 0);
    tx_free(&found);

    /* Replaying it now fails on its nonce. */
    ck_assert(!mempool_add(mp, &tx, 0, &v));
    ck_assert_str_eq(v.reason, "bad-txns-nonce-too-low");
    tx_free(&tx);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

START_TEST(restart_keeps_tip_and_state)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    uint8_t root1[32], root2[32], tip1[32];
    for (int i = 0; i < 12; i++)
        produce(c, mp);
    chain_state_root(c, root1);
    memcpy(tip1, chain_tip(c)->hash, 32);
    mempool_free(mp);
    chain_close(c);

    c = open_chain();
    ck_assert_uint_eq(chain_height(c), 12);
    ck_assert_mem_eq(chain_tip(c)->hash, tip1, 32);
    chain_state_root(c, root2);
    ck_assert_mem_eq(root1, root2, 32);
    chain_close(c);

    /* -reindex rebuilds the same state from the block files alone. */
    char err[256];
    c = chain_open(&params, datadir, true, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(chain_height(c), 12);
    chain_state_root(c, root2);
    ck_assert_mem_eq(root1, root2, 32);
    chain_close(c);
}
END_TEST

/* A chainstate of another record layout (here the first layout, which had
 * no "S" record in the block index) is never read: the node asks for
 * -reindex, and the reindex rebuilds it in the current layout. */
START_TEST(chainstate_of_another_layout_asks_for_reindex)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    uint8_t root1[32], root2[32];
    for (int i = 0; i < 3; i++)
        produce(c, mp);
    chain_state_root(c, root1);
    mempool_free(mp);
    chain_close(c);

    char path[4200], err[512];
    snprintf(path, sizeof(path), "%s/blocks/index", datadir);
    struct db *index = db_open(path, 1 << 20, false, err, sizeof(err));
    ck_assert_msg(index != NULL, "%s", err);
    struct db_batch *b = db_batch_new();
    db_batch_del(b, "S", 1);
    ck_assert(db_write(index, b, true));
    db_batch_free(b);
    db_close(index);

    c = chain_open(&params, datadir, false, err, sizeof(err));
    ck_assert_msg(c == NULL, "a chainstate without its layout record was opened");
    ck_assert_msg(strstr(err, "layout 1") && strstr(err, "-reindex"), "%s", err);

    c = chain_open(&params, datadir, true, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(chain_height(c), 3);
    chain_state_root(c, root2);
    ck_assert_mem_eq(root1, root2, 32);
    chain_close(c);
    c = open_chain();
    ck_assert_uint_eq(chain_height(c), 3);
    chain_close(c);
}
END_TEST

START_TEST(invalidate_restores_exact_state_and_reconsider_returns)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct validation v;
    uint8_t root[32], h8[32], tip[32];
    for (int i = 0; i < 15; i++)
        produce(c, mp);
    memcpy(tip, chain_tip(c)->hash, 32);
    memcpy(h8, chain_at(c, 8)->hash, 32);
    ck_assert(chain_invalidate(c, chain_at(c, 9)->hash, &v));
    ck_assert_uint_eq(chain_height(c), 8);
    chain_state_root(c, root);
    ck_assert_mem_eq(root, chain_tip(c)->hdr.state_root, 32);
    ck_assert_mem_eq(chain_tip(c)->hash, h8, 32);

    /* A different block on top of 8 (a later slot than the invalidated 9,
     * which would otherwise be rebuilt byte for byte) extends the chain. */
    produce_at(c, mp, chain_tip(c)->hdr.slot + 2);
    ck_assert_uint_eq(chain_height(c), 9);

    ck_assert(chain_reconsider(c, tip, &v));
    ck_assert_uint_eq(chain_height(c), 15);
    ck_assert_mem_eq(chain_tip(c)->hash, tip, 32);
    chain_state_root(c, root);
    ck_assert_mem_eq(root, chain_tip(c)->hdr.state_root, 32);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

START_TEST(longer_branch_wins_and_transactions_return)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *empty = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct validation v;
    char cmd[600];
    struct tx tx;
    uint8_t dest[32], txid[32];
    struct block common[4], branch_a[2], branch_b[3];
    ck_assert(key_pubkey(dest, secrets[3]));

    /* Record a history on one node: 4 common blocks, branch A (2 blocks with
     * a transfer), and branch B (3 blocks without it) from the same parent. */
    for (int i = 0; i < 4; i++) {
        build_next(c, empty, &common[i]);
        ck_assert(chain_process_block(c, &common[i], &v));
    }
    make_transfer(&tx, 2, dest, 3 * COIN, 0, 5000);
    tx_txid(&tx, txid);
    ck_assert(mempool_add(mp, &tx, 0, &v));
    build_next(c, mp, &branch_a[0]);
    ck_assert_uint_eq(branch_a[0].ntx, 1);
    ck_assert(chain_process_block(c, &branch_a[0], &v));
    build_next(c, empty, &branch_a[1]);
    ck_assert(chain_process_block(c, &branch_a[1], &v));
    ck_assert(chain_invalidate(c, chain_at(c, 5)->hash, &v));
    ck_assert_uint_eq(chain_height(c), 4);
    /* Both pools took the transfer back; B is built without it. */
    mempool_free(empty);
    empty = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    for (int i = 0; i < 3; i++) {
        build_next(c, empty, &branch_b[i]);
        ck_assert(chain_process_block(c, &branch_b[i], &v));
    }
    mempool_free(mp);
    mempool_free(empty);
    chain_close(c);

    /* A fresh node sees A first, then B: it must end on B, the longer chain,
     * with B's state root and the transfer back in its mempool. */
    snprintf(cmd, sizeof(cmd), "rm -rf %s/blocks %s/chainstate", datadir, datadir);
    ck_assert_int_eq(system(cmd), 0);
    c = open_chain();
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    for (int i = 0; i < 4; i++)
        ck_assert(chain_process_block(c, &common[i], &v));
    for (int i = 0; i < 2; i++)
        ck_assert(chain_process_block(c, &branch_a[i], &v));
    ck_assert_uint_eq(chain_height(c), 6);
    struct account acct;
    ck_assert(chain_get_account(c, pubs[2], &acct));
    ck_assert_uint_eq(acct.nonce, 1);

    /* B's first two blocks only tie or trail A: no reorganization yet (ties
     * go to the first seen). */
    uint8_t a_tip[32];
    memcpy(a_tip, chain_tip(c)->hash, 32);
    ck_assert(chain_process_block(c, &branch_b[0], &v));
    ck_assert(chain_process_block(c, &branch_b[1], &v));
    ck_assert_mem_eq(chain_tip(c)->hash, a_tip, 32);
    ck_assert(chain_process_block(c, &branch_b[2], &v));
    ck_assert_uint_eq(chain_height(c), 7);
    uint8_t b_tip[32], root[32];
    header_hash(&branch_b[2].hdr, b_tip);
    ck_assert_mem_eq(chain_tip(c)->hash, b_tip, 32);
    chain_state_root(c, root);
    ck_assert_mem_eq(root, branch_b[2].hdr.state_root, 32);
    ck_assert(chain_get_account(c, pubs[2], &acct));
    ck_assert_uint_eq(acct.nonce, 0);
    ck_assert(mempool_has(mp, txid));
    ck_assert(!chain_find_tx(c, txid, &(struct tx){0}, NULL, NULL));

    /* The next block on top of B confirms it again. */
    produce(c, mp);
    ck_assert(!mempool_has(mp, txid));
    ck_assert(chain_get_account(c, pubs[2], &acct));
    ck_assert_uint_eq(acct.nonce, 1);

    mempool_free(mp);
    chain_close(c);
    for (int i = 0; i < 4; i++)
        block_free(&common[i]);
    for (int i = 0; i < 2; i++)
        block_free(&branch_a[i]);
    for (int i = 0; i < 3; i++)
        block_free(&branch_b[i]);
    tx_free(&tx);
}
END_TEST

START_TEST(bad_blocks_are_rejected_with_reasons)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct validation v;
    struct block b;
    produce(c, mp);

    /* Wrong state root: the proposer signs it, but the state disagrees. */
    build_next(c, mp, &b);
    b.hdr.state_root[0] ^= 1;
    ck_assert(regtest_sign(NULL, &b.hdr));
    ck_assert(!chain_process_block(c, &b, &v));
    ck_assert_str_eq(v.reason, "bad-blk-stateroot");
    block_free(&b);

    /* A validator that does not lead the slot. */
    build_next(c, mp, &b);
    int leader = validator_index(b.hdr.proposer);
    int other = (leader + 1) % REGTEST_VALIDATORS;
    memcpy(b.hdr.proposer, pubs[other], 32);
    ck_assert(regtest_sign(NULL, &b.hdr));
    ck_assert(!chain_process_block(c, &b, &v));
    ck_assert(strcmp(v.reason, "bad-blk-proposer") == 0 || strcmp(v.reason, "bad-blk-randao") == 0);
    block_free(&b);

    /* A RANDAO reveal that is not the preimage of the commitment. */
    build_next(c, mp, &b);
    b.hdr.randao_reveal[5] ^= 0x40;
    ck_assert(regtest_sign(NULL, &b.hdr));
    ck_assert(!chain_process_block(c, &b, &v));
    ck_assert_str_eq(v.reason, "bad-blk-randao");
    block_free(&b);

    /* Wrong height and a slot that does not advance. */
    build_next(c, mp, &b);
    b.hdr.height++;
    ck_assert(regtest_sign(NULL, &b.hdr));
    ck_assert(!chain_process_block(c, &b, &v));
    ck_assert_str_eq(v.reason, "bad-blk-height");
    block_free(&b);
    build_next(c, mp, &b);
    b.hdr.slot = chain_tip(c)->hdr.slot;
    ck_assert(regtest_sign(NULL, &b.hdr));
    ck_assert(!chain_process_block(c, &b, &v));
    ck_assert_str_eq(v.reason, "bad-blk-slot");
    block_free(&b);

    /* Unknown parent. */
    build_next(c, mp, &b);
    b.hdr.prev[0] ^= 1;
    ck_assert(regtest_sign(NULL, &b.hdr));
    ck_assert(!chain_process_block(c, &b, &v));
    ck_assert_str_eq(v.reason, "prev-blk-not-found");
    block_free(&b);

    /* The chain did not move through any of this. */
    ck_assert_uint_eq(chain_height(c), 1);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

START_TEST(headers_first_then_bodies)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct validation v;
    struct block blocks[6];
    const struct block_index *missing[8];
    char cmd[600];

    /* Record six blocks on one node. */
    for (int i = 0; i < 6; i++) {
        build_next(c, mp, &blocks[i]);
        ck_assert(chain_process_block(c, &blocks[i], &v));
    }
    mempool_free(mp);
    chain_close(c);
    snprintf(cmd, sizeof(cmd), "rm -rf %s/blocks %s/chainstate", datadir, datadir);
    ck_assert_int_eq(system(cmd), 0);

    /* A fresh node learns the headers first: nothing connects, but it knows
     * what to fetch, lowest first. */
    c = open_chain();
    for (int i = 0; i < 6; i++)
        ck_assert_msg(chain_process_header(c, &blocks[i].hdr, &v), "%s", v.reason);
    ck_assert(!chain_process_header(c, &blocks[2].hdr, &v));
    ck_assert_str_eq(v.reason, "duplicate");
    ck_assert_uint_eq(chain_height(c), 0);
    ck_assert_uint_eq(chain_best_header(c)->hdr.height, 6);
    ck_assert_uint_eq(chain_missing_blocks(c, missing, 8), 6);
    ck_assert_uint_eq(missing[0]->hdr.height, 1);
    ck_assert_uint_eq(chain_missing_blocks(c, missing, 2), 2);
    ck_assert_uint_eq(missing[1]->hdr.height, 2);

    /* A body whose parent body is missing waits; in order they connect. */
    ck_assert(!chain_process_block(c, &blocks[3], &v));
    ck_assert_str_eq(v.reason, "prev-blk-not-stored");
    for (int i = 0; i < 6; i++)
        ck_assert_msg(chain_process_block(c, &blocks[i], &v), "%d: %s", i, v.reason);
    ck_assert_uint_eq(chain_height(c), 6);
    ck_assert_uint_eq(chain_missing_blocks(c, missing, 8), 0);

    /* A header with a forged signature is refused: a sibling of the tip by
     * the tip's own proposer at its own slot (the right leader). */
    struct block_header forged = blocks[5].hdr;
    forged.sig[7] ^= 0x40;
    ck_assert(!chain_process_header(c, &forged, &v));
    ck_assert_str_eq(v.reason, "bad-blk-sig");
    /* A header on the tip whose proposer does not lead its slot is refused
     * before its signature is looked at. */
    forged = blocks[5].hdr;
    forged.slot += 100;
    forged.time = params_slot_start(&params, forged.slot);
    memcpy(forged.prev, chain_tip(c)->hash, 32);
    forged.height = 7;
    ck_assert(!chain_process_header(c, &forged, &v));
    ck_assert_str_eq(v.reason, "bad-blk-proposer");
    chain_close(c);
    for (int i = 0; i < 6; i++)
        block_free(&blocks[i]);
}
END_TEST

/* chain_ancestor over the skip pointers finds the same block as walking the
 * parents, for every pair of heights, also after a restart (which rebuilds
 * the pointers); the missing bodies of a long header chain come lowest
 * first, a window at a time. */
START_TEST(ancestors_and_missing_blocks_over_skip_pointers)
{
    enum { N = 160 };
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    static struct block blocks[N];
    static const struct block_index *missing[1024];
    struct validation v;
    char cmd[600];

    for (int i = 0; i < N; i++) {
        build_next(c, mp, &blocks[i]);
        ck_assert(chain_process_block(c, &blocks[i], &v));
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t from = 0; from <= N; from++) {
            const struct block_index *bi = chain_at(c, from);
            if (from > 0)
                ck_assert_msg(bi->skip && bi->skip->hdr.height < from, "no skip at %llu",
                              (unsigned long long)from);
            for (uint64_t h = 0; h <= from; h++) {
                const struct block_index *walk = bi;
                while (walk->hdr.height > h)
                    walk = walk->prev;
                ck_assert_ptr_eq(chain_ancestor(bi, h), walk);
            }
            ck_assert_ptr_null(chain_ancestor(bi, from + 1));
        }
        ck_assert_ptr_eq(chain_fork_point(chain_at(c, 7), chain_tip(c)), chain_at(c, 7));
        mempool_free(mp);
        chain_close(c);
        c = open_chain(); /* the index is loaded: its pointers built again */
        mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    }
    mempool_free(mp);
    chain_close(c);
    snprintf(cmd, sizeof(cmd), "rm -rf %s/blocks %s/chainstate", datadir, datadir);
    ck_assert_int_eq(system(cmd), 0);

    /* A fresh node takes the headers whose leaders its tip's state fixes
     * (the tip's epoch and the next): the rest waits for the chain. */
    c = open_chain();
    int known = 0;
    while (known < N && chain_process_header(c, &blocks[known].hdr, &v))
        known++;
    ck_assert_int_lt(known, N);
    ck_assert_str_eq(v.reason, "leader-not-yet-known");
    ck_assert_uint_le(params_epoch_of(&params, blocks[known - 1].hdr.slot), 1);
    ck_assert_uint_ge(params_epoch_of(&params, blocks[known].hdr.slot), 2);
    ck_assert_int_ge(known, 8);
    ck_assert_uint_eq(chain_missing_blocks(c, missing, 8), 8);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(missing[i]->hdr.height, (uint64_t)i + 1);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(chain_process_block(c, &blocks[i], &v), "%d: %s", i, v.reason);
    ck_assert_uint_eq(chain_missing_blocks(c, missing, 8), known - 5 < 8 ? (size_t)known - 5 : 8);
    ck_assert_uint_eq(missing[0]->hdr.height, 6);
    ck_assert_uint_eq(chain_missing_blocks(c, missing, 1024), (size_t)known - 5);
    for (int i = 0; i < known - 5; i++)
        ck_assert_uint_eq(missing[i]->hdr.height, (uint64_t)i + 6);
    /* As the bodies connect, more headers can be checked, and so on to the
     * end; the missing bodies always come lowest first. */
    int stored = 5;
    while (stored < N) {
        while (known < N && chain_process_header(c, &blocks[known].hdr, &v))
            known++;
        ck_assert_msg(known == N || strcmp(v.reason, "leader-not-yet-known") == 0, "%s", v.reason);
        size_t nm = chain_missing_blocks(c, missing, 1024);
        ck_assert_uint_eq(nm, (size_t)(known - stored));
        ck_assert_uint_eq(missing[0]->hdr.height, (uint64_t)stored + 1);
        for (; stored < known; stored++)
            ck_assert_msg(chain_process_block(c, &blocks[stored], &v), "%d: %s", stored, v.reason);
    }
    ck_assert_uint_eq(chain_missing_blocks(c, missing, 8), 0);
    chain_close(c);
    for (int i = 0; i < N; i++)
        block_free(&blocks[i]);
}
END_TEST

START_TEST(no_reorganization_past_finality)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct validation v;
    struct block alt;
    char cmd[600];

    /* Record a competing block on top of height 4... */
    for (int i = 0; i < 4; i++)
        produce(c, mp);
    build_next(c, mp, &alt);
    /* ...but move the chain on with other blocks (a later slot, so they differ). */
    produce_at(c, mp, chain_tip(c)->hdr.slot + 2);
    for (unsigned i = 0; i < params.finality_depth; i++)
        produce(c, mp);
    ck_assert_uint_eq(chain_height(c), 5 + params.finality_depth);

    /* The fork point (height 4) is now finality_depth + 1 below the tip. */
    ck_assert(!chain_process_block(c, &alt, &v));
    ck_assert_str_eq(v.reason, "bad-fork-prior-to-finality");
    ck_assert(!chain_process_header(c, &alt.hdr, &v));
    ck_assert_str_eq(v.reason, "bad-fork-prior-to-finality");

    /* One block less deep, a fork is still taken in. */
    mempool_free(mp);
    chain_close(c);
    snprintf(cmd, sizeof(cmd), "rm -rf %s/blocks %s/chainstate", datadir, datadir);
    ck_assert_int_eq(system(cmd), 0);
    block_free(&alt);
    c = open_chain();
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    for (int i = 0; i < 4; i++)
        produce(c, mp);
    build_next(c, mp, &alt);
    produce_at(c, mp, chain_tip(c)->hdr.slot + 2);
    for (unsigned i = 0; i < params.finality_depth - 1; i++)
        produce(c, mp);
    ck_assert(chain_process_block(c, &alt, &v) || strcmp(v.reason, "bad-fork-prior-to-finality") != 0);
    ck_assert_str_ne(v.reason, "bad-fork-prior-to-finality");
    block_free(&alt);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* Headers are checked against the leader schedule as soon as the tip's state
 * fixes it: a wrong leader is invalid; a header that cannot be checked yet
 * indexes nothing, unless the caller takes a branch forking below the tip
 * unchecked. */
START_TEST(leaders_checked_at_header_time)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct validation v;
    struct block next;
    static const uint8_t aux[32];

    for (int i = 0; i < 20; i++)
        produce(c, mp);
    ck_assert_uint_ge(params_epoch_of(&params, chain_tip(c)->hdr.slot), 2);
    size_t indexed = chain_index_size(c);
    build_next(c, mp, &next);

    /* The next slot's header signed, correctly, by a validator that does
     * not lead it. */
    int leader = validator_index(next.hdr.proposer), other = (leader + 1) % REGTEST_VALIDATORS;
    struct block_header h = next.hdr;
    memcpy(h.proposer, pubs[other], PUBKEY_SIZE);
    ck_assert(header_sign(&h, params.genesis_hash, secrets[other], aux));
    ck_assert(header_check_sig(&h, params.genesis_hash));
    ck_assert(!chain_process_header(c, &h, &v));
    ck_assert_str_eq(v.reason, "bad-blk-proposer");
    ck_assert(!chain_process_header_unchecked(c, &h, &v));
    ck_assert_str_eq(v.reason, "bad-blk-proposer");
    ck_assert_uint_eq(chain_index_size(c), indexed);
    /* The same with a block. */
    struct block forged = next;
    forged.hdr = h;
    ck_assert(!chain_process_block(c, &forged, &v));
    ck_assert_str_eq(v.reason, "bad-blk-proposer");
    ck_assert_uint_eq(chain_index_size(c), indexed);

    /* The leader's own header is taken. */
    ck_assert_msg(chain_process_header(c, &next.hdr, &v), "%s", v.reason);
    ck_assert_uint_eq(chain_index_size(c), indexed + 1);

    /* On top of it, a header three epochs on: its schedule depends on
     * blocks not connected yet. */
    h = next.hdr;
    header_hash(&next.hdr, h.prev);
    h.height++;
    h.slot += 3 * params.epoch_slots;
    h.time = params_slot_start(&params, h.slot);
    memcpy(h.proposer, pubs[0], PUBKEY_SIZE);
    ck_assert(header_sign(&h, params.genesis_hash, secrets[0], aux));
    ck_assert(!chain_process_header(c, &h, &v));
    ck_assert_str_eq(v.reason, "leader-not-yet-known");
    ck_assert(!chain_process_header_unchecked(c, &h, &v));
    ck_assert_str_eq(v.reason, "leader-not-yet-known");
    ck_assert_uint_eq(chain_index_size(c), indexed + 1);

    /* A fork from height 2 (epoch 0), below the tip's epoch: unknown until
     * a reorganization; taken only unchecked. */
    const struct block_index *f = chain_at(c, 2);
    h = f->hdr;
    memcpy(h.prev, f->hash, HASH_SIZE);
    h.height = 3;
    h.slot = f->hdr.slot + 1;
    h.time = params_slot_start(&params, h.slot);
    memcpy(h.proposer, pubs[0], PUBKEY_SIZE);
    memset(h.state_root, 0x5a, HASH_SIZE);
    ck_assert(header_sign(&h, params.genesis_hash, secrets[0], aux));
    ck_assert(!chain_process_header(c, &h, &v));
    ck_assert_str_eq(v.reason, "leader-unknown");
    ck_assert_uint_eq(chain_index_size(c), indexed + 1);
    ck_assert_msg(chain_process_header_unchecked(c, &h, &v), "%s", v.reason);
    ck_assert_uint_eq(chain_index_size(c), indexed + 2);

    /* Both header-only branches can be forgotten, in memory and on disk;
     * the active chain stays. */
    const struct block_index *leaves[8];
    ck_assert_uint_eq(chain_header_leaves(c, leaves, 8), 2);
    ck_assert_uint_eq(chain_forget_headers(c, leaves[0]), 1);
    ck_assert_uint_eq(chain_forget_headers(c, leaves[1]), 1);
    ck_assert_uint_eq(chain_index_size(c), indexed);
    ck_assert_uint_eq(chain_header_leaves(c, leaves, 8), 0);
    ck_assert_ptr_eq(chain_best_header(c), chain_tip(c));
    mempool_free(mp);
    chain_close(c);
    c = open_chain();
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    ck_assert_uint_eq(chain_index_size(c), indexed);
    ck_assert_uint_eq(chain_height(c), 20);
    /* ...and the leader's header is taken again. */
    ck_assert_msg(chain_process_header(c, &next.hdr, &v), "%s", v.reason);

    block_free(&next);
    mempool_free(mp);
    chain_close(c);
}
END_TEST


/* The journal of balance changes: off unless enabled; a child's entries move
 * into the parent on commit and vanish when it is freed without; journaling
 * changes no state (the same root with and without). */
START_TEST(view_journal_commit_moves_free_drops)
{
    struct chain *c = open_chain();
    struct view *plain = chain_view(c), *root = chain_view(c);
    struct account a, b;
    const struct journal_entry *j;
    size_t n;
    uint8_t r1[HASH_SIZE], r2[HASH_SIZE];

    ck_assert(accounts_get(plain, pubs[0], &a));
    a.balance -= 5;
    accounts_put(plain, pubs[0], &a);
    ck_assert(!view_journaling(plain));
    (void)view_journal(plain, &n);
    ck_assert_uint_eq(n, 0);

    view_journal_enable(root);
    view_journal_mark(root, 3);
    ck_assert(accounts_get(root, pubs[0], &b));
    b.balance -= 5;
    accounts_put(root, pubs[0], &b);
    j = view_journal(root, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_mem_eq(j[0].pubkey, pubs[0], PUBKEY_SIZE);
    ck_assert_int_eq(j[0].kind, JOURNAL_ACCOUNT);
    ck_assert_int_eq(j[0].cause, 3);
    ck_assert_int_eq(j[0].delta, -5);
    ck_assert_uint_eq(j[0].old_value - j[0].new_value, 5);
    ck_assert(chain_root_with(c, plain, r1) && chain_root_with(c, root, r2));
    ck_assert_mem_eq(r1, r2, HASH_SIZE);

    /* A child's entries, cause from the root's mark, move up on commit. */
    struct view *child = view_new(NULL, root);
    ck_assert(view_journaling(child));
    view_journal_mark(child, JOURNAL_CAUSE_END);
    ck_assert(accounts_credit(child, pubs[1], 7, &(struct validation){0}));
    view_journal_stake(child, pubs[1], 10, 4);
    (void)view_journal(root, &n);
    ck_assert_uint_eq(n, 1);
    view_commit(child);
    view_free(child);
    j = view_journal(root, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(j[1].cause, JOURNAL_CAUSE_END);
    ck_assert_int_eq(j[1].delta, 7);
    ck_assert_int_eq(j[2].kind, JOURNAL_STAKE);
    ck_assert_int_eq(j[2].delta, -6);

    /* Freed without commit: nothing reaches the parent. */
    child = view_new(NULL, root);
    ck_assert(accounts_credit(child, pubs[2], 9, &(struct validation){0}));
    (void)view_journal(child, &n);
    ck_assert_uint_eq(n, 1);
    view_free(child);
    (void)view_journal(root, &n);
    ck_assert_uint_eq(n, 3);

    /* A put that changes nothing journals nothing. */
    ck_assert(accounts_get(root, pubs[3], &a));
    accounts_put(root, pubs[3], &a);
    (void)view_journal(root, &n);
    ck_assert_uint_eq(n, 3);

    view_free(plain);
    view_free(root);
    chain_close(c);
}
END_TEST

/* Every address's entries of a chain kept with the address index add up to
 * its balance, the same blocks connect with and without it, and
 * disconnecting a block removes its entries. */
static uint64_t index_sum(struct chain *c, const uint8_t pub[PUBKEY_SIZE], uint64_t *total)
{
    int64_t sum = 0;
    ck_assert(chain_addrindex_total(c, pub, total));
    for (uint64_t i = 0; i < *total; i++) {
        struct addrindex_entry e;
        ck_assert(chain_addrindex_get(c, pub, i, &e));
        sum += e.balance_change;
        ck_assert_uint_eq(e.balance, (uint64_t)sum);
        ck_assert(e.height <= chain_height(c));
    }
    return (uint64_t)sum;
}

START_TEST(address_index_follows_blocks)
{
    char err[256] = "";
    struct chain *c = chain_open_with(&params, datadir, &(struct chain_options){.addrindex = true}, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert(chain_addrindex_enabled(c));
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    uint8_t txid[HASH_SIZE];
    uint64_t totals[REGTEST_VALIDATORS], total;
    struct account a;
    produce(c, mp);
    ck_assert(fixture_transfer(mp, 0, 1, 12345, 10000, txid));
    produce(c, mp);
    for (int i = 0; i < REGTEST_VALIDATORS; i++) {
        ck_assert(chain_get_account(c, pubs[i], &a));
        ck_assert_uint_eq(index_sum(c, pubs[i], &totals[i]), a.balance);
    }
    struct addrindex_entry e;
    ck_assert(chain_addrindex_get(c, pubs[1], totals[1] - 1, &e) ||
              chain_addrindex_get(c, pubs[1], totals[1] - 2, &e));
    uint8_t tip[HASH_SIZE];
    memcpy(tip, chain_tip(c)->hash, HASH_SIZE);
    struct validation v;
    ck_assert(chain_invalidate(c, tip, &v));
    for (int i = 0; i < REGTEST_VALIDATORS; i++) {
        ck_assert(chain_get_account(c, pubs[i], &a));
        ck_assert_uint_eq(index_sum(c, pubs[i], &total), a.balance);
        ck_assert(total <= totals[i]);
    }
    ck_assert(chain_addrindex_total(c, pubs[1], &total));
    ck_assert_uint_lt(total, totals[1]); /* the transfer's entry went */
    ck_assert(chain_reconsider(c, tip, &v));
    ck_assert(chain_addrindex_total(c, pubs[1], &total));
    ck_assert_uint_eq(total, totals[1]);
    mempool_free(mp);
    chain_close(c);

    /* Opened without the index, the chain marks it stale; with it again,
     * it is rebuilt from the block files to the same entries. */
    c = open_chain();
    ck_assert(!chain_addrindex_enabled(c));
    chain_close(c);
    c = chain_open_with(&params, datadir, &(struct chain_options){.addrindex = true}, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(chain_height(c), 2);
    for (int i = 0; i < REGTEST_VALIDATORS; i++) {
        ck_assert(chain_get_account(c, pubs[i], &a));
        ck_assert_uint_eq(index_sum(c, pubs[i], &total), a.balance);
        ck_assert_uint_eq(total, totals[i]);
    }
    chain_close(c);
}
END_TEST

static Suite *chain_suite(void)
{
    Suite *s = suite_create("chain");
    TCase *tc = tcase_create("chain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, genesis_opens_and_reopens);
    tcase_add_test(tc, blocks_mint_and_transfer_moves_funds);
    tcase_add_test(tc, restart_keeps_tip_and_state);
    tcase_add_test(tc, chainstate_of_another_layout_asks_for_reindex);
    tcase_add_test(tc, invalidate_restores_exact_state_and_reconsider_returns);
    tcase_add_test(tc, longer_branch_wins_and_transactions_return);
    tcase_add_test(tc, bad_blocks_are_rejected_with_reasons);
    tcase_add_test(tc, headers_first_then_bodies);
    tcase_add_test(tc, ancestors_and_missing_blocks_over_skip_pointers);
    tcase_add_test(tc, no_reorganization_past_finality);
    tcase_add_test(tc, leaders_checked_at_header_time);
    tcase_add_test(tc, view_journal_commit_moves_free_drops);
    tcase_add_test(tc, address_index_follows_blocks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(chain_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
