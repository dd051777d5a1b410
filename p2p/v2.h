/* Encrypted transport ("v2", after BIP324; doc/protocol.md, "Transport v2").
 *
 * Each side sends a 32-byte X25519 ephemeral public key (no ElligatorSwift
 * encoding: the keys are plain X25519 and distinguishable from random only
 * by being 32 bytes at the start of a connection).  Both derive, with
 * BLAKE2b over the shared secret, the network magic and both public keys in
 * initiator-responder order, four directional keys and a 32-byte session id.
 * Packets are then
 *
 *   length [3, FSChaCha20] | header [1] | contents | tag [16]
 *
 * with header, contents and tag one ChaCha20-Poly1305 (RFC 8439) AEAD
 * ciphertext whose nonce counts packets; both ciphers rekey every 224
 * packets exactly as BIP324's FSChaCha20 and FSChaCha20Poly1305.  The first
 * packet each way is the transport hello (flags, optional node-key proof);
 * every later one is a message: a short id (1..13) or 0 and the 12-byte
 * command, then the payload.
 *
 * Pure functions of bytes and cipher state, so they can be fuzzed and given
 * test vectors.  The caller keeps one struct v2_cipher per connection.
 */
#ifndef FML_P2P_V2_H
#define FML_P2P_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"
#include "consensus/serialize.h"
#include "p2p/messages.h"

#define V2_PUBKEY_SIZE 32
#define V2_KEY_SIZE 32
#define V2_SESSION_ID_SIZE 32
#define V2_LENGTH_SIZE 3
#define V2_HEADER_SIZE 1
#define V2_TAG_SIZE 16
/* Bytes a packet adds to its contents. */
#define V2_EXPANSION (V2_LENGTH_SIZE + V2_HEADER_SIZE + V2_TAG_SIZE)
#define V2_REKEY_INTERVAL 224
#define V2_IGNORE_BIT 0x80   /* header: a decoy packet, dropped after authentication */
#define V2_COMMAND_SIZE 12

/* Transport hello. */
#define V2_HELLO_PROOF 0x01  /* the node key and its signature follow */
#define V2_HELLO_WANT 0x02   /* asks the other side to prove its node key */
#define V2_NODEKEY_SIZE 32   /* Ed25519 public key */
#define V2_NODESIG_SIZE 64
#define V2_HELLO_MAX (1 + V2_NODEKEY_SIZE + V2_NODESIG_SIZE)

/* BIP324's FSChaCha20 for 3-byte chunks: the keystream of one rekey period
 * (224 chunks and the next key) is computed when the period starts. */
struct v2_fschacha20 {
    uint8_t key[V2_KEY_SIZE];
    uint64_t rekey_counter;
    uint32_t chunk;
    uint8_t ks[V2_REKEY_INTERVAL * V2_LENGTH_SIZE + V2_KEY_SIZE];
};

/* BIP324's FSChaCha20Poly1305: nonce = packet counter (LE32) | rekey counter (LE64). */
struct v2_fsaead {
    uint8_t key[V2_KEY_SIZE];
    uint64_t rekey_counter;
    uint32_t packet_counter;
};

struct v2_cipher {
    struct v2_fschacha20 send_len, recv_len;
    struct v2_fsaead send_aead, recv_aead;
    uint8_t session_id[V2_SESSION_ID_SIZE];
};

void v2_fschacha20_init(struct v2_fschacha20 *c, const uint8_t key[V2_KEY_SIZE]);
/* XORs the next 3 bytes of keystream into buf (encrypts or decrypts). */
void v2_fschacha20_crypt(struct v2_fschacha20 *c, uint8_t buf[V2_LENGTH_SIZE]);

void v2_fsaead_init(struct v2_fsaead *a, const uint8_t key[V2_KEY_SIZE]);
/* out gets n + V2_TAG_SIZE bytes. */
void v2_fsaead_encrypt(struct v2_fsaead *a, const uint8_t *in, size_t n, uint8_t *out);
/* in is n + V2_TAG_SIZE bytes; out gets n.  False when the tag is wrong
 * (the counter advances either way). */
bool v2_fsaead_decrypt(struct v2_fsaead *a, const uint8_t *in, size_t n, uint8_t *out)
    WARN_UNUSED;

/* The ephemeral key pair: a random one whose public key does not start
 * with the network magic (it would read as a v1 message). */
void v2_keypair(uint8_t pub[V2_PUBKEY_SIZE], uint8_t priv[V2_KEY_SIZE], const uint8_t magic[4]);

/* Derives the keys and session id from our private key and both public
 * keys.  False when the shared secret is degenerate (a low-order point). */
bool v2_cipher_init(struct v2_cipher *c, const uint8_t priv[V2_KEY_SIZE],
                    const uint8_t our_pub[V2_PUBKEY_SIZE], const uint8_t their_pub[V2_PUBKEY_SIZE],
                    bool initiator, const uint8_t magic[4]) WARN_UNUSED;

/* Appends one packet of the given contents. */
void v2_encrypt_packet(struct v2_cipher *c, struct wbuf *w, const uint8_t *contents, size_t n,
                       bool ignore);
/* Decrypts the 3-byte length (once per packet, before the rest). */
uint32_t v2_decrypt_length(struct v2_cipher *c, const uint8_t in[V2_LENGTH_SIZE]);
/* in: header, contents (len bytes) and tag.  out gets the header and the
 * contents (V2_HEADER_SIZE + len bytes; contents at out + 1).  False on a
 * wrong tag. */
bool v2_decrypt_packet(struct v2_cipher *c, const uint8_t *in, uint32_t len, uint8_t *out,
                       bool *ignore) WARN_UNUSED;

/* ---- Message contents ---- */

/* The short id of a message type (1..P2P_MSG_COUNT, fixed by the wire
 * table in v2.c, not by the enum). */
uint8_t v2_short_id(enum p2p_msg_type t);
void v2_encode_message(struct wbuf *w, enum p2p_msg_type t, const uint8_t *payload, size_t n);

struct v2_message {
    char command[V2_COMMAND_SIZE + 1];
    bool known;
    enum p2p_msg_type type;
    const uint8_t *payload; /* into the contents */
    uint32_t length;
};

enum v2_msg_status {
    V2_MSG_OK,
    V2_MSG_BAD_COMMAND, /* empty contents, a non-canonical command or an unknown short id */
    V2_MSG_OVERSIZE,    /* payload above its command's limit */
};

enum v2_msg_status v2_decode_message(const uint8_t *contents, size_t n, uint32_t max_block_size,
                                     struct v2_message *m) WARN_UNUSED;

/* The largest contents a packet may carry. */
uint32_t v2_max_contents(uint32_t max_message);

/* ---- Transport hello ---- */

struct v2_hello {
    uint8_t flags;
    uint8_t nodekey[V2_NODEKEY_SIZE];
    uint8_t sig[V2_NODESIG_SIZE];
};

/* The message a node key signs: "FML/v2-nodekey" | role ('I' or 'R') |
 * session id.  Binding the role stops a proof being reflected back. */
void v2_proof_message(uint8_t out[15 + V2_SESSION_ID_SIZE], const uint8_t sid[V2_SESSION_ID_SIZE],
                      bool initiator);
/* sk: the Ed25519 secret key (64 bytes); NULL: no proof. */
void v2_encode_hello(struct wbuf *w, bool want, const uint8_t *sk, const uint8_t *pk,
                     const uint8_t sid[V2_SESSION_ID_SIZE], bool initiator);
/* False on bad encoding; a present proof is not checked here. */
bool v2_decode_hello(const uint8_t *contents, size_t n, struct v2_hello *h) WARN_UNUSED;
/* A proof by the side that is (initiator or not) of the session. */
bool v2_check_proof(const struct v2_hello *h, const uint8_t sid[V2_SESSION_ID_SIZE],
                    bool initiator) WARN_UNUSED;

#endif
