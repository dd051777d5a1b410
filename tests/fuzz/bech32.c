/* Fuzz target: the bech32/bech32m decoder and account addresses
 * (consensus/bech32.c).
 *
 * Input: the string (NUL bytes end it early).  Properties: a string that
 * decodes re-encodes to itself in lower case; an address that decodes
 * re-encodes to itself; regrouping 5-bit data to bytes and back is exact. */
#include "tests/fuzz/fuzz.h"

#include "consensus/bech32.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

#define FUZZ_MAX_STRING 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    static const char *const hrps[] = {"fml", "tfml", "rfml"};
    char in[FUZZ_MAX_STRING + 1], lower[FUZZ_MAX_STRING + 1];
    char hrp[BECH32_MAX_LEN + 1], out[BECH32_MAX_LEN + 1];
    uint8_t values[BECH32_MAX_LEN];
    size_t n;

    if (!ready) {
        FUZZ_CHECK(sodium_init() >= 0);
        ready = true;
    }
    if (size > FUZZ_MAX_STRING)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    for (size_t i = 0; i <= size; i++)
        lower[i] = (char)tolower((unsigned char)in[i]);

    enum bech32_encoding enc = bech32_decode(hrp, values, &n, in);
    if (enc != BECH32_INVALID) {
        FUZZ_CHECK(n <= BECH32_MAX_LEN - 8);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(values[i] < 32);
        FUZZ_CHECK(bech32_encode(out, hrp, values, n, enc));
        FUZZ_CHECK(strcmp(out, lower) == 0);

        uint8_t bytes[BECH32_MAX_LEN], back[BECH32_MAX_LEN + 8];
        size_t nbytes, nback;
        if (bech32_convert_bits(bytes, &nbytes, 8, values, n, 5, false)) {
            FUZZ_CHECK(bech32_convert_bits(back, &nback, 5, bytes, nbytes, 8, true));
            FUZZ_CHECK(nback == n && memcmp(back, values, n) == 0);
        }
    }
    for (size_t i = 0; i < sizeof(hrps) / sizeof(hrps[0]); i++) {
        uint8_t pub[PUBKEY_SIZE];
        char addr[ADDRESS_MAX_LEN];
        if (!address_decode(pub, hrps[i], in))
            continue;
        FUZZ_CHECK(enc == BECH32_M && strcmp(hrp, hrps[i]) == 0);
        FUZZ_CHECK(address_encode(addr, hrps[i], pub));
        FUZZ_CHECK(strcmp(addr, lower) == 0);
    }
    return 0;
}
