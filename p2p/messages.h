/* P2P message payloads: one encoder and one decoder per message.
 *
 * Every decoder is bounded (counts and lengths are checked against the
 * limits below before anything is allocated), canonical (CompactSize in its
 * shortest form, bools 0 or 1, known inventory types, printable user agents)
 * and rejects trailing bytes.  Decoders take the payload alone, never touch
 * the network or the chain, and free what they allocated when they fail, so
 * they can be fuzzed one by one.  The byte layouts are in doc/protocol.md,
 * "P2P messages".
 */
#ifndef FML_P2P_MESSAGES_H
#define FML_P2P_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "p2p/netaddr.h"

#define P2P_PROTOCOL_VERSION 1
#define P2P_MIN_PROTOCOL_VERSION 1
#define P2P_SERVICE_NETWORK 1u /* serves the full block chain */

#define P2P_MAX_USER_AGENT 256
#define P2P_MAX_ADDR 1000
#define P2P_MAX_INV 50000
#define P2P_MAX_LOCATOR 101
#define P2P_MAX_HEADERS 2000
/* Payload limit of a command we do not know (it is skipped). */
#define P2P_MAX_UNKNOWN_PAYLOAD 65536

enum p2p_msg_type {
    P2P_MSG_VERSION,
    P2P_MSG_VERACK,
    P2P_MSG_PING,
    P2P_MSG_PONG,
    P2P_MSG_GETADDR,
    P2P_MSG_ADDR,
    P2P_MSG_INV,
    P2P_MSG_GETDATA,
    P2P_MSG_NOTFOUND,
    P2P_MSG_GETHEADERS,
    P2P_MSG_HEADERS,
    P2P_MSG_BLOCK,
    P2P_MSG_TX,
};
#define P2P_MSG_COUNT 13

/* The command name of a message type ("version", ...). */
const char *p2p_msg_command(enum p2p_msg_type t);
/* The type of a command name; false for a command we do not know. */
bool p2p_msg_from_command(const char *command, enum p2p_msg_type *t) WARN_UNUSED;
/* The largest payload a message of this type may have (blocks: the chain's
 * max_block_size). */
uint32_t p2p_msg_max_payload(enum p2p_msg_type t, uint32_t max_block_size);

/* ---- version ---- */

struct p2p_netaddr {
    uint64_t services;
    struct p2p_addr addr;
};

struct p2p_msg_version {
    uint32_t version;
    uint64_t services;
    uint64_t timestamp;           /* unix seconds */
    struct p2p_netaddr addr_recv; /* the receiver as the sender sees it */
    struct p2p_netaddr addr_from; /* the sender's listening address, or zeros */
    uint64_t nonce;               /* random per connection: self-connection check */
    char user_agent[P2P_MAX_USER_AGENT + 1];
    uint64_t best_height;
    uint8_t genesis[HASH_SIZE];
};

void p2p_msg_encode_version(struct wbuf *w, const struct p2p_msg_version *m);
bool p2p_msg_decode_version(const uint8_t *p, size_t n, struct p2p_msg_version *m)
    WARN_UNUSED;

/* ---- verack, getaddr: empty ---- */

bool p2p_msg_decode_empty(const uint8_t *p, size_t n) WARN_UNUSED;

/* ---- ping, pong ---- */

void p2p_msg_encode_nonce(struct wbuf *w, uint64_t nonce);
bool p2p_msg_decode_nonce(const uint8_t *p, size_t n, uint64_t *nonce)
    WARN_UNUSED;

/* ---- addr ---- */

struct p2p_timed_addr {
    uint64_t time; /* unix seconds the address was last seen */
    uint64_t services;
    struct p2p_addr addr;
};

struct p2p_msg_addr {
    size_t n;
    struct p2p_timed_addr *v; /* owned */
};

void p2p_msg_encode_addr(struct wbuf *w, const struct p2p_timed_addr *v, size_t n);
bool p2p_msg_decode_addr(const uint8_t *p, size_t n, struct p2p_msg_addr *m)
    WARN_UNUSED;
void p2p_msg_addr_free(struct p2p_msg_addr *m);

/* ---- inv, getdata, notfound ---- */

enum p2p_inv_type {
    P2P_INV_TX = 1,
    P2P_INV_BLOCK = 2,
};

struct p2p_inv {
    uint32_t type;
    uint8_t hash[HASH_SIZE];
};

struct p2p_msg_inv {
    size_t n;
    struct p2p_inv *v; /* owned */
};

void p2p_msg_encode_inv(struct wbuf *w, const struct p2p_inv *v, size_t n);
bool p2p_msg_decode_inv(const uint8_t *p, size_t n, struct p2p_msg_inv *m)
    WARN_UNUSED;
void p2p_msg_inv_free(struct p2p_msg_inv *m);

/* ---- getheaders ---- */

struct p2p_msg_getheaders {
    size_t n;
    uint8_t locator[P2P_MAX_LOCATOR][HASH_SIZE];
    uint8_t stop[HASH_SIZE]; /* zeros: as many as allowed */
};

void p2p_msg_encode_getheaders(struct wbuf *w, const struct p2p_msg_getheaders *m);
bool p2p_msg_decode_getheaders(const uint8_t *p, size_t n, struct p2p_msg_getheaders *m)
    WARN_UNUSED;

/* ---- headers ---- */

struct p2p_msg_headers {
    size_t n;
    struct block_header *v; /* owned */
};

void p2p_msg_encode_headers(struct wbuf *w, const struct block_header *v, size_t n);
bool p2p_msg_decode_headers(const uint8_t *p, size_t n, struct p2p_msg_headers *m)
    WARN_UNUSED;
void p2p_msg_headers_free(struct p2p_msg_headers *m);

/* ---- block, tx: the consensus encodings ---- */

bool p2p_msg_decode_block(const uint8_t *p, size_t n, uint32_t max_block_size, struct block *b)
    WARN_UNUSED;
bool p2p_msg_decode_tx(const uint8_t *p, size_t n, struct tx *tx)
    WARN_UNUSED;

/* Decodes a payload of the given type and frees the result: true when it is
 * a valid message (for fuzzing and tests). */
bool p2p_msg_check(enum p2p_msg_type t, const uint8_t *p, size_t n, uint32_t max_block_size)
    WARN_UNUSED;

#endif
