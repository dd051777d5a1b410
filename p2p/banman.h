/* The ban list: subnets we neither accept connections from nor connect to,
 * each until a unix time.  Peers reaching the misbehaviour threshold are
 * banned for -bantime; setban adds and removes entries by hand.
 *
 * Bounded (P2P_BANMAN_MAX entries; when full the entry expiring first makes
 * room), persisted to banlist.dat written atomically, loaded at start
 * (expired entries dropped).  Not thread-safe: callers hold the node lock.
 */
#ifndef FML_P2P_BANMAN_H
#define FML_P2P_BANMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/netaddr.h"
#include "consensus/attr.h"

#define P2P_BANMAN_MAX 10000
#define P2P_BANS_FILE "banlist.dat"

struct ban_entry {
    struct p2p_subnet net;
    uint64_t created; /* unix seconds */
    uint64_t until;   /* unix seconds */
};

struct banman {
    struct ban_entry *v;
    size_t n, max;
    bool dirty; /* changed since the last save */
};

void banman_init(struct banman *bm, size_t max);
void banman_free(struct banman *bm);

/* Adds or extends a ban.  False when the subnet was already banned at
 * least until `until` (nothing changes). */
bool banman_ban(struct banman *bm, const struct p2p_subnet *net, uint64_t now, uint64_t until);
/* False when the exact subnet was not banned. */
bool banman_unban(struct banman *bm, const struct p2p_subnet *net) WARN_UNUSED;
void banman_clear(struct banman *bm);
bool banman_is_banned(const struct banman *bm, const struct p2p_addr *a, uint64_t now);
bool banman_is_subnet_banned(const struct banman *bm, const struct p2p_subnet *net, uint64_t now);
/* Drops expired entries. */
void banman_sweep(struct banman *bm, uint64_t now);

/* banlist.dat: "FMLB" | magic[4] | u32 version | CompactSize n |
 * n × (ip[16] | prefix u8 | created u64 | until u64) | checksum[32]. */
bool banman_save(struct banman *bm, const char *path, const uint8_t magic[4])
    WARN_UNUSED;
bool banman_load(struct banman *bm, const char *path, const uint8_t magic[4], uint64_t now)
    WARN_UNUSED;

#endif
