/* The P2P layer: every message codec (round trips, truncation at every
 * byte, oversized counts, trailing bytes, non-canonical forms), the framing
 * parser (input split at every byte boundary, bad magic, bad checksum,
 * oversized lengths, non-canonical command names), addresses and subnets,
 * the bounded inventory set, the address book and the ban list with their
 * files; then real nodes in one process on 127.0.0.1: sync, relay, bodies
 * out of order, and a hostile peer that gets itself banned.
 */
#include "consensus/amount.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "p2p/addrman.h"
#include "p2p/banman.h"
#include "p2p/framing.h"
#include "p2p/invset.h"
#include "p2p/messages.h"
#include "p2p/netaddr.h"
#include "p2p/p2p.h"
#include "p2p/v2.h"
#include "rpc/net.h"
#include "rpc/rpc.h"
#include "state/builder.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"
#include "tests/unit/test_util.h"
#include "util/fs.h"
#include "util/time.h"
#include "consensus/accounts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

static const uint8_t test_magic[4] = {0xfa, 0xbf, 0x4d, 0x4c};
#define MAX_BLOCK 4000000u

/* ---- Codec helpers ---- */

/* A valid payload of type t: decodes; every proper prefix and the payload
 * with one more byte do not. */
static void check_exact(enum p2p_msg_type t, const uint8_t *p, size_t n)
{
    ck_assert_msg(p2p_msg_check(t, p, n, MAX_BLOCK), "%s: valid payload refused",
                  p2p_msg_command(t));
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(!p2p_msg_check(t, p, k, MAX_BLOCK), "%s: truncated at %zu accepted",
                      p2p_msg_command(t), k);
    uint8_t *longer = malloc(n + 1);
    ck_assert_ptr_nonnull(longer);
    memcpy(longer, p, n);
    longer[n] = 0;
    ck_assert_msg(!p2p_msg_check(t, longer, n + 1, MAX_BLOCK), "%s: trailing byte accepted",
                  p2p_msg_command(t));
    free(longer);
}

static void sample_version(struct p2p_msg_version *m)
{
    memset(m, 0, sizeof(*m));
    m->version = P2P_PROTOCOL_VERSION;
    m->services = P2P_SERVICE_NETWORK;
    m->timestamp = 1700000000;
    ck_assert(p2p_addr_parse("10.1.2.3:28733", 0, &m->addr_recv.addr));
    m->addr_from.services = 1;
    ck_assert(p2p_addr_parse("[2001:db8::7]:9", 0, &m->addr_from.addr));
    m->nonce = 0x0102030405060708ULL;
    snprintf(m->user_agent, sizeof(m->user_agent), "/fmld:0.1.0/");
    m->best_height = 12345;
    for (int i = 0; i < HASH_SIZE; i++)
        m->genesis[i] = (uint8_t)i;
}

START_TEST(version_round_trip)
{
    struct p2p_msg_version m, d;
    struct wbuf w;
    sample_version(&m);
    wbuf_init(&w);
    p2p_msg_encode_version(&w, &m);
    ck_assert(!w.failed);
    ck_assert(p2p_msg_decode_version(w.data, w.len, &d));
    ck_assert_uint_eq(d.version, m.version);
    ck_assert_uint_eq(d.services, m.services);
    ck_assert_uint_eq(d.timestamp, m.timestamp);
    ck_assert(p2p_addr_equal(&d.addr_recv.addr, &m.addr_recv.addr));
    ck_assert(p2p_addr_equal(&d.addr_from.addr, &m.addr_from.addr));
    ck_assert_uint_eq(d.addr_from.services, 1);
    ck_assert_uint_eq(d.nonce, m.nonce);
    ck_assert_str_eq(d.user_agent, "/fmld:0.1.0/");
    ck_assert_uint_eq(d.best_height, 12345);
    ck_assert_mem_eq(d.genesis, m.genesis, HASH_SIZE);
    check_exact(P2P_MSG_VERSION, w.data, w.len);
    /* Fixed layout: 4+8+8+26+26+8 + 1+12 + 8+32. */
    ck_assert_uint_eq(w.len, 4 + 8 + 8 + 26 + 26 + 8 + 1 + 12 + 8 + 32);
    wbuf_free(&w);
}
END_TEST

START_TEST(version_user_agent_bounds)
{
    struct p2p_msg_version m, d;
    struct wbuf w;
    sample_version(&m);
    memset(m.user_agent, 'a', P2P_MAX_USER_AGENT);
    m.user_agent[P2P_MAX_USER_AGENT] = '\0';
    wbuf_init(&w);
    p2p_msg_encode_version(&w, &m);
    ck_assert(p2p_msg_decode_version(w.data, w.len, &d));
    ck_assert_uint_eq(strlen(d.user_agent), P2P_MAX_USER_AGENT);
    ck_assert_uint_eq(w.len, p2p_msg_max_payload(P2P_MSG_VERSION, MAX_BLOCK));
    wbuf_free(&w);

    /* One byte more than allowed, written by hand. */
    uint8_t ua[P2P_MAX_USER_AGENT + 1];
    memset(ua, 'a', sizeof(ua));
    wbuf_init(&w);
    put_u32(&w, 1);
    put_u64(&w, 1);
    put_u64(&w, 1);
    for (int i = 0; i < 2; i++) {
        uint8_t zero[26] = {0};
        put_bytes(&w, zero, sizeof(zero));
    }
    put_u64(&w, 7);
    put_varbytes(&w, ua, sizeof(ua));
    put_u64(&w, 0);
    uint8_t g[32] = {0};
    put_bytes(&w, g, 32);
    ck_assert(!p2p_msg_decode_version(w.data, w.len, &d));
    wbuf_free(&w);

    /* Non-printable bytes in a user agent of allowed length. */
    const char *bad[] = {"a\nb", "tab\there", "del\x7f", "nul-free\x80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sample_version(&m);
        snprintf(m.user_agent, sizeof(m.user_agent), "%s", bad[i]);
        wbuf_init(&w);
        p2p_msg_encode_version(&w, &m);
        ck_assert_msg(!p2p_msg_decode_version(w.data, w.len, &d), "accepted %s", bad[i]);
        wbuf_free(&w);
    }
}
END_TEST

START_TEST(empty_and_nonce_messages)
{
    uint8_t one = 0;
    uint64_t nonce;
    struct wbuf w;
    ck_assert(p2p_msg_check(P2P_MSG_VERACK, NULL, 0, MAX_BLOCK));
    ck_assert(!p2p_msg_check(P2P_MSG_VERACK, &one, 1, MAX_BLOCK));
    ck_assert(p2p_msg_check(P2P_MSG_GETADDR, NULL, 0, MAX_BLOCK));
    ck_assert(!p2p_msg_check(P2P_MSG_GETADDR, &one, 1, MAX_BLOCK));
    wbuf_init(&w);
    p2p_msg_encode_nonce(&w, 0xdeadbeefcafef00dULL);
    ck_assert_uint_eq(w.len, 8);
    ck_assert(p2p_msg_decode_nonce(w.data, w.len, &nonce));
    ck_assert_uint_eq(nonce, 0xdeadbeefcafef00dULL);
    ck_assert_hex_eq(w.data, w.len, "0df0fecaefbeadde");
    check_exact(P2P_MSG_PING, w.data, w.len);
    check_exact(P2P_MSG_PONG, w.data, w.len);
    wbuf_free(&w);
}
END_TEST

START_TEST(addr_round_trip_and_bounds)
{
    struct p2p_timed_addr *v = calloc(P2P_MAX_ADDR + 1, sizeof(*v));
    struct p2p_msg_addr m;
    struct wbuf w;
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i <= P2P_MAX_ADDR; i++) {
        v[i].time = 1700000000 + i;
        v[i].services = 1;
        char text[32];
        snprintf(text, sizeof(text), "10.0.%zu.%zu", i / 256, i % 256);
        ck_assert(p2p_addr_parse(text, (uint16_t)(1000 + i), &v[i].addr));
    }
    wbuf_init(&w);
    p2p_msg_encode_addr(&w, v, 3);
    ck_assert(p2p_msg_decode_addr(w.data, w.len, &m));
    ck_assert_uint_eq(m.n, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(m.v[i].time, v[i].time);
        ck_assert_uint_eq(m.v[i].services, 1);
        ck_assert(p2p_addr_equal(&m.v[i].addr, &v[i].addr));
    }
    p2p_msg_addr_free(&m);
    check_exact(P2P_MSG_ADDR, w.data, w.len);
    wbuf_free(&w);

    /* The largest allowed list, then one entry too many. */
    wbuf_init(&w);
    p2p_msg_encode_addr(&w, v, P2P_MAX_ADDR);
    ck_assert_uint_eq(w.len, p2p_msg_max_payload(P2P_MSG_ADDR, MAX_BLOCK));
    ck_assert(p2p_msg_check(P2P_MSG_ADDR, w.data, w.len, MAX_BLOCK));
    wbuf_free(&w);
    wbuf_init(&w);
    p2p_msg_encode_addr(&w, v, P2P_MAX_ADDR + 1);
    ck_assert(!p2p_msg_decode_addr(w.data, w.len, &m));
    ck_assert_ptr_null(m.v);
    wbuf_free(&w);
    /* An empty list is a valid message. */
    wbuf_init(&w);
    p2p_msg_encode_addr(&w, v, 0);
    check_exact(P2P_MSG_ADDR, w.data, w.len);
    wbuf_free(&w);
    free(v);
}
END_TEST

START_TEST(inv_round_trip_and_bounds)
{
    struct p2p_inv *v = calloc(P2P_MAX_INV + 1, sizeof(*v));
    struct p2p_msg_inv m;
    struct wbuf w;
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i <= P2P_MAX_INV; i++) {
        v[i].type = i % 2 ? P2P_INV_BLOCK : P2P_INV_TX;
        memcpy(v[i].hash, &i, sizeof(i));
    }
    wbuf_init(&w);
    p2p_msg_encode_inv(&w, v, 2);
    ck_assert_hex_eq(w.data, w.len,
                     "02"
                     "01000000" "0000000000000000000000000000000000000000000000000000000000000000"
                     "02000000" "0100000000000000000000000000000000000000000000000000000000000000");
    ck_assert(p2p_msg_decode_inv(w.data, w.len, &m));
    ck_assert_uint_eq(m.n, 2);
    ck_assert_uint_eq(m.v[1].type, P2P_INV_BLOCK);
    ck_assert_mem_eq(m.v[1].hash, v[1].hash, HASH_SIZE);
    p2p_msg_inv_free(&m);
    for (enum p2p_msg_type t = P2P_MSG_INV; t <= P2P_MSG_NOTFOUND; t++)
        check_exact(t, w.data, w.len);

    /* Unknown inventory types. */
    w.data[1] = 3;
    ck_assert(!p2p_msg_decode_inv(w.data, w.len, &m));
    w.data[1] = 0;
    ck_assert(!p2p_msg_decode_inv(w.data, w.len, &m));
    w.data[1] = 1;
    w.data[2] = 1; /* type 257 */
    ck_assert(!p2p_msg_decode_inv(w.data, w.len, &m));
    wbuf_free(&w);

    /* 50,000 entries pass and fill the limit exactly; 50,001 do not. */
    wbuf_init(&w);
    p2p_msg_encode_inv(&w, v, P2P_MAX_INV);
    ck_assert_uint_eq(w.len, p2p_msg_max_payload(P2P_MSG_INV, MAX_BLOCK));
    ck_assert(p2p_msg_decode_inv(w.data, w.len, &m));
    ck_assert_uint_eq(m.n, P2P_MAX_INV);
    p2p_msg_inv_free(&m);
    wbuf_free(&w);
    wbuf_init(&w);
    p2p_msg_encode_inv(&w, v, P2P_MAX_INV + 1);
    ck_assert(!p2p_msg_decode_inv(w.data, w.len, &m));
    ck_assert(!p2p_msg_check(P2P_MSG_GETDATA, w.data, w.len, MAX_BLOCK));
    wbuf_free(&w);

    /* A count that promises more entries than the bytes hold allocates
     * nothing and fails. */
    const uint8_t lying[] = {0xfd, 0x50, 0xc3, 1, 0, 0, 0};
    ck_assert(!p2p_msg_decode_inv(lying, sizeof(lying), &m));
    ck_assert_ptr_null(m.v);
    /* A CompactSize count in a longer form than needed. */
    uint8_t noncanon[3 + 36] = {0xfd, 0x01, 0x00, 0x01};
    ck_assert(!p2p_msg_decode_inv(noncanon, sizeof(noncanon), &m));
    noncanon[0] = 0x01;
    ck_assert(!p2p_msg_decode_inv(noncanon, sizeof(noncanon), &m)); /* 2 bytes too long */
    ck_assert(!p2p_msg_decode_inv(noncanon, 1 + 36, &m)); /* type 0x00010001 */
    free(v);
}
END_TEST

START_TEST(getheaders_round_trip_and_bounds)
{
    struct p2p_msg_getheaders *m = calloc(1, sizeof(*m)), *d = calloc(1, sizeof(*d));
    struct wbuf w;
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(d);
    m->n = 3;
    for (size_t i = 0; i < P2P_MAX_LOCATOR; i++)
        memset(m->locator[i], (int)i + 1, HASH_SIZE);
    memset(m->stop, 0xee, HASH_SIZE);
    wbuf_init(&w);
    p2p_msg_encode_getheaders(&w, m);
    ck_assert_uint_eq(w.len, 1 + 3 * 32 + 32);
    ck_assert(p2p_msg_decode_getheaders(w.data, w.len, d));
    ck_assert_uint_eq(d->n, 3);
    ck_assert_mem_eq(d->locator[2], m->locator[2], HASH_SIZE);
    ck_assert_mem_eq(d->stop, m->stop, HASH_SIZE);
    check_exact(P2P_MSG_GETHEADERS, w.data, w.len);
    wbuf_free(&w);

    m->n = P2P_MAX_LOCATOR;
    wbuf_init(&w);
    p2p_msg_encode_getheaders(&w, m);
    ck_assert_uint_eq(w.len, p2p_msg_max_payload(P2P_MSG_GETHEADERS, MAX_BLOCK));
    ck_assert(p2p_msg_decode_getheaders(w.data, w.len, d));
    ck_assert_uint_eq(d->n, P2P_MAX_LOCATOR);
    wbuf_free(&w);

    /* 102 locator entries, written by hand. */
    wbuf_init(&w);
    put_compact(&w, P2P_MAX_LOCATOR + 1);
    for (size_t i = 0; i < P2P_MAX_LOCATOR + 2; i++)
        put_bytes(&w, m->stop, HASH_SIZE);
    ck_assert(!p2p_msg_decode_getheaders(w.data, w.len, d));
    wbuf_free(&w);

    /* An empty locator with a stop hash is valid. */
    m->n = 0;
    wbuf_init(&w);
    p2p_msg_encode_getheaders(&w, m);
    check_exact(P2P_MSG_GETHEADERS, w.data, w.len);
    wbuf_free(&w);
    free(m);
    free(d);
}
END_TEST

static void sample_header(struct block_header *h, uint64_t height)
{
    memset(h, 0, sizeof(*h));
    h->version = BLOCK_VERSION;
    h->height = height;
    h->slot = height * 2;
    h->time = 1700000000 + height;
    memset(h->prev, (int)height, HASH_SIZE);
    memset(h->sig, 0x5a, SIG_SIZE);
}

START_TEST(headers_round_trip_and_bounds)
{
    struct block_header *v = calloc(P2P_MAX_HEADERS + 1, sizeof(*v));
    struct p2p_msg_headers m;
    struct wbuf w;
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i <= P2P_MAX_HEADERS; i++)
        sample_header(&v[i], i + 1);
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, v, 2);
    ck_assert_uint_eq(w.len, 1 + 2 * BLOCK_HEADER_SIZE);
    ck_assert(p2p_msg_decode_headers(w.data, w.len, &m));
    ck_assert_uint_eq(m.n, 2);
    ck_assert_uint_eq(m.v[1].height, 2);
    ck_assert_mem_eq(m.v[1].sig, v[1].sig, SIG_SIZE);
    p2p_msg_headers_free(&m);
    check_exact(P2P_MSG_HEADERS, w.data, w.len);
    wbuf_free(&w);

    wbuf_init(&w);
    p2p_msg_encode_headers(&w, v, P2P_MAX_HEADERS);
    ck_assert_uint_eq(w.len, p2p_msg_max_payload(P2P_MSG_HEADERS, MAX_BLOCK));
    ck_assert(p2p_msg_decode_headers(w.data, w.len, &m));
    p2p_msg_headers_free(&m);
    wbuf_free(&w);
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, v, P2P_MAX_HEADERS + 1);
    ck_assert(!p2p_msg_decode_headers(w.data, w.len, &m));
    ck_assert_ptr_null(m.v);
    wbuf_free(&w);
    free(v);
}
END_TEST

START_TEST(block_and_tx_payloads)
{
    struct block b;
    struct tx tx;
    struct wbuf w;
    uint8_t sec[32];
    struct tx *t = malloc(sizeof(*t));

    ck_assert_ptr_nonnull(t);
    tx_init(t);
    t->type = TX_TRANSFER;
    memset(sec, 7, sizeof(sec));
    ck_assert(key_pubkey(t->sender, sec));
    t->nonce = 3;
    t->fee = 1000;
    ck_assert(tx_set_payload(t, "\x01\x02\x03", 3));
    memset(t->sig, 9, SIG_SIZE);
    wbuf_init(&w);
    tx_encode(t, &w);
    ck_assert(p2p_msg_decode_tx(w.data, w.len, &tx));
    ck_assert_uint_eq(tx.nonce, 3);
    tx_free(&tx);
    check_exact(P2P_MSG_TX, w.data, w.len);
    wbuf_free(&w);

    block_init(&b);
    sample_header(&b.hdr, 5);
    ck_assert(block_add_tx(&b, t));
    ck_assert(block_add_tx(&b, t));
    wbuf_init(&w);
    block_encode(&b, &w);
    struct block d;
    ck_assert(p2p_msg_decode_block(w.data, w.len, MAX_BLOCK, &d));
    ck_assert_uint_eq(d.ntx, 2);
    block_free(&d);
    check_exact(P2P_MSG_BLOCK, w.data, w.len);
    /* The chain's size limit is the message's. */
    ck_assert(!p2p_msg_check(P2P_MSG_BLOCK, w.data, w.len, (uint32_t)w.len - 1));
    ck_assert(p2p_msg_check(P2P_MSG_BLOCK, w.data, w.len, (uint32_t)w.len));
    wbuf_free(&w);
    block_free(&b);
    tx_free(t);
    free(t);
}
END_TEST

START_TEST(random_bytes_never_crash_decoders)
{
    struct test_rng rng;
    uint8_t buf[600];
    test_rng_seed(&rng, test_seed("p2p decoders"));
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)test_rand_below(&rng, sizeof(buf));
        test_rand_bytes(&rng, buf, n);
        /* Small counts so that lists are plausible. */
        if (n && test_rand_below(&rng, 2))
            buf[0] = (uint8_t)test_rand_below(&rng, 20);
        for (int t = 0; t < P2P_MSG_COUNT; t++)
            if (p2p_msg_check((enum p2p_msg_type)t, buf, n, MAX_BLOCK)) {
                /* Either answer will do: random bytes must only not crash. */
            }
    }
}
END_TEST

START_TEST(command_names)
{
    for (int t = 0; t < P2P_MSG_COUNT; t++) {
        enum p2p_msg_type back;
        ck_assert(p2p_msg_from_command(p2p_msg_command((enum p2p_msg_type)t), &back));
        ck_assert_int_eq((int)back, t);
        ck_assert_uint_le(strlen(p2p_msg_command((enum p2p_msg_type)t)), P2P_COMMAND_SIZE);
    }
    enum p2p_msg_type t;
    ck_assert(!p2p_msg_from_command("sendheaders", &t));
}
END_TEST

Suite *codec_suite(void);
Suite *codec_suite(void)
{
    Suite *s = suite_create("p2p messages");
    TCase *tc = tcase_create("codecs");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, version_round_trip);
    tcase_add_test(tc, version_user_agent_bounds);
    tcase_add_test(tc, empty_and_nonce_messages);
    tcase_add_test(tc, addr_round_trip_and_bounds);
    tcase_add_test(tc, inv_round_trip_and_bounds);
    tcase_add_test(tc, getheaders_round_trip_and_bounds);
    tcase_add_test(tc, headers_round_trip_and_bounds);
    tcase_add_test(tc, block_and_tx_payloads);
    tcase_add_test(tc, random_bytes_never_crash_decoders);
    tcase_add_test(tc, command_names);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- Framing ---- */

struct rx {
    uint8_t buf[1024];
    size_t len;
    size_t count;
    char cmds[8][P2P_COMMAND_SIZE + 1];
    uint8_t payloads[8][64];
    size_t lens[8];
};

/* Takes every whole message off the front of the buffer, as a receiver
 * does; fails the test on anything but OK and NEED_MORE. */
static void rx_feed(struct rx *r, const uint8_t *p, size_t n)
{
    struct p2p_frame f;
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    for (;;) {
        enum p2p_frame_status st = p2p_frame_parse(r->buf, r->len, test_magic, MAX_BLOCK, &f);
        if (st == P2P_FRAME_NEED_MORE)
            return;
        ck_assert_msg(st == P2P_FRAME_OK, "frame status %s", p2p_frame_status_name(st));
        ck_assert_uint_lt(r->count, 8);
        memcpy(r->cmds[r->count], f.command, sizeof(f.command));
        memcpy(r->payloads[r->count], r->buf + P2P_HEADER_SIZE, f.length);
        r->lens[r->count] = f.length;
        r->count++;
        size_t used = P2P_HEADER_SIZE + f.length;
        memmove(r->buf, r->buf + used, r->len - used);
        r->len -= used;
    }
}

static size_t sample_stream(uint8_t *out)
{
    struct wbuf w, pl;
    struct p2p_inv inv = {.type = P2P_INV_TX};
    memset(inv.hash, 0xab, HASH_SIZE);
    wbuf_init(&w);
    wbuf_init(&pl);
    p2p_msg_encode_nonce(&pl, 42);
    p2p_frame_encode(&w, test_magic, "ping", pl.data, pl.len);
    p2p_frame_encode(&w, test_magic, "verack", NULL, 0);
    wbuf_reset(&pl);
    p2p_msg_encode_inv(&pl, &inv, 1);
    p2p_frame_encode(&w, test_magic, "inv", pl.data, pl.len);
    ck_assert(!w.failed);
    size_t n = w.len;
    memcpy(out, w.data, n);
    wbuf_free(&w);
    wbuf_free(&pl);
    return n;
}

static void check_stream(const struct rx *r)
{
    ck_assert_uint_eq(r->count, 3);
    ck_assert_uint_eq(r->len, 0);
    ck_assert_str_eq(r->cmds[0], "ping");
    ck_assert_uint_eq(r->lens[0], 8);
    ck_assert_uint_eq(read_le64(r->payloads[0]), 42);
    ck_assert_str_eq(r->cmds[1], "verack");
    ck_assert_uint_eq(r->lens[1], 0);
    ck_assert_str_eq(r->cmds[2], "inv");
    ck_assert_uint_eq(r->lens[2], 37);
}

START_TEST(frame_layout)
{
    struct wbuf w;
    const uint8_t payload[] = {1, 2, 3};
    uint8_t sum[4];
    wbuf_init(&w);
    p2p_frame_encode(&w, test_magic, "tx", payload, sizeof(payload));
    ck_assert_uint_eq(w.len, P2P_HEADER_SIZE + 3);
    ck_assert_mem_eq(w.data, test_magic, 4);
    ck_assert_mem_eq(w.data + 4, "tx\0\0\0\0\0\0\0\0\0\0", 12);
    ck_assert_uint_eq(read_le32(w.data + 16), 3);
    p2p_frame_checksum(payload, sizeof(payload), sum);
    ck_assert_mem_eq(w.data + 20, sum, 4);
    /* The checksum is BLAKE2b-256 "FML/p2p-check", first four bytes. */
    uint8_t h[HASH_SIZE];
    hash_tagged(h, HTAG_CHECKSUM, payload, sizeof(payload));
    ck_assert_mem_eq(sum, h, 4);
    ck_assert_mem_eq(w.data + 24, payload, 3);
    wbuf_free(&w);

    /* The vectors of doc/protocol.md, "P2P messages" (regtest magic). */
    wbuf_init(&w);
    p2p_frame_encode(&w, test_magic, "verack", NULL, 0);
    ck_assert_hex_eq(w.data, w.len, "fabf4d4c76657261636b0000000000000000000078d4b405");
    wbuf_reset(&w);
    const uint8_t one[8] = {1};
    p2p_frame_encode(&w, test_magic, "ping", one, sizeof(one));
    ck_assert_hex_eq(w.data, w.len,
                     "fabf4d4c70696e67000000000000000008000000ee85d73f0100000000000000");
    wbuf_free(&w);
}
END_TEST

START_TEST(frame_split_at_every_byte)
{
    uint8_t stream[512];
    size_t n = sample_stream(stream);
    for (size_t k = 0; k <= n; k++) {
        struct rx *r = calloc(1, sizeof(*r));
        ck_assert_ptr_nonnull(r);
        rx_feed(r, stream, k);
        rx_feed(r, stream + k, n - k);
        check_stream(r);
        free(r);
    }
    /* Every pair of cut points. */
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            struct rx *r = calloc(1, sizeof(*r));
            ck_assert_ptr_nonnull(r);
            rx_feed(r, stream, i);
            rx_feed(r, stream + i, j - i);
            rx_feed(r, stream + j, n - j);
            check_stream(r);
            free(r);
        }
    }
    /* One byte at a time. */
    struct rx *r = calloc(1, sizeof(*r));
    ck_assert_ptr_nonnull(r);
    for (size_t k = 0; k < n; k++)
        rx_feed(r, stream + k, 1);
    check_stream(r);
    free(r);
}
END_TEST

START_TEST(frame_bad_magic_at_first_wrong_byte)
{
    uint8_t stream[512];
    struct p2p_frame f;
    size_t n = sample_stream(stream);
    for (size_t i = 0; i < 4; i++) {
        uint8_t copy[512];
        memcpy(copy, stream, n);
        copy[i] ^= 0x01;
        for (size_t len = 0; len <= n; len++) {
            enum p2p_frame_status st = p2p_frame_parse(copy, len, test_magic, MAX_BLOCK, &f);
            ck_assert_int_eq(st, (len <= i ? P2P_FRAME_NEED_MORE : P2P_FRAME_BAD_MAGIC));
        }
    }
    /* Another network's magic. */
    const uint8_t main_magic[4] = {0xf9, 0x4d, 0x4c, 0xd1};
    ck_assert_int_eq(p2p_frame_parse(stream, n, main_magic, MAX_BLOCK, &f), P2P_FRAME_BAD_MAGIC);
    /* Garbage. */
    const uint8_t garbage[] = "GET / HTTP/1.1\r\n\r\n";
    ck_assert_int_eq(p2p_frame_parse(garbage, 1, test_magic, MAX_BLOCK, &f), P2P_FRAME_BAD_MAGIC);
}
END_TEST

START_TEST(frame_bad_checksum)
{
    uint8_t stream[512];
    struct p2p_frame f;
    size_t n = sample_stream(stream);
    size_t first = P2P_HEADER_SIZE + 8;
    for (size_t bit = 0; bit < 8 * 12; bit++) {
        uint8_t copy[512];
        memcpy(copy, stream, n);
        /* A flipped bit in the checksum or the payload. */
        size_t pos = 20 + bit / 8;
        copy[pos] ^= (uint8_t)(1u << (bit % 8));
        for (size_t len = P2P_HEADER_SIZE; len < first; len++)
            ck_assert_int_eq(p2p_frame_parse(copy, len, test_magic, MAX_BLOCK, &f),
                             P2P_FRAME_NEED_MORE);
        ck_assert_int_eq(p2p_frame_parse(copy, first, test_magic, MAX_BLOCK, &f),
                         P2P_FRAME_BAD_CHECKSUM);
        /* The header is still read, so the message can be skipped. */
        ck_assert_str_eq(f.command, "ping");
        ck_assert_uint_eq(f.length, 8);
        ck_assert_int_eq(p2p_frame_parse(copy + first, n - first, test_magic, MAX_BLOCK, &f),
                         P2P_FRAME_OK);
    }
}
END_TEST

static enum p2p_frame_status parse_header(const char *cmd, size_t cmdlen, uint32_t length,
                                          uint32_t max_block)
{
    uint8_t hdr[P2P_HEADER_SIZE] = {0};
    struct p2p_frame f;
    memcpy(hdr, test_magic, 4);
    memcpy(hdr + 4, cmd, cmdlen);
    write_le32(hdr + 16, length);
    p2p_frame_checksum(NULL, 0, hdr + 20);
    return p2p_frame_parse(hdr, sizeof(hdr), test_magic, max_block, &f);
}

START_TEST(frame_oversized_lengths)
{
    /* Refused as soon as the header is in, before any payload. */
    ck_assert_int_eq(parse_header("ping", 4, 8, MAX_BLOCK), P2P_FRAME_NEED_MORE);
    ck_assert_int_eq(parse_header("ping", 4, 9, MAX_BLOCK), P2P_FRAME_OVERSIZE);
    ck_assert_int_eq(parse_header("verack", 6, 1, MAX_BLOCK), P2P_FRAME_OVERSIZE);
    ck_assert_int_eq(parse_header("block", 5, MAX_BLOCK, MAX_BLOCK), P2P_FRAME_NEED_MORE);
    ck_assert_int_eq(parse_header("block", 5, MAX_BLOCK + 1, MAX_BLOCK), P2P_FRAME_OVERSIZE);
    ck_assert_int_eq(parse_header("block", 5, 0xffffffffu, MAX_BLOCK), P2P_FRAME_OVERSIZE);
    uint32_t inv_max = p2p_msg_max_payload(P2P_MSG_INV, MAX_BLOCK);
    ck_assert_uint_eq(inv_max, 3 + 50000 * 36);
    ck_assert_int_eq(parse_header("inv", 3, inv_max, MAX_BLOCK), P2P_FRAME_NEED_MORE);
    ck_assert_int_eq(parse_header("getdata", 7, inv_max + 1, MAX_BLOCK), P2P_FRAME_OVERSIZE);
    uint32_t hdr_max = p2p_msg_max_payload(P2P_MSG_HEADERS, MAX_BLOCK);
    ck_assert_uint_eq(hdr_max, 3 + 2000 * 252);
    ck_assert_int_eq(parse_header("headers", 7, hdr_max + 1, MAX_BLOCK), P2P_FRAME_OVERSIZE);
    /* Unknown commands are skipped up to a small size. */
    ck_assert_int_eq(parse_header("sendcmpct", 9, P2P_MAX_UNKNOWN_PAYLOAD, MAX_BLOCK),
                     P2P_FRAME_NEED_MORE);
    ck_assert_int_eq(parse_header("sendcmpct", 9, P2P_MAX_UNKNOWN_PAYLOAD + 1, MAX_BLOCK),
                     P2P_FRAME_OVERSIZE);
}
END_TEST

START_TEST(frame_command_names)
{
    char out[P2P_COMMAND_SIZE + 1];
    static const struct {
        const char raw[P2P_COMMAND_SIZE];
        bool ok;
    } cases[] = {
        {"ping", true},
        {"abcdefghijkl", true},   /* all twelve bytes used */
        {"v2", true},
        {"", false},              /* empty */
        {"Ping", false},          /* upper case */
        {"pi ng", false},         /* space */
        {"ping\0x", false},       /* a byte after the padding starts */
        {"ping\0\0\0\0\0\0\0\x01", false},
        {"get-data", false},
        {"\xff", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(p2p_command_decode((const uint8_t *)cases[i].raw, out) == cases[i].ok,
                      "case %zu", i);
        ck_assert_int_eq(parse_header(cases[i].raw, P2P_COMMAND_SIZE, 0, MAX_BLOCK),
                         (cases[i].ok ? P2P_FRAME_OK : P2P_FRAME_BAD_COMMAND));
    }
    ck_assert(p2p_command_decode((const uint8_t *)"abcdefghijkl", out));
    ck_assert_str_eq(out, "abcdefghijkl");
}
END_TEST

START_TEST(frame_unknown_command_is_parsed)
{
    struct wbuf w;
    struct p2p_frame f;
    wbuf_init(&w);
    p2p_frame_encode(&w, test_magic, "feefilter", (const uint8_t *)"12345678", 8);
    ck_assert_int_eq(p2p_frame_parse(w.data, w.len, test_magic, MAX_BLOCK, &f), P2P_FRAME_OK);
    ck_assert(!f.known);
    ck_assert_str_eq(f.command, "feefilter");
    wbuf_free(&w);
}
END_TEST

/* ---- Addresses, subnets ---- */

START_TEST(address_parse_and_format)
{
    struct p2p_addr a;
    char s[P2P_ADDR_STRLEN];
    ck_assert(p2p_addr_parse("127.0.0.1", 18444, &a));
    ck_assert(p2p_addr_is_ipv4(&a));
    ck_assert(p2p_addr_is_loopback(&a));
    p2p_addr_format(&a, s);
    ck_assert_str_eq(s, "127.0.0.1:18444");
    ck_assert(p2p_addr_parse("10.0.0.1:1", 18444, &a));
    ck_assert_uint_eq(a.port, 1);
    ck_assert(!p2p_addr_is_loopback(&a));
    ck_assert(p2p_addr_parse("[::1]:8333", 1, &a));
    ck_assert(!p2p_addr_is_ipv4(&a));
    ck_assert(p2p_addr_is_loopback(&a));
    p2p_addr_format(&a, s);
    ck_assert_str_eq(s, "[::1]:8333");
    ck_assert(p2p_addr_parse("2001:db8::1", 7, &a));
    ck_assert_uint_eq(a.port, 7);
    p2p_addr_format_ip(&a, s);
    ck_assert_str_eq(s, "2001:db8::1");
    ck_assert(p2p_addr_parse("localhost:5", 1, &a));
    p2p_addr_format(&a, s);
    ck_assert_str_eq(s, "127.0.0.1:5");
    ck_assert(p2p_addr_parse("0.0.0.0", 0, &a));
    ck_assert(p2p_addr_is_unusable(&a));
    ck_assert_uint_eq(a.port, 0);
    ck_assert(p2p_addr_parse("224.0.0.1", 1, &a));
    ck_assert(p2p_addr_is_unusable(&a));

    const char *bad[] = {"", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x", "1.2.3", "example.com",
                         "[::1", "[::1]x", "1.2.3.4:+5", "::1:1:1:1:1:1:1:1:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!p2p_addr_parse(bad[i], 1, &a), "accepted %s", bad[i]);

    struct sockaddr_storage ss;
    struct p2p_addr b;
    ck_assert(p2p_addr_parse("192.168.1.2:9", 0, &a));
    p2p_addr_to_sockaddr(&a, &ss);
    ck_assert_int_eq(ss.ss_family, AF_INET);
    ck_assert(p2p_addr_from_sockaddr(&b, (struct sockaddr *)&ss));
    ck_assert(p2p_addr_equal(&a, &b));
}
END_TEST

START_TEST(subnet_parse_and_match)
{
    struct p2p_subnet n;
    struct p2p_addr a;
    char s[P2P_ADDR_STRLEN];
    ck_assert(p2p_subnet_parse("192.168.1.77/24", &n));
    p2p_subnet_format(&n, s);
    ck_assert_str_eq(s, "192.168.1.0/24");
    ck_assert(p2p_addr_parse("192.168.1.200", 1, &a));
    ck_assert(p2p_subnet_match(&n, &a));
    ck_assert(p2p_addr_parse("192.168.2.1", 1, &a));
    ck_assert(!p2p_subnet_match(&n, &a));
    ck_assert(p2p_subnet_parse("10.0.0.0/255.0.0.0", &n));
    p2p_subnet_format(&n, s);
    ck_assert_str_eq(s, "10.0.0.0/8");
    ck_assert(p2p_subnet_parse("127.0.0.1", &n));
    p2p_subnet_format(&n, s);
    ck_assert_str_eq(s, "127.0.0.1/32");
    ck_assert(p2p_subnet_parse("fe80::/10", &n));
    ck_assert(p2p_addr_parse("fe80::1", 1, &a));
    ck_assert(p2p_subnet_match(&n, &a));
    ck_assert(p2p_addr_parse("10.0.0.1", 1, &a));
    ck_assert(!p2p_subnet_match(&n, &a));
    ck_assert(p2p_subnet_parse("::1", &n));
    p2p_subnet_format(&n, s);
    ck_assert_str_eq(s, "::1/128");

    const char *bad[] = {"", "10.0.0.0/33", "10.0.0.0/255.0.255.0", "10.0.0.0/", "x/8",
                         "10.0.0.0/-1", "::/129", "10.0.0.0/ffff::"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!p2p_subnet_parse(bad[i], &n), "accepted %s", bad[i]);
}
END_TEST

/* ---- Bounded inventory set ---- */

START_TEST(invset_forgets_the_oldest)
{
    struct invset s;
    uint8_t h[HASH_SIZE];
    ck_assert(invset_init(&s, 100));
    for (uint32_t i = 0; i < 1000; i++) {
        memset(h, 0, sizeof(h));
        memcpy(h, &i, sizeof(i));
        invset_add(&s, h);
        invset_add(&s, h); /* no-op */
        /* The last 100 are members, the one before them is not. */
        for (uint32_t j = i >= 100 ? i - 99 : 0; j <= i; j++) {
            memcpy(h, &j, sizeof(j));
            ck_assert_msg(invset_has(&s, h), "lost %u after %u", j, i);
        }
        if (i >= 100) {
            uint32_t gone = i - 100;
            memcpy(h, &gone, sizeof(gone));
            ck_assert(!invset_has(&s, h));
        }
    }
    ck_assert_uint_eq(s.n, 100);
    invset_clear(&s);
    ck_assert(!invset_has(&s, h));
    invset_free(&s);
}
END_TEST

/* ---- Address book ---- */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/fml-test-p2p-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(addrman_bounds_and_file)
{
    struct addrman am;
    struct p2p_addr a;
    char path[300], text[32];
    addrman_init(&am, 50);
    for (int i = 0; i < 200; i++) {
        snprintf(text, sizeof(text), "10.1.%d.%d", i / 256, i % 256);
        ck_assert(p2p_addr_parse(text, 9000, &a));
        ck_assert(addrman_add(&am, &a, 1, 1000 + (uint64_t)i));
        ck_assert_uint_le(am.n, 50);
        ck_assert_ptr_nonnull(addrman_find(&am, &a));
    }
    ck_assert_uint_eq(am.n, 50);
    /* The same address again: only a newer time changes it. */
    ck_assert(!addrman_add(&am, &a, 1, 5));
    ck_assert(addrman_add(&am, &a, 1, 999999));
    addrman_attempt(&am, &a, 100);
    ck_assert_uint_eq(addrman_find(&am, &a)->attempts, 1);
    addrman_good(&am, &a, 200);
    ck_assert_uint_eq(addrman_find(&am, &a)->attempts, 0);
    ck_assert_uint_eq(addrman_find(&am, &a)->last_success, 200);

    make_tmpdir();
    snprintf(path, sizeof(path), "%s/%s", tmpdir, P2P_PEERS_FILE);
    ck_assert(addrman_save(&am, path, test_magic));
    struct addrman back;
    addrman_init(&back, 50);
    ck_assert(addrman_load(&back, path, test_magic));
    ck_assert_uint_eq(back.n, 50);
    for (size_t i = 0; i < am.n; i++) {
        struct addrman_entry *e = addrman_find(&back, &am.v[i].addr);
        ck_assert_ptr_nonnull(e);
        ck_assert_uint_eq(e->time, am.v[i].time);
        ck_assert_uint_eq(e->last_success, am.v[i].last_success);
    }
    /* Another network's file, and a damaged file, are refused and leave
     * the book as it was. */
    const uint8_t other[4] = {1, 2, 3, 4};
    ck_assert(!addrman_load(&back, path, other));
    ck_assert_uint_eq(back.n, 50);
    char *data;
    size_t len;
    ck_assert(fs_read_file(path, 1 << 20, &data, &len));
    data[len / 2] ^= 1;
    ck_assert(fs_write_atomic(path, data, len, 0600));
    free(data);
    struct addrman fresh;
    addrman_init(&fresh, 50);
    ck_assert(!addrman_load(&fresh, path, test_magic));
    ck_assert_uint_eq(fresh.n, 0);
    addrman_free(&fresh);
    addrman_free(&back);
    addrman_free(&am);
    remove_tmpdir();
}
END_TEST

static bool accept_all(void *arg, const struct addrman_entry *e)
{
    (void)arg;
    (void)e;
    return true;
}

START_TEST(addrman_select_backs_off)
{
    struct addrman am;
    struct p2p_addr a;
    addrman_init(&am, 10);
    ck_assert_ptr_null(addrman_select(&am, 1000, 60, accept_all, NULL));
    ck_assert(p2p_addr_parse("10.0.0.1:1", 0, &a));
    ck_assert(addrman_add(&am, &a, 1, 1));
    ck_assert_ptr_nonnull(addrman_select(&am, 1000, 60, accept_all, NULL));
    addrman_attempt(&am, &a, 1000);
    ck_assert_ptr_null(addrman_select(&am, 1030, 60, accept_all, NULL));
    /* One failed attempt: 60 s << 1. */
    ck_assert_ptr_null(addrman_select(&am, 1100, 60, accept_all, NULL));
    ck_assert_ptr_nonnull(addrman_select(&am, 1121, 60, accept_all, NULL));
    struct addrman_entry out[5];
    ck_assert_uint_eq(addrman_sample(&am, out, 5), 1);
    addrman_free(&am);
}
END_TEST

/* A regtest book keeps loopback addresses only: refused when added,
 * dropped when the rule is switched on, skipped when loaded. */
START_TEST(addrman_loopback_only)
{
    static const char *const outside[] = {"203.0.113.7:1", "10.0.0.1:2", "[2001:db8::1]:3",
                                          "0.0.0.0:4", "128.0.0.1:5"};
    static const char *const inside[] = {"127.0.0.1:6", "127.255.0.9:7", "[::1]:8"};
    struct addrman am, back;
    struct p2p_addr a;
    char path[300];
    addrman_init(&am, 50);
    for (size_t i = 0; i < 5; i++) {
        ck_assert(p2p_addr_parse(outside[i], 0, &a));
        ck_assert(addrman_keeps(&am, &a));
        ck_assert(addrman_add(&am, &a, 1, 1000));
    }
    for (size_t i = 0; i < 3; i++) {
        ck_assert(p2p_addr_parse(inside[i], 0, &a));
        ck_assert(addrman_add(&am, &a, 1, 1000));
    }
    make_tmpdir();
    snprintf(path, sizeof(path), "%s/%s", tmpdir, P2P_PEERS_FILE);
    ck_assert(addrman_save(&am, path, test_magic));

    addrman_set_loopback_only(&am, true);
    ck_assert_uint_eq(am.n, 3);
    for (size_t i = 0; i < 5; i++) {
        ck_assert(p2p_addr_parse(outside[i], 0, &a));
        ck_assert(!addrman_keeps(&am, &a));
        ck_assert_ptr_null(addrman_find(&am, &a));
        ck_assert(!addrman_add(&am, &a, 1, 2000));
        ck_assert_ptr_null(addrman_find(&am, &a));
    }
    for (size_t i = 0; i < 3; i++) {
        ck_assert(p2p_addr_parse(inside[i], 0, &a));
        ck_assert(addrman_keeps(&am, &a));
        ck_assert_ptr_nonnull(addrman_find(&am, &a));
        ck_assert(addrman_add(&am, &a, 1, 2000));
    }
    /* Whatever is drawn for a connection is loopback. */
    for (int i = 0; i < 100; i++) {
        const struct addrman_entry *e = addrman_select(&am, 5000, 60, accept_all, NULL);
        ck_assert_ptr_nonnull(e);
        ck_assert(p2p_addr_is_loopback(&e->addr));
    }

    /* The file written before keeps its other entries for another run. */
    addrman_init(&back, 50);
    back.loopback_only = true;
    ck_assert(addrman_load(&back, path, test_magic));
    ck_assert_uint_eq(back.n, 3);
    ck_assert(back.loopback_only);
    for (size_t i = 0; i < back.n; i++)
        ck_assert(p2p_addr_is_loopback(&back.v[i].addr));
    addrman_free(&back);
    addrman_init(&back, 50);
    ck_assert(addrman_load(&back, path, test_magic));
    ck_assert_uint_eq(back.n, 8);
    addrman_free(&back);
    addrman_set_loopback_only(&am, false);
    ck_assert(p2p_addr_parse(outside[0], 0, &a));
    ck_assert(addrman_add(&am, &a, 1, 3000));
    addrman_free(&am);
    remove_tmpdir();
}
END_TEST

/* ---- Ban list ---- */

START_TEST(banman_subnets_expiry_and_file)
{
    struct banman bm;
    struct p2p_subnet net;
    struct p2p_addr a, b;
    char path[300];
    banman_init(&bm, 3);
    ck_assert(p2p_subnet_parse("10.0.0.0/8", &net));
    ck_assert(banman_ban(&bm, &net, 100, 200));
    ck_assert(!banman_ban(&bm, &net, 100, 150)); /* already banned longer */
    ck_assert(p2p_addr_parse("10.9.9.9:1", 0, &a));
    ck_assert(p2p_addr_parse("11.0.0.1:1", 0, &b));
    ck_assert(banman_is_banned(&bm, &a, 150));
    ck_assert(!banman_is_banned(&bm, &b, 150));
    ck_assert(!banman_is_banned(&bm, &a, 200)); /* expired */
    ck_assert(banman_is_subnet_banned(&bm, &net, 150));

    make_tmpdir();
    snprintf(path, sizeof(path), "%s/%s", tmpdir, P2P_BANS_FILE);
    struct p2p_subnet single;
    p2p_subnet_single(&single, &b);
    ck_assert(banman_ban(&bm, &single, 100, 1000));
    ck_assert(banman_save(&bm, path, test_magic));
    ck_assert(!bm.dirty);
    struct banman back;
    banman_init(&back, 3);
    /* Loaded at time 300: the /8 ban has expired and is dropped. */
    ck_assert(banman_load(&back, path, test_magic, 300));
    ck_assert_uint_eq(back.n, 1);
    ck_assert(banman_is_banned(&back, &b, 300));
    ck_assert(!banman_is_banned(&back, &a, 300));
    const uint8_t other[4] = {9, 9, 9, 9};
    ck_assert(!banman_load(&back, path, other, 300));
    ck_assert_uint_eq(back.n, 1);

    /* Bounded: the ban expiring first makes room. */
    struct p2p_subnet n2, n3;
    ck_assert(p2p_subnet_parse("20.0.0.0/8", &n2));
    ck_assert(p2p_subnet_parse("30.0.0.0/8", &n3));
    ck_assert(banman_ban(&bm, &n2, 100, 5000));
    ck_assert(banman_ban(&bm, &n3, 100, 6000));
    ck_assert_uint_eq(bm.n, 3);
    ck_assert(!banman_is_subnet_banned(&bm, &net, 150));
    ck_assert(banman_unban(&bm, &n2));
    ck_assert(!banman_unban(&bm, &n2));
    banman_sweep(&bm, 1000);
    ck_assert_uint_eq(bm.n, 1);
    banman_clear(&bm);
    ck_assert_uint_eq(bm.n, 0);
    banman_free(&back);
    banman_free(&bm);
    remove_tmpdir();
}
END_TEST

Suite *framing_suite(void);
Suite *framing_suite(void)
{
    Suite *s = suite_create("p2p framing and tables");
    TCase *tc = tcase_create("framing");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, frame_layout);
    tcase_add_test(tc, frame_split_at_every_byte);
    tcase_add_test(tc, frame_bad_magic_at_first_wrong_byte);
    tcase_add_test(tc, frame_bad_checksum);
    tcase_add_test(tc, frame_oversized_lengths);
    tcase_add_test(tc, frame_command_names);
    tcase_add_test(tc, frame_unknown_command_is_parsed);
    suite_add_tcase(s, tc);
    tc = tcase_create("tables");
    tcase_add_test(tc, address_parse_and_format);
    tcase_add_test(tc, subnet_parse_and_match);
    tcase_add_test(tc, invset_forgets_the_oldest);
    tcase_add_test(tc, addrman_bounds_and_file);
    tcase_add_test(tc, addrman_select_backs_off);
    tcase_add_test(tc, addrman_loopback_only);
    tcase_add_test(tc, banman_subnets_expiry_and_file);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- Nodes in one process ----
 *
 * Real p2p instances, each with its own chain, mempool and lock, on one
 * event loop that the test drives; test peers are plain sockets speaking
 * the wire protocol.  Everything listens on 127.0.0.1 with a port the
 * system picks.
 */

static struct event_base *base;
static struct event *pulse;
/* The parameters the P2P layer of the next node sees (normally params). */
static const struct chain_params *p2p_params = &params;
/* -maxconnections of the next node (0: the default). */
static int p2p_max_connections;
/* -dialnonlocal of the next node. */
static bool p2p_dial_nonlocal;
/* The raw test peer (struct tpeer) speaks plaintext v1 framing: tests that
 * use it run their nodes with -v2transport=0; the others use v2. */
static bool p2p_v1;

struct tnode {
    char dir[256];
    struct chain *chain;
    struct mempool *mp;
    pthread_mutex_t lock;
    struct p2p *p2p;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_pulse(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static void nodes_setup(void)
{
    ck_assert(regtest_keys_init());
    ck_assert_int_eq(evthread_use_pthreads(), 0);
    base = event_base_new();
    ck_assert_ptr_nonnull(base);
    /* Wakes the loop often, so test sockets are polled. */
    pulse = event_new(base, -1, EV_PERSIST, on_pulse, NULL);
    struct timeval tv = {0, 5000};
    ck_assert_int_eq(event_add(pulse, &tv), 0);
}

static void nodes_teardown(void)
{
    event_free(pulse);
    event_base_free(base);
    params_free(&params);
}

static void pump(void)
{
    event_base_loop(base, EVLOOP_ONCE);
}

static void run_for(unsigned ms)
{
    uint64_t end = now_ms() + ms;
    while (now_ms() < end)
        pump();
}

static void node_start_p2p(struct tnode *n, const char **connect, size_t n_connect,
                           uint32_t peer_timeout, uint32_t ping_interval)
{
    static const char *bind[] = {"127.0.0.1"};
    struct p2p_options o;
    char err[256] = "";
    p2p_options_init(&o);
    o.bind = bind;
    o.n_bind = 1;
    o.port = 0;
    o.listen = true;
    o.connect = connect;
    o.n_connect = n_connect;
    o.connect_only = true; /* no address-book connections in tests */
    o.datadir = n->dir;
    if (peer_timeout)
        o.peer_timeout = peer_timeout;
    if (ping_interval)
        o.ping_interval = ping_interval;
    if (p2p_max_connections)
        o.max_connections = p2p_max_connections;
    o.dial_nonlocal = p2p_dial_nonlocal;
    o.v2transport = !p2p_v1;
    struct p2p_env env = {p2p_params, n->chain, n->mp, &n->lock};
    n->p2p = p2p_start(base, &o, &env, err, sizeof(err));
    ck_assert_msg(n->p2p != NULL, "p2p_start: %s", err);
    ck_assert_uint_ne(p2p_listen_port(n->p2p), 0);
}

static void node_open(struct tnode *n, const char **connect, size_t n_connect)
{
    char err[256] = "";
    snprintf(n->dir, sizeof(n->dir), "/tmp/fml-test-p2p-node-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(n->dir));
    n->chain = chain_open(&params, n->dir, false, err, sizeof(err));
    ck_assert_msg(n->chain != NULL, "chain_open: %s", err);
    n->mp = mempool_new(n->chain, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    ck_assert_ptr_nonnull(n->mp);
    pthread_mutex_init(&n->lock, NULL);
    node_start_p2p(n, connect, n_connect, 0, 0);
}

static void node_close(struct tnode *n)
{
    char cmd[300];
    p2p_stop(n->p2p);
    mempool_free(n->mp);
    chain_close(n->chain);
    pthread_mutex_destroy(&n->lock);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", n->dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void node_address(const struct tnode *n, char *out, size_t len)
{
    snprintf(out, len, "127.0.0.1:%u", (unsigned)p2p_listen_port(n->p2p));
}

static uint64_t height_of(struct tnode *n)
{
    pthread_mutex_lock(&n->lock);
    uint64_t h = chain_height(n->chain);
    pthread_mutex_unlock(&n->lock);
    return h;
}

static void wait_height(struct tnode *n, uint64_t h, unsigned timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;
    while (height_of(n) < h) {
        ck_assert_msg(now_ms() < end, "height %llu not reached (at %llu)", (unsigned long long)h,
                      (unsigned long long)height_of(n));
        pump();
    }
}

/* The stats of a node's peers. */
static size_t stats_of(struct tnode *n, struct p2p_peer_stats **v)
{
    size_t count;
    pthread_mutex_lock(&n->lock);
    ck_assert(p2p_get_peer_stats(n->p2p, v, &count));
    pthread_mutex_unlock(&n->lock);
    return count;
}

static size_t handshaked_peers(struct tnode *n)
{
    struct p2p_peer_stats *v;
    size_t count = stats_of(n, &v), k = 0;
    for (size_t i = 0; i < count; i++)
        k += v[i].handshake_done;
    free(v);
    return k;
}

static void wait_peers(struct tnode *n, size_t want, unsigned timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;
    while (handshaked_peers(n) != want) {
        ck_assert_msg(now_ms() < end, "expected %zu peers, have %zu", want, handshaked_peers(n));
        pump();
    }
}

static size_t banned_count(struct tnode *n, const char *subnet)
{
    struct p2p_ban_info *v;
    size_t count, k = 0;
    pthread_mutex_lock(&n->lock);
    ck_assert(p2p_list_banned(n->p2p, &v, &count));
    pthread_mutex_unlock(&n->lock);
    for (size_t i = 0; i < count; i++)
        k += !subnet || strcmp(v[i].subnet, subnet) == 0;
    free(v);
    return k;
}

static void clear_bans(struct tnode *n)
{
    pthread_mutex_lock(&n->lock);
    p2p_clear_banned(n->p2p);
    pthread_mutex_unlock(&n->lock);
}

/* ---- Blocks and transactions ---- */


/* One block on n's tip, `gap` slots after the tip's, by whichever
 * validator leads that slot. */
static void produce_gap(struct tnode *n, uint64_t gap)
{
    struct block b;
    struct validation v;
    uint8_t leader[PUBKEY_SIZE];
    pthread_mutex_lock(&n->lock);
    uint64_t slot = chain_tip(n->chain)->hdr.slot + gap;
    struct view *view = chain_view(n->chain);
    ck_assert(staking_leader_for(view, &params, chain_tip(n->chain)->hdr.slot, slot, leader));
    view_free(view);
    ck_assert_msg(builder_build(n->chain, n->mp, leader, slot, &regtest_signer, &b, &v), "build: %s",
                  v.reason);
    ck_assert_msg(chain_process_block(n->chain, &b, &v), "process: %s %s", v.reason, v.detail);
    block_free(&b);
    pthread_mutex_unlock(&n->lock);
}

static void produce(struct tnode *n)
{
    produce_gap(n, 1);
}

static void make_transfer(struct tx *tx, int from, uint64_t amount, uint64_t nonce)
{
    struct transfer t;
    struct wbuf w;
    tx_init(tx);
    tx->type = TX_TRANSFER;
    memcpy(tx->sender, pubs[from], PUBKEY_SIZE);
    tx->nonce = nonce;
    tx->fee = 2000;
    memcpy(t.to, pubs[(from + 1) % REGTEST_VALIDATORS], PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    ck_assert(tx_set_payload(tx, w.data, w.len));
    wbuf_free(&w);
    ck_assert(tx_sign(tx, params.genesis_hash, secrets[from], NULL));
}

static void read_raw_block(struct tnode *n, uint64_t height, struct wbuf *out)
{
    uint8_t *raw;
    size_t len;
    pthread_mutex_lock(&n->lock);
    ck_assert(chain_read_raw(n->chain, chain_at(n->chain, height), &raw, &len));
    pthread_mutex_unlock(&n->lock);
    wbuf_init(out);
    put_bytes(out, raw, len);
    free(raw);
}

/* ---- A test peer: a socket speaking the wire protocol ---- */

struct tpeer {
    int fd;
    uint8_t *rx;
    size_t len, cap;
    bool closed;
};

static void tpeer_connect(struct tpeer *t, const struct tnode *n)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p2p_listen_port(n->p2p))};
    memset(t, 0, sizeof(*t));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    t->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(t->fd, 0);
    ck_assert_int_eq(connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(fcntl(t->fd, F_SETFL, O_NONBLOCK), 0);
}

static void tpeer_close(struct tpeer *t)
{
    close(t->fd);
    free(t->rx);
    t->rx = NULL;
}

static void tpeer_poll(struct tpeer *t)
{
    uint8_t buf[65536];
    for (;;) {
        ssize_t r = recv(t->fd, buf, sizeof(buf), 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            t->closed = true;
            return;
        }
        if (r < 0)
            return;
        if (t->len + (size_t)r > t->cap) {
            t->cap = (t->len + (size_t)r) * 2;
            t->rx = realloc(t->rx, t->cap);
            ck_assert_ptr_nonnull(t->rx);
        }
        memcpy(t->rx + t->len, buf, (size_t)r);
        t->len += (size_t)r;
    }
}

static void tpeer_send_raw(struct tpeer *t, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t end = now_ms() + 20000;
    while (len) {
        ssize_t w = send(t->fd, p, len, MSG_NOSIGNAL);
        if (w < 0) {
            ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "send: %s", strerror(errno));
            ck_assert(now_ms() < end);
            tpeer_poll(t);
            pump();
            continue;
        }
        p += w;
        len -= (size_t)w;
    }
}

static void tpeer_send(struct tpeer *t, const char *cmd, const uint8_t *payload, size_t len)
{
    struct wbuf w;
    wbuf_init(&w);
    p2p_frame_encode(&w, params.magic, cmd, payload, len);
    ck_assert(!w.failed);
    tpeer_send_raw(t, w.data, w.len);
    wbuf_free(&w);
}

/* Waits for a message with this command, dropping others; the payload is
 * copied to *out (the caller frees it). */
static bool tpeer_wait(struct tpeer *t, const char *cmd, struct wbuf *out, unsigned timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;
    struct p2p_frame f;
    for (;;) {
        tpeer_poll(t);
        while (t->len) {
            enum p2p_frame_status st = p2p_frame_parse(t->rx, t->len, params.magic, MAX_BLOCK, &f);
            if (st == P2P_FRAME_NEED_MORE)
                break;
            ck_assert_int_eq(st, P2P_FRAME_OK);
            size_t used = P2P_HEADER_SIZE + f.length;
            bool match = strcmp(f.command, cmd) == 0;
            if (match && out) {
                wbuf_init(out);
                put_bytes(out, t->rx + P2P_HEADER_SIZE, f.length);
            }
            memmove(t->rx, t->rx + used, t->len - used);
            t->len -= used;
            if (match)
                return true;
        }
        if (t->closed || now_ms() > end)
            return false;
        pump();
    }
}

/* True when the node closes the connection within timeout_ms. */
static bool tpeer_closed_within(struct tpeer *t, unsigned timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;
    while (!t->closed && now_ms() < end) {
        pump();
        tpeer_poll(t);
        t->len = 0;
    }
    return t->closed;
}

static void tpeer_send_version(struct tpeer *t, const uint8_t genesis[HASH_SIZE])
{
    struct p2p_msg_version m;
    struct wbuf w;
    sample_version(&m);
    memcpy(m.genesis, genesis, HASH_SIZE);
    randombytes_buf(&m.nonce, sizeof(m.nonce));
    snprintf(m.user_agent, sizeof(m.user_agent), "/test-peer/");
    wbuf_init(&w);
    p2p_msg_encode_version(&w, &m);
    tpeer_send(t, "version", w.data, w.len);
    wbuf_free(&w);
}

static void tpeer_handshake(struct tpeer *t, struct tnode *n)
{
    size_t before = handshaked_peers(n);
    tpeer_send_version(t, params.genesis_hash);
    ck_assert(tpeer_wait(t, "version", NULL, 5000));
    ck_assert(tpeer_wait(t, "verack", NULL, 5000));
    tpeer_send(t, "verack", NULL, 0);
    wait_peers(n, before + 1, 5000);
}

/* The misbehaviour score the node gives the newest peer. */
#define P2P_TEST_SCORE_UNREQUESTED 10 /* doc/protocol.md, "Misbehaviour" */

static int newest_score(struct tnode *n, bool *connected)
{
    struct p2p_peer_stats *v;
    size_t count = stats_of(n, &v);
    int score = -1;
    *connected = count > 0;
    if (count)
        score = v[count - 1].banscore;
    free(v);
    return score;
}

static int score_after(struct tnode *n, struct tpeer *t, unsigned ms)
{
    bool connected;
    uint64_t end = now_ms() + ms;
    while (now_ms() < end) {
        pump();
        tpeer_poll(t);
    }
    int s = newest_score(n, &connected);
    ck_assert(connected);
    return s;
}

/* A side block nobody asked for is not stored (its header alone is checked)
 * and costs its sender 10 points; a peer relaying more than 16 second
 * proposals is dropped; a header whose proposer does not lead its slot bans
 * its sender. */
START_TEST(side_blocks_and_wrong_leaders)
{
    p2p_v1 = true;
    struct tnode a, b;
    struct tpeer t;
    struct wbuf w;
    struct block_header h1, wrong;
    uint8_t hash1[HASH_SIZE];
    static const uint8_t aux[32];

    node_open(&a, NULL, 0);
    produce_gap(&a, 2); /* another slot than b's first block: another block */
    node_open(&b, NULL, 0);
    for (int i = 0; i < 3; i++)
        produce(&b);
    tpeer_connect(&t, &b);
    tpeer_handshake(&t, &b);

    read_raw_block(&a, 1, &w);
    ck_assert(header_decode(&h1, w.data, BLOCK_HEADER_SIZE));
    header_hash(&h1, hash1);
    tpeer_send(&t, "block", w.data, w.len);
    wbuf_free(&w);
    ck_assert_int_eq(score_after(&b, &t, 300), P2P_TEST_SCORE_UNREQUESTED);
    pthread_mutex_lock(&b.lock);
    const struct block_index *bi = chain_lookup(b.chain, hash1);
    ck_assert(!bi || !(bi->status & BLOCK_HAVE_DATA));
    ck_assert_uint_eq(chain_height(b.chain), 3);
    wrong = chain_tip(b.chain)->hdr;
    pthread_mutex_unlock(&b.lock);

    /* The tip's own proposer signs 20 more headers for its slot: evidence,
     * but the peer relaying them is dropped at the 16th. */
    int leader = validator_index(wrong.proposer);
    for (int i = 0; i < 20; i++) {
        struct block_header twin = wrong;
        twin.state_root[0] ^= (uint8_t)(i + 1);
        ck_assert(header_sign(&twin, params.genesis_hash, secrets[leader], aux));
        wbuf_init(&w);
        p2p_msg_encode_headers(&w, &twin, 1);
        tpeer_send(&t, "headers", w.data, w.len);
        wbuf_free(&w);
    }
    ck_assert(tpeer_closed_within(&t, 5000));
    ck_assert_uint_eq(banned_count(&b, NULL), 0);
    pthread_mutex_lock(&b.lock);
    size_t indexed = chain_index_size(b.chain);
    pthread_mutex_unlock(&b.lock);
    ck_assert_uint_le(indexed, 1 + 3 + 1 + 16); /* genesis, b's blocks, a's header, 16 twins */
    tpeer_close(&t);
    tpeer_connect(&t, &b);
    tpeer_handshake(&t, &b);

    /* The tip's slot signed by a validator that does not lead it. */
    int other = (validator_index(wrong.proposer) + 1) % REGTEST_VALIDATORS;
    memcpy(wrong.proposer, pubs[other], PUBKEY_SIZE);
    ck_assert(header_sign(&wrong, params.genesis_hash, secrets[other], aux));
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, &wrong, 1);
    tpeer_send(&t, "headers", w.data, w.len);
    wbuf_free(&w);
    ck_assert(tpeer_closed_within(&t, 5000));
    ck_assert_uint_eq(banned_count(&b, "127.0.0.1/32"), 1);
    tpeer_close(&t);
    node_close(&b);
    node_close(&a);
}
END_TEST

/* ---- Node tests ---- */

START_TEST(nodes_sync_relay_and_parallel_download)
{
    struct tnode a, b, c;
    char addr_a[64], addr_b[64];
    uint8_t ra[HASH_SIZE], rb[HASH_SIZE];

    node_open(&a, NULL, 0);
    for (int i = 0; i < 30; i++)
        produce(&a);
    node_address(&a, addr_a, sizeof(addr_a));
    const char *to_a[] = {addr_a};
    node_open(&b, to_a, 1);
    wait_height(&b, 30, 30000);
    pthread_mutex_lock(&b.lock);
    chain_state_root(a.chain, ra);
    chain_state_root(b.chain, rb);
    ck_assert_mem_eq(chain_tip(a.chain)->hash, chain_tip(b.chain)->hash, HASH_SIZE);
    pthread_mutex_unlock(&b.lock);
    ck_assert_mem_eq(ra, rb, HASH_SIZE);

    struct p2p_peer_stats *v;
    ck_assert_uint_eq(stats_of(&a, &v), 1);
    ck_assert(v[0].inbound);
    ck_assert_str_eq(v[0].connection_type, "inbound");
    ck_assert_str_eq(v[0].subver, "/fmld:" PACKAGE_VERSION "/");
    ck_assert_uint_gt(v[0].bytesrecv_per_msg[P2P_MSG_GETDATA], 0);
    ck_assert_uint_gt(v[0].bytessent_per_msg[P2P_MSG_BLOCK], 0);
    free(v);
    ck_assert_uint_eq(stats_of(&b, &v), 1);
    ck_assert(!v[0].inbound);
    ck_assert_str_eq(v[0].connection_type, "manual");
    ck_assert_int_eq(v[0].banscore, 0);
    free(v);

    /* A transaction entering a's mempool reaches b's. */
    struct tx tx;
    struct validation val;
    uint8_t txid[HASH_SIZE];
    make_transfer(&tx, 0, 5 * COIN, 0);
    tx_txid(&tx, txid);
    pthread_mutex_lock(&a.lock);
    ck_assert_msg(mempool_add(a.mp, &tx, 0, &val), "%s", val.reason);
    pthread_mutex_unlock(&a.lock);
    tx_free(&tx);
    uint64_t end = now_ms() + 10000;
    for (;;) {
        pthread_mutex_lock(&b.lock);
        bool has = mempool_has(b.mp, txid);
        pthread_mutex_unlock(&b.lock);
        if (has)
            break;
        ck_assert_msg(now_ms() < end, "transaction not relayed");
        pump();
    }
    /* A new block on a is announced to b, which leaves its mempool empty. */
    produce(&a);
    wait_height(&b, 31, 10000);
    pthread_mutex_lock(&b.lock);
    ck_assert_uint_eq(mempool_count(b.mp), 0);
    pthread_mutex_unlock(&b.lock);

    /* A third node downloads from both. */
    node_address(&b, addr_b, sizeof(addr_b));
    const char *to_ab[] = {addr_a, addr_b};
    node_open(&c, to_ab, 2);
    wait_height(&c, 31, 30000);
    wait_peers(&c, 2, 5000);
    pthread_mutex_lock(&c.lock);
    chain_state_root(c.chain, rb);
    pthread_mutex_unlock(&c.lock);
    chain_state_root(a.chain, ra);
    ck_assert_mem_eq(ra, rb, HASH_SIZE);

    /* ping fills in round-trip times. */
    pthread_mutex_lock(&c.lock);
    p2p_ping_all(c.p2p);
    pthread_mutex_unlock(&c.lock);
    run_for(300);
    ck_assert_uint_eq(stats_of(&c, &v), 2);
    ck_assert(v[0].has_ping && v[1].has_ping);
    ck_assert_int_eq(v[0].synced_blocks, 31);
    free(v);

    node_close(&c);
    node_close(&b);
    node_close(&a);
}
END_TEST

START_TEST(partition_heals_to_the_longer_branch)
{
    struct tnode a, b;
    char addr_a[64];
    uint8_t ra[HASH_SIZE], rb[HASH_SIZE];

    node_open(&a, NULL, 0);
    for (int i = 0; i < 3; i++)
        produce(&a);
    node_address(&a, addr_a, sizeof(addr_a));
    const char *to_a[] = {addr_a};
    node_open(&b, to_a, 1);
    wait_height(&b, 3, 10000);

    /* Cut: each side builds its own branch (b skips a slot, so the two
     * differ from the first block). */
    p2p_stop(b.p2p);
    run_for(100);
    produce(&a);
    produce(&a);
    for (int i = 0; i < 4; i++)
        produce_gap(&b, i == 0 ? 2 : 1);
    ck_assert_uint_eq(height_of(&a), 5);
    ck_assert_uint_eq(height_of(&b), 7);

    /* Heal: a reorganizes to b's longer branch; nobody is punished. */
    node_start_p2p(&b, to_a, 1, 0, 0);
    wait_height(&a, 7, 15000);
    pthread_mutex_lock(&a.lock);
    ck_assert_mem_eq(chain_tip(a.chain)->hash, chain_tip(b.chain)->hash, HASH_SIZE);
    chain_state_root(a.chain, ra);
    chain_state_root(b.chain, rb);
    pthread_mutex_unlock(&a.lock);
    ck_assert_mem_eq(ra, rb, HASH_SIZE);
    struct p2p_peer_stats *v;
    ck_assert_uint_eq(stats_of(&a, &v), 1);
    ck_assert_int_eq(v[0].banscore, 0);
    free(v);
    ck_assert_uint_eq(stats_of(&b, &v), 1);
    ck_assert_int_eq(v[0].banscore, 0);
    free(v);
    node_close(&b);
    node_close(&a);
}
END_TEST

START_TEST(missing_and_stalled_blocks_move_to_another_peer)
{
    p2p_v1 = true;
    struct tnode a, b, c;
    struct tpeer t;
    struct wbuf w, got;
    char addr_a[64];
    struct block_header hdrs[2];

    node_open(&a, NULL, 0);
    produce(&a);
    produce(&a);
    node_address(&a, addr_a, sizeof(addr_a));
    pthread_mutex_lock(&a.lock);
    hdrs[0] = chain_at(a.chain, 1)->hdr;
    hdrs[1] = chain_at(a.chain, 2)->hdr;
    pthread_mutex_unlock(&a.lock);

    /* A peer that announces headers, then says notfound: the blocks come
     * from a at once. */
    node_open(&b, NULL, 0);
    tpeer_connect(&t, &b);
    tpeer_handshake(&t, &b);
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, hdrs, 2);
    tpeer_send(&t, "headers", w.data, w.len);
    wbuf_free(&w);
    ck_assert(tpeer_wait(&t, "getdata", &got, 5000));
    tpeer_send(&t, "notfound", got.data, got.len);
    wbuf_free(&got);
    pthread_mutex_lock(&b.lock);
    ck_assert_int_eq(p2p_addnode(b.p2p, addr_a, P2P_ADDNODE_ONETRY), P2P_ADDNODE_OK);
    pthread_mutex_unlock(&b.lock);
    uint64_t start = now_ms();
    wait_height(&b, 2, 5000);
    ck_assert_uint_lt(now_ms() - start, 5000);
    tpeer_close(&t);
    node_close(&b);

    /* A peer that announces headers and never sends the blocks: after the
     * timeout they come from a. */
    node_open(&c, NULL, 0);
    tpeer_connect(&t, &c);
    tpeer_handshake(&t, &c);
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, hdrs, 2);
    tpeer_send(&t, "headers", w.data, w.len);
    wbuf_free(&w);
    ck_assert(tpeer_wait(&t, "getdata", NULL, 5000));
    start = now_ms();
    struct p2p_peer_stats *v;
    ck_assert_uint_eq(stats_of(&c, &v), 1);
    ck_assert_uint_eq(v[0].n_inflight, 2);
    ck_assert_uint_eq(v[0].inflight[0], 1);
    ck_assert_uint_eq(v[0].inflight[1], 2);
    free(v);
    pthread_mutex_lock(&c.lock);
    ck_assert_int_eq(p2p_addnode(c.p2p, addr_a, P2P_ADDNODE_ONETRY), P2P_ADDNODE_OK);
    pthread_mutex_unlock(&c.lock);
    wait_peers(&c, 2, 5000);
    run_for(1000);
    ck_assert_uint_eq(height_of(&c), 0); /* still waiting for the slow peer */
    wait_height(&c, 2, 20000);
    ck_assert_uint_ge(now_ms() - start, 9000);
    tpeer_close(&t);
    node_close(&c);
    node_close(&a);
}
END_TEST

START_TEST(future_blocks_held_back_off_regtest)
{
    struct tnode a, b;
    char addr_a[64];
    /* b's P2P layer sees a network without regtest conveniences (its chain
     * is the same regtest chain). */
    struct chain_params strict = params;
    strict.regtest_rules = false;

    node_open(&a, NULL, 0);
    produce(&a);
    /* A block whose slot starts a million seconds from now. */
    uint64_t future = time_now() + 1000000;
    uint64_t slot = (future - params.genesis_time) / params.slot_seconds;
    pthread_mutex_lock(&a.lock);
    uint64_t gap = slot - chain_tip(a.chain)->hdr.slot;
    pthread_mutex_unlock(&a.lock);
    produce_gap(&a, gap);
    ck_assert_uint_eq(height_of(&a), 2);

    node_address(&a, addr_a, sizeof(addr_a));
    const char *to_a[] = {addr_a};
    p2p_params = &strict;
    node_open(&b, to_a, 1);
    p2p_params = &params;
    wait_height(&b, 1, 10000);
    run_for(1500);
    /* Held back, and nobody punished for it. */
    ck_assert_uint_eq(height_of(&b), 1);
    struct p2p_peer_stats *v;
    ck_assert_uint_eq(stats_of(&b, &v), 1);
    ck_assert_int_eq(v[0].banscore, 0);
    ck_assert_int_eq(v[0].synced_headers, 1);
    free(v);
    /* When the clock reaches the slot, the block is taken. */
    time_set_mock(params_slot_start(&params, slot) - 10);
    wait_height(&b, 2, 15000);
    time_set_mock(0);
    node_close(&b);
    node_close(&a);
}
END_TEST

START_TEST(bodies_out_of_order_and_honest_mistakes)
{
    p2p_v1 = true;
    struct tnode a, b;
    struct tpeer t;
    struct wbuf w;
    const int n = 8;

    node_open(&a, NULL, 0);
    for (int i = 0; i < n; i++)
        produce(&a);
    node_open(&b, NULL, 0);
    tpeer_connect(&t, &b);
    tpeer_handshake(&t, &b);
    ck_assert(tpeer_wait(&t, "getheaders", NULL, 5000));

    /* Headers 1..6, then the bodies newest first: each waits for its
     * parent's, and all connect when block 1 arrives. */
    struct block_header hdrs[8];
    pthread_mutex_lock(&a.lock);
    for (int i = 0; i < 6; i++)
        hdrs[i] = chain_at(a.chain, (uint64_t)i + 1)->hdr;
    pthread_mutex_unlock(&a.lock);
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, hdrs, 6);
    tpeer_send(&t, "headers", w.data, w.len);
    wbuf_free(&w);
    ck_assert(tpeer_wait(&t, "getdata", NULL, 5000));
    for (int h = 6; h >= 1; h--) {
        read_raw_block(&a, (uint64_t)h, &w);
        tpeer_send(&t, "block", w.data, w.len);
        wbuf_free(&w);
    }
    wait_height(&b, 6, 10000);
    ck_assert_int_eq(score_after(&b, &t, 50), 0);

    /* A block we already have: late, not punished. */
    read_raw_block(&a, 3, &w);
    tpeer_send(&t, "block", w.data, w.len);
    wbuf_free(&w);
    /* A block whose parent we have never heard of: not punished, and we
     * ask for headers. */
    read_raw_block(&a, 8, &w);
    tpeer_send(&t, "block", w.data, w.len);
    wbuf_free(&w);
    ck_assert(tpeer_wait(&t, "getheaders", NULL, 5000));
    /* A transaction whose nonce is ahead of its sender's: dropped, not
     * punished. */
    struct tx tx;
    make_transfer(&tx, 2, COIN, 7);
    wbuf_init(&w);
    tx_encode(&tx, &w);
    tx_free(&tx);
    tpeer_send(&t, "tx", w.data, w.len);
    wbuf_free(&w);
    /* An unknown command is skipped. */
    tpeer_send(&t, "sendcmpct", (const uint8_t *)"\x00\x01", 2);
    ck_assert_int_eq(score_after(&b, &t, 200), 0);
    ck_assert_uint_eq(height_of(&b), 6);
    pthread_mutex_lock(&b.lock);
    ck_assert_uint_eq(mempool_count(b.mp), 0);
    pthread_mutex_unlock(&b.lock);

    /* The node serves what it has: getdata for block 2 and an unknown tx. */
    struct p2p_inv req[2] = {{.type = P2P_INV_BLOCK}, {.type = P2P_INV_TX}};
    memcpy(req[0].hash, hdrs[1].prev, HASH_SIZE); /* block 1's hash */
    memset(req[1].hash, 0x77, HASH_SIZE);
    wbuf_init(&w);
    p2p_msg_encode_inv(&w, req, 2);
    tpeer_send(&t, "getdata", w.data, w.len);
    wbuf_free(&w);
    struct wbuf got;
    ck_assert(tpeer_wait(&t, "block", &got, 5000));
    struct wbuf raw1;
    read_raw_block(&a, 1, &raw1);
    ck_assert_uint_eq(got.len, raw1.len);
    ck_assert_mem_eq(got.data, raw1.data, raw1.len);
    wbuf_free(&got);
    wbuf_free(&raw1);
    ck_assert(tpeer_wait(&t, "notfound", &got, 5000));
    struct p2p_msg_inv nf;
    ck_assert(p2p_msg_decode_inv(got.data, got.len, &nf));
    ck_assert_uint_eq(nf.n, 1);
    ck_assert_mem_eq(nf.v[0].hash, req[1].hash, HASH_SIZE);
    p2p_msg_inv_free(&nf);
    wbuf_free(&got);

    /* getheaders from genesis: the node's six. */
    struct p2p_msg_getheaders *gh = calloc(1, sizeof(*gh));
    ck_assert_ptr_nonnull(gh);
    gh->n = 1;
    memcpy(gh->locator[0], params.genesis_hash, HASH_SIZE);
    wbuf_init(&w);
    p2p_msg_encode_getheaders(&w, gh);
    free(gh);
    tpeer_send(&t, "getheaders", w.data, w.len);
    wbuf_free(&w);
    ck_assert(tpeer_wait(&t, "headers", &got, 5000));
    struct p2p_msg_headers hm;
    ck_assert(p2p_msg_decode_headers(got.data, got.len, &hm));
    ck_assert_uint_eq(hm.n, 6);
    ck_assert_uint_eq(hm.v[5].height, 6);
    p2p_msg_headers_free(&hm);
    wbuf_free(&got);

    tpeer_close(&t);
    node_close(&b);
    node_close(&a);
}
END_TEST

START_TEST(garbage_gets_banned_honest_peers_stay)
{
    p2p_v1 = true;
    struct tnode a, b;
    struct tpeer t;
    char addr_a[64];

    node_open(&a, NULL, 0);
    node_address(&a, addr_a, sizeof(addr_a));
    const char *to_a[] = {addr_a};
    node_open(&b, to_a, 1);
    wait_peers(&a, 1, 5000);

    tpeer_connect(&t, &a);
    tpeer_send_raw(&t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    ck_assert(tpeer_closed_within(&t, 5000));
    tpeer_close(&t);
    ck_assert_uint_eq(banned_count(&a, "127.0.0.1/32"), 1);
    /* A banned address is refused at once. */
    tpeer_connect(&t, &a);
    ck_assert(tpeer_closed_within(&t, 5000));
    tpeer_close(&t);
    /* The honest peer is still connected and served. */
    produce(&a);
    wait_height(&b, 1, 10000);
    ck_assert_uint_eq(handshaked_peers(&a), 1);

    /* The ban is kept across a restart. */
    p2p_stop(a.p2p);
    node_start_p2p(&a, NULL, 0, 0, 0);
    ck_assert_uint_eq(banned_count(&a, "127.0.0.1/32"), 1);
    clear_bans(&a);
    ck_assert_uint_eq(banned_count(&a, NULL), 0);
    tpeer_connect(&t, &a);
    tpeer_handshake(&t, &a);
    tpeer_close(&t);

    node_close(&b);
    node_close(&a);
}
END_TEST

static size_t peer_count(struct tnode *n)
{
    struct p2p_peer_stats *v;
    size_t count = stats_of(n, &v);
    free(v);
    return count;
}

/* Opens a test connection and waits until the node counts it. */
static void tpeer_connect_counted(struct tpeer *t, struct tnode *n, size_t want)
{
    uint64_t end = now_ms() + 5000;
    tpeer_connect(t, n);
    while (peer_count(n) != want) {
        ck_assert_msg(now_ms() < end, "expected %zu peers, have %zu", want, peer_count(n));
        pump();
    }
}

/* With the inbound slots full, a new connection evicts the youngest peer
 * that is not protected (the older half is, and one with a measured ping),
 * never refusing the new one while someone can go; with no inbound slots at
 * all, it is refused. */
START_TEST(full_inbound_slots_evict_the_youngest_unprotected)
{
    p2p_v1 = true;
    struct tnode a, b;
    struct tpeer t[5];

    p2p_max_connections = P2P_DEFAULT_MAX_OUTBOUND + 3; /* 3 inbound slots */
    node_open(&a, NULL, 0);
    for (size_t i = 0; i < 3; i++)
        tpeer_connect_counted(&t[i], &a, i + 1);
    tpeer_connect(&t[3], &a);
    ck_assert(tpeer_closed_within(&t[2], 5000));
    ck_assert(!tpeer_closed_within(&t[0], 300));
    ck_assert(!tpeer_closed_within(&t[1], 300));
    ck_assert(!tpeer_closed_within(&t[3], 300));
    ck_assert_uint_eq(peer_count(&a), 3);
    /* Again: the oldest stays protected, the newest of the others goes. */
    tpeer_connect(&t[4], &a);
    ck_assert(tpeer_closed_within(&t[3], 5000));
    ck_assert(!tpeer_closed_within(&t[0], 300));
    ck_assert(!tpeer_closed_within(&t[1], 300));
    ck_assert(!tpeer_closed_within(&t[4], 300));
    ck_assert_uint_eq(peer_count(&a), 3);
    /* A peer that answered a ping is protected even as the youngest: the
     * youngest of the rest goes (t[1]; t[0] is the older half). */
    struct wbuf ping;
    tpeer_handshake(&t[4], &a);
    ck_assert(tpeer_wait(&t[4], "ping", &ping, 5000));
    tpeer_send(&t[4], "pong", ping.data, ping.len);
    wbuf_free(&ping);
    uint64_t end = now_ms() + 5000;
    for (bool pinged = false; !pinged;) {
        struct p2p_peer_stats *v;
        size_t count = stats_of(&a, &v);
        for (size_t i = 0; i < count; i++)
            pinged |= v[i].has_ping;
        free(v);
        ck_assert_msg(pinged || now_ms() < end, "the pong was not taken");
        pump();
    }
    tpeer_close(&t[2]); /* closed by the node above */
    tpeer_connect(&t[2], &a);
    ck_assert(tpeer_closed_within(&t[1], 5000));
    ck_assert(!tpeer_closed_within(&t[0], 300));
    ck_assert(!tpeer_closed_within(&t[4], 300));
    ck_assert(!tpeer_closed_within(&t[2], 300));
    for (size_t i = 0; i < 5; i++)
        tpeer_close(&t[i]);

    p2p_max_connections = P2P_DEFAULT_MAX_OUTBOUND; /* no inbound slots */
    node_open(&b, NULL, 0);
    p2p_max_connections = 0;
    tpeer_connect(&t[0], &b);
    ck_assert(tpeer_closed_within(&t[0], 5000));
    tpeer_close(&t[0]);
    ck_assert_uint_eq(peer_count(&b), 0);
    node_close(&b);
    node_close(&a);
}
END_TEST

/* ---- Addresses learned on regtest ---- */

/* What the node hands out to getaddr: the address book's contents. */
static size_t book_of(struct tnode *n, struct p2p_timed_addr *out, size_t max)
{
    struct tpeer t;
    struct wbuf w;
    struct p2p_msg_addr m;
    tpeer_connect(&t, n);
    tpeer_handshake(&t, n);
    tpeer_send(&t, "getaddr", NULL, 0);
    ck_assert(tpeer_wait(&t, "addr", &w, 5000));
    ck_assert(p2p_msg_decode_addr(w.data, w.len, &m));
    wbuf_free(&w);
    tpeer_close(&t);
    size_t k = m.n < max ? m.n : max;
    memcpy(out, m.v, k * sizeof(*out));
    p2p_msg_addr_free(&m);
    return k;
}

static bool book_has(const struct p2p_timed_addr *v, size_t n, const char *text)
{
    struct p2p_addr a;
    ck_assert(p2p_addr_parse(text, 0, &a));
    for (size_t i = 0; i < n; i++)
        if (p2p_addr_equal(&v[i].addr, &a))
            return true;
    return false;
}

/* A peer tells a regtest node about addresses outside the machine: the node
 * keeps (and so could dial, relay or hand out) only the loopback ones.  The
 * node runs with -connect (no address-book connections), so nothing is ever
 * dialed here, whatever it keeps. */
START_TEST(regtest_keeps_only_loopback_addresses_it_learns)
{
    p2p_v1 = true;
    static const char *const outside[] = {"203.0.113.7:28733", "198.51.100.9:28733",
                                          "[2001:db8::5]:28733", "10.1.2.3:28733",
                                          "192.168.1.20:28733"};
    static const char *const inside[] = {"127.0.0.1:40001", "127.0.0.5:40002", "[::1]:40003"};
    struct p2p_timed_addr v[8], book[64];
    struct tnode a;
    struct tpeer t;
    struct wbuf w;
    size_t n = 0;
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++, n++)
        ck_assert(p2p_addr_parse(outside[i], 0, &v[n].addr));
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++, n++)
        ck_assert(p2p_addr_parse(inside[i], 0, &v[n].addr));
    for (size_t i = 0; i < n; i++) {
        v[i].time = time_now() - 60;
        v[i].services = P2P_SERVICE_NETWORK;
    }

    node_open(&a, NULL, 0);
    tpeer_connect(&t, &a);
    tpeer_handshake(&t, &a);
    wbuf_init(&w);
    p2p_msg_encode_addr(&w, v, n);
    tpeer_send(&t, "addr", w.data, w.len);
    wbuf_free(&w);
    tpeer_send(&t, "ping", (const uint8_t *)"12345678", 8);
    ck_assert(tpeer_wait(&t, "pong", NULL, 5000));
    tpeer_close(&t);
    wait_peers(&a, 0, 5000);

    size_t k = book_of(&a, book, 64);
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
        ck_assert_msg(!book_has(book, k, outside[i]), "a regtest node kept %s", outside[i]);
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
        ck_assert_msg(book_has(book, k, inside[i]), "%s was not kept", inside[i]);
    ck_assert_uint_eq(k, sizeof(inside) / sizeof(inside[0]));
    node_close(&a);

    /* With -dialnonlocal they are all kept (this node has -connect too, so
     * it still dials nothing). */
    p2p_dial_nonlocal = true;
    node_open(&a, NULL, 0);
    p2p_dial_nonlocal = false;
    tpeer_connect(&t, &a);
    tpeer_handshake(&t, &a);
    wbuf_init(&w);
    p2p_msg_encode_addr(&w, v, n);
    tpeer_send(&t, "addr", w.data, w.len);
    wbuf_free(&w);
    tpeer_send(&t, "ping", (const uint8_t *)"12345678", 8);
    ck_assert(tpeer_wait(&t, "pong", NULL, 5000));
    tpeer_close(&t);
    wait_peers(&a, 0, 5000);
    k = book_of(&a, book, 64);
    ck_assert_uint_eq(k, n);
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
        ck_assert(book_has(book, k, outside[i]));
    node_close(&a);

    /* -dialnonlocal is a test-network option. */
    struct chain_params main_params;
    struct p2p_options o;
    char err[256] = "";
    ck_assert(params_init(&main_params, NET_MAIN));
    p2p_options_init(&o);
    o.listen = false;
    o.connect_only = true;
    o.dial_nonlocal = true;
    node_open(&a, NULL, 0);
    struct p2p_env env = {&main_params, a.chain, a.mp, &a.lock};
    ck_assert_ptr_null(p2p_start(base, &o, &env, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "-dialnonlocal"));
    node_close(&a);
    params_free(&main_params);
}
END_TEST

START_TEST(misbehaviour_scores)
{
    p2p_v1 = true;
    struct tnode a, b;
    struct tpeer t;
    struct wbuf w;

    node_open(&a, NULL, 0);
    for (int i = 0; i < 3; i++)
        produce(&a);
    node_open(&b, NULL, 0);

    /* Bad checksums: 20 points each, banned at the fifth. */
    tpeer_connect(&t, &b);
    tpeer_handshake(&t, &b);
    uint8_t ping[P2P_HEADER_SIZE + 8];
    wbuf_init(&w);
    p2p_frame_encode(&w, params.magic, "ping", (const uint8_t *)"12345678", 8);
    memcpy(ping, w.data, sizeof(ping));
    wbuf_free(&w);
    ping[20] ^= 1;
    for (int i = 1; i <= 4; i++) {
        tpeer_send_raw(&t, ping, sizeof(ping));
        ck_assert_int_eq(score_after(&b, &t, 100), 20 * i);
    }
    tpeer_send_raw(&t, ping, sizeof(ping));
    ck_assert(tpeer_closed_within(&t, 5000));
    tpeer_close(&t);
    ck_assert_uint_eq(banned_count(&b, "127.0.0.1/32"), 1);
    clear_bans(&b);

    /* Bad encoding, headers that do not chain, headers that do not connect,
     * then an invalid block. */
    tpeer_connect(&t, &b);
    tpeer_handshake(&t, &b);
    tpeer_send(&t, "ping", (const uint8_t *)"1234", 4);
    ck_assert_int_eq(score_after(&b, &t, 100), 20);
    struct block_header hdrs[2];
    pthread_mutex_lock(&a.lock);
    hdrs[0] = chain_at(a.chain, 1)->hdr;
    hdrs[1] = chain_at(a.chain, 3)->hdr;
    pthread_mutex_unlock(&a.lock);
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, hdrs, 2);
    tpeer_send(&t, "headers", w.data, w.len);
    wbuf_free(&w);
    ck_assert_int_eq(score_after(&b, &t, 100), 40);
    wbuf_init(&w);
    p2p_msg_encode_headers(&w, &hdrs[1], 1); /* parent unknown to b */
    for (int i = 0; i < 9; i++)
        tpeer_send(&t, "headers", w.data, w.len);
    ck_assert_int_eq(score_after(&b, &t, 200), 40);
    tpeer_send(&t, "headers", w.data, w.len);
    wbuf_free(&w);
    ck_assert_int_eq(score_after(&b, &t, 100), 60);
    read_raw_block(&a, 1, &w);
    w.data[BLOCK_HEADER_SIZE - 1] ^= 1; /* the proposer's signature */
    tpeer_send(&t, "block", w.data, w.len);
    wbuf_free(&w);
    ck_assert(tpeer_closed_within(&t, 5000));
    tpeer_close(&t);
    ck_assert_uint_eq(height_of(&b), 0);
    clear_bans(&b);

    /* An oversized length: banned before the payload is sent. */
    tpeer_connect(&t, &b);
    tpeer_handshake(&t, &b);
    uint8_t hdr[P2P_HEADER_SIZE] = {0};
    memcpy(hdr, params.magic, 4);
    memcpy(hdr + 4, "headers", 7);
    write_le32(hdr + 16, p2p_msg_max_payload(P2P_MSG_HEADERS, params.max_block_size) + 1);
    tpeer_send_raw(&t, hdr, sizeof(hdr));
    ck_assert(tpeer_closed_within(&t, 5000));
    tpeer_close(&t);
    clear_bans(&b);

    /* A message before version; then an inventory flood. */
    tpeer_connect(&t, &b);
    tpeer_send(&t, "getaddr", NULL, 0);
    run_for(100);
    tpeer_handshake(&t, &b);
    ck_assert_int_eq(score_after(&b, &t, 50), 10);
    struct p2p_inv *inv = calloc(P2P_MAX_INV, sizeof(*inv));
    ck_assert_ptr_nonnull(inv);
    for (size_t i = 0; i < P2P_MAX_INV; i++) {
        inv[i].type = P2P_INV_TX;
        randombytes_buf(inv[i].hash, HASH_SIZE);
    }
    wbuf_init(&w);
    p2p_msg_encode_inv(&w, inv, P2P_MAX_INV);
    free(inv);
    /* Two full messages fit the bucket; more, faster than it refills
     * (10,000 entries a second), cost 20 points each.  A slow machine
     * (valgrind) refills while it works, so keep sending until it shows. */
    tpeer_send(&t, "inv", w.data, w.len);
    tpeer_send(&t, "inv", w.data, w.len);
    ck_assert_int_eq(score_after(&b, &t, 100), 10);
    int score = 10;
    for (int i = 0; i < 8 && score == 10; i++) {
        tpeer_send(&t, "inv", w.data, w.len);
        score = score_after(&b, &t, 100);
    }
    wbuf_free(&w);
    ck_assert_int_eq(score, 30);
    tpeer_close(&t);

    node_close(&b);
    node_close(&a);
}
END_TEST

START_TEST(handshake_rules_and_timeouts)
{
    p2p_v1 = true;
    struct tnode a;
    struct tpeer t;
    uint8_t other[HASH_SIZE];
    char self[64];

    node_open(&a, NULL, 0);
    /* Another network: disconnected, not banned. */
    tpeer_connect(&t, &a);
    memset(other, 0x42, sizeof(other));
    tpeer_send_version(&t, other);
    ck_assert(tpeer_closed_within(&t, 5000));
    tpeer_close(&t);
    ck_assert_uint_eq(banned_count(&a, NULL), 0);

    /* A connection to ourselves is noticed and dropped. */
    node_address(&a, self, sizeof(self));
    pthread_mutex_lock(&a.lock);
    ck_assert_int_eq(p2p_addnode(a.p2p, self, P2P_ADDNODE_ONETRY), P2P_ADDNODE_OK);
    ck_assert_int_eq(p2p_addnode(a.p2p, "not-an-ip", P2P_ADDNODE_ADD), P2P_ADDNODE_BAD_ADDRESS);
    ck_assert_int_eq(p2p_addnode(a.p2p, "10.0.0.1", P2P_ADDNODE_REMOVE), P2P_ADDNODE_NOT_ADDED);
    pthread_mutex_unlock(&a.lock);
    run_for(1000);
    ck_assert_uint_eq(handshaked_peers(&a), 0);
    struct p2p_peer_stats *v;
    ck_assert_uint_eq(stats_of(&a, &v), 0);
    free(v);
    ck_assert_uint_eq(banned_count(&a, NULL), 0);

    /* Short timeouts (regtest): a silent peer is dropped after the
     * handshake timeout, a peer that stops answering pings after the peer
     * timeout. */
    p2p_stop(a.p2p);
    node_start_p2p(&a, NULL, 0, 2, 1);
    tpeer_connect(&t, &a);
    uint64_t start = now_ms();
    ck_assert(tpeer_closed_within(&t, 6000));
    ck_assert_uint_ge(now_ms() - start, 1500);
    tpeer_close(&t);
    tpeer_connect(&t, &a);
    tpeer_handshake(&t, &a);
    struct wbuf got;
    ck_assert(tpeer_wait(&t, "ping", &got, 3000));
    wbuf_free(&got);
    start = now_ms();
    ck_assert(tpeer_closed_within(&t, 6000));
    ck_assert_uint_ge(now_ms() - start, 1000);
    tpeer_close(&t);
    node_close(&a);
}
END_TEST

START_TEST(rpc_controls)
{
    struct tnode a, b;
    char addr_a[64];
    node_open(&a, NULL, 0);
    node_open(&b, NULL, 0);
    node_address(&a, addr_a, sizeof(addr_a));
    pthread_mutex_lock(&b.lock);
    ck_assert_int_eq(p2p_addnode(b.p2p, addr_a, P2P_ADDNODE_ADD), P2P_ADDNODE_OK);
    ck_assert_int_eq(p2p_addnode(b.p2p, addr_a, P2P_ADDNODE_ADD), P2P_ADDNODE_ALREADY_ADDED);
    pthread_mutex_unlock(&b.lock);
    wait_peers(&b, 1, 5000);
    wait_peers(&a, 1, 5000);

    /* disconnectnode: the added node comes back. */
    struct p2p_peer_stats *v;
    ck_assert_uint_eq(stats_of(&b, &v), 1);
    int64_t id = v[0].id;
    free(v);
    pthread_mutex_lock(&b.lock);
    ck_assert(p2p_disconnect_id(b.p2p, id));
    ck_assert(!p2p_disconnect_id(b.p2p, id + 100));
    pthread_mutex_unlock(&b.lock);
    run_for(200);
    wait_peers(&b, 1, 5000);
    ck_assert_uint_eq(stats_of(&b, &v), 1);
    ck_assert_int_gt(v[0].id, id);
    free(v);

    /* Removed from the list and disconnected by address: it stays away. */
    pthread_mutex_lock(&b.lock);
    ck_assert_int_eq(p2p_addnode(b.p2p, addr_a, P2P_ADDNODE_REMOVE), P2P_ADDNODE_OK);
    ck_assert_int_eq(p2p_disconnect_address(b.p2p, addr_a), 1);
    ck_assert_int_eq(p2p_disconnect_address(b.p2p, "bad"), -1);
    pthread_mutex_unlock(&b.lock);
    run_for(1500);
    ck_assert_uint_eq(handshaked_peers(&b), 0);

    /* setban covers connected peers and outgoing attempts. */
    pthread_mutex_lock(&b.lock);
    ck_assert_int_eq(p2p_addnode(b.p2p, addr_a, P2P_ADDNODE_ONETRY), P2P_ADDNODE_OK);
    pthread_mutex_unlock(&b.lock);
    wait_peers(&a, 1, 5000);
    struct p2p_subnet net;
    ck_assert(p2p_subnet_parse("127.0.0.0/8", &net));
    pthread_mutex_lock(&a.lock);
    ck_assert(p2p_ban(a.p2p, &net, time_now() + 100));
    ck_assert(!p2p_ban(a.p2p, &net, time_now() + 100));
    pthread_mutex_unlock(&a.lock);
    run_for(300);
    ck_assert_uint_eq(handshaked_peers(&a), 0);
    ck_assert_uint_eq(banned_count(&a, "127.0.0.0/8"), 1);
    pthread_mutex_lock(&a.lock);
    ck_assert(p2p_unban(a.p2p, &net));
    ck_assert(!p2p_unban(a.p2p, &net));
    struct p2p_net_stats st;
    p2p_get_net_stats(a.p2p, &st);
    ck_assert_uint_gt(st.bytes_recv, 0);
    ck_assert_uint_gt(st.bytes_sent, 0);
    ck_assert(st.listening);
    pthread_mutex_unlock(&a.lock);

    node_close(&b);
    node_close(&a);
}
END_TEST


/* ---- The Network RPC methods ---- */

static json_t *rpc_call(const struct rpc_table *t, struct rpc_env *env, const char *method,
                        json_t *args)
{
    int status;
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method,
                            "params", args ? args : json_array());
    ck_assert_ptr_nonnull(req);
    json_t *reply = rpc_execute(t, env, NULL, req, &status);
    json_decref(req);
    ck_assert_ptr_nonnull(reply);
    return reply;
}

/* The result of a call that must succeed (a new reference). */
static json_t *rpc_ok(const struct rpc_table *t, struct rpc_env *env, const char *method,
                      json_t *args)
{
    json_t *reply = rpc_call(t, env, method, args);
    json_t *err = json_object_get(reply, "error");
    ck_assert_msg(!err || json_is_null(err), "%s failed: %s", method,
                  err ? json_string_value(json_object_get(err, "message")) : "");
    json_t *result = json_incref(json_object_get(reply, "result"));
    json_decref(reply);
    return result;
}

/* The error code of a call that must fail. */
static int rpc_code(const struct rpc_table *t, struct rpc_env *env, const char *method,
                    json_t *args)
{
    json_t *reply = rpc_call(t, env, method, args);
    json_t *err = json_object_get(reply, "error");
    ck_assert_msg(err && !json_is_null(err), "%s succeeded", method);
    int code = (int)json_integer_value(json_object_get(err, "code"));
    json_decref(reply);
    return code;
}

START_TEST(rpc_network_methods)
{
    struct tnode a, b;
    char addr_a[64];
    struct rpc_table *t = rpc_table_new();
    ck_assert_ptr_nonnull(t);
    ck_assert(rpc_table_add(t, net_rpc_methods, net_rpc_methods_count));
    node_open(&a, NULL, 0);
    node_open(&b, NULL, 0);
    node_address(&a, addr_a, sizeof(addr_a));
    struct rpc_env env = {.params = &params, .chain = b.chain, .mempool = b.mp, .p2p = b.p2p,
                          .lock = &b.lock};

    /* Every method has full help. */
    for (size_t i = 0; i < net_rpc_methods_count; i++) {
        const struct rpc_method *m = &net_rpc_methods[i];
        char *help = rpc_method_help(m);
        ck_assert_ptr_nonnull(help);
        ck_assert_str_eq(m->category, "Network");
        ck_assert_ptr_nonnull(strstr(help, m->name));
        ck_assert_ptr_nonnull(m->result);
        ck_assert_ptr_nonnull(m->examples);
        free(help);
    }

    /* addnode */
    json_t *r = rpc_ok(t, &env, "addnode", json_pack("[s,s]", addr_a, "add"));
    ck_assert(json_is_null(r));
    json_decref(r);
    ck_assert_int_eq(rpc_code(t, &env, "addnode", json_pack("[s,s]", addr_a, "add")),
                     RPC_CLIENT_NODE_ALREADY_ADDED);
    ck_assert_int_eq(rpc_code(t, &env, "addnode", json_pack("[s,s]", "10.0.0.9", "remove")),
                     RPC_CLIENT_NODE_NOT_ADDED);
    ck_assert_int_eq(rpc_code(t, &env, "addnode", json_pack("[s,s]", addr_a, "sometimes")),
                     RPC_INVALID_PARAMETER);
    ck_assert_int_eq(rpc_code(t, &env, "addnode", json_pack("[s,s]", "host.example", "add")),
                     RPC_INVALID_PARAMETER);
    wait_peers(&b, 1, 5000);
    wait_peers(&a, 1, 5000);

    /* getpeerinfo, getconnectioncount, getnetworkinfo */
    r = rpc_ok(t, &env, "getpeerinfo", NULL);
    ck_assert_uint_eq(json_array_size(r), 1);
    json_t *p = json_array_get(r, 0);
    ck_assert_str_eq(json_string_value(json_object_get(p, "addr")), addr_a);
    ck_assert(json_is_false(json_object_get(p, "inbound")));
    ck_assert_str_eq(json_string_value(json_object_get(p, "connection_type")), "manual");
    ck_assert_str_eq(json_string_value(json_object_get(p, "network")), "ipv4");
    ck_assert_str_eq(json_string_value(json_object_get(p, "services")), "0000000000000001");
    ck_assert_str_eq(json_string_value(json_object_get(p, "subver")), "/fmld:" PACKAGE_VERSION "/");
    ck_assert_int_eq(json_integer_value(json_object_get(p, "version")), P2P_PROTOCOL_VERSION);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "banscore")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "startingheight")), 0);
    ck_assert(json_is_array(json_object_get(p, "inflight")));
    ck_assert(json_integer_value(json_object_get(p, "id")) >= 0);
    json_t *per = json_object_get(p, "bytessent_per_msg");
    ck_assert_int_gt(json_integer_value(json_object_get(per, "version")), 0);
    /* A v2 packet: length, header, short id, payload, tag. */
    ck_assert_int_eq(json_integer_value(json_object_get(per, "version")),
                     V2_EXPANSION + 1 + 4 + 8 + 8 + 26 + 26 + 8 + 1 + 12 + 8 + 32);
    ck_assert_str_eq(json_string_value(json_object_get(p, "transport_protocol_type")), "v2");
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(p, "session_id"))), 64);
    ck_assert(json_is_false(json_object_get(p, "peerkey_verified")));
    ck_assert_str_eq(json_string_value(json_object_get(p, "peerkey")), "");
    ck_assert_int_gt(json_integer_value(json_object_get(p, "bytesrecv")), 0);
    ck_assert_int_gt(json_integer_value(json_object_get(p, "conntime")), 0);
    json_decref(r);
    r = rpc_ok(t, &env, "getconnectioncount", NULL);
    ck_assert_int_eq(json_integer_value(r), 1);
    json_decref(r);
    r = rpc_ok(t, &env, "getnetworkinfo", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "connections")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "connections_out")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "protocolversion")), 1);
    ck_assert(json_is_true(json_object_get(r, "networkactive")));
    ck_assert_str_eq(json_string_value(json_object_get(r, "subversion")), "/fmld:" PACKAGE_VERSION "/");
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(r, "nodekey"))), 64);
    uint64_t units;
    ck_assert(json_amount_units(json_object_get(r, "relayfee"), &units));
    ck_assert_uint_eq(units, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    json_decref(r);
    r = rpc_ok(t, &env, "ping", NULL);
    ck_assert(json_is_null(r));
    json_decref(r);
    run_for(200);
    r = rpc_ok(t, &env, "getpeerinfo", NULL);
    ck_assert(json_is_real(json_object_get(json_array_get(r, 0), "pingtime")));
    json_decref(r);
    r = rpc_ok(t, &env, "getnettotals", NULL);
    ck_assert_int_gt(json_integer_value(json_object_get(r, "totalbytessent")), 0);
    ck_assert_int_gt(json_integer_value(json_object_get(r, "totalbytesrecv")), 0);
    ck_assert_int_gt(json_integer_value(json_object_get(r, "timemillis")), 1600000000000LL);
    ck_assert(json_is_object(json_object_get(r, "uploadtarget")));
    json_decref(r);

    /* disconnectnode */
    ck_assert_int_eq(rpc_code(t, &env, "disconnectnode", NULL), RPC_INVALID_PARAMETER);
    ck_assert_int_eq(rpc_code(t, &env, "disconnectnode", json_pack("[s,i]", addr_a, 0)),
                     RPC_INVALID_PARAMETER);
    ck_assert_int_eq(rpc_code(t, &env, "disconnectnode", json_pack("[s,i]", "", 999)),
                     RPC_CLIENT_NODE_NOT_CONNECTED);
    ck_assert_int_eq(rpc_code(t, &env, "disconnectnode", json_pack("[s]", "10.9.9.9:1")),
                     RPC_CLIENT_NODE_NOT_CONNECTED);
    r = rpc_ok(t, &env, "addnode", json_pack("[s,s]", addr_a, "remove"));
    json_decref(r);
    r = rpc_ok(t, &env, "disconnectnode", json_pack("[s]", addr_a));
    ck_assert(json_is_null(r));
    json_decref(r);
    run_for(300);
    r = rpc_ok(t, &env, "getconnectioncount", NULL);
    ck_assert_int_eq(json_integer_value(r), 0);
    json_decref(r);

    /* setban, listbanned, clearbanned */
    r = rpc_ok(t, &env, "setban", json_pack("[s,s]", "192.168.0.0/16", "add"));
    json_decref(r);
    ck_assert_int_eq(rpc_code(t, &env, "setban", json_pack("[s,s]", "192.168.0.0/16", "add")),
                     RPC_CLIENT_NODE_ALREADY_ADDED);
    ck_assert_int_eq(rpc_code(t, &env, "setban", json_pack("[s,s]", "192.168.0.0/33", "add")),
                     RPC_CLIENT_INVALID_IP_OR_SUBNET);
    ck_assert_int_eq(rpc_code(t, &env, "setban", json_pack("[s,s]", "10.0.0.1", "remove")),
                     RPC_CLIENT_INVALID_IP_OR_SUBNET);
    ck_assert_int_eq(rpc_code(t, &env, "setban", json_pack("[s,s,i,b]", "10.0.0.1", "add", 1000, 1)),
                     RPC_INVALID_PARAMETER);
    ck_assert_int_eq(rpc_code(t, &env, "setban", json_pack("[s,s]", "10.0.0.1", "ban")),
                     RPC_INVALID_PARAMETER);
    r = rpc_ok(t, &env, "setban", json_pack("[s,s,i]", "10.0.0.1", "add", 60));
    json_decref(r);
    r = rpc_ok(t, &env, "listbanned", NULL);
    ck_assert_uint_eq(json_array_size(r), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *e = json_array_get(r, i);
        const char *addr = json_string_value(json_object_get(e, "address"));
        int64_t duration = json_integer_value(json_object_get(e, "ban_duration"));
        if (strcmp(addr, "10.0.0.1/32") == 0)
            ck_assert_int_eq(duration, 60);
        else
            ck_assert_str_eq(addr, "192.168.0.0/16");
        if (strcmp(addr, "192.168.0.0/16") == 0)
            ck_assert_int_eq(duration, P2P_DEFAULT_BANTIME);
        ck_assert_int_le(json_integer_value(json_object_get(e, "time_remaining")), duration);
    }
    json_decref(r);
    r = rpc_ok(t, &env, "setban", json_pack("[s,s]", "10.0.0.1", "remove"));
    json_decref(r);
    r = rpc_ok(t, &env, "clearbanned", NULL);
    json_decref(r);
    r = rpc_ok(t, &env, "listbanned", NULL);
    ck_assert_uint_eq(json_array_size(r), 0);
    json_decref(r);

    /* Without P2P: the bitcoind error, except for getnetworkinfo. */
    env.p2p = NULL;
    ck_assert_int_eq(rpc_code(t, &env, "getpeerinfo", NULL), RPC_CLIENT_P2P_DISABLED);
    ck_assert_int_eq(rpc_code(t, &env, "getconnectioncount", NULL), RPC_CLIENT_P2P_DISABLED);
    ck_assert_int_eq(rpc_code(t, &env, "setban", json_pack("[s,s]", "10.0.0.1", "add")),
                     RPC_CLIENT_P2P_DISABLED);
    r = rpc_ok(t, &env, "getnetworkinfo", NULL);
    ck_assert(json_is_false(json_object_get(r, "networkactive")));
    ck_assert_int_eq(json_integer_value(json_object_get(r, "connections")), 0);
    json_decref(r);

    rpc_table_free(t);
    node_close(&b);
    node_close(&a);
}
END_TEST

Suite *nodes_suite(void);
Suite *nodes_suite(void)
{
    Suite *s = suite_create("p2p nodes");
    TCase *tc = tcase_create("nodes");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, nodes_setup, nodes_teardown);
    tcase_add_test(tc, nodes_sync_relay_and_parallel_download);
    tcase_add_test(tc, partition_heals_to_the_longer_branch);
    tcase_add_test(tc, bodies_out_of_order_and_honest_mistakes);
    tcase_add_test(tc, future_blocks_held_back_off_regtest);
    tcase_add_test(tc, missing_and_stalled_blocks_move_to_another_peer);
    tcase_add_test(tc, garbage_gets_banned_honest_peers_stay);
    tcase_add_test(tc, full_inbound_slots_evict_the_youngest_unprotected);
    tcase_add_test(tc, misbehaviour_scores);
    tcase_add_test(tc, regtest_keeps_only_loopback_addresses_it_learns);
    tcase_add_test(tc, side_blocks_and_wrong_leaders);
    tcase_add_test(tc, handshake_rules_and_timeouts);
    tcase_add_test(tc, rpc_controls);
    tcase_add_test(tc, rpc_network_methods);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(codec_suite());
    srunner_add_suite(sr, framing_suite());
    srunner_add_suite(sr, nodes_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
