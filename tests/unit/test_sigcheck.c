/* The -par pool (state/sigcheck.c) and the signature cache
 * (state/sigcache.c): a block's verdict does not depend on the number of
 * threads (the first failing transaction in block order), the cache skips
 * verified signatures, keeps its size, and keys entries with its own salt. */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "state/addrindex.h"
#include "state/sigcache.h"
#include "state/sigcheck.h"
#include "tests/chain_fixture.h"
#include "tests/regtest_signer.h"
#include "tests/unit/test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define NTX 300

static void make_tx(struct tx *tx, uint64_t i)
{
    struct transfer t;
    struct wbuf w;
    tx_init(tx);
    tx->type = TX_TRANSFER;
    tx->nonce = i;
    tx->fee = 1000;
    memcpy(tx->sender, pubs[i % 4], PUBKEY_SIZE);
    memcpy(t.to, pubs[(i + 1) % 4], PUBKEY_SIZE);
    t.amount = COIN + i;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    ck_assert(tx_set_payload(tx, w.data, w.len));
    wbuf_free(&w);
    ck_assert(tx_sign(tx, params.genesis_hash, secrets[i % 4], NULL));
}

/* A block of NTX signed transfers; bad[k] >= 0: transaction bad[k] gets
 * kind[k] damage ('s': a signature bit, 'v': its version).  The block stays
 * well-formed (Merkle root, header signature). */
static void make_block(struct block *b, const int bad[2], const char kind[2])
{
    block_init(b);
    b->hdr.version = BLOCK_VERSION;
    b->hdr.height = 1;
    b->hdr.slot = 1;
    memcpy(b->hdr.proposer, pubs[0], PUBKEY_SIZE);
    for (int i = 0; i < NTX; i++) {
        struct tx tx;
        make_tx(&tx, (uint64_t)i);
        for (int k = 0; k < 2; k++) {
            if (bad[k] != i)
                continue;
            if (kind[k] == 's')
                tx.sig[5] ^= 0x10;
            else
                tx.version = 2;
        }
        ck_assert(block_add_tx(b, &tx));
        tx_free(&tx);
    }
    block_merkle_root(b, b->hdr.tx_root);
    ck_assert(regtest_sign(NULL, &b->hdr));
}

/* block_check's verdict and sigcheck_block's with 1, 2 and 4 threads, many
 * times each: the same reason, naming the same transaction. */
static void check_all_agree(const struct block *b, bool ok, const char *reason, const char *tx)
{
    struct validation v;
    val_init(&v);
    ck_assert_int_eq(block_check(b, &params, &v), ok);
    if (!ok)
        ck_assert_str_eq(v.reason, reason);
    static const int threads[] = {1, 2, 4};
    for (size_t t = 0; t < 3; t++) {
        struct sigcheck *sc = sigcheck_new(threads[t], NULL);
        ck_assert_ptr_nonnull(sc);
        ck_assert_int_eq(sigcheck_threads(sc), threads[t]);
        for (int rep = 0; rep < 20; rep++) {
            val_init(&v);
            ck_assert_int_eq(sigcheck_block(sc, b, &params, &v), ok);
            if (!ok) {
                ck_assert_str_eq(v.reason, reason);
                ck_assert_msg(strncmp(v.detail, tx, strlen(tx)) == 0 &&
                                  (v.detail[strlen(tx)] == '\0' || v.detail[strlen(tx)] == ':'),
                              "%d threads: detail \"%s\", expected %s", threads[t], v.detail, tx);
            }
        }
        sigcheck_free(sc);
    }
    /* Without a pool: the same. */
    val_init(&v);
    ck_assert_int_eq(sigcheck_block(NULL, b, &params, &v), ok);
    if (!ok)
        ck_assert_str_eq(v.reason, reason);
}

START_TEST(test_pool_all_good)
{
    struct block b;
    const int bad[2] = {-1, -1};
    make_block(&b, bad, "ss");
    check_all_agree(&b, true, NULL, NULL);
    block_free(&b);
}
END_TEST

START_TEST(test_pool_first_bad_signature_wins)
{
    struct block b;
    /* The later one first in the array: order of damage does not matter. */
    const int bad[2] = {250, 37};
    make_block(&b, bad, "ss");
    check_all_agree(&b, false, "bad-txns-sig", "transaction 37");
    block_free(&b);

    const int late[2] = {NTX - 1, 290};
    make_block(&b, late, "ss");
    check_all_agree(&b, false, "bad-txns-sig", "transaction 290");
    block_free(&b);
}
END_TEST

START_TEST(test_pool_reason_order)
{
    struct block b;
    /* A bad signature at 37 before a bad version at 200: the signature. */
    const int bad[2] = {37, 200};
    make_block(&b, bad, "sv");
    check_all_agree(&b, false, "bad-txns-sig", "transaction 37");
    block_free(&b);
    /* A bad version at 37 before a bad signature at 200: the version. */
    make_block(&b, bad, "vs");
    check_all_agree(&b, false, "bad-txns-version", "transaction 37");
    block_free(&b);
}
END_TEST

START_TEST(test_pool_block_rules_first)
{
    /* A damaged header signature is the block's reason whatever its
     * transactions hold. */
    struct block b;
    const int bad[2] = {3, -1};
    make_block(&b, bad, "ss");
    b.hdr.sig[0] ^= 1;
    check_all_agree(&b, false, "bad-blk-sig", "");
    block_free(&b);
}
END_TEST

START_TEST(test_pool_uses_cache)
{
    struct sigcache *cache = sigcache_new(1 << 20);
    struct sigcheck *sc = sigcheck_new(2, cache);
    struct block b;
    struct validation v;
    const int bad[2] = {-1, -1};
    ck_assert_ptr_nonnull(sc);
    ck_assert_ptr_eq(sigcheck_cache(sc), cache);
    make_block(&b, bad, "ss");
    ck_assert(sigcheck_block(sc, &b, &params, &v));
    ck_assert_uint_eq(sigcache_count(cache), 0); /* blocks only read it */
    for (size_t i = 0; i < b.ntx; i++) {
        uint8_t key[SIGCACHE_KEY_SIZE];
        ck_assert(sigcheck_tx(cache, &b.txs[i], &params, key, &v));
        sigcache_insert(cache, key);
    }
    ck_assert_uint_eq(sigcache_count(cache), NTX);
    /* A cached signature is not verified again: a cache hit is what makes
     * a transaction pass once its signature is damaged behind the cache's
     * back (which a real signature cannot be: its key covers the bytes). */
    struct tx t;
    ck_assert(tx_copy(&t, &b.txs[7]));
    uint8_t msg[HASH_SIZE], key[SIGCACHE_KEY_SIZE];
    tx_sighash(&t, params.genesis_hash, msg);
    t.sig[0] ^= 1;
    ck_assert(!sigcheck_tx(cache, &t, &params, NULL, &v));
    ck_assert_str_eq(v.reason, "bad-txns-sig");
    sigcache_key(cache, msg, t.sender, t.sig, key);
    sigcache_insert(cache, key);
    val_init(&v);
    ck_assert(sigcheck_tx(cache, &t, &params, NULL, &v));
    tx_free(&t);
    block_free(&b);
    sigcheck_free(sc);
    sigcache_free(cache);
}
END_TEST

START_TEST(test_par_threads)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    ck_assert_int_eq(sigcheck_threads_for_par(1), 1);
    ck_assert_int_eq(sigcheck_threads_for_par(3), 3);
    ck_assert_int_eq(sigcheck_threads_for_par(0), cores < 16 ? cores : 16);
    ck_assert_int_eq(sigcheck_threads_for_par(-1000), 1);
    ck_assert_int_eq(sigcheck_threads_for_par(1000), SIGCHECK_MAX_THREADS);
}
END_TEST

static void some_key(uint8_t key[SIGCACHE_KEY_SIZE], uint64_t i)
{
    uint8_t in[8];
    write_le64(in, i);
    crypto_generichash(key, SIGCACHE_KEY_SIZE, in, sizeof(in), NULL, 0);
}

START_TEST(test_cache_hit_after_insert)
{
    struct sigcache *c = sigcache_new(64 * 1024);
    uint8_t msg[HASH_SIZE] = {1}, pub[PUBKEY_SIZE] = {2}, sig[SIG_SIZE] = {3}, k1[32], k2[32];
    sigcache_key(c, msg, pub, sig, k1);
    ck_assert(!sigcache_contains(c, k1));
    sigcache_insert(c, k1);
    ck_assert(sigcache_contains(c, k1));
    sigcache_insert(c, k1); /* twice: one entry */
    ck_assert_uint_eq(sigcache_count(c), 1);
    /* Any byte of the triple changes the key. */
    sig[63] ^= 1;
    sigcache_key(c, msg, pub, sig, k2);
    ck_assert(!sigcache_contains(c, k2));
    sig[63] ^= 1;
    pub[31] ^= 1;
    sigcache_key(c, msg, pub, sig, k2);
    ck_assert(!sigcache_contains(c, k2));
    pub[31] ^= 1;
    msg[31] ^= 1;
    sigcache_key(c, msg, pub, sig, k2);
    ck_assert(!sigcache_contains(c, k2));
    sigcache_free(c);
}
END_TEST

START_TEST(test_cache_salted)
{
    struct sigcache *a = sigcache_new(4096), *b = sigcache_new(4096);
    uint8_t msg[HASH_SIZE] = {9}, pub[PUBKEY_SIZE] = {8}, sig[SIG_SIZE] = {7};
    uint8_t ka[32], kb[32], ka2[32], plain[32], cat[HASH_SIZE + PUBKEY_SIZE + SIG_SIZE];
    sigcache_key(a, msg, pub, sig, ka);
    sigcache_key(a, msg, pub, sig, ka2);
    sigcache_key(b, msg, pub, sig, kb);
    ck_assert_mem_eq(ka, ka2, 32);              /* one cache: one key per triple */
    ck_assert(memcmp(ka, kb, 32) != 0);         /* another salt: another key */
    memcpy(cat, msg, HASH_SIZE);
    memcpy(cat + HASH_SIZE, pub, PUBKEY_SIZE);
    memcpy(cat + HASH_SIZE + PUBKEY_SIZE, sig, SIG_SIZE);
    crypto_generichash(plain, 32, cat, sizeof(cat), NULL, 0);
    ck_assert(memcmp(ka, plain, 32) != 0);      /* not the unsalted hash */
    /* What one cache holds the other does not. */
    sigcache_insert(a, ka);
    ck_assert(!sigcache_contains(b, ka));
    sigcache_free(a);
    sigcache_free(b);
}
END_TEST

START_TEST(test_cache_bounded_and_evicts)
{
    /* 16 buckets of SIGCACHE_WAYS: capacity 128 entries. */
    struct sigcache *c = sigcache_new(16 * SIGCACHE_WAYS * SIGCACHE_KEY_SIZE);
    uint8_t key[32];
    ck_assert_uint_eq(sigcache_capacity(c), 16 * SIGCACHE_WAYS);
    for (uint64_t i = 0; i < 10000; i++) {
        some_key(key, i);
        sigcache_insert(c, key);
        ck_assert_uint_le(sigcache_count(c), sigcache_capacity(c));
    }
    ck_assert_uint_eq(sigcache_count(c), sigcache_capacity(c));
    /* The newest entries stay, the oldest went. */
    some_key(key, 9999);
    ck_assert(sigcache_contains(c, key));
    size_t old = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        some_key(key, i);
        old += sigcache_contains(c, key);
    }
    ck_assert_uint_eq(old, 0);
    sigcache_free(c);
    /* A size below one bucket still makes one. */
    c = sigcache_new(1);
    ck_assert_uint_eq(sigcache_capacity(c), SIGCACHE_WAYS);
    sigcache_free(c);
}
END_TEST

/* Several threads inserting and looking up at once. */
static struct sigcache *shared;
static void *hammer(void *arg)
{
    uint64_t base = (uint64_t)(uintptr_t)arg * 100000;
    uint8_t key[32];
    for (uint64_t i = 0; i < 5000; i++) {
        some_key(key, base + i);
        sigcache_insert(shared, key);
        (void)sigcache_contains(shared, key);
    }
    return NULL;
}

START_TEST(test_cache_threads)
{
    pthread_t th[4];
    shared = sigcache_new(1 << 20);
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, (void *)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_le(sigcache_count(shared), sigcache_capacity(shared));
    ck_assert_uint_gt(sigcache_count(shared), 15000);
    sigcache_free(shared);
}
END_TEST

/* A copy of b whose transactions at positions bad have a damaged
 * signature, sealed again by its proposer (Merkle root, header signature). */
static void reseal_with_bad_sigs(struct block *out, const struct block *b, const size_t *bad,
                                 size_t nbad)
{
    block_init(out);
    out->hdr = b->hdr;
    for (size_t i = 0; i < b->ntx; i++) {
        struct tx tx;
        ck_assert(tx_copy(&tx, &b->txs[i]));
        for (size_t k = 0; k < nbad; k++)
            if (bad[k] == i)
                tx.sig[9] ^= 0x04;
        ck_assert(block_add_tx(out, &tx));
        tx_free(&tx);
    }
    block_merkle_root(out, out->hdr.tx_root);
    ck_assert(regtest_sign(NULL, &out->hdr));
}

/* A chain checking blocks on a two-thread pool with a cache (the state
 * transition beside the verification) and one checking them on the
 * caller's thread agree: a block with bad signatures is refused by both,
 * naming its first bad transaction, and changes nothing; the real block
 * connects on both to the same state root; -reindex-chainstate on the pool
 * rebuilds the same. */
START_TEST(test_chain_pool_agrees)
{
    char dir_a[256], dir_b[256], err[256];
    struct sigcache *cache = sigcache_new(1 << 20);
    struct sigcheck *sc = sigcheck_new(2, cache);
    struct chain_options opts = {.sigcheck = sc};
    ck_assert(fixture_tmpdir(dir_a, sizeof(dir_a), "sigcheck-a"));
    ck_assert(fixture_tmpdir(dir_b, sizeof(dir_b), "sigcheck-b"));
    struct chain *a = chain_open_with(&params, dir_a, &opts, err, sizeof(err));
    struct chain *b = chain_open(&params, dir_b, false, err, sizeof(err));
    ck_assert_msg(a && b, "%s", err);
    ck_assert_ptr_eq(chain_sigcheck(a), sc);
    struct mempool *mp = mempool_new(a, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    ck_assert_ptr_nonnull(mp);
    for (int i = 0; i < 40; i++)
        ck_assert(fixture_transfer(mp, i % 4, (i + 1) % 4, COIN, 10000, NULL));
    /* The mempool filled the cache: one entry per accepted transaction. */
    ck_assert_uint_eq(sigcache_count(cache), 40);

    struct block blk, bad;
    struct validation v;
    ck_assert(fixture_build_at(a, mp, chain_tip(a)->hdr.slot + 1, &blk, &v));
    ck_assert_uint_eq(blk.ntx, 40);
    const size_t which[2] = {31, 12};
    reseal_with_bad_sigs(&bad, &blk, which, 2);
    uint8_t root_before[HASH_SIZE], root_a[HASH_SIZE], root_b[HASH_SIZE];
    chain_state_root(a, root_before);
    struct chain *both[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        uint64_t height = chain_height(both[k]);
        val_init(&v);
        ck_assert(!chain_process_block(both[k], &bad, &v));
        ck_assert_str_eq(v.reason, "bad-txns-sig");
        ck_assert_str_eq(v.detail, "transaction 12");
        ck_assert_uint_eq(chain_height(both[k]), height);
        ck_assert_msg(chain_process_block(both[k], &blk, &v), "%s %s", v.reason, v.detail);
        ck_assert_uint_eq(chain_height(both[k]), height + 1);
    }
    chain_state_root(a, root_a);
    chain_state_root(b, root_b);
    ck_assert_mem_eq(root_a, root_b, HASH_SIZE);
    ck_assert(memcmp(root_a, root_before, HASH_SIZE) != 0);
    ck_assert_mem_eq(chain_tip(a)->hash, chain_tip(b)->hash, HASH_SIZE);

    mempool_free(mp);
    chain_close(a);
    opts.reindex_chainstate = true;
    a = chain_open_with(&params, dir_a, &opts, err, sizeof(err));
    ck_assert_msg(a, "%s", err);
    chain_state_root(a, root_a);
    ck_assert_mem_eq(root_a, root_b, HASH_SIZE);
    ck_assert_uint_eq(chain_height(a), chain_height(b));

    block_free(&blk);
    block_free(&bad);
    chain_close(a);
    chain_close(b);
    sigcheck_free(sc);
    sigcache_free(cache);
    ck_assert(fixture_remove_dir(dir_a));
    ck_assert(fixture_remove_dir(dir_b));
}
END_TEST

/* Each address's index entries on a chain that applies blocks beside the
 * pool's checks (the pre-applied view and its journal) equal those on a
 * chain without the pool: over blocks of many transactions, a
 * disconnection, and stored blocks connected again after a restart (the
 * start-up path, also through a pre-applied view). */
static void same_index(struct chain *a, struct chain *b)
{
    ck_assert_mem_eq(chain_tip(a)->hash, chain_tip(b)->hash, HASH_SIZE);
    for (int i = 0; i < REGTEST_VALIDATORS; i++) {
        uint64_t na, nb;
        struct account acct;
        int64_t sum = 0;
        ck_assert(chain_addrindex_total(a, pubs[i], &na));
        ck_assert(chain_addrindex_total(b, pubs[i], &nb));
        ck_assert_uint_eq(na, nb);
        for (uint64_t k = 0; k < na; k++) {
            struct addrindex_entry ea, eb;
            ck_assert(chain_addrindex_get(a, pubs[i], k, &ea));
            ck_assert(chain_addrindex_get(b, pubs[i], k, &eb));
            ck_assert_uint_eq(ea.height, eb.height);
            ck_assert_int_eq(ea.cause, eb.cause);
            ck_assert_uint_eq(ea.type, eb.type);
            ck_assert_mem_eq(ea.txid, eb.txid, HASH_SIZE);
            ck_assert_int_eq(ea.balance_change, eb.balance_change);
            ck_assert_uint_eq(ea.balance, eb.balance);
            ck_assert_int_eq(ea.stake_change, eb.stake_change);
            ck_assert_mem_eq(chain_at(a, ea.height)->hash, chain_at(b, eb.height)->hash,
                             HASH_SIZE);
            sum += ea.balance_change;
            ck_assert_uint_eq(ea.balance, (uint64_t)sum);
        }
        ck_assert(chain_get_account(a, pubs[i], &acct));
        ck_assert_uint_eq(acct.balance, (uint64_t)sum);
    }
}

START_TEST(test_chain_pool_address_index)
{
    char dir_a[256], dir_b[256], err[256];
    struct sigcheck *sc = sigcheck_new(2, NULL);
    struct chain_options opts_a = {.sigcheck = sc, .addrindex = true};
    struct chain_options opts_b = {.addrindex = true};
    ck_assert(fixture_tmpdir(dir_a, sizeof(dir_a), "sigcheck-ia"));
    ck_assert(fixture_tmpdir(dir_b, sizeof(dir_b), "sigcheck-ib"));
    struct chain *a = chain_open_with(&params, dir_a, &opts_a, err, sizeof(err));
    struct chain *b = chain_open_with(&params, dir_b, &opts_b, err, sizeof(err));
    ck_assert_msg(a && b, "%s", err);
    struct mempool *mp = mempool_new(a, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    ck_assert_ptr_nonnull(mp);
    uint8_t hashes[4][HASH_SIZE];
    struct validation v;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 12; i++)
            ck_assert(fixture_transfer(mp, (i + round) % 4, (i + 1 + 2 * round) % 4,
                                       (uint64_t)(i + 1) * COIN, 10000 + 7 * (uint64_t)i, NULL));
        struct block blk;
        ck_assert(fixture_build_at(a, mp, chain_tip(a)->hdr.slot + 1, &blk, &v));
        ck_assert_uint_ge(blk.ntx, 2);
        ck_assert_msg(chain_process_block(a, &blk, &v), "%s %s", v.reason, v.detail);
        ck_assert_msg(chain_process_block(b, &blk, &v), "%s %s", v.reason, v.detail);
        memcpy(hashes[round], chain_tip(a)->hash, HASH_SIZE);
        block_free(&blk);
        mempool_free(mp);
        mp = mempool_new(a, MEMPOOL_DEFAULT_MAX_BYTES, 0);
        ck_assert_ptr_nonnull(mp);
        same_index(a, b);
    }
    mempool_free(mp);
    /* Two blocks off, then back on, on both. */
    ck_assert(chain_invalidate(a, hashes[2], &v));
    ck_assert(chain_invalidate(b, hashes[2], &v));
    same_index(a, b);
    ck_assert(chain_reconsider(a, hashes[2], &v));
    ck_assert(chain_reconsider(b, hashes[2], &v));
    same_index(a, b);
    /* Off again, a restart, then the stored blocks connected again. */
    ck_assert(chain_invalidate(a, hashes[1], &v));
    ck_assert(chain_invalidate(b, hashes[1], &v));
    chain_close(a);
    a = chain_open_with(&params, dir_a, &opts_a, err, sizeof(err));
    ck_assert_msg(a, "%s", err);
    same_index(a, b);
    ck_assert(chain_reconsider(a, hashes[1], &v));
    ck_assert(chain_reconsider(b, hashes[1], &v));
    ck_assert_mem_eq(chain_tip(a)->hash, hashes[3], HASH_SIZE);
    same_index(a, b);

    chain_close(a);
    chain_close(b);
    sigcheck_free(sc);
    ck_assert(fixture_remove_dir(dir_a));
    ck_assert(fixture_remove_dir(dir_b));
}
END_TEST

/* ---- The mempool's pre-check on the pool (sigcheck_txs) ---- */

static void cache_key_of(struct sigcache *cache, const struct tx *tx, uint8_t key[SIGCACHE_KEY_SIZE])
{
    uint8_t msg[HASH_SIZE];
    tx_sighash(tx, params.genesis_hash, msg);
    sigcache_key(cache, msg, tx->sender, tx->sig, key);
}

/* Every transaction gets its own verdict (a failure stops nothing), with
 * 1, 2 and 4 threads alike, a passing one with its cache key; the cache is
 * only read (nothing enters it), and a key already there is a hit. */
START_TEST(test_precheck_leaves_cache)
{
    enum { N = 60 };
    struct tx txs[N];
    for (int i = 0; i < N; i++) {
        make_tx(&txs[i], (uint64_t)i);
        if (i == 5 || i == 41)
            txs[i].sig[3] ^= 0x20;
        if (i == 17)
            txs[i].version = 2; /* fails before its signature is looked at */
    }
    static const int threads[] = {1, 2, 4};
    for (size_t t = 0; t < 3; t++) {
        struct sigcache *cache = sigcache_new(1 << 20);
        struct sigcheck *sc = sigcheck_new(threads[t], cache);
        ck_assert_ptr_nonnull(sc);
        struct sigcheck_verdict out[N];
        memset(out, 0xff, sizeof(out));
        ck_assert_uint_eq(sigcheck_txs(sc, txs, N, &params, out), N - 3);
        for (int i = 0; i < N; i++) {
            uint8_t key[SIGCACHE_KEY_SIZE];
            cache_key_of(cache, &txs[i], key);
            bool bad = i == 5 || i == 41 || i == 17;
            ck_assert_msg((out[i].v.cls == VAL_OK) == !bad, "tx %d", i);
            ck_assert_msg(out[i].keyed == !bad, "tx %d", i);
            if (!bad)
                ck_assert(memcmp(out[i].key, key, SIGCACHE_KEY_SIZE) == 0);
            ck_assert_msg(!sigcache_contains(cache, key), "tx %d", i);
            if (i == 5 || i == 41)
                ck_assert_str_eq(out[i].v.reason, "bad-txns-sig");
            else if (i == 17)
                ck_assert_str_ne(out[i].v.reason, "bad-txns-sig");
        }
        ck_assert_uint_eq(sigcache_count(cache), 0);
        /* A key in the cache is found; a bad signature stays bad. */
        uint8_t key[SIGCACHE_KEY_SIZE];
        cache_key_of(cache, &txs[0], key);
        sigcache_insert(cache, key);
        ck_assert_uint_eq(sigcheck_txs(sc, txs, N, &params, out), N - 3);
        ck_assert(out[0].v.cls == VAL_OK && out[0].keyed);
        ck_assert(out[5].v.cls != VAL_OK && out[17].v.cls != VAL_OK && out[41].v.cls != VAL_OK);
        ck_assert_uint_eq(sigcache_count(cache), 1);
        sigcheck_free(sc);
        sigcache_free(cache);
    }
    /* Without a cache: verdicts only, no keys. */
    struct sigcheck_verdict out[N];
    ck_assert_uint_eq(sigcheck_txs(NULL, txs, N, &params, out), N - 3);
    ck_assert(!out[0].keyed);
    for (int i = 0; i < N; i++)
        tx_free(&txs[i]);
}
END_TEST

/* A block check waiting for the pool comes before a pre-check holding it:
 * the pre-check stops handing out chunks, the block check runs, and the
 * pre-check finishes on its own thread with every verdict right. */
enum { PRIO_N = 6000 };
struct prio_job {
    struct sigcheck *sc;
    struct tx *txs;
    struct sigcheck_verdict *out;
    size_t passed;
    atomic_int started, done;
};

static void *prio_precheck(void *arg)
{
    struct prio_job *j = arg;
    atomic_store(&j->started, 1);
    j->passed = sigcheck_txs(j->sc, j->txs, PRIO_N, &params, j->out);
    atomic_store(&j->done, 1);
    return NULL;
}

START_TEST(test_block_check_before_precheck)
{
    struct prio_job j = {0};
    j.txs = calloc(PRIO_N, sizeof(*j.txs));
    j.out = calloc(PRIO_N, sizeof(*j.out));
    ck_assert(j.txs && j.out);
    for (int i = 0; i < PRIO_N; i++) {
        make_tx(&j.txs[i], (uint64_t)i);
        if (i % 97 == 3)
            j.txs[i].sig[9] ^= 0x04;
    }
    struct block b;
    const int none[2] = {-1, -1};
    make_block(&b, none, "ss");
    struct sigcache *cache = sigcache_new(1 << 20);
    j.sc = sigcheck_new(2, cache);
    ck_assert_ptr_nonnull(j.sc);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, prio_precheck, &j), 0);
    while (!atomic_load(&j.started))
        usleep(100);
    usleep(20000); /* the pre-check holds the pool (6000 verifications) */
    struct validation v;
    val_init(&v);
    ck_assert(sigcheck_block(j.sc, &b, &params, &v));
    bool before = !atomic_load(&j.done);
    pthread_join(th, NULL);
    ck_assert_msg(before, "the block check waited for the whole pre-check");
    size_t want = 0;
    for (int i = 0; i < PRIO_N; i++) {
        bool bad = i % 97 == 3;
        want += !bad;
        ck_assert_msg((j.out[i].v.cls == VAL_OK) == !bad, "tx %d", i);
    }
    ck_assert_uint_eq(j.passed, want);
    sigcheck_free(j.sc);
    sigcache_free(cache);
    block_free(&b);
    for (int i = 0; i < PRIO_N; i++)
        tx_free(&j.txs[i]);
    free(j.txs);
    free(j.out);
}
END_TEST

/* A transfer from validator `from` with the given nonce and fee. */
static void transfer_tx(struct tx *tx, int from, uint64_t nonce, uint64_t fee)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_transfer_payload(&w, pubs[(from + 1) % 4], COIN);
    ck_assert(fixture_make_tx(tx, secrets[from], TX_TRANSFER, &w, nonce, fee));
    wbuf_free(&w);
}

/* The batch path (pre-check on the pool, then mempool_add_checked one by one
 * in order) gives mempool_add's answers one by one, reasons and details
 * included: valid, bad signature, nonce too high, duplicate, fee too low,
 * a valid one after them; the pools end equal. */
START_TEST(test_precheck_accept_equals_one_by_one)
{
    enum { N = 9 };
    struct tx txs[N];
    transfer_tx(&txs[0], 0, 0, 10000);
    transfer_tx(&txs[1], 0, 1, 10000);
    transfer_tx(&txs[2], 1, 0, 10000);
    txs[2].sig[7] ^= 0x01;           /* bad signature */
    transfer_tx(&txs[3], 2, 5, 10000); /* nonce too high */
    ck_assert(tx_copy(&txs[4], &txs[0])); /* duplicate */
    transfer_tx(&txs[5], 3, 0, 1);   /* fee too low */
    transfer_tx(&txs[6], 3, 0, 10000);
    ck_assert(tx_copy(&txs[7], &txs[2])); /* the bad signature again */
    transfer_tx(&txs[8], 1, 0, 20000);

    char dir_a[256], dir_b[256], err[256];
    struct sigcache *cache = sigcache_new(1 << 20);
    struct sigcheck *sc = sigcheck_new(2, cache);
    struct chain_options opts = {.sigcheck = sc};
    ck_assert(fixture_tmpdir(dir_a, sizeof(dir_a), "precheck-a"));
    ck_assert(fixture_tmpdir(dir_b, sizeof(dir_b), "precheck-b"));
    struct chain *a = chain_open_with(&params, dir_a, &opts, err, sizeof(err));
    struct chain *b = chain_open(&params, dir_b, false, err, sizeof(err));
    ck_assert_msg(a && b, "%s", err);
    struct mempool *mpa = mempool_new(a, MEMPOOL_DEFAULT_MAX_BYTES, 1000);
    struct mempool *mpb = mempool_new(b, MEMPOOL_DEFAULT_MAX_BYTES, 1000);
    ck_assert(mpa && mpb);

    struct sigcheck_verdict pre[N];
    ck_assert_uint_eq(sigcheck_txs(sc, txs, N, &params, pre), N - 2);
    ck_assert_uint_eq(sigcache_count(cache), 0); /* nothing before the mempool decides */
    /* testmempoolaccept's path adds nothing either. */
    for (int i = 0; i < N; i++) {
        struct validation vt;
        bool allowed = mempool_test_checked(mpa, &txs[i], &pre[i], &vt);
        (void)allowed;
    }
    ck_assert_uint_eq(sigcache_count(cache), 0);
    uint8_t key[SIGCACHE_KEY_SIZE];

    static const char *const want[N] = {
        "", "", "bad-txns-sig", "bad-txns-nonce-too-high", "txn-already-in-mempool",
        "min-fee-not-met", "", "bad-txns-sig", ""};
    for (int i = 0; i < N; i++) {
        struct validation va, vb;
        bool oka = mempool_add_checked(mpa, &txs[i], params.genesis_time, &pre[i], &va);
        bool okb = mempool_add(mpb, &txs[i], params.genesis_time, &vb);
        ck_assert_msg(oka == okb, "tx %d", i);
        ck_assert_int_eq(va.cls, vb.cls);
        ck_assert_str_eq(va.reason, vb.reason);
        ck_assert_str_eq(va.detail, vb.detail);
        ck_assert_str_eq(va.reason, want[i]);
    }
    ck_assert_uint_eq(mempool_count(mpa), 4);
    ck_assert_uint_eq(mempool_count(mpb), 4);
    /* Only the accepted ones' signatures are cached: a correctly signed but
     * rejected transaction (nonce too high, fee too low) leaves nothing. */
    ck_assert_uint_eq(sigcache_count(cache), 4);
    static const bool cached[N] = {true, true, false, false, true, false, true, false, true};
    for (int i = 0; i < N; i++) {
        cache_key_of(cache, &txs[i], key);
        ck_assert_msg(sigcache_contains(cache, key) == cached[i], "tx %d", i);
    }
    for (int i = 0; i < N; i++) {
        uint8_t txid[HASH_SIZE];
        tx_txid(&txs[i], txid);
        ck_assert_int_eq(mempool_has(mpa, txid), mempool_has(mpb, txid));
    }

    /* A failing verdict is the answer (no second verification: a verdict
     * of bad-txns-sig on a good transaction is taken as it is); a passing
     * one is trusted only for the transaction whose key it carries: good's
     * verdict does not let bad (another signature) in, and a passing
     * verdict without a key is checked again. */
    struct tx good, bad;
    struct sigcheck_verdict fail, pass, gpass;
    struct validation v;
    transfer_tx(&good, 2, 0, 10000);
    ck_assert(tx_copy(&bad, &good));
    bad.sig[1] ^= 0x40;
    memset(&fail, 0, sizeof(fail));
    val_init(&fail.v);
    (void)val_fail(&fail.v, VAL_CONSENSUS, REJECT_BAD_TXNS_SIG);
    memset(&pass, 0, sizeof(pass));
    val_init(&pass.v);
    ck_assert_uint_eq(sigcheck_txs(sc, &good, 1, &params, &gpass), 1);
    ck_assert(gpass.keyed);
    ck_assert(!mempool_test_checked(mpa, &good, &fail, &v));
    ck_assert_str_eq(v.reason, "bad-txns-sig");
    ck_assert(!mempool_add_checked(mpa, &bad, params.genesis_time, &pass, &v));
    ck_assert_str_eq(v.reason, "bad-txns-sig");
    ck_assert(!mempool_add_checked(mpa, &bad, params.genesis_time, &gpass, &v));
    ck_assert_str_eq(v.reason, "bad-txns-sig");
    ck_assert(mempool_test_checked(mpa, &good, &pass, &v));
    ck_assert(mempool_test_checked(mpa, &good, &gpass, &v));
    ck_assert_uint_eq(sigcache_count(cache), 4);
    ck_assert(mempool_add_checked(mpa, &good, params.genesis_time, &gpass, &v));
    cache_key_of(cache, &good, key);
    ck_assert(sigcache_contains(cache, key));
    tx_free(&good);
    tx_free(&bad);

    for (int i = 0; i < N; i++)
        tx_free(&txs[i]);
    mempool_free(mpa);
    mempool_free(mpb);
    chain_close(a);
    chain_close(b);
    sigcheck_free(sc);
    sigcache_free(cache);
    ck_assert(fixture_remove_dir(dir_a));
    ck_assert(fixture_remove_dir(dir_b));
}
END_TEST

static Suite *sigcheck_suite(void)
{
    Suite *s = suite_create("sigcheck");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pool_all_good);
    tcase_add_test(tc, test_pool_first_bad_signature_wins);
    tcase_add_test(tc, test_pool_reason_order);
    tcase_add_test(tc, test_pool_block_rules_first);
    tcase_add_test(tc, test_pool_uses_cache);
    tcase_add_test(tc, test_par_threads);
    tcase_add_test(tc, test_chain_pool_agrees);
    tcase_add_test(tc, test_chain_pool_address_index);
    tcase_add_test(tc, test_precheck_leaves_cache);
    tcase_add_test(tc, test_block_check_before_precheck);
    tcase_add_test(tc, test_precheck_accept_equals_one_by_one);
    suite_add_tcase(s, tc);
    tc = tcase_create("cache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cache_hit_after_insert);
    tcase_add_test(tc, test_cache_salted);
    tcase_add_test(tc, test_cache_bounded_and_evicts);
    tcase_add_test(tc, test_cache_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!regtest_keys_init())
        return EXIT_FAILURE;
    int rc = test_run_suite(sigcheck_suite());
    params_free(&params);
    return rc;
}
