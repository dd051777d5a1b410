/* Fuzz target: FL model payloads and records (consensus/fl.c, fltx.c,
 * flmath.c): the weights of an FL_UPDATE_REVEAL, the verdicts of an
 * FL_VOTE_REVEAL, the model spec and initial weights of an FL_TASK_CREATE,
 * and the module's state records.
 *
 * Input: selector u8 | bytes.  Properties: what decodes re-encodes to
 * exactly its input; the task rules never read past a decoded spec;
 * aggregating copies of one update, of any weights, with any aggregator
 * gives the update back (every aggregator is a weighted mean or an order
 * statistic); a commitment made from a reveal's own fields matches it and
 * one of another sender does not; a vote reveal the check accepts has at
 * most FL_MAX_SLOTS verdicts, each -1 or +1; and a slot draw over stakes
 * from the input hands out exactly min(k, m - 1) slots, none to a zero
 * stake. */
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
    struct fl_update_reveal u;
    uint8_t hash[HASH_SIZE], c1[HASH_SIZE], c2[HASH_SIZE], who[PUBKEY_SIZE];
    if (!fl_update_reveal_decode(&u, p, n))
        return;
    fl_update_reveal_encode(&u, w);
    check_same(w, p, n);
    FUZZ_CHECK(u.n * 4 <= n);
    fl_model_hash(hash, u.weights, (size_t)u.n);
    /* The commitment binds the proposer: another key, another commitment. */
    memcpy(who, u.salt, PUBKEY_SIZE);
    fl_update_commitment(c1, u.task, u.round, who, hash, u.salt);
    fl_update_commitment(c2, u.task, u.round, who, hash, u.salt);
    FUZZ_CHECK(memcmp(c1, c2, HASH_SIZE) == 0);
    who[0] ^= 1;
    fl_update_commitment(c2, u.task, u.round, who, hash, u.salt);
    FUZZ_CHECK(memcmp(c1, c2, HASH_SIZE) != 0);
    if (u.n == 0)
        return;

    /* k copies of the update with slots from the task id bytes. */
    struct fl_update_ref refs[3];
    uint8_t *out = malloc((size_t)u.n * 4);
    FUZZ_CHECK(out != NULL);
    size_t k = 1 + u.task[0] % 3;
    for (size_t i = 0; i < k; i++) {
        refs[i].weights = u.weights;
        refs[i].weight = 1 + u.task[1 + i] % FL_MAX_SLOTS;
    }
    uint8_t agg = u.task[31] % 3;
    uint16_t trim = agg == FL_AGG_TRIMMED_MEAN ? (uint16_t)(1 + u.task[30] % 2) : 0;
    FUZZ_CHECK(fl_aggregate(agg, trim, refs, k, (size_t)u.n, out));
    FUZZ_CHECK(memcmp(out, u.weights, (size_t)u.n * 4) == 0);
    free(out);
}

static void fuzz_vote_reveal(const uint8_t *p, size_t n, struct wbuf *w)
{
    struct fl_vote_reveal r;
    struct validation v;
    struct tx tx;
    uint8_t c1[HASH_SIZE], c2[HASH_SIZE], voter[PUBKEY_SIZE];
    if (!fl_vote_reveal_decode(&r, p, n))
        return;
    fl_vote_reveal_encode(&r, w);
    check_same(w, p, n);
    FUZZ_CHECK(r.n * FL_VERDICT_SIZE <= n);
    memcpy(voter, r.task, PUBKEY_SIZE);
    fl_vote_commitment(c1, r.task, r.round, voter, r.n, r.verdicts, r.salt);
    voter[31] ^= 0x80;
    fl_vote_commitment(c2, r.task, r.round, voter, r.n, r.verdicts, r.salt);
    FUZZ_CHECK(memcmp(c1, c2, HASH_SIZE) != 0);
    tx_init(&tx);
    tx.type = TX_FL_VOTE_REVEAL;
    FUZZ_CHECK(tx_set_payload(&tx, p, n));
    val_init(&v);
    if (fl_vote_reveal_check(&tx, &params, &v)) {
        FUZZ_CHECK(r.round >= 1 && r.n <= FL_MAX_SLOTS);
        for (uint64_t i = 0; i < r.n; i++) {
            int8_t x = fl_verdict_at(r.verdicts, (size_t)i);
            FUZZ_CHECK(x == 1 || x == -1);
            (void)fl_metric_at(r.verdicts, (size_t)i);
        }
    }
    tx_free(&tx);

    /* A slot draw over stakes taken from the verdict bytes (at most 64
     * participants of stakes below 2^32: the sum stays below the supply). */
    uint32_t m = (uint32_t)(r.n < FL_MAX_SLOTS ? r.n : FL_MAX_SLOTS);
    uint64_t stakes[FL_MAX_SLOTS];
    uint16_t slots[FL_MAX_SLOTS];
    for (uint32_t i = 0; i < m; i++)
        stakes[i] = read_le32(r.verdicts + (size_t)i * FL_VERDICT_SIZE + 1);
    uint32_t k = 1 + r.salt[0] % FL_MAX_SLOTS;
    fl_draw_slots(slots, stakes, m, k, r.task, r.round, r.salt);
    uint64_t total = 0, drawn = 0;
    for (uint32_t i = 0; i < m; i++) {
        total += stakes[i];
        drawn += slots[i];
        FUZZ_CHECK(stakes[i] > 0 || slots[i] == 0);
    }
    FUZZ_CHECK(drawn == (total ? fl_slot_count(k, m) : 0));
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
    case 7: {
        struct fl_height h;
        if (!fl_height_decode(&h, p, n))
            return;
        FUZZ_CHECK(h.work <= FL_MAX_HEIGHT_WORK && h.weights <= FL_MAX_HEIGHT_WEIGHTS &&
                   h.verdicts <= FL_MAX_HEIGHT_VERDICTS);
        (void)fl_height_room(&h, 1, 1, 1);
        fl_height_encode(&h, w);
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
    /* selector % 4: 0 update reveal (bit 2 clear) or vote reveal (bit 2
     * set), 1 task create, 2 spec, 3 records (kind = (selector >> 2) % 8). */
    switch (data[0] % 4) {
    case 0:
        if (data[0] & 4)
            fuzz_vote_reveal(data + 1, size - 1, &w);
        else
            fuzz_update(data + 1, size - 1, &w);
        break;
    case 1: fuzz_task_create(data + 1, size - 1, &w); break;
    case 2: fuzz_spec(data + 1, size - 1, &w); break;
    default: fuzz_record((uint8_t)(data[0] >> 2) % 8, data + 1, size - 1, &w); break;
    }
    wbuf_free(&w);
    return 0;
}
