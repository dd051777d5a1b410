/* Fuzz target: every P2P message decoder (p2p/messages.c) and the framing
 * parser (p2p/framing.c).
 *
 * Input: selector u8 | bytes.  A selector below P2P_MSG_COUNT names the
 * message type of a payload; any other makes the bytes a receive stream of
 * framed messages on the regtest magic.  Properties: p2p_msg_check agrees
 * with the type's decoder; what decodes re-encodes to exactly its input; the
 * framing parser never claims more bytes than it was given, and a frame it
 * accepts carries the checksum of its payload. */
#include "tests/fuzz/fuzz.h"

#include "consensus/params.h"
#include "p2p/framing.h"
#include "p2p/messages.h"

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
    else
        fuzz_stream(data + 1, size - 1);
    return 0;
}
