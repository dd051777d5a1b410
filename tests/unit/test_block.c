/* Blocks: the 252-byte header, the block encoding, the Merkle root of the
 * txids, the regtest genesis header and block_check's reject reasons.
 *
 * The genesis vector and the Merkle roots of 0..9 leaves were recomputed
 * independently (Python, from the layout in doc/protocol.md); the Merkle
 * roots are also recomputed here by a separate implementation. */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/block.h"
#include "consensus/fltx.h"
#include "consensus/genesis.h"
#include "consensus/params.h"
#include "consensus/tx.h"
#include "consensus/txtypes.h"

#include "tests/unit/test_util.h"

static struct chain_params regtest, testnet;
static uint8_t secrets[REGTEST_VALIDATORS][SECKEY_SIZE];
static uint8_t pubs[REGTEST_VALIDATORS][PUBKEY_SIZE];

#define GENESIS_STATE_ROOT "d2e4a72ae6d8306d59379bbf6194dcdba72193730aa709fb65be9e4bb51e88a4"
#define GENESIS_HASH "90b8c85610dcddefaacb62beea9df6b1f42a6eada2843f236ec09a0ca4dafebb"
/* version 1, height 0, prev 0, slot 0, time 1767225600, tx_root 0,
 * state_root, proposer 0, randao_reveal 0, sig 0. */
#define GENESIS_HEADER                                                          \
    "01000000" "0000000000000000"                                               \
    "0000000000000000000000000000000000000000000000000000000000000000"          \
    "0000000000000000" "00b9556900000000"                                       \
    "0000000000000000000000000000000000000000000000000000000000000000"          \
    GENESIS_STATE_ROOT                                                          \
    "0000000000000000000000000000000000000000000000000000000000000000"          \
    "0000000000000000000000000000000000000000000000000000000000000000"          \
    "0000000000000000000000000000000000000000000000000000000000000000"          \
    "0000000000000000000000000000000000000000000000000000000000000000"

static void setup_once(void)
{
    if (sodium_init() < 0 || !params_init(&regtest, NET_REGTEST) ||
        !params_init(&testnet, NET_TEST)) {
        fprintf(stderr, "setup failed\n");
        exit(EXIT_FAILURE);
    }
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        params_regtest_secret(i, secrets[i]);
        if (!key_pubkey(pubs[i], secrets[i]))
            exit(EXIT_FAILURE);
    }
}

static void make_transfer(struct tx *tx, const struct chain_params *params, int from, int to,
                          uint64_t amount, uint64_t nonce)
{
    struct transfer t;
    struct wbuf w;
    tx_init(tx);
    tx->type = TX_TRANSFER;
    memcpy(tx->sender, pubs[from], PUBKEY_SIZE);
    tx->nonce = nonce;
    tx->fee = 1000;
    memcpy(t.to, pubs[to], PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    ck_assert(tx_set_payload(tx, w.data, w.len));
    wbuf_free(&w);
    ck_assert(tx_sign(tx, params->genesis_hash, secrets[from], NULL));
}

/* A header with a distinct value in every field. */
static void sample_header(struct block_header *h)
{
    memset(h, 0, sizeof(*h));
    h->version = BLOCK_VERSION;
    h->height = UINT64_C(0x0102030405060708);
    memset(h->prev, 0xa1, HASH_SIZE);
    h->slot = UINT64_C(0x1112131415161718);
    h->time = UINT64_C(0x2122232425262728);
    memset(h->tx_root, 0xa2, HASH_SIZE);
    memset(h->state_root, 0xa3, HASH_SIZE);
    memcpy(h->proposer, pubs[0], PUBKEY_SIZE);
    memset(h->randao_reveal, 0xa4, HASH_SIZE);
    memset(h->sig, 0xa5, SIG_SIZE);
}

/* Finishes a block: Merkle root, then the proposer's signature. */
static void seal(struct block *b, const struct chain_params *params, int proposer)
{
    memcpy(b->hdr.proposer, pubs[proposer], PUBKEY_SIZE);
    block_merkle_root(b, b->hdr.tx_root);
    ck_assert(header_sign(&b->hdr, params->genesis_hash, secrets[proposer], NULL));
}

/* A block at height 1 with n transfers from validator 0. */
static void make_block(struct block *b, size_t n)
{
    block_init(b);
    b->hdr.version = BLOCK_VERSION;
    b->hdr.height = 1;
    memcpy(b->hdr.prev, regtest.genesis_hash, HASH_SIZE);
    b->hdr.slot = 1;
    b->hdr.time = regtest.genesis_time + 1;
    for (size_t i = 0; i < n; i++) {
        struct tx tx;
        make_transfer(&tx, &regtest, 0, 1 + (int)(i % 3), 1 + i, i);
        ck_assert(block_add_tx(b, &tx));
        tx_free(&tx);
    }
    seal(b, &regtest, 0);
}

static void expect_reject(const struct block *b, const char *reason)
{
    struct validation v;
    val_init(&v);
    ck_assert_msg(!block_check(b, &regtest, &v), "accepted, expected %s", reason);
    ck_assert_str_eq(v.reason, reason);
}

static void expect_ok(const struct block *b)
{
    struct validation v;
    val_init(&v);
    ck_assert_msg(block_check(b, &regtest, &v), "rejected: %s %s", v.reason, v.detail);
}

static uint8_t *encode_block(const struct block *b, size_t *len)
{
    struct wbuf w;
    wbuf_init(&w);
    block_encode(b, &w);
    ck_assert(!w.failed);
    return wbuf_take(&w, len);
}

/* ---- header ------------------------------------------------------------ */

/* Headers are equal when their encodings are (the structs have padding). */
static bool same_header(const struct block_header *a, const struct block_header *b)
{
    uint8_t ea[BLOCK_HEADER_SIZE], eb[BLOCK_HEADER_SIZE];
    header_encode(a, ea);
    header_encode(b, eb);
    return memcmp(ea, eb, BLOCK_HEADER_SIZE) == 0;
}

/* The header layout, spelled independently with the generic writers:
 * fields in order, little-endian integers, 252 bytes. */
START_TEST(test_header_layout)
{
    struct block_header h, back;
    uint8_t enc[BLOCK_HEADER_SIZE];
    struct wbuf w;

    ck_assert_uint_eq(BLOCK_HEADER_SIZE, 252);
    sample_header(&h);
    header_encode(&h, enc);
    wbuf_init(&w);
    put_u32(&w, h.version);
    put_u64(&w, h.height);
    put_bytes(&w, h.prev, 32);
    put_u64(&w, h.slot);
    put_u64(&w, h.time);
    put_bytes(&w, h.tx_root, 32);
    put_bytes(&w, h.state_root, 32);
    put_bytes(&w, h.proposer, 32);
    put_bytes(&w, h.randao_reveal, 32);
    put_bytes(&w, h.sig, 64);
    ck_assert_uint_eq(w.len, BLOCK_HEADER_SIZE);
    ck_assert(memcmp(w.data, enc, BLOCK_HEADER_SIZE) == 0);
    wbuf_free(&w);

    ck_assert(header_decode(&back, enc, sizeof(enc)));
    ck_assert(same_header(&back, &h));
    ck_assert_uint_eq(back.height, h.height);
    ck_assert_uint_eq(back.slot, h.slot);
    ck_assert_uint_eq(back.time, h.time);
}
END_TEST

START_TEST(test_header_truncation)
{
    struct block_header h, back;
    uint8_t enc[BLOCK_HEADER_SIZE + 1];
    sample_header(&h);
    header_encode(&h, enc);
    for (size_t len = 0; len < BLOCK_HEADER_SIZE; len++)
        ck_assert_msg(!header_decode(&back, enc, len), "cut at %zu decoded", len);
    enc[BLOCK_HEADER_SIZE] = 0;
    ck_assert(!header_decode(&back, enc, BLOCK_HEADER_SIZE + 1));
}
END_TEST

/* Block hash = tagged hash of all 252 bytes; the proposer signs the tagged
 * hash of genesis | first 188 bytes, which covers every field but sig. */
START_TEST(test_header_hash_and_signature)
{
    struct block_header h;
    uint8_t enc[BLOCK_HEADER_SIZE], hash[HASH_SIZE], direct[HASH_SIZE], sh[HASH_SIZE], base[HASH_SIZE];
    struct hasher hs;

    sample_header(&h);
    header_encode(&h, enc);
    header_hash(&h, hash);
    hash_tagged(direct, HTAG_BLOCK, enc, sizeof(enc));
    ck_assert(memcmp(hash, direct, HASH_SIZE) == 0);

    header_sighash(&h, regtest.genesis_hash, base);
    hasher_init(&hs, HTAG_BLOCKSIG);
    hasher_write(&hs, regtest.genesis_hash, HASH_SIZE);
    hasher_write(&hs, enc, BLOCK_HEADER_SIZE - SIG_SIZE);
    hasher_final(&hs, direct);
    ck_assert(memcmp(base, direct, HASH_SIZE) == 0);

    ck_assert(header_sign(&h, regtest.genesis_hash, secrets[0], NULL));
    ck_assert(header_check_sig(&h, regtest.genesis_hash));
    ck_assert(!header_check_sig(&h, testnet.genesis_hash));
    header_sighash(&h, regtest.genesis_hash, sh);
    ck_assert(memcmp(sh, base, HASH_SIZE) == 0); /* sig not covered */
    ck_assert(key_verify(h.sig, sh, HASH_SIZE, pubs[0]));

    /* Each field is covered. */
    uint8_t *fields[] = {(uint8_t *)&h.version, (uint8_t *)&h.height, h.prev, (uint8_t *)&h.slot,
                         (uint8_t *)&h.time, h.tx_root, h.state_root, h.randao_reveal};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        fields[i][0] ^= 1;
        ck_assert_msg(!header_check_sig(&h, regtest.genesis_hash), "field %zu not signed", i);
        fields[i][0] ^= 1;
    }
    memcpy(h.proposer, pubs[1], PUBKEY_SIZE);
    ck_assert(!header_check_sig(&h, regtest.genesis_hash));
}
END_TEST

/* ---- genesis ----------------------------------------------------------- */

/* The regtest genesis header, its state root and hash. */
START_TEST(test_genesis_vector)
{
    struct block_header h;
    uint8_t enc[BLOCK_HEADER_SIZE], hash[HASH_SIZE];
    ck_assert(genesis_header(&regtest, &h));
    header_encode(&h, enc);
    ck_assert_hex_eq(enc, sizeof(enc), GENESIS_HEADER);
    ck_assert_hex_eq(h.state_root, HASH_SIZE, GENESIS_STATE_ROOT);
    header_hash(&h, hash);
    ck_assert_hex_eq(hash, HASH_SIZE, GENESIS_HASH);
    ck_assert_hex_eq(regtest.genesis_hash, HASH_SIZE, GENESIS_HASH);
    /* No transactions: the Merkle root of none is zero. */
    ck_assert(hash_is_zero(h.tx_root));
    ck_assert_uint_eq(h.time, regtest.genesis_time);

    /* The other built-in networks (also recomputed independently). */
    ck_assert_hex_eq(testnet.genesis_hash, HASH_SIZE,
                     "133380776f4cd90835f0b9b4b782a2cb17285e224202374f7b924c4ec17b9904");
    struct chain_params mainnet;
    ck_assert(params_init(&mainnet, NET_MAIN));
    ck_assert_hex_eq(mainnet.genesis_hash, HASH_SIZE,
                     "54639e25b223e6f2d88601e9f6c0fa10dd10c92b21f22fe3e07351f112de3540");
    params_free(&mainnet);
}
END_TEST

/* Genesis is a pure function of the parameters: built twice it is the same
 * block, and each network has its own. */
START_TEST(test_genesis_determinism)
{
    struct chain_params again;
    struct block_header a, b, t;
    struct kvlist s1, s2;

    ck_assert(params_init(&again, NET_REGTEST));
    ck_assert(memcmp(again.genesis_hash, regtest.genesis_hash, HASH_SIZE) == 0);
    ck_assert(genesis_header(&regtest, &a));
    ck_assert(genesis_build(&again, &b));
    ck_assert(same_header(&a, &b));

    ck_assert(genesis_state(&regtest, &s1));
    ck_assert(genesis_state(&again, &s2));
    ck_assert_uint_eq(s1.n, s2.n);
    for (size_t i = 0; i < s1.n; i++) {
        ck_assert_uint_eq(s1.items[i].klen, s2.items[i].klen);
        ck_assert_uint_eq(s1.items[i].vlen, s2.items[i].vlen);
        ck_assert(memcmp(s1.items[i].key, s2.items[i].key, s1.items[i].klen) == 0);
        ck_assert(memcmp(s1.items[i].val, s2.items[i].val, s1.items[i].vlen) == 0);
    }
    kvlist_free(&s1);
    kvlist_free(&s2);
    params_free(&again);

    ck_assert(genesis_header(&testnet, &t));
    ck_assert(memcmp(testnet.genesis_hash, regtest.genesis_hash, HASH_SIZE) != 0);
    ck_assert(memcmp(t.state_root, a.state_root, HASH_SIZE) != 0);

    /* Any consensus parameter changes the genesis. */
    ck_assert(params_init(&again, NET_REGTEST));
    again.max_tx_size--;
    ck_assert(genesis_build(&again, &b));
    ck_assert(memcmp(again.genesis_hash, regtest.genesis_hash, HASH_SIZE) != 0);
    params_free(&again);
}
END_TEST

/* ---- Merkle ------------------------------------------------------------ */

/* An independent Merkle root: each level in a fresh array, pairs hashed,
 * an odd last node carried up unchanged; zero for no leaves. */
static void reference_root(const uint8_t (*leaves)[HASH_SIZE], size_t n, uint8_t out[HASH_SIZE])
{
    uint8_t cur[16][HASH_SIZE], next[16][HASH_SIZE];
    ck_assert_uint_le(n, 16);
    if (n == 0) {
        memset(out, 0, HASH_SIZE);
        return;
    }
    memcpy(cur, leaves, n * HASH_SIZE);
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i + 1 < n; i += 2) {
            uint8_t cat[64];
            memcpy(cat, cur[i], 32);
            memcpy(cat + 32, cur[i + 1], 32);
            hash_tagged(next[m++], HTAG_MERKLE, cat, 64);
        }
        if (n % 2)
            memcpy(next[m++], cur[n - 1], HASH_SIZE);
        memcpy(cur, next, m * HASH_SIZE);
        n = m;
    }
    memcpy(out, cur[0], HASH_SIZE);
}

/* Roots of the leaves BLAKE2b-256 "FML/txid"(byte i), i < n, computed
 * independently in Python. */
static const char *const merkle_vectors[10] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "f9ccfe048f63a3bab5cef80ec626994316de0898f0fb8b20acbbc51e06240041",
    "0991f334b3a0cb51edaf4feefa24812cfe5c7d5bad73802ab5bbeb5ea6af88d8",
    "5ae006bd3894d3cf5cd3688e17b1f385ac2891f276bd555defbec5aa72cf41f0",
    "6a6492ad7d2ff4dc0c3a81c89369ef3332beb4f30bac62a291943a830365cb27",
    "38ab82f25828fd810577917f8271590a57478b65d176889f8bdc65ffdfaf3335",
    "ed923e6c74fb776e8747fd714058d52c4274d2397e158eb83e03c4f7f4543eda",
    "fab984d8fca41e70305190f505cb54b116d27d3f32a684c99063f2802a99584f",
    "e7563726db872467b900748f5aefbec557b989cc9664c250f8ecc0768c368de4",
    "3228c17ee6fdcbba1d532c49de1ccacbb75fdcbe8f6e4a0b02185b54ead97f60",
};

START_TEST(test_merkle_0_to_9)
{
    uint8_t leaves[10][HASH_SIZE], root[HASH_SIZE], ref[HASH_SIZE];
    for (uint8_t i = 0; i < 10; i++)
        hash_tagged(leaves[i], HTAG_TXID, &i, 1);
    for (size_t n = 0; n < 10; n++) {
        merkle_root((const uint8_t(*)[HASH_SIZE])leaves, n, root);
        reference_root((const uint8_t(*)[HASH_SIZE])leaves, n, ref);
        ck_assert_msg(memcmp(root, ref, HASH_SIZE) == 0, "n=%zu differs from the reference", n);
        ck_assert_hex_eq(root, HASH_SIZE, merkle_vectors[n]);
    }
}
END_TEST

/* Shape: one leaf is its own root; three leaves are H(H(a,b), c); the last
 * leaf is never duplicated, so appending a copy of it changes the root. */
START_TEST(test_merkle_shape)
{
    uint8_t leaves[4][HASH_SIZE], root[HASH_SIZE], ab[HASH_SIZE], cat[64], abc[HASH_SIZE];
    for (uint8_t i = 0; i < 3; i++)
        hash_tagged(leaves[i], HTAG_TXID, &i, 1);
    memcpy(leaves[3], leaves[2], HASH_SIZE);

    merkle_root((const uint8_t(*)[HASH_SIZE])leaves, 1, root);
    ck_assert(memcmp(root, leaves[0], HASH_SIZE) == 0);

    memcpy(cat, leaves[0], 32);
    memcpy(cat + 32, leaves[1], 32);
    hash_tagged(ab, HTAG_MERKLE, cat, 64);
    memcpy(cat, ab, 32);
    memcpy(cat + 32, leaves[2], 32);
    hash_tagged(abc, HTAG_MERKLE, cat, 64);
    merkle_root((const uint8_t(*)[HASH_SIZE])leaves, 3, root);
    ck_assert(memcmp(root, abc, HASH_SIZE) == 0);

    uint8_t root4[HASH_SIZE];
    merkle_root((const uint8_t(*)[HASH_SIZE])leaves, 4, root4);
    ck_assert(memcmp(root, root4, HASH_SIZE) != 0);
}
END_TEST

/* ---- block encoding ---------------------------------------------------- */

START_TEST(test_block_round_trip)
{
    for (size_t n = 0; n <= 4; n++) {
        struct block b, back;
        uint8_t *enc, *again;
        size_t len, len2;

        make_block(&b, n);
        enc = encode_block(&b, &len);
        ck_assert(block_decode(&back, enc, len, len));
        ck_assert_uint_eq(back.ntx, n);
        ck_assert(same_header(&back.hdr, &b.hdr));
        for (size_t i = 0; i < n; i++) {
            uint8_t id[HASH_SIZE];
            tx_txid(&back.txs[i], id);
            ck_assert(memcmp(id, back.txids[i], HASH_SIZE) == 0);
            ck_assert(memcmp(id, b.txids[i], HASH_SIZE) == 0);
        }
        again = encode_block(&back, &len2);
        ck_assert_uint_eq(len, len2);
        ck_assert(memcmp(enc, again, len) == 0);
        /* header | CompactSize count | transactions. */
        ck_assert_uint_eq(enc[BLOCK_HEADER_SIZE], n);
        ck_assert_uint_eq(len, BLOCK_HEADER_SIZE + 1 + 155 * n);
        expect_ok(&back);
        free(enc);
        free(again);
        block_free(&back);
        block_free(&b);
    }
}
END_TEST

/* Truncation at every byte, a trailing byte, a count larger than the
 * transactions present, a non-canonical count, and the size limit. */
START_TEST(test_block_decode_rejections)
{
    struct block b, back;
    uint8_t *enc;
    size_t len;
    make_block(&b, 2);
    enc = encode_block(&b, &len);

    for (size_t cut = 0; cut < len; cut++)
        ck_assert_msg(!block_decode(&back, enc, cut, len), "cut at %zu decoded", cut);

    uint8_t *longer = malloc(len + 1);
    ck_assert_ptr_nonnull(longer);
    memcpy(longer, enc, len);
    longer[len] = 0;
    ck_assert(!block_decode(&back, longer, len + 1, len + 1));
    free(longer);

    /* The limit is inclusive. */
    ck_assert(!block_decode(&back, enc, len, len - 1));
    ck_assert(block_decode(&back, enc, len, len));
    block_free(&back);

    /* Count 3 with two transactions, and count 1 with two (trailing). */
    enc[BLOCK_HEADER_SIZE] = 3;
    ck_assert(!block_decode(&back, enc, len, len));
    enc[BLOCK_HEADER_SIZE] = 1;
    ck_assert(!block_decode(&back, enc, len, len));
    enc[BLOCK_HEADER_SIZE] = 2;

    /* The count 2 written as fd 02 00. */
    struct wbuf w;
    wbuf_init(&w);
    put_bytes(&w, enc, BLOCK_HEADER_SIZE);
    put_bytes(&w, "\xfd\x02\x00", 3);
    put_bytes(&w, enc + BLOCK_HEADER_SIZE + 1, len - BLOCK_HEADER_SIZE - 1);
    ck_assert(!block_decode(&back, w.data, w.len, w.len));

    /* A huge count with no transactions behind it is refused before any
     * allocation, and so is one above BLOCK_MAX_TXS_DECODE. */
    wbuf_reset(&w);
    put_bytes(&w, enc, BLOCK_HEADER_SIZE);
    put_compact(&w, BLOCK_MAX_TXS_DECODE);
    ck_assert(!block_decode(&back, w.data, w.len, w.len));
    wbuf_reset(&w);
    put_bytes(&w, enc, BLOCK_HEADER_SIZE);
    put_compact(&w, UINT64_MAX);
    ck_assert(!block_decode(&back, w.data, w.len, w.len));
    wbuf_free(&w);

    free(enc);
    block_free(&b);
}
END_TEST

/* More transactions than BLOCK_MAX_TXS_DECODE never decode, even when the
 * bytes are all there. */
START_TEST(test_block_decode_count_bound)
{
    struct wbuf w;
    struct block b, back;
    struct tx tx;
    uint8_t hdr[BLOCK_HEADER_SIZE];
    uint8_t *one;
    size_t one_len;

    make_block(&b, 0);
    header_encode(&b.hdr, hdr);
    make_transfer(&tx, &regtest, 0, 1, 1, 0);
    ck_assert(tx_set_payload(&tx, NULL, 0)); /* smallest transaction: 115 bytes */
    wbuf_init(&w);
    tx_encode(&tx, &w);
    one = wbuf_take(&w, &one_len);
    ck_assert_uint_eq(one_len, TX_FIXED_SIZE + 1);

    wbuf_init(&w);
    put_bytes(&w, hdr, sizeof(hdr));
    put_compact(&w, BLOCK_MAX_TXS_DECODE + 1);
    for (size_t i = 0; i < BLOCK_MAX_TXS_DECODE + 1; i++)
        put_bytes(&w, one, one_len);
    ck_assert(!w.failed);
    ck_assert(!block_decode(&back, w.data, w.len, w.len));

    /* The control: the same bytes with the count at the bound decode (the
     * transactions are identical, which block_check refuses later). */
    wbuf_reset(&w);
    put_bytes(&w, hdr, sizeof(hdr));
    put_compact(&w, BLOCK_MAX_TXS_DECODE);
    for (size_t i = 0; i < BLOCK_MAX_TXS_DECODE; i++)
        put_bytes(&w, one, one_len);
    ck_assert(block_decode(&back, w.data, w.len, w.len));
    ck_assert_uint_eq(back.ntx, BLOCK_MAX_TXS_DECODE);
    block_free(&back);

    wbuf_free(&w);
    free(one);
    tx_free(&tx);
    block_free(&b);
}
END_TEST

START_TEST(test_block_add_pop)
{
    struct block b;
    struct tx tx;
    make_block(&b, 2);
    make_transfer(&tx, &regtest, 1, 2, 5, 0);
    ck_assert(block_add_tx(&b, &tx));
    ck_assert_uint_eq(b.ntx, 3);
    uint8_t id[HASH_SIZE];
    tx_txid(&tx, id);
    ck_assert(memcmp(b.txids[2], id, HASH_SIZE) == 0);
    block_pop_tx(&b);
    ck_assert_uint_eq(b.ntx, 2);
    block_pop_tx(&b);
    block_pop_tx(&b);
    block_pop_tx(&b); /* on an empty block: nothing */
    ck_assert_uint_eq(b.ntx, 0);
    tx_free(&tx);
    block_free(&b);
}
END_TEST

/* ---- block_check ------------------------------------------------------- */

START_TEST(test_check_valid_and_version)
{
    struct block b;
    make_block(&b, 3);
    expect_ok(&b);
    b.hdr.version = 2;
    ck_assert(header_sign(&b.hdr, regtest.genesis_hash, secrets[0], NULL));
    expect_reject(&b, "bad-blk-version");
    b.hdr.version = 0;
    ck_assert(header_sign(&b.hdr, regtest.genesis_hash, secrets[0], NULL));
    expect_reject(&b, "bad-blk-version");
    block_free(&b);
}
END_TEST

/* The header must commit to exactly these transactions in this order. */
START_TEST(test_check_merkle)
{
    struct block b;
    make_block(&b, 3);
    b.hdr.tx_root[0] ^= 1;
    ck_assert(header_sign(&b.hdr, regtest.genesis_hash, secrets[0], NULL));
    expect_reject(&b, "bad-blk-merkle");
    block_free(&b);

    /* Reordering the transactions without updating the root. */
    make_block(&b, 3);
    struct tx t0 = b.txs[0];
    uint8_t id0[HASH_SIZE];
    memcpy(id0, b.txids[0], HASH_SIZE);
    b.txs[0] = b.txs[1];
    memcpy(b.txids[0], b.txids[1], HASH_SIZE);
    b.txs[1] = t0;
    memcpy(b.txids[1], id0, HASH_SIZE);
    expect_reject(&b, "bad-blk-merkle");
    block_free(&b);

    /* An empty block commits to the zero root. */
    make_block(&b, 0);
    ck_assert(hash_is_zero(b.hdr.tx_root));
    expect_ok(&b);
    b.hdr.tx_root[31] = 1;
    ck_assert(header_sign(&b.hdr, regtest.genesis_hash, secrets[0], NULL));
    expect_reject(&b, "bad-blk-merkle");
    block_free(&b);
}
END_TEST

/* The same transaction twice, correctly committed and signed. */
START_TEST(test_check_duptx)
{
    struct block b;
    struct tx tx;
    make_block(&b, 2);
    make_transfer(&tx, &regtest, 0, 1, 1, 0); /* same as txs[0] */
    ck_assert(block_add_tx(&b, &tx));
    ck_assert(memcmp(b.txids[0], b.txids[2], HASH_SIZE) == 0);
    seal(&b, &regtest, 0);
    expect_reject(&b, "bad-blk-duptx");
    tx_free(&tx);
    block_free(&b);
}
END_TEST

/* The proposer's signature: flipped, by someone else, for another network. */
START_TEST(test_check_sig)
{
    struct block b;
    make_block(&b, 1);
    b.hdr.sig[5] ^= 4;
    expect_reject(&b, "bad-blk-sig");
    b.hdr.sig[5] ^= 4;
    expect_ok(&b);

    ck_assert(header_sign(&b.hdr, regtest.genesis_hash, secrets[1], NULL));
    expect_reject(&b, "bad-blk-sig");

    ck_assert(header_sign(&b.hdr, testnet.genesis_hash, secrets[0], NULL));
    expect_reject(&b, "bad-blk-sig");

    b.hdr.time++; /* a field changed after signing */
    ck_assert(header_sign(&b.hdr, regtest.genesis_hash, secrets[0], NULL));
    expect_ok(&b);
    b.hdr.time++;
    expect_reject(&b, "bad-blk-sig");
    block_free(&b);
}
END_TEST

/* A block's size is bounded by max_block_size. */
START_TEST(test_check_length)
{
    struct block b;
    struct tx tx;
    size_t payload = 900000;
    uint8_t *big = calloc(payload, 1);
    ck_assert_ptr_nonnull(big);
    make_block(&b, 0);
    for (size_t i = 0; i < 5; i++) {
        make_transfer(&tx, &regtest, 0, 1, 1, i);
        ck_assert(tx_set_payload(&tx, big, payload));
        ck_assert(tx_sign(&tx, regtest.genesis_hash, secrets[0], NULL));
        ck_assert(block_add_tx(&b, &tx));
        tx_free(&tx);
    }
    seal(&b, &regtest, 0);
    ck_assert_uint_gt(BLOCK_HEADER_SIZE + 1 + 5 * (TX_FIXED_SIZE + 5 + payload),
                      regtest.max_block_size);
    expect_reject(&b, "bad-blk-length");

    /* The control: four of them fit, and the block fails later, on the
     * transactions' own (payload) rule. */
    block_pop_tx(&b);
    seal(&b, &regtest, 0);
    expect_reject(&b, "bad-txns-payload");
    block_free(&b);
    free(big);
}
END_TEST

/* The transaction count is bounded by max_block_txs.  The block is filled
 * directly (one allocation) rather than by block_add_tx, which grows its
 * arrays one element at a time. */
START_TEST(test_check_txns)
{
    struct block b;
    struct tx tx;
    size_t n = (size_t)regtest.max_block_txs + 1;
    make_block(&b, 0);
    make_transfer(&tx, &regtest, 0, 1, 1, 0);
    b.txs = calloc(n, sizeof(*b.txs));
    b.txids = calloc(n, sizeof(*b.txids));
    ck_assert(b.txs && b.txids);
    for (size_t i = 0; i < n; i++) {
        tx.nonce = i; /* distinct txids; signatures are not reached */
        ck_assert(tx_copy(&b.txs[i], &tx));
        tx_txid(&b.txs[i], b.txids[i]);
    }
    /* At the limit the count passes and the (stale) Merkle root fails. */
    b.ntx = n - 1;
    expect_reject(&b, "bad-blk-merkle");
    b.ntx = n;
    expect_reject(&b, "bad-blk-txns");
    tx_free(&tx);
    block_free(&b);
}
END_TEST

/* An FL_JOIN from validator `from`: its validation costs more than a
 * transfer's, so it weighs two block units. */
static void make_join(struct tx *tx, int from, uint64_t nonce)
{
    struct fl_join j;
    struct wbuf w;
    memset(j.task, 0x5a, HASH_SIZE);
    j.stake = 1;
    tx_init(tx);
    tx->type = TX_FL_JOIN;
    memcpy(tx->sender, pubs[from], PUBKEY_SIZE);
    tx->nonce = nonce;
    tx->fee = 1000;
    wbuf_init(&w);
    fl_join_encode(&j, &w);
    ck_assert(tx_set_payload(tx, w.data, w.len));
    wbuf_free(&w);
    ck_assert(tx_sign(tx, regtest.genesis_hash, secrets[from], NULL));
}

/* max_block_txs bounds the transactions' block units, not their count: with
 * max_block_txs = 3, two FL_JOINs (4 units) are too many; a join and a
 * transfer (3) fit, and so do three transfers. */
START_TEST(test_check_block_units)
{
    struct block b;
    struct tx tx;
    const uint32_t saved = regtest.max_block_txs;
    ck_assert_uint_eq(txtype_block_units(TX_TRANSFER), 1);
    ck_assert_uint_eq(txtype_block_units(TX_FL_JOIN), 2);
    regtest.max_block_txs = 3;

    make_block(&b, 0);
    make_join(&tx, 0, 0);
    ck_assert(block_add_tx(&b, &tx));
    tx_free(&tx);
    make_join(&tx, 1, 0);
    ck_assert(block_add_tx(&b, &tx));
    tx_free(&tx);
    seal(&b, &regtest, 0);
    expect_reject(&b, "bad-blk-txns");
    block_free(&b);

    make_block(&b, 1);
    make_join(&tx, 1, 0);
    ck_assert(block_add_tx(&b, &tx));
    tx_free(&tx);
    seal(&b, &regtest, 0);
    expect_ok(&b);
    block_free(&b);

    make_block(&b, 3);
    expect_ok(&b);
    block_free(&b);
    regtest.max_block_txs = saved;
}
END_TEST

/* A block carrying an invalid transaction fails with that transaction's
 * reason: here one signed for the test network. */
START_TEST(test_check_bad_tx_inside)
{
    struct block b;
    struct tx tx;
    make_block(&b, 2);
    make_transfer(&tx, &testnet, 2, 3, 7, 0);
    ck_assert(block_add_tx(&b, &tx));
    seal(&b, &regtest, 0);
    expect_reject(&b, "bad-txns-sig");
    tx_free(&tx);
    block_free(&b);

    make_block(&b, 1);
    make_transfer(&tx, &regtest, 2, 3, 0, 0); /* amount 0 */
    ck_assert(block_add_tx(&b, &tx));
    seal(&b, &regtest, 0);
    expect_reject(&b, "bad-txns-amount");
    tx_free(&tx);
    block_free(&b);
}
END_TEST

static Suite *block_suite(void)
{
    Suite *s = suite_create("block");
    TCase *tc = tcase_create("header");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_header_layout);
    tcase_add_test(tc, test_header_truncation);
    tcase_add_test(tc, test_header_hash_and_signature);
    tcase_add_test(tc, test_genesis_vector);
    tcase_add_test(tc, test_genesis_determinism);
    suite_add_tcase(s, tc);

    tc = tcase_create("merkle");
    tcase_add_test(tc, test_merkle_0_to_9);
    tcase_add_test(tc, test_merkle_shape);
    suite_add_tcase(s, tc);

    tc = tcase_create("encoding");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_block_round_trip);
    tcase_add_test(tc, test_block_decode_rejections);
    tcase_add_test(tc, test_block_decode_count_bound);
    tcase_add_test(tc, test_block_add_pop);
    suite_add_tcase(s, tc);

    tc = tcase_create("check");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_check_valid_and_version);
    tcase_add_test(tc, test_check_merkle);
    tcase_add_test(tc, test_check_duptx);
    tcase_add_test(tc, test_check_sig);
    tcase_add_test(tc, test_check_length);
    tcase_add_test(tc, test_check_txns);
    tcase_add_test(tc, test_check_block_units);
    tcase_add_test(tc, test_check_bad_tx_inside);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setup_once();
    int rc = test_run_suite(block_suite());
    params_free(&regtest);
    params_free(&testnet);
    return rc;
}
