/* Encryption of wallet secrets at rest: Argon2id, XChaCha20-Poly1305 and
 * guarded memory for keys (see crypt.h).  Never logs, never keeps a copy of
 * a passphrase or key outside sodium_malloc'd memory. */
#include "wallet/crypt.h"

#include <string.h>

/* Associated data binding each sealed object to what it is. */
#define AD_MASTER "FML/wallet-master"
#define AD_SECRET "FML/wallet-secret"

static uint64_t kdf_ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
static size_t kdf_mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;

uint8_t *crypt_key_alloc(void)
{
    return sodium_malloc(CRYPT_KEY_SIZE);
}

void crypt_key_free(uint8_t *key)
{
    if (key)
        sodium_free(key); /* wipes */
}

void crypt_set_limits(uint64_t opslimit, size_t memlimit)
{
    if (opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN)
        opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
    if (opslimit > crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE)
        opslimit = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
    if (memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN)
        memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN;
    if (memlimit > crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE)
        memlimit = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
    kdf_ops = opslimit;
    kdf_mem = memlimit;
}

bool crypt_kdf_valid(const struct crypt_kdf *kdf)
{
    return kdf->alg == CRYPT_ALG_ARGON2ID13 &&
           kdf->opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
           kdf->opslimit <= crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE &&
           kdf->memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
           kdf->memlimit <= crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
}

/* The passphrase key of kdf into a guarded buffer (NULL on failure). */
static uint8_t *derive(const struct crypt_kdf *kdf, const char *passphrase)
{
    uint8_t *kek = crypt_key_alloc();
    if (!kek)
        return NULL;
    if (crypto_pwhash(kek, CRYPT_KEY_SIZE, passphrase, strlen(passphrase), kdf->salt,
                      kdf->opslimit, (size_t)kdf->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        crypt_key_free(kek);
        return NULL;
    }
    return kek;
}

static void seal(uint8_t out[CRYPT_SEALED_SIZE], const uint8_t *key, const uint8_t msg[32],
                 const uint8_t *ad, size_t adlen)
{
    randombytes_buf(out, CRYPT_NONCE_SIZE);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + CRYPT_NONCE_SIZE, NULL, msg, 32, ad, adlen,
                                               NULL, out, key);
}

static bool open_sealed(uint8_t msg[32], const uint8_t *key, const uint8_t in[CRYPT_SEALED_SIZE],
                        const uint8_t *ad, size_t adlen)
{
    unsigned long long n;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(msg, &n, NULL, in + CRYPT_NONCE_SIZE,
                                                   32 + CRYPT_TAG_SIZE, ad, adlen, in, key) != 0 ||
        n != 32) {
        sodium_memzero(msg, 32);
        return false;
    }
    return true;
}

/* Associated data of the sealed master key: the tag and the salt. */
static size_t master_ad(uint8_t ad[sizeof(AD_MASTER) + CRYPT_SALT_SIZE],
                        const struct crypt_kdf *kdf)
{
    memcpy(ad, AD_MASTER, sizeof(AD_MASTER));
    memcpy(ad + sizeof(AD_MASTER), kdf->salt, CRYPT_SALT_SIZE);
    return sizeof(AD_MASTER) + CRYPT_SALT_SIZE;
}

bool crypt_kdf_rewrap(struct crypt_kdf *kdf, const char *passphrase, const uint8_t *master)
{
    uint8_t ad[sizeof(AD_MASTER) + CRYPT_SALT_SIZE];
    struct crypt_kdf k = {.alg = CRYPT_ALG_ARGON2ID13, .opslimit = kdf_ops, .memlimit = kdf_mem};
    randombytes_buf(k.salt, sizeof(k.salt));
    uint8_t *kek = derive(&k, passphrase);
    if (!kek)
        return false;
    seal(k.sealed_master, kek, master, ad, master_ad(ad, &k));
    crypt_key_free(kek);
    *kdf = k;
    return true;
}

bool crypt_kdf_new(struct crypt_kdf *kdf, const char *passphrase, uint8_t *master)
{
    randombytes_buf(master, CRYPT_KEY_SIZE);
    return crypt_kdf_rewrap(kdf, passphrase, master);
}

enum crypt_open_result crypt_kdf_open(const struct crypt_kdf *kdf, const char *passphrase,
                                      uint8_t *master)
{
    uint8_t ad[sizeof(AD_MASTER) + CRYPT_SALT_SIZE];
    if (!crypt_kdf_valid(kdf))
        return CRYPT_WRONG_PASSPHRASE;
    uint8_t *kek = derive(kdf, passphrase);
    if (!kek)
        return CRYPT_NO_MEMORY;
    bool ok = open_sealed(master, kek, kdf->sealed_master, ad, master_ad(ad, kdf));
    crypt_key_free(kek);
    return ok ? CRYPT_OPENED : CRYPT_WRONG_PASSPHRASE;
}

static size_t secret_ad(uint8_t ad[sizeof(AD_SECRET) + PUBKEY_SIZE], const uint8_t pub[PUBKEY_SIZE])
{
    memcpy(ad, AD_SECRET, sizeof(AD_SECRET));
    memcpy(ad + sizeof(AD_SECRET), pub, PUBKEY_SIZE);
    return sizeof(AD_SECRET) + PUBKEY_SIZE;
}

void crypt_seal_secret(uint8_t out[CRYPT_SEALED_SIZE], const uint8_t *master,
                       const uint8_t sec[SECKEY_SIZE], const uint8_t pub[PUBKEY_SIZE])
{
    uint8_t ad[sizeof(AD_SECRET) + PUBKEY_SIZE];
    seal(out, master, sec, ad, secret_ad(ad, pub));
}

bool crypt_open_secret(uint8_t sec[SECKEY_SIZE], const uint8_t *master,
                       const uint8_t in[CRYPT_SEALED_SIZE], const uint8_t pub[PUBKEY_SIZE])
{
    uint8_t ad[sizeof(AD_SECRET) + PUBKEY_SIZE];
    return open_sealed(sec, master, in, ad, secret_ad(ad, pub));
}

/* ---- clear secrets ---- */

void crypt_arena_init(struct crypt_arena *a)
{
    a->buf = NULL;
    a->n = 0;
    a->cap = 0;
}

void crypt_arena_free(struct crypt_arena *a)
{
    if (a->buf)
        sodium_free(a->buf);
    crypt_arena_init(a);
}

bool crypt_arena_add(struct crypt_arena *a, const uint8_t sec[SECKEY_SIZE], size_t *idx)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        uint8_t *buf = sodium_malloc(cap * SECKEY_SIZE);
        if (!buf)
            return false;
        if (a->n)
            memcpy(buf, a->buf, a->n * SECKEY_SIZE);
        if (a->buf)
            sodium_free(a->buf);
        a->buf = buf;
        a->cap = cap;
    }
    memcpy(a->buf + a->n * SECKEY_SIZE, sec, SECKEY_SIZE);
    *idx = a->n++;
    return true;
}

const uint8_t *crypt_arena_get(const struct crypt_arena *a, size_t idx)
{
    return a->buf + idx * SECKEY_SIZE;
}
