/* Fuzz target: every P2P message decoder (p2p/messages.c) and the framing
 * parser (p2p/framing.c).
 *
 * Input: selector u8 | bytes.  A selector below P2P_MSG_COUNT names the
 * message type of a payload; any other makes the bytes a receive stream of
 * framed messages on the regtest magic.  Properties: p2p_msg_check agrees
 * with the type's decoder; what decodes re-encodes to exactly its input; the
 * framing parser never claims more bytes than it was given, and a frame it
 * accepts carries the checksum of its payload.
 *
 * Selector 0xf2: the v2 transport (p2p/v2.c).  The bytes are a flip offset
 * (u16) and packets' contents (u16 length each, at most 64 KiB in all),
 * encrypted by an initiator, the flip offset's byte of the stream flipped
 * when it falls inside it, and read back by a responder as peer.c reads:
 * length, bound, authentication, then the hello (first packet) or a
 * message.  Properties: unflipped, every packet comes back as sent; flipped,
 * no packet from the flipped one on comes back different from what was sent
 * (it fails, or the stream stops). */
#include "tests/fuzz/fuzz.h"

#include "consensus/params.h"
#include "p2p/framing.h"
#include "p2p/messages.h"
#include "p2p/v2.h"

#include <sodium.h>
#include <string.h>

static struct chain_params params;

static void check_same(struct wbuf *w, const uint8_t *p, size_t n)
{
    FUZZ_CHECK(!w->failed && w->len == n && (n == 0 || memcmp(w->data, p, n) == 0));
    wbuf_free(w);
}

/* Decodes with the type's own decoder and re-encodes; returns whether it
 * decoded. */
static bool roundtrip(enum p2p_msg_type t, const uint8_t *p, size_t n)
{
    struct wbuf w;
    wbuf_init(&w);
    switch (t) {
    case P2P_MSG_VERSION: {
        struct p2p_msg_version m;
        if (!p2p_msg_decode_version(p, n, &m))
            return false;
        FUZZ_CHECK(strlen(m.user_agent) <= P2P_MAX_USER_AGENT);
        p2p_msg_encode_version(&w, &m);
        check_same(&w, p, n);
        return true;
    }
    case P2P_MSG_VERACK:
    case P2P_MSG_GETADDR:
        return p2p_msg_decode_empty(p, n);
    case P2P_MSG_PING:
    case P2P_MSG_PONG: {
        uint64_t nonce;
        if (!p2p_msg_decode_nonce(p, n, &nonce))
            return false;
        p2p_msg_encode_nonce(&w, nonce);
        check_same(&w, p, n);
        return true;
    }
    case P2P_MSG_ADDR: {
        struct p2p_msg_addr m;
        if (!p2p_msg_decode_addr(p, n, &m))
            return false;
        FUZZ_CHECK(m.n <= P2P_MAX_ADDR);
        p2p_msg_encode_addr(&w, m.v, m.n);
        p2p_msg_addr_free(&m);
        check_same(&w, p, n);
        return true;
    }
    case P2P_MSG_INV:
    case P2P_MSG_GETDATA:
    case P2P_MSG_NOTFOUND: {
        struct p2p_msg_inv m;
        if (!p2p_msg_decode_inv(p, n, &m))
            return false;
        FUZZ_CHECK(m.n <= P2P_MAX_INV);
        p2p_msg_encode_inv(&w, m.v, m.n);
        p2p_msg_inv_free(&m);
        check_same(&w, p, n);
        return true;
    }
    case P2P_MSG_GETHEADERS: {
        static struct p2p_msg_getheaders m;
        if (!p2p_msg_decode_getheaders(p, n, &m))
            return false;
        FUZZ_CHECK(m.n <= P2P_MAX_LOCATOR);
        p2p_msg_encode_getheaders(&w, &m);
        check_same(&w, p, n);
        return true;
    }
    case P2P_MSG_HEADERS: {
        struct p2p_msg_headers m;
        if (!p2p_msg_decode_headers(p, n, &m))
            return false;
        FUZZ_CHECK(m.n <= P2P_MAX_HEADERS);
        p2p_msg_encode_headers(&w, m.v, m.n);
        p2p_msg_headers_free(&m);
        check_same(&w, p, n);
        return true;
    }
    case P2P_MSG_BLOCK: {
        struct block b;
        if (!p2p_msg_decode_block(p, n, params.max_block_size, &b))
            return false;
        block_encode(&b, &w);
        block_free(&b);
        check_same(&w, p, n);
        return true;
    }
    case P2P_MSG_TX: {
        struct tx tx;
        if (!p2p_msg_decode_tx(p, n, &tx))
            return false;
        tx_encode(&tx, &w);
        tx_free(&tx);
        check_same(&w, p, n);
        return true;
    }
    }
    FUZZ_CHECK(false);
    return false;
}

static void fuzz_message(enum p2p_msg_type t, const uint8_t *p, size_t n)
{
    bool valid = p2p_msg_check(t, p, n, params.max_block_size);
    bool decoded = roundtrip(t, p, n);
    if (valid)
        FUZZ_CHECK(decoded);
    else if (decoded)
        FUZZ_CHECK(n > p2p_msg_max_payload(t, params.max_block_size));
}

static void fuzz_stream(const uint8_t *p, size_t n)
{
    while (n > 0) {
        struct p2p_frame f;
        enum p2p_frame_status s = p2p_frame_parse(p, n, params.magic, params.max_block_size, &f);
        FUZZ_CHECK(p2p_frame_status_name(s) != NULL);
        if (s != P2P_FRAME_OK && s != P2P_FRAME_BAD_CHECKSUM)
            return;
        FUZZ_CHECK(n >= P2P_HEADER_SIZE && n - P2P_HEADER_SIZE >= f.length);
        FUZZ_CHECK(strlen(f.command) >= 1 && strlen(f.command) <= P2P_COMMAND_SIZE);
        if (s == P2P_FRAME_OK) {
            uint8_t sum[4];
            p2p_frame_checksum(p + P2P_HEADER_SIZE, f.length, sum);
            FUZZ_CHECK(memcmp(sum, f.checksum, 4) == 0);
            if (f.known)
                fuzz_message(f.type, p + P2P_HEADER_SIZE, f.length);
        }
        p += P2P_HEADER_SIZE + f.length;
        n -= P2P_HEADER_SIZE + f.length;
    }
}

#define V2_FUZZ_SELECTOR 0xf2
#define V2_FUZZ_MAX (64 * 1024)

static void v2_pair(struct v2_cipher *ci, struct v2_cipher *cr)
{
    uint8_t priv_i[32], priv_r[32], pub_i[32], pub_r[32];
    for (int i = 0; i < 32; i++) {
        priv_i[i] = (uint8_t)(1 + i);
        priv_r[i] = (uint8_t)(33 + i);
    }
    crypto_scalarmult_base(pub_i, priv_i);
    crypto_scalarmult_base(pub_r, priv_r);
    FUZZ_CHECK(v2_cipher_init(ci, priv_i, pub_i, pub_r, true, params.magic));
    FUZZ_CHECK(v2_cipher_init(cr, priv_r, pub_r, pub_i, false, params.magic));
}

static void fuzz_v2(const uint8_t *p, size_t n)
{
    static struct v2_cipher ci, cr;
    const uint8_t *chunk[512];
    size_t chunk_len[512], start[512], n_chunks = 0, total = 0;
    uint32_t max_message = 0;
    for (int t = 0; t < P2P_MSG_COUNT; t++)
        if (p2p_msg_max_payload((enum p2p_msg_type)t, params.max_block_size) > max_message)
            max_message = p2p_msg_max_payload((enum p2p_msg_type)t, params.max_block_size);
    uint32_t max_contents = v2_max_contents(max_message);

    if (n < 2)
        return;
    size_t flip = (size_t)p[0] | (size_t)p[1] << 8;
    p += 2;
    n -= 2;
    while (n >= 2 && n_chunks < 512) {
        size_t len = (size_t)p[0] | (size_t)p[1] << 8;
        p += 2;
        n -= 2;
        if (len > n)
            len = n;
        if (total + len > V2_FUZZ_MAX)
            break;
        chunk[n_chunks] = p;
        chunk_len[n_chunks++] = len;
        total += len;
        p += len;
        n -= len;
    }
    v2_pair(&ci, &cr);
    struct wbuf w;
    wbuf_init(&w);
    for (size_t i = 0; i < n_chunks; i++) {
        start[i] = w.len;
        v2_encrypt_packet(&ci, &w, chunk[i], chunk_len[i], false);
    }
    FUZZ_CHECK(!w.failed);
    bool flipped = flip < w.len;
    if (flipped)
        w.data[flip] ^= 0x01;

    const uint8_t *s = w.data;
    size_t avail = w.len;
    uint8_t *plain = malloc(V2_HEADER_SIZE + (size_t)max_contents);
    FUZZ_CHECK(plain != NULL);
    for (size_t i = 0; avail >= V2_LENGTH_SIZE; i++) {
        uint32_t len = v2_decrypt_length(&cr, s);
        if (len > max_contents)
            break;                     /* peer.c: disconnect */
        size_t rest = V2_HEADER_SIZE + (size_t)len + V2_TAG_SIZE;
        if (avail - V2_LENGTH_SIZE < rest)
            break;                     /* peer.c: waits for bytes that never come */
        bool ignore;
        bool ok = v2_decrypt_packet(&cr, s + V2_LENGTH_SIZE, len, plain, &ignore);
        if (!flipped || (i < n_chunks && flip >= start[i] + V2_LENGTH_SIZE + rest))
            FUZZ_CHECK(ok);            /* untouched packets before the flip */
        if (!ok)
            break;                     /* peer.c: disconnect */
        /* Whatever authenticates is exactly what was sent. */
        FUZZ_CHECK(i < n_chunks && len == chunk_len[i] && !ignore);
        FUZZ_CHECK(len == 0 || memcmp(plain + 1, chunk[i], len) == 0);
        if (i == 0) {
            struct v2_hello h;
            if (v2_decode_hello(plain + 1, len, &h)) {
                bool proven = v2_check_proof(&h, cr.session_id, true);
                FUZZ_CHECK(!proven || (h.flags & V2_HELLO_PROOF));
            }
        } else {
            struct v2_message m;
            if (v2_decode_message(plain + 1, len, params.max_block_size, &m) == V2_MSG_OK) {
                FUZZ_CHECK(m.length <= len && m.payload + m.length == plain + 1 + len);
                if (m.known)
                    fuzz_message(m.type, m.payload, m.length);
            }
        }
        s += V2_LENGTH_SIZE + rest;
        avail -= V2_LENGTH_SIZE + rest;
    }
    if (!flipped)
        FUZZ_CHECK(avail == 0);
    free(plain);
    wbuf_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        FUZZ_CHECK(sodium_init() >= 0);
        FUZZ_CHECK(params_init(&params, NET_REGTEST));
        ready = true;
    }
    if (size < 1)
        return 0;
    if (data[0] < P2P_MSG_COUNT)
        fuzz_message((enum p2p_msg_type)data[0], data + 1, size - 1);
    else if (data[0] == V2_FUZZ_SELECTOR)
        fuzz_v2(data + 1, size - 1);
    else
        fuzz_stream(data + 1, size - 1);
    return 0;
}
