/* The address book: addresses of peers we may connect to, learned from addr
 * messages, -addnode, -connect and our own successful connections.
 *
 * Bounded (P2P_ADDRMAN_MAX entries; when full a random sample's worst entry
 * makes room), persisted to peers.dat written atomically, and loaded at
 * start (a damaged or foreign file is ignored with a log line, never
 * trusted).  Not thread-safe: callers hold the node lock.
 *
 * A test-network node (regtest) keeps loopback addresses only, unless
 * -dialnonlocal is given (addrman_set_loopback_only): an address a peer
 * names is then neither stored, nor relayed, nor handed out by getaddr, nor
 * dialed, so a test never makes a node connect outside 127.0.0.0/8 (and
 * ::1).  Addresses named by -connect, -addnode and the addnode RPC do not go
 * through the address book for their connections and are dialed anyway.
 */
#ifndef FML_P2P_ADDRMAN_H
#define FML_P2P_ADDRMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/netaddr.h"
#include "util/hmap.h"
#include "consensus/attr.h"

#define P2P_ADDRMAN_MAX 10000
#define P2P_PEERS_FILE "peers.dat"

struct addrman_entry {
    struct p2p_addr addr;
    uint64_t services;
    uint64_t time;         /* last seen (claimed by whoever told us) */
    uint64_t last_try;     /* our last connection attempt */
    uint64_t last_success; /* our last completed handshake */
    uint32_t attempts;     /* failed attempts since the last success */
};

struct addrman {
    struct addrman_entry *v;
    size_t n, max;
    struct hmap index; /* address bytes -> position + 1 */
    bool loopback_only; /* refuse (and drop) every other address */
};

void addrman_init(struct addrman *am, size_t max);
void addrman_free(struct addrman *am);

/* Keep only loopback addresses from now on (true), dropping the others
 * held now; or any address (false). */
void addrman_set_loopback_only(struct addrman *am, bool on);
/* Whether the book would keep a: a loopback address, or any address when
 * not loopback-only.  What the node dials from the book passes this too. */
bool addrman_keeps(const struct addrman *am, const struct p2p_addr *a);

/* Adds or refreshes an address (a newer time wins).  False when it was
 * neither added nor changed, or is not kept (addrman_keeps). */
bool addrman_add(struct addrman *am, const struct p2p_addr *a, uint64_t services, uint64_t time);
struct addrman_entry *addrman_find(struct addrman *am, const struct p2p_addr *a);
void addrman_remove(struct addrman *am, const struct p2p_addr *a);
void addrman_attempt(struct addrman *am, const struct p2p_addr *a, uint64_t now);
void addrman_good(struct addrman *am, const struct p2p_addr *a, uint64_t now);

/* A random entry worth trying now (not tried in the last retry_seconds
 * times 2^min(attempts,6)) for which accept(arg, entry) holds; NULL if none
 * found in a bounded number of draws. */
const struct addrman_entry *addrman_select(struct addrman *am, uint64_t now, uint64_t retry_seconds,
                                           bool (*accept)(void *arg, const struct addrman_entry *e),
                                           void *arg);

/* Up to max random entries (for getaddr); returns the count. */
size_t addrman_sample(const struct addrman *am, struct addrman_entry *out, size_t max);

/* peers.dat: "FMLA" | magic[4] | u32 version | CompactSize n | n entries |
 * checksum[32] (BLAKE2b-256 of everything before it). */
bool addrman_save(const struct addrman *am, const char *path, const uint8_t magic[4])
    WARN_UNUSED;
/* Replaces the contents with the file's (only the entries addrman_keeps
 * takes); false (contents kept) when the file is missing, damaged or of
 * another network. */
bool addrman_load(struct addrman *am, const char *path, const uint8_t magic[4]) WARN_UNUSED;

#endif
