/* Network addresses and subnets of the P2P layer.
 *
 * An address is an IPv6 address (IPv4 as IPv4-mapped ::ffff:a.b.c.d) and a
 * port, as it travels in version and addr messages.  A subnet is an address
 * and a prefix length in that same 128-bit space (an IPv4 /24 is a /120).
 * Parsing accepts numeric addresses and "localhost" only: nothing here
 * resolves names or blocks.
 */
#ifndef FML_P2P_NETADDR_H
#define FML_P2P_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "consensus/attr.h"

#define P2P_ADDR_STRLEN 64

struct p2p_addr {
    uint8_t ip[16];
    uint16_t port;
};

struct p2p_subnet {
    uint8_t ip[16];     /* masked */
    uint8_t prefix;     /* 0..128, in the IPv6 space */
};

bool p2p_addr_is_ipv4(const struct p2p_addr *a);
bool p2p_addr_is_loopback(const struct p2p_addr *a);
/* Unspecified (0.0.0.0, ::), multicast or broadcast: never a peer. */
bool p2p_addr_is_unusable(const struct p2p_addr *a);
bool p2p_addr_equal(const struct p2p_addr *a, const struct p2p_addr *b);
bool p2p_addr_same_ip(const struct p2p_addr *a, const struct p2p_addr *b);

/* From/to socket addresses (AF_INET or AF_INET6); false for other families. */
bool p2p_addr_from_sockaddr(struct p2p_addr *out, const struct sockaddr *sa);
socklen_t p2p_addr_to_sockaddr(const struct p2p_addr *a, struct sockaddr_storage *ss);

/* "1.2.3.4:8333", "[::1]:8333". */
void p2p_addr_format(const struct p2p_addr *a, char out[P2P_ADDR_STRLEN]);
/* The address alone: "1.2.3.4", "::1". */
void p2p_addr_format_ip(const struct p2p_addr *a, char out[P2P_ADDR_STRLEN]);

/* Parses "1.2.3.4", "1.2.3.4:port", "::1", "[::1]:port", "localhost[:port]";
 * default_port when none is given.  False on anything else (an explicit
 * port must be 1..65535). */
bool p2p_addr_parse(const char *text, uint16_t default_port, struct p2p_addr *out)
    WARN_UNUSED;

/* Parses "1.2.3.4", "1.2.3.0/24", "1.2.3.0/255.255.255.0", "::1",
 * "fe80::/10"; bits outside the prefix are cleared. */
bool p2p_subnet_parse(const char *text, struct p2p_subnet *out)
    WARN_UNUSED;
/* The single-address subnet of a (/32 for IPv4, /128 for IPv6). */
void p2p_subnet_single(struct p2p_subnet *out, const struct p2p_addr *a);
bool p2p_subnet_match(const struct p2p_subnet *net, const struct p2p_addr *a);
bool p2p_subnet_equal(const struct p2p_subnet *a, const struct p2p_subnet *b);
/* "1.2.3.0/24", "::1/128". */
void p2p_subnet_format(const struct p2p_subnet *net, char out[P2P_ADDR_STRLEN]);

#endif
