/* Fuzz target: the AI Market state records as they come back from LevelDB
 * (consensus/market.c): a model, a compute provider and the pool's flows.
 *
 * Input: selector u8 | bytes.  Properties: what decodes re-encodes to
 * exactly its input; decoded values keep their bounds (name, endpoint and
 * components within their maxima, enums in range). */
#include "tests/fuzz/fuzz.h"

#include "consensus/market.h"

#include <string.h>

static void check_same(const struct wbuf *w, const uint8_t *p, size_t n)
{
    FUZZ_CHECK(!w->failed && w->len == n && (n == 0 || memcmp(w->data, p, n) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wbuf w;
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    wbuf_init(&w);
    switch (data[0] % 3) {
    case 0: {
        struct market_model m;
        if (market_model_decode(&m, p, n)) {
            market_model_encode(&m, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(m.name_len <= MARKET_MAX_NAME && m.name[m.name_len] == '\0');
            FUZZ_CHECK(m.n_components <= MARKET_MAX_COMPONENTS);
            FUZZ_CHECK(market_source_name(m.source) != NULL);
            FUZZ_CHECK(market_mode_name(m.mode) != NULL);
            FUZZ_CHECK(m.spec.n_sizes <= FL_MAX_SIZES);
            /* The record is bounded: the shape only, never a normalization. */
            FUZZ_CHECK(m.spec.n_norm == 0 && m.spec.norm == NULL);
            FUZZ_CHECK(n <= MARKET_MODEL_RECORD_MAX);
        }
        break;
    }
    case 1: {
        struct market_provider pr;
        if (market_provider_decode(&pr, p, n)) {
            market_provider_encode(&pr, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(pr.endpoint_len <= MARKET_MAX_ENDPOINT &&
                       pr.endpoint[pr.endpoint_len] == '\0');
        }
        break;
    }
    case 2: {
        struct market_flows f;
        if (market_flows_decode(&f, p, n)) {
            market_flows_encode(&f, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(n == 48);
        }
        break;
    }
    }
    wbuf_free(&w);
    return 0;
}
