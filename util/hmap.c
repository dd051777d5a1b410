/* Hash map (see hmap.h). */
#include "util/hmap.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static unsigned char sip_key[crypto_shorthash_KEYBYTES];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init(void)
{
    if (sodium_init() < 0)
        abort();
    randombytes_buf(sip_key, sizeof(sip_key));
}

static uint64_t hash_key(const void *key, size_t klen)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;
    pthread_once(&sip_once, sip_init);
    crypto_shorthash(out, key, klen, sip_key);
    memcpy(&h, out, sizeof(h));
    return h;
}

void hmap_init(struct hmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

void hmap_free(struct hmap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        free(m->slots[i].key);
        if (free_val)
            free_val(m->slots[i].val);
    }
    free(m->slots);
    hmap_init(m);
}

static size_t find(const struct hmap *m, const void *key, size_t klen, uint64_t h, bool *found)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const struct hmap_slot *s = &m->slots[i];
        if (!s->key) {
            *found = false;
            return i;
        }
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0) {
            *found = true;
            return i;
        }
    }
}

static bool grow(struct hmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    struct hmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return false;
    for (size_t i = 0; i < m->cap; i++) {
        struct hmap_slot *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t j = s->hash & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return true;
}

void *hmap_get(const struct hmap *m, const void *key, size_t klen)
{
    bool found;
    if (m->n == 0)
        return NULL;
    size_t i = find(m, key, klen, hash_key(key, klen), &found);
    return found ? m->slots[i].val : NULL;
}

bool hmap_put(struct hmap *m, const void *key, size_t klen, void *val, void **old)
{
    bool found;
    uint64_t h = hash_key(key, klen);
    if (old)
        *old = NULL;
    if ((m->n + 1) * 4 > m->cap * 3 && !grow(m))
        return false;
    size_t i = find(m, key, klen, h, &found);
    if (found) {
        if (old)
            *old = m->slots[i].val;
        m->slots[i].val = val;
        return true;
    }
    uint8_t *copy = malloc(klen ? klen : 1);
    if (!copy)
        return false;
    memcpy(copy, key, klen);
    m->slots[i] = (struct hmap_slot){.key = copy, .klen = klen, .hash = h, .val = val};
    m->n++;
    return true;
}

void *hmap_remove(struct hmap *m, const void *key, size_t klen)
{
    bool found;
    if (m->n == 0)
        return NULL;
    size_t mask = m->cap - 1;
    size_t i = find(m, key, klen, hash_key(key, klen), &found);
    if (!found)
        return NULL;
    void *val = m->slots[i].val;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->n--;
    /* Backward-shift the following run so lookups never stop early. */
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        /* Move j into the hole at i when its home is not in (i, j]. */
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            m->slots[i] = m->slots[j];
            m->slots[j].key = NULL;
            i = j;
        }
    }
    return val;
}

bool hmap_next(const struct hmap *m, size_t *pos, const struct hmap_slot **slot)
{
    while (*pos < m->cap) {
        const struct hmap_slot *s = &m->slots[(*pos)++];
        if (s->key) {
            *slot = s;
            return true;
        }
    }
    return false;
}
