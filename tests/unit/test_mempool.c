/* The mempool's policy on a regtest chain: block order, replacement, the
 * per-sender run limit, eviction of the lowest fee rate, re-validation after
 * a block, the cost of eviction and re-validation in a large pool (counted
 * in steps, not timed), and the memory it accounts against the heap it
 * really takes. */
#include "chain_fixture.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/stakingtx.h"
#include "state/arena.h"
#include "tests/arena_fixture.h"

#include <malloc.h>
#include <pthread.h>

static void setup(void)
{
    fixture_setup();
}

static void teardown(void)
{
    fixture_teardown();
}

/* A transfer from a made-up sender, never signed: for mempool_add_unchecked,
 * which takes it without any check. */
static void fake_transfer(struct tx *tx, uint64_t seed, uint64_t nonce, uint64_t fee)
{
    struct transfer t;
    struct wbuf w;
    tx_init(tx);
    tx->type = TX_TRANSFER;
    memset(tx->sender, 0, PUBKEY_SIZE);
    memcpy(tx->sender, &seed, sizeof(seed));
    tx->sender[31] = 0x5a;
    tx->nonce = nonce;
    tx->fee = fee;
    memcpy(t.to, pubs[0], PUBKEY_SIZE);
    t.amount = 1;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    ck_assert(tx_set_payload(tx, w.data, w.len));
    wbuf_free(&w);
}

static void fill_fake(struct mempool *mp, uint64_t from, uint64_t n, uint64_t fee)
{
    for (uint64_t i = from; i < from + n; i++) {
        struct tx tx;
        fake_transfer(&tx, i, 0, fee);
        ck_assert(mempool_add_unchecked(mp, &tx, 0));
        tx_free(&tx);
    }
}

static void add_ok(struct mempool *mp, const struct tx *tx)
{
    struct validation v;
    ck_assert_msg(mempool_add(mp, tx, 0, &v), "%s %s", v.reason, v.detail);
}

static void add_fails(struct mempool *mp, const struct tx *tx, const char *reason)
{
    struct validation v;
    ck_assert(!mempool_add(mp, tx, 0, &v));
    ck_assert_str_eq(v.reason, reason);
}

static bool pooled(struct mempool *mp, const struct tx *tx)
{
    uint8_t txid[HASH_SIZE];
    tx_txid(tx, txid);
    return mempool_has(mp, txid);
}

START_TEST(select_orders_by_fee_rate_and_nonce)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx a0, a1, b0, c0;
    make_transfer(&a0, 0, pubs[3], COIN, 0, 2000);
    make_transfer(&a1, 0, pubs[3], COIN, 1, 50000);
    make_transfer(&b0, 1, pubs[3], COIN, 0, 10000);
    make_transfer(&c0, 2, pubs[3], COIN, 0, 500);
    add_ok(mp, &c0);
    add_ok(mp, &a0);
    add_ok(mp, &a1);
    add_ok(mp, &b0);
    /* b0 pays most among the heads; a1 waits for a0 and then beats c0. */
    const struct tx *want[] = {&b0, &a0, &a1, &c0};
    size_t n;
    const struct mempool_entry **sel = mempool_select(mp, &n);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t txid[HASH_SIZE];
        tx_txid(want[i], txid);
        ck_assert_mem_eq(sel[i]->txid, txid, HASH_SIZE);
    }
    free(sel);
    tx_free(&a0);
    tx_free(&a1);
    tx_free(&b0);
    tx_free(&c0);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* 300 senders with runs of 1..8 transactions at random fee rates: every
 * candidate must be the best first transaction left among all runs, as a
 * plain merge takes them. */
START_TEST(select_is_the_merge_of_the_runs)
{
    enum { SENDERS = 300 };
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    uint64_t seed = 12345;
    size_t total = 0, len[SENDERS], taken[SENDERS];
    uint64_t fees[SENDERS][8];
    for (uint64_t s = 0; s < SENDERS; s++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        len[s] = 1 + (seed >> 33) % 8;
        taken[s] = 0;
        for (uint64_t k = 0; k < len[s]; k++) {
            struct tx tx;
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            fees[s][k] = 200 + (seed >> 33) % 50 * 100; /* many equal rates */
            fake_transfer(&tx, s, k, fees[s][k]);
            ck_assert(mempool_add_unchecked(mp, &tx, 0));
            tx_free(&tx);
            total++;
        }
    }
    /* A few runs leave afterwards (their places in the heaps are refilled). */
    for (uint64_t s = 0; s < SENDERS; s += 37) {
        uint8_t txid[HASH_SIZE];
        struct tx tx;
        fake_transfer(&tx, s, 0, fees[s][0]);
        tx_txid(&tx, txid);
        mempool_remove(mp, txid);
        tx_free(&tx);
        total -= len[s];
        len[s] = 0;
    }
    size_t n;
    const struct mempool_entry **sel = mempool_select(mp, &n);
    ck_assert_uint_eq(n, total);
    for (size_t i = 0; i < n; i++) {
        /* The best head left, by the same rule (rate, then smaller txid). */
        const struct mempool_entry *best = NULL;
        struct tx tx;
        uint8_t txid[HASH_SIZE];
        uint64_t best_s = 0;
        for (uint64_t s = 0; s < SENDERS; s++) {
            if (taken[s] == len[s])
                continue;
            fake_transfer(&tx, s, taken[s], fees[s][taken[s]]);
            tx_txid(&tx, txid);
            const struct mempool_entry *e = mempool_get(mp, txid);
            tx_free(&tx);
            ck_assert_ptr_nonnull(e);
            unsigned __int128 a = (unsigned __int128)e->tx.fee * (best ? best->size : 1),
                              b = (unsigned __int128)(best ? best->tx.fee : 0) * e->size;
            if (!best || a > b || (a == b && memcmp(e->txid, best->txid, HASH_SIZE) < 0)) {
                best = e;
                best_s = s;
            }
        }
        ck_assert_ptr_eq(sel[i], best);
        taken[best_s]++;
    }
    free(sel);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

START_TEST(replacement_needs_the_incremental_fee_and_rechecks_the_run)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx t0, t1, low, ok, drain;
    uint64_t bal = balance_of(c, pubs[0]);
    make_transfer(&t0, 0, pubs[3], COIN, 0, 1000);
    make_transfer(&t1, 0, pubs[3], COIN, 1, 1000);
    add_ok(mp, &t0);
    add_ok(mp, &t1);
    /* The run holds 310 bytes, all applied again: the replacement must pay
     * 310 units more. */
    make_transfer(&low, 0, pubs[3], COIN, 0, 1300);
    add_fails(mp, &low, "insufficient-fee");
    make_transfer(&ok, 0, pubs[3], COIN, 0, 2000);
    add_ok(mp, &ok);
    ck_assert(!pooled(mp, &t0));
    ck_assert(pooled(mp, &t1));
    ck_assert_uint_eq(mempool_count(mp), 2);
    /* A replacement that spends everything leaves nothing for nonce 1. */
    make_transfer(&drain, 0, pubs[3], bal - 5000, 0, 5000);
    add_ok(mp, &drain);
    ck_assert(!pooled(mp, &t1));
    ck_assert_uint_eq(mempool_count(mp), 1);
    ck_assert_uint_eq(mempool_next_nonce(mp, pubs[0]), 1);
    tx_free(&t0);
    tx_free(&t1);
    tx_free(&low);
    tx_free(&ok);
    tx_free(&drain);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* An FL task of about 131 kB (4,096 allowed keys) from validator 3. */
static void big_task(struct tx *tx, uint64_t nonce)
{
    static uint8_t allow[FL_MAX_ALLOW * PUBKEY_SIZE];
    struct fl_task_params t = fixture_fl_task(COIN);
    t.n_allow = FL_MAX_ALLOW;
    t.allow = allow;
    struct wbuf w;
    for (uint32_t i = 0; i < FL_MAX_ALLOW; i++)
        write_be64(allow + (size_t)i * PUBKEY_SIZE, (uint64_t)i + 1);
    wbuf_init(&w);
    fl_task_params_encode(&t, &w);
    make_tx_sec(tx, secrets[3], TX_FL_TASK_CREATE, &w, nonce, 2 * (uint64_t)w.len);
    wbuf_free(&w);
}

/* Every transaction a sender adds or replaces makes the pool apply the
 * sender's pooled run again.  Without a bound on the run's bytes and a
 * replacement fee on them, 63 pooled 131 kB tasks followed by a transfer
 * replaced again and again at 155 units more each time made the pool apply
 * 16 MB for each 155 units. */
START_TEST(replacement_pays_for_the_run_it_rechecks)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx tx, tail, rep;
    size_t n = 0, run = 0;
    for (;; n++) {
        big_task(&tx, n);
        struct validation v;
        bool ok = mempool_add(mp, &tx, 0, &v);
        size_t sz = tx_encoded_size(&tx);
        tx_free(&tx);
        if (!ok) {
            ck_assert_str_eq(v.reason, "too-long-mempool-chain");
            break;
        }
        run += sz;
        ck_assert_uint_lt(n, MEMPOOL_MAX_RUN - 1);
    }
    ck_assert_msg(run <= MEMPOOL_MAX_RUN_BYTES, "a run of %zu tasks, %zu bytes, was pooled", n, run);
    make_transfer(&tail, 3, pubs[1], COIN, n, 1000);
    add_ok(mp, &tail);
    run += tx_encoded_size(&tail);
    /* The old rule: 155 units more than the replaced transfer. */
    make_transfer(&rep, 3, pubs[1], COIN, n, 1000 + 155);
    add_fails(mp, &rep, "insufficient-fee");
    tx_free(&rep);
    make_transfer(&rep, 3, pubs[1], COIN, n, 1000 + run);
    add_ok(mp, &rep);
    ck_assert(!pooled(mp, &tail));
    tx_free(&rep);
    tx_free(&tail);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

START_TEST(run_limit_per_sender)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx tx;
    for (uint64_t i = 0; i < MEMPOOL_MAX_RUN; i++) {
        make_transfer(&tx, 1, pubs[2], COIN, i, 1000);
        add_ok(mp, &tx);
        tx_free(&tx);
    }
    make_transfer(&tx, 1, pubs[2], COIN, MEMPOOL_MAX_RUN, 1000);
    add_fails(mp, &tx, "too-long-mempool-chain");
    tx_free(&tx);
    ck_assert_uint_eq(mempool_count(mp), MEMPOOL_MAX_RUN);
    /* A replacement inside a full run is still allowed, paying the
     * incremental fee on the run's 64 x 155 bytes. */
    make_transfer(&tx, 1, pubs[2], COIN, 10, 1000 + MEMPOOL_MAX_RUN * 155 - 1);
    add_fails(mp, &tx, "insufficient-fee");
    tx_free(&tx);
    make_transfer(&tx, 1, pubs[2], COIN, 10, 1000 + MEMPOOL_MAX_RUN * 155);
    add_ok(mp, &tx);
    tx_free(&tx);
    ck_assert_uint_eq(mempool_count(mp), MEMPOOL_MAX_RUN);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

START_TEST(eviction_takes_the_lowest_fee_rate)
{
    struct chain *c = open_chain();
    struct mempool *probe = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    /* 200 senders paying 1000..200,000 (in a scrambled order); the limit
     * is what they take, so anything new pushes the cheapest out. */
    enum { N = 200 };
    for (uint64_t i = 0; i < N; i++) {
        struct tx tx;
        fake_transfer(&tx, i, 0, 1000 * (1 + (i * 73) % N));
        ck_assert(mempool_add_unchecked(probe, &tx, 0));
        tx_free(&tx);
    }
    size_t limit = mempool_usage(probe);
    mempool_free(probe);

    struct mempool *mp = mempool_new(c, limit, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    for (uint64_t i = 0; i < N; i++) {
        struct tx tx;
        fake_transfer(&tx, i, 0, 1000 * (1 + (i * 73) % N));
        ck_assert(mempool_add_unchecked(mp, &tx, 0));
        tx_free(&tx);
    }
    ck_assert_uint_eq(mempool_usage(mp), limit);
    struct tx big;
    make_transfer(&big, 0, pubs[3], COIN, 0, 1000000);
    add_ok(mp, &big);
    ck_assert(mempool_usage(mp) <= limit);
    size_t left = mempool_count(mp);
    ck_assert_uint_lt(left, N + 1);
    /* Exactly the cheapest went: every fee below the cheapest kept one. */
    size_t n;
    uint64_t min_kept = UINT64_MAX;
    const struct mempool_entry **all = mempool_entries(mp, &n);
    for (size_t i = 0; i < n; i++)
        if (all[i]->tx.fee < min_kept)
            min_kept = all[i]->tx.fee;
    free(all);
    size_t evicted = N + 1 - left;
    ck_assert_uint_eq(min_kept, 1000 * (evicted + 1));
    /* The fee rate needed now is above the evicted ones. */
    ck_assert_uint_gt(mempool_required_fee_rate(mp), 1000 * evicted * 1000 / 155);
    /* A newcomer paying less than that is refused. */
    struct tx cheap;
    make_transfer(&cheap, 1, pubs[3], COIN, 0, 1000);
    add_fails(mp, &cheap, "min-fee-not-met");
    tx_free(&cheap);
    tx_free(&big);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* A sender's later transactions are mined only after its first ones, so a
 * high fee on the last cannot keep a cheap run pooled: eviction goes by the
 * lowest fee rate in a run, the order blocks take it.  Keyed by the last
 * transaction alone, 200 runs of a minimum-fee transaction and a small one
 * paying 1,000 times that, which blocks would take last and which cost
 * nothing while they wait, kept out a transfer paying twice the minimum
 * ("mempool-full"), and raised the fee rate required to 1,000 times the
 * minimum. */
START_TEST(eviction_follows_the_order_blocks_take)
{
    enum { N = 200 };
    struct chain *c = open_chain();
    struct mempool *probe = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    struct mempool *mp = NULL;
    for (int round = 0; round < 2; round++) {
        struct mempool *m = round ? mp : probe;
        for (uint64_t i = 0; i < N; i++) {
            struct tx tx;
            fake_transfer(&tx, i, 0, 155);            /* 1,000 units/kB */
            ck_assert(mempool_add_unchecked(m, &tx, 0));
            tx_free(&tx);
            fake_transfer(&tx, i, 1, 155 * 1000);     /* 1,000,000 units/kB */
            ck_assert(mempool_add_unchecked(m, &tx, 0));
            tx_free(&tx);
        }
        if (!round) {
            mp = mempool_new(c, mempool_usage(probe), MEMPOOL_DEFAULT_MIN_FEE_RATE);
            mempool_free(probe);
        }
    }
    struct tx honest;
    make_transfer(&honest, 0, pubs[3], COIN, 0, 2 * 155);
    add_ok(mp, &honest);
    ck_assert(mempool_usage(mp) <= mempool_max_bytes(mp));
    ck_assert_uint_lt(mempool_required_fee_rate(mp), 10000);
    /* The honest transfer comes first in a block. */
    size_t n;
    const struct mempool_entry **sel = mempool_select(mp, &n);
    ck_assert_uint_gt(n, 0);
    ck_assert(sel[0]->tx.nonce == 0 && memcmp(sel[0]->tx.sender, pubs[0], PUBKEY_SIZE) == 0);
    free(sel);
    tx_free(&honest);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

START_TEST(block_rechecks_the_senders_it_touched)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx a0, a1, b0, b0x, c0;
    make_transfer(&a0, 0, pubs[3], COIN, 0, 1000);
    make_transfer(&a1, 0, pubs[3], COIN, 1, 1000);
    make_transfer(&b0, 1, pubs[3], COIN, 0, 1000);
    make_transfer(&b0x, 1, pubs[3], 2 * COIN, 0, 1000); /* the same nonce, elsewhere */
    make_transfer(&c0, 2, pubs[3], COIN, 0, 1000);
    add_ok(mp, &a0);
    add_ok(mp, &a1);
    add_ok(mp, &b0);
    add_ok(mp, &c0);
    /* The next block comes from another pool: a0 (as ours) and b0x. */
    add_ok(other, &a0);
    add_ok(other, &b0x);
    produce(c, other);
    ck_assert_uint_eq(nonce_of(c, pubs[0]), 1);
    ck_assert_uint_eq(nonce_of(c, pubs[1]), 1);
    ck_assert(!pooled(mp, &a0));  /* mined */
    ck_assert(pooled(mp, &a1));   /* still applies after a0 */
    ck_assert(!pooled(mp, &b0));  /* its nonce went to b0x */
    ck_assert(pooled(mp, &c0));   /* untouched */
    ck_assert_uint_eq(mempool_count(mp), 2);
    ck_assert_uint_eq(mempool_next_nonce(mp, pubs[0]), 2);
    ck_assert_uint_eq(mempool_next_nonce(mp, pubs[1]), 1);
    /* The next block from our pool takes what is left. */
    produce(c, mp);
    ck_assert_uint_eq(mempool_count(mp), 0);
    ck_assert_uint_eq(nonce_of(c, pubs[0]), 2);
    ck_assert_uint_eq(nonce_of(c, pubs[2]), 1);
    tx_free(&a0);
    tx_free(&a1);
    tx_free(&b0);
    tx_free(&b0x);
    tx_free(&c0);
    mempool_free(other);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* A block that mines the first transaction of senders whose pooled runs
 * hold a staking or FL transaction must not make the pool apply those runs
 * again (what depends on others' state is checked in the next block's
 * candidates and in rotation): with 20,000 such senders in a block, 63
 * transactions each, that was 1.26 million applications per block, 63 times
 * the block's own.  A run whose next nonce a block transaction with other
 * content took is checked again (its later transactions may still apply),
 * within the budget of MEMPOOL_RECHECK_TXS per block, and dropped without
 * applying
 * anything past a per-block budget. */
START_TEST(mined_heads_do_not_reapply_the_runs)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx tx, conflict;
    struct wbuf w;
    /* Each validator: a transfer, a stake addition, 62 transfers. */
    for (int k = 0; k < 4; k++) {
        for (uint64_t i = 0; i < MEMPOOL_MAX_RUN; i++) {
            if (i == 1) {
                wbuf_init(&w);
                stake_amount_encode(COIN, &w);
                make_tx_sec(&tx, secrets[k], TX_STAKE_ADD, &w, i, 1000);
                wbuf_free(&w);
            } else {
                make_transfer(&tx, k, pubs[(k + 1) % 4], COIN, i, 1000);
            }
            add_ok(mp, &tx);
            if (i == 0 && k < 3)
                add_ok(other, &tx);
            tx_free(&tx);
        }
    }
    /* Validator 3's nonce 0 goes to another transaction. */
    make_transfer(&conflict, 3, pubs[0], 2 * COIN, 0, 1000);
    add_ok(other, &conflict);
    ck_assert_uint_eq(mempool_count(mp), 4 * MEMPOOL_MAX_RUN);
    uint64_t before = mempool_work(mp);
    produce(c, other);
    uint64_t work = mempool_work(mp) - before;
    for (int k = 0; k < 3; k++)
        ck_assert_uint_eq(mempool_next_nonce(mp, pubs[k]), MEMPOOL_MAX_RUN);
    /* Its later ones still apply after the conflict: checked, kept. */
    ck_assert_uint_eq(mempool_next_nonce(mp, pubs[3]), MEMPOOL_MAX_RUN);
    ck_assert_uint_eq(mempool_count(mp), 4 * (MEMPOOL_MAX_RUN - 1));
    /* One run applied again (the conflict's) and the rotation's pass over
     * the four runs with a stake addition, not the three mined ones too:
     * 1,050 steps before. */
    ck_assert_msg(work < 6 * MEMPOOL_MAX_RUN, "a block of 4 transactions took %llu steps",
                  (unsigned long long)work);
    tx_free(&conflict);
    mempool_free(other);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

static void transfer_sec(struct tx *tx, const uint8_t sec[SECKEY_SIZE], const uint8_t to[PUBKEY_SIZE],
                         uint64_t amount, uint64_t nonce, uint64_t fee)
{
    struct transfer t;
    struct wbuf w;
    memcpy(t.to, to, PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    make_tx_sec(tx, sec, TX_TRANSFER, &w, nonce, fee);
    wbuf_free(&w);
}

/* A block whose transactions take the nonces of many pooled runs with other
 * content makes the pool check those runs again only within the per-block
 * budget (MEMPOOL_RECHECK_TXS); the others go without being applied. */
START_TEST(conflicts_are_rechecked_within_a_budget)
{
    enum { K = 72 }; /* 72 senders x 64 = 4,608 pooled, above the budget */
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    static uint8_t sec[K][SECKEY_SIZE], pub[K][PUBKEY_SIZE];
    struct tx tx;
    for (int k = 0; k < K; k++) {
        randombytes_buf(sec[k], SECKEY_SIZE);
        ck_assert(key_pubkey(pub[k], sec[k]));
        make_transfer(&tx, k % 4, pub[k], 1000 * COIN, (uint64_t)(k / 4), 1000);
        add_ok(other, &tx);
        tx_free(&tx);
    }
    produce(c, other);
    ck_assert_uint_eq(mempool_count(other), 0);
    for (int k = 0; k < K; k++) {
        for (uint64_t i = 0; i < MEMPOOL_MAX_RUN; i++) {
            transfer_sec(&tx, sec[k], pubs[0], COIN, i, 1000);
            add_ok(mp, &tx);
            tx_free(&tx);
        }
        transfer_sec(&tx, sec[k], pubs[1], COIN, 0, 1000); /* another nonce 0 */
        add_ok(other, &tx);
        tx_free(&tx);
    }
    uint64_t before = mempool_work(mp);
    produce(c, other);
    uint64_t work = mempool_work(mp) - before;
    size_t kept = 0;
    for (int k = 0; k < K; k++) {
        uint64_t next = mempool_next_nonce(mp, pub[k]);
        ck_assert(next == 1 || next == MEMPOOL_MAX_RUN);
        kept += next == MEMPOOL_MAX_RUN;
    }
    ck_assert_uint_eq(kept, MEMPOOL_RECHECK_TXS / MEMPOOL_MAX_RUN);
    ck_assert_msg(work < MEMPOOL_RECHECK_TXS + 6 * K, "%d conflicts took %llu steps", K,
                  (unsigned long long)work);
    mempool_free(other);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

START_TEST(context_transactions_are_rechecked_after_a_block)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx del, drain, ghost, plain;
    struct wbuf w;
    /* Validator 2 delegates to validator 0 from our pool; a block from
     * another pool empties validator 2's balance first. */
    wbuf_init(&w);
    put_bytes(&w, pubs[0], PUBKEY_SIZE);
    put_u64(&w, COIN);
    make_tx_sec(&del, secrets[2], TX_DELEGATE, &w, 0, 2000);
    add_ok(mp, &del);
    /* A delegation no block touches, which does not apply (its sender has
     * nothing): the rotation over non-transfer runs finds it. */
    tx_init(&ghost);
    ghost.type = TX_DELEGATE;
    memset(ghost.sender, 0x77, PUBKEY_SIZE);
    ghost.fee = 2000;
    ck_assert(tx_set_payload(&ghost, w.data, w.len));
    wbuf_free(&w);
    ck_assert(mempool_add_unchecked(mp, &ghost, 0));
    fake_transfer(&plain, 7, 0, 1000);
    ck_assert(mempool_add_unchecked(mp, &plain, 0));
    ck_assert_uint_eq(mempool_count(mp), 3);

    make_transfer(&drain, 2, pubs[3], balance_of(c, pubs[2]) - 5000, 0, 5000);
    add_ok(other, &drain);
    produce(c, other);
    ck_assert(!pooled(mp, &del));
    ck_assert(!pooled(mp, &ghost));
    /* A transfer run depends on its sender's account only: a block that
     * does not touch the sender does not look at it. */
    ck_assert(pooled(mp, &plain));
    ck_assert_uint_eq(mempool_count(mp), 1);
    tx_free(&del);
    tx_free(&drain);
    tx_free(&ghost);
    tx_free(&plain);
    mempool_free(other);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* Transactions other than transfers that a block made invalid (here pooled
 * unchecked: delegations from senders with nothing) must not keep the next
 * block from taking valid ones.  They are re-checked in rotation only, a
 * few thousand per block, while block building takes the pool's best twice
 * a block's limits: 45,000 of them at a higher fee rate than an honest
 * transfer would keep it out of blocks for ten blocks, costing their sender
 * nothing, as they are never mined. */
START_TEST(stale_context_transactions_do_not_crowd_out_valid_ones)
{
    enum { N = 45000 };
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx ghost, honest, tick;
    struct wbuf w;
    wbuf_init(&w);
    put_bytes(&w, pubs[0], PUBKEY_SIZE);
    put_u64(&w, COIN);
    tx_init(&ghost);
    ghost.type = TX_DELEGATE;
    ghost.fee = 50000;
    ck_assert(tx_set_payload(&ghost, w.data, w.len));
    wbuf_free(&w);
    for (uint64_t i = 0; i < N; i++) {
        memset(ghost.sender, 0x66, PUBKEY_SIZE);
        memcpy(ghost.sender, &i, sizeof(i));
        ck_assert(mempool_add_unchecked(mp, &ghost, 0));
    }
    make_transfer(&honest, 1, pubs[3], COIN, 0, 1000);
    add_ok(mp, &honest);
    /* A block from elsewhere: the tip moves on. */
    make_transfer(&tick, 2, pubs[3], COIN, 0, 1000);
    add_ok(other, &tick);
    produce(c, other);
    uint64_t before = mempool_work(mp);
    produce(c, mp);
    ck_assert_msg(nonce_of(c, pubs[1]) == 1,
                  "the honest transfer was left out of the block (%zu stale pooled)",
                  mempool_count(mp));
    /* What the next block would take was checked, and the invalid ones left:
     * each at most once, so the work is that of the ones that left. */
    ck_assert_uint_lt(mempool_count(mp), N - 40000);
    fprintf(stderr, "stale_context: %llu steps, %zu left pooled\n",
            (unsigned long long)(mempool_work(mp) - before), mempool_count(mp));
    tx_free(&ghost);
    tx_free(&honest);
    tx_free(&tick);
    mempool_free(other);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* The same between two blocks: transactions that each apply to the tip on
 * their own but not after better ones of other senders (joins to an FL task
 * with one place left) enter after a block; the next block is built before
 * any tip change could drop them.  Block candidates skip what does not
 * apply, so the block still fills with valid transactions. */
START_TEST(block_candidates_skip_what_does_not_apply)
{
    enum { N = 45000 };
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx ghost, honest;
    struct wbuf w;
    wbuf_init(&w);
    put_bytes(&w, pubs[0], PUBKEY_SIZE);
    put_u64(&w, COIN);
    tx_init(&ghost);
    ghost.type = TX_DELEGATE;
    ghost.fee = 50000;
    ck_assert(tx_set_payload(&ghost, w.data, w.len));
    wbuf_free(&w);
    for (uint64_t i = 0; i < N; i++) {
        memset(ghost.sender, 0x65, PUBKEY_SIZE);
        memcpy(ghost.sender, &i, sizeof(i));
        ck_assert(mempool_add_unchecked(mp, &ghost, 0));
    }
    make_transfer(&honest, 1, pubs[3], COIN, 0, 1000);
    add_ok(mp, &honest);
    size_t n;
    const struct mempool_entry **sel = mempool_select(mp, &n);
    ck_assert_msg(n == 1 && memcmp(sel[0]->tx.sender, pubs[1], PUBKEY_SIZE) == 0,
                  "%zu candidates, the first from another sender", n);
    free(sel);
    produce(c, mp);
    ck_assert_uint_eq(nonce_of(c, pubs[1]), 1);
    tx_free(&ghost);
    tx_free(&honest);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* Joins to an FL task with two places, from eight funded senders: each
 * applies to the tip on its own, so all enter the pool, but only the best
 * two can be mined; block candidates hold those two, and after the block
 * the others are gone. */
START_TEST(joins_beyond_a_task_s_places_are_not_candidates)
{
    enum { K = 8 };
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    static uint8_t sec[K][SECKEY_SIZE], pub[K][PUBKEY_SIZE];
    struct fl_task_params t = {
        .spec = {.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {3, 1}},
        .rounds = 4,
        .min_participants = 2,
        .max_participants = 2,
        .min_stake = 1,
        .proposer_slots = 1,
        .join_blocks = 20,
        .submit_blocks = 2,
        .update_reveal_blocks = 2,
        .commit_blocks = 2,
        .reveal_blocks = 2,
        .aggregator = FL_AGG_FEDAVG,
        .slash_bps = 2000,
        .voter_reward_bps = 2500,
        .budget = COIN,
    };
    struct fl_join j = {.stake = 1};
    struct tx tx, honest;
    struct wbuf w;
    wbuf_init(&w);
    fl_task_params_encode(&t, &w);
    make_tx_sec(&tx, secrets[0], TX_FL_TASK_CREATE, &w, 0, 10 * (uint64_t)w.len);
    wbuf_free(&w);
    add_ok(other, &tx);
    tx_txid(&tx, j.task);
    tx_free(&tx);
    for (int k = 0; k < K; k++) {
        randombytes_buf(sec[k], SECKEY_SIZE);
        ck_assert(key_pubkey(pub[k], sec[k]));
        make_transfer(&tx, 1, pub[k], 10 * COIN, (uint64_t)k, 1000);
        add_ok(other, &tx);
        tx_free(&tx);
    }
    produce(c, other);
    ck_assert_uint_eq(mempool_count(other), 0);
    for (int k = 0; k < K; k++) {
        wbuf_init(&w);
        fl_join_encode(&j, &w);
        make_tx_sec(&tx, sec[k], TX_FL_JOIN, &w, 0, 1000 * (uint64_t)(k + 1));
        wbuf_free(&w);
        /* The pool counts its joins per task: past the task's two places
         * a join is refused, whoever sends it. */
        if (k < 2)
            add_ok(mp, &tx);
        else
            add_fails(mp, &tx, "mempool-fl-full");
        tx_free(&tx);
    }
    make_transfer(&honest, 2, pubs[3], COIN, 0, 1000);
    add_ok(mp, &honest);
    ck_assert_uint_eq(mempool_count(mp), 3);
    size_t n, joins = 0;
    const struct mempool_entry **sel = mempool_select(mp, &n);
    for (size_t i = 0; i < n; i++)
        joins += sel[i]->tx.type == TX_FL_JOIN;
    free(sel);
    ck_assert_msg(joins == 2, "%zu joins among %zu candidates for a task with 2 places", joins, n);
    produce(c, mp);
    ck_assert_uint_eq(nonce_of(c, pub[0]), 1);
    ck_assert_uint_eq(nonce_of(c, pub[1]), 1);
    ck_assert_uint_eq(nonce_of(c, pub[2]), 0);
    ck_assert_uint_eq(nonce_of(c, pubs[2]), 1);
    ck_assert_uint_eq(mempool_count(mp), 0);
    tx_free(&honest);
    mempool_free(other);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* First ARENA_STAKEs of different senders compete for a task's seats of
 * their role, each applying to the tip on its own: the pool counts them per
 * task and role and refuses those past the seats left, so a flood of them
 * (never mined, so free to their senders) is neither pooled nor relayed. */
static void arena_stake_tx(struct tx *tx, const uint8_t sec[SECKEY_SIZE], const uint8_t task[32],
                           uint8_t role, uint64_t nonce, uint64_t fee)
{
    struct wbuf w;
    wbuf_init(&w);
    fixture_arena_stake_payload(&w, task, role, 10 * COIN); /* the fixture's minimum */
    make_tx_sec(tx, sec, TX_ARENA_STAKE, &w, nonce, fee);
    wbuf_free(&w);
}

START_TEST(arena_first_stakes_beyond_the_seats_are_not_pooled)
{
    enum { K = 8 };
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    static uint8_t sec[K][SECKEY_SIZE], pub[K][PUBKEY_SIZE];
    struct arena_task_params t = fixture_arena_task(10 * COIN);
    uint8_t task[32];
    struct tx tx, honest;
    struct wbuf w;
    t.max_trainers = 2;
    t.max_validators = 1;
    wbuf_init(&w);
    fixture_arena_create_payload(&w, &t);
    make_tx_sec(&tx, secrets[0], TX_ARENA_TASK_CREATE, &w, 0, 10 * (uint64_t)w.len);
    wbuf_free(&w);
    add_ok(mp, &tx);
    tx_txid(&tx, task);
    tx_free(&tx);
    for (int k = 0; k < K; k++) {
        randombytes_buf(sec[k], SECKEY_SIZE);
        ck_assert(key_pubkey(pub[k], sec[k]));
        make_transfer(&tx, 1, pub[k], 30 * COIN, (uint64_t)k, 1000);
        add_ok(mp, &tx);
        tx_free(&tx);
    }
    produce(c, mp);
    ck_assert_uint_eq(mempool_count(mp), 0);
    size_t refused = 0;
    for (int k = 0; k < K - 1; k++) {
        struct validation v;
        arena_stake_tx(&tx, sec[k], task, ARENA_ROLE_TRAINER, 0, 1000 * (uint64_t)(k + 1));
        bool ok = mempool_add(mp, &tx, 0, &v);
        tx_free(&tx);
        if (k < 2) {
            ck_assert_msg(ok, "%s %s", v.reason, v.detail);
            continue;
        }
        ck_assert_msg(!ok, "first stake %d of %d accepted into a task with 2 trainer seats", k + 1,
                      K - 1);
        ck_assert_str_eq(v.reason, "arena-task-full");
        ck_assert_int_eq(v.cls, VAL_POLICY);
        refused++;
    }
    ck_assert_uint_eq(refused, K - 3);
    /* A second stake of a sender whose first is pooled takes no seat; a
     * replacement of a first stake does not count the one it replaces. */
    arena_stake_tx(&tx, sec[0], task, ARENA_ROLE_TRAINER, 1, 1000);
    add_ok(mp, &tx);
    tx_free(&tx);
    arena_stake_tx(&tx, sec[1], task, ARENA_ROLE_TRAINER, 0, 100000);
    add_ok(mp, &tx);
    tx_free(&tx);
    /* The validators' seat is counted apart. */
    arena_stake_tx(&tx, sec[K - 1], task, ARENA_ROLE_VALIDATOR, 0, 1000);
    add_ok(mp, &tx);
    tx_free(&tx);
    arena_stake_tx(&tx, sec[2], task, ARENA_ROLE_VALIDATOR, 0, 1000);
    add_fails(mp, &tx, "arena-task-full");
    tx_free(&tx);
    make_transfer(&honest, 2, pubs[3], COIN, 0, 1000);
    add_ok(mp, &honest);
    ck_assert_uint_eq(mempool_count(mp), 5);
    produce(c, mp);
    ck_assert_uint_eq(mempool_count(mp), 0);
    ck_assert_uint_eq(nonce_of(c, pub[0]), 2);
    ck_assert_uint_eq(nonce_of(c, pub[1]), 1);
    ck_assert_uint_eq(nonce_of(c, pub[K - 1]), 1);
    ck_assert_uint_eq(nonce_of(c, pubs[2]), 1);
    /* Seats taken on chain: the pool counts from what is left. */
    arena_stake_tx(&tx, sec[3], task, ARENA_ROLE_TRAINER, 0, 1000);
    add_fails(mp, &tx, "arena-task-full");
    tx_free(&tx);
    tx_free(&honest);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* 20,000 one-transaction senders fill the pool; one more transaction that
 * forces eviction, then a block, must each cost a number of steps that grows
 * with the logarithm of the pool, not with the pool. */
START_TEST(eviction_and_recheck_cost_stays_logarithmic)
{
    enum { N = 20000 };
    struct chain *c = open_chain();
    struct mempool *probe = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    fill_fake(probe, 0, N, 1000);
    size_t limit = mempool_usage(probe);
    mempool_free(probe);

    struct mempool *mp = mempool_new(c, limit, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    fill_fake(mp, 0, N, 1000);
    struct tx tx, mined;
    make_transfer(&tx, 0, pubs[3], COIN, 0, 100000);
    uint64_t before = mempool_work(mp);
    add_ok(mp, &tx);
    uint64_t add_work = mempool_work(mp) - before;
    ck_assert_uint_lt(mempool_count(mp), N + 1);
    ck_assert_msg(add_work < 400, "admitting one transaction took %llu steps in a pool of %d",
                  (unsigned long long)add_work, N);

    make_transfer(&mined, 1, pubs[3], COIN, 0, 1000);
    add_ok(other, &mined);
    before = mempool_work(mp);
    produce(c, other);
    uint64_t block_work = mempool_work(mp) - before;
    ck_assert_msg(block_work < 400, "a block of one transaction took %llu steps in a pool of %d",
                  (unsigned long long)block_work, N);
    ck_assert(pooled(mp, &tx));
    tx_free(&tx);
    tx_free(&mined);
    mempool_free(other);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* The usage the pool reports is what the heap grew by while filling it, not
 * the transactions' encoded bytes (a third of it). */
START_TEST(usage_counts_the_heap)
{
    enum { N = 50000 };
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    struct tx tx;
    fake_transfer(&tx, UINT64_MAX, 0, 1000); /* built once: no heap of its own later */
    size_t base = heap_in_use(), usage0 = mempool_usage(mp);
    for (uint64_t i = 0; i < N; i++) {
        memcpy(tx.sender, &i, sizeof(i));
        ck_assert(mempool_add_unchecked(mp, &tx, 0));
    }
    /* Half the senders get a second transaction (run arrays grow). */
    for (uint64_t i = 0; i < N; i += 2) {
        memcpy(tx.sender, &i, sizeof(i));
        tx.nonce = 1;
        ck_assert(mempool_add_unchecked(mp, &tx, 0));
    }
    double grown = (double)(heap_in_use() - base);
    double counted = (double)(mempool_usage(mp) - usage0);
    fprintf(stderr, "usage_counts_the_heap: heap grew %.0f bytes, usage %.0f (%.2fx), tx bytes %zu\n",
            grown, counted, counted / grown, mempool_bytes(mp));
    if (grown > 0)
        ck_assert_msg(counted >= 0.9 * grown && counted <= 1.25 * grown,
                      "usage %.0f against heap growth %.0f", counted, grown);
    else /* an allocator without mallinfo2 (valgrind, sanitizers): the bytes
          * the transactions need at the least (entry, payload, two keys) */
        ck_assert_msg(counted >= (double)N * 3 / 2 * 300, "usage %.0f", counted);
    tx_free(&tx);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* Offers tx to both pools, the second without the runs' applied accounts:
 * the same verdict.  True when accepted. */
static bool add_both(struct mempool *mp, struct mempool *ref, const struct tx *tx)
{
    struct validation v, w;
    bool ok = mempool_add(mp, tx, 0, &v), ref_ok = mempool_add(ref, tx, 0, &w);
    ck_assert_msg(ok == ref_ok, "%s with the applied account, %s without (%s / %s)",
                  ok ? "accepted" : "refused", ref_ok ? "accepted" : "refused", v.reason,
                  w.reason);
    if (!ok)
        ck_assert_str_eq(v.reason, w.reason);
    ck_assert_uint_eq(mempool_count(mp), mempool_count(ref));
    return ok;
}

/* A transfer appended to a sender's run of transfers is applied on the
 * account the run left, never on one a block or a change of the run made
 * stale: a block crediting the sender (its run untouched), a removal, and a
 * replacement that spends more each change what the next transfer may
 * spend.  A second pool without the applied accounts gives the same
 * verdicts. */
START_TEST(applied_account_is_never_stale)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *ref = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx t0, t1, t2, cr, t1b, t1x, t2y;
    uint8_t txid[HASH_SIZE];
    mempool_set_run_cache(ref, false);
    uint64_t bal = balance_of(c, pubs[1]);
    /* Validator 1's run leaves it about 1 coin. */
    make_transfer(&t0, 1, pubs[3], bal - 2 * COIN, 0, 1000);
    make_transfer(&t1, 1, pubs[3], COIN, 1, 1000);
    ck_assert(add_both(mp, ref, &t0));
    ck_assert(add_both(mp, ref, &t1));
    make_transfer(&t2, 1, pubs[3], 3 * COIN, 2, 1000);
    ck_assert(!add_both(mp, ref, &t2)); /* not yet */
    /* A block credits validator 1 with 5 coins and leaves its run alone. */
    make_transfer(&cr, 2, pubs[1], 5 * COIN, 0, 1000);
    add_ok(other, &cr);
    produce(c, other);
    ck_assert_uint_eq(mempool_count(mp), 2);
    ck_assert(add_both(mp, ref, &t2)); /* the credit pays for it */
    /* A removal: t1 and t2 go; nonce 1 is next again. */
    tx_txid(&t1, txid);
    mempool_remove(mp, txid);
    mempool_remove(ref, txid);
    ck_assert_uint_eq(mempool_count(mp), 1);
    make_transfer(&t1b, 1, pubs[3], COIN / 2, 1, 1000);
    ck_assert(add_both(mp, ref, &t1b));
    /* A replacement spending 4 coins instead of half of one: 3.5 coins
     * less are left than the run before it left. */
    make_transfer(&t1x, 1, pubs[3], 4 * COIN, 1, 5000);
    ck_assert(add_both(mp, ref, &t1x));
    uint64_t left = balance_of(c, pubs[1]) - (bal - 2 * COIN) - 1000 - 4 * COIN - 5000 - 1000;
    make_transfer(&t2y, 1, pubs[3], left + 1, 2, 1000);
    ck_assert(!add_both(mp, ref, &t2y));
    struct validation v;
    ck_assert(!mempool_add(mp, &t2y, 0, &v));
    ck_assert_str_eq(v.reason, "bad-txns-insufficient-funds");
    tx_free(&t0);
    tx_free(&t1);
    tx_free(&t2);
    tx_free(&cr);
    tx_free(&t1b);
    tx_free(&t1x);
    tx_free(&t2y);
    mempool_free(other);
    mempool_free(ref);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* Random appends (some spending more than is left), replacements, removals
 * and blocks (from the pool itself, or crediting the senders from
 * elsewhere): the pool with the runs' applied accounts gives every verdict
 * of the pool without them. */
START_TEST(applied_accounts_give_the_same_verdicts)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *ref = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    uint64_t seed = 777, accepted = 0, refused = 0;
    uint64_t fee[3][MEMPOOL_MAX_RUN] = {{0}};
    mempool_set_run_cache(ref, false);
    for (int step = 0; step < 240; step++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int who = (int)((seed >> 33) % 3), op = (int)((seed >> 40) % 16);
        uint64_t base = nonce_of(c, pubs[who]), next = mempool_next_nonce(ref, pubs[who]);
        uint64_t bal = balance_of(c, pubs[who]);
        struct tx tx;
        if (op == 0) { /* a block from the pool */
            produce(c, mp);
            continue;
        }
        if (op == 1) { /* a block crediting the sender from elsewhere */
            make_transfer(&tx, 3, pubs[who], COIN + (seed >> 20) % COIN,
                          mempool_next_nonce(other, pubs[3]), 1000);
            add_ok(other, &tx);
            tx_free(&tx);
            produce(c, other);
            continue;
        }
        if (op == 2 && next > base) { /* a removal */
            uint64_t at = base + (seed >> 45) % (next - base);
            size_t n;
            const struct mempool_entry **all = mempool_entries(ref, &n);
            for (size_t i = 0; i < n; i++)
                if (memcmp(all[i]->tx.sender, pubs[who], PUBKEY_SIZE) == 0 &&
                    all[i]->tx.nonce == at) {
                    uint8_t txid[HASH_SIZE];
                    memcpy(txid, all[i]->txid, HASH_SIZE);
                    mempool_remove(mp, txid);
                    mempool_remove(ref, txid);
                    break;
                }
            free(all);
            ck_assert_uint_eq(mempool_count(mp), mempool_count(ref));
            continue;
        }
        /* An append, or (op 3) a replacement paying more; amounts up to a
         * third of the balance, so runs run dry now and then. */
        uint64_t nonce = next, f = 1000;
        if (op == 3 && next > base) {
            nonce = base + (seed >> 45) % (next - base);
            f = fee[who][(nonce - base) % MEMPOOL_MAX_RUN] * 3;
        }
        if (nonce - base >= MEMPOOL_MAX_RUN)
            continue;
        make_transfer(&tx, who, pubs[(who + 1) % 4], 1 + (seed >> 7) % (bal / 3 + 1), nonce, f);
        if (add_both(mp, ref, &tx)) {
            fee[who][(nonce - base) % MEMPOOL_MAX_RUN] = f;
            accepted++;
        } else {
            refused++;
        }
        tx_free(&tx);
    }
    ck_assert_msg(accepted > 40 && refused > 10, "%llu accepted, %llu refused",
                  (unsigned long long)accepted, (unsigned long long)refused);
    mempool_free(other);
    mempool_free(ref);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

/* The readers that run without the node lock: next_nonce past the pooled
 * run, and past a pooled transaction that a block just took while the
 * caller's account nonce is still that of the tip before (the read view is
 * published after the pool's update), until the next activation; a copy of
 * a pooled transaction by txid. */
START_TEST(readers_without_the_node_lock)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct mempool *other = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    struct tx a0, a1, copy, cr;
    uint8_t txid[HASH_SIZE], none[HASH_SIZE] = {0};
    uint64_t t;
    bool oom;
    make_transfer(&a0, 0, pubs[3], COIN, 0, 1000);
    make_transfer(&a1, 0, pubs[3], COIN, 1, 1000);
    add_ok(mp, &a0);
    add_ok(mp, &a1);
    ck_assert_uint_eq(mempool_next_nonce_after(mp, pubs[0], 0), 2);
    ck_assert_uint_eq(mempool_next_nonce_after(mp, pubs[1], 0), 0);
    ck_assert_uint_eq(mempool_next_nonce_after(mp, pubs[1], 7), 7);
    tx_txid(&a1, txid);
    tx_init(&copy);
    ck_assert(mempool_lookup(mp, txid, &copy, &t, &oom));
    uint8_t again[HASH_SIZE];
    tx_txid(&copy, again);
    ck_assert_mem_eq(again, txid, HASH_SIZE);
    tx_free(&copy);
    ck_assert(!mempool_lookup(mp, none, &copy, &t, &oom) && !oom);
    /* A block takes both: the run goes, the mined nonce stays known. */
    produce(c, mp);
    ck_assert_uint_eq(mempool_count(mp), 0);
    ck_assert_uint_eq(nonce_of(c, pubs[0]), 2);
    ck_assert_uint_eq(mempool_next_nonce_after(mp, pubs[0], 0), 2);
    ck_assert(!mempool_lookup(mp, txid, &copy, &t, &oom));
    /* The next activation: the published tip has caught up. */
    make_transfer(&cr, 2, pubs[1], COIN, 0, 1000);
    add_ok(other, &cr);
    produce(c, other);
    ck_assert_uint_eq(mempool_next_nonce_after(mp, pubs[0], 2), 2);
    ck_assert_uint_eq(mempool_next_nonce_after(mp, pubs[0], 0), 0);
    tx_free(&a0);
    tx_free(&a1);
    tx_free(&cr);
    mempool_free(other);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

#define READ_RUN 16

struct reader {
    struct mempool *mp;
    uint8_t sender[PUBKEY_SIZE];
    uint8_t txids[READ_RUN][HASH_SIZE];
    volatile int stop;
    uint64_t reads, found, bad;
};

static void *read_loop(void *p)
{
    struct reader *r = p;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        uint64_t next = mempool_next_nonce_after(r->mp, r->sender, 0);
        if (next > READ_RUN)
            __atomic_fetch_add(&r->bad, 1, __ATOMIC_RELAXED);
        for (int i = 0; i < READ_RUN; i += 5) {
            struct tx copy;
            uint8_t txid[HASH_SIZE];
            uint64_t t;
            bool oom;
            tx_init(&copy);
            if (mempool_lookup(r->mp, r->txids[i], &copy, &t, &oom)) {
                tx_txid(&copy, txid);
                if (memcmp(txid, r->txids[i], HASH_SIZE) != 0 || copy.nonce != (uint64_t)i)
                    __atomic_fetch_add(&r->bad, 1, __ATOMIC_RELAXED);
                __atomic_fetch_add(&r->found, 1, __ATOMIC_RELAXED);
                tx_free(&copy);
            }
        }
        __atomic_fetch_add(&r->reads, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* The readers, on threads of their own, while the pool changes under them
 * (a run of READ_RUN filled and removed again and again, other senders
 * coming and going): every answer is one the pool held (run under
 * --with-sanitizers=thread, ThreadSanitizer finds any access to the pool
 * outside its lock). */
START_TEST(readers_while_the_pool_changes)
{
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, 0);
    struct reader r = {.mp = mp};
    pthread_t th[2];
    struct tx tx;
    fake_transfer(&tx, 4242, 0, 1000);
    memcpy(r.sender, tx.sender, PUBKEY_SIZE);
    tx_free(&tx);
    for (uint64_t k = 0; k < READ_RUN; k++) {
        fake_transfer(&tx, 4242, k, 1000);
        tx_txid(&tx, r.txids[k]);
        tx_free(&tx);
    }
    for (int i = 0; i < 2; i++)
        ck_assert(pthread_create(&th[i], NULL, read_loop, &r) == 0);
    for (int round = 0; round < 300; round++) {
        for (uint64_t k = 0; k < READ_RUN; k++) {
            fake_transfer(&tx, 4242, k, 1000);
            ck_assert(mempool_add_unchecked(mp, &tx, 0));
            tx_free(&tx);
        }
        fill_fake(mp, 100000 + (uint64_t)round * 8, 8, 1000);
        mempool_remove(mp, r.txids[0]);
        for (uint64_t s = 100000 + (uint64_t)round * 8; s < 100000 + (uint64_t)round * 8 + 8;
             s++) {
            uint8_t txid[HASH_SIZE];
            fake_transfer(&tx, s, 0, 1000);
            tx_txid(&tx, txid);
            tx_free(&tx);
            mempool_remove(mp, txid);
        }
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_eq(r.bad, 0);
    ck_assert_uint_eq(mempool_count(mp), 0);
    ck_assert_msg(r.reads > 10 && r.found > 0, "%llu reads, %llu found",
                  (unsigned long long)r.reads, (unsigned long long)r.found);
    mempool_free(mp);
    chain_close(c);
}
END_TEST

static Suite *mempool_suite(void)
{
    Suite *s = suite_create("mempool");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, select_orders_by_fee_rate_and_nonce);
    tcase_add_test(tc, select_is_the_merge_of_the_runs);
    tcase_add_test(tc, replacement_needs_the_incremental_fee_and_rechecks_the_run);
    tcase_add_test(tc, run_limit_per_sender);
    tcase_add_test(tc, replacement_pays_for_the_run_it_rechecks);
    tcase_add_test(tc, eviction_takes_the_lowest_fee_rate);
    tcase_add_test(tc, eviction_follows_the_order_blocks_take);
    tcase_add_test(tc, block_rechecks_the_senders_it_touched);
    tcase_add_test(tc, mined_heads_do_not_reapply_the_runs);
    tcase_add_test(tc, conflicts_are_rechecked_within_a_budget);
    tcase_add_test(tc, context_transactions_are_rechecked_after_a_block);
    tcase_add_test(tc, stale_context_transactions_do_not_crowd_out_valid_ones);
    tcase_add_test(tc, block_candidates_skip_what_does_not_apply);
    tcase_add_test(tc, joins_beyond_a_task_s_places_are_not_candidates);
    tcase_add_test(tc, arena_first_stakes_beyond_the_seats_are_not_pooled);
    tcase_add_test(tc, eviction_and_recheck_cost_stays_logarithmic);
    tcase_add_test(tc, usage_counts_the_heap);
    tcase_add_test(tc, applied_account_is_never_stale);
    tcase_add_test(tc, applied_accounts_give_the_same_verdicts);
    tcase_add_test(tc, readers_without_the_node_lock);
    tcase_add_test(tc, readers_while_the_pool_changes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mempool_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
