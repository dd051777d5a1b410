/* Bech32 / bech32m, after the BIP173/BIP350 reference implementation. */
#include "consensus/bech32.h"

#include <string.h>

#define BECH32M_CONST 0x2bc830a3u

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static int8_t charset_rev(int c)
{
    if (c < 0 || c > 127)
        return -1;
    const char *p = memchr(charset, c, 32);
    return p ? (int8_t)(p - charset) : -1;
}

static uint32_t polymod_step(uint32_t pre)
{
    uint8_t b = (uint8_t)(pre >> 25);
    return ((pre & 0x1FFFFFF) << 5) ^
           (-((b >> 0) & 1) & 0x3b6a57b2UL) ^
           (-((b >> 1) & 1) & 0x26508e6dUL) ^
           (-((b >> 2) & 1) & 0x1ea119faUL) ^
           (-((b >> 3) & 1) & 0x3d4233ddUL) ^
           (-((b >> 4) & 1) & 0x2a1462b3UL);
}

static uint32_t encoding_const(enum bech32_encoding enc)
{
    return enc == BECH32_M ? BECH32M_CONST : 1;
}

bool bech32_encode(char *out, const char *hrp, const uint8_t *data, size_t data_len,
                   enum bech32_encoding enc)
{
    uint32_t chk = 1;
    size_t hrp_len = strlen(hrp);
    if (enc == BECH32_INVALID || hrp_len == 0 || hrp_len + 7 + data_len > BECH32_MAX_LEN)
        return false;
    for (size_t i = 0; i < hrp_len; i++) {
        int ch = (unsigned char)hrp[i];
        if (ch < 33 || ch > 126 || (ch >= 'A' && ch <= 'Z'))
            return false;
        chk = polymod_step(chk) ^ (uint32_t)(ch >> 5);
    }
    chk = polymod_step(chk);
    for (size_t i = 0; i < hrp_len; i++) {
        chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 0x1f);
        *out++ = hrp[i];
    }
    *out++ = '1';
    for (size_t i = 0; i < data_len; i++) {
        if (data[i] >> 5)
            return false;
        chk = polymod_step(chk) ^ data[i];
        *out++ = charset[data[i]];
    }
    for (int i = 0; i < 6; i++)
        chk = polymod_step(chk);
    chk ^= encoding_const(enc);
    for (int i = 0; i < 6; i++)
        *out++ = charset[(chk >> ((5 - i) * 5)) & 0x1f];
    *out = 0;
    return true;
}

enum bech32_encoding bech32_decode(char *hrp, uint8_t *data, size_t *data_len, const char *in)
{
    uint32_t chk = 1;
    size_t input_len = strlen(in), hrp_len;
    bool have_lower = false, have_upper = false;
    if (input_len < 8 || input_len > BECH32_MAX_LEN)
        return BECH32_INVALID;
    *data_len = 0;
    while (*data_len < input_len && in[(input_len - 1) - *data_len] != '1')
        ++(*data_len);
    hrp_len = input_len - (1 + *data_len);
    if (1 + *data_len >= input_len || *data_len < 6)
        return BECH32_INVALID;
    *(data_len) -= 6;
    for (size_t i = 0; i < hrp_len; ++i) {
        int ch = (unsigned char)in[i];
        if (ch < 33 || ch > 126)
            return BECH32_INVALID;
        if (ch >= 'a' && ch <= 'z') {
            have_lower = true;
        } else if (ch >= 'A' && ch <= 'Z') {
            have_upper = true;
            ch = (ch - 'A') + 'a';
        }
        hrp[i] = (char)ch;
        chk = polymod_step(chk) ^ (uint32_t)(ch >> 5);
    }
    hrp[hrp_len] = 0;
    chk = polymod_step(chk);
    for (size_t i = 0; i < hrp_len; ++i)
        chk = polymod_step(chk) ^ ((unsigned char)in[i] & 0x1f);
    for (size_t i = hrp_len + 1; i < input_len; i++) {
        int c = (unsigned char)in[i];
        int8_t v = charset_rev(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (c >= 'a' && c <= 'z')
            have_lower = true;
        if (c >= 'A' && c <= 'Z')
            have_upper = true;
        if (v == -1)
            return BECH32_INVALID;
        chk = polymod_step(chk) ^ (uint32_t)v;
        if (i + 6 < input_len)
            data[i - (1 + hrp_len)] = (uint8_t)v;
    }
    if (have_lower && have_upper)
        return BECH32_INVALID;
    if (chk == 1)
        return BECH32_ORIGINAL;
    if (chk == BECH32M_CONST)
        return BECH32_M;
    return BECH32_INVALID;
}

bool bech32_convert_bits(uint8_t *out, size_t *out_len, int tobits, const uint8_t *in,
                         size_t in_len, int frombits, bool pad)
{
    uint32_t val = 0;
    int bits = 0;
    uint32_t maxv = (((uint32_t)1) << tobits) - 1;
    *out_len = 0;
    while (in_len--) {
        if (*in >> frombits)
            return false;
        val = (val << frombits) | *(in++);
        bits += frombits;
        while (bits >= tobits) {
            bits -= tobits;
            out[(*out_len)++] = (uint8_t)((val >> bits) & maxv);
        }
    }
    if (pad) {
        if (bits)
            out[(*out_len)++] = (uint8_t)((val << (tobits - bits)) & maxv);
    } else if (((val << (tobits - bits)) & maxv) || bits >= frombits) {
        return false;
    }
    return true;
}

bool address_encode(char out[ADDRESS_MAX_LEN], const char *hrp, const uint8_t pub[PUBKEY_SIZE])
{
    uint8_t data[1 + 52];
    size_t n;
    data[0] = 0;
    if (!bech32_convert_bits(data + 1, &n, 5, pub, PUBKEY_SIZE, 8, true))
        return false;
    return bech32_encode(out, hrp, data, 1 + n, BECH32_M);
}

bool address_decode(uint8_t pub[PUBKEY_SIZE], const char *hrp, const char *addr)
{
    char got_hrp[BECH32_MAX_LEN];
    uint8_t data[BECH32_MAX_LEN];
    uint8_t key[BECH32_MAX_LEN];
    size_t data_len, key_len;
    if (bech32_decode(got_hrp, data, &data_len, addr) != BECH32_M)
        return false;
    if (strcmp(got_hrp, hrp) != 0 || data_len < 1 || data[0] != 0)
        return false;
    if (!bech32_convert_bits(key, &key_len, 8, data + 1, data_len - 1, 5, false))
        return false;
    if (key_len != PUBKEY_SIZE || !key_pubkey_valid(key))
        return false;
    memcpy(pub, key, PUBKEY_SIZE);
    return true;
}
