/* The command lines of -blocknotify and -walletnotify (node/notify.c):
 * each placeholder, shell quoting of the wallet name, what stays literal,
 * and the length bound. */
#include "node/notify.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char *blk = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

START_TEST(test_block_placeholders)
{
    char out[512];
    ck_assert(notify_format("echo %s >> /tmp/f", hex, NULL, NULL, 0, out, sizeof(out)));
    ck_assert_str_eq(out, "echo 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
                          " >> /tmp/f");
    /* Every %s; -blocknotify has no %w, %b, %h: they stay as written. */
    ck_assert(notify_format("%s%s %w %b %h %x 100%", "ab", NULL, NULL, 0, out, sizeof(out)));
    ck_assert_str_eq(out, "abab %w %b %h %x 100%");
}
END_TEST

START_TEST(test_wallet_placeholders)
{
    char out[512];
    ck_assert(notify_format("n %s %w %b %h", hex, "default", NULL, -1, out, sizeof(out)));
    ck_assert_str_eq(out, "n 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff "
                          "'default' unconfirmed -1");
    ck_assert(notify_format("%b:%h:%w", "ab", "w-1.x", blk, 1234, out, sizeof(out)));
    ck_assert_str_eq(out, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
                          ":1234:'w-1.x'");
}
END_TEST

START_TEST(test_wallet_name_quoted)
{
    char out[512];
    /* A quote cannot end the quoting, as bitcoind's ShellEscape. */
    ck_assert(notify_format("x %w", hex, "a'; rm -rf / '", NULL, 0, out, sizeof(out)));
    ck_assert_str_eq(out, "x 'a'\"'\"'; rm -rf / '\"'\"''");
}
END_TEST

START_TEST(test_length_bound)
{
    char out[8];
    ck_assert(notify_format("ab%s", "cdef", NULL, NULL, 0, out, 7));
    ck_assert_str_eq(out, "abcdef");
    ck_assert(!notify_format("ab%s", "cdefg", NULL, NULL, 0, out, 7));
    ck_assert(!notify_format("x", "", NULL, NULL, 0, out, 0));
    ck_assert(!notify_format("%w", "", "abcdef", NULL, 0, out, sizeof(out)));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_block_placeholders);
    tcase_add_test(tc, test_wallet_placeholders);
    tcase_add_test(tc, test_wallet_name_quoted);
    tcase_add_test(tc, test_length_bound);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
