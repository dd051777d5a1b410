/* Fuzz target: the decoders of the ledger's records as they come back from
 * LevelDB and the block store (a damaged or tampered database): accounts,
 * validators, delegations, the validator list, unbonding queues, the
 * staking totals, leader schedules (consensus/accounts.c, staking.c) and
 * block undo data (state/undo.c).
 *
 * Input: selector u8 | bytes.  Properties: what decodes re-encodes to
 * exactly its input; decoded lists keep their invariants (sorted keys,
 * positive stakes, the schedule's total). */
#include "tests/fuzz/fuzz.h"

#include "consensus/accounts.h"
#include "consensus/staking.h"
#include "state/undo.h"

#include <string.h>

/* The largest validator list and schedule the target accepts. */
#define MAX_VALIDATORS 1000

static void check_same(const struct wbuf *w, const uint8_t *p, size_t n)
{
    FUZZ_CHECK(!w->failed && w->len == n && (n == 0 || memcmp(w->data, p, n) == 0));
}

static void fuzz_undo(const uint8_t *p, size_t n, struct wbuf *w)
{
    struct undo_entry *e;
    size_t count;
    if (!undo_decode(p, n, &e, &count))
        return;
    struct view_change *c = calloc(count + 1, sizeof(*c));
    FUZZ_CHECK(c != NULL);
    for (size_t i = 0; i < count; i++) {
        FUZZ_CHECK(e[i].klen <= UNDO_MAX_KEY && e[i].old_len <= UNDO_MAX_VALUE);
        c[i].key = e[i].key;
        c[i].klen = e[i].klen;
        c[i].has_old = e[i].has_old;
        c[i].old = e[i].old;
        c[i].old_len = e[i].old_len;
    }
    undo_encode(c, count, w);
    check_same(w, p, n);
    free(c);
    free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wbuf w;
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    wbuf_init(&w);
    switch (data[0] % 8) {
    case 0: {
        struct account a;
        uint8_t out[ACCOUNT_VALUE_SIZE];
        if (account_decode(&a, p, n)) {
            account_encode(&a, out);
            put_bytes(&w, out, sizeof(out));
            check_same(&w, p, n);
        }
        break;
    }
    case 1: {
        struct validator val;
        if (validator_decode(&val, p, n)) {
            validator_encode(&val, &w);
            check_same(&w, p, n);
        }
        break;
    }
    case 2: {
        struct delegation d;
        if (delegation_decode(&d, p, n)) {
            delegation_encode(&d, &w);
            check_same(&w, p, n);
        }
        break;
    }
    case 3: {
        const uint8_t *keys;
        size_t count;
        if (validator_list_decode(&keys, &count, p, n, MAX_VALIDATORS)) {
            FUZZ_CHECK(count <= MAX_VALIDATORS);
            for (size_t i = 1; i < count; i++)
                FUZZ_CHECK(memcmp(keys + (i - 1) * PUBKEY_SIZE, keys + i * PUBKEY_SIZE,
                                  PUBKEY_SIZE) < 0);
            validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])keys, count, &w);
            check_same(&w, p, n);
        }
        break;
    }
    case 4: {
        struct unbonding_entry e;
        if (unbonding_entry_decode(&e, p, n)) {
            FUZZ_CHECK(n == UNBONDING_ENTRY_SIZE || n == UNBONDING_ENTRY_OLD_SIZE);
            unbonding_entry_encode(&e, &w);
            if (n == UNBONDING_ENTRY_SIZE) {
                check_same(&w, p, n);
            } else {
                /* An entry from before validator and created_slot existed
                 * re-encodes in the current layout, those two zero. */
                static const uint8_t zero[UNBONDING_ENTRY_SIZE - UNBONDING_ENTRY_OLD_SIZE];
                FUZZ_CHECK(w.len == UNBONDING_ENTRY_SIZE && memcmp(w.data, p, n) == 0 &&
                           memcmp(w.data + n, zero, sizeof(zero)) == 0);
            }
        }
        break;
    }
    case 5: {
        struct staking_stats st;
        if (staking_stats_decode(&st, p, n)) {
            staking_stats_encode(&st, &w);
            check_same(&w, p, n);
        }
        break;
    }
    case 6: {
        struct schedule s;
        schedule_init(&s);
        if (schedule_decode(&s, p, n, MAX_VALIDATORS)) {
            uint64_t total = 0;
            size_t leader;
            FUZZ_CHECK(s.n <= MAX_VALIDATORS);
            for (size_t i = 0; i < s.n; i++) {
                FUZZ_CHECK(s.entries[i].stake > 0);
                total += s.entries[i].stake;
            }
            FUZZ_CHECK(total == s.total);
            if (schedule_leader(&s, s.epoch, &leader))
                FUZZ_CHECK(leader < s.n);
            schedule_encode(&s, &w);
            check_same(&w, p, n);
        }
        schedule_free(&s);
        break;
    }
    default:
        fuzz_undo(p, n, &w);
        break;
    }
    wbuf_free(&w);
    return 0;
}
