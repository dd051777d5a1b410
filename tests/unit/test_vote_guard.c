/* A validator's slashing protection (node/staker.h vote_guard): it never
 * allows two votes for one target epoch, a lower target, or a lower source
 * (which a surround pair needs), and what it allowed survives a restart. */
#include "node/staker.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/fml-vote-guard-XXXXXX";
static char path[256];

static void setup(void)
{
    ck_assert(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/finality_votes.dat", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

START_TEST(never_double_nor_surround_across_restarts)
{
    char err[256] = "";
    uint8_t a[PUBKEY_SIZE], b[PUBKEY_SIZE];
    memset(a, 0xaa, sizeof(a));
    memset(b, 0xbb, sizeof(b));
    struct vote_guard *g = vote_guard_open(path, err, sizeof(err));
    ck_assert_msg(g != NULL, "%s", err);
    ck_assert(vote_guard_claim(g, a, 1, 2));
    ck_assert(!vote_guard_claim(g, a, 1, 2)); /* the same target again */
    ck_assert(!vote_guard_claim(g, a, 0, 2)); /* a double vote */
    ck_assert(!vote_guard_claim(g, a, 0, 1)); /* a lower target */
    ck_assert(!vote_guard_claim(g, a, 0, 3)); /* surrounds 1 -> 2 */
    ck_assert(vote_guard_claim(g, b, 0, 2));  /* another key is apart */
    ck_assert(vote_guard_claim(g, a, 2, 3));
    vote_guard_free(g);

    /* After a restart (or a crash after the write), the record holds. */
    g = vote_guard_open(path, err, sizeof(err));
    ck_assert_msg(g != NULL, "%s", err);
    ck_assert(!vote_guard_claim(g, a, 2, 3));
    ck_assert(!vote_guard_claim(g, a, 1, 4)); /* surrounds 2 -> 3 */
    ck_assert(!vote_guard_claim(g, b, 0, 2));
    ck_assert(vote_guard_claim(g, a, 3, 4));
    ck_assert(vote_guard_claim(g, b, 1, 3));
    vote_guard_free(g);

    /* A damaged record refuses to load rather than start from nothing. */
    FILE *f = fopen(path, "a");
    ck_assert(f != NULL);
    fputs("not a record\n", f);
    fclose(f);
    ck_assert(vote_guard_open(path, err, sizeof(err)) == NULL);
    ck_assert(strstr(err, "malformed") != NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vote_guard");
    TCase *tc = tcase_create("vote_guard");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, never_double_nor_surround_across_restarts);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
