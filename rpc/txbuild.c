/* Transactions from JSON (createrawtransaction): the direction opposite to
 * rpc/txjson.c.  One function per type reads the fields that
 * decoderawtransaction prints in "payload", under the same names, and
 * encodes them with the consensus encoders; the table tx_payload_build is
 * indexed by enum tx_type (test_txtypes fails when a type has no entry).
 *
 * Where the decoded payload shows bulk data only as a count or a hash (the
 * weights of a reveal or an upload, a task's initial weights and input
 * normalization, a validation-set chunk and its Merkle path, the two headers
 * of evidence, the two votes of finality evidence), the data is given as hex
 * under a field of its own (weights_hex, initial_weights_hex,
 * normalization_hex, path_hex, data_hex, header_a / header_b, vote_a_hex /
 * vote_b_hex), and the printed count or hash, when given too, must
 * agree with it.  The id a task or model gets from its own txid ("task" of
 * the create types, "model" of market_publish) cannot be chosen and is
 * ignored.  Any other field is refused, and so is a value of the wrong JSON
 * type or out of its field's range; the built payload then passes the
 * type's stateless checks or is refused with their reason. */
#include "consensus/accounts.h"
#include "consensus/arena.h"
#include "consensus/bech32.h"
#include "consensus/finality.h"
#include "consensus/key.h"
#include "consensus/fltx.h"
#include "consensus/market.h"
#include "consensus/stakingtx.h"
#include "consensus/txtypes.h"
#include "rpc/txbuild.h"
#include "rpc/util.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JB_MAX_SEEN 48
#define JB_MAX_ALLOCS 8

struct jb {
    const struct chain_params *p;
    const json_t *o;    /* the payload fields */
    const char *prefix; /* "" or "payload." for messages */
    const char *seen[JB_MAX_SEEN];
    size_t nseen;
    void *allocs[JB_MAX_ALLOCS];
    size_t nallocs;
    char *err;
    size_t errlen;
    bool failed;
};

static bool fail(struct jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct jb *b, const char *fmt, ...)
{
    if (!b->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err, b->errlen, fmt, ap);
        va_end(ap);
    }
    b->failed = true;
    return false;
}

/* The value of a field (marked as read), NULL when absent or null. */
static const json_t *field(struct jb *b, const char *name, bool required)
{
    if (b->nseen < JB_MAX_SEEN)
        b->seen[b->nseen++] = name;
    const json_t *v = json_object_get(b->o, name);
    if (v && json_is_null(v))
        v = NULL;
    if (!v && required)
        fail(b, "%s%s: missing", b->prefix, name);
    return v;
}

static bool uintf(struct jb *b, const char *name, uint64_t max, uint64_t *out)
{
    const json_t *v = field(b, name, true);
    if (!v)
        return false;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return fail(b, "%s%s: expected an integer from 0 to %llu", b->prefix, name,
                    (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return true;
}

#define UINTF(b, name, max, dst)                                                                   \
    do {                                                                                           \
        uint64_t x_;                                                                               \
        if (!uintf(b, name, max, &x_))                                                             \
            return false;                                                                          \
        (dst) = x_;                                                                                \
    } while (0)

static bool amountf(struct jb *b, const char *name, uint64_t *out)
{
    const json_t *v = field(b, name, true);
    const char *why = NULL;
    if (!v)
        return false;
    if (!rpc_parse_amount_err(v, out, &why))
        return fail(b, "%s%s: %s", b->prefix, name, why ? why : "Invalid amount");
    return true;
}

static bool hashf(struct jb *b, const char *name, uint8_t out[HASH_SIZE])
{
    const json_t *v = field(b, name, true);
    if (!v)
        return false;
    if (!json_is_string(v) || strlen(json_string_value(v)) != 2 * HASH_SIZE ||
        !hash_from_hex(out, json_string_value(v)))
        return fail(b, "%s%s: expected 64 hex digits", b->prefix, name);
    return true;
}

/* The 32 bytes an address of this network carries.  Unlike address_decode,
 * the bytes need not be a valid key: the decoder prints any 32 bytes of a
 * payload as an address, and the type's stateless rules (run on the built
 * payload) say whether the key must be valid (a transfer's recipient) or
 * not (an FL allow-list entry). */
static bool address_bytes(const struct chain_params *p, const char *s, uint8_t out[PUBKEY_SIZE])
{
    char hrp[BECH32_MAX_LEN + 1];
    uint8_t data[BECH32_MAX_LEN + 1], key[BECH32_MAX_LEN + 1];
    size_t data_len, key_len;
    if (strlen(s) > BECH32_MAX_LEN || bech32_decode(hrp, data, &data_len, s) != BECH32_M ||
        strcmp(hrp, p->hrp) != 0 || data_len < 1 || data[0] != 0 ||
        !bech32_convert_bits(key, &key_len, 8, data + 1, data_len - 1, 5, false) ||
        key_len != PUBKEY_SIZE)
        return false;
    memcpy(out, key, PUBKEY_SIZE);
    return true;
}

static bool addressf(struct jb *b, const char *name, uint8_t out[PUBKEY_SIZE])
{
    const json_t *v = field(b, name, true);
    if (!v)
        return false;
    if (!json_is_string(v) || !address_bytes(b->p, json_string_value(v), out))
        return fail(b, "%s%s: expected an address of this network", b->prefix, name);
    return true;
}

/* Hex data of whole units of `unit` bytes, at most max_units of them; the
 * bytes stay with b.  Absent and not required: 0 units. */
static bool hexf(struct jb *b, const char *name, bool required, size_t unit, uint64_t max_units,
                 const uint8_t **data, uint64_t *units)
{
    const json_t *v = field(b, name, required);
    *data = NULL;
    *units = 0;
    if (!v)
        return !required;
    size_t hl = json_is_string(v) ? json_string_length(v) : 0;
    if (!json_is_string(v) || hl % 2 != 0)
        return fail(b, "%s%s: expected a hex string", b->prefix, name);
    size_t n = hl / 2;
    if (n % unit != 0 || n / unit > max_units)
        return fail(b, "%s%s: expected a multiple of %zu bytes, at most %llu of them", b->prefix,
                    name, unit, (unsigned long long)max_units);
    if (b->nallocs >= JB_MAX_ALLOCS)
        return fail(b, "%s%s: too many data fields", b->prefix, name);
    uint8_t *buf = malloc(n ? n : 1);
    size_t got = 0;
    if (!buf)
        return fail(b, "out of memory");
    b->allocs[b->nallocs++] = buf;
    if (sodium_hex2bin(buf, n, json_string_value(v), hl, NULL, &got, NULL) != 0 || got != n)
        return fail(b, "%s%s: expected a hex string", b->prefix, name);
    *data = buf;
    *units = n / unit;
    return true;
}

/* Printable text of at most max bytes. */
static bool textf(struct jb *b, const char *name, size_t max, char *out, size_t *len)
{
    const json_t *v = field(b, name, true);
    if (!v)
        return false;
    if (!json_is_string(v) || json_string_length(v) > max)
        return fail(b, "%s%s: expected a string of at most %zu bytes", b->prefix, name, max);
    *len = json_string_length(v);
    memcpy(out, json_string_value(v), *len);
    out[*len] = '\0';
    return true;
}

/* A name (as the decoder prints it) or the raw byte value. */
static bool enumf(struct jb *b, const char *name, const char *(*namefn)(uint8_t), uint8_t *out)
{
    const json_t *v = field(b, name, true);
    if (!v)
        return false;
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255) {
        *out = (uint8_t)json_integer_value(v);
        return true;
    }
    if (json_is_string(v))
        for (unsigned i = 0; i < 256; i++) {
            const char *s = namefn((uint8_t)i);
            if (s && strcmp(s, json_string_value(v)) == 0) {
                *out = (uint8_t)i;
                return true;
            }
        }
    char names[160] = "";
    size_t used = 0;
    for (unsigned i = 0; i < 256 && used + 40 < sizeof(names); i++) {
        const char *s = namefn((uint8_t)i);
        if (s)
            used += (size_t)snprintf(names + used, sizeof(names) - used, "%s\"%s\"",
                                     used ? ", " : "", s);
    }
    return fail(b, "%s%s: expected one of %s", b->prefix, name, names);
}

/* An array of at most max elements. */
static const json_t *arrayf(struct jb *b, const char *name, size_t max)
{
    const json_t *v = field(b, name, true);
    if (!v)
        return NULL;
    if (!json_is_array(v) || json_array_size(v) > max) {
        fail(b, "%s%s: expected an array of at most %zu elements", b->prefix, name, max);
        return NULL;
    }
    return v;
}

/* A derived count: when given, it must be n. */
static bool derived_count(struct jb *b, const char *name, uint64_t n)
{
    const json_t *v = field(b, name, false);
    if (v && (!json_is_integer(v) || (uint64_t)json_integer_value(v) != n ||
              json_integer_value(v) < 0))
        return fail(b, "%s%s: the data given has %llu", b->prefix, name, (unsigned long long)n);
    return true;
}

static bool derived_hash(struct jb *b, const char *name, const uint8_t h[HASH_SIZE])
{
    const json_t *v = field(b, name, false);
    uint8_t x[HASH_SIZE];
    if (v && (!json_is_string(v) || !hash_from_hex(x, json_string_value(v)) ||
              memcmp(x, h, HASH_SIZE) != 0))
        return fail(b, "%s%s: does not match the data given", b->prefix, name);
    return true;
}

/* kind/model, sizes, normalization_hex (+ normalized_inputs). */
static bool specf(struct jb *b, const char *kind_name, struct fl_spec *s)
{
    const json_t *sizes;
    uint64_t n_norm;
    memset(s, 0, sizeof(*s));
    if (!enumf(b, kind_name, fl_model_kind_name, &s->kind) ||
        !(sizes = arrayf(b, "sizes", FL_MAX_SIZES)))
        return false;
    s->n_sizes = (uint32_t)json_array_size(sizes);
    for (size_t i = 0; i < json_array_size(sizes); i++) {
        const json_t *x = json_array_get(sizes, i);
        if (!json_is_integer(x) || json_integer_value(x) < 1 ||
            json_integer_value(x) > FL_MAX_UNITS)
            return fail(b, "%ssizes[%zu]: expected an integer from 1 to %u", b->prefix, i,
                        FL_MAX_UNITS);
        s->sizes[i] = (uint32_t)json_integer_value(x);
    }
    if (!hexf(b, "normalization_hex", false, 8, FL_MAX_UNITS, &s->norm, &n_norm) ||
        !derived_count(b, "normalized_inputs", n_norm))
        return false;
    s->n_norm = (uint32_t)n_norm;
    return true;
}

/* weights_hex (+ weights, model_hash). */
static bool weightsf(struct jb *b, uint64_t max, const uint8_t **w, uint64_t *n)
{
    uint8_t h[HASH_SIZE];
    if (!hexf(b, "weights_hex", true, 4, max, w, n))
        return false;
    fl_model_hash(h, *w, (size_t)*n);
    return derived_count(b, "weights", *n) && derived_hash(b, "model_hash", h);
}

/* ---- one function per type ---- */

static bool build_transfer(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct transfer t;
    if (!addressf(b, "to", t.to) || !amountf(b, "amount", &t.amount))
        return false;
    transfer_encode(&t, w);
    return true;
}

static bool build_validator_register(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct validator_register r;
    if (!amountf(b, "stake", &r.stake))
        return false;
    UINTF(b, "commission_bps", UINT16_MAX, r.commission_bps);
    if (!hashf(b, "randao_commit", r.randao_commit))
        return false;
    validator_register_encode(&r, w);
    return true;
}

static bool build_stake_amount(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    uint64_t amount;
    if (!amountf(b, "amount", &amount))
        return false;
    stake_amount_encode(amount, w);
    return true;
}

static bool build_delegation(struct jb *b, uint8_t type, struct wbuf *w)
{
    struct delegation_change d;
    if (!addressf(b, "validator", d.validator))
        return false;
    const json_t *a = json_object_get(b->o, "amount");
    if (type == TX_UNDELEGATE && json_is_string(a) && strcmp(json_string_value(a), "all") == 0) {
        field(b, "amount", true);
        d.amount = UNDELEGATE_ALL;
    } else if (!amountf(b, "amount", &d.amount)) {
        return false;
    }
    delegation_change_encode(&d, w);
    return true;
}

static bool headerf(struct jb *b, const char *name, struct block_header *h)
{
    const uint8_t *data;
    uint64_t n;
    if (!hexf(b, name, true, 1, UINT16_MAX, &data, &n))
        return false;
    if (n != BLOCK_HEADER_SIZE || !header_decode(h, data, BLOCK_HEADER_SIZE))
        return fail(b, "%s%s: expected a block header (%d bytes as hex)", b->prefix, name,
                    BLOCK_HEADER_SIZE);
    return true;
}

static bool build_evidence(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct evidence e;
    uint8_t ha[HASH_SIZE], hb[HASH_SIZE];
    if (!headerf(b, "header_a", &e.a) || !headerf(b, "header_b", &e.b))
        return false;
    header_hash(&e.a, ha);
    header_hash(&e.b, hb);
    const json_t *prop = field(b, "proposer", false), *slot = field(b, "slot", false);
    uint8_t pub[PUBKEY_SIZE];
    if (prop && (!json_is_string(prop) || !address_bytes(b->p, json_string_value(prop), pub) ||
                 memcmp(pub, e.a.proposer, PUBKEY_SIZE) != 0))
        return fail(b, "%sproposer: does not match header_a", b->prefix);
    if (slot && (!json_is_integer(slot) || (uint64_t)json_integer_value(slot) != e.a.slot))
        return fail(b, "%sslot: does not match header_a", b->prefix);
    if (!derived_hash(b, "block_a", ha) || !derived_hash(b, "block_b", hb))
        return false;
    evidence_encode(&e, w);
    return true;
}

static bool build_unjail(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)b;
    (void)type;
    (void)w;
    return true;
}

static bool build_validator_edit(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct validator_edit e;
    memset(&e, 0, sizeof(e));
    UINTF(b, "commission_bps", UINT16_MAX, e.commission_bps);
    const json_t *d = field(b, "description", false);
    if (d) {
        if (!json_is_string(d) || json_string_length(d) > VALIDATOR_DESCRIPTION_MAX)
            return fail(b, "%sdescription: expected a string of at most %d bytes", b->prefix,
                        VALIDATOR_DESCRIPTION_MAX);
        e.description_len = (uint8_t)json_string_length(d);
        memcpy(e.description, json_string_value(d), e.description_len);
    }
    validator_edit_encode(&e, w);
    return true;
}

static bool build_fl_task_create(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct fl_task_params t;
    const json_t *allow;
    memset(&t, 0, sizeof(t));
    field(b, "task", false); /* the txid: derived */
    if (!specf(b, "model", &t.spec) ||
        !hexf(b, "initial_weights_hex", false, 4, (TX_MAX_PAYLOAD / 4), &t.init, &t.n_init) ||
        !derived_count(b, "initial_weights", t.n_init))
        return false;
    UINTF(b, "rounds", UINT32_MAX, t.rounds);
    UINTF(b, "min_participants", UINT16_MAX, t.min_participants);
    UINTF(b, "max_participants", UINT16_MAX, t.max_participants);
    if (!amountf(b, "min_stake", &t.min_stake))
        return false;
    UINTF(b, "proposer_slots", UINT16_MAX, t.proposer_slots);
    UINTF(b, "join_blocks", UINT32_MAX, t.join_blocks);
    UINTF(b, "submit_blocks", UINT32_MAX, t.submit_blocks);
    UINTF(b, "update_reveal_blocks", UINT32_MAX, t.update_reveal_blocks);
    UINTF(b, "commit_blocks", UINT32_MAX, t.commit_blocks);
    UINTF(b, "reveal_blocks", UINT32_MAX, t.reveal_blocks);
    if (!enumf(b, "aggregator", fl_aggregator_name, &t.aggregator))
        return false;
    UINTF(b, "trim_k", UINT16_MAX, t.trim_k);
    UINTF(b, "slash_bps", UINT16_MAX, t.slash_bps);
    UINTF(b, "voter_reward_bps", UINT16_MAX, t.voter_reward_bps);
    if (!amountf(b, "budget", &t.budget) || !(allow = arrayf(b, "allowlist", FL_MAX_ALLOW)))
        return false;
    uint8_t *keys = malloc(json_array_size(allow) * PUBKEY_SIZE + 1);
    if (!keys || b->nallocs >= JB_MAX_ALLOCS) {
        free(keys);
        return fail(b, "out of memory");
    }
    b->allocs[b->nallocs++] = keys;
    for (size_t i = 0; i < json_array_size(allow); i++) {
        const json_t *a = json_array_get(allow, i);
        if (!json_is_string(a) ||
            !address_bytes(b->p, json_string_value(a), keys + i * PUBKEY_SIZE))
            return fail(b, "%sallowlist[%zu]: expected an address of this network", b->prefix, i);
    }
    t.n_allow = json_array_size(allow);
    t.allow = keys;
    fl_task_params_encode(&t, w);
    return true;
}

static bool build_fl_join(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct fl_join j;
    if (!hashf(b, "task", j.task) || !amountf(b, "stake", &j.stake))
        return false;
    fl_join_encode(&j, w);
    return true;
}

static bool build_fl_commit(struct jb *b, uint8_t type, struct wbuf *w)
{
    struct fl_update_commit c; /* the same layout as struct fl_vote_commit */
    if (!hashf(b, "task", c.task))
        return false;
    UINTF(b, "round", UINT32_MAX, c.round);
    if (!hashf(b, "commitment", c.commitment))
        return false;
    if (type == TX_FL_UPDATE_COMMIT) {
        fl_update_commit_encode(&c, w);
    } else {
        struct fl_vote_commit v;
        memcpy(v.task, c.task, sizeof(v.task));
        v.round = c.round;
        memcpy(v.commitment, c.commitment, HASH_SIZE);
        fl_vote_commit_encode(&v, w);
    }
    return true;
}

static bool build_fl_update_reveal(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct fl_update_reveal u;
    if (!hashf(b, "task", u.task))
        return false;
    UINTF(b, "round", UINT32_MAX, u.round);
    if (!hashf(b, "salt", u.salt) || !weightsf(b, (TX_MAX_PAYLOAD / 4), &u.weights, &u.n))
        return false;
    fl_update_reveal_encode(&u, w);
    return true;
}

static bool build_fl_vote_reveal(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct fl_vote_reveal r;
    const json_t *vs;
    if (!hashf(b, "task", r.task))
        return false;
    UINTF(b, "round", UINT32_MAX, r.round);
    if (!hashf(b, "salt", r.salt) || !(vs = arrayf(b, "verdicts", FL_MAX_SLOTS)))
        return false;
    uint8_t *buf = malloc(5 * json_array_size(vs) + 1);
    if (!buf || b->nallocs >= JB_MAX_ALLOCS) {
        free(buf);
        return fail(b, "out of memory");
    }
    b->allocs[b->nallocs++] = buf;
    for (size_t i = 0; i < json_array_size(vs); i++) {
        const json_t *x = json_array_get(vs, i), *verdict, *q, *metric;
        const char *k;
        const json_t *val;
        if (!json_is_object(x))
            return fail(b, "%sverdicts[%zu]: expected an object", b->prefix, i);
        json_object_foreach ((json_t *)x, k, val)
            if (strcmp(k, "verdict") && strcmp(k, "metric_q16") && strcmp(k, "metric"))
                return fail(b, "%sverdicts[%zu].%s: unknown field", b->prefix, i, k);
        verdict = json_object_get(x, "verdict");
        q = json_object_get(x, "metric_q16");
        metric = json_object_get(x, "metric");
        if (!json_is_integer(verdict) || json_integer_value(verdict) < INT8_MIN ||
            json_integer_value(verdict) > INT8_MAX)
            return fail(b, "%sverdicts[%zu].verdict: expected an integer from -128 to 127",
                        b->prefix, i);
        if (!json_is_integer(q) || json_integer_value(q) < INT32_MIN ||
            json_integer_value(q) > INT32_MAX)
            return fail(b, "%sverdicts[%zu].metric_q16: expected a 32-bit integer", b->prefix, i);
        char text[FL_Q16_DEC_MAX];
        fl_q16_format((int32_t)json_integer_value(q), text);
        if (metric && (!json_is_string(metric) || strcmp(json_string_value(metric), text) != 0))
            return fail(b, "%sverdicts[%zu].metric: metric_q16 reads %s", b->prefix, i, text);
        buf[5 * i] = (uint8_t)(int8_t)json_integer_value(verdict);
        write_le32(buf + 5 * i + 1, (uint32_t)(int32_t)json_integer_value(q));
    }
    r.n = json_array_size(vs);
    r.verdicts = buf;
    fl_vote_reveal_encode(&r, w);
    return true;
}

/* ---- arena ---- */

static bool build_arena_task_create(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_task_params t;
    const json_t *sets;
    size_t uri_len;
    memset(&t, 0, sizeof(t));
    field(b, "task", false); /* the txid: derived */
    if (!specf(b, "model", &t.spec) || !enumf(b, "loss", arena_loss_name, &t.loss) ||
        !hashf(b, "data_hash", t.data_hash) || !textf(b, "uri", ARENA_MAX_URI, t.uri, &uri_len) ||
        !(sets = arrayf(b, "sets", ARENA_MAX_SETS)))
        return false;
    t.uri_len = (uint16_t)uri_len;
    t.k = (uint8_t)json_array_size(sets);
    for (size_t i = 0; i < t.k; i++) {
        const json_t *s = json_array_get(sets, i), *root, *nc, *nr;
        const char *k;
        const json_t *val;
        if (!json_is_object(s))
            return fail(b, "%ssets[%zu]: expected an object", b->prefix, i);
        json_object_foreach ((json_t *)s, k, val)
            if (strcmp(k, "root") && strcmp(k, "n_chunks") && strcmp(k, "n_rows"))
                return fail(b, "%ssets[%zu].%s: unknown field", b->prefix, i, k);
        root = json_object_get(s, "root");
        nc = json_object_get(s, "n_chunks");
        nr = json_object_get(s, "n_rows");
        if (!json_is_string(root) || !hash_from_hex(t.sets[i].root, json_string_value(root)))
            return fail(b, "%ssets[%zu].root: expected 64 hex digits", b->prefix, i);
        if (!json_is_integer(nc) || json_integer_value(nc) < 0 ||
            json_integer_value(nc) > UINT16_MAX)
            return fail(b, "%ssets[%zu].n_chunks: expected an integer from 0 to 65535",
                        b->prefix, i);
        if (!json_is_integer(nr) || json_integer_value(nr) < 0 ||
            json_integer_value(nr) > UINT32_MAX)
            return fail(b, "%ssets[%zu].n_rows: expected an integer from 0 to 4294967295",
                        b->prefix, i);
        t.sets[i].n_chunks = (uint16_t)json_integer_value(nc);
        t.sets[i].n_rows = (uint32_t)json_integer_value(nr);
    }
    UINTF(b, "submit_blocks", UINT32_MAX, t.submit_blocks);
    UINTF(b, "reveal_blocks", UINT32_MAX, t.reveal_blocks);
    UINTF(b, "score_commit_blocks", UINT32_MAX, t.score_commit_blocks);
    UINTF(b, "score_reveal_blocks", UINT32_MAX, t.score_reveal_blocks);
    if (!amountf(b, "budget", &t.budget))
        return false;
    UINTF(b, "gamma_bps", UINT16_MAX, t.gamma_bps);
    UINTF(b, "q_bps", UINT16_MAX, t.q_bps);
    UINTF(b, "delta_bps", UINT16_MAX, t.delta_bps);
    UINTF(b, "D_bps", UINT32_MAX, t.d_bps);
    UINTF(b, "epsilon", UINT32_MAX, t.epsilon);
    UINTF(b, "vest_epochs", UINT16_MAX, t.vest_epochs);
    UINTF(b, "draws_per_set", UINT8_MAX, t.draws_per_set);
    UINTF(b, "max_trainers", UINT16_MAX, t.max_trainers);
    UINTF(b, "max_validators", UINT16_MAX, t.max_validators);
    if (!amountf(b, "trainer_min_stake", &t.trainer_min_stake) ||
        !amountf(b, "validator_min_stake", &t.validator_min_stake))
        return false;
    UINTF(b, "slash_bps", UINT16_MAX, t.slash_bps);
    arena_task_params_encode(&t, w);
    return true;
}

static bool build_arena_stake(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_stake s;
    if (!hashf(b, "task", s.task) || !enumf(b, "role", arena_role_name, &s.role) ||
        !amountf(b, "amount", &s.amount))
        return false;
    arena_stake_encode(&s, w);
    return true;
}

static bool build_arena_delegate(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_delegate d;
    if (!hashf(b, "task", d.task) || !addressf(b, "operator", d.op) ||
        !amountf(b, "amount", &d.amount))
        return false;
    arena_delegate_encode(&d, w);
    return true;
}

static bool build_arena_undelegate(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_undelegate u;
    if (!hashf(b, "task", u.task) || !addressf(b, "operator", u.op))
        return false;
    arena_undelegate_encode(&u, w);
    return true;
}

static bool build_arena_set_share(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_set_share s;
    if (!hashf(b, "task", s.task))
        return false;
    UINTF(b, "sigma_bps", UINT16_MAX, s.sigma_bps);
    arena_set_share_encode(&s, w);
    return true;
}

static bool build_arena_commit(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_commit c;
    if (!hashf(b, "task", c.task) || !hashf(b, "commitment", c.commitment))
        return false;
    arena_commit_encode(&c, w);
    return true;
}

static bool build_arena_submit_reveal(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_submit_reveal r;
    if (!hashf(b, "task", r.task) || !hashf(b, "salt", r.salt) ||
        !weightsf(b, ARENA_MAX_PARAMS, &r.weights, &r.n))
        return false;
    arena_submit_reveal_encode(&r, w);
    return true;
}

static bool build_arena_reveal_valset(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_reveal_valset r;
    uint64_t npath, len;
    if (!hashf(b, "task", r.task))
        return false;
    UINTF(b, "set", UINT8_MAX, r.set);
    UINTF(b, "chunk", UINT16_MAX, r.chunk);
    if (!hashf(b, "salt", r.salt) ||
        !hexf(b, "path_hex", false, HASH_SIZE, ARENA_MAX_PATH, &r.path, &npath) ||
        !derived_count(b, "path_length", npath) ||
        !hexf(b, "data_hex", true, 1, ARENA_MAX_CHUNK_BYTES, &r.data, &len) ||
        !derived_count(b, "bytes", len))
        return false;
    r.npath = (uint8_t)npath;
    r.len = (uint32_t)len;
    arena_reveal_valset_encode(&r, w);
    return true;
}

static bool build_arena_score_reveal(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct arena_score_reveal r;
    const json_t *raw, *dec;
    if (!hashf(b, "task", r.task) || !hashf(b, "salt", r.salt) ||
        !(raw = arrayf(b, "losses_raw", ARENA_MAX_SCORES)))
        return false;
    uint8_t *buf = malloc(4 * json_array_size(raw) + 1);
    if (!buf || b->nallocs >= JB_MAX_ALLOCS) {
        free(buf);
        return fail(b, "out of memory");
    }
    b->allocs[b->nallocs++] = buf;
    for (size_t i = 0; i < json_array_size(raw); i++) {
        const json_t *x = json_array_get(raw, i);
        if (!json_is_integer(x) || json_integer_value(x) < 0 ||
            json_integer_value(x) > UINT32_MAX)
            return fail(b, "%slosses_raw[%zu]: expected an integer from 0 to 4294967295",
                        b->prefix, i);
        write_le32(buf + 4 * i, (uint32_t)json_integer_value(x));
    }
    /* "losses" is losses_raw as decimals (16.16 fixed point): when given,
     * as many entries as losses_raw. */
    dec = field(b, "losses", false);
    if (dec && (!json_is_array(dec) || json_array_size(dec) != json_array_size(raw)))
        return fail(b, "%slosses: derived from losses_raw, expected %zu entries", b->prefix,
                    json_array_size(raw));
    r.n = (uint32_t)json_array_size(raw);
    r.losses = buf;
    arena_score_reveal_encode(&r, w);
    return true;
}

/* ---- market ---- */

static bool splitf(struct jb *b, struct market_split *s)
{
    const json_t *o = field(b, "split", true), *v;
    const char *names[3] = {"creator_bps", "data_bps", "provider_bps"};
    uint16_t *dst[3] = {&s->creator_bps, &s->data_bps, &s->provider_bps};
    const char *k;
    if (!o)
        return false;
    if (!json_is_object(o))
        return fail(b, "%ssplit: expected an object", b->prefix);
    json_object_foreach ((json_t *)o, k, v)
        if (strcmp(k, names[0]) && strcmp(k, names[1]) && strcmp(k, names[2]))
            return fail(b, "%ssplit.%s: unknown field", b->prefix, k);
    for (int i = 0; i < 3; i++) {
        v = json_object_get(o, names[i]);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > UINT16_MAX)
            return fail(b, "%ssplit.%s: expected an integer from 0 to 65535", b->prefix,
                        names[i]);
        *dst[i] = (uint16_t)json_integer_value(v);
    }
    return true;
}

static bool build_market_publish(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct market_publish m;
    size_t name_len;
    const json_t *comps;
    memset(&m, 0, sizeof(m));
    field(b, "model", false); /* the txid: derived */
    if (!textf(b, "name", MARKET_MAX_NAME, m.name, &name_len) ||
        !enumf(b, "source", market_source_name, &m.source))
        return false;
    m.name_len = (uint8_t)name_len;
    if (m.source == MARKET_SOURCE_FL || m.source == MARKET_SOURCE_ARENA) {
        if (!hashf(b, "source_id", m.source_id))
            return false;
    }
    if (m.source == MARKET_SOURCE_UPLOAD) {
        if (!specf(b, "kind", &m.spec) ||
            !weightsf(b, MARKET_MAX_UPLOAD_PARAMS, &m.weights, &m.n_weights))
            return false;
    }
    if (!amountf(b, "base_price", &m.base_price))
        return false;
    UINTF(b, "target", UINT32_MAX, m.target);
    if (!splitf(b, &m.split) || !enumf(b, "mode", market_mode_name, &m.mode) ||
        !(comps = arrayf(b, "components", MARKET_MAX_COMPONENTS)))
        return false;
    m.n_components = (uint8_t)json_array_size(comps);
    for (size_t i = 0; i < m.n_components; i++) {
        const json_t *c = json_array_get(comps, i);
        if (!json_is_string(c) || !hash_from_hex(m.components[i], json_string_value(c)))
            return fail(b, "%scomponents[%zu]: expected 64 hex digits", b->prefix, i);
    }
    market_publish_encode(&m, w);
    return true;
}

static bool build_market_set_price(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct market_set_price m;
    if (!hashf(b, "model", m.model) || !amountf(b, "base_price", &m.base_price))
        return false;
    UINTF(b, "target", UINT32_MAX, m.target);
    market_set_price_encode(&m, w);
    return true;
}

static bool build_market_provider_register(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct market_provider_register r;
    size_t len;
    if (!amountf(b, "stake", &r.stake) ||
        !textf(b, "endpoint", MARKET_MAX_ENDPOINT, r.endpoint, &len))
        return false;
    r.endpoint_len = (uint8_t)len;
    market_provider_register_encode(&r, w);
    return true;
}

static bool build_market_call(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct market_call c;
    if (!hashf(b, "model", c.model) || !addressf(b, "provider", c.provider))
        return false;
    UINTF(b, "calls", UINT32_MAX, c.calls);
    if (!amountf(b, "max_price", &c.max_price))
        return false;
    market_call_encode(&c, w);
    return true;
}

static bool build_market_claim(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct market_claim c;
    if (!hashf(b, "model", c.model))
        return false;
    market_claim_encode(&c, w);
    return true;
}

static bool build_finality_vote(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    struct finality_vote fv;
    if (!uintf(b, "source_epoch", UINT64_MAX, &fv.source.epoch) ||
        !hashf(b, "source", fv.source.hash) ||
        !uintf(b, "target_epoch", UINT64_MAX, &fv.target.epoch) ||
        !hashf(b, "target", fv.target.hash))
        return false;
    finality_vote_encode(&fv, w);
    return true;
}

/* The two votes as raw transactions (vote_a_hex, vote_b_hex); the voter and
 * the decoded votes' txids, when given, must agree with them. */
static bool build_finality_evidence(struct jb *b, uint8_t type, struct wbuf *w)
{
    (void)type;
    const char *names[2] = {"vote_a", "vote_b"};
    const char *hexnames[2] = {"vote_a_hex", "vote_b_hex"};
    struct tx votes[2];
    bool ok = true;
    tx_init(&votes[0]);
    tx_init(&votes[1]);
    for (int i = 0; ok && i < 2; i++) {
        const uint8_t *data;
        uint64_t n;
        uint8_t id[HASH_SIZE];
        if (!hexf(b, hexnames[i], true, 1, FINALITY_MAX_VOTE_TX, &data, &n)) {
            ok = false;
            break;
        }
        if (!tx_decode(&votes[i], data, (size_t)n)) {
            ok = fail(b, "%s%s: not a transaction", b->prefix, hexnames[i]);
            break;
        }
        const json_t *shown = field(b, names[i], false), *txid = NULL;
        if (shown && !json_is_object(shown)) {
            ok = fail(b, "%s%s: expected an object", b->prefix, names[i]);
            break;
        }
        if (shown && (txid = json_object_get(shown, "txid"))) {
            uint8_t want[HASH_SIZE];
            tx_txid(&votes[i], id);
            if (!json_is_string(txid) || strlen(json_string_value(txid)) != 2 * HASH_SIZE ||
                !hash_from_hex(want, json_string_value(txid)) || memcmp(want, id, HASH_SIZE) != 0)
                ok = fail(b, "%s%s: does not match %s", b->prefix, names[i], hexnames[i]);
        }
    }
    const json_t *voter = field(b, "voter", false);
    uint8_t pub[PUBKEY_SIZE];
    if (ok && voter &&
        (!json_is_string(voter) || !address_bytes(b->p, json_string_value(voter), pub) ||
         memcmp(pub, votes[0].sender, PUBKEY_SIZE) != 0))
        ok = fail(b, "%svoter: does not match vote_a_hex", b->prefix);
    if (ok)
        finality_evidence_encode(&votes[0], &votes[1], w);
    tx_free(&votes[0]);
    tx_free(&votes[1]);
    return ok;
}

const tx_build_fn tx_payload_build[TX_TYPE_LIMIT] = {
    /* accounts */
    [TX_TRANSFER] = build_transfer,
    /* staking */
    [TX_VALIDATOR_REGISTER] = build_validator_register,
    [TX_STAKE_ADD] = build_stake_amount,
    [TX_UNBOND] = build_stake_amount,
    [TX_DELEGATE] = build_delegation,
    [TX_UNDELEGATE] = build_delegation,
    [TX_EVIDENCE] = build_evidence,
    [TX_UNJAIL] = build_unjail,
    [TX_VALIDATOR_EDIT] = build_validator_edit,
    /* fl */
    [TX_FL_TASK_CREATE] = build_fl_task_create,
    [TX_FL_JOIN] = build_fl_join,
    [TX_FL_UPDATE_COMMIT] = build_fl_commit,
    [TX_FL_VOTE_COMMIT] = build_fl_commit,
    [TX_FL_VOTE_REVEAL] = build_fl_vote_reveal,
    [TX_FL_UPDATE_REVEAL] = build_fl_update_reveal,
    /* arena */
    [TX_ARENA_TASK_CREATE] = build_arena_task_create,
    [TX_ARENA_STAKE] = build_arena_stake,
    [TX_ARENA_DELEGATE] = build_arena_delegate,
    [TX_ARENA_UNDELEGATE] = build_arena_undelegate,
    [TX_ARENA_SET_SHARE] = build_arena_set_share,
    [TX_ARENA_SUBMIT_COMMIT] = build_arena_commit,
    [TX_ARENA_SUBMIT_REVEAL] = build_arena_submit_reveal,
    [TX_ARENA_REVEAL_VALSET] = build_arena_reveal_valset,
    [TX_ARENA_SCORE_COMMIT] = build_arena_commit,
    [TX_ARENA_SCORE_REVEAL] = build_arena_score_reveal,
    /* market */
    [TX_MARKET_PUBLISH] = build_market_publish,
    [TX_MARKET_SET_PRICE] = build_market_set_price,
    [TX_MARKET_PROVIDER_REGISTER] = build_market_provider_register,
    [TX_MARKET_CALL] = build_market_call,
    [TX_MARKET_CLAIM] = build_market_claim,
    /* finality */
    [TX_FINALITY_VOTE] = build_finality_vote,
    [TX_FINALITY_EVIDENCE] = build_finality_evidence,
};

/* The envelope fields createrawtransaction reads besides the payload's. */
static const char *const envelope[] = {"type", "sender", "nonce", "fee", "version", "payload"};

static bool is_envelope(const char *k)
{
    for (size_t i = 0; i < sizeof(envelope) / sizeof(envelope[0]); i++)
        if (strcmp(k, envelope[i]) == 0)
            return true;
    return false;
}

static bool sender_from(const struct chain_params *p, const json_t *v, uint8_t out[PUBKEY_SIZE])
{
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    if (address_decode(out, p->hrp, s))
        return true;
    size_t got = 0;
    return strlen(s) == 2 * PUBKEY_SIZE &&
           sodium_hex2bin(out, PUBKEY_SIZE, s, strlen(s), NULL, &got, NULL) == 0 &&
           got == PUBKEY_SIZE && key_pubkey_valid(out);
}

bool tx_build_from_json(const struct chain_params *p, const json_t *in, struct tx *tx,
                        bool *have_nonce, bool *have_fee, char *err, size_t errlen)
{
    struct jb b = {.p = p, .o = in, .prefix = "", .err = err, .errlen = errlen};
    const json_t *v, *payload;
    const char *k;
    struct wbuf w;
    bool ok = false;

    tx_init(tx);
    *have_nonce = *have_fee = false;
    if (!json_is_object(in))
        return fail(&b, "expected a JSON object");
    v = json_object_get(in, "type");
    if (!json_is_string(v) || !txtype_from_name(json_string_value(v)))
        return fail(&b, "type: expected the name of a transaction type, as "
                        "decoderawtransaction prints it (\"transfer\", \"fl_join\", ...)");
    tx->type = txtype_from_name(json_string_value(v));
    tx->version = TX_VERSION;
    v = json_object_get(in, "version");
    if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) != TX_VERSION))
        return fail(&b, "version: only %d is known", TX_VERSION);
    if (!sender_from(p, json_object_get(in, "sender"), tx->sender))
        return fail(&b, "sender: expected an address of this network or a 32-byte public key "
                        "as hex");
    v = json_object_get(in, "nonce");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return fail(&b, "nonce: expected an integer >= 0");
        tx->nonce = (uint64_t)json_integer_value(v);
        *have_nonce = true;
    }
    v = json_object_get(in, "fee");
    if (v && !json_is_null(v)) {
        const char *why = NULL;
        if (!rpc_parse_amount_err(v, &tx->fee, &why))
            return fail(&b, "fee: %s", why ? why : "Invalid amount");
        *have_fee = true;
    }
    /* The payload's fields: under "payload" (decoderawtransaction's shape)
     * or beside the envelope's, not both. */
    payload = json_object_get(in, "payload");
    if (payload && !json_is_object(payload))
        return fail(&b, "payload: expected an object");
    if (payload) {
        json_object_foreach ((json_t *)in, k, v)
            if (!is_envelope(k))
                return fail(&b, "%s: give the payload's fields either in \"payload\" or beside "
                                "\"type\", not both",
                            k);
        b.o = payload;
        b.prefix = "payload.";
    }

    wbuf_init(&w);
    if (tx_payload_build[tx->type](&b, tx->type, &w)) {
        /* Every field given must have been read. */
        json_object_foreach ((json_t *)b.o, k, v) {
            bool seen = !payload && is_envelope(k);
            for (size_t i = 0; i < b.nseen && !seen; i++)
                seen = strcmp(b.seen[i], k) == 0;
            if (!seen) {
                fail(&b, "%s%s: unknown field for type %s", b.prefix, k, txtype_name(tx->type));
                break;
            }
        }
    }
    if (!b.failed && w.failed)
        fail(&b, "out of memory");
    if (!b.failed && w.len > TX_MAX_PAYLOAD)
        fail(&b, "payload: %zu bytes, more than %u", w.len, TX_MAX_PAYLOAD);
    if (!b.failed && !tx_set_payload(tx, w.data, w.len))
        fail(&b, "out of memory");
    if (!b.failed) {
        struct validation val;
        val_init(&val);
        if (!txtype_check_payload(tx, p, &val))
            fail(&b, "payload refused by the %s rules: %s%s%s", txtype_name(tx->type),
                 val.reason, val.detail[0] ? ": " : "", val.detail);
        else
            ok = true;
    }
    wbuf_free(&w);
    for (size_t i = 0; i < b.nallocs; i++)
        free(b.allocs[i]);
    if (!ok)
        tx_free(tx);
    return ok;
}
