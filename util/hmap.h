/* A hash map from byte strings to pointers (open addressing, linear probing,
 * backward-shift deletion), keyed with SipHash under a random per-process key
 * so that peers choosing keys (txids, state keys) cannot force collisions.
 *
 * Iteration order is arbitrary and differs between runs: anything that must be
 * deterministic sorts what it collects.
 */
#ifndef FML_UTIL_HMAP_H
#define FML_UTIL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
    uint8_t *key; /* NULL: empty */
    size_t klen;
    uint64_t hash;
    void *val;
};

struct hmap {
    struct hmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t n;
};

void hmap_init(struct hmap *m);
/* Frees the keys and, when free_val is given, every value. */
void hmap_free(struct hmap *m, void (*free_val)(void *));

void *hmap_get(const struct hmap *m, const void *key, size_t klen);
/* Inserts or replaces; the key is copied.  *old (if given) receives the
 * replaced value or NULL.  False on allocation failure. */
bool hmap_put(struct hmap *m, const void *key, size_t klen, void *val, void **old);
/* Removes the key and returns its value (NULL if absent). */
void *hmap_remove(struct hmap *m, const void *key, size_t klen);

/* Iteration: for (size_t i = 0; hmap_next(m, &i, &slot);) ... ; the map must
 * not change during it. */
bool hmap_next(const struct hmap *m, size_t *pos, const struct hmap_slot **slot);

static inline size_t hmap_count(const struct hmap *m)
{
    return m->n;
}

#endif
