/* BIP340 through libsecp256k1's schnorrsig and extrakeys modules.
 *
 * Verification uses the library's static context (no allocation).  Signing
 * needs a context with generator tables; one is created per call, which costs
 * microseconds since libsecp256k1 0.2 ships the tables precomputed, and keeps
 * this layer free of global state.  The one exception is the memo of keys
 * found valid (key_pubkey_valid): it only remembers the library's yes.
 */
#include "consensus/key.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>
#include <string.h>

/* Keys found valid, direct-mapped by their first bytes.  Checking a key
 * takes a square root (about a tenth of a signature verification), and
 * every transfer checks its recipient, mostly one of a few keys seen before.
 * Only keys the library accepted are kept, and a hit compares all 32 bytes,
 * so the answer is the library's, whatever the slot held before. */
#define KEY_MEMO_SLOTS 4096
static struct {
    pthread_mutex_t lock;
    bool used[KEY_MEMO_SLOTS];
    uint8_t key[KEY_MEMO_SLOTS][PUBKEY_SIZE];
} key_memo = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t key_memo_slot(const uint8_t pub[PUBKEY_SIZE])
{
    return ((size_t)pub[0] << 8 | pub[1]) % KEY_MEMO_SLOTS;
}

bool key_pubkey_valid(const uint8_t pub[PUBKEY_SIZE])
{
    size_t slot = key_memo_slot(pub);
    pthread_mutex_lock(&key_memo.lock);
    bool known = key_memo.used[slot] && memcmp(key_memo.key[slot], pub, PUBKEY_SIZE) == 0;
    pthread_mutex_unlock(&key_memo.lock);
    if (known)
        return true;
    secp256k1_xonly_pubkey xpk;
    if (secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, pub) != 1)
        return false;
    pthread_mutex_lock(&key_memo.lock);
    memcpy(key_memo.key[slot], pub, PUBKEY_SIZE);
    key_memo.used[slot] = true;
    pthread_mutex_unlock(&key_memo.lock);
    return true;
}

static bool keypair_from_secret(secp256k1_context *ctx, secp256k1_keypair *kp,
                                const uint8_t sec[SECKEY_SIZE])
{
    return secp256k1_keypair_create(ctx, kp, sec) == 1;
}

bool key_pubkey(uint8_t pub[PUBKEY_SIZE], const uint8_t sec[SECKEY_SIZE])
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xpk;
    bool ok = ctx && keypair_from_secret(ctx, &kp, sec) &&
              secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, &kp) == 1 &&
              secp256k1_xonly_pubkey_serialize(ctx, pub, &xpk) == 1;
    sodium_memzero(&kp, sizeof(kp));
    if (ctx)
        secp256k1_context_destroy(ctx);
    return ok;
}

bool key_sign_msg(uint8_t sig[SIG_SIZE], const uint8_t *msg, size_t msglen,
                  const uint8_t sec[SECKEY_SIZE], const uint8_t aux[32])
{
    static const uint8_t zero_aux[32];
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_keypair kp;
    secp256k1_schnorrsig_extraparams extra = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
    extra.ndata = (unsigned char *)(aux ? aux : zero_aux);
    bool ok = ctx && keypair_from_secret(ctx, &kp, sec) &&
              secp256k1_schnorrsig_sign_custom(ctx, sig, msg, msglen, &kp, &extra) == 1;
    sodium_memzero(&kp, sizeof(kp));
    if (ctx)
        secp256k1_context_destroy(ctx);
    return ok;
}

bool key_sign(uint8_t sig[SIG_SIZE], const uint8_t msg[32], const uint8_t sec[SECKEY_SIZE],
              const uint8_t aux[32])
{
    return key_sign_msg(sig, msg, 32, sec, aux);
}

bool key_verify(const uint8_t sig[SIG_SIZE], const uint8_t *msg, size_t msglen,
                const uint8_t pub[PUBKEY_SIZE])
{
    secp256k1_xonly_pubkey xpk;
    if (secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, pub) != 1)
        return false;
    return secp256k1_schnorrsig_verify(secp256k1_context_static, sig, msg, msglen, &xpk) == 1;
}
