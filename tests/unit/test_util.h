/* Small helpers shared by the consensus unit tests: hex, a seeded PRNG whose
 * seed is printed and can be replayed with FML_TEST_SEED, and a runner.
 *
 * Everything is static inline so each test program takes what it uses.
 */
#ifndef FML_TESTS_UNIT_TEST_UTIL_H
#define FML_TESTS_UNIT_TEST_UTIL_H

#include <check.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int test_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes hex (either case) into out (at most max bytes); false on odd
 * length, a bad digit or overflow. */
static inline bool test_unhex(uint8_t *out, size_t max, size_t *len, const char *hex)
{
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > max)
        return false;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = test_hexval(hex[2 * i]), lo = test_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return true;
}

/* Decodes hex that must be exactly n bytes long (asserts). */
static inline void test_unhex_n(uint8_t *out, size_t n, const char *hex)
{
    size_t len = 0;
    ck_assert_msg(test_unhex(out, n, &len, hex) && len == n, "bad %zu-byte hex: %s", n, hex);
}

/* Lower-case hex of data; the caller frees the result. */
static inline char *test_hex(const void *data, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = data;
    char *s = malloc(2 * n + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

/* Asserts that data is exactly the bytes spelled by hex (lower case). */
#define ck_assert_hex_eq(data, n, hex)                 \
    do {                                               \
        char *got_hex_ = test_hex((data), (n));        \
        ck_assert_str_eq(got_hex_, (hex));             \
        free(got_hex_);                                \
    } while (0)

/* xoshiro256** seeded by splitmix64: fast, good enough for test inputs and
 * identical on every platform, so a printed seed replays exactly. */
struct test_rng {
    uint64_t s[4];
};

static inline uint64_t test_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline void test_rng_seed(struct test_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = test_splitmix64(&seed);
}

static inline uint64_t test_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t test_rand64(struct test_rng *r)
{
    uint64_t result = test_rotl(r->s[1] * 5, 7) * 9;
    uint64_t t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = test_rotl(r->s[3], 45);
    return result;
}

/* Uniform enough in [0, n) for test inputs (n > 0). */
static inline uint64_t test_rand_below(struct test_rng *r, uint64_t n)
{
    return test_rand64(r) % n;
}

static inline void test_rand_bytes(struct test_rng *r, void *out, size_t n)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)test_rand64(r);
}

/* The seed of a randomized test: FML_TEST_SEED when set, otherwise fresh
 * randomness.  Printed either way so that a failure can be replayed. */
static inline uint64_t test_seed(const char *what)
{
    const char *env = getenv("FML_TEST_SEED");
    uint64_t seed;
    if (env && *env) {
        seed = strtoull(env, NULL, 0);
    } else {
        randombytes_buf(&seed, sizeof(seed));
    }
    printf("%s: seed %" PRIu64 " (replay with FML_TEST_SEED=%" PRIu64 ")\n", what, seed, seed);
    fflush(stdout);
    return seed;
}

/* Path of a file under tests/data. */
static inline void test_data_path(char *out, size_t outlen, const char *name)
{
#ifdef FML_TEST_DATA_DIR
    snprintf(out, outlen, "%s/%s", FML_TEST_DATA_DIR, name);
#else
    snprintf(out, outlen, "tests/data/%s", name);
#endif
}

/* Runs a suite and returns the process exit status. */
static inline int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
