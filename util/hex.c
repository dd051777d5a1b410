/* A table decoder: a transaction's hex is decoded on every
 * sendrawtransaction, and libsodium's sodium_hex2bin (constant time, for
 * secrets) cost 5% of the node's CPU in mempool accept; nothing decoded here
 * is secret. */
#include "util/hex.h"

/* A hex digit's value plus one; 0 for anything else. */
static const uint8_t hex_value[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

bool hex_decode(const char *s, size_t len, uint8_t *out)
{
    if (len % 2)
        return false;
    bool ok = true;
    for (size_t i = 0; i < len / 2; i++) {
        uint8_t hi = hex_value[(unsigned char)s[2 * i]];
        uint8_t lo = hex_value[(unsigned char)s[2 * i + 1]];
        ok &= hi != 0 && lo != 0;
        out[i] = (uint8_t)(((hi - 1) & 15) << 4 | ((lo - 1) & 15)); /* masked: a bad digit is 0 */
    }
    return ok;
}
