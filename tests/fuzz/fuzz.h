/* What every fuzz target shares: the libFuzzer entry point and a check that
 * aborts (so that libFuzzer and the replay driver both report it) when a
 * property of the code under test does not hold.
 *
 * A target is one file defining LLVMFuzzerTestOneInput.  It must be
 * deterministic, fast, free everything it allocates and never allocate in
 * proportion to a length read from the input.  It is linked either with
 * libFuzzer (--enable-fuzz) or with tests/fuzz/replay.c, which feeds it the
 * files of its corpus in `make check`.
 */
#ifndef FML_TESTS_FUZZ_FUZZ_H
#define FML_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#endif
