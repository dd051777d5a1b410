/* Fuzz target: block header and block decoding (consensus/block.c).
 *
 * Input: mode u8 | bytes; mode bit 0 picks a bare header, otherwise a
 * whole block.  Properties: what decodes re-encodes to exactly its input;
 * the hash of a header is that of its bytes; a block's txids are those of
 * its transactions' encodings; block_check never fails without a reason. */
#include "tests/fuzz/fuzz.h"

#include "consensus/block.h"
#include "consensus/params.h"

#include <sodium.h>
#include <string.h>

static struct chain_params params;

static void fuzz_header(const uint8_t *p, size_t n)
{
    struct block_header h;
    uint8_t out[BLOCK_HEADER_SIZE];
    uint8_t hash[HASH_SIZE], again[HASH_SIZE];
    if (!header_decode(&h, p, n)) {
        FUZZ_CHECK(n != BLOCK_HEADER_SIZE);
        return;
    }
    FUZZ_CHECK(n == BLOCK_HEADER_SIZE);
    header_encode(&h, out);
    FUZZ_CHECK(memcmp(out, p, n) == 0);
    header_hash(&h, hash);
    hash_tagged(again, HTAG_BLOCK, p, n);
    FUZZ_CHECK(memcmp(hash, again, HASH_SIZE) == 0);
    (void)header_check_sig(&h, params.genesis_hash);
}

static void fuzz_block(const uint8_t *p, size_t n)
{
    struct block b;
    struct wbuf w;
    struct validation v;
    if (!block_decode(&b, p, n, params.max_block_size))
        return;
    wbuf_init(&w);
    block_encode(&b, &w);
    FUZZ_CHECK(!w.failed && w.len == n && memcmp(w.data, p, n) == 0);
    wbuf_free(&w);
    for (size_t i = 0; i < b.ntx; i++) {
        uint8_t txid[HASH_SIZE];
        tx_txid(&b.txs[i], txid);
        FUZZ_CHECK(memcmp(txid, b.txids[i], HASH_SIZE) == 0);
    }
    val_init(&v);
    if (!block_check(&b, &params, &v))
        FUZZ_CHECK(v.reason != NULL && v.cls != VAL_OK);
    if (b.ntx) {
        block_pop_tx(&b);
        FUZZ_CHECK(b.ntx < b.cap);
    }
    block_free(&b);
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
    if (data[0] & 1)
        fuzz_header(data + 1, size - 1);
    else
        fuzz_block(data + 1, size - 1);
    return 0;
}
