/* Byte encodings shared by every consensus object.
 *
 * Integers are little-endian and fixed width; lengths are Bitcoin CompactSize.
 * Writers grow a heap buffer and remember failure (out of memory) so that a
 * sequence of puts needs one check at the end.  Readers never read past the
 * input, reject non-canonical CompactSize forms, and bound every length by a
 * caller-given maximum.  Nothing here allocates on the read side: variable
 * fields are returned as pointers into the input.
 */
#ifndef FML_CONSENSUS_SERIALIZE_H
#define FML_CONSENSUS_SERIALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"

struct wbuf {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed;
};

void wbuf_init(struct wbuf *w);
void wbuf_free(struct wbuf *w);
/* Forget the contents but keep the allocation. */
void wbuf_reset(struct wbuf *w);
/* Hand the buffer to the caller (who frees it); the writer is reset. */
uint8_t *wbuf_take(struct wbuf *w, size_t *len);

void put_u8(struct wbuf *w, uint8_t v);
void put_u16(struct wbuf *w, uint16_t v);
void put_u32(struct wbuf *w, uint32_t v);
void put_u64(struct wbuf *w, uint64_t v);
void put_i32(struct wbuf *w, int32_t v);
void put_i64(struct wbuf *w, int64_t v);
void put_compact(struct wbuf *w, uint64_t v);
void put_bytes(struct wbuf *w, const void *p, size_t n);
/* CompactSize length followed by the bytes. */
void put_varbytes(struct wbuf *w, const void *p, size_t n);

/* Number of bytes put_compact(v) writes. */
size_t compact_size_len(uint64_t v);
/* Writes the CompactSize of v to out and returns its length (1, 3, 5 or 9). */
size_t compact_encode(uint8_t out[9], uint64_t v);

struct rbuf {
    const uint8_t *p;
    size_t left;
    bool failed;
};

void rbuf_init(struct rbuf *r, const void *data, size_t len);

/* Each getter returns false (and marks the reader failed) when the input is
 * short or the value out of bounds; after the first failure all getters fail. */
bool get_u8(struct rbuf *r, uint8_t *v) WARN_UNUSED;
bool get_u16(struct rbuf *r, uint16_t *v) WARN_UNUSED;
bool get_u32(struct rbuf *r, uint32_t *v) WARN_UNUSED;
bool get_u64(struct rbuf *r, uint64_t *v) WARN_UNUSED;
bool get_i32(struct rbuf *r, int32_t *v) WARN_UNUSED;
bool get_i64(struct rbuf *r, int64_t *v) WARN_UNUSED;
/* Canonical CompactSize no larger than max. */
bool get_compact(struct rbuf *r, uint64_t *v, uint64_t max) WARN_UNUSED;
bool get_bytes(struct rbuf *r, void *out, size_t n) WARN_UNUSED;
/* Points *p at the next n bytes of the input (no copy). */
bool get_view(struct rbuf *r, const uint8_t **p, size_t n) WARN_UNUSED;
/* CompactSize length (<= max) then a view of that many bytes. */
bool get_varbytes(struct rbuf *r, const uint8_t **p, size_t *n, size_t max) WARN_UNUSED;
/* A bool encoded as one byte 0 or 1. */
bool get_bool(struct rbuf *r, bool *v) WARN_UNUSED;

/* True when nothing failed and every byte was consumed. */
bool rbuf_done(const struct rbuf *r) WARN_UNUSED;

/* Little-endian helpers for fixed buffers. */
static inline void write_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t read_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void write_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t read_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void write_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t read_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
