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

bool genesisfile_parse(struct chain_params *p, const char *text, size_t len, char *err,
                       size_t errlen)
{
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
    if (!json_is_string(name) || !valid_name(json_string_value(name), PARAMS_NAME_MAX) ||
        strcmp(json_string_value(name), "main") == 0 || strcmp(json_string_value(name), "test") == 0 ||
        strcmp(json_string_value(name), "regtest") == 0) {
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
