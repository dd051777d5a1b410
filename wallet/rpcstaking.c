/* Wallet helpers of the staking module: register a validator, add or unbond
 * self-stake, delegate and undelegate.  Each builds the transaction, signs it
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
};
const size_t wallet_staking_rpc_methods_count =
    sizeof(wallet_staking_rpc_methods) / sizeof(wallet_staking_rpc_methods[0]);
