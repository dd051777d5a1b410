/* Benchmark of the header-time checks: what a peer's headers cost the node.
 * On a regtest chain of 40 blocks, in one run:
 *   honest     headers by the leader of the next slot, checked and indexed
 *              (a signature check and one synced index write each; 50 of
 *              them, each a different header for that slot)
 *   wrong      a header on the tip signed by a validator that does not lead
 *              its slot (refused: bad-blk-proposer)
 *   not-yet    a header two epochs past a header-only branch (refused before
 *              any signature check: leader-not-yet-known)
 *   unknown    a header forking 15 blocks below the tip, in an earlier epoch
 *              (leader-unknown)
 * Each refused kind is timed over n calls (default 2,000: one full headers
 * message); figures are per header and as a ratio to the honest header.
 *
 *   bench_headers [-n=2000]
 *
 * The clock lives here only: nothing of this program reaches consensus. */
#include "bench/bench_util.h"
#include "tests/unit/chain_fixture.h"

#include <time.h>

static double time_refusals(struct chain *c, const struct block_header *h, size_t n,
                            enum reject_code code)
{
    struct validation v;
    struct block_header x = *h;
    double t0 = now_seconds();
    for (size_t i = 0; i < n; i++) {
        x.state_root[0] = (uint8_t)i; /* a new header each time */
        x.state_root[1] = (uint8_t)(i >> 8);
        if (chain_process_header(c, &x, &v) || v.code != code) {
            fprintf(stderr, "expected %s, got %s\n", reject_reason(code), v.reason);
            exit(1);
        }
    }
    return (now_seconds() - t0) / (double)n;
}

static size_t n = 2000;
static int status = 1;

/* Runs inside Check (without forking), as the chain fixture's helpers
 * report through it. */
START_TEST(bench)
{
    static const uint8_t aux[32];
    struct validation v;
    struct block next;

    fixture_setup();
    struct chain *c = open_chain();
    struct mempool *mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    for (int i = 0; i < 40; i++)
        produce(c, mp);
    build_next(c, mp, &next);

    /* wrong: the next slot signed by another validator. */
    int other = (validator_index(next.hdr.proposer) + 1) % REGTEST_VALIDATORS;
    struct block_header wrong = next.hdr;
    memcpy(wrong.proposer, pubs[other], PUBKEY_SIZE);
    ck_assert(header_sign(&wrong, params.genesis_hash, secrets[other], aux));

    /* unknown: a fork 15 blocks below the tip (an earlier epoch). */
    const struct block_index *f = chain_at(c, chain_height(c) - 15);
    struct block_header unknown = f->hdr;
    memcpy(unknown.prev, f->hash, HASH_SIZE);
    unknown.height = f->hdr.height + 1;
    unknown.slot = f->hdr.slot + 1;
    unknown.time = params_slot_start(&params, unknown.slot);

    /* honest: the leader's headers for the next slot, indexed; then
     * not-yet on top of the first. */
    int leader = validator_index(next.hdr.proposer);
    double t0 = now_seconds();
    for (int i = 0; i < 50; i++) {
        struct block_header h = next.hdr;
        if (i > 0) {
            h.state_root[0] ^= (uint8_t)i;
            ck_assert(header_sign(&h, params.genesis_hash, secrets[leader], aux));
        }
        ck_assert_msg(chain_process_header(c, &h, &v), "honest header refused: %s", v.reason);
    }
    double honest = (now_seconds() - t0) / 50;
    struct block_header notyet = next.hdr;
    header_hash(&next.hdr, notyet.prev);
    notyet.height++;
    notyet.slot += 3 * params.epoch_slots;
    notyet.time = params_slot_start(&params, notyet.slot);

    double t_wrong = time_refusals(c, &wrong, n, REJECT_BAD_BLK_PROPOSER);
    double t_notyet = time_refusals(c, &notyet, n, REJECT_LEADER_NOT_YET_KNOWN);
    double t_unknown = time_refusals(c, &unknown, n, REJECT_LEADER_UNKNOWN);
    printf("honest header (checked, indexed, synced): %.1f us\n", honest * 1e6);
    printf("wrong leader   x%zu: %.2f us each, ratio to honest %.4f\n", n, t_wrong * 1e6,
           t_wrong / honest);
    printf("not yet known  x%zu: %.2f us each, ratio to honest %.4f\n", n, t_notyet * 1e6,
           t_notyet / honest);
    printf("leader unknown x%zu: %.2f us each, ratio to honest %.4f\n", n, t_unknown * 1e6,
           t_unknown / honest);
    printf("a %zu-header message of the worst refused kind: %.2f ms\n", n,
           n * (t_wrong > t_notyet ? (t_wrong > t_unknown ? t_wrong : t_unknown)
                                   : (t_notyet > t_unknown ? t_notyet : t_unknown)) *
               1e3);
    block_free(&next);
    mempool_free(mp);
    chain_close(c);
    fixture_teardown();
    status = 0;
}
END_TEST

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "-n=", 3) == 0)
            n = (size_t)strtoull(argv[i] + 3, NULL, 10);
    Suite *s = suite_create("bench_headers");
    TCase *tc = tcase_create("bench");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, bench);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    if (failed)
        srunner_print(sr, CK_NORMAL);
    srunner_free(sr);
    return failed || status ? 1 : 0;
}
