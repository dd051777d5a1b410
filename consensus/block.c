/* Block headers and bodies. */
#include "consensus/block.h"
#include "consensus/params.h"
#include "consensus/txtypes.h"

#include <stdlib.h>
#include <string.h>

void header_encode(const struct block_header *h, uint8_t out[BLOCK_HEADER_SIZE])
{
    uint8_t *p = out;
    write_le32(p, h->version), p += 4;
    write_le64(p, h->height), p += 8;
    memcpy(p, h->prev, HASH_SIZE), p += HASH_SIZE;
    write_le64(p, h->slot), p += 8;
    write_le64(p, h->time), p += 8;
    memcpy(p, h->tx_root, HASH_SIZE), p += HASH_SIZE;
    memcpy(p, h->state_root, HASH_SIZE), p += HASH_SIZE;
    memcpy(p, h->proposer, PUBKEY_SIZE), p += PUBKEY_SIZE;
    memcpy(p, h->randao_reveal, HASH_SIZE), p += HASH_SIZE;
    memcpy(p, h->sig, SIG_SIZE);
}

bool header_decode_from(struct block_header *h, struct rbuf *r)
{
    return get_u32(r, &h->version) && get_u64(r, &h->height) &&
           get_bytes(r, h->prev, HASH_SIZE) && get_u64(r, &h->slot) && get_u64(r, &h->time) &&
           get_bytes(r, h->tx_root, HASH_SIZE) && get_bytes(r, h->state_root, HASH_SIZE) &&
           get_bytes(r, h->proposer, PUBKEY_SIZE) && get_bytes(r, h->randao_reveal, HASH_SIZE) &&
           get_bytes(r, h->sig, SIG_SIZE);
}

bool header_decode(struct block_header *h, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return header_decode_from(h, &r) && rbuf_done(&r);
}

void header_hash(const struct block_header *h, uint8_t out[HASH_SIZE])
{
    uint8_t buf[BLOCK_HEADER_SIZE];
    header_encode(h, buf);
    hash_tagged(out, HTAG_BLOCK, buf, sizeof(buf));
}

void header_sighash(const struct block_header *h, const uint8_t genesis[HASH_SIZE],
                    uint8_t out[HASH_SIZE])
{
    uint8_t buf[BLOCK_HEADER_SIZE];
    struct hasher hs;
    header_encode(h, buf);
    hasher_init(&hs, HTAG_BLOCKSIG);
    hasher_write(&hs, genesis, HASH_SIZE);
    hasher_write(&hs, buf, BLOCK_HEADER_SIZE - SIG_SIZE);
    hasher_final(&hs, out);
}

bool header_sign(struct block_header *h, const uint8_t genesis[HASH_SIZE],
                 const uint8_t sec[SECKEY_SIZE], const uint8_t aux[32])
{
    uint8_t msg[HASH_SIZE];
    header_sighash(h, genesis, msg);
    return key_sign(h->sig, msg, sec, aux);
}

bool header_check_sig(const struct block_header *h, const uint8_t genesis[HASH_SIZE])
{
    uint8_t msg[HASH_SIZE];
    header_sighash(h, genesis, msg);
    return key_verify(h->sig, msg, sizeof(msg), h->proposer);
}

void block_init(struct block *b)
{
    memset(b, 0, sizeof(*b));
}

void block_free(struct block *b)
{
    for (size_t i = 0; i < b->ntx; i++)
        tx_free(&b->txs[i]);
    free(b->txs);
    free(b->txids);
    block_init(b);
}

static bool reserve_txs(struct block *b, size_t n)
{
    if (n <= b->cap)
        return true;
    if (n < 2 * b->cap)
        n = 2 * b->cap;
    struct tx *txs = realloc(b->txs, n * sizeof(*txs));
    if (!txs)
        return false;
    b->txs = txs;
    uint8_t (*ids)[HASH_SIZE] = realloc(b->txids, n * sizeof(*ids));
    if (!ids)
        return false;
    b->txids = ids;
    b->cap = n;
    return true;
}

bool block_add_tx(struct block *b, const struct tx *tx)
{
    if (!reserve_txs(b, b->ntx + 1) || !tx_copy(&b->txs[b->ntx], tx))
        return false;
    tx_txid(tx, b->txids[b->ntx]);
    b->ntx++;
    return true;
}

void block_pop_tx(struct block *b)
{
    if (b->ntx == 0)
        return;
    b->ntx--;
    tx_free(&b->txs[b->ntx]);
}

void block_encode(const struct block *b, struct wbuf *w)
{
    uint8_t hdr[BLOCK_HEADER_SIZE];
    header_encode(&b->hdr, hdr);
    put_bytes(w, hdr, sizeof(hdr));
    put_compact(w, b->ntx);
    for (size_t i = 0; i < b->ntx; i++)
        tx_encode(&b->txs[i], w);
}

bool block_decode(struct block *b, const uint8_t *data, size_t len, size_t max_size)
{
    struct rbuf r;
    uint64_t n;
    block_init(b);
    if (len > max_size)
        return false;
    rbuf_init(&r, data, len);
    if (!header_decode_from(&b->hdr, &r))
        return false;
    /* Every transaction takes at least TX_FIXED_SIZE + 1 bytes, which bounds the
     * count by the input before anything is allocated. */
    if (!get_compact(&r, &n, BLOCK_MAX_TXS_DECODE) || n > r.left / (TX_FIXED_SIZE + 1))
        return false;
    if (n && !reserve_txs(b, (size_t)n))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *start = r.p;
        if (!tx_decode_from(&b->txs[i], &r))
            goto fail;
        b->ntx++;
        hash_tagged(b->txids[i], HTAG_TXID, start, (size_t)(r.p - start));
    }
    if (rbuf_done(&r))
        return true;
fail:
    block_free(b);
    return false;
}

void merkle_root(const uint8_t (*leaves)[HASH_SIZE], size_t n, uint8_t out[HASH_SIZE])
{
    if (n == 0) {
        memset(out, 0, HASH_SIZE);
        return;
    }
    uint8_t (*level)[HASH_SIZE] = malloc(n * HASH_SIZE);
    if (!level) {
        /* Out of memory: a zero root never matches a block with transactions. */
        memset(out, 0, HASH_SIZE);
        return;
    }
    memcpy(level, leaves, n * HASH_SIZE);
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i < n; i += 2) {
            if (i + 1 == n) {
                memmove(level[m++], level[i], HASH_SIZE);
            } else {
                uint8_t pair[2 * HASH_SIZE];
                memcpy(pair, level[i], HASH_SIZE);
                memcpy(pair + HASH_SIZE, level[i + 1], HASH_SIZE);
                hash_tagged(level[m++], HTAG_MERKLE, pair, sizeof(pair));
            }
        }
        n = m;
    }
    memcpy(out, level[0], HASH_SIZE);
    free(level);
}

void block_merkle_root(const struct block *b, uint8_t out[HASH_SIZE])
{
    merkle_root((const uint8_t(*)[HASH_SIZE])b->txids, b->ntx, out);
}

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, HASH_SIZE);
}

bool block_check_contents(const struct block *b, const struct chain_params *params,
                          struct validation *v)
{
    uint8_t root[HASH_SIZE];
    size_t size;

    if (b->hdr.version != BLOCK_VERSION)
        return val_failf(v, VAL_CONSENSUS, REJECT_BAD_BLK_VERSION, "version %u", b->hdr.version);
    if (b->ntx > params->max_block_txs)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_TXNS);
    /* The transactions weigh at most max_block_txs block units (a unit is
     * a transfer's validation time; txtypes[].block_units). */
    uint64_t units = 0;
    for (size_t i = 0; i < b->ntx; i++)
        units += txtype_block_units(b->txs[i].type);
    if (units > params->max_block_txs)
        return val_failf(v, VAL_CONSENSUS, REJECT_BAD_BLK_TXNS, "%llu block units, at most %u",
                         (unsigned long long)units, params->max_block_txs);
    size = BLOCK_HEADER_SIZE + compact_size_len(b->ntx);
    for (size_t i = 0; i < b->ntx; i++)
        size += tx_encoded_size(&b->txs[i]);
    if (size > params->max_block_size)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_LENGTH);
    block_merkle_root(b, root);
    if (memcmp(root, b->hdr.tx_root, HASH_SIZE) != 0)
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_MERKLE);
    if (b->ntx > 1) {
        uint8_t (*ids)[HASH_SIZE] = malloc(b->ntx * HASH_SIZE);
        if (!ids)
            return val_fail(v, VAL_ERROR, REJECT_OUT_OF_MEMORY);
        memcpy(ids, b->txids, b->ntx * HASH_SIZE);
        qsort(ids, b->ntx, HASH_SIZE, cmp_hash);
        bool dup = false;
        for (size_t i = 1; i < b->ntx && !dup; i++)
            dup = memcmp(ids[i - 1], ids[i], HASH_SIZE) == 0;
        free(ids);
        if (dup)
            return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_DUPTX);
    }
    if (!header_check_sig(&b->hdr, params->genesis_hash))
        return val_fail(v, VAL_CONSENSUS, REJECT_BAD_BLK_SIG);
    return true;
}

bool block_check(const struct block *b, const struct chain_params *params, struct validation *v)
{
    if (!block_check_contents(b, params, v))
        return false;
    for (size_t i = 0; i < b->ntx; i++)
        if (!tx_check(&b->txs[i], params, v))
            return false;
    return true;
}
