/* Little-endian integers, CompactSize and bounded byte strings. */
#include "consensus/serialize.h"

#include <stdlib.h>
#include <string.h>

void wbuf_init(struct wbuf *w)
{
    w->data = NULL;
    w->len = 0;
    w->cap = 0;
    w->failed = false;
}

void wbuf_free(struct wbuf *w)
{
    free(w->data);
    wbuf_init(w);
}

void wbuf_reset(struct wbuf *w)
{
    w->len = 0;
    w->failed = false;
}

uint8_t *wbuf_take(struct wbuf *w, size_t *len)
{
    uint8_t *p = w->data;
    if (len)
        *len = w->len;
    wbuf_init(w);
    return p;
}

static bool reserve(struct wbuf *w, size_t n)
{
    if (w->failed)
        return false;
    if (n > SIZE_MAX - w->len) {
        w->failed = true;
        return false;
    }
    size_t need = w->len + n;
    if (need <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(w->data, cap);
    if (!p) {
        w->failed = true;
        return false;
    }
    w->data = p;
    w->cap = cap;
    return true;
}

void put_bytes(struct wbuf *w, const void *p, size_t n)
{
    if (n == 0 || !reserve(w, n))
        return;
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void put_le(struct wbuf *w, uint64_t v, int width)
{
    uint8_t b[8];
    for (int i = 0; i < width; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(w, b, (size_t)width);
}

void put_u8(struct wbuf *w, uint8_t v) { put_le(w, v, 1); }
void put_u16(struct wbuf *w, uint16_t v) { put_le(w, v, 2); }
void put_u32(struct wbuf *w, uint32_t v) { put_le(w, v, 4); }
void put_u64(struct wbuf *w, uint64_t v) { put_le(w, v, 8); }
void put_i32(struct wbuf *w, int32_t v) { put_le(w, (uint32_t)v, 4); }
void put_i64(struct wbuf *w, int64_t v) { put_le(w, (uint64_t)v, 8); }

size_t compact_size_len(uint64_t v)
{
    if (v < 0xfd)
        return 1;
    if (v <= 0xffff)
        return 3;
    if (v <= 0xffffffff)
        return 5;
    return 9;
}

size_t compact_encode(uint8_t out[9], uint64_t v)
{
    size_t n = compact_size_len(v);
    if (n == 1) {
        out[0] = (uint8_t)v;
        return 1;
    }
    out[0] = n == 3 ? 0xfd : n == 5 ? 0xfe : 0xff;
    for (size_t i = 1; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (i - 1)));
    return n;
}

void put_compact(struct wbuf *w, uint64_t v)
{
    uint8_t b[9];
    put_bytes(w, b, compact_encode(b, v));
}

void put_varbytes(struct wbuf *w, const void *p, size_t n)
{
    put_compact(w, n);
    put_bytes(w, p, n);
}

void rbuf_init(struct rbuf *r, const void *data, size_t len)
{
    r->p = data;
    r->left = len;
    r->failed = false;
}

static bool fail(struct rbuf *r)
{
    r->failed = true;
    r->left = 0;
    return false;
}

bool get_view(struct rbuf *r, const uint8_t **p, size_t n)
{
    if (r->failed || n > r->left)
        return fail(r);
    *p = r->p;
    r->p += n;
    r->left -= n;
    return true;
}

bool get_bytes(struct rbuf *r, void *out, size_t n)
{
    const uint8_t *p;
    if (!get_view(r, &p, n))
        return false;
    if (n)
        memcpy(out, p, n);
    return true;
}

static bool get_le(struct rbuf *r, uint64_t *v, int width)
{
    const uint8_t *p;
    if (!get_view(r, &p, (size_t)width))
        return false;
    uint64_t x = 0;
    for (int i = 0; i < width; i++)
        x |= (uint64_t)p[i] << (8 * i);
    *v = x;
    return true;
}

bool get_u8(struct rbuf *r, uint8_t *v)
{
    uint64_t x;
    if (!get_le(r, &x, 1))
        return false;
    *v = (uint8_t)x;
    return true;
}

bool get_u16(struct rbuf *r, uint16_t *v)
{
    uint64_t x;
    if (!get_le(r, &x, 2))
        return false;
    *v = (uint16_t)x;
    return true;
}

bool get_u32(struct rbuf *r, uint32_t *v)
{
    uint64_t x;
    if (!get_le(r, &x, 4))
        return false;
    *v = (uint32_t)x;
    return true;
}

bool get_u64(struct rbuf *r, uint64_t *v)
{
    return get_le(r, v, 8);
}

bool get_i32(struct rbuf *r, int32_t *v)
{
    uint32_t x;
    if (!get_u32(r, &x))
        return false;
    *v = (int32_t)x;
    return true;
}

bool get_i64(struct rbuf *r, int64_t *v)
{
    uint64_t x;
    if (!get_u64(r, &x))
        return false;
    *v = (int64_t)x;
    return true;
}

bool get_compact(struct rbuf *r, uint64_t *v, uint64_t max)
{
    uint8_t tag;
    uint64_t x;
    if (!get_u8(r, &tag))
        return false;
    if (tag < 0xfd) {
        x = tag;
    } else if (tag == 0xfd) {
        if (!get_le(r, &x, 2) || x < 0xfd)
            return fail(r);
    } else if (tag == 0xfe) {
        if (!get_le(r, &x, 4) || x <= 0xffff)
            return fail(r);
    } else {
        if (!get_le(r, &x, 8) || x <= 0xffffffff)
            return fail(r);
    }
    if (x > max)
        return fail(r);
    *v = x;
    return true;
}

bool get_varbytes(struct rbuf *r, const uint8_t **p, size_t *n, size_t max)
{
    uint64_t len;
    if (!get_compact(r, &len, max))
        return false;
    if (!get_view(r, p, (size_t)len))
        return false;
    *n = (size_t)len;
    return true;
}

bool get_bool(struct rbuf *r, bool *v)
{
    uint8_t b;
    if (!get_u8(r, &b))
        return false;
    if (b > 1)
        return fail(r);
    *v = b == 1;
    return true;
}

bool rbuf_done(const struct rbuf *r)
{
    return !r->failed && r->left == 0;
}
