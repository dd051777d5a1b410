/* Fuzz target: the AI Arena state records as they come back from LevelDB
 * (consensus/arena.c): task definition, status, operator, delegation,
 * results, operator list, revealed losses and weights, the event queue's
 * height and event records and the last slash height.
 *
 * Input: selector u8 | bytes.  Properties: what decodes re-encodes to
 * exactly its input; decoded values keep their invariants (enums in range,
 * lists sorted, windows increasing, a height's work within its bound). */
#include "tests/fuzz/fuzz.h"

#include "consensus/arena.h"

#include <stdlib.h>
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
    switch (data[0] % 10) {
    case 0: {
        struct arena_task t;
        if (arena_task_decode(&t, p, n)) {
            arena_task_encode(&t, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(t.p.k <= ARENA_MAX_SETS && t.p.uri_len <= ARENA_MAX_URI);
            FUZZ_CHECK(t.w.created == t.created_height);
            FUZZ_CHECK(t.w.submit_end - t.w.created == t.p.submit_blocks);
            FUZZ_CHECK(t.w.settle - t.w.score_commit_end == t.p.score_reveal_blocks);
        }
        break;
    }
    case 1: {
        struct arena_status s;
        if (arena_status_decode(&s, p, n)) {
            arena_status_encode(&s, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(s.state <= ARENA_FAILED);
        }
        break;
    }
    case 2: {
        struct arena_operator o;
        if (arena_operator_decode(&o, p, n)) {
            arena_operator_encode(&o, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(o.role == ARENA_ROLE_TRAINER || o.role == ARENA_ROLE_VALIDATOR);
            FUZZ_CHECK((o.flags & ~ARENA_OP_FLAGS_ALL) == 0 && o.sigma_bps <= ARENA_BPS);
        }
        break;
    }
    case 3: {
        struct arena_delegation d;
        if (arena_delegation_decode(&d, p, n)) {
            arena_delegation_encode(&d, &w);
            check_same(&w, p, n);
        }
        break;
    }
    case 4: {
        struct arena_results *r = malloc(sizeof(*r));
        FUZZ_CHECK(r != NULL);
        if (arena_results_decode(r, p, n)) {
            arena_results_encode(r, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(r->k <= ARENA_MAX_SETS && r->m <= ARENA_MAX_TRAINERS);
        }
        free(r);
        break;
    }
    case 5: {
        const uint8_t *keys;
        size_t count;
        if (arena_list_decode(&keys, &count, p, n)) {
            arena_list_encode(keys, count, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(count <= ARENA_MAX_OPERATORS);
            for (size_t i = 1; i < count; i++)
                FUZZ_CHECK(memcmp(keys + (i - 1) * PUBKEY_SIZE, keys + i * PUBKEY_SIZE, PUBKEY_SIZE) < 0);
        }
        break;
    }
    case 6: {
        const uint8_t *losses;
        uint32_t count;
        if (arena_losses_decode(&losses, &count, p, n)) {
            arena_losses_encode(losses, count, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(count <= ARENA_MAX_SCORES);
        }
        const uint8_t *weights;
        uint64_t nw;
        if (arena_weights_decode(&weights, &nw, p, n))
            FUZZ_CHECK(nw * 4 == n && weights == p);
        break;
    }
    case 7: {
        struct arena_height h;
        if (arena_height_decode(&h, p, n)) {
            arena_height_encode(&h, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(h.work <= ARENA_MAX_HEIGHT_WORK);
            FUZZ_CHECK(arena_height_room(&h, 0));
        }
        break;
    }
    case 8: {
        struct arena_event_entry e;
        if (arena_event_decode(&e, p, n)) {
            arena_event_encode(&e, &w);
            check_same(&w, p, n);
            FUZZ_CHECK(e.event >= ARENA_EV_ASSIGN && e.event <= ARENA_EV_VEST);
        }
        break;
    }
    case 9: {
        uint64_t h;
        if (arena_slash_height_decode(&h, p, n)) {
            arena_slash_height_encode(h, &w);
            check_same(&w, p, n);
        }
        break;
    }
    }
    wbuf_free(&w);
    return 0;
}
