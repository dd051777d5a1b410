/* LtHash over 1024 x uint16 lanes (see lthash.h). */
#include "consensus/lthash.h"
#include "consensus/hash.h"

#include <sodium.h>
#include <string.h>

void lthash_init(struct lthash *lt)
{
    memset(lt->lanes, 0, sizeof(lt->lanes));
}

static void expand(uint16_t out[LTHASH_LANES], const uint8_t *key, size_t klen,
                   const uint8_t *val, size_t vlen)
{
    static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
    uint8_t seed[32], stream[LTHASH_BYTES], len[9];
    struct hasher h;

    hasher_init(&h, HTAG_LTELEM);
    hasher_write(&h, len, compact_encode(len, klen));
    hasher_write(&h, key, klen);
    hasher_write(&h, len, compact_encode(len, vlen));
    hasher_write(&h, val, vlen);
    hasher_final(&h, seed);

    crypto_stream_chacha20(stream, sizeof(stream), nonce, seed);
    for (int i = 0; i < LTHASH_LANES; i++)
        out[i] = (uint16_t)(stream[2 * i] | stream[2 * i + 1] << 8);
}

void lthash_add(struct lthash *lt, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    uint16_t e[LTHASH_LANES];
    expand(e, key, klen, val, vlen);
    for (int i = 0; i < LTHASH_LANES; i++)
        lt->lanes[i] = (uint16_t)(lt->lanes[i] + e[i]);
}

void lthash_remove(struct lthash *lt, const uint8_t *key, size_t klen, const uint8_t *val,
                   size_t vlen)
{
    uint16_t e[LTHASH_LANES];
    expand(e, key, klen, val, vlen);
    for (int i = 0; i < LTHASH_LANES; i++)
        lt->lanes[i] = (uint16_t)(lt->lanes[i] - e[i]);
}

void lthash_encode(const struct lthash *lt, uint8_t out[LTHASH_BYTES])
{
    for (int i = 0; i < LTHASH_LANES; i++) {
        out[2 * i] = (uint8_t)lt->lanes[i];
        out[2 * i + 1] = (uint8_t)(lt->lanes[i] >> 8);
    }
}

void lthash_decode(struct lthash *lt, const uint8_t in[LTHASH_BYTES])
{
    for (int i = 0; i < LTHASH_LANES; i++)
        lt->lanes[i] = (uint16_t)(in[2 * i] | in[2 * i + 1] << 8);
}

void lthash_root(const struct lthash *lt, uint8_t out[32])
{
    uint8_t b[LTHASH_BYTES];
    lthash_encode(lt, b);
    hash_tagged(out, HTAG_STATEROOT, b, sizeof(b));
}
