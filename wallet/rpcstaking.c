/* Wallet helpers of the staking module: register a validator, add or unbond
 * self-stake, delegate and undelegate, unjail and edit a validator.  Each builds the transaction, signs it
 * with the wallet key, records it and submits it like sendtoaddress. */
#include "consensus/amount.h"
#include "consensus/stakingtx.h"
#include "rpc/util.h"
#include "wallet/rpcinternal.h"
#include "wallet/rpcwallet.h"

#include <sodium.h>
#include <string.h>

/* RANDAO onion layers of a validator registered through the wallet: one
 * layer per block it proposes, so this must outlast it (at 5 s slots and a
 * tenth of the stake it is 15 years; regtest keeps start-up fast). */
#define ONION_LENGTH_DEFAULT 10000000
#define ONION_LENGTH_REGTEST 100000

static json_t *registervalidator(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    uint8_t pub[PUBKEY_SIZE], sec[SECKEY_SIZE], seed[HASH_SIZE];
    struct validator_register r;
    struct wallet_key_info k;
    char err[256], label[64];
    if (!w || !rpcw_own_address(call, w, 0, pub) || !rpcw_unlocked(call, w))
        return NULL;
    r.stake = rpc_amount(call, 1, 0);
    uint64_t commission = rpc_uint(call, 2, 1000);
    if (commission > env->params->max_commission_bps)
        return rpc_error(call, RPC_INVALID_PARAMETER, "commission_bps must be at most %u",
                         env->params->max_commission_bps);
    r.commission_bps = (uint16_t)commission;
    struct chain_snapshot *view = rpcw_snapshot(call);
    struct validator existing;
    bool registered = view && rpcw_chain(call)->get_validator(view, pub, &existing);
    rpcw_snapshot_free(call, view);
    if (registered)
        return rpc_error(call, RPC_INVALID_PARAMETER, "%.100s is already a validator", rpc_str(call, 0, ""));

    /* The onion: a fresh generation if the key was a validator's before. */
    uint64_t generation = wallet_key_info(w, pub, &k) && k.validator ? k.onion_generation + 1 : 0;
    uint64_t length = env->params->regtest_rules ? ONION_LENGTH_REGTEST : ONION_LENGTH_DEFAULT;
    if (!wallet_dump_key(w, pub, sec, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    randao_onion_seed(seed, sec, generation);
    randao_onion(r.randao_commit, seed, length);
    snprintf(label, sizeof(label), "validator");
    bool ok = wallet_import_validator_key(w, sec, generation, length,
                                          k.label && *k.label ? k.label : label, err, sizeof(err));
    sodium_memzero(sec, sizeof(sec));
    sodium_memzero(seed, sizeof(seed));
    if (!ok)
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);

    struct wbuf pl;
    wbuf_init(&pl);
    validator_register_encode(&r, &pl);
    json_t *res = rpcw_submit_payload(call, w, pub, TX_VALIDATOR_REGISTER, &pl);
    wbuf_free(&pl);
    return res;
}

static json_t *stake_or_unbond(struct rpc_call *call, uint8_t type)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t pub[PUBKEY_SIZE];
    if (!w || !rpcw_own_address(call, w, 0, pub) || !rpcw_unlocked(call, w))
        return NULL;
    struct wbuf pl;
    wbuf_init(&pl);
    stake_amount_encode(rpc_amount(call, 1, 0), &pl);
    json_t *res = rpcw_submit_payload(call, w, pub, type, &pl);
    wbuf_free(&pl);
    return res;
}

static json_t *stake(struct rpc_call *call)
{
    return stake_or_unbond(call, TX_STAKE_ADD);
}

static json_t *unbond(struct rpc_call *call)
{
    return stake_or_unbond(call, TX_UNBOND);
}

static json_t *delegate(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    struct delegation_change dc;
    uint8_t from[PUBKEY_SIZE];
    if (!w || !rpc_arg_address(call, 0, dc.validator))
        return NULL;
    dc.amount = rpc_amount(call, 1, 0);
    if (rpc_has(call, 2)) {
        if (!rpcw_own_address(call, w, 2, from))
            return NULL;
    } else if (!rpcw_richest(call, w, dc.amount, NULL, NULL, from)) {
        return NULL;
    }
    if (!rpcw_unlocked(call, w))
        return NULL;
    struct wbuf pl;
    wbuf_init(&pl);
    delegation_change_encode(&dc, &pl);
    json_t *res = rpcw_submit_payload(call, w, from, TX_DELEGATE, &pl);
    wbuf_free(&pl);
    return res;
}

static json_t *undelegate(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    struct delegation_change dc;
    uint8_t from[PUBKEY_SIZE];
    struct wallet_key_info k;
    if (!w || !rpc_arg_address(call, 0, dc.validator))
        return NULL;
    json_t *amount = rpc_json(call, 1);
    if (json_is_string(amount) && strcmp(json_string_value(amount), "all") == 0) {
        dc.amount = UNDELEGATE_ALL;
    } else if (!rpc_parse_amount(amount, &dc.amount)) {
        return rpc_error(call, RPC_TYPE_ERROR, "Invalid amount (an FML amount, 0 to take the "
                                               "rewards only, or \"all\")");
    }
    struct chain_snapshot *view = rpcw_snapshot(call);
    bool found = false;
    if (rpc_has(call, 2)) {
        found = rpcw_own_address(call, w, 2, from);
        if (!found) {
            rpcw_snapshot_free(call, view);
            return NULL;
        }
    } else {
        for (size_t i = 0; view && !found && wallet_key_at(w, i, &k); i++) {
            struct delegation d;
            if (rpcw_chain(call)->get_delegation(view, dc.validator, k.pub, &d)) {
                memcpy(from, k.pub, PUBKEY_SIZE);
                found = true;
            }
        }
    }
    rpcw_snapshot_free(call, view);
    if (!found)
        return rpc_error(call, RPC_WALLET_ERROR, "No account of this wallet delegates to %.100s",
                         rpc_str(call, 0, ""));
    if (!rpcw_unlocked(call, w))
        return NULL;
    struct wbuf pl;
    wbuf_init(&pl);
    delegation_change_encode(&dc, &pl);
    json_t *res = rpcw_submit_payload(call, w, from, TX_UNDELEGATE, &pl);
    wbuf_free(&pl);
    return res;
}

/* The wallet validator an unjail or edit is for: the address argument idx
 * when given, else the wallet's only key that is a validator on chain.
 * *val is its record. */
static bool own_validator(struct rpc_call *call, struct wallet *w, size_t idx,
                          uint8_t pub[PUBKEY_SIZE], struct validator *val)
{
    struct chain_snapshot *view = rpcw_snapshot(call);
    struct wallet_key_info k;
    size_t found = 0;
    if (!view) {
        rpc_error(call, RPC_DATABASE_ERROR, "State read error");
        return false;
    }
    if (rpc_has(call, idx)) {
        bool ok = rpcw_own_address(call, w, idx, pub);
        if (ok && !rpcw_chain(call)->get_validator(view, pub, val)) {
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "%.100s is not a validator",
                      rpc_str(call, idx, ""));
            ok = false;
        }
        rpcw_snapshot_free(call, view);
        return ok;
    }
    for (size_t i = 0; wallet_key_at(w, i, &k); i++) {
        struct validator v;
        if (k.validator && rpcw_chain(call)->get_validator(view, k.pub, &v)) {
            if (found++ == 0) {
                memcpy(pub, k.pub, PUBKEY_SIZE);
                *val = v;
            }
        }
    }
    rpcw_snapshot_free(call, view);
    if (found == 1)
        return true;
    rpc_error(call, RPC_WALLET_ERROR, found ? "This wallet holds several validators: give the address"
                                            : "This wallet holds no validator");
    return false;
}

static json_t *unjail(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t pub[PUBKEY_SIZE];
    struct validator val;
    if (!w || !own_validator(call, w, 0, pub, &val) || !rpcw_unlocked(call, w))
        return NULL;
    struct wbuf pl;
    wbuf_init(&pl);
    json_t *res = rpcw_submit_payload(call, w, pub, TX_UNJAIL, &pl);
    wbuf_free(&pl);
    return res;
}

static json_t *editvalidator(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    uint8_t pub[PUBKEY_SIZE];
    struct validator val;
    struct validator_edit e;
    memset(&e, 0, sizeof(e));
    if (!w)
        return NULL;
    uint64_t commission = rpc_uint(call, 0, 0);
    if (commission > env->params->max_commission_bps)
        return rpc_error(call, RPC_INVALID_PARAMETER, "commission_bps must be at most %u",
                         env->params->max_commission_bps);
    e.commission_bps = (uint16_t)commission;
    if (!own_validator(call, w, 2, pub, &val))
        return NULL;
    if (rpc_has(call, 1)) {
        const char *d = rpc_str(call, 1, "");
        size_t n = strlen(d);
        if (n > VALIDATOR_DESCRIPTION_MAX ||
            !validator_description_valid((const uint8_t *)d, n))
            return rpc_error(call, RPC_INVALID_PARAMETER,
                             "description must be at most %d bytes of UTF-8 without control "
                             "characters", VALIDATOR_DESCRIPTION_MAX);
        memcpy(e.description, d, n);
        e.description_len = (uint8_t)n;
    } else {
        memcpy(e.description, val.description, val.description_len);
        e.description_len = val.description_len;
    }
    if (!rpcw_unlocked(call, w))
        return NULL;
    struct wbuf pl;
    wbuf_init(&pl);
    validator_edit_encode(&e, &pl);
    json_t *res = rpcw_submit_payload(call, w, pub, TX_VALIDATOR_EDIT, &pl);
    wbuf_free(&pl);
    return res;
}

static json_t *importvalidatorkey(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    size_t len;
    char err[256];
    uint8_t pub[PUBKEY_SIZE], seed[HASH_SIZE], commit[HASH_SIZE];
    if (!w || !rpcw_unlocked(call, w))
        return NULL;
    const uint8_t *sec = rpc_hex(call, 0, &len);
    uint64_t generation = rpc_uint(call, 1, 0);
    uint64_t length = rpc_uint(call, 2, ONION_LENGTH_DEFAULT);
    if (!sec || len != SECKEY_SIZE || !key_pubkey(pub, sec))
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key");
    if (length == 0 || length > WALLET_ONION_MAX)
        return rpc_error(call, RPC_INVALID_PARAMETER, "onion_length must be 1..%d", WALLET_ONION_MAX);
    if (!wallet_import_validator_key(w, sec, generation, length, rpc_str(call, 3, "validator"), err,
                                     sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    randao_onion_seed(seed, sec, generation);
    randao_onion(commit, seed, length);
    sodium_memzero(seed, sizeof(seed));
    json_t *o = json_object();
    json_object_set_new(o, "address", json_address(rpc_env(call)->params, pub));
    json_object_set_new(o, "pubkey", json_hex(pub, PUBKEY_SIZE));
    json_object_set_new(o, "randao_commit", json_hash(commit));
    return o;
}

const struct rpc_method wallet_staking_rpc_methods[] = {
    {
        .category = "Wallet",
        .name = "importvalidatorkey",
        .handler = importvalidatorkey,
        .summary = "Adds a validator's key with the parameters of its RANDAO hash onion, so "
                   "the node can propose with it (for the validators of a custom genesis "
                   "file, whose commitment is H^onion_length(onion seed), see "
                   "doc/protocol.md 9.2).  Returns the commitment to put in a genesis file.",
        .args = {{"privkey", RPC_HEX, true, NULL, "The secret key (64 hex digits)"},
                 {"onion_generation", RPC_UINT, false, "0", "Which onion of the key"},
                 {"onion_length", RPC_UINT, false, "10000000", "Layers of the onion"},
                 {"label", RPC_STR, false, "\"validator\"", "A label for the address"}},
        .result = "{\"address\": \"str\", \"pubkey\": \"hex\", \"randao_commit\": \"hex\"}",
        .examples = "fml-cli importvalidatorkey <64 hex> 0 100000",
    },
    {
        .category = "Wallet",
        .name = "registervalidator",
        .handler = registervalidator,
        .summary = "Registers a wallet address as a validator with a self-stake, a commission "
                   "and a fresh RANDAO hash-onion commitment (derived from the key; 10^7 "
                   "layers, 10^5 on regtest).  The node then proposes in the slots it leads, "
                   "from three epochs after the registration.",
        .args = {{"address", RPC_STR, true, NULL, "The wallet address that becomes a validator"},
                 {"amount", RPC_AMOUNT, true, NULL, "Self-stake in FML (at least min_validator_stake)"},
                 {"commission_bps", RPC_UINT, false, "1000", "Commission on delegators' rewards, in basis points"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli registervalidator rfml1q... 5000 500",
    },
    {
        .category = "Wallet",
        .name = "stake",
        .handler = stake,
        .summary = "Adds to a validator's self-stake from its balance.",
        .args = {{"address", RPC_STR, true, NULL, "The validator's wallet address"},
                 {"amount", RPC_AMOUNT, true, NULL, "FML to bond"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli stake rfml1q... 1000",
    },
    {
        .category = "Wallet",
        .name = "unbond",
        .handler = unbond,
        .summary = "Unbonds part of a validator's self-stake; the FML returns to its balance "
                   "after unbonding_period blocks.",
        .args = {{"address", RPC_STR, true, NULL, "The validator's wallet address"},
                 {"amount", RPC_AMOUNT, true, NULL, "FML to unbond"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli unbond rfml1q... 1000",
    },
    {
        .category = "Wallet",
        .name = "delegate",
        .handler = delegate,
        .summary = "Delegates FML to a validator.  Rewards accrued by an earlier delegation to "
                   "it are paid out first.",
        .args = {{"validator", RPC_STR, true, NULL, "The validator's address"},
                 {"amount", RPC_AMOUNT, true, NULL, "FML to delegate (at least min_delegation)"},
                 {"from_address", RPC_STR, false, NULL, "The wallet account that delegates (default: the one with the largest balance)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli delegate rfml1q... 250",
    },
    {
        .category = "Wallet",
        .name = "undelegate",
        .handler = undelegate,
        .summary = "Takes back a delegation (the FML unbonds for unbonding_period blocks) and "
                   "pays out its rewards; an amount of 0 only pays the rewards, \"all\" takes "
                   "back every share.",
        .args = {{"validator", RPC_STR, true, NULL, "The validator's address"},
                 {"amount", RPC_ANY, true, NULL, "FML to take back, 0, or \"all\""},
                 {"from_address", RPC_STR, false, NULL, "The delegating wallet account (default: the first that delegates to it)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli undelegate rfml1q... all",
    },
    {
        .category = "Wallet",
        .name = "unjail",
        .handler = unjail,
        .summary = "Brings a validator jailed for downtime back (an UNJAIL transaction): valid "
                   "from its jailed_until_epoch on (getvalidator) with at least "
                   "min_validator_stake bonded (add with stake).  It proposes again from three "
                   "epochs after the unjail.  A validator jailed by evidence is a tombstone "
                   "and can never unjail (bad-unjail-tombstoned).",
        .args = {{"address", RPC_STR, false, NULL, "The validator's wallet address (default: the wallet's only validator)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli unjail\nfml-cli unjail rfml1q...",
    },
    {
        .category = "Wallet",
        .name = "editvalidator",
        .handler = editvalidator,
        .summary = "Changes a validator's commission and description (a VALIDATOR_EDIT "
                   "transaction; never its RANDAO commitment).  The commission moves at most "
                   "max_commission_change_bps (100 on every built-in network) from its value "
                   "at the start of the epoch, within max_commission_bps, and rewards use it "
                   "from the next epoch on.",
        .args = {{"commission_bps", RPC_UINT, true, NULL, "The new commission, in basis points"},
                 {"description", RPC_STR, false, NULL, "Up to 140 bytes of UTF-8 without control characters (default: keep the current one; \"\" clears it)"},
                 {"address", RPC_STR, false, NULL, "The validator's wallet address (default: the wallet's only validator)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli editvalidator 1100 \"node one, Lisbon\"\nfml-cli editvalidator 900 \"\" rfml1q...",
    },
};
const size_t wallet_staking_rpc_methods_count =
    sizeof(wallet_staking_rpc_methods) / sizeof(wallet_staking_rpc_methods[0]);
