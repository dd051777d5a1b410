/* BIP340 Schnorr keys and signatures over libsecp256k1.
 *
 * An account is an x-only public key (32 bytes).  Secrets are 32 bytes; callers
 * own them and wipe them (sodium_memzero) when done.
 */
#ifndef FML_CONSENSUS_KEY_H
#define FML_CONSENSUS_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/serialize.h"

#define PUBKEY_SIZE 32
#define SECKEY_SIZE 32
#define SIG_SIZE 64

/* False when sec is zero or not below the curve order. */
bool key_pubkey(uint8_t pub[PUBKEY_SIZE], const uint8_t sec[SECKEY_SIZE]) WARN_UNUSED;

/* True when pub is the x coordinate of a point on the curve. */
bool key_pubkey_valid(const uint8_t pub[PUBKEY_SIZE]) WARN_UNUSED;

/* BIP340 signature of a 32-byte message; aux is the auxiliary randomness
 * (BIP340 recommends fresh random bytes; NULL means 32 zero bytes). */
bool key_sign(uint8_t sig[SIG_SIZE], const uint8_t msg[32], const uint8_t sec[SECKEY_SIZE],
              const uint8_t aux[32]) WARN_UNUSED;

/* BIP340 verification of a message of any length (BIP340 allows variable
 * messages; the protocol only signs 32-byte hashes). */
bool key_verify(const uint8_t sig[SIG_SIZE], const uint8_t *msg, size_t msglen,
                const uint8_t pub[PUBKEY_SIZE]) WARN_UNUSED;

/* BIP340 signature of a message of any length (for the published vectors). */
bool key_sign_msg(uint8_t sig[SIG_SIZE], const uint8_t *msg, size_t msglen,
                  const uint8_t sec[SECKEY_SIZE], const uint8_t aux[32]) WARN_UNUSED;

#endif
