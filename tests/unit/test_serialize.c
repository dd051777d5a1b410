/* The byte encodings every consensus object is built from: little-endian
 * fixed-width integers, Bitcoin CompactSize lengths and bounded byte strings.
 *
 * A decoder that accepts two spellings of one value, reads past its input or
 * ignores a trailing byte lets two nodes disagree about what a block says, so
 * every boundary, every non-canonical form and every truncation is tried. */
#include "consensus/serialize.h"

#include "tests/unit/test_util.h"

/* Writes with one put_* call and returns the bytes as hex. */
#define PUT_HEX(call, expect)                       \
    do {                                            \
        struct wbuf w_;                             \
        wbuf_init(&w_);                             \
        call;                                       \
        ck_assert(!w_.failed);                      \
        ck_assert_hex_eq(w_.data, w_.len, expect);  \
        wbuf_free(&w_);                             \
    } while (0)

/* Fixed-width integers are little-endian, two's complement for signed. */
START_TEST(test_fixed_width_encodings)
{
    PUT_HEX(put_u8(&w_, 0xab), "ab");
    PUT_HEX(put_u16(&w_, 0x1234), "3412");
    PUT_HEX(put_u32(&w_, 0x12345678), "78563412");
    PUT_HEX(put_u64(&w_, UINT64_C(0x0102030405060708)), "0807060504030201");
    PUT_HEX(put_i32(&w_, -2), "feffffff");
    PUT_HEX(put_i64(&w_, INT64_MIN), "0000000000000080");
    PUT_HEX(put_i64(&w_, -1), "ffffffffffffffff");
    PUT_HEX(put_bytes(&w_, "\x00\x01", 2), "0001");
    PUT_HEX(put_varbytes(&w_, "abc", 3), "03616263");

    uint8_t b[8];
    write_le64(b, UINT64_C(0x1122334455667788));
    ck_assert_hex_eq(b, 8, "8877665544332211");
    ck_assert_uint_eq(read_le64(b), UINT64_C(0x1122334455667788));
    write_be64(b, UINT64_C(0x1122334455667788));
    ck_assert_hex_eq(b, 8, "1122334455667788");
    ck_assert_uint_eq(read_be64(b), UINT64_C(0x1122334455667788));
    write_le32(b, 0xdeadbeef);
    ck_assert_hex_eq(b, 4, "efbeadde");
    ck_assert_uint_eq(read_le32(b), 0xdeadbeef);
}
END_TEST

/* Every getter reads back what the matching putter wrote, and the reader
 * is then exactly at the end. */
START_TEST(test_fixed_width_round_trip)
{
    struct wbuf w;
    struct rbuf r;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    bool flag;
    uint8_t raw[3];

    wbuf_init(&w);
    put_u8(&w, 0xfe);
    put_u16(&w, 0xfffe);
    put_u32(&w, 0xfffffffe);
    put_u64(&w, UINT64_MAX - 1);
    put_i32(&w, INT32_MIN);
    put_i64(&w, INT64_MIN + 1);
    put_u8(&w, 1); /* a bool */
    put_bytes(&w, "xyz", 3);
    ck_assert(!w.failed);
    ck_assert_uint_eq(w.len, 1 + 2 + 4 + 8 + 4 + 8 + 1 + 3);

    rbuf_init(&r, w.data, w.len);
    ck_assert(get_u8(&r, &u8) && u8 == 0xfe);
    ck_assert(get_u16(&r, &u16) && u16 == 0xfffe);
    ck_assert(get_u32(&r, &u32) && u32 == 0xfffffffe);
    ck_assert(get_u64(&r, &u64) && u64 == UINT64_MAX - 1);
    ck_assert(get_i32(&r, &i32) && i32 == INT32_MIN);
    ck_assert(get_i64(&r, &i64) && i64 == INT64_MIN + 1);
    ck_assert(get_bool(&r, &flag) && flag);
    ck_assert(!rbuf_done(&r)); /* three bytes left */
    ck_assert(get_bytes(&r, raw, 3) && memcmp(raw, "xyz", 3) == 0);
    ck_assert(rbuf_done(&r));
    wbuf_free(&w);
}
END_TEST

/* A reader never reads past its input: every fixed-width getter fails on
 * every shorter input, and a failed reader stays failed. */
START_TEST(test_fixed_width_truncation)
{
    static const uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct rbuf r;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;

    for (size_t len = 0; len < 8; len++) {
        rbuf_init(&r, buf, len);
        ck_assert(!get_u64(&r, &u64));
        ck_assert(r.failed);
        rbuf_init(&r, buf, len);
        ck_assert(!get_i64(&r, &i64));
        if (len < 4) {
            rbuf_init(&r, buf, len);
            ck_assert(!get_u32(&r, &u32));
            rbuf_init(&r, buf, len);
            ck_assert(!get_i32(&r, &i32));
        }
        if (len < 2) {
            rbuf_init(&r, buf, len);
            ck_assert(!get_u16(&r, &u16));
        }
        if (len < 1) {
            rbuf_init(&r, buf, len);
            ck_assert(!get_u8(&r, &u8));
        }
    }

    /* Sticky failure: after one failed read, even a read that would fit
     * fails, and the reader is not "done". */
    rbuf_init(&r, buf, 3);
    ck_assert(!get_u32(&r, &u32));
    ck_assert(!get_u8(&r, &u8));
    ck_assert(!rbuf_done(&r));
}
END_TEST

/* A bool is one byte, 0 or 1; any other value is a second spelling. */
START_TEST(test_bool_canonical)
{
    struct rbuf r;
    bool b;
    for (unsigned v = 0; v < 256; v++) {
        uint8_t byte = (uint8_t)v;
        rbuf_init(&r, &byte, 1);
        if (v <= 1) {
            ck_assert(get_bool(&r, &b));
            ck_assert(b == (v == 1));
            ck_assert(rbuf_done(&r));
        } else {
            ck_assert_msg(!get_bool(&r, &b), "bool byte %u accepted", v);
        }
    }
}
END_TEST

struct compact_case {
    uint64_t value;
    const char *hex;
};

/* The canonical encoding at every CompactSize boundary (Bitcoin's). */
static const struct compact_case compact_cases[] = {
    {0, "00"},
    {1, "01"},
    {0xfc, "fc"},
    {0xfd, "fdfd00"},
    {0xfe, "fdfe00"},
    {0xff, "fdff00"},
    {0x100, "fd0001"},
    {0xffff, "fdffff"},
    {0x10000, "fe00000100"},
    {0xffffffff, "feffffffff"},
    {UINT64_C(0x100000000), "ff0000000001000000"},
    {UINT64_C(0x0123456789abcdef), "ffefcdab8967452301"},
    {UINT64_MAX, "ffffffffffffffffff"},
};

/* Each boundary value encodes to its one canonical form through all three
 * writers, and decodes back to itself. */
START_TEST(test_compact_boundaries)
{
    for (size_t i = 0; i < sizeof(compact_cases) / sizeof(compact_cases[0]); i++) {
        const struct compact_case *c = &compact_cases[i];
        uint8_t buf[9], expect[9];
        size_t n, elen;
        struct wbuf w;
        struct rbuf r;
        uint64_t v;

        ck_assert(test_unhex(expect, sizeof(expect), &elen, c->hex));
        n = compact_encode(buf, c->value);
        ck_assert_uint_eq(n, elen);
        ck_assert_uint_eq(compact_size_len(c->value), elen);
        ck_assert_hex_eq(buf, n, c->hex);

        wbuf_init(&w);
        put_compact(&w, c->value);
        ck_assert_hex_eq(w.data, w.len, c->hex);
        wbuf_free(&w);

        rbuf_init(&r, expect, elen);
        ck_assert_msg(get_compact(&r, &v, UINT64_MAX), "decode %s", c->hex);
        ck_assert_uint_eq(v, c->value);
        ck_assert(rbuf_done(&r));
    }
}
END_TEST

/* A value written in a longer form than needed is rejected: the smallest
 * value of each width written one width wider, zero in every width, and the
 * largest value of each width written wider. */
START_TEST(test_compact_non_canonical)
{
    static const char *const bad[] = {
        "fd0000", "fd0100", "fdfc00",                   /* < 0xfd in 3 bytes */
        "fe00000000", "fefc000000", "fefd000000", "feffff0000", /* <= 0xffff in 5 */
        "ff0000000000000000", "fffc00000000000000",
        "ffffff000000000000", "ffffffffff00000000",     /* <= 0xffffffff in 9 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t buf[9];
        size_t n;
        uint64_t v;
        struct rbuf r;
        ck_assert(test_unhex(buf, sizeof(buf), &n, bad[i]));
        rbuf_init(&r, buf, n);
        ck_assert_msg(!get_compact(&r, &v, UINT64_MAX), "non-canonical %s accepted", bad[i]);
        ck_assert(r.failed);
    }
}
END_TEST

/* Truncating a CompactSize at every byte fails: a reader may not guess the
 * missing high bytes. */
START_TEST(test_compact_truncation)
{
    for (size_t i = 0; i < sizeof(compact_cases) / sizeof(compact_cases[0]); i++) {
        uint8_t buf[9];
        size_t n = compact_encode(buf, compact_cases[i].value);
        for (size_t len = 0; len < n; len++) {
            struct rbuf r;
            uint64_t v;
            rbuf_init(&r, buf, len);
            ck_assert_msg(!get_compact(&r, &v, UINT64_MAX), "%s cut to %zu bytes accepted",
                          compact_cases[i].hex, len);
        }
    }
}
END_TEST

/* The caller's bound is inclusive: max decodes, max + 1 does not, on both
 * sides of every width change. */
START_TEST(test_compact_bound)
{
    static const uint64_t maxes[] = {0, 1, 0xfc, 0xfd, 0xffff, 0x10000, 0xffffffff,
                                     UINT64_C(0x100000000)};
    for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
        uint8_t buf[9];
        size_t n;
        struct rbuf r;
        uint64_t v;

        n = compact_encode(buf, maxes[i]);
        rbuf_init(&r, buf, n);
        ck_assert(get_compact(&r, &v, maxes[i]) && v == maxes[i]);

        n = compact_encode(buf, maxes[i] + 1);
        rbuf_init(&r, buf, n);
        ck_assert_msg(!get_compact(&r, &v, maxes[i]), "%" PRIu64 " passed bound %" PRIu64,
                      maxes[i] + 1, maxes[i]);
    }
}
END_TEST

/* Byte strings: the length is bounded before anything is read, the bytes
 * must all be present, and a view points into the input. */
START_TEST(test_varbytes)
{
    uint8_t buf[300];
    struct wbuf w;
    struct rbuf r;
    const uint8_t *p;
    size_t n;

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)i;

    /* 253 bytes need the 3-byte length form. */
    wbuf_init(&w);
    put_varbytes(&w, buf, 253);
    ck_assert_uint_eq(w.len, 3 + 253);
    ck_assert_hex_eq(w.data, 3, "fdfd00");
    rbuf_init(&r, w.data, w.len);
    ck_assert(get_varbytes(&r, &p, &n, 253));
    ck_assert_uint_eq(n, 253);
    ck_assert(p == w.data + 3);
    ck_assert(memcmp(p, buf, 253) == 0);
    ck_assert(rbuf_done(&r));

    /* One byte over the bound is refused. */
    rbuf_init(&r, w.data, w.len);
    ck_assert(!get_varbytes(&r, &p, &n, 252));

    /* Every truncation of the string fails. */
    for (size_t len = 0; len < w.len; len++) {
        rbuf_init(&r, w.data, len);
        ck_assert_msg(!get_varbytes(&r, &p, &n, 1000), "cut to %zu accepted", len);
    }

    /* A trailing byte leaves the reader not done. */
    put_u8(&w, 0);
    rbuf_init(&r, w.data, w.len);
    ck_assert(get_varbytes(&r, &p, &n, 1000));
    ck_assert(!rbuf_done(&r));
    wbuf_free(&w);

    /* Empty strings are one zero byte. */
    wbuf_init(&w);
    put_varbytes(&w, NULL, 0);
    ck_assert_hex_eq(w.data, w.len, "00");
    rbuf_init(&r, w.data, w.len);
    ck_assert(get_varbytes(&r, &p, &n, 0) && n == 0);
    ck_assert(rbuf_done(&r));
    wbuf_free(&w);

    /* A length claiming more than the input (even a huge one within the
     * bound) fails without reading. */
    static const uint8_t huge[] = {0xff, 0, 0, 0, 0, 1, 0, 0, 0, 0xaa};
    rbuf_init(&r, huge, sizeof(huge));
    ck_assert(!get_varbytes(&r, &p, &n, SIZE_MAX));
}
END_TEST

/* Views and copies of zero bytes succeed anywhere, even at the end. */
START_TEST(test_views)
{
    static const uint8_t buf[4] = {9, 8, 7, 6};
    struct rbuf r;
    const uint8_t *p;
    uint8_t out[4];

    rbuf_init(&r, buf, sizeof(buf));
    ck_assert(get_view(&r, &p, 0));
    ck_assert(get_view(&r, &p, 2) && p == buf);
    ck_assert(get_bytes(&r, out, 2) && out[0] == 7 && out[1] == 6);
    ck_assert(get_view(&r, &p, 0));
    ck_assert(get_bytes(&r, out, 0));
    ck_assert(rbuf_done(&r));
    ck_assert(!get_view(&r, &p, 1));
    ck_assert(!rbuf_done(&r));
}
END_TEST

/* The writer: reset keeps the allocation, take hands it over. */
START_TEST(test_writer)
{
    struct wbuf w;
    size_t len;
    uint8_t *p;

    wbuf_init(&w);
    for (int i = 0; i < 1000; i++)
        put_u32(&w, (uint32_t)i);
    ck_assert(!w.failed);
    ck_assert_uint_eq(w.len, 4000);
    ck_assert_uint_eq(read_le32(w.data + 4 * 999), 999);

    wbuf_reset(&w);
    ck_assert_uint_eq(w.len, 0);
    ck_assert_ptr_nonnull(w.data);
    put_u16(&w, 7);
    ck_assert_hex_eq(w.data, w.len, "0700");

    p = wbuf_take(&w, &len);
    ck_assert_uint_eq(len, 2);
    ck_assert(p[0] == 7 && p[1] == 0);
    ck_assert_ptr_null(w.data);
    ck_assert_uint_eq(w.len, 0);
    free(p);
    wbuf_free(&w);

    /* A writer that failed writes nothing more. */
    wbuf_init(&w);
    w.failed = true;
    put_u64(&w, 1);
    ck_assert_uint_eq(w.len, 0);
    wbuf_free(&w);
}
END_TEST

static Suite *serialize_suite(void)
{
    Suite *s = suite_create("serialize");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_fixed_width_encodings);
    tcase_add_test(tc, test_fixed_width_round_trip);
    tcase_add_test(tc, test_fixed_width_truncation);
    tcase_add_test(tc, test_bool_canonical);
    tcase_add_test(tc, test_compact_boundaries);
    tcase_add_test(tc, test_compact_non_canonical);
    tcase_add_test(tc, test_compact_truncation);
    tcase_add_test(tc, test_compact_bound);
    tcase_add_test(tc, test_varbytes);
    tcase_add_test(tc, test_views);
    tcase_add_test(tc, test_writer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(serialize_suite());
}
