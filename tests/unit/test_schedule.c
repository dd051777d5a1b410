/* The staking module's consensus side: the leader draw (stake-weighted, by
 * integer rejection sampling), the RANDAO hash onions and mix, and the
 * encodings of validator records, the validator list and schedules.
 *
 * The leader vectors were computed independently in Python from the
 * description in doc/protocol.md, and the draw is also recomputed here by a
 * separate implementation with 128-bit arithmetic. */
#include "consensus/amount.h"
#include "consensus/genesis.h"
#include "consensus/params.h"
#include "consensus/staking.h"

#include "tests/unit/test_util.h"

static struct chain_params regtest;

static void setup_once(void)
{
    if (sodium_init() < 0 || !params_init(&regtest, NET_REGTEST)) {
        fprintf(stderr, "setup failed\n");
        exit(EXIT_FAILURE);
    }
}

/* The draw as doc/protocol.md states it, written independently:
 * h = BLAKE2b-256 "FML/leader" (seed | slot u64 | ctr u64), x = first 8 bytes
 * little-endian, accept x < floor(2^64 / total) * total, target = x mod
 * total, leader = first entry whose cumulative stake exceeds target.
 * *tries counts the hashes. */
static size_t reference_leader(const uint8_t seed[32], const uint64_t *stakes, size_t n,
                               uint64_t slot, unsigned *tries)
{
    unsigned __int128 total = 0, bound;
    uint64_t x;
    for (size_t i = 0; i < n; i++)
        total += stakes[i];
    bound = (((unsigned __int128)1 << 64) / total) * total;
    *tries = 0;
    for (uint64_t ctr = 0;; ctr++) {
        uint8_t buf[48], h[32];
        memcpy(buf, seed, 32);
        write_le64(buf + 32, slot);
        write_le64(buf + 40, ctr);
        hash_tagged(h, HTAG_LEADER, buf, sizeof(buf));
        (*tries)++;
        x = read_le64(h);
        if ((unsigned __int128)x < bound)
            break;
    }
    unsigned __int128 cum = 0, target = x % total;
    for (size_t i = 0; i < n; i++) {
        cum += stakes[i];
        if (target < cum)
            return i;
    }
    ck_abort_msg("no leader");
    return 0;
}

/* An in-memory schedule over the given stakes; keys are 01.., 02.., ... */
static void make_schedule(struct schedule *s, struct sched_entry *entries, const uint8_t seed[32],
                          const uint64_t *stakes, size_t n)
{
    schedule_init(s);
    memcpy(s->seed, seed, 32);
    for (size_t i = 0; i < n; i++) {
        memset(entries[i].pubkey, (int)(i + 1), PUBKEY_SIZE);
        entries[i].stake = stakes[i];
        s->total += stakes[i];
    }
    s->entries = entries;
    s->n = n;
}

static size_t leader(const struct schedule *s, uint64_t slot)
{
    size_t idx = SIZE_MAX;
    ck_assert(schedule_leader(s, slot, &idx));
    ck_assert_uint_lt(idx, s->n);
    return idx;
}

static void seq_seed(uint8_t seed[32])
{
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
}

/* ---- leader draw ------------------------------------------------------- */

/* The published vector: seed 00 01 .. 1f, stakes 5, 3 and 2 FML. */
START_TEST(test_leader_vector)
{
    static const uint64_t stakes[3] = {5 * COIN, 3 * COIN, 2 * COIN};
    static const uint8_t expect[32] = {0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 1, 2, 0, 2, 0, 2,
                                       2, 1, 2, 1, 1, 0, 0, 1, 0, 0, 2, 1, 0, 0, 1, 0};
    struct sched_entry entries[3];
    struct schedule s;
    uint8_t seed[32];
    seq_seed(seed);
    make_schedule(&s, entries, seed, stakes, 3);
    for (uint64_t slot = 0; slot < 32; slot++)
        ck_assert_msg(leader(&s, slot) == expect[slot], "slot %" PRIu64, slot);

    /* One validator leads every slot. */
    make_schedule(&s, entries, seed, stakes, 1);
    for (uint64_t slot = 0; slot < 32; slot++)
        ck_assert_uint_eq(leader(&s, slot), 0);
}
END_TEST

/* The regtest genesis schedule (seed = BLAKE2b-256 "FML/mix" of "regtest",
 * four validators with equal stake in key order): who leads slots 1..24. */
START_TEST(test_leader_regtest_genesis)
{
    static const int expect[24] = {1, 3, 3, 1, 2, 0, 3, 0, 2, 2, 3, 0,
                                   1, 1, 0, 0, 2, 1, 2, 1, 1, 1, 3, 3};
    struct kvlist state;
    struct schedule s;
    uint8_t key[2];
    const struct kvpair *kv = NULL;

    ck_assert(genesis_state(&regtest, &state));
    schedule_key(key, SCHEDULE_CUR);
    for (size_t i = 0; i < state.n; i++)
        if (state.items[i].klen == 2 && memcmp(state.items[i].key, key, 2) == 0)
            kv = &state.items[i];
    ck_assert_ptr_nonnull(kv);
    ck_assert(schedule_decode(&s, kv->val, kv->vlen, regtest.max_validators));
    for (uint64_t slot = 1; slot <= 24; slot++) {
        size_t idx = leader(&s, slot);
        int who = -1;
        for (int v = 0; v < REGTEST_VALIDATORS; v++)
            if (memcmp(regtest.validators[v].pubkey, s.entries[idx].pubkey, PUBKEY_SIZE) == 0)
                who = v;
        ck_assert_msg(who == expect[slot - 1], "slot %" PRIu64 ": validator %d", slot, who);
    }
    schedule_free(&s);
    kvlist_free(&state);
}
END_TEST

/* schedule_leader agrees with the reference draw over many slots and stake
 * mixes (random, printed seed). */
START_TEST(test_leader_matches_reference)
{
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("leader reference"));
    for (int round = 0; round < 50; round++) {
        uint64_t stakes[8];
        struct sched_entry entries[8];
        struct schedule s;
        uint8_t seed[32];
        size_t n = 1 + test_rand_below(&rng, 8);
        for (size_t i = 0; i < n; i++)
            stakes[i] = 1 + test_rand_below(&rng, round % 2 ? 1000 : MAX_SUPPLY / 8);
        test_rand_bytes(&rng, seed, 32);
        make_schedule(&s, entries, seed, stakes, n);
        for (uint64_t k = 0; k < 100; k++) {
            uint64_t slot = test_rand64(&rng);
            unsigned tries;
            ck_assert_uint_eq(leader(&s, slot), reference_leader(seed, stakes, n, slot, &tries));
        }
    }
}
END_TEST

/* Over 100,000 slots each validator leads within 1% (absolute) of its share
 * of the stake: 50%, 30%, 20%.  (One standard deviation is at most 0.16%.) */
START_TEST(test_leader_distribution)
{
    static const uint64_t stakes[3] = {500000 * COIN, 300000 * COIN, 200000 * COIN};
    struct sched_entry entries[3];
    struct schedule s;
    uint8_t seed[32];
    uint64_t count[3] = {0, 0, 0};
    const uint64_t slots = 100000;

    hash_tagged(seed, HTAG_MIX, "distribution", 12);
    make_schedule(&s, entries, seed, stakes, 3);
    for (uint64_t slot = 0; slot < slots; slot++)
        count[leader(&s, slot)]++;
    for (int i = 0; i < 3; i++) {
        /* |count/slots - stake/total| <= 1/100, in integers. */
        int64_t diff = (int64_t)mul_div_floor(count[i], 1000000, slots) -
                       (int64_t)mul_div_floor(stakes[i], 1000000, s.total);
        ck_assert_msg(diff <= 10000 && diff >= -10000, "validator %d led %" PRIu64 " of %" PRIu64,
                      i, count[i], slots);
    }
}
END_TEST

/* Edge cases of the rejection sampling. */
START_TEST(test_leader_edges)
{
    struct sched_entry entries[3];
    struct schedule s;
    uint8_t seed[32];
    unsigned tries, max_tries = 0, rejected = 0;
    seq_seed(seed);

    /* total = 1: every x is accepted (one hash per slot), one leader. */
    static const uint64_t one[1] = {1};
    make_schedule(&s, entries, seed, one, 1);
    for (uint64_t slot = 0; slot < 1000; slot++) {
        ck_assert_uint_eq(leader(&s, slot), 0);
        ck_assert_uint_eq(reference_leader(seed, one, 1, slot, &tries), 0);
        ck_assert_uint_eq(tries, 1);
    }

    /* total = 2^63 + 1: almost half of all x are rejected, the worst case;
     * the draw still agrees with the reference, including the slots that
     * needed several hashes. */
    static const uint64_t big[2] = {1, UINT64_C(1) << 63};
    make_schedule(&s, entries, seed, big, 2);
    ck_assert_uint_eq(s.total, (UINT64_C(1) << 63) + 1);
    for (uint64_t slot = 0; slot < 2000; slot++) {
        size_t ref = reference_leader(seed, big, 2, slot, &tries);
        ck_assert_uint_eq(leader(&s, slot), ref);
        if (tries > 1)
            rejected++;
        if (tries > max_tries)
            max_tries = tries;
    }
    ck_assert_uint_gt(rejected, 800); /* ~1000 expected: the loop really rejects */
    ck_assert_uint_gt(max_tries, 3);

    /* total = 2^64 - 1: the largest possible total. */
    static const uint64_t max[2] = {UINT64_MAX / 2, UINT64_MAX - UINT64_MAX / 2};
    make_schedule(&s, entries, seed, max, 2);
    ck_assert_uint_eq(s.total, UINT64_MAX);
    for (uint64_t slot = 0; slot < 200; slot++)
        ck_assert_uint_eq(leader(&s, slot), reference_leader(seed, max, 2, slot, &tries));

    /* A power of two total never rejects. */
    static const uint64_t pow2[2] = {UINT64_C(1) << 40, UINT64_C(1) << 40};
    make_schedule(&s, entries, seed, pow2, 2);
    for (uint64_t slot = 0; slot < 200; slot++) {
        ck_assert_uint_eq(leader(&s, slot), reference_leader(seed, pow2, 2, slot, &tries));
        ck_assert_uint_eq(tries, 1);
    }

    /* No validators, or no stake: no leader. */
    size_t idx;
    make_schedule(&s, entries, seed, one, 0);
    ck_assert(!schedule_leader(&s, 1, &idx));
    make_schedule(&s, entries, seed, one, 1);
    s.total = 0;
    ck_assert(!schedule_leader(&s, 1, &idx));
}
END_TEST

/* The seed matters and so does the slot: a different seed gives a
 * different sequence of leaders. */
START_TEST(test_leader_depends_on_seed)
{
    static const uint64_t stakes[3] = {1, 1, 1};
    struct sched_entry entries[3];
    struct schedule a, b;
    uint8_t seed[32];
    int differ = 0;
    seq_seed(seed);
    make_schedule(&a, entries, seed, stakes, 3);
    b = a;
    b.seed[0] ^= 1;
    for (uint64_t slot = 0; slot < 64; slot++)
        differ += leader(&a, slot) != leader(&b, slot);
    ck_assert_int_gt(differ, 10);
}
END_TEST

/* ---- RANDAO ------------------------------------------------------------ */

/* Layers of an onion: layer k+1 = H(layer k), so each layer is the
 * preimage that opens the next one, and only that one. */
START_TEST(test_randao_onion_layers)
{
    uint8_t seed[32], layers[6][32];
    hash_tagged(seed, HTAG_KEYSEED, "onion test", 10);
    for (uint64_t k = 0; k < 6; k++)
        randao_onion(layers[k], seed, k);
    ck_assert(memcmp(layers[0], seed, 32) == 0);
    for (int k = 0; k + 1 < 6; k++) {
        uint8_t h[32];
        hash_tagged(h, HTAG_RANDAO, layers[k], 32);
        ck_assert(memcmp(h, layers[k + 1], 32) == 0);
        ck_assert(randao_check(layers[k], layers[k + 1]));
        ck_assert(!randao_check(layers[k + 1], layers[k]));
        if (k + 2 < 6)
            ck_assert(!randao_check(layers[k], layers[k + 2]));
    }

    /* H^(a+b) = H^b(H^a). */
    uint8_t ab[32], a_then_b[32];
    randao_onion(ab, seed, 1234);
    randao_onion(a_then_b, seed, 1000);
    randao_onion(a_then_b, a_then_b, 234);
    ck_assert(memcmp(ab, a_then_b, 32) == 0);
}
END_TEST

/* The onion seed of a key: H_randao("onion" | secret | generation u64). */
START_TEST(test_randao_onion_seed)
{
    uint8_t sec[32], seed[32], direct[32], buf[5 + 32 + 8], gen1[32];
    params_regtest_secret(0, sec);
    randao_onion_seed(seed, sec, 0);
    memcpy(buf, "onion", 5);
    memcpy(buf + 5, sec, 32);
    write_le64(buf + 37, 0);
    hash_tagged(direct, HTAG_RANDAO, buf, sizeof(buf));
    ck_assert(memcmp(seed, direct, 32) == 0);
    ck_assert_hex_eq(seed, 32, "15ce7e1c58c5009e12117705c4f1f7241a6bfaa4f6842ee51766e033ffff2c0d");
    randao_onion_seed(gen1, sec, 1);
    ck_assert(memcmp(seed, gen1, 32) != 0);
}
END_TEST

/* mix' = H_mix(mix | reveal). */
START_TEST(test_randao_mix)
{
    uint8_t mix[32], reveal[32], out[32], buf[64], direct[32];
    hash_tagged(mix, HTAG_MIX, "regtest", 7);
    ck_assert_hex_eq(mix, 32, "5522155f752086d14381e90ccfc8ec6a9aa5a9c38e28fa6d9458237866b3db42");
    memset(reveal, 0x42, 32);
    randao_mix(out, mix, reveal);
    memcpy(buf, mix, 32);
    memcpy(buf + 32, reveal, 32);
    hash_tagged(direct, HTAG_MIX, buf, 64);
    ck_assert(memcmp(out, direct, 32) == 0);
    ck_assert(memcmp(out, mix, 32) != 0);
}
END_TEST

/* The regtest validators commit to H^100000 of their generation-0 onion
 * seed; the commitments were recomputed independently in Python.  Their
 * first reveal, H^99999, opens the commitment. */
START_TEST(test_randao_regtest_commitments)
{
    static const char *const commits[REGTEST_VALIDATORS] = {
        "df551a8219a259c2ef583c4e415cd46732f4898ec4479570cb5e44e9b435ef12",
        "2c399e90bed6272a80dc8ef92d4edf103d9463d9dbb4de3258564a16a035408a",
        "d1d66386eb4e35274076767a6978ff5c59ea5d25f3c4bc6e61c619418529f09e",
        "97217cf50a4290e2bc24838951ec89a3139db03cdc8ded0780af73c775351fdc",
    };
    ck_assert_uint_eq(REGTEST_ONION_LENGTH, 100000);
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        uint8_t sec[32], seed[32], commit[32], first[32];
        params_regtest_secret(i, sec);
        randao_onion_seed(seed, sec, 0);
        randao_onion(commit, seed, REGTEST_ONION_LENGTH);
        ck_assert(memcmp(commit, regtest.validators[i].randao_commit, 32) == 0);
        ck_assert_hex_eq(commit, 32, commits[i]);
        randao_onion(first, seed, REGTEST_ONION_LENGTH - 1);
        ck_assert(randao_check(first, commit));
    }
}
END_TEST

/* ---- encodings --------------------------------------------------------- */

/* Validator record: self_stake u64 | delegated u64 | shares u64 |
 * commission u16 | status u8 | randao_commit [32] | reveals u64 |
 * registered_height u64 | acc u128 (low, high) | carry u64 | bank u64 |
 * earned u64 | jailed_until u64 | commission_epoch u64 | commission_base u16 |
 * description varbytes (<= 140). */
START_TEST(test_validator_record)
{
    struct validator v = {.self_stake = 1, .delegated = 2, .shares = 7, .commission_bps = 0x0304,
                          .status = VALIDATOR_JAILED, .reveals = 5, .registered_height = 6,
                          .acc = (unsigned __int128)9 << 64 | 8, .carry = 10, .bank = 11,
                          .earned = 12, .jailed_until = 13, .commission_epoch = 14,
                          .commission_base = 0x0102, .description_len = 2};
    struct validator back;
    struct wbuf w;
    uint8_t key[VALIDATOR_KEY_SIZE], pub[PUBKEY_SIZE];

    memset(v.randao_commit, 0xcc, 32);
    memcpy(v.description, "hi", 2);
    wbuf_init(&w);
    validator_encode(&v, &w);
    ck_assert_hex_eq(w.data, w.len,
                     "0100000000000000" "0200000000000000" "0700000000000000" "0403" "01"
                     "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
                     "0500000000000000" "0600000000000000"
                     "0800000000000000" "0900000000000000" "0a00000000000000" "0b00000000000000"
                     "0c00000000000000" "0d00000000000000" "0e00000000000000" "0201" "026869");
    ck_assert(validator_decode(&back, w.data, w.len));
    ck_assert(back.self_stake == 1 && back.delegated == 2 && back.commission_bps == 0x0304);
    ck_assert(back.status == VALIDATOR_JAILED && back.reveals == 5 && back.registered_height == 6);
    ck_assert(memcmp(back.randao_commit, v.randao_commit, 32) == 0);
    ck_assert(back.jailed_until == 13 && back.commission_epoch == 14 &&
              back.commission_base == 0x0102 && back.description_len == 2 &&
              memcmp(back.description, "hi", 2) == 0);
    for (size_t len = 0; len < w.len; len++)
        ck_assert(!validator_decode(&back, w.data, len));
    put_u8(&w, 0);
    ck_assert(!validator_decode(&back, w.data, w.len));
    wbuf_reset(&w);

    /* Status 2 (exited) and 3 (jailed for downtime) decode; values above
     * are refused, and so is a description over 140 bytes. */
    v.status = VALIDATOR_EXITED;
    validator_encode(&v, &w);
    ck_assert(validator_decode(&back, w.data, w.len) && back.status == VALIDATOR_EXITED);
    wbuf_reset(&w);
    v.status = VALIDATOR_DOWNTIME;
    validator_encode(&v, &w);
    ck_assert(validator_decode(&back, w.data, w.len) && back.status == VALIDATOR_DOWNTIME);
    wbuf_reset(&w);
    v.description_len = VALIDATOR_DESCRIPTION_MAX;
    memset(v.description, 'a', VALIDATOR_DESCRIPTION_MAX);
    validator_encode(&v, &w);
    ck_assert(validator_decode(&back, w.data, w.len));
    w.data[w.len - VALIDATOR_DESCRIPTION_MAX - 1] = VALIDATOR_DESCRIPTION_MAX + 1;
    put_u8(&w, 'a');
    ck_assert(!validator_decode(&back, w.data, w.len));
    wbuf_reset(&w);
    v.description_len = 0;
    v.status = 4;
    validator_encode(&v, &w);
    ck_assert(!validator_decode(&back, w.data, w.len));
    wbuf_free(&w);

    memset(pub, 0xab, sizeof(pub));
    validator_key(key, pub);
    ck_assert_uint_eq(key[0], 'v');
    ck_assert(memcmp(key + 1, pub, PUBKEY_SIZE) == 0);
}
END_TEST

/* Validator list: CompactSize n | n keys, strictly ascending. */
START_TEST(test_validator_list)
{
    uint8_t keys[3][PUBKEY_SIZE];
    const uint8_t *got;
    size_t n;
    struct wbuf w;

    for (int i = 0; i < 3; i++)
        memset(keys[i], 0x10 * (i + 1), PUBKEY_SIZE);
    wbuf_init(&w);
    validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])keys, 3, &w);
    ck_assert_uint_eq(w.len, 1 + 3 * PUBKEY_SIZE);
    ck_assert_uint_eq(w.data[0], 3);
    ck_assert(validator_list_decode(&got, &n, w.data, w.len, 3));
    ck_assert_uint_eq(n, 3);
    ck_assert(got == w.data + 1);
    ck_assert(!validator_list_decode(&got, &n, w.data, w.len, 2)); /* bound */
    for (size_t len = 0; len < w.len; len++)
        ck_assert(!validator_list_decode(&got, &n, w.data, len, 3));
    wbuf_reset(&w);

    /* Out of order, and a duplicate. */
    memcpy(keys[0], keys[2], PUBKEY_SIZE);
    validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])keys, 3, &w);
    ck_assert(!validator_list_decode(&got, &n, w.data, w.len, 3));
    wbuf_reset(&w);
    memcpy(keys[0], keys[1], PUBKEY_SIZE);
    validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])keys, 3, &w);
    ck_assert(!validator_list_decode(&got, &n, w.data, w.len, 3));
    wbuf_reset(&w);

    /* The empty list. */
    validator_list_encode(NULL, 0, &w);
    ck_assert_hex_eq(w.data, w.len, "00");
    ck_assert(validator_list_decode(&got, &n, w.data, w.len, 3) && n == 0);
    wbuf_free(&w);
}
END_TEST

/* Schedule: epoch u64 | seed [32] | CompactSize n | n x (pubkey | stake u64),
 * keys strictly ascending, stakes non-zero, total within the supply. */
START_TEST(test_schedule_encoding)
{
    static const uint64_t stakes[3] = {5, 7, 11};
    struct sched_entry entries[3];
    struct schedule s, back;
    uint8_t seed[32], key[2];
    struct wbuf w;

    seq_seed(seed);
    make_schedule(&s, entries, seed, stakes, 3);
    s.epoch = 9;
    wbuf_init(&w);
    schedule_encode(&s, &w);
    ck_assert_uint_eq(w.len, 8 + 32 + 1 + 3 * 40);
    ck_assert_hex_eq(w.data, 8, "0900000000000000");
    ck_assert(memcmp(w.data + 8, seed, 32) == 0);
    ck_assert_uint_eq(w.data[40], 3);
    ck_assert(schedule_decode(&back, w.data, w.len, 3));
    ck_assert_uint_eq(back.epoch, 9);
    ck_assert_uint_eq(back.n, 3);
    ck_assert_uint_eq(back.total, 23);
    ck_assert(memcmp(back.entries[1].pubkey, entries[1].pubkey, PUBKEY_SIZE) == 0);
    ck_assert_uint_eq(back.entries[2].stake, 11);
    schedule_free(&back);
    ck_assert(!schedule_decode(&back, w.data, w.len, 2));
    for (size_t len = 0; len < w.len; len++)
        ck_assert_msg(!schedule_decode(&back, w.data, len, 3), "cut at %zu", len);
    put_u8(&w, 0);
    ck_assert(!schedule_decode(&back, w.data, w.len, 3));

#define REJECTS(change, restore)                                   \
    do {                                                           \
        change;                                                    \
        wbuf_reset(&w);                                            \
        schedule_encode(&s, &w);                                   \
        ck_assert_msg(!schedule_decode(&back, w.data, w.len, 3), "%s accepted", #change); \
        restore;                                                   \
    } while (0)
    REJECTS(entries[1].stake = 0, entries[1].stake = 7);
    REJECTS(memcpy(entries[0].pubkey, entries[1].pubkey, PUBKEY_SIZE),
            memset(entries[0].pubkey, 1, PUBKEY_SIZE));
    REJECTS(memset(entries[0].pubkey, 9, PUBKEY_SIZE), memset(entries[0].pubkey, 1, PUBKEY_SIZE));
    REJECTS((entries[0].stake = MAX_SUPPLY, entries[1].stake = 1), (entries[0].stake = 5, entries[1].stake = 7));
#undef REJECTS
    /* The control after the restores: decodes again. */
    wbuf_reset(&w);
    schedule_encode(&s, &w);
    ck_assert(schedule_decode(&back, w.data, w.len, 3));
    schedule_free(&back);
    wbuf_free(&w);

    schedule_key(key, SCHEDULE_CUR);
    ck_assert(key[0] == 'E' && key[1] == 0);
    schedule_key(key, SCHEDULE_NEXT);
    ck_assert(key[0] == 'E' && key[1] == 1);
}
END_TEST

static Suite *schedule_suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("leader");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_leader_vector);
    tcase_add_test(tc, test_leader_regtest_genesis);
    tcase_add_test(tc, test_leader_matches_reference);
    tcase_add_test(tc, test_leader_distribution);
    tcase_add_test(tc, test_leader_edges);
    tcase_add_test(tc, test_leader_depends_on_seed);
    suite_add_tcase(s, tc);

    tc = tcase_create("randao");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_randao_onion_layers);
    tcase_add_test(tc, test_randao_onion_seed);
    tcase_add_test(tc, test_randao_mix);
    tcase_add_test(tc, test_randao_regtest_commitments);
    suite_add_tcase(s, tc);

    tc = tcase_create("encoding");
    tcase_add_test(tc, test_validator_record);
    tcase_add_test(tc, test_validator_list);
    tcase_add_test(tc, test_schedule_encoding);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setup_once();
    int rc = test_run_suite(schedule_suite());
    params_free(&regtest);
    return rc;
}
