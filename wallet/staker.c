/* Block production with wallet keys (see staker.h). */
#include "wallet/staker.h"
#include "state/builder.h"
#include "state/chain.h"
#include "wallet/wallet.h"

static bool reveal(void *arg, const uint8_t pub[PUBKEY_SIZE], uint64_t reveals_done,
                   uint8_t out[HASH_SIZE])
{
    struct wallets *ws = arg;
    struct wallet *w;
    return wallets_find_key(ws, pub, &w) && wallet_randao_reveal(w, pub, reveals_done, out);
}

static bool sign(void *arg, struct block_header *hdr)
{
    struct wallets *ws = arg;
    struct wallet *w;
    const struct chain_params *p = wallets_params(ws);
    return wallets_find_key(ws, hdr->proposer, &w) && wallet_sign_header(w, hdr, p->genesis_hash);
}

static bool ours(void *arg, const uint8_t pub[PUBKEY_SIZE])
{
    struct wallet *w;
    return wallets_find_key(arg, pub, &w);
}

bool staker_next_slot(struct wallets *ws, struct chain *c, uint64_t from, uint64_t max_slots,
                      uint64_t *slot, uint8_t pub[PUBKEY_SIZE])
{
    return builder_next_slot(c, ours, ws, from, max_slots, slot, pub);
}

bool staker_produce(struct wallets *ws, struct chain *c, struct mempool *mp,
                    const uint8_t pub[PUBKEY_SIZE], uint64_t slot, uint8_t hash_out[HASH_SIZE],
                    struct validation *v)
{
    struct block_signer signer = {reveal, sign, ws};
    struct block b;
    if (!builder_build(c, mp, pub, slot, &signer, &b, v))
        return false;
    bool ok = chain_process_block(c, &b, v);
    if (ok)
        header_hash(&b.hdr, hash_out);
    block_free(&b);
    return ok;
}
