/* Transactions: the envelope encoding, txid and signature hash, the TRANSFER
 * payload and account records, and tx_check's reject reasons.
 *
 * The signed TRANSFER vector below is published in doc/protocol.md; it was
 * recomputed independently (Python: hashlib BLAKE2b, the BIP340 reference
 * signing algorithm) from the byte layout in the document, so a change of
 * format, hash input or signing fails here. */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/params.h"
#include "consensus/tx.h"
#include "consensus/txtypes.h"

#include "tests/unit/test_util.h"

static struct chain_params regtest, testnet;
static uint8_t secrets[REGTEST_VALIDATORS][SECKEY_SIZE];
static uint8_t pubs[REGTEST_VALIDATORS][PUBKEY_SIZE];
static const uint8_t zero_aux[32];

/* The published vector: regtest validator 0 pays validator 1 10 FML, fee
 * 10000 units, nonce 0, signed with aux = 32 zero bytes. */
#define VEC_GENESIS "90b8c85610dcddefaacb62beea9df6b1f42a6eada2843f236ec09a0ca4dafebb"
#define VEC_PAYLOAD "6430d438fe57e0df5f83d11de02c3702aa8de14bba1b3a94dacf7be01a65ad5b00ca9a3b00000000"
#define VEC_SIGHASH "d1f21e0305575f8393bc9d6260cda9d802e8939b495ad035c56be0dd7db79265"
#define VEC_SIG                                                                \
    "9d75d88108c7ebfd42d7eb8f122f0612251f64f3d53a3c526e9f554b56fa1cb1299150fd" \
    "e297ef872902e792337917b61f72f6ce1fd568eb425527cf2881d127"
#define VEC_UNSIGNED                                                           \
    "01013db672398d793d551d60932e10d461218418689e66c88cec28ea8a842caf635f0000" \
    "0000000000001027000000000000286430d438fe57e0df5f83d11de02c3702aa8de14bba" \
    "1b3a94dacf7be01a65ad5b00ca9a3b00000000"
#define VEC_HEX VEC_UNSIGNED VEC_SIG
#define VEC_TXID "5360c71e1f92b562a3dc8a103309c0199dd18a4acaea57e4f5345e60b53639e3"

/* Parameters and keys, computed once before the tests fork. */
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

/* A TRANSFER from validator `from` to `to`, signed for params' network. */
static void make_transfer(struct tx *tx, const struct chain_params *params, int from,
                          const uint8_t to[PUBKEY_SIZE], uint64_t amount, uint64_t nonce,
                          uint64_t fee)
{
    struct transfer t;
    struct wbuf w;
    tx_init(tx);
    tx->type = TX_TRANSFER;
    memcpy(tx->sender, pubs[from], PUBKEY_SIZE);
    tx->nonce = nonce;
    tx->fee = fee;
    memcpy(t.to, to, PUBKEY_SIZE);
    t.amount = amount;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    ck_assert(!w.failed);
    ck_assert(tx_set_payload(tx, w.data, w.len));
    wbuf_free(&w);
    ck_assert(tx_sign(tx, params->genesis_hash, secrets[from], zero_aux));
}

static void resign(struct tx *tx, int from)
{
    ck_assert(tx_sign(tx, regtest.genesis_hash, secrets[from], zero_aux));
}

static uint8_t *encode(const struct tx *tx, size_t *len)
{
    struct wbuf w;
    wbuf_init(&w);
    tx_encode(tx, &w);
    ck_assert(!w.failed);
    return wbuf_take(&w, len);
}

/* tx_check fails with exactly this reason and class. */
static void expect_reject(const struct tx *tx, const struct chain_params *params,
                          const char *reason, enum val_class cls)
{
    struct validation v;
    val_init(&v);
    ck_assert_msg(!tx_check(tx, params, &v), "accepted, expected %s", reason);
    ck_assert_str_eq(v.reason, reason);
    ck_assert_str_eq(reject_reason(v.code), reason);
    ck_assert_int_eq(v.cls, cls);
}

static void expect_ok(const struct tx *tx, const struct chain_params *params)
{
    struct validation v;
    val_init(&v);
    ck_assert_msg(tx_check(tx, params, &v), "rejected: %s %s", v.reason, v.detail);
    ck_assert(val_ok(&v));
}

/* The published vector, field by field, then as a whole. */
START_TEST(test_transfer_vector)
{
    struct tx tx;
    uint8_t sighash[HASH_SIZE], txid[HASH_SIZE];
    uint8_t *bytes;
    size_t len;

    ck_assert_hex_eq(regtest.genesis_hash, HASH_SIZE, VEC_GENESIS);
    make_transfer(&tx, &regtest, 0, pubs[1], 10 * COIN, 0, 10000);
    ck_assert_hex_eq(tx.payload, tx.payload_len, VEC_PAYLOAD);
    tx_sighash(&tx, regtest.genesis_hash, sighash);
    ck_assert_hex_eq(sighash, HASH_SIZE, VEC_SIGHASH);
    ck_assert_hex_eq(tx.sig, SIG_SIZE, VEC_SIG);
    bytes = encode(&tx, &len);
    ck_assert_uint_eq(len, 155);
    ck_assert_uint_eq(tx_encoded_size(&tx), 155);
    ck_assert_hex_eq(bytes, len, VEC_HEX);
    tx_txid(&tx, txid);
    ck_assert_hex_eq(txid, HASH_SIZE, VEC_TXID);
    expect_ok(&tx, &regtest);

    /* The signature is a plain BIP340 signature of the sighash by the
     * sender, so any BIP340 verifier accepts it. */
    ck_assert(key_verify(tx.sig, sighash, HASH_SIZE, pubs[0]));
    /* txid is the tagged hash of the whole encoding, signature included. */
    uint8_t direct[HASH_SIZE];
    hash_tagged(direct, HTAG_TXID, bytes, len);
    ck_assert(memcmp(direct, txid, HASH_SIZE) == 0);
    free(bytes);
    tx_free(&tx);

    /* Decoding the published hex gives the same transaction back. */
    uint8_t raw[155];
    struct tx back;
    test_unhex_n(raw, sizeof(raw), VEC_HEX);
    ck_assert(tx_decode(&back, raw, sizeof(raw)));
    ck_assert_uint_eq(back.version, 1);
    ck_assert_uint_eq(back.type, TX_TRANSFER);
    ck_assert(memcmp(back.sender, pubs[0], PUBKEY_SIZE) == 0);
    ck_assert_uint_eq(back.nonce, 0);
    ck_assert_uint_eq(back.fee, 10000);
    ck_assert_uint_eq(back.payload_len, TRANSFER_PAYLOAD_SIZE);
    struct transfer t;
    ck_assert(transfer_decode(&t, back.payload, back.payload_len));
    ck_assert(memcmp(t.to, pubs[1], PUBKEY_SIZE) == 0);
    ck_assert_uint_eq(t.amount, 10 * COIN);
    expect_ok(&back, &regtest);
    tx_free(&back);
}
END_TEST

/* The sighash covers the genesis hash and every field but the signature;
 * the txid covers the signature too. */
START_TEST(test_sighash_and_txid_coverage)
{
    struct tx tx;
    uint8_t base_sh[HASH_SIZE], base_id[HASH_SIZE], sh[HASH_SIZE], id[HASH_SIZE];
    make_transfer(&tx, &regtest, 0, pubs[1], 5, 3, 7);
    tx_sighash(&tx, regtest.genesis_hash, base_sh);
    tx_txid(&tx, base_id);

    tx_sighash(&tx, testnet.genesis_hash, sh);
    ck_assert(memcmp(sh, base_sh, HASH_SIZE) != 0);

    tx.sig[0] ^= 1;
    tx_sighash(&tx, regtest.genesis_hash, sh);
    tx_txid(&tx, id);
    ck_assert(memcmp(sh, base_sh, HASH_SIZE) == 0);
    ck_assert(memcmp(id, base_id, HASH_SIZE) != 0);
    tx.sig[0] ^= 1;

#define CHANGES_BOTH(mutate, restore)                         \
    do {                                                      \
        mutate;                                               \
        tx_sighash(&tx, regtest.genesis_hash, sh);            \
        tx_txid(&tx, id);                                     \
        ck_assert(memcmp(sh, base_sh, HASH_SIZE) != 0);       \
        ck_assert(memcmp(id, base_id, HASH_SIZE) != 0);       \
        restore;                                              \
    } while (0)
    CHANGES_BOTH(tx.version = 2, tx.version = 1);
    CHANGES_BOTH(tx.type = 2, tx.type = TX_TRANSFER);
    CHANGES_BOTH(tx.sender[31] ^= 1, tx.sender[31] ^= 1);
    CHANGES_BOTH(tx.nonce = 4, tx.nonce = 3);
    CHANGES_BOTH(tx.fee = 8, tx.fee = 7);
    CHANGES_BOTH(tx.payload[39] ^= 1, tx.payload[39] ^= 1);
#undef CHANGES_BOTH
    tx_sighash(&tx, regtest.genesis_hash, sh);
    ck_assert(memcmp(sh, base_sh, HASH_SIZE) == 0);
    tx_free(&tx);
}
END_TEST

/* Encode, decode, encode again: identical bytes, identical fields, and the
 * decoded payload is a copy. */
START_TEST(test_round_trip)
{
    struct tx tx, back;
    uint8_t *a, *b;
    size_t alen, blen;

    make_transfer(&tx, &regtest, 2, pubs[3], 123456789, UINT64_MAX, MAX_SUPPLY);
    a = encode(&tx, &alen);
    ck_assert_uint_eq(alen, tx_encoded_size(&tx));
    ck_assert(tx_decode(&back, a, alen));
    ck_assert(back.payload != NULL && back.payload != tx.payload);
    ck_assert(back.payload < a || back.payload >= a + alen);
    b = encode(&back, &blen);
    ck_assert_uint_eq(alen, blen);
    ck_assert(memcmp(a, b, alen) == 0);
    ck_assert_uint_eq(back.nonce, UINT64_MAX);
    ck_assert_uint_eq(back.fee, MAX_SUPPLY);
    free(b);
    tx_free(&back);

    /* An empty payload decodes with no allocation. */
    ck_assert(tx_set_payload(&tx, NULL, 0));
    ck_assert_ptr_null(tx.payload);
    free(a);
    a = encode(&tx, &alen);
    ck_assert_uint_eq(alen, TX_FIXED_SIZE + 1);
    ck_assert(tx_decode(&back, a, alen));
    ck_assert_uint_eq(back.payload_len, 0);
    ck_assert_ptr_null(back.payload);
    tx_free(&back);
    free(a);

    /* tx_copy is deep. */
    make_transfer(&back, &regtest, 1, pubs[0], 1, 1, 1);
    ck_assert(tx_copy(&tx, &back));
    ck_assert(tx.payload != back.payload);
    back.payload[0] ^= 0xff;
    ck_assert(tx.payload[0] != back.payload[0]);
    tx_free(&back);
    tx_free(&tx);
}
END_TEST

/* Cutting the published transaction at any byte, or adding one, fails. */
START_TEST(test_truncation_and_trailing)
{
    uint8_t raw[156];
    struct tx tx;
    test_unhex_n(raw, 155, VEC_HEX);
    for (size_t len = 0; len < 155; len++)
        ck_assert_msg(!tx_decode(&tx, raw, len), "cut at %zu decoded", len);
    raw[155] = 0;
    ck_assert(!tx_decode(&tx, raw, 156));
    ck_assert(tx_decode(&tx, raw, 155));
    tx_free(&tx);

    /* Inside a stream, tx_decode_from reads exactly one transaction. */
    struct rbuf r;
    uint8_t two[310];
    test_unhex_n(two, 155, VEC_HEX);
    memcpy(two + 155, two, 155);
    rbuf_init(&r, two, sizeof(two));
    ck_assert(tx_decode_from(&tx, &r));
    tx_free(&tx);
    ck_assert_uint_eq(r.left, 155);
    ck_assert(tx_decode_from(&tx, &r));
    tx_free(&tx);
    ck_assert(rbuf_done(&r));
}
END_TEST

/* The payload length: canonical CompactSize only, at most TX_MAX_PAYLOAD. */
START_TEST(test_payload_length_bounds)
{
    uint8_t raw[160];
    struct tx tx;
    struct wbuf w;

    /* 0x28 (40) written as fd 28 00 instead of 28. */
    test_unhex_n(raw, 155, VEC_HEX);
    memmove(raw + 1 + 1 + 32 + 8 + 8 + 3, raw + 1 + 1 + 32 + 8 + 8 + 1, 155 - 51);
    raw[50] = 0xfd;
    raw[51] = 0x28;
    raw[52] = 0x00;
    ck_assert(!tx_decode(&tx, raw, 157));

    /* Exactly TX_MAX_PAYLOAD decodes, one more does not (and neither a
     * length the input cannot hold). */
    uint8_t *big = calloc(TX_MAX_PAYLOAD + 1, 1);
    ck_assert_ptr_nonnull(big);
    tx_init(&tx);
    ck_assert(tx_set_payload(&tx, big, TX_MAX_PAYLOAD));
    ck_assert(!tx_set_payload(&tx, big, TX_MAX_PAYLOAD + 1));
    ck_assert_uint_eq(tx.payload_len, TX_MAX_PAYLOAD);
    wbuf_init(&w);
    tx_encode(&tx, &w);
    ck_assert(!w.failed);
    struct tx back;
    ck_assert(tx_decode(&back, w.data, w.len));
    ck_assert_uint_eq(back.payload_len, TX_MAX_PAYLOAD);
    tx_free(&back);
    tx_free(&tx);

    /* Hand-built: the same envelope with a TX_MAX_PAYLOAD + 1 payload. */
    wbuf_reset(&w);
    put_u8(&w, TX_VERSION);
    put_u8(&w, TX_TRANSFER);
    put_bytes(&w, pubs[0], PUBKEY_SIZE);
    put_u64(&w, 0);
    put_u64(&w, 0);
    put_varbytes(&w, big, TX_MAX_PAYLOAD + 1);
    put_bytes(&w, big, SIG_SIZE);
    ck_assert(!w.failed);
    ck_assert(!tx_decode(&back, w.data, w.len));
    wbuf_free(&w);
    free(big);

    /* A length of 2^32 + 40 must not be truncated to 40. */
    test_unhex_n(raw, 155, VEC_HEX);
    wbuf_init(&w);
    put_bytes(&w, raw, 50);
    put_compact(&w, UINT64_C(0x100000028));
    put_bytes(&w, raw + 51, 155 - 51);
    ck_assert(!tx_decode(&back, w.data, w.len));
    wbuf_free(&w);
}
END_TEST

/* tx_check: one reason per rule, each with the transaction otherwise valid
 * and signed, so that the reason reported is the rule under test. */
START_TEST(test_check_version_type)
{
    struct tx tx;
    make_transfer(&tx, &regtest, 0, pubs[1], 1, 0, 0);
    expect_ok(&tx, &regtest);

    tx.version = 0;
    resign(&tx, 0);
    expect_reject(&tx, &regtest, "bad-txns-version", VAL_CONSENSUS);
    tx.version = 2;
    resign(&tx, 0);
    expect_reject(&tx, &regtest, "bad-txns-version", VAL_CONSENSUS);
    tx.version = TX_VERSION;

    static const uint8_t bad_types[] = {0, 10, 15, 0x7f, 0xff};
    for (size_t i = 0; i < sizeof(bad_types); i++) {
        tx.type = bad_types[i];
        resign(&tx, 0);
        expect_reject(&tx, &regtest, "bad-txns-type", VAL_CONSENSUS);
    }
    tx.type = TX_TRANSFER;
    resign(&tx, 0);
    expect_ok(&tx, &regtest);
    tx_free(&tx);
}
END_TEST

/* TRANSFER payload: exactly 40 bytes, a recipient on the curve, an amount
 * in 1..MAX_SUPPLY. */
START_TEST(test_check_transfer_payload)
{
    struct tx tx;
    uint8_t payload[TRANSFER_PAYLOAD_SIZE + 1];

    make_transfer(&tx, &regtest, 0, pubs[1], 1, 0, 0);
    memcpy(payload, tx.payload, TRANSFER_PAYLOAD_SIZE);
    payload[TRANSFER_PAYLOAD_SIZE] = 0;

    static const size_t bad_sizes[] = {0, 1, 32, 39, 41};
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        ck_assert(tx_set_payload(&tx, payload, bad_sizes[i]));
        resign(&tx, 0);
        expect_reject(&tx, &regtest, "bad-txns-payload", VAL_MALFORMED);
    }

    /* Recipient: not on the curve; at or above the field size. */
    struct transfer t;
    ck_assert(transfer_decode(&t, payload, TRANSFER_PAYLOAD_SIZE));
    struct wbuf w;
    wbuf_init(&w);
    test_unhex_n(t.to, 32, "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34");
    transfer_encode(&t, &w);
    ck_assert(tx_set_payload(&tx, w.data, w.len));
    resign(&tx, 0);
    expect_reject(&tx, &regtest, "bad-txns-recipient", VAL_CONSENSUS);
    wbuf_reset(&w);
    memset(t.to, 0xff, 32);
    transfer_encode(&t, &w);
    ck_assert(tx_set_payload(&tx, w.data, w.len));
    resign(&tx, 0);
    expect_reject(&tx, &regtest, "bad-txns-recipient", VAL_CONSENSUS);
    tx_free(&tx);
    wbuf_free(&w);

    /* Amounts at and past the bounds. */
    make_transfer(&tx, &regtest, 0, pubs[1], 0, 0, 0);
    expect_reject(&tx, &regtest, "bad-txns-amount", VAL_CONSENSUS);
    tx_free(&tx);
    make_transfer(&tx, &regtest, 0, pubs[1], MAX_SUPPLY + 1, 0, 0);
    expect_reject(&tx, &regtest, "bad-txns-amount", VAL_CONSENSUS);
    tx_free(&tx);
    make_transfer(&tx, &regtest, 0, pubs[1], UINT64_MAX, 0, 0);
    expect_reject(&tx, &regtest, "bad-txns-amount", VAL_CONSENSUS);
    tx_free(&tx);
    make_transfer(&tx, &regtest, 0, pubs[1], MAX_SUPPLY, 0, 0);
    expect_ok(&tx, &regtest);
    tx_free(&tx);
    make_transfer(&tx, &regtest, 0, pubs[1], 1, 0, 0);
    expect_ok(&tx, &regtest);
    tx_free(&tx);

    /* Sending to oneself is a state question, not a stateless one. */
    make_transfer(&tx, &regtest, 0, pubs[0], 1, 0, 0);
    expect_ok(&tx, &regtest);
    tx_free(&tx);
}
END_TEST

/* The fee is an amount: at most MAX_SUPPLY. */
START_TEST(test_check_fee)
{
    struct tx tx;
    make_transfer(&tx, &regtest, 0, pubs[1], 1, 0, MAX_SUPPLY);
    expect_ok(&tx, &regtest);
    tx_free(&tx);
    make_transfer(&tx, &regtest, 0, pubs[1], 1, 0, MAX_SUPPLY + 1);
    expect_reject(&tx, &regtest, "bad-txns-fee", VAL_CONSENSUS);
    tx_free(&tx);
    make_transfer(&tx, &regtest, 0, pubs[1], 1, 0, UINT64_MAX);
    expect_reject(&tx, &regtest, "bad-txns-fee", VAL_CONSENSUS);
    tx_free(&tx);
}
END_TEST

/* The whole encoding is bounded by max_tx_size: at the limit the size rule
 * passes (and the TRANSFER payload rule fires); one byte over it does not. */
START_TEST(test_check_oversize)
{
    struct tx tx;
    size_t fixed = TX_FIXED_SIZE + 5; /* a 5-byte CompactSize for these lengths */
    size_t at_limit = regtest.max_tx_size - fixed;
    uint8_t *big = calloc(at_limit + 1, 1);
    ck_assert_ptr_nonnull(big);
    ck_assert_uint_gt(TX_MAX_PAYLOAD, at_limit + 1); /* decodable, refused by tx_check */

    make_transfer(&tx, &regtest, 0, pubs[1], 1, 0, 0);
    ck_assert(tx_set_payload(&tx, big, at_limit));
    ck_assert_uint_eq(tx_encoded_size(&tx), regtest.max_tx_size);
    resign(&tx, 0);
    expect_reject(&tx, &regtest, "bad-txns-payload", VAL_MALFORMED);

    ck_assert(tx_set_payload(&tx, big, at_limit + 1));
    ck_assert_uint_eq(tx_encoded_size(&tx), regtest.max_tx_size + 1);
    resign(&tx, 0);
    expect_reject(&tx, &regtest, "bad-txns-oversize", VAL_CONSENSUS);
    tx_free(&tx);
    free(big);
}
END_TEST

/* Signatures: a flipped bit, the wrong signer, a changed field after
 * signing, and a transaction signed for another network's genesis. */
START_TEST(test_check_signature)
{
    struct tx tx;
    make_transfer(&tx, &regtest, 0, pubs[1], 1000, 5, 10);
    expect_ok(&tx, &regtest);

    tx.sig[63] ^= 0x80;
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);
    tx.sig[63] ^= 0x80;
    expect_ok(&tx, &regtest);

    /* Every field the signature covers (that leaves the tx otherwise valid). */
    tx.nonce++;
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);
    tx.nonce--;
    tx.fee++;
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);
    tx.fee--;
    tx.payload[TRANSFER_PAYLOAD_SIZE - 8] ^= 1; /* amount */
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);
    tx.payload[TRANSFER_PAYLOAD_SIZE - 8] ^= 1;
    memcpy(tx.payload, pubs[2], PUBKEY_SIZE); /* recipient */
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);
    memcpy(tx.payload, pubs[1], PUBKEY_SIZE);
    memcpy(tx.sender, pubs[3], PUBKEY_SIZE); /* sender */
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);
    memcpy(tx.sender, pubs[0], PUBKEY_SIZE);
    expect_ok(&tx, &regtest);

    /* Signed by someone other than the sender. */
    ck_assert(tx_sign(&tx, regtest.genesis_hash, secrets[1], zero_aux));
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);

    /* A sender that is not a valid key can never sign. */
    memset(tx.sender, 0xff, PUBKEY_SIZE);
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);
    tx_free(&tx);

    /* Replay protection: signed for the test network, the transaction is
     * valid there and refused on regtest, and the other way round. */
    make_transfer(&tx, &testnet, 0, pubs[1], 1000, 0, 10);
    expect_ok(&tx, &testnet);
    expect_reject(&tx, &regtest, "bad-txns-sig", VAL_CONSENSUS);
    tx_free(&tx);
    make_transfer(&tx, &regtest, 0, pubs[1], 1000, 0, 10);
    expect_reject(&tx, &testnet, "bad-txns-sig", VAL_CONSENSUS);
    tx_free(&tx);
}
END_TEST

/* Type names for RPC and logs. */
START_TEST(test_type_names)
{
    ck_assert_str_eq(txtype_name(TX_TRANSFER), "transfer");
    ck_assert_ptr_null(txtype_name(0));
    ck_assert_ptr_null(txtype_name(255));
    ck_assert_uint_eq(txtype_from_name("transfer"), TX_TRANSFER);
    ck_assert_uint_eq(txtype_from_name("Transfer"), 0);
    ck_assert_uint_eq(txtype_from_name(""), 0);
    ck_assert_uint_eq(txtype_from_name("stake"), 0);
}
END_TEST

/* Account records: key 'a' | pubkey, value balance u64 | nonce u64. */
START_TEST(test_account_encoding)
{
    uint8_t key[ACCOUNT_KEY_SIZE], val[ACCOUNT_VALUE_SIZE + 1];
    struct account a = {.balance = UINT64_C(0x0102030405060708), .nonce = 9}, back;

    account_key(key, pubs[0]);
    ck_assert_hex_eq(key, sizeof(key),
                     "613db672398d793d551d60932e10d461218418689e66c88cec28ea8a842caf635f");
    account_encode(&a, val);
    ck_assert_hex_eq(val, ACCOUNT_VALUE_SIZE, "08070605040302010900000000000000");
    ck_assert(account_decode(&back, val, ACCOUNT_VALUE_SIZE));
    ck_assert_uint_eq(back.balance, a.balance);
    ck_assert_uint_eq(back.nonce, a.nonce);
    for (size_t len = 0; len < ACCOUNT_VALUE_SIZE; len++)
        ck_assert(!account_decode(&back, val, len));
    val[ACCOUNT_VALUE_SIZE] = 0;
    ck_assert(!account_decode(&back, val, ACCOUNT_VALUE_SIZE + 1));
}
END_TEST

/* TRANSFER payload: to [32] | amount u64, exactly 40 bytes. */
START_TEST(test_transfer_encoding)
{
    struct transfer t, back;
    struct wbuf w;
    memcpy(t.to, pubs[1], PUBKEY_SIZE);
    t.amount = 10 * COIN;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    ck_assert_hex_eq(w.data, w.len, VEC_PAYLOAD);
    ck_assert(transfer_decode(&back, w.data, w.len));
    ck_assert(memcmp(back.to, t.to, PUBKEY_SIZE) == 0 && back.amount == t.amount);
    for (size_t len = 0; len < w.len; len++)
        ck_assert(!transfer_decode(&back, w.data, len));
    put_u8(&w, 0);
    ck_assert(!transfer_decode(&back, w.data, w.len));
    wbuf_free(&w);
}
END_TEST

/* The reject table: one code per reason, the codes dense from 1, every
 * string non-empty, unique, made of [a-z0-9-] and spelled like its code
 * (REJECT_BAD_TXNS_SIG is "bad-txns-sig"). */
static const struct {
    enum reject_code code;
    const char *name;
    const char *string;
} reject_table[] = {
#define REJECT(name, string) {REJECT_##name, #name, string},
#include "consensus/reject.h"
#undef REJECT
};

START_TEST(test_reject_table)
{
    size_t n = sizeof(reject_table) / sizeof(reject_table[0]);
    ck_assert_uint_eq(n + 1, REJECT_COUNT);
    ck_assert_str_eq(reject_reason(REJECT_NONE), "");
    ck_assert_str_eq(reject_reason(REJECT_COUNT), "");
    for (size_t i = 0; i < n; i++) {
        const char *s = reject_table[i].string;
        ck_assert_uint_eq(reject_table[i].code, i + 1);
        ck_assert_str_eq(reject_reason(reject_table[i].code), s);
        ck_assert_msg(s[0] != '\0', "REJECT_%s has no string", reject_table[i].name);
        char spelled[64];
        size_t len = strlen(s);
        ck_assert_uint_lt(len, sizeof(spelled));
        for (size_t k = 0; k <= len; k++) {
            char c = s[k];
            ck_assert_msg(c == '\0' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-',
                          "\"%s\": character %zu", s, k);
            spelled[k] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        ck_assert_str_eq(spelled, reject_table[i].name);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(reject_table[j].string, s) != 0, "\"%s\" listed twice", s);
    }
}
END_TEST

/* val_fail and val_failf set the class, the code and the code's string. */
START_TEST(test_val_fail_sets_code_and_reason)
{
    struct validation v;
    val_init(&v);
    ck_assert(val_ok(&v));
    ck_assert_int_eq(v.code, REJECT_NONE);
    ck_assert_str_eq(v.reason, "");

    ck_assert(!val_fail(&v, VAL_CONSENSUS, REJECT_BAD_TXNS_SIG));
    ck_assert_int_eq(v.cls, VAL_CONSENSUS);
    ck_assert_int_eq(v.code, REJECT_BAD_TXNS_SIG);
    ck_assert_str_eq(v.reason, "bad-txns-sig");
    ck_assert_str_eq(v.detail, "");

    ck_assert(!val_failf(&v, VAL_PREMATURE, REJECT_LEADER_NOT_YET_KNOWN, "slot %d", 7));
    ck_assert_int_eq(v.cls, VAL_PREMATURE);
    ck_assert_int_eq(v.code, REJECT_LEADER_NOT_YET_KNOWN);
    ck_assert_str_eq(v.reason, "leader-not-yet-known");
    ck_assert_str_eq(v.detail, "slot 7");

    ck_assert(!val_fail(&v, VAL_STATE, REJECT_BAD_TXNS_NONCE_TOO_LOW));
    ck_assert_int_eq(v.code, REJECT_BAD_TXNS_NONCE_TOO_LOW);
    ck_assert_str_eq(v.reason, "bad-txns-nonce-too-low");
    ck_assert_str_eq(v.detail, "");

    ck_assert(!val_fail(&v, VAL_DUPLICATE, REJECT_TXN_ALREADY_IN_MEMPOOL));
    ck_assert_str_eq(v.reason, "txn-already-in-mempool");
    ck_assert(!val_fail(&v, VAL_CONSENSUS, REJECT_BAD_FORK_PRIOR_TO_FINALITY));
    ck_assert_str_eq(v.reason, "bad-fork-prior-to-finality");
}
END_TEST

static Suite *tx_suite(void)
{
    Suite *s = suite_create("tx");
    TCase *tc = tcase_create("envelope");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_transfer_vector);
    tcase_add_test(tc, test_sighash_and_txid_coverage);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_truncation_and_trailing);
    tcase_add_test(tc, test_payload_length_bounds);
    tcase_add_test(tc, test_type_names);
    tcase_add_test(tc, test_account_encoding);
    tcase_add_test(tc, test_transfer_encoding);
    suite_add_tcase(s, tc);

    tc = tcase_create("check");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_check_version_type);
    tcase_add_test(tc, test_check_transfer_payload);
    tcase_add_test(tc, test_check_fee);
    tcase_add_test(tc, test_check_oversize);
    tcase_add_test(tc, test_check_signature);
    suite_add_tcase(s, tc);

    tc = tcase_create("reject");
    tcase_add_test(tc, test_reject_table);
    tcase_add_test(tc, test_val_fail_sets_code_and_reason);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setup_once();
    int rc = test_run_suite(tx_suite());
    params_free(&regtest);
    params_free(&testnet);
    return rc;
}
