/* The ban list (see banman.h).  A plain array: it is small, and every
 * lookup is a subnet match anyway. */
#include "p2p/banman.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/serialize.h"
#include "util/fs.h"
#include "util/log.h"

#define FILE_VERSION 1
#define FILE_MAGIC "FMLB"
#define ENTRY_SIZE (16 + 1 + 8 + 8)

void banman_init(struct banman *bm, size_t max)
{
    bm->v = NULL;
    bm->n = 0;
    bm->max = max;
    bm->dirty = false;
}

void banman_free(struct banman *bm)
{
    free(bm->v);
    bm->v = NULL;
    bm->n = 0;
}

static struct ban_entry *find(struct banman *bm, const struct p2p_subnet *net)
{
    for (size_t i = 0; i < bm->n; i++)
        if (p2p_subnet_equal(&bm->v[i].net, net))
            return &bm->v[i];
    return NULL;
}

static void remove_at(struct banman *bm, size_t i)
{
    bm->v[i] = bm->v[--bm->n];
    bm->dirty = true;
}

bool banman_ban(struct banman *bm, const struct p2p_subnet *net, uint64_t now, uint64_t until)
{
    struct ban_entry *e = find(bm, net);
    if (e) {
        if (e->until >= until)
            return false;
        e->until = until;
        bm->dirty = true;
        return true;
    }
    if (bm->max == 0)
        return false;
    if (bm->n >= bm->max) {
        size_t first = 0;
        for (size_t i = 1; i < bm->n; i++)
            if (bm->v[i].until < bm->v[first].until)
                first = i;
        remove_at(bm, first);
    }
    struct ban_entry *v = realloc(bm->v, (bm->n + 1) * sizeof(*v));
    if (!v)
        return false;
    bm->v = v;
    bm->v[bm->n++] = (struct ban_entry){.net = *net, .created = now, .until = until};
    bm->dirty = true;
    return true;
}

bool banman_unban(struct banman *bm, const struct p2p_subnet *net)
{
    for (size_t i = 0; i < bm->n; i++) {
        if (p2p_subnet_equal(&bm->v[i].net, net)) {
            remove_at(bm, i);
            return true;
        }
    }
    return false;
}

void banman_clear(struct banman *bm)
{
    if (bm->n)
        bm->dirty = true;
    bm->n = 0;
}

bool banman_is_banned(const struct banman *bm, const struct p2p_addr *a, uint64_t now)
{
    for (size_t i = 0; i < bm->n; i++)
        if (now < bm->v[i].until && p2p_subnet_match(&bm->v[i].net, a))
            return true;
    return false;
}

bool banman_is_subnet_banned(const struct banman *bm, const struct p2p_subnet *net, uint64_t now)
{
    for (size_t i = 0; i < bm->n; i++)
        if (now < bm->v[i].until && p2p_subnet_equal(&bm->v[i].net, net))
            return true;
    return false;
}

void banman_sweep(struct banman *bm, uint64_t now)
{
    for (size_t i = 0; i < bm->n;) {
        if (bm->v[i].until <= now)
            remove_at(bm, i);
        else
            i++;
    }
}

bool banman_save(struct banman *bm, const char *path, const uint8_t magic[4])
{
    struct wbuf w;
    uint8_t sum[crypto_generichash_BYTES] = {0};
    wbuf_init(&w);
    put_bytes(&w, FILE_MAGIC, 4);
    put_bytes(&w, magic, 4);
    put_u32(&w, FILE_VERSION);
    put_compact(&w, bm->n);
    for (size_t i = 0; i < bm->n; i++) {
        put_bytes(&w, bm->v[i].net.ip, 16);
        put_u8(&w, bm->v[i].net.prefix);
        put_u64(&w, bm->v[i].created);
        put_u64(&w, bm->v[i].until);
    }
    if (!w.failed)
        crypto_generichash(sum, sizeof(sum), w.data, w.len, NULL, 0);
    put_bytes(&w, sum, sizeof(sum));
    bool ok = !w.failed && fs_write_atomic(path, w.data, w.len, 0600);
    wbuf_free(&w);
    if (ok)
        bm->dirty = false;
    return ok;
}

bool banman_load(struct banman *bm, const char *path, const uint8_t magic[4], uint64_t now)
{
    char *data;
    size_t len;
    struct rbuf r;
    uint8_t head[8], sum[crypto_generichash_BYTES];
    uint32_t version;
    uint64_t n = 0;
    struct banman fresh;

    if (!fs_read_file(path, 1u << 20, &data, &len))
        return false;
    bool ok = len >= sizeof(sum);
    if (ok) {
        crypto_generichash(sum, sizeof(sum), (const uint8_t *)data, len - sizeof(sum), NULL, 0);
        rbuf_init(&r, data, len - sizeof(sum));
        ok = sodium_memcmp(sum, data + len - sizeof(sum), sizeof(sum)) == 0 &&
             get_bytes(&r, head, 8) && memcmp(head, FILE_MAGIC, 4) == 0 &&
             memcmp(head + 4, magic, 4) == 0 && get_u32(&r, &version) &&
             version == FILE_VERSION && get_compact(&r, &n, bm->max) && n * ENTRY_SIZE == r.left;
    }
    banman_init(&fresh, bm->max);
    for (uint64_t i = 0; ok && i < n; i++) {
        struct ban_entry e;
        ok = get_bytes(&r, e.net.ip, 16) && get_u8(&r, &e.net.prefix) && e.net.prefix <= 128 &&
             get_u64(&r, &e.created) && get_u64(&r, &e.until);
        if (ok && e.until > now && banman_ban(&fresh, &e.net, e.created, e.until))
            continue;
    }
    free(data);
    if (!ok) {
        banman_free(&fresh);
        log_printf("%s is damaged or of another network; starting with an empty ban list", path);
        return false;
    }
    banman_free(bm);
    *bm = fresh;
    bm->dirty = false;
    return true;
}
