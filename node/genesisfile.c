/* -genesis=FILE (see genesisfile.h; the format is in doc/protocol.md §11.1).
 *
 *   {
 *     "name": "consortium",            chain name (letters, digits, '-', '_')
 *     "hrp": "cfml",                   address prefix
 *     "genesis_time": 1767225600,      unix seconds of slot 0
 *     "params": {"slot_seconds": 5, ...},   optional overrides of regtest-like defaults
 *     "allocations": [{"pubkey": "hex", "amount": "1000.0"}, ...],
 *     "validators": [{"pubkey": "hex", "stake": "100000", "commission_bps": 1000,
 *                     "randao_commit": "hex"}, ...]
 *   }
 * Amounts are FML as decimal strings (exact) or integer numbers.
 */
#include "node/genesisfile.h"
#include "consensus/amount.h"
#include "consensus/genesis.h"
#include "util/fs.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool bad(char *err, size_t errlen, const char *field, const char *why)
{
    snprintf(err, errlen, "genesis file: %s %s", field, why);
    return false;
}

/* FML as a decimal string "123.45678901" or an integer number. */
static bool parse_amount(const json_t *v, uint64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || (uint64_t)i > MAX_SUPPLY / COIN)
            return false;
        *out = (uint64_t)i * COIN;
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    uint64_t whole = 0, frac = 0;
    int digits = 0;
    if (!*s)
        return false;
    for (; *s && *s != '.'; s++) {
        if (*s < '0' || *s > '9' || whole > MAX_SUPPLY / COIN)
            return false;
        whole = whole * 10 + (uint64_t)(*s - '0');
    }
    if (*s == '.') {
        for (s++; *s; s++, digits++) {
            if (*s < '0' || *s > '9' || digits >= 8)
                return false;
            frac = frac * 10 + (uint64_t)(*s - '0');
        }
        if (digits == 0)
            return false;
    }
    while (digits++ < 8)
        frac *= 10;
    if (whole > MAX_SUPPLY / COIN)
        return false;
    *out = whole * COIN + frac;
    return *out <= MAX_SUPPLY;
}

bool genesisfile_amount(const char *s, uint64_t *out)
{
    json_t *v = json_string(s);
    bool ok = v && parse_amount(v, out);
    json_decref(v);
    return ok;
}

static bool parse_key(const json_t *v, uint8_t out[32])
{
    return json_is_string(v) && hash_from_hex(out, json_string_value(v));
}

struct param_field {
    const char *name;
    int width; /* 2, 4 or 8 bytes */
    size_t offset;
    bool amount;
};

#define FIELD(name, width, amount) {#name, width, offsetof(struct chain_params, name), amount}
static const struct param_field fields[] = {
    FIELD(slot_seconds, 4, false),        FIELD(epoch_slots, 4, false),
    FIELD(finality_depth, 4, false),      FIELD(unbonding_blocks, 4, false),
    FIELD(max_block_size, 4, false),      FIELD(max_block_txs, 4, false),
    FIELD(max_tx_size, 4, false),         FIELD(min_validator_stake, 8, true),
    FIELD(min_delegation, 8, true),       FIELD(max_validators, 4, false),
    FIELD(max_commission_bps, 2, false),  FIELD(slash_bps, 2, false),
    FIELD(evidence_bounty_bps, 2, false), FIELD(block_reward, 8, true),
    FIELD(halving_blocks, 8, false),      FIELD(split_proposer_bps, 2, false),
    FIELD(split_fl_bps, 2, false),        FIELD(split_arena_bps, 2, false),
    FIELD(split_market_bps, 2, false),    FIELD(arena_burn_bps, 2, false),
    FIELD(arena_match_bps, 2, false),     FIELD(arena_pool_cap_blocks, 4, false),
    FIELD(fl_burn_bps, 2, false),         FIELD(fl_match_bps, 2, false),
    FIELD(fl_pool_cap_blocks, 4, false),  FIELD(market_burn_bps, 2, false),
    FIELD(market_mine_bps, 2, false),     FIELD(market_fee_per_kmac, 8, false),
    FIELD(market_mult_cap, 4, false),     FIELD(market_pool_cap_blocks, 4, false),
    FIELD(market_min_provider_stake, 8, true),
    FIELD(downtime_jail_bps, 2, false),   FIELD(downtime_min_slots, 4, false),
    FIELD(downtime_jail_epochs, 4, false), FIELD(downtime_slash_bps, 2, false),
    FIELD(max_commission_change_bps, 2, false),
};

static bool set_field(struct chain_params *p, const struct param_field *f, const json_t *v)
{
    uint64_t x;
    uint8_t *dst = (uint8_t *)p + f->offset;
    if (f->amount) {
        if (!parse_amount(v, &x))
            return false;
    } else {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return false;
        x = (uint64_t)json_integer_value(v);
    }
    if (f->width == 2 && x <= UINT16_MAX) {
        uint16_t y = (uint16_t)x;
        memcpy(dst, &y, 2);
    } else if (f->width == 4 && x <= UINT32_MAX) {
        uint32_t y = (uint32_t)x;
        memcpy(dst, &y, 4);
    } else if (f->width == 8) {
        memcpy(dst, &x, 8);
    } else {
        return false;
    }
    return true;
}

static bool load_params(struct chain_params *p, const json_t *root, char *err, size_t errlen)
{
    const json_t *params = json_object_get(root, "params");
    const char *key;
    json_t *v;
    if (!params)
        return true;
    if (!json_is_object(params))
        return bad(err, errlen, "params", "must be an object");
    json_object_foreach((json_t *)params, key, v) {
        const struct param_field *f = NULL;
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (strcmp(fields[i].name, key) == 0)
                f = &fields[i];
        if (!f) {
            snprintf(err, errlen, "genesis file: unknown parameter params.%s", key);
            return false;
        }
        if (!set_field(p, f, v)) {
            snprintf(err, errlen, "genesis file: params.%s has an invalid value", key);
            return false;
        }
    }
    return true;
}

static bool load_entries(struct chain_params *p, const json_t *root, char *err, size_t errlen)
{
    const json_t *allocs = json_object_get(root, "allocations");
    const json_t *vals = json_object_get(root, "validators");
    size_t i;
    json_t *e;
    if (allocs && (!json_is_array(allocs) || json_array_size(allocs) > PARAMS_MAX_ALLOCS))
        return bad(err, errlen, "allocations", "must be an array of at most 4096 entries");
    if (!json_is_array(vals) || json_array_size(vals) == 0 ||
        json_array_size(vals) > PARAMS_MAX_GENESIS_VALIDATORS)
        return bad(err, errlen, "validators", "must be an array of 1 to 256 entries");
    p->n_allocs = allocs ? json_array_size(allocs) : 0;
    p->n_validators = json_array_size(vals);
    p->allocs = calloc(p->n_allocs + 1, sizeof(*p->allocs));
    p->validators = calloc(p->n_validators, sizeof(*p->validators));
    if (!p->allocs || !p->validators)
        return bad(err, errlen, "", "out of memory");
    if (allocs) {
        json_array_foreach(allocs, i, e) {
            if (!parse_key(json_object_get(e, "pubkey"), p->allocs[i].pubkey) ||
                !parse_amount(json_object_get(e, "amount"), &p->allocs[i].amount)) {
                snprintf(err, errlen, "genesis file: allocations[%zu] needs \"pubkey\" (64 hex) "
                                      "and \"amount\" (FML)", i);
                return false;
            }
        }
    }
    json_array_foreach(vals, i, e) {
        struct genesis_validator *gv = &p->validators[i];
        const json_t *c = json_object_get(e, "commission_bps");
        if (!parse_key(json_object_get(e, "pubkey"), gv->pubkey) ||
            !parse_amount(json_object_get(e, "stake"), &gv->stake) ||
            !parse_key(json_object_get(e, "randao_commit"), gv->randao_commit) ||
            (c && (!json_is_integer(c) || json_integer_value(c) < 0 ||
                   json_integer_value(c) > 10000))) {
            snprintf(err, errlen, "genesis file: validators[%zu] needs \"pubkey\" (64 hex), "
                                  "\"stake\" (FML), \"randao_commit\" (64 hex) and an optional "
                                  "\"commission_bps\" (0..10000)", i);
            return false;
        }
        gv->commission_bps = c ? (uint16_t)json_integer_value(c) : 0;
    }
    return true;
}

static bool valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

static bool builtin_name(const char *s)
{
    return strcmp(s, "main") == 0 || strcmp(s, "test") == 0 || strcmp(s, "regtest") == 0;
}

static bool parse_as(struct chain_params *p, enum network net, const char *text, size_t len,
                     char *err, size_t errlen)
{
    struct chain_params builtin;
    json_error_t jerr;
    struct block_header hdr;
    json_t *root;
    bool ok = false;

    if (len > GENESIS_FILE_MAX) {
        snprintf(err, errlen, "genesis file: larger than 8 MiB");
        return false;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(err, errlen, "genesis file: %s (line %d)", jerr.text, jerr.line);
        return false;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        snprintf(err, errlen, "genesis file: must hold a JSON object");
        return false;
    }
    params_custom_defaults(p);

    const json_t *name = json_object_get(root, "name"), *hrp = json_object_get(root, "hrp");
    const json_t *gt = json_object_get(root, "genesis_time");
    if (net != NET_CUSTOM) {
        if (!params_init(&builtin, net)) {
            bad(err, errlen, "name", "is a network this node cannot set up");
            goto done;
        }
        bool same = json_is_string(name) && strcmp(json_string_value(name), builtin.name) == 0;
        params_free(&builtin);
        if (!same) {
            snprintf(err, errlen, "genesis file: name must be \"%s\"", builtin.name);
            goto done;
        }
    } else if (!json_is_string(name) || !valid_name(json_string_value(name), PARAMS_NAME_MAX) ||
               builtin_name(json_string_value(name))) {
        bad(err, errlen, "name", "must be 1-31 of [a-z0-9_-] and not a built-in network");
        goto done;
    }
    strcpy(p->name, json_string_value(name));
    if (!json_is_string(hrp) || !valid_name(json_string_value(hrp), PARAMS_HRP_MAX) ||
        strchr(json_string_value(hrp), '-') || strchr(json_string_value(hrp), '_')) {
        bad(err, errlen, "hrp", "must be 1-15 of [a-z0-9]");
        goto done;
    }
    strcpy(p->hrp, json_string_value(hrp));
    if (!json_is_integer(gt) || json_integer_value(gt) < 0) {
        bad(err, errlen, "genesis_time", "must be a non-negative integer (unix seconds)");
        goto done;
    }
    p->genesis_time = (uint64_t)json_integer_value(gt);
    /* The network magic follows from the name so two custom networks do not
     * accept each other's peers. */
    uint8_t h[HASH_SIZE];
    hash_tagged(h, HTAG_GENESIS, p->name, strlen(p->name));
    memcpy(p->magic, h, 4);
    if (net != NET_CUSTOM) { /* a built-in network keeps its magic and ports */
        if (!params_init(&builtin, net)) {
            bad(err, errlen, "name", "is a network this node cannot set up");
            goto done;
        }
        p->net = net;
        memcpy(p->magic, builtin.magic, 4);
        p->p2p_port = builtin.p2p_port;
        p->rpc_port = builtin.rpc_port;
        p->regtest_rules = builtin.regtest_rules;
        params_free(&builtin);
    }
    if (!load_params(p, root, err, errlen) || !load_entries(p, root, err, errlen))
        goto done;
    if (!params_validate(p, err, errlen)) {
        char why[200];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "genesis file: %s", why);
        goto done;
    }
    if (!genesis_build(p, &hdr)) {
        bad(err, errlen, "allocations/validators", "contain a duplicate key");
        goto done;
    }
    ok = true;
done:
    json_decref(root);
    if (!ok)
        params_free(p);
    return ok;
}

bool genesisfile_parse(struct chain_params *p, const char *text, size_t len, char *err,
                       size_t errlen)
{
    return parse_as(p, NET_CUSTOM, text, len, err, errlen);
}

bool genesisfile_parse_network(struct chain_params *p, enum network net, const char *text,
                               size_t len, char *err, size_t errlen)
{
    return parse_as(p, net, text, len, err, errlen);
}

bool genesisfile_load(struct chain_params *p, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    char why[400];
    if (!fs_read_file(path, GENESIS_FILE_MAX, &text, &len)) {
        snprintf(err, errlen, "genesis file %s: %s", path,
                 errno == EFBIG ? "larger than 8 MiB" : strerror(errno));
        return false;
    }
    static const char prefix[] = "genesis file: ";
    bool ok = genesisfile_parse(p, text, len, why, sizeof(why));
    if (!ok) /* name the file: "genesis file PATH: what is wrong" */
        snprintf(err, errlen, "genesis file %s: %s", path,
                 strncmp(why, prefix, sizeof(prefix) - 1) == 0 ? why + sizeof(prefix) - 1 : why);
    free(text);
    return ok;
}

/* ---- the launch ceremony: a genesis file from the operators' fragments ---- */

void genesisfile_format_amount(uint64_t units, char out[32])
{
    unsigned long long whole = units / COIN, frac = units % COIN;
    if (frac == 0) {
        snprintf(out, 32, "%llu", whole);
        return;
    }
    int n = snprintf(out, 32, "%llu.%08llu", whole, frac);
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
}

static json_t *json_hex32(const uint8_t b[32])
{
    char s[65];
    hash_to_hex(b, s);
    return json_string(s);
}

static json_t *json_amount(uint64_t units)
{
    char s[32];
    genesisfile_format_amount(units, s);
    return json_string(s);
}

static uint64_t get_field(const struct chain_params *p, const struct param_field *f)
{
    const uint8_t *src = (const uint8_t *)p + f->offset;
    if (f->width == 2) {
        uint16_t y;
        memcpy(&y, src, 2);
        return y;
    }
    if (f->width == 4) {
        uint32_t y;
        memcpy(&y, src, 4);
        return y;
    }
    uint64_t y;
    memcpy(&y, src, 8);
    return y;
}

/* Only the named keys may appear in o; false with the first other one. */
static bool only_keys(const json_t *o, const char *const *allowed, const char **extra)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(allowed[i], key) == 0;
        if (!known) {
            *extra = key;
            return false;
        }
    }
    return true;
}

static int cmp_validator(const void *a, const void *b)
{
    return memcmp(((const struct genesis_validator *)a)->pubkey,
                  ((const struct genesis_validator *)b)->pubkey, PUBKEY_SIZE);
}

static int cmp_alloc(const void *a, const void *b)
{
    const struct genesis_alloc *x = a, *y = b;
    int c = memcmp(x->pubkey, y->pubkey, PUBKEY_SIZE);
    return c ? c : (x->amount > y->amount) - (x->amount < y->amount);
}

/* One operator's fragment, checked against the base's parameters. */
static bool parse_fragment(const struct genesis_fragment *f, const struct chain_params *p,
                           struct genesis_validator *gv, char *err, size_t errlen)
{
    static const char *const allowed[] = {"pubkey", "stake", "commission_bps", "randao_commit",
                                          NULL};
    json_error_t jerr;
    const char *extra = NULL;
    char a[32], b[32];
    bool ok = false;
    json_t *o = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &jerr);
    memset(gv, 0, sizeof(*gv));
    if (!json_is_object(o)) {
        /* jansson's message may quote the text: a key file sent by mistake
         * must not have its secret printed, so only the place is given. */
        if (o)
            snprintf(err, errlen, "fragment %s: not a JSON object", f->name);
        else
            snprintf(err, errlen, "fragment %s: not a JSON object (invalid JSON at line %d, "
                                  "column %d)", f->name, jerr.line, jerr.column);
        goto done;
    }
    if (json_object_get(o, "privkey")) {
        snprintf(err, errlen, "fragment %s: holds a secret key (\"privkey\"): give the public "
                              "fragment that genvalidatorkey printed, never the key file", f->name);
        goto done;
    }
    if (!only_keys(o, allowed, &extra)) {
        snprintf(err, errlen, "fragment %s: unknown field \"%.40s\"", f->name, extra);
        goto done;
    }
    if (!parse_key(json_object_get(o, "pubkey"), gv->pubkey) || !key_pubkey_valid(gv->pubkey)) {
        snprintf(err, errlen, "fragment %s: \"pubkey\" is not a valid public key (64 hex)", f->name);
        goto done;
    }
    if (!parse_amount(json_object_get(o, "stake"), &gv->stake)) {
        snprintf(err, errlen, "fragment %s: \"stake\" must be an amount of FML", f->name);
        goto done;
    }
    if (gv->stake < p->min_validator_stake) {
        genesisfile_format_amount(gv->stake, a);
        genesisfile_format_amount(p->min_validator_stake, b);
        snprintf(err, errlen, "fragment %s: stake %s FML is below min_validator_stake %s FML",
                 f->name, a, b);
        goto done;
    }
    const json_t *c = json_object_get(o, "commission_bps");
    if (c && (!json_is_integer(c) || json_integer_value(c) < 0 ||
              json_integer_value(c) > p->max_commission_bps)) {
        snprintf(err, errlen, "fragment %s: \"commission_bps\" must be 0..%u (max_commission_bps)",
                 f->name, (unsigned)p->max_commission_bps);
        goto done;
    }
    gv->commission_bps = c ? (uint16_t)json_integer_value(c) : 0;
    if (!parse_key(json_object_get(o, "randao_commit"), gv->randao_commit)) {
        snprintf(err, errlen, "fragment %s: \"randao_commit\" must be 64 hex", f->name);
        goto done;
    }
    ok = true;
done:
    json_decref(o);
    return ok;
}

static bool base_allocations(const json_t *allocs, struct chain_params *p, char *err, size_t errlen)
{
    static const char *const allowed[] = {"pubkey", "amount", NULL};
    const char *extra = NULL;
    size_t i;
    json_t *e;
    if (!allocs)
        return true;
    if (!json_is_array(allocs) || json_array_size(allocs) > PARAMS_MAX_ALLOCS)
        return bad(err, errlen, "allocations", "must be an array of at most 4096 entries");
    p->allocs = calloc(json_array_size(allocs) + 1, sizeof(*p->allocs));
    if (!p->allocs)
        return bad(err, errlen, "", "out of memory");
    json_array_foreach(allocs, i, e) {
        if (!json_is_object(e) || !only_keys(e, allowed, &extra) ||
            !parse_key(json_object_get(e, "pubkey"), p->allocs[i].pubkey) ||
            !key_pubkey_valid(p->allocs[i].pubkey) ||
            !parse_amount(json_object_get(e, "amount"), &p->allocs[i].amount)) {
            snprintf(err, errlen, "genesis file: allocations[%zu] needs only \"pubkey\" (a valid "
                                  "public key, 64 hex) and \"amount\" (FML)", i);
            return false;
        }
        p->n_allocs++;
    }
    return true;
}

bool genesisfile_create(const char *base, size_t base_len, const struct genesis_fragment *frags,
                        size_t n, char **out, uint8_t hash[HASH_SIZE], char *err, size_t errlen)
{
    static const char *const allowed[] = {"name", "hrp", "genesis_time", "params", "allocations",
                                          NULL};
    struct chain_params p, built;
    json_error_t jerr;
    const char *extra = NULL;
    json_t *res = NULL;
    char *text = NULL;
    bool ok = false;

    *out = NULL;
    params_custom_defaults(&p);
    json_t *root = json_loadb(base, base_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(err, errlen, "genesis base: %s (line %d)", jerr.text, jerr.line);
        return false;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "genesis base: must hold a JSON object");
        goto done;
    }
    if (json_object_get(root, "validators")) {
        snprintf(err, errlen, "genesis base: has \"validators\": they come from the fragments");
        goto done;
    }
    if (!only_keys(root, allowed, &extra)) {
        snprintf(err, errlen, "genesis base: unknown field \"%.40s\"", extra);
        goto done;
    }
    if (n == 0 || n > PARAMS_MAX_GENESIS_VALIDATORS) {
        snprintf(err, errlen, "creategenesis: needs 1 to 256 validator fragments (got %zu)", n);
        goto done;
    }
    if (!load_params(&p, root, err, errlen) ||
        !base_allocations(json_object_get(root, "allocations"), &p, err, errlen))
        goto done;
    p.validators = calloc(n, sizeof(*p.validators));
    if (!p.validators) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!parse_fragment(&frags[i], &p, &p.validators[i], err, errlen))
            goto done;
        for (size_t j = 0; j < i; j++)
            if (memcmp(p.validators[j].pubkey, p.validators[i].pubkey, PUBKEY_SIZE) == 0) {
                char h[65];
                hash_to_hex(p.validators[i].pubkey, h);
                snprintf(err, errlen, "fragment %s: validator %s is already in fragment %s",
                         frags[i].name, h, frags[j].name);
                goto done;
            }
        p.n_validators++;
    }
    qsort(p.validators, p.n_validators, sizeof(*p.validators), cmp_validator);
    if (p.n_allocs)
        qsort(p.allocs, p.n_allocs, sizeof(*p.allocs), cmp_alloc);

    /* The canonical file: fixed key order, params by name. */
    res = json_object();
    json_t *name = json_object_get(root, "name"), *hrp = json_object_get(root, "hrp");
    json_t *gt = json_object_get(root, "genesis_time");
    json_object_set(res, "name", name ? name : json_null());
    json_object_set(res, "hrp", hrp ? hrp : json_null());
    json_object_set(res, "genesis_time", gt ? gt : json_null());
    const json_t *given = json_object_get(root, "params");
    if (given && json_object_size(given)) {
        json_t *po = json_object();
        const char *names[sizeof(fields) / sizeof(fields[0])];
        size_t k = 0;
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (json_object_get(given, fields[i].name))
                names[k++] = fields[i].name;
        for (size_t i = 1; i < k; i++) /* insertion sort by name */
            for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                const char *t = names[j];
                names[j] = names[j - 1];
                names[j - 1] = t;
            }
        for (size_t i = 0; i < k; i++)
            for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
                if (strcmp(fields[f].name, names[i]) == 0) {
                    uint64_t v = get_field(&p, &fields[f]);
                    json_object_set_new(po, names[i], fields[f].amount
                                                          ? json_amount(v)
                                                          : json_integer((json_int_t)v));
                }
        json_object_set_new(res, "params", po);
    }
    if (p.n_allocs) {
        json_t *a = json_array();
        for (size_t i = 0; i < p.n_allocs; i++) {
            json_t *e = json_object();
            json_object_set_new(e, "pubkey", json_hex32(p.allocs[i].pubkey));
            json_object_set_new(e, "amount", json_amount(p.allocs[i].amount));
            json_array_append_new(a, e);
        }
        json_object_set_new(res, "allocations", a);
    }
    json_t *vs = json_array();
    for (size_t i = 0; i < p.n_validators; i++) {
        const struct genesis_validator *gv = &p.validators[i];
        json_t *e = json_object();
        json_object_set_new(e, "pubkey", json_hex32(gv->pubkey));
        json_object_set_new(e, "stake", json_amount(gv->stake));
        json_object_set_new(e, "commission_bps", json_integer(gv->commission_bps));
        json_object_set_new(e, "randao_commit", json_hex32(gv->randao_commit));
        json_array_append_new(vs, e);
    }
    json_object_set_new(res, "validators", vs);
    text = json_dumps(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    /* What the nodes will read: the whole file through the parser. */
    size_t tlen = strlen(text);
    char *withnl = realloc(text, tlen + 2);
    if (!withnl) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    text = withnl;
    text[tlen] = '\n';
    text[tlen + 1] = '\0';
    /* The built-in test network's file (share/genesis/test.json) is made the same way. */
    bool test = json_is_string(name) && strcmp(json_string_value(name), "test") == 0;
    if (!(test ? genesisfile_parse_network(&built, NET_TEST, text, tlen + 1, err, errlen)
               : genesisfile_parse(&built, text, tlen + 1, err, errlen)))
        goto done;
    memcpy(hash, built.genesis_hash, HASH_SIZE);
    params_free(&built);
    *out = text;
    text = NULL;
    ok = true;
done:
    free(text);
    json_decref(res);
    json_decref(root);
    params_free(&p);
    return ok;
}
