/* Hex decoding of public data (transactions, hashes) on the RPC paths. */
#ifndef FML_UTIL_HEX_H
#define FML_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes len characters of s (either case, no prefix, no separators) into
 * out[len / 2].  False, with out unspecified, when len is odd or any
 * character is not a hex digit (a NUL included). */
bool hex_decode(const char *s, size_t len, uint8_t *out);

#endif
