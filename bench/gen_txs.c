/* The benchmarks' transaction generator (see gen_txs.h). */
#include "bench/gen_txs.h"
#include "consensus/accounts.h"
#include "consensus/genesis.h"
#include "consensus/serialize.h"

#include "bench/bench_util.h"
#include "consensus/key.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool gen_init(struct gen *g, size_t n, uint64_t amount)
{
    memset(g, 0, sizeof(*g));
    g->n = n;
    g->amount = amount;
    g->pub = calloc(n, PUBKEY_SIZE);
    g->keypairs = calloc(n, sizeof(secp256k1_keypair));
    g->nonce = calloc(n, sizeof(*g->nonce));
    g->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!g->pub || !g->keypairs || !g->nonce || !g->ctx)
        return false;
    secp256k1_keypair *kp = g->keypairs;
    for (size_t i = 0; i < n; i++) {
        uint8_t sec[SECKEY_SIZE] = {0};
        secp256k1_xonly_pubkey xpk;
        write_be64(sec, (uint64_t)i + 1);
        sec[31] = 0xb7; /* apart from the other benchmarks' derived keys */
        if (secp256k1_keypair_create(g->ctx, &kp[i], sec) != 1 ||
            secp256k1_keypair_xonly_pub(g->ctx, &xpk, NULL, &kp[i]) != 1 ||
            secp256k1_xonly_pubkey_serialize(g->ctx, g->pub[i], &xpk) != 1)
            return false;
    }
    return true;
}

void gen_free(struct gen *g)
{
    free(g->pub);
    free(g->keypairs);
    free(g->nonce);
    if (g->ctx)
        secp256k1_context_destroy(g->ctx);
    memset(g, 0, sizeof(*g));
}

bool gen_fund(const struct gen *g, struct chain_params *p)
{
    struct genesis_alloc *a = realloc(p->allocs, (p->n_allocs + g->n) * sizeof(*a));
    struct block_header hdr;
    if (!a)
        return false;
    p->allocs = a;
    for (size_t i = 0; i < g->n; i++) {
        memcpy(a[p->n_allocs + i].pubkey, g->pub[i], PUBKEY_SIZE);
        a[p->n_allocs + i].amount = g->amount;
    }
    p->n_allocs += g->n;
    return genesis_build(p, &hdr);
}

/* A valid x-only key no account and no earlier call has: the x of a
 * counter's hash, the next counter while it is not on the curve. */
static void fresh_key(struct gen *g, uint8_t out[PUBKEY_SIZE])
{
    secp256k1_xonly_pubkey xpk;
    do {
        uint8_t seed[16] = "fresh-recipient";
        write_be64(seed + 8, g->fresh++);
        crypto_generichash(out, PUBKEY_SIZE, seed, sizeof(seed), NULL, 0);
    } while (secp256k1_xonly_pubkey_parse(g->ctx, &xpk, out) != 1);
}

bool gen_transfers(struct gen *g, const struct chain_params *p, uint64_t fee, struct tx *out,
                   size_t n)
{
    const secp256k1_keypair *kp = g->keypairs;
    for (size_t k = 0; k < n; k++) {
        size_t s = g->next;
        g->next = (g->next + 1) % g->n;
        struct transfer t;
        struct wbuf w;
        uint8_t msg[HASH_SIZE];
        struct tx *tx = &out[k];
        tx_init(tx);
        tx->type = TX_TRANSFER;
        memcpy(tx->sender, g->pub[s], PUBKEY_SIZE);
        tx->nonce = g->nonce[s]++;
        tx->fee = fee;
        if (g->fresh_to)
            fresh_key(g, t.to);
        else
            memcpy(t.to, g->pub[(s + 1) % g->n], PUBKEY_SIZE);
        t.amount = 1;
        wbuf_init(&w);
        transfer_encode(&t, &w);
        bool ok = !w.failed && tx_set_payload(tx, w.data, w.len);
        wbuf_free(&w);
        if (!ok)
            return false;
        tx_sighash(tx, p->genesis_hash, msg);
        if (secp256k1_schnorrsig_sign32(g->ctx, tx->sig, msg, &kp[s], NULL) != 1)
            return false;
    }
    return true;
}

struct verify_job {
    const struct tx *txs;
    const uint8_t (*msgs)[HASH_SIZE];
    size_t from, to;
    bool ok;
};

static void *verify_range(void *arg)
{
    struct verify_job *j = arg;
    j->ok = true;
    for (size_t i = j->from; i < j->to; i++)
        j->ok &= key_verify(j->txs[i].sig, j->msgs[i], HASH_SIZE, j->txs[i].sender);
    return NULL;
}

double gen_verify_bound(const struct tx *txs, size_t n, const struct chain_params *p)
{
    uint8_t (*msgs)[HASH_SIZE] = malloc((n ? n : 1) * HASH_SIZE);
    if (!msgs)
        return -1;
    for (size_t i = 0; i < n; i++)
        tx_sighash(&txs[i], p->genesis_hash, msgs[i]);
    struct verify_job jobs[2] = {{txs, (const uint8_t(*)[HASH_SIZE])msgs, 0, n / 2, false},
                                 {txs, (const uint8_t(*)[HASH_SIZE])msgs, n / 2, n, false}};
    pthread_t th;
    double t0 = now_seconds();
    if (pthread_create(&th, NULL, verify_range, &jobs[1]) != 0) {
        free(msgs);
        return -1;
    }
    verify_range(&jobs[0]);
    pthread_join(th, NULL);
    double t = now_seconds() - t0;
    free(msgs);
    return jobs[0].ok && jobs[1].ok && t > 0 ? (double)n / t : -1;
}
