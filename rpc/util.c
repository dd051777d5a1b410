/* Shared argument parsing and JSON shapes (see util.h). */
#include "rpc/util.h"
#include "consensus/bech32.h"
#include "consensus/txtypes.h"
#include "state/chain.h"

#include <stdlib.h>
#include <string.h>

bool rpc_arg_hash(struct rpc_call *call, size_t idx, const char *name, uint8_t out[HASH_SIZE])
{
    const char *s = rpc_str(call, idx, "");
    if (strlen(s) != 2 * HASH_SIZE) {
        rpc_error(call, RPC_INVALID_PARAMETER, "%s must be of length 64 (not %zu, for '%.80s')",
                  name, strlen(s), s);
        return false;
    }
    if (!hash_from_hex(out, s)) {
        rpc_error(call, RPC_INVALID_PARAMETER, "%s must be hexadecimal string (not '%.80s')", name,
                  s);
        return false;
    }
    return true;
}

bool rpc_arg_address(struct rpc_call *call, size_t idx, uint8_t out[PUBKEY_SIZE])
{
    const struct chain_params *p = rpc_env(call)->params;
    const char *s = rpc_str(call, idx, "");
    if (!address_decode(out, p->hrp, s)) {
        rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address: %.100s", s);
        return false;
    }
    return true;
}

json_t *json_hash(const uint8_t h[HASH_SIZE])
{
    char hex[2 * HASH_SIZE + 1];
    hash_to_hex(h, hex);
    return json_string(hex);
}

json_t *json_address(const struct chain_params *p, const uint8_t pub[PUBKEY_SIZE])
{
    char addr[ADDRESS_MAX_LEN];
    if (!address_encode(addr, p->hrp, pub))
        return json_null();
    return json_string(addr);
}

json_t *tx_to_json(const struct chain_params *p, const struct tx *tx)
{
    uint8_t txid[HASH_SIZE];
    tx_txid(tx, txid);
    return tx_to_json_id(p, tx, txid);
}

json_t *tx_to_json_id(const struct chain_params *p, const struct tx *tx,
                      const uint8_t txid[HASH_SIZE])
{
    const char *type = txtype_name(tx->type);
    json_t *o = json_object();
    json_object_set_new(o, "txid", json_hash(txid));
    json_object_set_new(o, "version", json_integer(tx->version));
    json_object_set_new(o, "type", type ? json_string(type) : json_integer(tx->type));
    json_object_set_new(o, "sender", json_address(p, tx->sender));
    json_object_set_new(o, "nonce", json_integer((json_int_t)tx->nonce));
    json_object_set_new(o, "fee", json_amount(tx->fee));
    json_object_set_new(o, "size", json_integer((json_int_t)tx_encoded_size(tx)));
    json_object_set_new(o, "payload", tx_payload_to_json(p, tx));
    json_object_set_new(o, "signature", json_hex(tx->sig, SIG_SIZE));
    return o;
}

void rpc_out_hash(struct rpc_out *o, const uint8_t h[HASH_SIZE])
{
    char hex[2 * HASH_SIZE + 2];
    hex[0] = '"';
    hash_to_hex(h, hex + 1);
    hex[2 * HASH_SIZE + 1] = '"';
    rpc_out_add(o, hex, sizeof hex);
}

#define ADDR_CACHE_SLOTS 256

/* Direct-mapped by the key's first byte (keys are uniform); a slot holds
 * the quoted address text, or "null" when it did not encode. */
struct rpc_addr_cache {
    struct {
        bool used;
        uint8_t pub[PUBKEY_SIZE];
        uint8_t len;
        char text[ADDRESS_MAX_LEN + 2];
    } slot[ADDR_CACHE_SLOTS];
};

struct rpc_addr_cache *rpc_addr_cache_new(void)
{
    return calloc(1, sizeof(struct rpc_addr_cache));
}

void rpc_addr_cache_free(struct rpc_addr_cache *cache)
{
    free(cache);
}

void rpc_out_address(struct rpc_out *o, const struct chain_params *p,
                     const uint8_t pub[PUBKEY_SIZE], struct rpc_addr_cache *cache)
{
    char addr[ADDRESS_MAX_LEN];
    if (cache) {
        unsigned k = (unsigned)(pub[0] ^ pub[PUBKEY_SIZE - 1]) % ADDR_CACHE_SLOTS;
        if (cache->slot[k].used && memcmp(cache->slot[k].pub, pub, PUBKEY_SIZE) == 0) {
            rpc_out_add(o, cache->slot[k].text, cache->slot[k].len);
            return;
        }
        /* Addresses are bech32: no byte needs escaping. */
        size_t n = address_encode(addr, p->hrp, pub) ? strlen(addr) : 0;
        if (n && n + 2 <= sizeof cache->slot[k].text) {
            cache->slot[k].used = true;
            memcpy(cache->slot[k].pub, pub, PUBKEY_SIZE);
            cache->slot[k].text[0] = '"';
            memcpy(cache->slot[k].text + 1, addr, n);
            cache->slot[k].text[n + 1] = '"';
            cache->slot[k].len = (uint8_t)(n + 2);
            rpc_out_add(o, cache->slot[k].text, cache->slot[k].len);
        } else {
            rpc_out_str(o, "null");
        }
        return;
    }
    if (!address_encode(addr, p->hrp, pub)) {
        rpc_out_str(o, "null");
        return;
    }
    rpc_out_string(o, addr, strlen(addr));
}

/* The bytes of rpc_json_dumps(tx_to_json_id(p, tx, txid), 0): the member
 * order and formatting of tx_to_json_id, without a value per field. */
void tx_write_json(struct rpc_out *o, const struct chain_params *p, const struct tx *tx,
                   const uint8_t txid[HASH_SIZE], struct rpc_addr_cache *cache)
{
    const char *type = txtype_name(tx->type);
    rpc_out_str(o, "{\"txid\":");
    rpc_out_hash(o, txid);
    rpc_out_str(o, ",\"version\":");
    rpc_out_int(o, tx->version);
    rpc_out_str(o, ",\"type\":");
    if (type)
        rpc_out_string(o, type, strlen(type));
    else
        rpc_out_int(o, tx->type);
    rpc_out_str(o, ",\"sender\":");
    rpc_out_address(o, p, tx->sender, cache);
    rpc_out_str(o, ",\"nonce\":");
    rpc_out_int(o, (int64_t)tx->nonce);
    rpc_out_str(o, ",\"fee\":");
    rpc_out_amount(o, tx->fee);
    rpc_out_str(o, ",\"size\":");
    rpc_out_int(o, (int64_t)tx_encoded_size(tx));
    rpc_out_str(o, ",\"payload\":");
    tx_payload_write_json(o, p, tx, cache);
    rpc_out_str(o, ",\"signature\":");
    rpc_out_hex(o, tx->sig, SIG_SIZE);
    rpc_out_ch(o, '}');
}

json_t *block_txs_json(const struct chain_params *p, const struct block *b, int verbosity)
{
    struct rpc_out o = {0};
    /* Without the cache (out of memory) the addresses are encoded each time. */
    struct rpc_addr_cache *cache = verbosity >= 2 ? rpc_addr_cache_new() : NULL;
    rpc_out_ch(&o, '[');
    for (size_t i = 0; i < b->ntx; i++) {
        if (i)
            rpc_out_ch(&o, ',');
        if (verbosity >= 2)
            tx_write_json(&o, p, &b->txs[i], b->txids[i], cache);
        else
            rpc_out_hash(&o, b->txids[i]);
    }
    rpc_out_ch(&o, ']');
    rpc_addr_cache_free(cache);
    return rpc_out_raw(&o);
}

#define MEDIAN_TIME_SPAN 11

uint64_t block_median_time(const struct block_index *bi)
{
    uint64_t t[MEDIAN_TIME_SPAN];
    size_t n = 0;
    for (; bi && n < MEDIAN_TIME_SPAN; bi = bi->prev) {
        size_t j = n++;
        /* insertion sort, ascending */
        for (; j > 0 && t[j - 1] > bi->hdr.time; j--)
            t[j] = t[j - 1];
        t[j] = bi->hdr.time;
    }
    return n ? t[n / 2] : 0;
}

/* bi against an active chain ending at tip_height: active says whether bi
 * is on it, next is its successor there (or NULL). */
static json_t *header_json(const struct chain_params *p, const struct block_index *bi,
                           bool active, uint64_t tip_height, const struct block_index *next)
{
    const struct block_header *h = &bi->hdr;
    json_t *o = json_object();
    json_object_set_new(o, "hash", json_hash(bi->hash));
    json_object_set_new(o, "confirmations",
                        json_integer(active ? (json_int_t)(tip_height - h->height + 1) : -1));
    json_object_set_new(o, "height", json_integer((json_int_t)h->height));
    json_object_set_new(o, "version", json_integer(h->version));
    json_object_set_new(o, "merkleroot", json_hash(h->tx_root));
    json_object_set_new(o, "stateroot", json_hash(h->state_root));
    json_object_set_new(o, "time", json_integer((json_int_t)h->time));
    json_object_set_new(o, "mediantime", json_integer((json_int_t)block_median_time(bi)));
    json_object_set_new(o, "slot", json_integer((json_int_t)h->slot));
    json_object_set_new(o, "epoch", json_integer((json_int_t)params_epoch_of(p, h->slot)));
    json_object_set_new(o, "proposer",
                        h->height ? json_address(p, h->proposer) : json_null());
    json_object_set_new(o, "randao_reveal", json_hash(h->randao_reveal));
    json_object_set_new(o, "signature", json_hex(h->sig, SIG_SIZE));
    json_object_set_new(o, "nTx", json_integer(bi->ntx));
    if (h->height > 0)
        json_object_set_new(o, "previousblockhash", json_hash(h->prev));
    if (next)
        json_object_set_new(o, "nextblockhash", json_hash(next->hash));
    return o;
}

json_t *header_to_json(struct chain *c, const struct block_index *bi)
{
    bool active = chain_contains(c, bi);
    return header_json(chain_params(c), bi, active, chain_height(c),
                       active ? chain_at(c, bi->hdr.height + 1) : NULL);
}

json_t *header_to_json_at(const struct chain_params *p, const struct block_index *bi,
                          const struct block_index *tip)
{
    bool active = chain_ancestor(tip, bi->hdr.height) == bi;
    return header_json(p, bi, active, tip->hdr.height,
                       active ? chain_ancestor(tip, bi->hdr.height + 1) : NULL);
}
