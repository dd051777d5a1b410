/* AI Market encodings: the five payloads, their stateless checks, the state
 * records and their keys (see market.h).  The formulas are in marketmath.c. */
#include "consensus/market.h"
#include "consensus/amount.h"
#include "consensus/params.h"
#include "consensus/validation.h"

#include <string.h>

const char *market_source_name(uint8_t source)
{
    switch (source) {
    case MARKET_SOURCE_UPLOAD: return "upload";
    case MARKET_SOURCE_FL: return "fl";
    case MARKET_SOURCE_ARENA: return "arena";
    case MARKET_SOURCE_COMPOSITE: return "composite";
    }
    return NULL;
}

const char *market_mode_name(uint8_t mode)
{
    switch (mode) {
    case MARKET_MODE_NONE: return "none";
    case MARKET_MODE_AVERAGE: return "average";
    case MARKET_MODE_PIPELINE: return "pipeline";
    }
    return NULL;
}

/* ---- helpers ---- */

static void put_u128(struct wbuf *w, unsigned __int128 v)
{
    put_u64(w, (uint64_t)v);
    put_u64(w, (uint64_t)(v >> 64));
}

static bool get_u128(struct rbuf *r, unsigned __int128 *v)
{
    uint64_t lo, hi;
    if (!get_u64(r, &lo) || !get_u64(r, &hi))
        return false;
    *v = (unsigned __int128)hi << 64 | lo;
    return true;
}

/* A CompactSize length (<= max) and that many bytes, copied into out
 * (max + 1 bytes) with a terminating NUL. */
static bool get_text(struct rbuf *r, char *out, size_t max, uint64_t *len)
{
    const uint8_t *p;
    size_t n;
    if (!get_varbytes(r, &p, &n, max))
        return false;
    if (n)
        memcpy(out, p, n);
    out[n] = '\0';
    *len = n;
    return true;
}

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

static void put_components(struct wbuf *w, uint8_t k,
                           const uint8_t comps[MARKET_MAX_COMPONENTS][MARKET_MODEL_ID_SIZE])
{
    put_compact(w, k);
    for (unsigned i = 0; i < k && i < MARKET_MAX_COMPONENTS; i++)
        put_bytes(w, comps[i], MARKET_MODEL_ID_SIZE);
}

static bool get_components(struct rbuf *r, uint8_t *k,
                           uint8_t comps[MARKET_MAX_COMPONENTS][MARKET_MODEL_ID_SIZE])
{
    uint64_t n;
    if (!get_compact(r, &n, MARKET_MAX_COMPONENTS))
        return false;
    *k = (uint8_t)n;
    for (unsigned i = 0; i < n; i++)
        if (!get_bytes(r, comps[i], MARKET_MODEL_ID_SIZE))
            return false;
    return true;
}

/* ---- payloads ---- */

void market_publish_encode(const struct market_publish *m, struct wbuf *w)
{
    put_varbytes(w, m->name, m->name_len);
    put_u8(w, m->source);
    put_bytes(w, m->source_id, HASH_SIZE);
    if (m->source == MARKET_SOURCE_UPLOAD) {
        fl_spec_encode(&m->spec, w);
        put_compact(w, m->n_weights);
        put_bytes(w, m->weights, (size_t)m->n_weights * 4);
    }
    put_u64(w, m->base_price);
    put_u32(w, m->target);
    put_u16(w, m->split.creator_bps);
    put_u16(w, m->split.data_bps);
    put_u16(w, m->split.provider_bps);
    put_u8(w, m->mode);
    put_components(w, m->n_components, m->components);
}

bool market_publish_decode(struct market_publish *m, const uint8_t *p, size_t n)
{
    struct rbuf r;
    uint64_t len;
    memset(m, 0, sizeof(*m));
    rbuf_init(&r, p, n);
    if (!get_text(&r, m->name, MARKET_MAX_NAME, &len) || !get_u8(&r, &m->source) ||
        !get_bytes(&r, m->source_id, HASH_SIZE))
        return false;
    m->name_len = (uint8_t)len;
    if (m->source == MARKET_SOURCE_UPLOAD &&
        (!fl_spec_decode_from(&m->spec, &r) ||
         !get_compact(&r, &m->n_weights, MARKET_MAX_UPLOAD_PARAMS) ||
         !get_view(&r, &m->weights, (size_t)m->n_weights * 4)))
        return false;
    return get_u64(&r, &m->base_price) && get_u32(&r, &m->target) &&
           get_u16(&r, &m->split.creator_bps) && get_u16(&r, &m->split.data_bps) &&
           get_u16(&r, &m->split.provider_bps) && get_u8(&r, &m->mode) &&
           get_components(&r, &m->n_components, m->components) && rbuf_done(&r);
}

void market_set_price_encode(const struct market_set_price *m, struct wbuf *w)
{
    put_bytes(w, m->model, MARKET_MODEL_ID_SIZE);
    put_u64(w, m->base_price);
    put_u32(w, m->target);
}

bool market_set_price_decode(struct market_set_price *m, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, m->model, MARKET_MODEL_ID_SIZE) && get_u64(&r, &m->base_price) &&
           get_u32(&r, &m->target) && rbuf_done(&r);
}

void market_provider_register_encode(const struct market_provider_register *m, struct wbuf *w)
{
    put_u64(w, m->stake);
    put_varbytes(w, m->endpoint, m->endpoint_len);
}

bool market_provider_register_decode(struct market_provider_register *m, const uint8_t *p,
                                     size_t n)
{
    struct rbuf r;
    uint64_t len;
    memset(m, 0, sizeof(*m));
    rbuf_init(&r, p, n);
    if (!get_u64(&r, &m->stake) || !get_text(&r, m->endpoint, MARKET_MAX_ENDPOINT, &len))
        return false;
    m->endpoint_len = (uint8_t)len;
    return rbuf_done(&r);
}

void market_call_encode(const struct market_call *m, struct wbuf *w)
{
    put_bytes(w, m->model, MARKET_MODEL_ID_SIZE);
    put_bytes(w, m->provider, PUBKEY_SIZE);
    put_u32(w, m->calls);
    put_u64(w, m->max_price);
}

bool market_call_decode(struct market_call *m, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, m->model, MARKET_MODEL_ID_SIZE) &&
           get_bytes(&r, m->provider, PUBKEY_SIZE) && get_u32(&r, &m->calls) &&
           get_u64(&r, &m->max_price) && rbuf_done(&r);
}

void market_claim_encode(const struct market_claim *m, struct wbuf *w)
{
    put_bytes(w, m->model, MARKET_MODEL_ID_SIZE);
}

bool market_claim_decode(struct market_claim *m, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, m->model, MARKET_MODEL_ID_SIZE) && rbuf_done(&r);
}

/* ---- stateless checks ---- */

static bool bad_payload(struct validation *v, const char *what)
{
    return val_failf(v, VAL_CONSENSUS, REJECT_BAD_MARKET_PAYLOAD, "%s", what);
}

static bool malformed(struct validation *v)
{
    return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
}

static bool price_terms_check(uint64_t base_price, uint32_t target, struct validation *v)
{
    if (base_price > MARKET_MAX_PRICE_AT_CAP)
        return bad_payload(v, "base_price above 10^12");
    if (target == 0)
        return bad_payload(v, "target 0");
    return true;
}

bool market_publish_check(const struct tx *tx, const struct chain_params *p,
                          struct validation *v)
{
    struct market_publish m;
    (void)p;
    if (!market_publish_decode(&m, tx->payload, tx->payload_len))
        return malformed(v);
    if (m.name_len == 0 || !printable(m.name, m.name_len))
        return bad_payload(v, "name");
    if (m.source > MARKET_SOURCE_COMPOSITE)
        return bad_payload(v, "source");
    bool zero_id = hash_is_zero(m.source_id);
    bool leaf = m.source != MARKET_SOURCE_COMPOSITE;
    if (m.source == MARKET_SOURCE_UPLOAD || m.source == MARKET_SOURCE_COMPOSITE) {
        if (!zero_id)
            return bad_payload(v, "source_id not zero");
    } else if (zero_id) {
        return bad_payload(v, "source_id zero");
    }
    if (m.source == MARKET_SOURCE_UPLOAD) {
        if (!fl_spec_valid(&m.spec))
            return bad_payload(v, "spec");
        uint64_t count = fl_param_count(&m.spec);
        if (count > MARKET_MAX_UPLOAD_PARAMS)
            return bad_payload(v, "weights: spec above MARKET_MAX_UPLOAD_PARAMS");
        if (count != m.n_weights)
            return bad_payload(v, "weights count");
    }
    if (!price_terms_check(m.base_price, m.target, v))
        return false;
    if ((uint32_t)m.split.creator_bps + m.split.data_bps + m.split.provider_bps != 10000)
        return bad_payload(v, "split does not sum to 10000");
    if (m.split.data_bps != 0 &&
        (m.source == MARKET_SOURCE_UPLOAD || m.source == MARKET_SOURCE_COMPOSITE))
        return bad_payload(v, "data_bps without data providers");
    if (leaf) {
        if (m.mode != MARKET_MODE_NONE)
            return bad_payload(v, "mode of a leaf");
        if (m.n_components != 0)
            return bad_payload(v, "components of a leaf");
    } else {
        if (m.mode != MARKET_MODE_AVERAGE && m.mode != MARKET_MODE_PIPELINE)
            return bad_payload(v, "mode");
        if (m.n_components < 1)
            return bad_payload(v, "components: none");
    }
    return true;
}

bool market_set_price_check(const struct tx *tx, const struct chain_params *p,
                            struct validation *v)
{
    struct market_set_price m;
    (void)p;
    if (!market_set_price_decode(&m, tx->payload, tx->payload_len))
        return malformed(v);
    return price_terms_check(m.base_price, m.target, v);
}

bool market_provider_register_check(const struct tx *tx, const struct chain_params *p,
                                    struct validation *v)
{
    struct market_provider_register m;
    (void)p;
    if (!market_provider_register_decode(&m, tx->payload, tx->payload_len))
        return malformed(v);
    if (!amount_valid(m.stake))
        return bad_payload(v, "stake");
    if (!printable(m.endpoint, m.endpoint_len))
        return bad_payload(v, "endpoint not printable ASCII");
    return true;
}

bool market_call_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct market_call m;
    (void)p;
    if (!market_call_decode(&m, tx->payload, tx->payload_len))
        return malformed(v);
    if (m.calls == 0 || m.calls > MARKET_MAX_CALLS)
        return bad_payload(v, "calls");
    if (m.max_price == 0)
        return bad_payload(v, "max_price 0");
    return true;
}

bool market_claim_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct market_claim m;
    (void)p;
    if (!market_claim_decode(&m, tx->payload, tx->payload_len))
        return malformed(v);
    return true;
}

/* ---- records ---- */

static void put_split(struct wbuf *w, const struct market_split *s)
{
    put_u16(w, s->creator_bps);
    put_u16(w, s->data_bps);
    put_u16(w, s->provider_bps);
}

static bool get_split(struct rbuf *r, struct market_split *s)
{
    return get_u16(r, &s->creator_bps) && get_u16(r, &s->data_bps) &&
           get_u16(r, &s->provider_bps);
}

/* A spec's shape in the model record: kind u8 | CompactSize n (<= FL_MAX_SIZES)
 * | n x u32.  Never the normalization, which is the size of the inputs: the
 * record is read and rewritten by every call, so it stays bounded. */
static void put_shape(struct wbuf *w, const struct fl_spec *s)
{
    put_u8(w, s->kind);
    put_compact(w, s->n_sizes);
    for (uint32_t i = 0; i < s->n_sizes; i++)
        put_u32(w, s->sizes[i]);
}

static bool get_shape(struct rbuf *r, struct fl_spec *s)
{
    uint64_t n;
    memset(s, 0, sizeof(*s));
    if (!get_u8(r, &s->kind) || !get_compact(r, &n, FL_MAX_SIZES))
        return false;
    s->n_sizes = (uint32_t)n;
    for (uint32_t i = 0; i < s->n_sizes; i++)
        if (!get_u32(r, &s->sizes[i]))
            return false;
    return true;
}

void market_model_encode(const struct market_model *m, struct wbuf *w)
{
    put_bytes(w, m->owner, PUBKEY_SIZE);
    put_u64(w, m->published_height);
    put_varbytes(w, m->name, m->name_len);
    put_u8(w, m->source);
    put_bytes(w, m->source_id, HASH_SIZE);
    put_bytes(w, m->winner, PUBKEY_SIZE);
    put_u32(w, m->model_round);
    put_shape(w, &m->spec);
    put_bytes(w, m->model_hash, HASH_SIZE);
    put_u64(w, m->macs);
    put_u8(w, m->mode);
    put_components(w, m->n_components, m->components);
    put_u8(w, m->depth);
    put_u8(w, m->expansion);
    put_u32(w, m->n_inputs);
    put_u32(w, m->n_outputs);
    put_u64(w, m->base_price);
    put_u32(w, m->target);
    put_split(w, &m->split);
    put_u64(w, m->mult);
    put_u64(w, m->mult_height);
    put_u64(w, m->block_height);
    put_u64(w, m->block_calls);
    put_u64(w, m->block_own);
    put_u128(w, m->data_shares);
    put_u128(w, m->acc);
    put_u64(w, m->carry);
    put_u64(w, m->bank);
    put_u64(w, m->calls);
    put_u64(w, m->own_fees);
    put_u64(w, m->paid_creator);
    put_u64(w, m->paid_data);
    put_u64(w, m->paid_provider);
    put_u64(w, m->burned);
    put_u64(w, m->mined);
}

bool market_model_decode(struct market_model *m, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t n;
    memset(m, 0, sizeof(*m));
    rbuf_init(&r, data, len);
    if (!get_bytes(&r, m->owner, PUBKEY_SIZE) || !get_u64(&r, &m->published_height) ||
        !get_text(&r, m->name, MARKET_MAX_NAME, &n))
        return false;
    m->name_len = (uint8_t)n;
    return get_u8(&r, &m->source) && get_bytes(&r, m->source_id, HASH_SIZE) &&
           get_bytes(&r, m->winner, PUBKEY_SIZE) && get_u32(&r, &m->model_round) &&
           get_shape(&r, &m->spec) && get_bytes(&r, m->model_hash, HASH_SIZE) &&
           get_u64(&r, &m->macs) && get_u8(&r, &m->mode) &&
           get_components(&r, &m->n_components, m->components) && get_u8(&r, &m->depth) &&
           get_u8(&r, &m->expansion) && get_u32(&r, &m->n_inputs) &&
           get_u32(&r, &m->n_outputs) && get_u64(&r, &m->base_price) &&
           get_u32(&r, &m->target) && get_split(&r, &m->split) && get_u64(&r, &m->mult) &&
           get_u64(&r, &m->mult_height) && get_u64(&r, &m->block_height) &&
           get_u64(&r, &m->block_calls) && get_u64(&r, &m->block_own) &&
           get_u128(&r, &m->data_shares) && get_u128(&r, &m->acc) && get_u64(&r, &m->carry) &&
           get_u64(&r, &m->bank) && get_u64(&r, &m->calls) && get_u64(&r, &m->own_fees) &&
           get_u64(&r, &m->paid_creator) && get_u64(&r, &m->paid_data) &&
           get_u64(&r, &m->paid_provider) && get_u64(&r, &m->burned) &&
           get_u64(&r, &m->mined) && rbuf_done(&r) && m->source <= MARKET_SOURCE_COMPOSITE &&
           m->mode <= MARKET_MODE_PIPELINE;
}

void market_provider_encode(const struct market_provider *p, struct wbuf *w)
{
    put_u64(w, p->stake);
    put_u64(w, p->registered_height);
    put_varbytes(w, p->endpoint, p->endpoint_len);
    put_u64(w, p->calls);
    put_u64(w, p->earned);
}

bool market_provider_decode(struct market_provider *p, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t n;
    memset(p, 0, sizeof(*p));
    rbuf_init(&r, data, len);
    if (!get_u64(&r, &p->stake) || !get_u64(&r, &p->registered_height) ||
        !get_text(&r, p->endpoint, MARKET_MAX_ENDPOINT, &n))
        return false;
    p->endpoint_len = (uint8_t)n;
    return get_u64(&r, &p->calls) && get_u64(&r, &p->earned) && rbuf_done(&r);
}

void market_flows_encode(const struct market_flows *f, struct wbuf *w)
{
    put_u64(w, f->pool_in);
    put_u64(w, f->mined);
    put_u64(w, f->pool_burned);
    put_u64(w, f->call_burned);
    put_u64(w, f->stakes);
    put_u64(w, f->banks);
}

bool market_flows_decode(struct market_flows *f, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_u64(&r, &f->pool_in) && get_u64(&r, &f->mined) && get_u64(&r, &f->pool_burned) &&
           get_u64(&r, &f->call_burned) && get_u64(&r, &f->stakes) && get_u64(&r, &f->banks) &&
           rbuf_done(&r);
}

/* ---- keys ---- */

static size_t key2(uint8_t *key, uint8_t sub, const uint8_t *id, size_t n)
{
    key[0] = MARKET_KEY_PREFIX;
    key[1] = sub;
    memcpy(key + 2, id, n);
    return 2 + n;
}

size_t market_model_key(uint8_t key[MARKET_KEY_MODEL_SIZE], const uint8_t model[HASH_SIZE])
{
    return key2(key, 'M', model, HASH_SIZE);
}

size_t market_spec_key(uint8_t key[MARKET_KEY_MODEL_SIZE], const uint8_t model[HASH_SIZE])
{
    return key2(key, 'S', model, HASH_SIZE);
}

size_t market_weights_key(uint8_t key[MARKET_KEY_MODEL_SIZE], const uint8_t model[HASH_SIZE])
{
    return key2(key, 'W', model, HASH_SIZE);
}

size_t market_provider_key(uint8_t key[MARKET_KEY_PROVIDER_SIZE], const uint8_t pub[PUBKEY_SIZE])
{
    return key2(key, 'P', pub, PUBKEY_SIZE);
}

size_t market_paid_key(uint8_t key[MARKET_KEY_PAID_SIZE], const uint8_t model[HASH_SIZE],
                       const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE])
{
    key2(key, 'C', model, HASH_SIZE);
    memcpy(key + 2 + HASH_SIZE, provider, PUBKEY_SIZE);
    memcpy(key + 2 + HASH_SIZE + PUBKEY_SIZE, payer, PUBKEY_SIZE);
    return MARKET_KEY_PAID_SIZE;
}

size_t market_snapshot_key(uint8_t key[MARKET_KEY_SNAPSHOT_SIZE], const uint8_t model[HASH_SIZE],
                           const uint8_t pub[PUBKEY_SIZE])
{
    key2(key, 'D', model, HASH_SIZE);
    memcpy(key + 2 + HASH_SIZE, pub, PUBKEY_SIZE);
    return MARKET_KEY_SNAPSHOT_SIZE;
}

size_t market_list_key(uint8_t key[MARKET_KEY_LIST_SIZE], uint64_t seq)
{
    key[0] = MARKET_KEY_PREFIX;
    key[1] = 'L';
    write_be64(key + 2, seq);
    return MARKET_KEY_LIST_SIZE;
}

size_t market_height_key(uint8_t key[MARKET_KEY_HEIGHT_SIZE], uint64_t height)
{
    key[0] = MARKET_KEY_PREFIX;
    key[1] = 'q';
    write_be64(key + 2, height);
    return MARKET_KEY_HEIGHT_SIZE;
}

size_t market_queue_key(uint8_t key[MARKET_KEY_QUEUE_SIZE], uint64_t height, uint32_t seq)
{
    key[0] = MARKET_KEY_PREFIX;
    key[1] = 'Q';
    write_be64(key + 2, height);
    key[10] = (uint8_t)(seq >> 24);
    key[11] = (uint8_t)(seq >> 16);
    key[12] = (uint8_t)(seq >> 8);
    key[13] = (uint8_t)seq;
    return MARKET_KEY_QUEUE_SIZE;
}
