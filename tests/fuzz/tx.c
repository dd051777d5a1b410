/* Fuzz target: transaction decoding (consensus/tx.c) and the stateless
 * checks of every type (consensus/txtypes.c and the type modules).
 *
 * Properties: a decoded transaction re-encodes to exactly its input (the
 * encoding is canonical), its size and txid agree with that encoding, and
 * tx_check never fails without a reject reason. */
#include "tests/fuzz/fuzz.h"

#include "consensus/params.h"
#include "consensus/tx.h"
#include "consensus/txtypes.h"

#include <sodium.h>
#include <string.h>

static struct chain_params params;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    struct tx tx;
    struct wbuf w;
    struct validation v;
    uint8_t txid[HASH_SIZE], again[HASH_SIZE];

    if (!ready) {
        FUZZ_CHECK(sodium_init() >= 0);
        FUZZ_CHECK(params_init(&params, NET_REGTEST));
        ready = true;
    }
    if (!tx_decode(&tx, data, size))
        return 0;
    wbuf_init(&w);
    tx_encode(&tx, &w);
    FUZZ_CHECK(!w.failed && w.len == size && memcmp(w.data, data, size) == 0);
    FUZZ_CHECK(tx_encoded_size(&tx) == size);
    wbuf_free(&w);

    tx_txid(&tx, txid);
    hash_tagged(again, HTAG_TXID, data, size);
    FUZZ_CHECK(memcmp(txid, again, HASH_SIZE) == 0);

    val_init(&v);
    if (!tx_check(&tx, &params, &v))
        FUZZ_CHECK(v.reason != NULL && v.cls != VAL_OK);
    (void)txtype_name(tx.type);

    struct tx copy;
    FUZZ_CHECK(tx_copy(&copy, &tx));
    tx_txid(&copy, again);
    FUZZ_CHECK(memcmp(txid, again, HASH_SIZE) == 0);
    tx_free(&copy);
    tx_free(&tx);
    return 0;
}
