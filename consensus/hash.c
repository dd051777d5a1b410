/* Tagged BLAKE2b-256 (libsodium). */
#include "consensus/hash.h"
#include "consensus/serialize.h"

#include <string.h>

static void personal_from_tag(unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES],
                              const char *tag)
{
    size_t n = strlen(tag);
    memset(personal, 0, crypto_generichash_blake2b_PERSONALBYTES);
    if (n > crypto_generichash_blake2b_PERSONALBYTES)
        n = crypto_generichash_blake2b_PERSONALBYTES;
    memcpy(personal, tag, n);
}

void hasher_init(struct hasher *h, const char *tag)
{
    unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES];
    personal_from_tag(personal, tag);
    /* Cannot fail for a 32-byte output and no key. */
    (void)crypto_generichash_blake2b_init_salt_personal(&h->st, NULL, 0, HASH_SIZE, NULL, personal);
}

void hasher_write(struct hasher *h, const void *data, size_t len)
{
    (void)crypto_generichash_blake2b_update(&h->st, data, len);
}

void hasher_u64(struct hasher *h, uint64_t v)
{
    uint8_t b[8];
    write_le64(b, v);
    hasher_write(h, b, sizeof(b));
}

void hasher_final(struct hasher *h, uint8_t out[HASH_SIZE])
{
    (void)crypto_generichash_blake2b_final(&h->st, out, HASH_SIZE);
}

void hash_tagged(uint8_t out[HASH_SIZE], const char *tag, const void *data, size_t len)
{
    struct hasher h;
    hasher_init(&h, tag);
    hasher_write(&h, data, len);
    hasher_final(&h, out);
}

void hash_to_hex(const uint8_t h[HASH_SIZE], char out[2 * HASH_SIZE + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < HASH_SIZE; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[2 * HASH_SIZE] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool hash_from_hex(uint8_t out[HASH_SIZE], const char *hex)
{
    if (strlen(hex) != 2 * HASH_SIZE)
        return false;
    for (int i = 0; i < HASH_SIZE; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool hash_is_zero(const uint8_t h[HASH_SIZE])
{
    uint8_t acc = 0;
    for (int i = 0; i < HASH_SIZE; i++)
        acc |= h[i];
    return acc == 0;
}
