/* Hashes, keys, signatures and addresses against published vectors.
 *
 * - BLAKE2b-256 with a personalization per object type: the "abc" vectors
 *   below were computed independently with Python's hashlib.blake2b
 *   (digest_size=32, person=tag padded with zero bytes to 16).
 * - BIP340: the published test-vectors.csv of bitcoin/bips, checked in as
 *   tests/data/bip340-vectors.csv, including the variable-length messages.
 * - BIP173/BIP350: the published valid and invalid bech32 and bech32m strings
 *   and segwit addresses (for the 8-to-5 regrouping and its padding rules).
 * - Addresses: round trips and every way an address can be wrong.
 */
#include "consensus/bech32.h"
#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/params.h"

#include <ctype.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <sodium.h>
#include <errno.h>

#include "tests/unit/test_util.h"

/* ---- BLAKE2b-256 ------------------------------------------------------- */

struct tag_vector {
    const char *tag;
    const char *abc; /* BLAKE2b-256 of "abc" under the tag */
};

static const struct tag_vector tag_vectors[] = {
    {HTAG_TXID, "8475430de7ca8bbb613ec8ff8604ee0d7c45cfe458e0e2256c412693b088cf08"},
    {HTAG_TXSIG, "519a2be57ba0ca0d84963c5c831dda3e02504c09cbc93e1388b59823804125ae"},
    {HTAG_BLOCK, "2cf7b58d4ae6e4bcc6d9dd69726b6e8975a79f9946a7f6a9e9d162ad259470a0"},
    {HTAG_BLOCKSIG, "05d5d6c226ef67875bb25a166cb5841f1efdce532a8be78c447786975831e253"},
    {HTAG_MERKLE, "b19ba0c523f829571834302cd2a843baa3b256e25d67deeb4fc978ed98a2c436"},
    {HTAG_LTELEM, "02120e60b3e45c7f41aafea1b1d86b6182b4dab55404dd02f0af822c0b025fbf"},
    {HTAG_STATEROOT, "565df6bb9f5a21f508bf0f7e7f205c75c1ac6fcb23781a8c8ed5d9f20641697d"},
    {HTAG_RANDAO, "3647da9bde6c39697b5a3ff2235408e26b65d021c1472c613b905fc74eb12538"},
    {HTAG_MIX, "dc60a0bb22f3ec937302b1ee03f39b97a0e35c4203111acf978627591e0059f5"},
    {HTAG_LEADER, "2f9295af6b115bd23ac9dbb46614102fe7cd56477486d20bceb37d58c37bc550"},
    {HTAG_GENESIS, "04b5a329878de5b2aed3491c125ea6c5dad16e0d4982ea0490efb586a39955c5"},
    {HTAG_CHECKSUM, "9aa26e0824dc2e2cb4eaca3a368b577c67180734943eab81097172cc5db92979"},
    {HTAG_KEYSEED, "4fe3a22cd04c375f23ac3231d363f0f228753441853399c896e3d32f8cf41c0b"},
    {HTAG_EVIDENCE, "9220bd1cb1d3f04d39e3263c8389dd8dd2b32e2b39e95c2d2b9daaa9fdf4da1c"},
    {HTAG_FLROLES, "d99fdf2aecf9cd6d05ed8ef2fc002cff99e02d3dabb40e7a3a58a61c53dbd256"},
    {HTAG_FLMODEL, "305c0ee3082caa1d6b9d6b7421094873176573663005edb05d33a8f49e3eb8f4"},
    {HTAG_FLVOTE, "4e203ed40730a6a051b2da14b716f4fa1262a0952db64379aaf64cc7348b1d17"},
    {HTAG_FLUPDATE, "ea7b13bf3b34ac5c4e51b7e88f62f695b271d6145878e7ba16549ef48da0666e"},
    {HTAG_ARENA_SUB, "7dbb137f865a7ab4388e51dde0d9ae53cd9f32908217abf9ad8051938fd6b347"},
    {HTAG_ARENA_SCORE, "4361cf806b06bbefa0cf28bef68f33217823d2f7d62a608a164656cf86d24975"},
    {HTAG_ARENA_LEAF, "cd53cdc0cb6eb4c2ef9282eb3902b8f2ce7980986a63c2e1730078b095f3ccf5"},
    {HTAG_ARENA_NODE, "e1f7ca1a2d6934903dff26439875504bdc068eae30b7325655acbac4059a87d8"},
    {HTAG_ARENA_ASSIGN, "ba0459d3e4515b45e45a49a63b63741cab2e0f737643dfe9e3ae99a0e51a5de1"},
    {HTAG_MARKET_REQUEST, "e2a89c34d7e1b53cf77f7f7e45423faf4b65c25c26fcea677389b052ba925936"},
    {HTAG_MESSAGE, "09d138c0b7f5709c7d088fdc2479cbb8c129d68278076ad53e489379c17946b4"},
};

#define N_TAGS (sizeof(tag_vectors) / sizeof(tag_vectors[0]))

/* Each tag hashes "abc" to the independently computed value, and all the
 * tags are distinct (a tag must fit the 16-byte personalization). */
START_TEST(test_tagged_hash_vectors)
{
    for (size_t i = 0; i < N_TAGS; i++) {
        uint8_t h[HASH_SIZE];
        ck_assert_uint_le(strlen(tag_vectors[i].tag), crypto_generichash_blake2b_PERSONALBYTES);
        hash_tagged(h, tag_vectors[i].tag, "abc", 3);
        ck_assert_hex_eq(h, HASH_SIZE, tag_vectors[i].abc);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(tag_vectors[i].tag, tag_vectors[j].tag);
    }
}
END_TEST

/* The personalization is what separates the types: the same bytes under
 * two tags, or under a tag and plain BLAKE2b, give different hashes. */
START_TEST(test_tag_separates)
{
    uint8_t a[HASH_SIZE], b[HASH_SIZE], plain[HASH_SIZE];
    hash_tagged(a, HTAG_TXID, "x", 1);
    hash_tagged(b, HTAG_BLOCK, "x", 1);
    crypto_generichash(plain, sizeof(plain), (const unsigned char *)"x", 1, NULL, 0);
    ck_assert(memcmp(a, b, HASH_SIZE) != 0);
    ck_assert(memcmp(a, plain, HASH_SIZE) != 0);
    ck_assert(memcmp(b, plain, HASH_SIZE) != 0);
}
END_TEST

/* Streaming in pieces equals one shot, and hasher_u64 writes 8 LE bytes. */
START_TEST(test_hasher_streaming)
{
    uint8_t data[300], one[HASH_SIZE], many[HASH_SIZE], u64le[HASH_SIZE], u64h[HASH_SIZE];
    struct hasher h;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    hash_tagged(one, HTAG_MERKLE, data, sizeof(data));
    hasher_init(&h, HTAG_MERKLE);
    hasher_write(&h, data, 1);
    hasher_write(&h, data + 1, 0);
    hasher_write(&h, data + 1, 127);
    hasher_write(&h, data + 128, sizeof(data) - 128);
    hasher_final(&h, many);
    ck_assert(memcmp(one, many, HASH_SIZE) == 0);

    hash_tagged(u64le, HTAG_LEADER, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    hasher_init(&h, HTAG_LEADER);
    hasher_u64(&h, UINT64_C(0x0102030405060708));
    hasher_final(&h, u64h);
    ck_assert(memcmp(u64le, u64h, HASH_SIZE) == 0);
}
END_TEST

/* Hex of a hash is in byte order; parsing takes either case and exactly 64
 * hex digits. */
START_TEST(test_hash_hex)
{
    uint8_t h[HASH_SIZE], back[HASH_SIZE];
    char hex[2 * HASH_SIZE + 1];
    for (int i = 0; i < HASH_SIZE; i++)
        h[i] = (uint8_t)(0xf0 - i);
    hash_to_hex(h, hex);
    ck_assert_str_eq(hex, "f0efeeedecebeae9e8e7e6e5e4e3e2e1e0dfdedddcdbdad9d8d7d6d5d4d3d2d1");
    ck_assert(hash_from_hex(back, hex));
    ck_assert(memcmp(h, back, HASH_SIZE) == 0);
    for (char *c = hex; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    ck_assert(hash_from_hex(back, hex));
    ck_assert(memcmp(h, back, HASH_SIZE) == 0);

    ck_assert(!hash_from_hex(back, ""));
    ck_assert(!hash_from_hex(back, "f0"));
    hex[63] = '\0';
    ck_assert(!hash_from_hex(back, hex)); /* 63 digits */
    ck_assert(!hash_from_hex(back, "g0efeeedecebeae9e8e7e6e5e4e3e2e1e0dfdedddcdbdad9d8d7d6d5d4d3d2d1"));
    ck_assert(!hash_from_hex(back, "f0efeeedecebeae9e8e7e6e5e4e3e2e1e0dfdedddcdbdad9d8d7d6d5d4d3d2d1f"));
}
END_TEST

START_TEST(test_hash_is_zero)
{
    uint8_t h[HASH_SIZE] = {0};
    ck_assert(hash_is_zero(h));
    for (int i = 0; i < HASH_SIZE; i++) {
        h[i] = 1;
        ck_assert(!hash_is_zero(h));
        h[i] = 0;
    }
}
END_TEST

/* ---- BIP340 ------------------------------------------------------------ */

/* Splits a CSV line in place into at most max fields (no quoting in the
 * vector file). */
static size_t split_csv(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        fields[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

/* Every published vector: the public key of each secret key, the exact
 * signature for the given aux_rand (deterministic signing), and the
 * verification result, for 32-byte and for variable-length messages. */
START_TEST(test_bip340_vectors)
{
    char path[1024], line[1024];
    size_t rows = 0, signed_rows = 0, varlen_rows = 0, invalid_rows = 0;
    FILE *f;

    test_data_path(path, sizeof(path), "bip340-vectors.csv");
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f)); /* header */
    ck_assert_msg(strncmp(line, "index,secret key,public key,aux_rand,message,signature", 54) == 0,
                  "unexpected header: %s", line);

    while (fgets(line, sizeof(line), f)) {
        char *fld[8];
        uint8_t sec[32], pub[32], aux[32], msg[256], sig[64], mysig[64], mypub[32];
        size_t msglen;
        bool expect;

        if (line[0] == '\n' || line[0] == '\r' || line[0] == '\0')
            continue;
        ck_assert_uint_eq(split_csv(line, fld, 8), 8);
        test_unhex_n(pub, 32, fld[2]);
        ck_assert(test_unhex(msg, sizeof(msg), &msglen, fld[4]));
        test_unhex_n(sig, 64, fld[5]);
        ck_assert(strcmp(fld[6], "TRUE") == 0 || strcmp(fld[6], "FALSE") == 0);
        expect = strcmp(fld[6], "TRUE") == 0;

        ck_assert_msg(key_verify(sig, msg, msglen, pub) == expect, "vector %s (%s): verify", fld[0],
                      fld[7]);
        if (!expect)
            invalid_rows++;

        if (fld[1][0] != '\0') {
            test_unhex_n(sec, 32, fld[1]);
            test_unhex_n(aux, 32, fld[3]);
            ck_assert_msg(key_pubkey(mypub, sec), "vector %s: pubkey", fld[0]);
            ck_assert_msg(memcmp(mypub, pub, 32) == 0, "vector %s: public key differs", fld[0]);
            ck_assert_msg(key_sign_msg(mysig, msg, msglen, sec, aux), "vector %s: sign", fld[0]);
            ck_assert_msg(memcmp(mysig, sig, 64) == 0, "vector %s: signature differs", fld[0]);
            if (msglen == 32) {
                ck_assert(key_sign(mysig, msg, sec, aux));
                ck_assert(memcmp(mysig, sig, 64) == 0);
            }
            signed_rows++;
        }
        if (msglen != 32)
            varlen_rows++;
        rows++;
    }
    fclose(f);
    /* The file as published: 19 vectors, 8 with a secret key (signing), 10
     * that must not verify, 4 with messages other than 32 bytes. */
    ck_assert_uint_eq(rows, 19);
    ck_assert_uint_eq(signed_rows, 8);
    ck_assert_uint_eq(invalid_rows, 10);
    ck_assert_uint_eq(varlen_rows, 4);
}
END_TEST

/* A secret key must be in [1, n-1]. */
START_TEST(test_secret_key_range)
{
    uint8_t sec[32], pub[32];
    /* n, the order of secp256k1. */
    test_unhex_n(sec, 32, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    ck_assert(!key_pubkey(pub, sec));
    sec[31]--; /* n - 1 */
    ck_assert(key_pubkey(pub, sec));
    /* (n-1)G = -G has G's x coordinate. */
    ck_assert_hex_eq(pub, 32, "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    memset(sec, 0xff, 32);
    ck_assert(!key_pubkey(pub, sec));
    memset(sec, 0, 32);
    ck_assert(!key_pubkey(pub, sec));
    uint8_t sig[64], msg[32] = {0};
    ck_assert(!key_sign(sig, msg, sec, NULL));
    sec[31] = 1;
    ck_assert(key_pubkey(pub, sec));
    ck_assert_hex_eq(pub, 32, "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}
END_TEST

/* key_pubkey_valid: x coordinates on the curve only, below the field size. */
START_TEST(test_pubkey_valid)
{
    uint8_t x[32];
    test_unhex_n(x, 32, "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    ck_assert(key_pubkey_valid(x));
    /* BIP340 vector 5: not on the curve. */
    test_unhex_n(x, 32, "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34");
    ck_assert(!key_pubkey_valid(x));
    /* BIP340 vector 14: exceeds the field size. */
    test_unhex_n(x, 32, "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30");
    ck_assert(!key_pubkey_valid(x));
    memset(x, 0, 32);
    ck_assert(!key_pubkey_valid(x)); /* 0^3 + 7 = 7 is not a square mod p */
}
END_TEST

/* A key drawn at random with the given first two bytes, valid or not as
 * asked: what libsecp256k1 itself says, not the memo. */
static void key_with_prefix(uint8_t x[32], uint8_t b0, uint8_t b1, bool valid)
{
    secp256k1_xonly_pubkey xpk;
    do {
        randombytes_buf(x, 32);
        x[0] = b0;
        x[1] = b1;
    } while ((secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, x) == 1) != valid);
}

/* The memo of valid keys answers as the library does: keys sharing a slot
 * evict each other, an invalid key never passes for the valid one in its
 * slot, and a random mix gives the library's answer twice over. */
START_TEST(test_pubkey_valid_memo)
{
    uint8_t a[32], b[32], bad[32];
    key_with_prefix(a, 0x12, 0x34, true);
    key_with_prefix(b, 0x12, 0x34, true);
    key_with_prefix(bad, 0x12, 0x34, false);
    ck_assert(key_pubkey_valid(a));
    ck_assert(!key_pubkey_valid(bad));
    ck_assert(key_pubkey_valid(b));
    ck_assert(key_pubkey_valid(a));
    ck_assert(!key_pubkey_valid(bad));
    /* Only the last bytes differ from a memoized key. */
    memcpy(bad, a, 32);
    secp256k1_xonly_pubkey xpk;
    do
        bad[31]++;
    while (secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, bad) == 1);
    ck_assert(key_pubkey_valid(a));
    ck_assert(!key_pubkey_valid(bad));
    static uint8_t keys[3000][32];
    for (size_t i = 0; i < 3000; i++)
        randombytes_buf(keys[i], 32);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < 3000; i++)
            ck_assert_int_eq(key_pubkey_valid(keys[i]),
                             secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, keys[i]) == 1);
}
END_TEST

/* A signature verifies for its message and key only: flipping any of its
 * 512 bits, changing the message or the key makes it fail.  NULL aux is
 * the same as 32 zero bytes. */
START_TEST(test_sign_verify)
{
    uint8_t sec[32], pub[32], other[32], msg[32], sig[64], sig2[64];
    static const uint8_t zero[32];
    params_regtest_secret(0, sec);
    ck_assert(key_pubkey(pub, sec));
    params_regtest_secret(1, other);
    ck_assert(key_pubkey(other, other));
    hash_tagged(msg, HTAG_TXSIG, "message", 7);

    ck_assert(key_sign(sig, msg, sec, NULL));
    ck_assert(key_sign(sig2, msg, sec, zero));
    ck_assert(memcmp(sig, sig2, 64) == 0);
    ck_assert(key_verify(sig, msg, 32, pub));
    ck_assert(!key_verify(sig, msg, 32, other));
    ck_assert(!key_verify(sig, msg, 31, pub));

    for (int bit = 0; bit < 512; bit++) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!key_verify(sig, msg, 32, pub), "bit %d flipped still verifies", bit);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (int bit = 0; bit < 256; bit++) {
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert(!key_verify(sig, msg, 32, pub));
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }

    /* Different aux randomness gives a different, equally valid signature. */
    uint8_t aux[32];
    memset(aux, 0x5a, sizeof(aux));
    ck_assert(key_sign(sig2, msg, sec, aux));
    ck_assert(memcmp(sig, sig2, 64) != 0);
    ck_assert(key_verify(sig2, msg, 32, pub));
}
END_TEST

/* ---- bech32 / bech32m (BIP173, BIP350) --------------------------------- */

/* BIP173 "valid Bech32" strings. */
static const char *const bip173_valid[] = {
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
};

/* BIP173 "not valid Bech32" strings. */
static const char *const bip173_invalid[] = {
    "\x20" "1nwldj5",
    "\x7f" "1axkwrx",
    "\x80" "1eym55h",
    "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
    "pzry9x0s0muk",
    "1pzry9x0s0muk",
    "x1b4n0q5v",
    "li1dgmt3",
    "de1lg7wt" "\xff",
    "A1G7SGD8",
    "10a06t8",
    "1qzzfhee",
};

/* BIP350 "valid Bech32m" strings. */
static const char *const bip350_valid[] = {
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
};

/* BIP350 "not valid Bech32m" strings. */
static const char *const bip350_invalid[] = {
    "\x20" "1xj0phk",
    "\x7f" "1g6xzxy",
    "\x80" "1vctc34",
    "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
    "qyrz8wqd2c9m",
    "1qyrz8wqd2c9m",
    "y1b0jsk6g",
    "lt1igcx5c0",
    "in1muywd",
    "mm1crxm3i",
    "au1s5cgom",
    "M1VUXWEZ",
    "16plkw9",
    "1p2gdwpf",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void lower(char *out, const char *in)
{
    while (*in)
        *out++ = (char)tolower((unsigned char)*in++);
    *out = '\0';
}

/* Each valid string decodes with its checksum kind reported (a string is
 * never valid as both) and re-encodes to itself in lower case. */
static void check_valid(const char *str, enum bech32_encoding expect)
{
    char hrp[84], again[BECH32_MAX_LEN + 1], low[BECH32_MAX_LEN + 1];
    uint8_t data[90];
    size_t len;
    enum bech32_encoding got = bech32_decode(hrp, data, &len, str);
    ck_assert_msg(got == expect, "%s decoded as %d, expected %d", str, (int)got, (int)expect);
    ck_assert_msg(bech32_encode(again, hrp, data, len, expect), "%s: re-encode", str);
    lower(low, str);
    ck_assert_str_eq(again, low);
}

START_TEST(test_bech32_published_valid)
{
    for (size_t i = 0; i < COUNT(bip173_valid); i++)
        check_valid(bip173_valid[i], BECH32_ORIGINAL);
    for (size_t i = 0; i < COUNT(bip350_valid); i++)
        check_valid(bip350_valid[i], BECH32_M);
}
END_TEST

START_TEST(test_bech32_published_invalid)
{
    char hrp[84];
    uint8_t data[90];
    size_t len;
    for (size_t i = 0; i < COUNT(bip173_invalid); i++)
        ck_assert_msg(bech32_decode(hrp, data, &len, bip173_invalid[i]) == BECH32_INVALID,
                      "BIP173 invalid vector %zu accepted", i);
    for (size_t i = 0; i < COUNT(bip350_invalid); i++)
        ck_assert_msg(bech32_decode(hrp, data, &len, bip350_invalid[i]) == BECH32_INVALID,
                      "BIP350 invalid vector %zu accepted", i);
}
END_TEST

/* Decodes a published segwit address into its version and program with
 * bech32_convert_bits (5 -> 8, no padding); false when the regrouping
 * refuses the padding. */
static bool segwit_program(const char *addr, enum bech32_encoding *enc, uint8_t *version,
                           uint8_t *prog, size_t *prog_len)
{
    char hrp[84];
    uint8_t data[90];
    size_t len;
    *enc = bech32_decode(hrp, data, &len, addr);
    if (*enc == BECH32_INVALID || len < 1)
        return false;
    *version = data[0];
    return bech32_convert_bits(prog, prog_len, 8, data + 1, len - 1, 5, false);
}

/* The segwit address vectors of BIP173/BIP350 exercise the regrouping of
 * bits with its padding rules, which our addresses use. */
START_TEST(test_bech32_segwit_regrouping)
{
    enum bech32_encoding enc;
    uint8_t version, prog[90], data[90];
    size_t n, dn;
    char again[BECH32_MAX_LEN + 1];

    ck_assert(segwit_program("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", &enc, &version, prog, &n));
    ck_assert(enc == BECH32_ORIGINAL && version == 0);
    ck_assert_hex_eq(prog, n, "751e76e8199196d454941c45d1b3a323f1433bd6");

    ck_assert(segwit_program("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", &enc,
                             &version, prog, &n));
    ck_assert(enc == BECH32_M && version == 1);
    ck_assert_hex_eq(prog, n, "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");

    /* And back: 8 -> 5 with padding, then bech32m, gives the same string. */
    data[0] = 1;
    ck_assert(bech32_convert_bits(data + 1, &dn, 5, prog, n, 8, true));
    ck_assert(bech32_encode(again, "bc", data, dn + 1, BECH32_M));
    ck_assert_str_eq(again, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0");

    ck_assert(segwit_program("tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy", &enc,
                             &version, prog, &n));
    ck_assert_hex_eq(prog, n, "000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433");

    /* "zero padding of more than 4 bits" and "non-zero padding in 8-to-5
     * conversion": valid checksums, refused by the regrouping. */
    ck_assert(!segwit_program("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
                              &enc, &version, prog, &n));
    ck_assert(enc == BECH32_M);
    ck_assert(!segwit_program("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", &enc,
                              &version, prog, &n));
    ck_assert(enc == BECH32_M);
    ck_assert(!segwit_program("bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", &enc, &version, prog, &n));
    ck_assert(!segwit_program("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv", &enc,
                              &version, prog, &n));

    /* BIP350: checksum kind mismatches are reported, so a caller can refuse
     * them ("bech32 instead of bech32m" and the reverse). */
    ck_assert(segwit_program("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", &enc,
                             &version, prog, &n));
    ck_assert(enc == BECH32_ORIGINAL && version == 1);
    ck_assert(segwit_program("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", &enc, &version, prog, &n));
    ck_assert(enc == BECH32_M && version == 0);
    /* Mixed case and an invalid checksum character. */
    ck_assert(!segwit_program("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", &enc,
                              &version, prog, &n));
    ck_assert(enc == BECH32_INVALID);
    ck_assert(!segwit_program("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", &enc,
                              &version, prog, &n));
    ck_assert(enc == BECH32_INVALID);
}
END_TEST

/* The encoder refuses what no decoder would accept. */
START_TEST(test_bech32_encode_limits)
{
    char out[BECH32_MAX_LEN + 1];
    uint8_t data[90] = {0};
    ck_assert(!bech32_encode(out, "", data, 1, BECH32_M));
    ck_assert(!bech32_encode(out, "Fml", data, 1, BECH32_M));
    ck_assert(!bech32_encode(out, "f ml", data, 1, BECH32_M));
    ck_assert(!bech32_encode(out, "fml", data, 1, BECH32_INVALID));
    data[0] = 32;
    ck_assert(!bech32_encode(out, "fml", data, 1, BECH32_M));
    data[0] = 31;
    ck_assert(bech32_encode(out, "fml", data, 1, BECH32_M));
    /* 90 characters is the limit: hrp 3 + '1' + data + 6. */
    memset(data, 0, sizeof(data));
    ck_assert(bech32_encode(out, "fml", data, 80, BECH32_M));
    ck_assert_uint_eq(strlen(out), 90);
    ck_assert(!bech32_encode(out, "fml", data, 81, BECH32_M));
}
END_TEST

/* Addresses of the regtest validators: independently computed (Python,
 * from the seeds, with a pure-Python secp256k1 and bech32m). */
static const char *const validator0_addresses[][2] = {
    {"fml", "fml1q8km8ywvd0y7428tqjvhpp4rpyxzps6y7vmygempga29ggt90vd0szygauy"},
    {"tfml", "tfml1q8km8ywvd0y7428tqjvhpp4rpyxzps6y7vmygempga29ggt90vd0sftvrr3"},
    {"rfml", "rfml1q8km8ywvd0y7428tqjvhpp4rpyxzps6y7vmygempga29ggt90vd0snjsmxe"},
};

static const char *const regtest_addresses[REGTEST_VALIDATORS] = {
    "rfml1q8km8ywvd0y7428tqjvhpp4rpyxzps6y7vmygempga29ggt90vd0snjsmxe",
    "rfml1qvscdgw872lsd7hur6yw7qtphq24gmc2thgdn49x6eaa7qxn944dspeug09",
    "rfml1qn5726v560h5kstn9uq7d8uk85fvrecmxdc20w3eaykagmudzs5aqfxtzf6",
    "rfml1qtf544708jje7k66k20tcrqgmzwpjr2cqgx5panpp2p49z0tmw68quvg4lr",
};

START_TEST(test_address_vectors)
{
    uint8_t sec[32], pub[32], back[32];
    char addr[ADDRESS_MAX_LEN];

    params_regtest_secret(0, sec);
    ck_assert(key_pubkey(pub, sec));
    for (size_t i = 0; i < COUNT(validator0_addresses); i++) {
        ck_assert(address_encode(addr, validator0_addresses[i][0], pub));
        ck_assert_str_eq(addr, validator0_addresses[i][1]);
        ck_assert(address_decode(back, validator0_addresses[i][0], addr));
        ck_assert(memcmp(back, pub, 32) == 0);
    }
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        params_regtest_secret(i, sec);
        ck_assert(key_pubkey(pub, sec));
        ck_assert(address_encode(addr, "rfml", pub));
        ck_assert_str_eq(addr, regtest_addresses[i]);
        /* The version symbol 0 is the 'q' after the separator. */
        ck_assert_int_eq(addr[5], 'q');
        ck_assert_uint_eq(strlen(addr), 4 + 1 + 1 + 52 + 6);
    }
}
END_TEST

/* Round trips of many keys on every network, and the upper-case form
 * (BIP173 allows all-upper-case strings, e.g. for QR codes). */
START_TEST(test_address_round_trip)
{
    static const char *const hrps[] = {"fml", "tfml", "rfml"};
    for (unsigned k = 1; k <= 64; k++) {
        uint8_t sec[32] = {0}, pub[32], back[32];
        char addr[ADDRESS_MAX_LEN], upper[ADDRESS_MAX_LEN];
        sec[31] = (uint8_t)k;
        sec[0] = (uint8_t)(k * 3);
        ck_assert(key_pubkey(pub, sec));
        for (size_t h = 0; h < COUNT(hrps); h++) {
            ck_assert(address_encode(addr, hrps[h], pub));
            ck_assert(address_decode(back, hrps[h], addr));
            ck_assert(memcmp(back, pub, 32) == 0);
            for (size_t i = 0; addr[i]; i++)
                upper[i] = (char)toupper((unsigned char)addr[i]), upper[i + 1] = '\0';
            ck_assert(address_decode(back, hrps[h], upper));
            ck_assert(memcmp(back, pub, 32) == 0);
            /* Another network's hrp is refused. */
            ck_assert(!address_decode(back, hrps[(h + 1) % 3], addr));
        }
    }
}
END_TEST

/* Builds an address-like string: hrp, version symbol, the 5-bit groups of
 * bytes, with the given checksum kind. */
static void make_string(char *out, const char *hrp, uint8_t version, const uint8_t *bytes,
                        size_t n, enum bech32_encoding enc)
{
    uint8_t data[90];
    size_t len;
    data[0] = version;
    ck_assert(bech32_convert_bits(data + 1, &len, 5, bytes, n, 8, true));
    ck_assert(bech32_encode(out, hrp, data, len + 1, enc));
}

/* Every way an address can be wrong is refused. */
START_TEST(test_address_rejections)
{
    uint8_t sec[32], pub[32], back[32], longer[33], off_curve[32], too_big[32];
    char addr[ADDRESS_MAX_LEN], s[BECH32_MAX_LEN + 1];

    params_regtest_secret(2, sec);
    ck_assert(key_pubkey(pub, sec));
    ck_assert(address_encode(addr, "rfml", pub));

    /* The control: the helper builds exactly the real address. */
    make_string(s, "rfml", 0, pub, 32, BECH32_M);
    ck_assert_str_eq(s, addr);
    ck_assert(address_decode(back, "rfml", s));

    /* Wrong hrp. */
    ck_assert(!address_decode(back, "fml", addr));
    ck_assert(!address_decode(back, "rfm", addr));
    /* Version symbol other than 0. */
    for (uint8_t v = 1; v < 32; v++) {
        make_string(s, "rfml", v, pub, 32, BECH32_M);
        ck_assert_msg(!address_decode(back, "rfml", s), "version %u accepted", v);
    }
    /* bech32 (BIP173) checksum instead of bech32m. */
    make_string(s, "rfml", 0, pub, 32, BECH32_ORIGINAL);
    ck_assert(!address_decode(back, "rfml", s));
    /* Mixed case. */
    strcpy(s, addr);
    {
        size_t i = 6;
        while (!islower((unsigned char)s[i]))
            i++;
        s[i] = (char)toupper((unsigned char)s[i]);
    }
    ck_assert(!address_decode(back, "rfml", s));
    /* A changed character breaks the checksum. */
    strcpy(s, addr);
    s[20] = s[20] == 'q' ? 'p' : 'q';
    ck_assert(!address_decode(back, "rfml", s));
    /* Bad lengths: 31 and 33 bytes, and no data at all. */
    make_string(s, "rfml", 0, pub, 31, BECH32_M);
    ck_assert(!address_decode(back, "rfml", s));
    memcpy(longer, pub, 32);
    longer[32] = 0;
    make_string(s, "rfml", 0, longer, 33, BECH32_M);
    ck_assert(!address_decode(back, "rfml", s));
    ck_assert(bech32_encode(s, "rfml", NULL, 0, BECH32_M));
    ck_assert(!address_decode(back, "rfml", s));
    /* Non-zero padding bits after the 256 bits of the key. */
    {
        uint8_t data[90];
        size_t len;
        data[0] = 0;
        ck_assert(bech32_convert_bits(data + 1, &len, 5, pub, 32, 8, true));
        ck_assert_uint_eq(len, 52);
        data[52] |= 1;
        ck_assert(bech32_encode(s, "rfml", data, 53, BECH32_M));
        ck_assert(!address_decode(back, "rfml", s));
    }
    /* 32 bytes that are not the x coordinate of a curve point, and an x at
     * or above the field size. */
    test_unhex_n(off_curve, 32, "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34");
    make_string(s, "rfml", 0, off_curve, 32, BECH32_M);
    ck_assert(!address_decode(back, "rfml", s));
    test_unhex_n(too_big, 32, "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30");
    make_string(s, "rfml", 0, too_big, 32, BECH32_M);
    ck_assert(!address_decode(back, "rfml", s));
    /* Garbage. */
    ck_assert(!address_decode(back, "rfml", ""));
    ck_assert(!address_decode(back, "rfml", "rfml1"));
    ck_assert(!address_decode(back, "rfml", "not an address at all"));
}
END_TEST

static Suite *crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("hash");
    tcase_add_test(tc, test_tagged_hash_vectors);
    tcase_add_test(tc, test_tag_separates);
    tcase_add_test(tc, test_hasher_streaming);
    tcase_add_test(tc, test_hash_hex);
    tcase_add_test(tc, test_hash_is_zero);
    suite_add_tcase(s, tc);

    tc = tcase_create("bip340");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bip340_vectors);
    tcase_add_test(tc, test_secret_key_range);
    tcase_add_test(tc, test_pubkey_valid);
    tcase_add_test(tc, test_pubkey_valid_memo);
    tcase_add_test(tc, test_sign_verify);
    suite_add_tcase(s, tc);

    tc = tcase_create("bech32");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bech32_published_valid);
    tcase_add_test(tc, test_bech32_published_invalid);
    tcase_add_test(tc, test_bech32_segwit_regrouping);
    tcase_add_test(tc, test_bech32_encode_limits);
    tcase_add_test(tc, test_address_vectors);
    tcase_add_test(tc, test_address_round_trip);
    tcase_add_test(tc, test_address_rejections);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    return test_run_suite(crypto_suite());
}
