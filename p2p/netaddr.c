/* Network addresses and subnets (see netaddr.h). */
#include "p2p/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool p2p_addr_is_ipv4(const struct p2p_addr *a)
{
    return memcmp(a->ip, v4_prefix, sizeof(v4_prefix)) == 0;
}

bool p2p_addr_is_loopback(const struct p2p_addr *a)
{
    static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (p2p_addr_is_ipv4(a))
        return a->ip[12] == 127;
    return memcmp(a->ip, v6_loopback, 16) == 0;
}

bool p2p_addr_is_unusable(const struct p2p_addr *a)
{
    static const uint8_t zero[16];
    if (p2p_addr_is_ipv4(a)) {
        const uint8_t *v4 = a->ip + 12;
        if (v4[0] == 0 || v4[0] >= 224) /* 0/8, multicast, reserved, broadcast */
            return true;
        return false;
    }
    return memcmp(a->ip, zero, 16) == 0 || a->ip[0] == 0xff;
}

bool p2p_addr_equal(const struct p2p_addr *a, const struct p2p_addr *b)
{
    return a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

bool p2p_addr_same_ip(const struct p2p_addr *a, const struct p2p_addr *b)
{
    return memcmp(a->ip, b->ip, 16) == 0;
}

bool p2p_addr_from_sockaddr(struct p2p_addr *out, const struct sockaddr *sa)
{
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        memcpy(out->ip, v4_prefix, sizeof(v4_prefix));
        memcpy(out->ip + 12, &s4->sin_addr, 4);
        out->port = ntohs(s4->sin_port);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        memcpy(out->ip, &s6->sin6_addr, 16);
        out->port = ntohs(s6->sin6_port);
        return true;
    }
    return false;
}

socklen_t p2p_addr_to_sockaddr(const struct p2p_addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (p2p_addr_is_ipv4(a)) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(a->port);
        memcpy(&s4->sin_addr, a->ip + 12, 4);
        return sizeof(*s4);
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    return sizeof(*s6);
}

#define IP_STRLEN 48 /* INET6_ADDRSTRLEN and its NUL, rounded up */

static void format_ip(const struct p2p_addr *a, char out[IP_STRLEN])
{
    if (p2p_addr_is_ipv4(a)) {
        if (!inet_ntop(AF_INET, a->ip + 12, out, IP_STRLEN))
            snprintf(out, IP_STRLEN, "?");
    } else if (!inet_ntop(AF_INET6, a->ip, out, IP_STRLEN)) {
        snprintf(out, IP_STRLEN, "?");
    }
}

void p2p_addr_format_ip(const struct p2p_addr *a, char out[P2P_ADDR_STRLEN])
{
    char ip[IP_STRLEN];
    format_ip(a, ip);
    snprintf(out, P2P_ADDR_STRLEN, "%s", ip);
}

void p2p_addr_format(const struct p2p_addr *a, char out[P2P_ADDR_STRLEN])
{
    char ip[IP_STRLEN];
    format_ip(a, ip);
    if (p2p_addr_is_ipv4(a))
        snprintf(out, P2P_ADDR_STRLEN, "%s:%u", ip, (unsigned)a->port);
    else
        snprintf(out, P2P_ADDR_STRLEN, "[%s]:%u", ip, (unsigned)a->port);
}

static bool parse_ip(const char *text, uint8_t ip[16])
{
    uint8_t v4[4];
    if (strcmp(text, "localhost") == 0)
        text = "127.0.0.1";
    if (inet_pton(AF_INET, text, v4) == 1) {
        memcpy(ip, v4_prefix, sizeof(v4_prefix));
        memcpy(ip + 12, v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, text, ip) == 1;
}

static bool parse_port(const char *text, uint16_t *port)
{
    char *end;
    if (*text < '0' || *text > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || *end != '\0' || v == 0 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

bool p2p_addr_parse(const char *text, uint16_t default_port, struct p2p_addr *out)
{
    char host[P2P_ADDR_STRLEN];
    const char *port_text = NULL;
    size_t len = strlen(text);

    memset(out, 0, sizeof(*out));
    if (len == 0 || len >= sizeof(host))
        return false;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close)
            return false;
        len = (size_t)(close - text - 1);
        memcpy(host, text + 1, len);
        host[len] = '\0';
        if (close[1] == ':')
            port_text = close + 2;
        else if (close[1] != '\0')
            return false;
    } else {
        const char *colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        if (colon) {
            len = (size_t)(colon - text);
            port_text = colon + 1;
        }
        memcpy(host, text, len);
        host[len] = '\0';
    }
    if (!parse_ip(host, out->ip))
        return false;
    out->port = default_port;
    return !port_text || parse_port(port_text, &out->port);
}

static void apply_prefix(uint8_t ip[16], unsigned prefix)
{
    for (unsigned i = 0; i < 128; i++)
        if (i >= prefix)
            ip[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

bool p2p_subnet_parse(const char *text, struct p2p_subnet *out)
{
    char buf[P2P_ADDR_STRLEN];
    uint8_t mask[16];
    size_t len = strlen(text);

    memset(out, 0, sizeof(*out));
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, text, len + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash++ = '\0';
    if (!parse_ip(buf, out->ip))
        return false;
    bool v4 = memcmp(out->ip, v4_prefix, sizeof(v4_prefix)) == 0;
    unsigned base = v4 ? 96 : 0, width = v4 ? 32 : 128;
    if (!slash) {
        out->prefix = 128;
        return true;
    }
    if (strchr(slash, '.') || strchr(slash, ':')) {
        /* A netmask: of the same family, contiguous. */
        if (!parse_ip(slash, mask))
            return false;
        if ((memcmp(mask, v4_prefix, sizeof(v4_prefix)) == 0) != v4)
            return false;
        unsigned bits = 0;
        bool zero_seen = false;
        for (unsigned i = base; i < 128; i++) {
            bool bit = mask[i / 8] & (0x80u >> (i % 8));
            if (bit && zero_seen)
                return false;
            if (bit)
                bits++;
            else
                zero_seen = true;
        }
        out->prefix = (uint8_t)(base + bits);
    } else {
        char *end;
        if (*slash < '0' || *slash > '9')
            return false;
        errno = 0;
        unsigned long bits = strtoul(slash, &end, 10);
        if (errno || *end != '\0' || bits > width)
            return false;
        out->prefix = (uint8_t)(base + bits);
    }
    apply_prefix(out->ip, out->prefix);
    return true;
}

void p2p_subnet_single(struct p2p_subnet *out, const struct p2p_addr *a)
{
    memcpy(out->ip, a->ip, 16);
    out->prefix = 128;
}

bool p2p_subnet_match(const struct p2p_subnet *net, const struct p2p_addr *a)
{
    uint8_t ip[16];
    memcpy(ip, a->ip, 16);
    apply_prefix(ip, net->prefix);
    return memcmp(ip, net->ip, 16) == 0;
}

bool p2p_subnet_equal(const struct p2p_subnet *a, const struct p2p_subnet *b)
{
    return a->prefix == b->prefix && memcmp(a->ip, b->ip, 16) == 0;
}

void p2p_subnet_format(const struct p2p_subnet *net, char out[P2P_ADDR_STRLEN])
{
    struct p2p_addr a = {.port = 0};
    char ip[IP_STRLEN];
    memcpy(a.ip, net->ip, 16);
    format_ip(&a, ip);
    unsigned bits = net->prefix;
    if (p2p_addr_is_ipv4(&a))
        bits = bits >= 96 ? bits - 96 : 0;
    snprintf(out, P2P_ADDR_STRLEN, "%s/%u", ip, bits);
}
