/* Encrypted transport: cipher suite, key schedule, packets and the
 * transport hello (see v2.h).  Pure functions of bytes and cipher state. */
#include "p2p/v2.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "p2p/framing.h"

/* ---- FSChaCha20 (lengths) ---- */

static void fschacha20_period(struct v2_fschacha20 *c)
{
    uint8_t nonce[12] = {0};
    write_le64(nonce + 4, c->rekey_counter);
    memset(c->ks, 0, sizeof(c->ks));
    crypto_stream_chacha20_ietf_xor(c->ks, c->ks, sizeof(c->ks), nonce, c->key);
    c->chunk = 0;
}

void v2_fschacha20_init(struct v2_fschacha20 *c, const uint8_t key[V2_KEY_SIZE])
{
    memcpy(c->key, key, V2_KEY_SIZE);
    c->rekey_counter = 0;
    fschacha20_period(c);
}

void v2_fschacha20_crypt(struct v2_fschacha20 *c, uint8_t buf[V2_LENGTH_SIZE])
{
    const uint8_t *k = c->ks + (size_t)c->chunk * V2_LENGTH_SIZE;
    for (int i = 0; i < V2_LENGTH_SIZE; i++)
        buf[i] ^= k[i];
    if (++c->chunk == V2_REKEY_INTERVAL) {
        memcpy(c->key, c->ks + V2_REKEY_INTERVAL * V2_LENGTH_SIZE, V2_KEY_SIZE);
        c->rekey_counter++;
        fschacha20_period(c);
    }
}

/* ---- FSChaCha20Poly1305 (packets) ---- */

void v2_fsaead_init(struct v2_fsaead *a, const uint8_t key[V2_KEY_SIZE])
{
    memcpy(a->key, key, V2_KEY_SIZE);
    a->rekey_counter = 0;
    a->packet_counter = 0;
}

static void fsaead_nonce(uint8_t nonce[12], uint32_t packet, uint64_t rekey)
{
    write_le32(nonce, packet);
    write_le64(nonce + 4, rekey);
}

static void fsaead_next(struct v2_fsaead *a)
{
    if (++a->packet_counter < V2_REKEY_INTERVAL)
        return;
    /* The new key: keystream from block 1 under nonce (0xffffffff, rekey
     * counter), i.e. the ciphertext of 32 zero bytes. */
    uint8_t nonce[12], zero[V2_KEY_SIZE] = {0}, out[V2_KEY_SIZE + V2_TAG_SIZE];
    fsaead_nonce(nonce, 0xffffffffu, a->rekey_counter);
    crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, zero, sizeof(zero), NULL, 0, NULL, nonce,
                                              a->key);
    memcpy(a->key, out, V2_KEY_SIZE);
    sodium_memzero(out, sizeof(out));
    a->packet_counter = 0;
    a->rekey_counter++;
}

void v2_fsaead_encrypt(struct v2_fsaead *a, const uint8_t *in, size_t n, uint8_t *out)
{
    uint8_t nonce[12];
    fsaead_nonce(nonce, a->packet_counter, a->rekey_counter);
    crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, n, NULL, 0, NULL, nonce, a->key);
    fsaead_next(a);
}

bool v2_fsaead_decrypt(struct v2_fsaead *a, const uint8_t *in, size_t n, uint8_t *out)
{
    uint8_t nonce[12];
    fsaead_nonce(nonce, a->packet_counter, a->rekey_counter);
    int rc = crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, n + V2_TAG_SIZE, NULL,
                                                       0, nonce, a->key);
    fsaead_next(a);
    return rc == 0;
}

/* ---- Keys ---- */

void v2_keypair(uint8_t pub[V2_PUBKEY_SIZE], uint8_t priv[V2_KEY_SIZE], const uint8_t magic[4])
{
    do {
        randombytes_buf(priv, V2_KEY_SIZE);
        crypto_scalarmult_base(pub, priv);
    } while (memcmp(pub, magic, 4) == 0);
}

#define PRK_TAG "FML/v2-prk"

static void subkey(uint8_t out[V2_KEY_SIZE], const uint8_t prk[V2_KEY_SIZE], const char *label)
{
    crypto_generichash(out, V2_KEY_SIZE, (const uint8_t *)label, strlen(label), prk, V2_KEY_SIZE);
}

bool v2_cipher_init(struct v2_cipher *c, const uint8_t priv[V2_KEY_SIZE],
                    const uint8_t our_pub[V2_PUBKEY_SIZE], const uint8_t their_pub[V2_PUBKEY_SIZE],
                    bool initiator, const uint8_t magic[4])
{
    uint8_t ecdh[32], prk[V2_KEY_SIZE], k[4][V2_KEY_SIZE];
    crypto_generichash_state st;

    if (crypto_scalarmult(ecdh, priv, their_pub) != 0)
        return false;
    /* prk = BLAKE2b-256("FML/v2-prk" | magic | initiator pub | responder pub | ecdh) */
    crypto_generichash_init(&st, NULL, 0, sizeof(prk));
    crypto_generichash_update(&st, (const uint8_t *)PRK_TAG, strlen(PRK_TAG));
    crypto_generichash_update(&st, magic, 4);
    crypto_generichash_update(&st, initiator ? our_pub : their_pub, V2_PUBKEY_SIZE);
    crypto_generichash_update(&st, initiator ? their_pub : our_pub, V2_PUBKEY_SIZE);
    crypto_generichash_update(&st, ecdh, sizeof(ecdh));
    crypto_generichash_final(&st, prk, sizeof(prk));

    subkey(k[0], prk, "initiator_L");
    subkey(k[1], prk, "initiator_P");
    subkey(k[2], prk, "responder_L");
    subkey(k[3], prk, "responder_P");
    subkey(c->session_id, prk, "session_id");
    v2_fschacha20_init(&c->send_len, k[initiator ? 0 : 2]);
    v2_fsaead_init(&c->send_aead, k[initiator ? 1 : 3]);
    v2_fschacha20_init(&c->recv_len, k[initiator ? 2 : 0]);
    v2_fsaead_init(&c->recv_aead, k[initiator ? 3 : 1]);
    sodium_memzero(ecdh, sizeof(ecdh));
    sodium_memzero(prk, sizeof(prk));
    sodium_memzero(k, sizeof(k));
    return true;
}

/* ---- Packets ---- */

void v2_encrypt_packet(struct v2_cipher *c, struct wbuf *w, const uint8_t *contents, size_t n,
                       bool ignore)
{
    size_t start = w->len;
    uint8_t len[V2_LENGTH_SIZE] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16)};
    uint8_t header = ignore ? V2_IGNORE_BIT : 0;

    /* Header and contents in place, then encrypted in place. */
    v2_fschacha20_crypt(&c->send_len, len);
    put_bytes(w, len, sizeof(len));
    put_u8(w, header);
    put_bytes(w, contents, n);
    uint8_t tag[V2_TAG_SIZE] = {0};
    put_bytes(w, tag, sizeof(tag));
    if (w->failed) {
        /* Keep the counters in step anyway: the caller drops the connection. */
        fsaead_next(&c->send_aead);
        return;
    }
    uint8_t *p = w->data + start + V2_LENGTH_SIZE;
    v2_fsaead_encrypt(&c->send_aead, p, V2_HEADER_SIZE + n, p);
}

uint32_t v2_decrypt_length(struct v2_cipher *c, const uint8_t in[V2_LENGTH_SIZE])
{
    uint8_t len[V2_LENGTH_SIZE];
    memcpy(len, in, sizeof(len));
    v2_fschacha20_crypt(&c->recv_len, len);
    return (uint32_t)len[0] | (uint32_t)len[1] << 8 | (uint32_t)len[2] << 16;
}

bool v2_decrypt_packet(struct v2_cipher *c, const uint8_t *in, uint32_t len, uint8_t *out,
                       bool *ignore)
{
    if (!v2_fsaead_decrypt(&c->recv_aead, in, (size_t)V2_HEADER_SIZE + len, out))
        return false;
    *ignore = (out[0] & V2_IGNORE_BIT) != 0;
    return true;
}

/* ---- Message contents ---- */

/* Short ids on the wire: index + 1.  Fixed here (doc/protocol.md); a new
 * message appends. */
static const char *const short_ids[] = {
    "version", "verack", "ping",       "pong",    "getaddr", "addr", "inv",
    "getdata", "notfound", "getheaders", "headers", "block",   "tx",
};
#define N_SHORT_IDS (sizeof(short_ids) / sizeof(short_ids[0]))

uint8_t v2_short_id(enum p2p_msg_type t)
{
    const char *cmd = p2p_msg_command(t);
    for (size_t i = 0; i < N_SHORT_IDS; i++)
        if (strcmp(short_ids[i], cmd) == 0)
            return (uint8_t)(i + 1);
    return 0;
}

void v2_encode_message(struct wbuf *w, enum p2p_msg_type t, const uint8_t *payload, size_t n)
{
    uint8_t id = v2_short_id(t);
    put_u8(w, id);
    if (id == 0) {
        uint8_t cmd[V2_COMMAND_SIZE] = {0};
        const char *name = p2p_msg_command(t);
        memcpy(cmd, name, strnlen(name, V2_COMMAND_SIZE));
        put_bytes(w, cmd, sizeof(cmd));
    }
    put_bytes(w, payload, n);
}

enum v2_msg_status v2_decode_message(const uint8_t *contents, size_t n, uint32_t max_block_size,
                                     struct v2_message *m)
{
    memset(m, 0, sizeof(*m));
    if (n < 1)
        return V2_MSG_BAD_COMMAND;
    size_t off = 1;
    if (contents[0] == 0) {
        if (n < 1 + V2_COMMAND_SIZE || !p2p_command_decode(contents + 1, m->command))
            return V2_MSG_BAD_COMMAND;
        off += V2_COMMAND_SIZE;
    } else if (contents[0] <= N_SHORT_IDS) {
        snprintf(m->command, sizeof(m->command), "%s", short_ids[contents[0] - 1]);
    } else {
        /* A short id of a later version: an unknown command, skipped. */
        snprintf(m->command, sizeof(m->command), "id%u", contents[0]);
    }
    m->known = p2p_msg_from_command(m->command, &m->type);
    m->payload = contents + off;
    m->length = (uint32_t)(n - off);
    uint32_t limit = m->known ? p2p_msg_max_payload(m->type, max_block_size)
                              : P2P_MAX_UNKNOWN_PAYLOAD;
    if (m->length > limit)
        return V2_MSG_OVERSIZE;
    return V2_MSG_OK;
}

uint32_t v2_max_contents(uint32_t max_message)
{
    uint32_t m = max_message > P2P_MAX_UNKNOWN_PAYLOAD ? max_message : P2P_MAX_UNKNOWN_PAYLOAD;
    return 1 + V2_COMMAND_SIZE + m;
}

/* ---- Transport hello ---- */

#define PROOF_TAG "FML/v2-nodekey"

void v2_proof_message(uint8_t out[15 + V2_SESSION_ID_SIZE], const uint8_t sid[V2_SESSION_ID_SIZE],
                      bool initiator)
{
    memcpy(out, PROOF_TAG, 14);
    out[14] = initiator ? 'I' : 'R';
    memcpy(out + 15, sid, V2_SESSION_ID_SIZE);
}

void v2_encode_hello(struct wbuf *w, bool want, const uint8_t *sk, const uint8_t *pk,
                     const uint8_t sid[V2_SESSION_ID_SIZE], bool initiator)
{
    uint8_t flags = (uint8_t)((want ? V2_HELLO_WANT : 0) | (sk ? V2_HELLO_PROOF : 0));
    put_u8(w, flags);
    if (sk) {
        uint8_t msg[15 + V2_SESSION_ID_SIZE], sig[V2_NODESIG_SIZE];
        v2_proof_message(msg, sid, initiator);
        crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
        put_bytes(w, pk, V2_NODEKEY_SIZE);
        put_bytes(w, sig, sizeof(sig));
    }
}

bool v2_decode_hello(const uint8_t *contents, size_t n, struct v2_hello *h)
{
    memset(h, 0, sizeof(*h));
    if (n < 1 || (contents[0] & ~(V2_HELLO_PROOF | V2_HELLO_WANT)) != 0)
        return false;
    h->flags = contents[0];
    size_t want = 1 + ((h->flags & V2_HELLO_PROOF) ? V2_NODEKEY_SIZE + V2_NODESIG_SIZE : 0);
    if (n != want)
        return false;
    if (h->flags & V2_HELLO_PROOF) {
        memcpy(h->nodekey, contents + 1, V2_NODEKEY_SIZE);
        memcpy(h->sig, contents + 1 + V2_NODEKEY_SIZE, V2_NODESIG_SIZE);
    }
    return true;
}

bool v2_check_proof(const struct v2_hello *h, const uint8_t sid[V2_SESSION_ID_SIZE],
                    bool initiator)
{
    uint8_t msg[15 + V2_SESSION_ID_SIZE];
    if (!(h->flags & V2_HELLO_PROOF))
        return false;
    v2_proof_message(msg, sid, initiator);
    return crypto_sign_verify_detached(h->sig, msg, sizeof(msg), h->nodekey) == 0;
}
