/* The encrypted transport's cost: packets encrypted and decrypted through
 * p2p/v2.c (length cipher, AEAD, rekeys, message contents) against the raw
 * ChaCha20-Poly1305 AEAD of libsodium on the same bytes, at three message
 * sizes (a ping, a transaction, a 1 MB block).  Prints MB/s of payload
 * (encrypt + decrypt) and the ratio.
 *
 *   bench/bench_v2 [-mb=N]    (default 256 MB of payload per size)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "p2p/v2.h"

static const uint8_t MAGIC[4] = {0xfa, 0xbf, 0x4d, 0x4c};

static double run_v2(size_t size, uint64_t total)
{
    uint8_t priv_i[32], priv_r[32], pub_i[32], pub_r[32];
    static struct v2_cipher ci, cr;
    v2_keypair(pub_i, priv_i, MAGIC);
    v2_keypair(pub_r, priv_r, MAGIC);
    if (!v2_cipher_init(&ci, priv_i, pub_i, pub_r, true, MAGIC) ||
        !v2_cipher_init(&cr, priv_r, pub_r, pub_i, false, MAGIC))
        abort();
    uint8_t *payload = malloc(size), *plain = malloc(size + 64);
    randombytes_buf(payload, size);
    struct wbuf c, w;
    wbuf_init(&c);
    wbuf_init(&w);
    uint64_t n = total / size ? total / size : 1;
    double t0 = now_seconds();
    for (uint64_t i = 0; i < n; i++) {
        wbuf_reset(&c);
        wbuf_reset(&w);
        v2_encode_message(&c, P2P_MSG_BLOCK, payload, size);
        v2_encrypt_packet(&ci, &w, c.data, c.len, false);
        uint32_t len = v2_decrypt_length(&cr, w.data);
        bool ignore;
        struct v2_message m;
        if (!v2_decrypt_packet(&cr, w.data + 3, len, plain, &ignore) ||
            v2_decode_message(plain + 1, len, 8u << 20, &m) != V2_MSG_OK || m.length != size)
            abort();
    }
    double dt = now_seconds() - t0;
    wbuf_free(&c);
    wbuf_free(&w);
    free(payload);
    free(plain);
    return (double)n * (double)size / dt / 1e6;
}

static double run_raw(size_t size, uint64_t total)
{
    uint8_t key[32], nonce[12] = {0};
    randombytes_buf(key, sizeof(key));
    uint8_t *payload = malloc(size), *ct = malloc(size + 16), *pt = malloc(size);
    randombytes_buf(payload, size);
    uint64_t n = total / size ? total / size : 1;
    double t0 = now_seconds();
    for (uint64_t i = 0; i < n; i++) {
        memcpy(nonce, &i, sizeof(i));
        crypto_aead_chacha20poly1305_ietf_encrypt(ct, NULL, payload, size, NULL, 0, NULL, nonce,
                                                  key);
        if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct, size + 16, NULL, 0,
                                                      nonce, key) != 0)
            abort();
    }
    double dt = now_seconds() - t0;
    free(payload);
    free(ct);
    free(pt);
    return (double)n * (double)size / dt / 1e6;
}

int main(int argc, char **argv)
{
    uint64_t mb = 256;
    for (int i = 1; i < argc; i++) {
        if (!arg_u64(argv[i], "-mb", &mb)) {
            fprintf(stderr, "usage: %s [-mb=N]\n", argv[0]);
            return 2;
        }
    }
    if (sodium_init() < 0)
        return 1;
    static const size_t sizes[] = {8, 250, 1000000};
    printf("%-10s %14s %14s %8s\n", "payload", "v2 MB/s", "raw AEAD MB/s", "ratio");
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        uint64_t total = (sizes[k] < 1000 ? mb / 8 : mb) << 20;
        double v2 = run_v2(sizes[k], total);
        double raw = run_raw(sizes[k], total);
        printf("%-10zu %14.1f %14.1f %8.2f\n", sizes[k], v2, raw, v2 / raw);
    }
    return 0;
}
