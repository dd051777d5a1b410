/* Fuzz target: FL model payloads and records (consensus/fl.c, fltx.c): the
 * weights of an FL_UPDATE, the model spec and initial weights of an
 * FL_TASK_CREATE, and the module's state records.
 *
 * Input: selector u8 | bytes.  Properties: what decodes re-encodes to
 * exactly its input; the task rules never read past a decoded spec; and
 * aggregating k copies of one update with any aggregator gives the update
 * back (every aggregator is a mean or an order statistic). */
#include "tests/fuzz/fuzz.h"

#include "consensus/amount.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/params.h"

#include <sodium.h>
#include <string.h>

static struct chain_params params;

static void check_same(struct wbuf *w, const uint8_t *p, size_t n)
{
    FUZZ_CHECK(!w->failed && w->len == n && (n == 0 || memcmp(w->data, p, n) == 0));
}

static void fuzz_update(const uint8_t *p, size_t n, struct wbuf *w)
{
    struct fl_update u;
    uint8_t hash[HASH_SIZE];
    if (!fl_update_decode(&u, p, n))
        return;
    fl_update_encode(&u, w);
    check_same(w, p, n);
    FUZZ_CHECK(u.n * 4 <= n);
    fl_model_hash(hash, u.weights, (size_t)u.n);
    if (u.n == 0)
        return;

    /* k copies of the update with stakes from the task id bytes (stakes are
     * amounts: their sum never exceeds the supply). */
    struct fl_update_ref refs[3];
    uint8_t *out = malloc((size_t)u.n * 4);
    FUZZ_CHECK(out != NULL);
    size_t k = 1 + u.task[0] % 3;
    for (size_t i = 0; i < k; i++) {
        refs[i].weights = u.weights;
        refs[i].stake = 1 + read_le64(u.task + 8 * i) % (MAX_SUPPLY / 3);
    }
    uint8_t agg = u.task[31] % 3;
    uint16_t trim = agg == FL_AGG_TRIMMED_MEAN ? (uint16_t)(1 + u.task[30] % 2) : 0;
    FUZZ_CHECK(fl_aggregate(agg, trim, refs, k, (size_t)u.n, out));
    FUZZ_CHECK(memcmp(out, u.weights, (size_t)u.n * 4) == 0);
    free(out);
}

static void fuzz_task_create(const uint8_t *p, size_t n, struct wbuf *w)
{
    struct fl_task_params t;
    struct validation v;
    if (!fl_task_create_decode(&t, p, n))
        return;
    fl_task_params_encode(&t, w);
    check_same(w, p, n);
    (void)fl_spec_valid(&t.spec);
    (void)fl_param_count(&t.spec);
    (void)fl_aggregator_name(t.aggregator);
    (void)fl_model_kind_name(t.spec.kind);
    val_init(&v);
    if (fl_task_params_check(&t, &params, &v)) {
        FUZZ_CHECK(fl_spec_valid(&t.spec));
        FUZZ_CHECK(t.n_init == 0 || t.n_init == fl_param_count(&t.spec));
        uint8_t key[PUBKEY_SIZE] = {0};
        (void)fl_task_allows(&t, key);
        for (uint64_t i = 0; i < t.n_allow; i++)
            FUZZ_CHECK(fl_task_allows(&t, t.allow + i * PUBKEY_SIZE));
    } else {
        FUZZ_CHECK(v.reason != NULL);
    }
}

static void fuzz_spec(const uint8_t *p, size_t n, struct wbuf *w)
{
    struct fl_spec s;
    struct rbuf r;
    rbuf_init(&r, p, n);
    if (!fl_spec_decode_from(&s, &r) || !rbuf_done(&r))
        return;
    fl_spec_encode(&s, w);
    check_same(w, p, n);
    if (fl_spec_valid(&s))
        FUZZ_CHECK(fl_param_count(&s) > 0);
}

static void fuzz_record(uint8_t kind, const uint8_t *p, size_t n, struct wbuf *w)
{
    switch (kind) {
    case 0: {
        struct fl_task t;
        if (!fl_task_decode(&t, p, n))
            return;
        fl_task_encode(&t, w);
        break;
    }
    case 1: {
        struct fl_status s;
        if (!fl_status_decode(&s, p, n))
            return;
        (void)fl_task_state_name(s.state);
        fl_status_encode(&s, w);
        break;
    }
    case 2: {
        struct fl_participant pt;
        if (!fl_participant_decode(&pt, p, n))
            return;
        (void)fl_participant_status_name(pt.status);
        fl_participant_encode(&pt, w);
        break;
    }
    case 3: {
        struct fl_round r;
        if (!fl_round_decode(&r, p, n))
            return;
        (void)fl_outcome_name(r.outcome);
        fl_round_encode(&r, w);
        break;
    }
    case 4: {
        struct fl_entry e;
        if (!fl_entry_decode(&e, p, n))
            return;
        fl_entry_encode(&e, w);
        break;
    }
    case 5: {
        struct fl_event_entry *ev;
        size_t count;
        if (!fl_events_decode(&ev, &count, p, n))
            return;
        FUZZ_CHECK(count > 0 && ev != NULL);
        fl_events_encode(ev, count, w);
        free(ev);
        break;
    }
    default: {
        const uint8_t *keys;
        size_t count;
        struct wbuf tmp;
        if (!fl_list_decode(&keys, &count, p, n))
            return;
        FUZZ_CHECK(count <= FL_MAX_PARTICIPANTS);
        wbuf_init(&tmp);
        put_compact(&tmp, count);
        put_bytes(&tmp, keys, count * PUBKEY_SIZE);
        *w = tmp;
        break;
    }
    }
    check_same(w, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    struct wbuf w;
    if (!ready) {
        FUZZ_CHECK(sodium_init() >= 0);
        FUZZ_CHECK(params_init(&params, NET_REGTEST));
        ready = true;
    }
    if (size < 1)
        return 0;
    wbuf_init(&w);
    switch (data[0] % 4) {
    case 0: fuzz_update(data + 1, size - 1, &w); break;
    case 1: fuzz_task_create(data + 1, size - 1, &w); break;
    case 2: fuzz_spec(data + 1, size - 1, &w); break;
    default: fuzz_record((uint8_t)(data[0] >> 2) % 7, data + 1, size - 1, &w); break;
    }
    wbuf_free(&w);
    return 0;
}
