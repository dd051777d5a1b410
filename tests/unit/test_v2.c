/* The encrypted transport's cipher suite (p2p/v2.c): the published vectors
 * of doc/protocol.md ("Transport v2"), round trips across rekeys, every
 * flipped bit refused, the message contents (short ids, long commands,
 * oversize) and the transport hello with node-key proofs.
 */
#include "p2p/messages.h"
#include "p2p/v2.h"
#include "tests/unit/test_util.h"

static const uint8_t MAGIC[4] = {0xfa, 0xbf, 0x4d, 0x4c};

#define VEC_PUB_I "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c"
#define VEC_PUB_R "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b"
#define VEC_SID "6838bbe0a6e5494fb7973386201daeb7a1edacbd949a51b553e7da4d22feb437"
#define VEC_HELLO "70fcd77bbe96bf372602e2dfd7ef70cc564b493b42"
#define VEC_VERSION_PAYLOAD                                                                     \
    "01000000010000000000000000f1536500000000010000000000000000000000000000000000ffff7f0000013d" \
    "70010000000000000000000000000000000000ffff00000000000001000000000000000d2f666d6c643a76656374" \
    "6f722f00000000000000001111111111111111111111111111111111111111111111111111111111111111"
#define VEC_VERSION                                                                             \
    "ff20212eebca1d8f1b1324109b5da05f982af3c39ce47c2e38377da82997790f0889bc59824f89260e7f3bd1f7" \
    "c754f2ae269cd0f9cf378f078d010d258d1ed9e62af72e1fd3ab5afc3e58b00650dd2657507a196d115073af46" \
    "bad26a80d1ee0a0ad827953b85acf5dc7a3e4ab9393fa09b781224eaa97a1e0a7007ae5ceae91e8d20564dab67" \
    "c162b07f3bb0d06f67268c37f7db558c1fbd7310"

static void vector_keys(uint8_t priv_i[32], uint8_t priv_r[32], uint8_t pub_i[32],
                        uint8_t pub_r[32])
{
    for (int i = 0; i < 32; i++) {
        priv_i[i] = (uint8_t)(1 + i);
        priv_r[i] = (uint8_t)(33 + i);
    }
    crypto_scalarmult_base(pub_i, priv_i);
    crypto_scalarmult_base(pub_r, priv_r);
}

static void pair(struct v2_cipher *ci, struct v2_cipher *cr)
{
    uint8_t priv_i[32], priv_r[32], pub_i[32], pub_r[32];
    vector_keys(priv_i, priv_r, pub_i, pub_r);
    ck_assert(v2_cipher_init(ci, priv_i, pub_i, pub_r, true, MAGIC));
    ck_assert(v2_cipher_init(cr, priv_r, pub_r, pub_i, false, MAGIC));
}

static void assert_hex(const uint8_t *data, size_t n, const char *want)
{
    char *h = test_hex(data, n);
    ck_assert_str_eq(h, want);
    free(h);
}

START_TEST(published_vectors)
{
    uint8_t priv_i[32], priv_r[32], pub_i[32], pub_r[32];
    struct v2_cipher ci, cr;
    struct wbuf w, hello, msg;
    vector_keys(priv_i, priv_r, pub_i, pub_r);
    assert_hex(pub_i, 32, VEC_PUB_I);
    assert_hex(pub_r, 32, VEC_PUB_R);
    pair(&ci, &cr);
    assert_hex(ci.session_id, 32, VEC_SID);
    assert_hex(cr.session_id, 32, VEC_SID);

    wbuf_init(&hello);
    v2_encode_hello(&hello, false, NULL, NULL, ci.session_id, true);
    wbuf_init(&w);
    v2_encrypt_packet(&ci, &w, hello.data, hello.len, false);
    assert_hex(w.data, w.len, VEC_HELLO);
    size_t first = w.len;

    /* The version message of the vector, re-encoded by the node's codec. */
    uint8_t payload[200];
    size_t plen;
    struct p2p_msg_version v;
    ck_assert(test_unhex(payload, sizeof(payload), &plen, VEC_VERSION_PAYLOAD));
    ck_assert(p2p_msg_decode_version(payload, plen, &v));
    ck_assert_uint_eq(v.timestamp, 1700000000);
    ck_assert_str_eq(v.user_agent, "/fmld:vector/");
    wbuf_init(&msg);
    struct wbuf vp;
    wbuf_init(&vp);
    p2p_msg_encode_version(&vp, &v);
    ck_assert_uint_eq(vp.len, plen);
    v2_encode_message(&msg, P2P_MSG_VERSION, vp.data, vp.len);
    wbuf_free(&vp);
    v2_encrypt_packet(&ci, &w, msg.data, msg.len, false);
    assert_hex(w.data + first, w.len - first, VEC_VERSION);

    /* The responder reads both back. */
    uint8_t out[256];
    bool ignore;
    uint32_t len = v2_decrypt_length(&cr, w.data);
    ck_assert_uint_eq(len, 1);
    ck_assert(v2_decrypt_packet(&cr, w.data + 3, len, out, &ignore));
    ck_assert(!ignore);
    struct v2_hello h;
    ck_assert(v2_decode_hello(out + 1, len, &h));
    ck_assert_uint_eq(h.flags, 0);
    len = v2_decrypt_length(&cr, w.data + first);
    ck_assert_uint_eq(len, 1 + plen);
    ck_assert(v2_decrypt_packet(&cr, w.data + first + 3, len, out, &ignore));
    struct v2_message m;
    ck_assert_int_eq(v2_decode_message(out + 1, len, 1000000, &m), V2_MSG_OK);
    ck_assert(m.known && m.type == P2P_MSG_VERSION);
    ck_assert_str_eq(m.command, "version");
    ck_assert_uint_eq(m.length, plen);
    ck_assert(memcmp(m.payload, payload, plen) == 0);
    wbuf_free(&w);
    wbuf_free(&hello);
    wbuf_free(&msg);
}
END_TEST

/* 1000 packets each way (four rekeys), both ends in step; the lengths and
 * ciphertexts of equal plaintexts differ from packet to packet. */
START_TEST(round_trip_across_rekeys)
{
    struct v2_cipher ci, cr;
    pair(&ci, &cr);
    uint8_t plain[300], out[301];
    uint8_t prev[3] = {0};
    memset(plain, 0x5a, sizeof(plain));
    for (int i = 0; i < 1000; i++) {
        struct v2_cipher *tx = (i & 1) ? &cr : &ci, *rx = (i & 1) ? &ci : &cr;
        size_t n = (size_t)(i % 300);
        struct wbuf w;
        wbuf_init(&w);
        v2_encrypt_packet(tx, &w, plain, n, i % 7 == 0);
        ck_assert_uint_eq(w.len, n + V2_EXPANSION);
        if (i > 1 && n == 0)
            ck_assert(memcmp(prev, w.data, 3) != 0);
        memcpy(prev, w.data, 3);
        uint32_t len = v2_decrypt_length(rx, w.data);
        ck_assert_uint_eq(len, n);
        bool ignore;
        ck_assert(v2_decrypt_packet(rx, w.data + 3, len, out, &ignore));
        ck_assert(ignore == (i % 7 == 0));
        ck_assert(memcmp(out + 1, plain, n) == 0);
        wbuf_free(&w);
    }
    ck_assert_uint_eq(ci.send_aead.rekey_counter, 500 / V2_REKEY_INTERVAL);
    ck_assert_uint_eq(cr.recv_len.rekey_counter, 500 / V2_REKEY_INTERVAL);
}
END_TEST

/* A flipped bit anywhere in header, contents or tag fails authentication;
 * in the length it gives a wrong length (the read then fails or waits). */
START_TEST(every_flipped_bit_is_refused)
{
    for (size_t bit = 0; bit < (V2_EXPANSION + 10) * 8; bit++) {
        struct v2_cipher ci, cr;
        pair(&ci, &cr);
        uint8_t plain[10] = "abcdefghi", out[11];
        struct wbuf w;
        wbuf_init(&w);
        v2_encrypt_packet(&ci, &w, plain, sizeof(plain), false);
        w.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        uint32_t len = v2_decrypt_length(&cr, w.data);
        bool ignore;
        if (bit < 24)
            ck_assert_uint_ne(len, sizeof(plain));
        else
            ck_assert(!v2_decrypt_packet(&cr, w.data + 3, len, out, &ignore));
        wbuf_free(&w);
    }
}
END_TEST

START_TEST(wrong_keys_and_degenerate_points)
{
    struct v2_cipher ci, cr, other;
    uint8_t priv[32], pub[32], zero[32] = {0};
    pair(&ci, &cr);
    v2_keypair(pub, priv, MAGIC);
    ck_assert(memcmp(pub, MAGIC, 4) != 0);
    ck_assert(!v2_cipher_init(&other, priv, pub, zero, true, MAGIC));
    /* Another network's magic gives other keys. */
    uint8_t priv_i[32], priv_r[32], pub_i[32], pub_r[32];
    uint8_t magic2[4] = {0xf9, 0x4d, 0x4c, 0xd1};
    vector_keys(priv_i, priv_r, pub_i, pub_r);
    ck_assert(v2_cipher_init(&other, priv_r, pub_r, pub_i, false, magic2));
    ck_assert(memcmp(other.session_id, cr.session_id, 32) != 0);
    struct wbuf w;
    wbuf_init(&w);
    v2_encrypt_packet(&ci, &w, (const uint8_t *)"x", 1, false);
    uint8_t out[2];
    bool ignore;
    (void)v2_decrypt_length(&other, w.data);
    ck_assert(!v2_decrypt_packet(&other, w.data + 3, 1, out, &ignore));
    wbuf_free(&w);
}
END_TEST

START_TEST(message_contents)
{
    struct v2_message m;
    uint8_t buf[64] = {0};
    /* Every type round-trips by short id. */
    for (int t = 0; t < P2P_MSG_COUNT; t++) {
        struct wbuf w;
        wbuf_init(&w);
        ck_assert_uint_eq(v2_short_id((enum p2p_msg_type)t), (unsigned)t + 1);
        v2_encode_message(&w, (enum p2p_msg_type)t, NULL, 0);
        ck_assert_uint_eq(w.len, 1);
        ck_assert_int_eq(v2_decode_message(w.data, w.len, 1000, &m), V2_MSG_OK);
        ck_assert(m.known && (int)m.type == t);
        wbuf_free(&w);
    }
    /* The long form. */
    buf[0] = 0;
    memcpy(buf + 1, "ping", 4);
    ck_assert_int_eq(v2_decode_message(buf, 13 + 8, 1000, &m), V2_MSG_OK);
    ck_assert(m.known && m.type == P2P_MSG_PING && m.length == 8);
    memcpy(buf + 1, "newthing", 8);
    ck_assert_int_eq(v2_decode_message(buf, 13, 1000, &m), V2_MSG_OK);
    ck_assert(!m.known);
    /* Bad forms. */
    ck_assert_int_eq(v2_decode_message(buf, 0, 1000, &m), V2_MSG_BAD_COMMAND);
    ck_assert_int_eq(v2_decode_message(buf, 12, 1000, &m), V2_MSG_BAD_COMMAND);
    buf[1] = 'P';
    ck_assert_int_eq(v2_decode_message(buf, 13, 1000, &m), V2_MSG_BAD_COMMAND);
    /* A later short id is an unknown command. */
    buf[0] = 200;
    ck_assert_int_eq(v2_decode_message(buf, 5, 1000, &m), V2_MSG_OK);
    ck_assert(!m.known);
    /* Over the command's limit. */
    buf[0] = v2_short_id(P2P_MSG_PING);
    ck_assert_int_eq(v2_decode_message(buf, 1 + 9, 1000, &m), V2_MSG_OVERSIZE);
    buf[0] = v2_short_id(P2P_MSG_VERACK);
    ck_assert_int_eq(v2_decode_message(buf, 2, 1000, &m), V2_MSG_OVERSIZE);
}
END_TEST

START_TEST(hello_and_proofs)
{
    struct v2_cipher ci, cr;
    uint8_t pk[32], sk[64], pk2[32], sk2[64];
    struct v2_hello h;
    struct wbuf w;
    pair(&ci, &cr);
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(pk2, sk2);

    wbuf_init(&w);
    v2_encode_hello(&w, true, sk, pk, cr.session_id, false);
    ck_assert_uint_eq(w.len, V2_HELLO_MAX);
    ck_assert(v2_decode_hello(w.data, w.len, &h));
    ck_assert_uint_eq(h.flags, V2_HELLO_WANT | V2_HELLO_PROOF);
    ck_assert(memcmp(h.nodekey, pk, 32) == 0);
    ck_assert(v2_check_proof(&h, ci.session_id, false));
    /* Not as the other role (a reflected proof), nor for another session. */
    ck_assert(!v2_check_proof(&h, ci.session_id, true));
    uint8_t sid2[32];
    memcpy(sid2, ci.session_id, 32);
    sid2[31] ^= 1;
    ck_assert(!v2_check_proof(&h, sid2, false));
    /* Another key claimed with this signature. */
    struct v2_hello forged = h;
    memcpy(forged.nodekey, pk2, 32);
    ck_assert(!v2_check_proof(&forged, ci.session_id, false));
    /* Truncated, trailing, unknown flags. */
    ck_assert(!v2_decode_hello(w.data, w.len - 1, &h));
    ck_assert(!v2_decode_hello(w.data, 1, &h));
    wbuf_free(&w);
    uint8_t b[2] = {0x04, 0};
    ck_assert(!v2_decode_hello(b, 1, &h));
    b[0] = 0;
    ck_assert(!v2_decode_hello(b, 2, &h));
    ck_assert(v2_decode_hello(b, 1, &h));
    ck_assert(!v2_check_proof(&h, ci.session_id, true));
}
END_TEST

int main(void)
{
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("v2");
    TCase *tc = tcase_create("cipher");
    tcase_add_test(tc, published_vectors);
    tcase_add_test(tc, round_trip_across_rekeys);
    tcase_add_test(tc, every_flipped_bit_is_refused);
    tcase_add_test(tc, wrong_keys_and_degenerate_points);
    tcase_add_test(tc, message_contents);
    tcase_add_test(tc, hello_and_proofs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
