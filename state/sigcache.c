/* The signature cache (see sigcache.h): a set-associative table of salted
 * keys, each bucket a FIFO of SIGCACHE_WAYS entries. */
#include "state/sigcache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define STRIPES 64

struct bucket {
    uint8_t keys[SIGCACHE_WAYS][SIGCACHE_KEY_SIZE];
    uint8_t used; /* entries filled, 0..SIGCACHE_WAYS */
    uint8_t next; /* the entry a full bucket overwrites next (the oldest) */
};

struct sigcache {
    uint8_t salt[crypto_generichash_KEYBYTES];
    size_t nbuckets;
    struct bucket *buckets;
    void *map; /* the mapping holding buckets (NULL: calloc'd) */
    size_t map_len;
    pthread_mutex_t locks[STRIPES];
};

/* The table, zeroed, its pages untouched until used (no resident memory at
 * start; anonymous mappings read as zero), in huge pages where the kernel
 * gives them on request: filling a fresh cache of 32 MiB in 4 KiB pages
 * would take thousands of page faults (each a TLB shootdown across the -par
 * threads) in the node's first minutes.  Small tables come from calloc. */
#define HUGE_PAGE ((size_t)2 << 20)
static void *alloc_table(struct sigcache *sc, size_t bytes)
{
    if (bytes < HUGE_PAGE)
        return calloc(1, bytes);
    size_t len = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE + HUGE_PAGE;
    void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    sc->map = base;
    sc->map_len = len;
    uintptr_t p = ((uintptr_t)base + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
#ifdef MADV_HUGEPAGE
    size_t aligned = len - (size_t)(p - (uintptr_t)base);
    (void)madvise((void *)p, aligned - aligned % HUGE_PAGE, MADV_HUGEPAGE);
#endif
    return (void *)p;
}

static void free_table(struct sigcache *sc)
{
    if (sc->map)
        munmap(sc->map, sc->map_len);
    else
        free(sc->buckets);
}

struct sigcache *sigcache_new(size_t bytes)
{
    struct sigcache *sc = calloc(1, sizeof(*sc));
    if (!sc)
        return NULL;
    sc->nbuckets = bytes / (SIGCACHE_WAYS * SIGCACHE_KEY_SIZE);
    if (sc->nbuckets == 0)
        sc->nbuckets = 1;
    sc->buckets = alloc_table(sc, sc->nbuckets * sizeof(*sc->buckets));
    if (!sc->buckets) {
        free(sc);
        return NULL;
    }
    randombytes_buf(sc->salt, sizeof(sc->salt));
    for (size_t i = 0; i < STRIPES; i++)
        pthread_mutex_init(&sc->locks[i], NULL);
    return sc;
}

void sigcache_free(struct sigcache *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&sc->locks[i]);
    sodium_memzero(sc->salt, sizeof(sc->salt));
    free_table(sc);
    free(sc);
}

void sigcache_key(const struct sigcache *sc, const uint8_t msg[HASH_SIZE],
                  const uint8_t pub[PUBKEY_SIZE], const uint8_t sig[SIG_SIZE],
                  uint8_t key[SIGCACHE_KEY_SIZE])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, sc->salt, sizeof(sc->salt), SIGCACHE_KEY_SIZE);
    crypto_generichash_update(&st, msg, HASH_SIZE);
    crypto_generichash_update(&st, pub, PUBKEY_SIZE);
    crypto_generichash_update(&st, sig, SIG_SIZE);
    crypto_generichash_final(&st, key, SIGCACHE_KEY_SIZE);
}

/* The key is uniform (a keyed hash): its first eight bytes pick the bucket. */
static size_t bucket_of(const struct sigcache *sc, const uint8_t key[SIGCACHE_KEY_SIZE])
{
    uint64_t x;
    memcpy(&x, key, sizeof(x));
    return (size_t)(x % sc->nbuckets);
}

static bool bucket_has(const struct bucket *b, const uint8_t key[SIGCACHE_KEY_SIZE])
{
    for (unsigned i = 0; i < b->used; i++)
        if (memcmp(b->keys[i], key, SIGCACHE_KEY_SIZE) == 0)
            return true;
    return false;
}

bool sigcache_contains(struct sigcache *sc, const uint8_t key[SIGCACHE_KEY_SIZE])
{
    size_t i = bucket_of(sc, key);
    pthread_mutex_t *lock = &sc->locks[i % STRIPES];
    pthread_mutex_lock(lock);
    bool found = bucket_has(&sc->buckets[i], key);
    pthread_mutex_unlock(lock);
    return found;
}

void sigcache_insert(struct sigcache *sc, const uint8_t key[SIGCACHE_KEY_SIZE])
{
    size_t i = bucket_of(sc, key);
    pthread_mutex_t *lock = &sc->locks[i % STRIPES];
    struct bucket *b = &sc->buckets[i];
    pthread_mutex_lock(lock);
    if (!bucket_has(b, key)) {
        if (b->used < SIGCACHE_WAYS) {
            memcpy(b->keys[b->used++], key, SIGCACHE_KEY_SIZE);
        } else {
            memcpy(b->keys[b->next], key, SIGCACHE_KEY_SIZE);
            b->next = (uint8_t)((b->next + 1) % SIGCACHE_WAYS);
        }
    }
    pthread_mutex_unlock(lock);
}

size_t sigcache_capacity(const struct sigcache *sc)
{
    return sc->nbuckets * SIGCACHE_WAYS;
}

size_t sigcache_count(struct sigcache *sc)
{
    size_t n = 0;
    for (size_t i = 0; i < sc->nbuckets; i++) {
        pthread_mutex_t *lock = &sc->locks[i % STRIPES];
        pthread_mutex_lock(lock);
        n += sc->buckets[i].used;
        pthread_mutex_unlock(lock);
    }
    return n;
}
