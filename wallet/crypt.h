/* Encryption of wallet secrets at rest (internal to wallet/).
 *
 * A random 32-byte master key seals each secret with XChaCha20-Poly1305
 * (random 24-byte nonce, the public key as associated data, so a sealed
 * secret cannot be moved to another key's record).  The master key is itself
 * sealed under a key derived from the passphrase with Argon2id
 * (crypto_pwhash ALG_ARGON2ID13, the salt and limits stored in the header).
 * Opening that sealed master key is the passphrase check: Poly1305 rejects
 * any other passphrase.  Key material lives in sodium_malloc'd buffers and is
 * wiped when freed.
 */
#ifndef FML_WALLET_CRYPT_H
#define FML_WALLET_CRYPT_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/key.h"
#include "consensus/attr.h"

#define CRYPT_KEY_SIZE 32
#define CRYPT_SALT_SIZE crypto_pwhash_argon2id_SALTBYTES
#define CRYPT_NONCE_SIZE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define CRYPT_TAG_SIZE crypto_aead_xchacha20poly1305_ietf_ABYTES
/* nonce | ciphertext of 32 bytes | tag */
#define CRYPT_SEALED_SIZE (CRYPT_NONCE_SIZE + 32 + CRYPT_TAG_SIZE)
#define CRYPT_ALG_ARGON2ID13 2

struct crypt_kdf {
    uint8_t alg;
    uint64_t opslimit;
    uint64_t memlimit;
    uint8_t salt[CRYPT_SALT_SIZE];
    uint8_t sealed_master[CRYPT_SEALED_SIZE];
};

/* A sodium_malloc'd 32-byte buffer for a key (NULL when out of memory);
 * freed (and wiped) with crypt_key_free. */
uint8_t *crypt_key_alloc(void);
void crypt_key_free(uint8_t *key);

void crypt_set_limits(uint64_t opslimit, size_t memlimit);
/* Stored limits a load accepts. */
bool crypt_kdf_valid(const struct crypt_kdf *kdf);

/* A new random master key (into master) sealed under passphrase with a new
 * salt and the current limits. */
bool crypt_kdf_new(struct crypt_kdf *kdf, const char *passphrase, uint8_t *master)
    WARN_UNUSED;
/* Seals an existing master key under a new passphrase (new salt). */
bool crypt_kdf_rewrap(struct crypt_kdf *kdf, const char *passphrase, const uint8_t *master)
    WARN_UNUSED;
enum crypt_open_result {
    CRYPT_OPENED,
    CRYPT_WRONG_PASSPHRASE,
    CRYPT_NO_MEMORY, /* Argon2id could not get its memory */
};

/* Opens the master key with passphrase. */
enum crypt_open_result crypt_kdf_open(const struct crypt_kdf *kdf, const char *passphrase,
                                      uint8_t *master) WARN_UNUSED;

void crypt_seal_secret(uint8_t out[CRYPT_SEALED_SIZE], const uint8_t *master,
                       const uint8_t sec[SECKEY_SIZE], const uint8_t pub[PUBKEY_SIZE]);
bool crypt_open_secret(uint8_t sec[SECKEY_SIZE], const uint8_t *master,
                       const uint8_t in[CRYPT_SEALED_SIZE], const uint8_t pub[PUBKEY_SIZE])
    WARN_UNUSED;

/* Clear secrets of an unencrypted wallet, side by side in one
 * sodium_malloc'd region that grows by reallocation (the old one wiped). */
struct crypt_arena {
    uint8_t *buf;
    size_t n;
    size_t cap;
};

void crypt_arena_init(struct crypt_arena *a);
void crypt_arena_free(struct crypt_arena *a);
/* Appends a secret; *idx receives its index.  False when out of memory. */
bool crypt_arena_add(struct crypt_arena *a, const uint8_t sec[SECKEY_SIZE], size_t *idx)
    WARN_UNUSED;
const uint8_t *crypt_arena_get(const struct crypt_arena *a, size_t idx);

#endif
