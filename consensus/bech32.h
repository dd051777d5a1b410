/* Bech32m (BIP350) strings and account addresses.
 *
 * An address is bech32m(hrp, [0] ++ 5-bit groups of the 32-byte x-only key):
 * one 5-bit version symbol (0, the only version) then the key.  The hrp names
 * the network: "fml" main, "tfml" test, "rfml" regtest.
 */
#ifndef FML_CONSENSUS_BECH32_H
#define FML_CONSENSUS_BECH32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/key.h"

#define BECH32_MAX_LEN 90
#define ADDRESS_MAX_LEN 91 /* with the terminating NUL */

enum bech32_encoding { BECH32_INVALID, BECH32_ORIGINAL, BECH32_M };

/* data holds 5-bit values.  Returns false when the result would exceed 90
 * characters or the hrp is invalid.  out must hold BECH32_MAX_LEN + 1 bytes. */
bool bech32_encode(char *out, const char *hrp, const uint8_t *data, size_t data_len,
                   enum bech32_encoding enc);

/* Parses a bech32 or bech32m string (mixed case rejected).  hrp_out must hold
 * 84 bytes and data_out 90.  Returns the checksum kind or BECH32_INVALID. */
enum bech32_encoding bech32_decode(char *hrp_out, uint8_t *data_out, size_t *data_len,
                                   const char *str);

/* Regroups bits (e.g. 8 -> 5); pad adds zero bits to a last partial group,
 * !pad requires the leftover bits to be zero and fewer than frombits. */
bool bech32_convert_bits(uint8_t *out, size_t *out_len, int tobits, const uint8_t *in,
                         size_t in_len, int frombits, bool pad);

bool address_encode(char out[ADDRESS_MAX_LEN], const char *hrp, const uint8_t pub[PUBKEY_SIZE]);
/* Requires the given hrp, version 0, a valid curve point, and bech32m. */
bool address_decode(uint8_t pub[PUBKEY_SIZE], const char *hrp, const char *addr);

#endif
