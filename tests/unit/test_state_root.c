/* The state root: LtHash over (key, value) pairs, the genesis state it is
 * computed from, and the chain parameters that genesis commits to.
 *
 * The LtHash vectors and the regtest genesis state were recomputed
 * independently in Python (hashlib BLAKE2b, the ChaCha20 of the
 * "cryptography" package, the byte layouts of doc/protocol.md). */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/bech32.h"
#include "consensus/emission.h"
#include "consensus/genesis.h"
#include "consensus/lthash.h"
#include "consensus/params.h"
#include "consensus/staking.h"

#include "tests/unit/test_util.h"

static struct chain_params regtest, testnet, mainnet;

#define EMPTY_ROOT "3549ab42e92943c00da54b207c616dabfab7c0a5de631f6ebb43a11a6dfb25e9"
#define KV_LANES16 "99f632cfbd50db46654bb9e95bd81ccf"
#define KV_ROOT "75fadaf8a3001386bdf44b9cd6403609a4d83ad0eaa1117deee324ec10f3906f"
#define KV_EMPTY_ROOT "c161f5c864b24bce7e9d69c36bf04addef517a26582d3859acb7a72b04ef9039"
#define GENESIS_STATE_ROOT "d2e4a72ae6d8306d59379bbf6194dcdba72193730aa709fb65be9e4bb51e88a4"
/* params_encode of regtest, transcribed field by field from the table in
 * doc/protocol.md. */
#define REGTEST_PARAMS                                                          \
    "07" "72656774657374" "04" "72666d6c" "fabf4d4c" "01" "00b9556900000000"    \
    "01000000" "08000000" "14000000" "0a000000" "00093d00" "204e0000"           \
    "40420f00" "00e8764817000000" "00e1f50500000000" "00010000" "8813"          \
    "f401" "e803" "00f2052a01000000" "f049020000000000" "581b" "dc05" "e803"    \
    "f401" "e803" "f401" "e8030000" "e803" "f401" "e8030000"                    \
    "e803" "f401" "0a00000000000000" "10000000" "e8030000" "00e1f50500000000"    \
    "0000" "04000000" "06000000" "0100" "6400"

static void setup_once(void)
{
    if (sodium_init() < 0 || !params_init(&regtest, NET_REGTEST) ||
        !params_init(&testnet, NET_TEST) || !params_init(&mainnet, NET_MAIN)) {
        fprintf(stderr, "setup failed\n");
        exit(EXIT_FAILURE);
    }
}

static const uint8_t *u8s(const char *s)
{
    return (const uint8_t *)s;
}

/* ---- LtHash ------------------------------------------------------------ */

START_TEST(test_lthash_vectors)
{
    struct lthash lt;
    uint8_t root[32], lanes[LTHASH_BYTES];

    lthash_init(&lt);
    lthash_root(&lt, root);
    ck_assert_hex_eq(root, 32, EMPTY_ROOT);
    /* The empty root is the tagged hash of 2048 zero bytes. */
    uint8_t zeros[LTHASH_BYTES] = {0}, direct[32];
    hash_tagged(direct, HTAG_STATEROOT, zeros, sizeof(zeros));
    ck_assert(memcmp(direct, root, 32) == 0);

    lthash_add(&lt, u8s("key"), 3, u8s("value"), 5);
    lthash_encode(&lt, lanes);
    ck_assert_hex_eq(lanes, 16, KV_LANES16);
    ck_assert_uint_eq(lt.lanes[0], 0xf699); /* lanes are little-endian */
    lthash_root(&lt, root);
    ck_assert_hex_eq(root, 32, KV_ROOT);
    lthash_add(&lt, u8s(""), 0, u8s(""), 0);
    lthash_root(&lt, root);
    ck_assert_hex_eq(root, 32, KV_EMPTY_ROOT);
}
END_TEST

/* The element of a pair is the ChaCha20 keystream (zero nonce) keyed by
 * BLAKE2b-256 "FML/lthash-elem" of CompactSize(klen) | key | CompactSize(vlen)
 * | value, read as 1024 little-endian uint16. */
START_TEST(test_lthash_element)
{
    static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
    uint8_t key[300], val[3] = {1, 2, 3}, seed[32], stream[LTHASH_BYTES], len[9];
    struct hasher h;
    struct lthash lt;

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)i; /* 300 bytes: a 3-byte CompactSize */
    hasher_init(&h, HTAG_LTELEM);
    hasher_write(&h, len, compact_encode(len, sizeof(key)));
    hasher_write(&h, key, sizeof(key));
    hasher_write(&h, len, compact_encode(len, sizeof(val)));
    hasher_write(&h, val, sizeof(val));
    hasher_final(&h, seed);
    ck_assert(crypto_stream_chacha20(stream, sizeof(stream), nonce, seed) == 0);

    lthash_init(&lt);
    lthash_add(&lt, key, sizeof(key), val, sizeof(val));
    for (int i = 0; i < LTHASH_LANES; i++)
        ck_assert_uint_eq(lt.lanes[i], (uint16_t)(stream[2 * i] | stream[2 * i + 1] << 8));
}
END_TEST

/* The set hash does not depend on the order pairs are added in, and adding
 * then removing a pair returns exactly to where it was. */
START_TEST(test_lthash_order_and_removal)
{
    struct test_rng rng;
    enum { N = 64 };
    uint8_t keys[N][40], vals[N][50];
    size_t klen[N], vlen[N], order[N];
    struct lthash fwd, shuffled, lt;
    uint8_t r1[32], r2[32], empty[32];

    test_rng_seed(&rng, 42);
    for (size_t i = 0; i < N; i++) {
        klen[i] = 1 + test_rand_below(&rng, 40);
        vlen[i] = test_rand_below(&rng, 50);
        test_rand_bytes(&rng, keys[i], klen[i]);
        test_rand_bytes(&rng, vals[i], vlen[i]);
        order[i] = i;
    }
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = test_rand_below(&rng, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    lthash_init(&fwd);
    lthash_init(&shuffled);
    for (size_t i = 0; i < N; i++) {
        lthash_add(&fwd, keys[i], klen[i], vals[i], vlen[i]);
        lthash_add(&shuffled, keys[order[i]], klen[order[i]], vals[order[i]], vlen[order[i]]);
    }
    lthash_root(&fwd, r1);
    lthash_root(&shuffled, r2);
    ck_assert(memcmp(r1, r2, 32) == 0);
    ck_assert(memcmp(fwd.lanes, shuffled.lanes, sizeof(fwd.lanes)) == 0);

    /* Remove everything, in the shuffled order: back to the empty set. */
    for (size_t i = 0; i < N; i++)
        lthash_remove(&fwd, keys[order[i]], klen[order[i]], vals[order[i]], vlen[order[i]]);
    lthash_init(&lt);
    ck_assert(memcmp(fwd.lanes, lt.lanes, sizeof(lt.lanes)) == 0);
    lthash_root(&fwd, r1);
    lthash_root(&lt, empty);
    ck_assert(memcmp(r1, empty, 32) == 0);

    /* An update is a removal of the old pair and an addition of the new:
     * {A, B} - A = {B}. */
    lthash_init(&lt);
    lthash_add(&lt, keys[0], klen[0], vals[0], vlen[0]);
    lthash_add(&lt, keys[1], klen[1], vals[1], vlen[1]);
    lthash_remove(&lt, keys[0], klen[0], vals[0], vlen[0]);
    lthash_root(&lt, r1);
    lthash_init(&fwd);
    lthash_add(&fwd, keys[1], klen[1], vals[1], vlen[1]);
    lthash_root(&fwd, r2);
    ck_assert(memcmp(r1, r2, 32) == 0);

    /* Removing from the empty set wraps around, and adding back returns. */
    lthash_init(&lt);
    lthash_remove(&lt, keys[2], klen[2], vals[2], vlen[2]);
    lthash_root(&lt, r1);
    ck_assert(memcmp(r1, empty, 32) != 0);
    lthash_add(&lt, keys[2], klen[2], vals[2], vlen[2]);
    lthash_root(&lt, r1);
    ck_assert(memcmp(r1, empty, 32) == 0);
}
END_TEST

/* The key/value boundary is part of the element, and a pair added twice is
 * not the same as once (a multiset hash: the state must add each key once). */
START_TEST(test_lthash_distinguishes)
{
    struct lthash a, b;
    uint8_t ra[32], rb[32];
    lthash_init(&a);
    lthash_init(&b);
    lthash_add(&a, u8s("ab"), 2, u8s("c"), 1);
    lthash_add(&b, u8s("a"), 1, u8s("bc"), 2);
    lthash_root(&a, ra);
    lthash_root(&b, rb);
    ck_assert(memcmp(ra, rb, 32) != 0);

    lthash_init(&b);
    lthash_add(&b, u8s("ab"), 2, u8s("c"), 1);
    lthash_add(&b, u8s("ab"), 2, u8s("c"), 1);
    lthash_root(&b, rb);
    ck_assert(memcmp(ra, rb, 32) != 0);
}
END_TEST

START_TEST(test_lthash_encode_decode)
{
    struct lthash lt, back;
    uint8_t enc[LTHASH_BYTES];
    for (int i = 0; i < LTHASH_LANES; i++)
        lt.lanes[i] = (uint16_t)(i * 257 + 1);
    lthash_encode(&lt, enc);
    ck_assert_uint_eq(enc[0], 1);
    ck_assert_uint_eq(enc[2], 2);
    ck_assert_uint_eq(enc[3], 1);
    lthash_decode(&back, enc);
    ck_assert(memcmp(lt.lanes, back.lanes, sizeof(lt.lanes)) == 0);
}
END_TEST

/* ---- genesis state ----------------------------------------------------- */

static const struct kvpair *find(const struct kvlist *l, const void *key, size_t klen)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].klen == klen && memcmp(l->items[i].key, key, klen) == 0)
            return &l->items[i];
    return NULL;
}

/* The root of genesis_state() is the state root in the genesis header: the
 * pairs a node writes at genesis are exactly the ones the header commits to. */
START_TEST(test_genesis_state_root)
{
    struct kvlist state;
    struct lthash lt;
    struct block_header hdr;
    uint8_t root[32];

    ck_assert(genesis_state(&regtest, &state));
    lthash_init(&lt);
    for (size_t i = 0; i < state.n; i++)
        lthash_add(&lt, state.items[i].key, state.items[i].klen, state.items[i].val,
                   state.items[i].vlen);
    lthash_root(&lt, root);
    ck_assert(genesis_header(&regtest, &hdr));
    ck_assert(memcmp(root, hdr.state_root, 32) == 0);
    ck_assert_hex_eq(root, 32, GENESIS_STATE_ROOT);

    /* Added in reverse order: the same root. */
    lthash_init(&lt);
    for (size_t i = state.n; i-- > 0;)
        lthash_add(&lt, state.items[i].key, state.items[i].klen, state.items[i].val,
                   state.items[i].vlen);
    lthash_root(&lt, root);
    ck_assert_hex_eq(root, 32, GENESIS_STATE_ROOT);
    kvlist_free(&state);
}
END_TEST

/* What the regtest genesis holds: the parameters, four accounts, four
 * validators, the validator list, two schedules, the mix and the supply, in
 * strictly ascending key order, each value in its documented encoding. */
START_TEST(test_genesis_state_contents)
{
    struct kvlist state;
    const struct kvpair *kv;
    struct wbuf w;
    uint64_t supply = 0;

    ck_assert(genesis_state(&regtest, &state));
    ck_assert_uint_eq(state.n, 1 + 4 + 4 + 1 + 2 + 2);
    for (size_t i = 1; i < state.n; i++) {
        const struct kvpair *a = &state.items[i - 1], *b = &state.items[i];
        size_t n = a->klen < b->klen ? a->klen : b->klen;
        int c = memcmp(a->key, b->key, n);
        ck_assert(c < 0 || (c == 0 && a->klen < b->klen));
    }

    kv = find(&state, "P", 1);
    ck_assert_ptr_nonnull(kv);
    ck_assert_hex_eq(kv->val, kv->vlen, REGTEST_PARAMS);
    wbuf_init(&w);
    params_encode(&regtest, &w);
    ck_assert(w.len == kv->vlen && memcmp(w.data, kv->val, w.len) == 0);
    wbuf_free(&w);

    for (size_t i = 0; i < regtest.n_allocs; i++) {
        uint8_t key[ACCOUNT_KEY_SIZE];
        struct account a;
        account_key(key, regtest.allocs[i].pubkey);
        kv = find(&state, key, sizeof(key));
        ck_assert_ptr_nonnull(kv);
        ck_assert(account_decode(&a, kv->val, kv->vlen));
        ck_assert_uint_eq(a.balance, 1000000 * COIN);
        ck_assert_uint_eq(a.nonce, 0);
        supply += a.balance;
    }
    for (size_t i = 0; i < regtest.n_validators; i++) {
        uint8_t key[VALIDATOR_KEY_SIZE];
        struct validator v;
        validator_key(key, regtest.validators[i].pubkey);
        kv = find(&state, key, sizeof(key));
        ck_assert_ptr_nonnull(kv);
        ck_assert(validator_decode(&v, kv->val, kv->vlen));
        ck_assert_uint_eq(v.self_stake, 100000 * COIN);
        ck_assert_uint_eq(v.delegated, 0);
        ck_assert_uint_eq(v.commission_bps, 1000);
        ck_assert_uint_eq(v.status, VALIDATOR_ACTIVE);
        ck_assert(memcmp(v.randao_commit, regtest.validators[i].randao_commit, HASH_SIZE) == 0);
        supply += v.self_stake;
    }

    const uint8_t *keys;
    size_t nkeys;
    kv = find(&state, VALIDATOR_LIST_KEY, 1);
    ck_assert_ptr_nonnull(kv);
    ck_assert(validator_list_decode(&keys, &nkeys, kv->val, kv->vlen, 256));
    ck_assert_uint_eq(nkeys, 4);

    uint8_t mix[HASH_SIZE];
    hash_tagged(mix, HTAG_MIX, "regtest", 7);
    kv = find(&state, MIX_KEY, strlen(MIX_KEY));
    ck_assert_ptr_nonnull(kv);
    ck_assert(kv->vlen == HASH_SIZE && memcmp(kv->val, mix, HASH_SIZE) == 0);

    for (int which = SCHEDULE_CUR; which <= SCHEDULE_NEXT; which++) {
        uint8_t key[2];
        struct schedule s;
        schedule_key(key, which);
        kv = find(&state, key, 2);
        ck_assert_ptr_nonnull(kv);
        ck_assert(schedule_decode(&s, kv->val, kv->vlen, 256));
        ck_assert_uint_eq(s.epoch, (uint64_t)which);
        ck_assert(memcmp(s.seed, mix, HASH_SIZE) == 0);
        ck_assert_uint_eq(s.n, 4);
        ck_assert_uint_eq(s.total, 4 * 100000 * COIN);
        for (size_t i = 0; i < 4; i++)
            ck_assert(memcmp(s.entries[i].pubkey, keys + i * PUBKEY_SIZE, PUBKEY_SIZE) == 0);
        schedule_free(&s);
    }

    kv = find(&state, SUPPLY_KEY, strlen(SUPPLY_KEY));
    ck_assert_ptr_nonnull(kv);
    ck_assert_uint_eq(kv->vlen, 8);
    ck_assert_uint_eq(read_le64(kv->val), supply);
    ck_assert_uint_eq(supply, 4 * 1100000 * COIN);
    kvlist_free(&state);
}
END_TEST

/* A copy of regtest's parameters with arrays of its own, for variations. */
static void custom_copy(struct chain_params *c, struct genesis_alloc *allocs,
                        struct genesis_validator *vals)
{
    *c = regtest;
    c->net = NET_CUSTOM;
    memcpy(allocs, regtest.allocs, regtest.n_allocs * sizeof(*allocs));
    memcpy(vals, regtest.validators, regtest.n_validators * sizeof(*vals));
    c->allocs = allocs;
    c->validators = vals;
}

/* Two allocations to one key, or two validators with one key, make no
 * genesis. */
START_TEST(test_genesis_duplicates)
{
    struct chain_params c;
    struct genesis_alloc allocs[REGTEST_VALIDATORS];
    struct genesis_validator vals[REGTEST_VALIDATORS];
    struct kvlist state;
    struct block_header hdr;

    custom_copy(&c, allocs, vals);
    ck_assert(genesis_state(&c, &state));
    kvlist_free(&state);

    memcpy(allocs[1].pubkey, allocs[0].pubkey, PUBKEY_SIZE);
    ck_assert(!genesis_state(&c, &state));
    ck_assert(!genesis_header(&c, &hdr));

    custom_copy(&c, allocs, vals);
    memcpy(vals[3].pubkey, vals[2].pubkey, PUBKEY_SIZE);
    ck_assert(!genesis_state(&c, &state));

    /* The supply cap holds at genesis. */
    custom_copy(&c, allocs, vals);
    allocs[0].amount = MAX_SUPPLY;
    ck_assert(!genesis_state(&c, &state));
}
END_TEST

/* ---- parameters -------------------------------------------------------- */

/* The built-in networks: regtest and test validate; main has no genesis
 * validators (it needs a genesis file) and says so. */
START_TEST(test_params_builtin)
{
    char err[128] = "";
    ck_assert_msg(params_validate(&regtest, err, sizeof(err)), "regtest: %s", err);
    ck_assert_msg(params_validate(&testnet, err, sizeof(err)), "test: %s", err);
    ck_assert(!params_validate(&mainnet, err, sizeof(err)));
    ck_assert_str_eq(err, "at least one validator is required");

    ck_assert_str_eq(regtest.name, "regtest");
    ck_assert_str_eq(regtest.hrp, "rfml");
    ck_assert_str_eq(testnet.hrp, "tfml");
    ck_assert_str_eq(mainnet.hrp, "fml");
    ck_assert_uint_eq(regtest.slot_seconds, 1);
    ck_assert_uint_eq(regtest.epoch_slots, 8);
    ck_assert_uint_eq(regtest.finality_depth, 20);
    ck_assert_uint_eq(regtest.unbonding_blocks, 10);
    ck_assert_uint_eq(mainnet.slot_seconds, 5);
    ck_assert_uint_eq(mainnet.epoch_slots, 120);
    ck_assert_uint_eq(mainnet.finality_depth, 100);
    ck_assert_uint_eq(mainnet.unbonding_blocks, 21 * 86400 / 5);
    ck_assert_uint_eq(testnet.slot_seconds, 5);
    ck_assert_uint_eq((uint32_t)regtest.split_proposer_bps + regtest.split_fl_bps +
                          regtest.split_arena_bps + regtest.split_market_bps,
                      10000);

    /* Distinct magics, ports and genesis hashes. */
    ck_assert(memcmp(regtest.magic, testnet.magic, 4) != 0);
    ck_assert(memcmp(regtest.magic, mainnet.magic, 4) != 0);
    ck_assert(memcmp(testnet.magic, mainnet.magic, 4) != 0);
    ck_assert(memcmp(mainnet.genesis_hash, testnet.genesis_hash, HASH_SIZE) != 0);

    enum network net;
    ck_assert(params_network_from_name("main", &net) && net == NET_MAIN);
    ck_assert(params_network_from_name("test", &net) && net == NET_TEST);
    ck_assert(params_network_from_name("regtest", &net) && net == NET_REGTEST);
    ck_assert(!params_network_from_name("testnet", &net));
    ck_assert(!params_network_from_name("", &net));
    ck_assert_str_eq(params_network_subdir(NET_MAIN), "");
    ck_assert_str_eq(params_network_subdir(NET_TEST), "testnet");
    ck_assert_str_eq(params_network_subdir(NET_REGTEST), "regtest");
    ck_assert_uint_eq(params_default_rpc_port(NET_REGTEST), regtest.rpc_port);
    ck_assert_uint_eq(params_default_p2p_port(NET_TEST), testnet.p2p_port);
    ck_assert_uint_ne(params_default_rpc_port(NET_MAIN), params_default_rpc_port(NET_TEST));
    ck_assert_uint_ne(params_default_p2p_port(NET_MAIN), params_default_rpc_port(NET_MAIN));

    struct chain_params c;
    ck_assert(!params_init(&c, NET_CUSTOM));
}
END_TEST

/* Slot arithmetic. */
START_TEST(test_params_slots)
{
    ck_assert_uint_eq(params_slot_start(&regtest, 0), regtest.genesis_time);
    ck_assert_uint_eq(params_slot_start(&mainnet, 3), mainnet.genesis_time + 15);
    ck_assert_uint_eq(params_slot_at(&mainnet, mainnet.genesis_time - 1), 0);
    ck_assert_uint_eq(params_slot_at(&mainnet, mainnet.genesis_time + 14), 2);
    ck_assert_uint_eq(params_slot_at(&mainnet, mainnet.genesis_time + 15), 3);
    ck_assert_uint_eq(params_epoch_of(&regtest, 7), 0);
    ck_assert_uint_eq(params_epoch_of(&regtest, 8), 1);
    ck_assert_uint_eq(params_epoch_of(&mainnet, 239), 1);
}
END_TEST

/* params_validate names the field at fault for each structural error. */
START_TEST(test_params_validate_fields)
{
    struct chain_params c;
    struct genesis_alloc allocs[REGTEST_VALIDATORS];
    struct genesis_validator vals[REGTEST_VALIDATORS];
    char err[128];

#define EXPECT_INVALID(change, msg)                                  \
    do {                                                             \
        custom_copy(&c, allocs, vals);                               \
        change;                                                      \
        err[0] = '\0';                                               \
        ck_assert_msg(!params_validate(&c, err, sizeof(err)), "%s accepted", #change); \
        ck_assert_str_eq(err, msg);                                  \
    } while (0)

    custom_copy(&c, allocs, vals);
    ck_assert(params_validate(&c, err, sizeof(err)));

    EXPECT_INVALID(c.name[0] = '\0', "name is empty");
    EXPECT_INVALID(c.hrp[0] = '\0', "hrp is empty");
    EXPECT_INVALID(c.slot_seconds = 0, "slot_seconds must be 1..3600");
    EXPECT_INVALID(c.epoch_slots = 0, "epoch_slots must be 1..100000");
    EXPECT_INVALID(c.finality_depth = 0, "finality_depth must be positive");
    EXPECT_INVALID(c.max_block_size = 999, "max_block_size must be 1000..32000000");
    EXPECT_INVALID(c.max_tx_size = c.max_block_size + 1, "max_tx_size must be 200..max_block_size");
    EXPECT_INVALID(c.max_block_txs = BLOCK_MAX_TXS_DECODE + 1, "max_block_txs out of range");
    EXPECT_INVALID(c.max_validators = 0, "max_validators must be 1..10000");
    EXPECT_INVALID(c.slash_bps = 10001, "basis points above 10000");
    EXPECT_INVALID(c.split_fl_bps++, "reward split must sum to 10000 bps");
    EXPECT_INVALID(c.block_reward = MAX_SUPPLY + 1, "block_reward above the supply cap");
    EXPECT_INVALID(c.n_validators = 0, "at least one validator is required");
    EXPECT_INVALID(c.max_validators = 3, "too many validators");
    EXPECT_INVALID(memset(allocs[1].pubkey, 0xff, PUBKEY_SIZE), "invalid allocation");
    EXPECT_INVALID(allocs[1].amount = MAX_SUPPLY, "invalid allocation");
    EXPECT_INVALID(memset(vals[1].pubkey, 0xff, PUBKEY_SIZE), "invalid validator");
    EXPECT_INVALID(vals[0].stake = c.min_validator_stake - 1,
                   "validator stake below min_validator_stake");
    EXPECT_INVALID(vals[0].commission_bps = (uint16_t)(c.max_commission_bps + 1),
                   "validator commission above max_commission_bps");
#undef EXPECT_INVALID
}
END_TEST

/* Whatever params_validate accepts must make a working chain: with a
 * minimum validator stake of zero, a validator with no stake would enter a
 * schedule with stake 0 (at genesis or at an epoch change), which no node can
 * read back (schedule_decode requires non-zero stakes) and which could never
 * be drawn. */
START_TEST(test_params_validate_zero_stake)
{
    struct chain_params c;
    struct genesis_alloc allocs[REGTEST_VALIDATORS];
    struct genesis_validator vals[REGTEST_VALIDATORS];
    char err[128];

    custom_copy(&c, allocs, vals);
    c.min_validator_stake = 0;
    ck_assert_msg(!params_validate(&c, err, sizeof(err)), "a zero minimum stake accepted");
    ck_assert_str_eq(err, "min_validator_stake must be positive");

    custom_copy(&c, allocs, vals);
    c.min_validator_stake = 1;
    ck_assert(params_validate(&c, err, sizeof(err)));
    vals[2].stake = 0;
    ck_assert_msg(!params_validate(&c, err, sizeof(err)), "a validator without stake accepted");
    ck_assert_str_eq(err, "validator stake below min_validator_stake");
}
END_TEST

/* Whatever params_validate accepts must make addresses: the hrp has to be a
 * valid lower-case bech32 human-readable part. */
START_TEST(test_params_validate_hrp)
{
    static const char *const bad[] = {"FML", "fMl", "f ml", "f\x7fml"};
    struct chain_params c;
    struct genesis_alloc allocs[REGTEST_VALIDATORS];
    struct genesis_validator vals[REGTEST_VALIDATORS];
    char err[128], addr[ADDRESS_MAX_LEN];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        custom_copy(&c, allocs, vals);
        strcpy(c.hrp, bad[i]);
        ck_assert(!address_encode(addr, c.hrp, allocs[0].pubkey));
        ck_assert_msg(!params_validate(&c, err, sizeof(err)), "hrp \"%s\" accepted", bad[i]);
        ck_assert_str_eq(err, "hrp must be lower-case bech32 characters");
    }
    /* The control: unusual but valid hrps are fine. */
    custom_copy(&c, allocs, vals);
    strcpy(c.hrp, "hospital-net-01");
    ck_assert(params_validate(&c, err, sizeof(err)));
    ck_assert(address_encode(addr, c.hrp, allocs[0].pubkey));
}
END_TEST

static Suite *state_root_suite(void)
{
    Suite *s = suite_create("state_root");
    TCase *tc = tcase_create("lthash");
    tcase_add_test(tc, test_lthash_vectors);
    tcase_add_test(tc, test_lthash_element);
    tcase_add_test(tc, test_lthash_order_and_removal);
    tcase_add_test(tc, test_lthash_distinguishes);
    tcase_add_test(tc, test_lthash_encode_decode);
    suite_add_tcase(s, tc);

    tc = tcase_create("genesis");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_genesis_state_root);
    tcase_add_test(tc, test_genesis_state_contents);
    tcase_add_test(tc, test_genesis_duplicates);
    suite_add_tcase(s, tc);

    tc = tcase_create("params");
    tcase_add_test(tc, test_params_builtin);
    tcase_add_test(tc, test_params_slots);
    tcase_add_test(tc, test_params_validate_fields);
    tcase_add_test(tc, test_params_validate_zero_stake);
    tcase_add_test(tc, test_params_validate_hrp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setup_once();
    int rc = test_run_suite(state_root_suite());
    params_free(&regtest);
    params_free(&testnet);
    params_free(&mainnet);
    return rc;
}
