/* Bounded rolling hash set (see invset.h): open addressing with linear
 * probing over positions in a ring; backward-shift deletion when the oldest
 * member is forgotten. */
#include "p2p/invset.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const struct invset *s, const uint8_t h[HASH_SIZE])
{
    uint8_t out[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(out, h, HASH_SIZE, s->key);
    memcpy(&v, out, sizeof(v));
    return (size_t)v & s->mask;
}

bool invset_init(struct invset *s, size_t cap)
{
    size_t size = 16;
    memset(s, 0, sizeof(*s));
    if (cap == 0 || cap > INT32_MAX / 4)
        return false;
    while (size < 2 * cap)
        size *= 2;
    s->ring = malloc(cap * sizeof(*s->ring));
    s->table = malloc(size * sizeof(*s->table));
    if (!s->ring || !s->table) {
        invset_free(s);
        return false;
    }
    s->cap = cap;
    s->mask = size - 1;
    randombytes_buf(s->key, sizeof(s->key));
    invset_clear(s);
    return true;
}

void invset_free(struct invset *s)
{
    free(s->ring);
    free(s->table);
    memset(s, 0, sizeof(*s));
}

void invset_clear(struct invset *s)
{
    for (size_t i = 0; i <= s->mask; i++)
        s->table[i] = -1;
    s->n = 0;
    s->head = 0;
}

/* The table slot holding h, or the empty slot where it would go. */
static size_t find(const struct invset *s, const uint8_t h[HASH_SIZE], bool *found)
{
    size_t i = slot_of(s, h);
    for (;;) {
        int32_t pos = s->table[i];
        if (pos < 0) {
            *found = false;
            return i;
        }
        if (memcmp(s->ring[pos], h, HASH_SIZE) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & s->mask;
    }
}

bool invset_has(const struct invset *s, const uint8_t h[HASH_SIZE])
{
    bool found;
    if (!s->table)
        return false;
    find(s, h, &found);
    return found;
}

static void remove_slot(struct invset *s, size_t i)
{
    size_t j = i;
    s->table[i] = -1;
    for (;;) {
        j = (j + 1) & s->mask;
        if (s->table[j] < 0)
            return;
        size_t home = slot_of(s, s->ring[s->table[j]]);
        /* Move j back to i when its home is not in (i, j] cyclically. */
        bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            s->table[i] = s->table[j];
            s->table[j] = -1;
            i = j;
        }
    }
}

void invset_add(struct invset *s, const uint8_t h[HASH_SIZE])
{
    bool found;
    size_t pos;
    if (!s->table)
        return;
    find(s, h, &found);
    if (found)
        return;
    if (s->n == s->cap) {
        /* Forget the oldest; its ring position is reused. */
        pos = s->head;
        size_t old = find(s, s->ring[pos], &found);
        if (found)
            remove_slot(s, old);
        s->head = (s->head + 1) % s->cap;
    } else {
        pos = (s->head + s->n) % s->cap;
        s->n++;
    }
    memcpy(s->ring[pos], h, HASH_SIZE);
    size_t slot = find(s, h, &found);
    s->table[slot] = (int32_t)pos;
}
