/* Benchmark of FL aggregation: k updates of n Q16.16 weights (default 64 x
 * 1,000,000, i.e. 256 MB of updates) aggregated with each aggregator of
 * consensus/fl.h, timed against a plain memory-read pass over the same
 * bytes measured in the same run.  Each figure is the minimum over several
 * repetitions; the ratio (aggregation time / read-pass time) is what stays
 * comparable across machines.
 *
 *   bench_fl [-k=64] [-n=1000000] [-reps=5] [-seed=1]
 *
 * The clock and the pseudo-random inputs live here only: nothing of this
 * program reaches consensus. */
#include "bench/bench_util.h"
#include "consensus/amount.h"
#include "consensus/fl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Reads every byte once (8 at a time, four independent sums so the loop is
 * bound by memory, not by a dependency chain). */
static uint64_t read_pass(const uint8_t *p, size_t len)
{
    uint64_t a = 0, b = 0, c = 0, d = 0, w[4];
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        memcpy(w, p + i, 32);
        a += w[0];
        b += w[1];
        c += w[2];
        d += w[3];
    }
    for (; i < len; i++)
        a += p[i];
    return a ^ b ^ c ^ d;
}

int main(int argc, char **argv)
{
    uint64_t k = 64, n = 1000000, reps = 5, seed = 1;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-k", &k) && !arg_u64(argv[i], "-n", &n) &&
            !arg_u64(argv[i], "-reps", &reps) && !arg_u64(argv[i], "-seed", &seed)) {
            fprintf(stderr, "usage: %s [-k=64] [-n=1000000] [-reps=5] [-seed=1]\n", argv[0]);
            return 2;
        }
    if (k == 0 || n == 0 || reps == 0)
        return 2;
    const size_t bytes = (size_t)(k * n * 4);
    uint8_t *data = malloc(bytes), *out = malloc((size_t)n * 4);
    struct fl_update_ref *refs = calloc((size_t)k, sizeof(*refs));
    if (!data || !out || !refs) {
        fprintf(stderr, "out of memory (%zu bytes of updates)\n", bytes);
        return 1;
    }
    /* Weights within +-8.0 around a common model, as trained updates are;
     * stakes from 1 to 10,000 FML. */
    uint64_t s = seed;
    for (size_t i = 0; i < (size_t)(k * n); i++)
        write_le32(data + 4 * i, (uint32_t)(int32_t)((int64_t)(next_rand(&s) % (16 * FL_Q16_ONE)) - 8 * FL_Q16_ONE));
    for (size_t i = 0; i < k; i++) {
        refs[i].weights = data + 4 * i * (size_t)n;
        refs[i].stake = (1 + next_rand(&s) % 10000) * COIN;
    }

    double best_read = 1e30;
    uint64_t sink = 0;
    for (uint64_t r = 0; r < reps; r++) {
        double t = now_seconds();
        sink ^= read_pass(data, bytes);
        t = now_seconds() - t;
        if (t < best_read)
            best_read = t;
    }

    static const struct {
        const char *name;
        uint8_t agg;
        uint16_t trim;
    } runs[] = {
        {"fedavg", FL_AGG_FEDAVG, 0},
        {"median", FL_AGG_MEDIAN, 0},
        {"trimmed_mean:8", FL_AGG_TRIMMED_MEAN, 8},
    };
    printf("FL aggregation: %" PRIu64 " updates x %" PRIu64 " parameters = %.1f MB, "
           "min of %" PRIu64 " runs\n",
           k, n, (double)bytes / 1e6, reps);
    printf("  %-16s %10.1f ms  %6.2f GB/s  ratio 1.00\n", "memory read", best_read * 1e3,
           (double)bytes / best_read / 1e9);
    printf("\n| aggregator | time (ms) | GB/s of updates | ratio to a read pass |\n");
    printf("|---|---:|---:|---:|\n");
    printf("| memory read pass | %.1f | %.2f | 1.00 |\n", best_read * 1e3,
           (double)bytes / best_read / 1e9);
    for (size_t a = 0; a < sizeof(runs) / sizeof(runs[0]); a++) {
        double best = 1e30;
        for (uint64_t r = 0; r < reps; r++) {
            double t = now_seconds();
            if (!fl_aggregate(runs[a].agg, runs[a].trim, refs, (size_t)k, (size_t)n, out)) {
                fprintf(stderr, "%s failed\n", runs[a].name);
                return 1;
            }
            t = now_seconds() - t;
            if (t < best)
                best = t;
            sink ^= read_le32(out);
        }
        printf("| %s | %.1f | %.2f | %.2f |\n", runs[a].name, best * 1e3,
               (double)bytes / best / 1e9, best / best_read);
    }
    fprintf(stderr, "(checksum %016" PRIx64 ")\n", sink);
    free(data);
    free(out);
    free(refs);
    return 0;
}
