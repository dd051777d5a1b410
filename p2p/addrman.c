/* The address book (see addrman.h). */
#include "p2p/addrman.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/serialize.h"
#include "util/fs.h"
#include "util/log.h"

#define FILE_VERSION 1
#define FILE_MAGIC "FMLA"
#define ENTRY_SIZE (16 + 2 + 8 + 8 + 8 + 8 + 4)
#define SELECT_DRAWS 64
#define EVICT_SAMPLE 8

static void addr_key(const struct p2p_addr *a, uint8_t key[18])
{
    memcpy(key, a->ip, 16);
    key[16] = (uint8_t)(a->port & 0xff);
    key[17] = (uint8_t)(a->port >> 8);
}

void addrman_init(struct addrman *am, size_t max)
{
    am->v = NULL;
    am->n = 0;
    am->max = max;
    am->loopback_only = false;
    hmap_init(&am->index);
}

void addrman_free(struct addrman *am)
{
    free(am->v);
    hmap_free(&am->index, NULL);
    am->v = NULL;
    am->n = 0;
}

static size_t position(const struct addrman *am, const struct p2p_addr *a)
{
    uint8_t key[18];
    addr_key(a, key);
    return (size_t)(uintptr_t)hmap_get(&am->index, key, sizeof(key));
}

struct addrman_entry *addrman_find(struct addrman *am, const struct p2p_addr *a)
{
    size_t pos = position(am, a);
    return pos ? &am->v[pos - 1] : NULL;
}

static void remove_at(struct addrman *am, size_t i)
{
    uint8_t key[18];
    addr_key(&am->v[i].addr, key);
    hmap_remove(&am->index, key, sizeof(key));
    am->n--;
    if (i != am->n) {
        am->v[i] = am->v[am->n];
        addr_key(&am->v[i].addr, key);
        hmap_put(&am->index, key, sizeof(key), (void *)(uintptr_t)(i + 1), NULL);
    }
}

void addrman_remove(struct addrman *am, const struct p2p_addr *a)
{
    size_t pos = position(am, a);
    if (pos)
        remove_at(am, pos - 1);
}

/* Worse: more failed attempts, then older. */
static bool worse(const struct addrman_entry *a, const struct addrman_entry *b)
{
    if (a->attempts != b->attempts)
        return a->attempts > b->attempts;
    return a->time < b->time;
}

static void make_room(struct addrman *am)
{
    size_t victim = randombytes_uniform((uint32_t)am->n);
    for (int i = 1; i < EVICT_SAMPLE; i++) {
        size_t j = randombytes_uniform((uint32_t)am->n);
        if (worse(&am->v[j], &am->v[victim]))
            victim = j;
    }
    remove_at(am, victim);
}

bool addrman_keeps(const struct addrman *am, const struct p2p_addr *a)
{
    return !am->loopback_only || p2p_addr_is_loopback(a);
}

void addrman_set_loopback_only(struct addrman *am, bool on)
{
    am->loopback_only = on;
    for (size_t i = am->n; i-- > 0;)
        if (!addrman_keeps(am, &am->v[i].addr))
            remove_at(am, i);
}

bool addrman_add(struct addrman *am, const struct p2p_addr *a, uint64_t services, uint64_t time)
{
    uint8_t key[18];
    if (!addrman_keeps(am, a))
        return false;
    struct addrman_entry *e = addrman_find(am, a);
    if (e) {
        if (time <= e->time)
            return false;
        e->time = time;
        e->services = services;
        return true;
    }
    if (am->max == 0)
        return false;
    if (am->n >= am->max)
        make_room(am);
    if (am->n % 64 == 0) {
        struct addrman_entry *v = realloc(am->v, (am->n + 64) * sizeof(*v));
        if (!v)
            return false;
        am->v = v;
    }
    addr_key(a, key);
    if (!hmap_put(&am->index, key, sizeof(key), (void *)(uintptr_t)(am->n + 1), NULL))
        return false;
    am->v[am->n++] = (struct addrman_entry){.addr = *a, .services = services, .time = time};
    return true;
}

void addrman_attempt(struct addrman *am, const struct p2p_addr *a, uint64_t now)
{
    struct addrman_entry *e = addrman_find(am, a);
    if (e) {
        e->last_try = now;
        if (e->attempts < UINT32_MAX)
            e->attempts++;
    }
}

void addrman_good(struct addrman *am, const struct p2p_addr *a, uint64_t now)
{
    struct addrman_entry *e = addrman_find(am, a);
    if (e) {
        e->last_success = now;
        e->time = now;
        e->attempts = 0;
    }
}

const struct addrman_entry *addrman_select(struct addrman *am, uint64_t now, uint64_t retry_seconds,
                                           bool (*accept)(void *arg, const struct addrman_entry *e),
                                           void *arg)
{
    if (am->n == 0)
        return NULL;
    for (int i = 0; i < SELECT_DRAWS; i++) {
        const struct addrman_entry *e = &am->v[randombytes_uniform((uint32_t)am->n)];
        uint32_t shift = e->attempts < 6 ? e->attempts : 6;
        if (e->last_try && now < e->last_try + (retry_seconds << shift))
            continue;
        if (accept(arg, e))
            return e;
    }
    return NULL;
}

size_t addrman_sample(const struct addrman *am, struct addrman_entry *out, size_t max)
{
    size_t n = am->n < max ? am->n : max;
    /* A partial Fisher-Yates shuffle over positions. */
    size_t *pos = malloc(am->n * sizeof(*pos) + 1);
    if (!pos)
        return 0;
    for (size_t i = 0; i < am->n; i++)
        pos[i] = i;
    for (size_t i = 0; i < n; i++) {
        size_t j = i + randombytes_uniform((uint32_t)(am->n - i));
        size_t t = pos[i];
        pos[i] = pos[j];
        pos[j] = t;
        out[i] = am->v[pos[i]];
    }
    free(pos);
    return n;
}

bool addrman_save(const struct addrman *am, const char *path, const uint8_t magic[4])
{
    struct wbuf w;
    uint8_t sum[crypto_generichash_BYTES] = {0};
    wbuf_init(&w);
    put_bytes(&w, FILE_MAGIC, 4);
    put_bytes(&w, magic, 4);
    put_u32(&w, FILE_VERSION);
    put_compact(&w, am->n);
    for (size_t i = 0; i < am->n; i++) {
        const struct addrman_entry *e = &am->v[i];
        put_bytes(&w, e->addr.ip, 16);
        put_u16(&w, e->addr.port);
        put_u64(&w, e->services);
        put_u64(&w, e->time);
        put_u64(&w, e->last_try);
        put_u64(&w, e->last_success);
        put_u32(&w, e->attempts);
    }
    if (!w.failed)
        crypto_generichash(sum, sizeof(sum), w.data, w.len, NULL, 0);
    put_bytes(&w, sum, sizeof(sum));
    bool ok = !w.failed && fs_write_atomic(path, w.data, w.len, 0600);
    wbuf_free(&w);
    return ok;
}

bool addrman_load(struct addrman *am, const char *path, const uint8_t magic[4])
{
    char *data;
    size_t len;
    struct rbuf r;
    uint8_t head[8], sum[crypto_generichash_BYTES];
    uint32_t version;
    uint64_t n = 0;
    struct addrman fresh;

    if (!fs_read_file(path, 16u << 20, &data, &len))
        return false;
    if (len < sizeof(sum)) {
        free(data);
        log_printf("%s is damaged; starting with an empty address book", path);
        return false;
    }
    crypto_generichash(sum, sizeof(sum), (const uint8_t *)data, len - sizeof(sum), NULL, 0);
    rbuf_init(&r, data, len - sizeof(sum));
    bool ok = sodium_memcmp(sum, data + len - sizeof(sum), sizeof(sum)) == 0 &&
              get_bytes(&r, head, 8) && memcmp(head, FILE_MAGIC, 4) == 0 &&
              memcmp(head + 4, magic, 4) == 0 && get_u32(&r, &version) &&
              version == FILE_VERSION && get_compact(&r, &n, am->max) &&
              n * ENTRY_SIZE == r.left;
    addrman_init(&fresh, am->max);
    fresh.loopback_only = am->loopback_only;
    for (uint64_t i = 0; ok && i < n; i++) {
        struct addrman_entry e;
        ok = get_bytes(&r, e.addr.ip, 16) && get_u16(&r, &e.addr.port) &&
             get_u64(&r, &e.services) && get_u64(&r, &e.time) && get_u64(&r, &e.last_try) &&
             get_u64(&r, &e.last_success) && get_u32(&r, &e.attempts);
        if (ok && addrman_add(&fresh, &e.addr, e.services, e.time)) {
            struct addrman_entry *f = addrman_find(&fresh, &e.addr);
            f->last_try = e.last_try;
            f->last_success = e.last_success;
            f->attempts = e.attempts;
        }
    }
    free(data);
    if (!ok) {
        addrman_free(&fresh);
        log_printf("%s is damaged or of another network; starting with an empty address book",
                   path);
        return false;
    }
    addrman_free(am);
    *am = fresh;
    return true;
}
