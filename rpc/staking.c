/* Staking methods: validators, delegations, the node's own validators, and
 * the supply audit. */
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "rpc/methods.h"
#include "rpc/util.h"
#include "state/audit.h"
#include "state/chain.h"
#include "state/staking.h"
#include "state/view.h"

#include <stdlib.h>
#include <string.h>

/* How far ahead getstakinginfo lists the slots a validator leads. */
#define STAKING_LOOKAHEAD_SLOTS 1000
#define STAKING_MAX_LISTED_SLOTS 10

/* view holds the tip's state (for this epoch's liveness counts), tip_slot
 * the tip's slot. */
static json_t *validator_json(const struct chain_params *p, struct view *view, uint64_t tip_slot,
                              const uint8_t pub[PUBKEY_SIZE], const struct validator *v)
{
    json_t *o = json_object();
    uint64_t epoch = params_epoch_of(p, tip_slot);
    struct liveness l = {0, 0};
    json_object_set_new(o, "address", json_address(p, pub));
    json_object_set_new(o, "status", json_string(v->status == VALIDATOR_ACTIVE   ? "active"
                                                 : v->status == VALIDATOR_EXITED ? "exited"
                                                                                 : "jailed"));
    json_object_set_new(o, "jail_reason", v->status == VALIDATOR_DOWNTIME  ? json_string("downtime")
                                          : v->status == VALIDATOR_JAILED ? json_string("tombstone")
                                                                          : json_null());
    json_object_set_new(o, "jailed_until_epoch", v->status == VALIDATOR_DOWNTIME
                                                     ? json_integer((json_int_t)v->jailed_until)
                                                     : json_null());
    json_object_set_new(o, "can_unjail", json_boolean(v->status == VALIDATOR_DOWNTIME &&
                                                      epoch >= v->jailed_until &&
                                                      staking_may_return(p, v)));
    if (view && !staking_get_liveness(view, epoch, pub, &l))
        l.led = l.missed = 0;
    json_object_set_new(o, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(o, "led_this_epoch", json_integer(l.led));
    json_object_set_new(o, "missed_this_epoch", json_integer(l.missed));
    json_object_set_new(o, "description",
                        json_stringn((const char *)v->description, v->description_len));
    json_object_set_new(o, "self_stake", json_amount(v->self_stake));
    json_object_set_new(o, "delegated", json_amount(v->delegated));
    json_object_set_new(o, "total_stake", json_amount(v->self_stake + v->delegated));
    json_object_set_new(o, "shares", json_integer((json_int_t)v->shares));
    json_object_set_new(o, "commission_bps", json_integer(v->commission_bps));
    json_object_set_new(o, "commission_in_force_bps",
                        json_integer(validator_commission_at(v, epoch)));
    json_object_set_new(o, "eligible", json_boolean(v->status == VALIDATOR_ACTIVE &&
                                                    v->self_stake + v->delegated >= p->min_validator_stake));
    json_object_set_new(o, "blocks_proposed", json_integer((json_int_t)v->reveals));
    json_object_set_new(o, "registered_height", json_integer((json_int_t)v->registered_height));
    json_object_set_new(o, "earned", json_amount(v->earned));
    json_object_set_new(o, "delegator_rewards_unpaid", json_amount(v->bank));
    json_object_set_new(o, "randao_commit", json_hash(v->randao_commit));
    return o;
}

struct list_ctx {
    const struct chain_params *params;
    struct view *view;
    uint64_t tip_slot;
    json_t *out;
    bool ok;
};

static bool add_validator(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                          size_t vlen)
{
    struct list_ctx *lc = arg;
    struct validator v;
    if (klen != VALIDATOR_KEY_SIZE || !validator_decode(&v, val, vlen))
        return lc->ok = false;
    json_array_append_new(lc->out, validator_json(lc->params, lc->view, lc->tip_slot, key + 1, &v));
    return true;
}

static json_t *getvalidators(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct list_ctx lc = {env->params, chain_view(env->chain), chain_tip(env->chain)->hdr.slot,
                          json_array(), true};
    bool ok = chain_scan_state(env->chain, "v", 1, add_validator, &lc) && lc.ok;
    view_free(lc.view);
    if (!ok) {
        json_decref(lc.out);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return lc.out;
}

/* Up to max slots in [from, from + span) led by pub on top of the tip. */
static json_t *slots_led(struct chain *c, const uint8_t pub[PUBKEY_SIZE], uint64_t from,
                         uint64_t span, size_t max)
{
    const struct chain_params *p = chain_params(c);
    const struct block_index *tip = chain_tip(c);
    struct view *view = chain_view(c);
    struct schedule s;
    uint64_t epoch = UINT64_MAX;
    bool have = false;
    json_t *out = json_array();
    schedule_init(&s);
    for (uint64_t slot = from; view && slot < from + span && json_array_size(out) < max; slot++) {
        size_t idx;
        if (params_epoch_of(p, slot) != epoch) {
            schedule_free(&s);
            epoch = params_epoch_of(p, slot);
            have = staking_schedule_for(view, p, tip->hdr.slot, slot, &s);
        }
        if (have && schedule_leader(&s, slot, &idx) &&
            memcmp(s.entries[idx].pubkey, pub, PUBKEY_SIZE) == 0) {
            json_t *e = json_object();
            json_object_set_new(e, "slot", json_integer((json_int_t)slot));
            json_object_set_new(e, "time", json_integer((json_int_t)params_slot_start(p, slot)));
            json_array_append_new(out, e);
        }
    }
    schedule_free(&s);
    view_free(view);
    return out;
}

static json_t *getvalidator(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint8_t pub[PUBKEY_SIZE];
    struct validator v;
    if (!rpc_arg_address(call, 0, pub))
        return NULL;
    struct view *view = chain_view(env->chain);
    bool found = view && staking_get_validator(view, pub, &v);
    json_t *o = found ? validator_json(env->params, view, chain_tip(env->chain)->hdr.slot, pub, &v)
                      : NULL;
    view_free(view);
    if (!found)
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Not a validator");
    json_object_set_new(o, "next_slots",
                        slots_led(env->chain, pub, chain_tip(env->chain)->hdr.slot + 1,
                                  STAKING_LOOKAHEAD_SLOTS, STAKING_MAX_LISTED_SLOTS));
    return o;
}

struct delegations_ctx {
    struct rpc_call *call;
    struct view *view;
    const uint8_t *who; /* delegator or validator, or NULL for all */
    json_t *out;
    bool ok;
};

static bool add_delegation(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                           size_t vlen)
{
    struct delegations_ctx *dc = arg;
    const struct chain_params *p = rpc_env(dc->call)->params;
    struct delegation d;
    struct validator v;
    if (klen != DELEGATION_KEY_SIZE || !delegation_decode(&d, val, vlen))
        return dc->ok = false;
    const uint8_t *validator = key + 1, *delegator = key + 1 + PUBKEY_SIZE;
    if (dc->who && memcmp(delegator, dc->who, PUBKEY_SIZE) != 0 &&
        memcmp(validator, dc->who, PUBKEY_SIZE) != 0)
        return true;
    if (!staking_get_validator(dc->view, validator, &v))
        return dc->ok = false;
    json_t *o = json_object();
    json_object_set_new(o, "validator", json_address(p, validator));
    json_object_set_new(o, "delegator", json_address(p, delegator));
    json_object_set_new(o, "shares", json_integer((json_int_t)d.shares));
    json_object_set_new(o, "amount", json_amount(v.shares ? mul_div_floor(d.shares, v.delegated, v.shares) : 0));
    json_object_set_new(o, "pending_rewards", json_amount(delegation_pending(&v, &d)));
    json_array_append_new(dc->out, o);
    return true;
}

static json_t *getdelegations(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    uint8_t pub[PUBKEY_SIZE];
    if (!rpc_arg_address(call, 0, pub))
        return NULL;
    struct delegations_ctx dc = {call, chain_view(env->chain), pub, json_array(), true};
    bool ok = dc.view && chain_scan_state(env->chain, "d", 1, add_delegation, &dc) && dc.ok;
    view_free(dc.view);
    if (!ok) {
        json_decref(dc.out);
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    }
    return dc.out;
}

struct mine_ctx {
    struct rpc_env *env;
    struct view *view;
    uint64_t tip_slot;
    json_t *mine;
};

/* A key of the loaded wallets: listed when it is a validator. */
static void add_mine(void *arg, const char *wallet, const uint8_t pub[PUBKEY_SIZE])
{
    struct mine_ctx *mc = arg;
    struct validator v;
    if (!staking_get_validator(mc->view, pub, &v))
        return;
    json_t *o = validator_json(mc->env->params, mc->view, mc->tip_slot, pub, &v);
    json_object_set_new(o, "wallet", json_string(wallet));
    json_object_set_new(o, "next_slots", slots_led(mc->env->chain, pub, mc->tip_slot + 1,
                                                   STAKING_LOOKAHEAD_SLOTS,
                                                   STAKING_MAX_LISTED_SLOTS));
    json_array_append_new(mc->mine, o);
}

static json_t *getstakinginfo(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    json_t *out = json_object(), *mine = json_array();
    struct view *view = chain_view(env->chain);
    const struct block_index *tip = chain_tip(env->chain);
    struct mine_ctx mc = {env, view, tip->hdr.slot, mine};
    if (env->wallets && env->staker && view)
        env->staker->each_key(env, add_mine, &mc);
    view_free(view);
    json_object_set_new(out, "validators", mine);
    json_object_set_new(out, "epoch", json_integer((json_int_t)params_epoch_of(env->params, tip->hdr.slot)));
    json_object_set_new(out, "slot", json_integer((json_int_t)tip->hdr.slot));
    return out;
}

static json_t *getsupplyinfo(struct rpc_call *call)
{
    struct supply_audit a;
    if (!supply_audit(rpc_env(call)->chain, &a))
        return rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    json_t *o = json_object();
    json_object_set_new(o, "height", json_integer((json_int_t)chain_height(rpc_env(call)->chain)));
    json_object_set_new(o, "supply", json_amount(a.supply));
    json_object_set_new(o, "balances", json_amount(a.balances));
    json_object_set_new(o, "self_stake", json_amount(a.self_stake));
    json_object_set_new(o, "delegated", json_amount(a.delegated));
    json_object_set_new(o, "delegator_rewards_unpaid", json_amount(a.banks));
    json_object_set_new(o, "unbonding", json_amount(a.unbonding));
    json_object_set_new(o, "pools", json_amount(a.pools));
    json_object_set_new(o, "fl_pools", json_amount(a.fl_pools));
    json_object_set_new(o, "fl_stakes", json_amount(a.fl_stakes));
    json_object_set_new(o, "arena", json_amount(a.arena));
    json_object_set_new(o, "arena_pool_in", json_amount(a.arena_in));
    json_object_set_new(o, "arena_pool_out", json_amount(a.arena_out));
    json_object_set_new(o, "fl_pool", json_amount(a.fl_pool));
    json_object_set_new(o, "fl_pool_in", json_amount(a.fl_in));
    json_object_set_new(o, "fl_pool_matched", json_amount(a.fl_matched));
    json_object_set_new(o, "fl_pool_burned", json_amount(a.fl_burned));
    json_object_set_new(o, "market_pool", json_amount(a.market_pool));
    json_object_set_new(o, "market_pool_in", json_amount(a.market_pool_in));
    json_object_set_new(o, "market_mined", json_amount(a.market_mined));
    json_object_set_new(o, "market_pool_burned", json_amount(a.market_pool_burned));
    json_object_set_new(o, "market_call_burned", json_amount(a.market_call_burned));
    json_object_set_new(o, "market_stakes", json_amount(a.market_stakes));
    json_object_set_new(o, "market_banks", json_amount(a.market_banks));
    json_object_set_new(o, "minted", json_amount(a.minted));
    json_object_set_new(o, "fees", json_amount(a.fees));
    json_object_set_new(o, "rewards_paid", json_amount(a.paid));
    json_object_set_new(o, "burned", json_amount(a.burned));
    json_object_set_new(o, "accounts", json_integer((json_int_t)a.accounts));
    json_object_set_new(o, "validators", json_integer((json_int_t)a.validators));
    json_object_set_new(o, "delegations", json_integer((json_int_t)a.delegations));
    json_object_set_new(o, "genesis", json_amount(a.genesis));
    json_object_set_new(o, "supply_consistent", json_boolean(a.supply_ok && a.issued_ok));
    json_object_set_new(o, "rewards_consistent", json_boolean(a.rewards_ok));
    return o;
}

static const char validator_result[] =
    "{\n"
    "  \"address\": \"str\",\n"
    "  \"status\": \"active\" | \"jailed\" | \"exited\",\n"
    "  \"jail_reason\": \"downtime\" | \"tombstone\" | null,  (tombstone: by evidence, for good)\n"
    "  \"jailed_until_epoch\": n | null,  (downtime: the first epoch an unjail is valid in)\n"
    "  \"can_unjail\": bool,        (jailed for downtime, the jail over, the minimum bonded)\n"
    "  \"epoch\": n,                (the tip's epoch)\n"
    "  \"led_this_epoch\": n,       (slots led so far in it: blocks + slots missed; 0 when\n"
    "                               the downtime jail is off; the empty slots after the tip\n"
    "                               count at the next block)\n"
    "  \"missed_this_epoch\": n,\n"
    "  \"description\": \"str\",     (set by editvalidator)\n"
    "  \"self_stake\": n, \"delegated\": n, \"total_stake\": n,   (FML)\n"
    "  \"shares\": n,               (delegation shares in issue)\n"
    "  \"commission_bps\": n,       (the latest; rewards use it from the next epoch)\n"
    "  \"commission_in_force_bps\": n,  (what this epoch's rewards use)\n"
    "  \"eligible\": bool,          (active with at least the minimum stake)\n"
    "  \"blocks_proposed\": n,\n"
    "  \"registered_height\": n,\n"
    "  \"earned\": n,               (FML paid to the operator so far)\n"
    "  \"delegator_rewards_unpaid\": n,\n"
    "  \"randao_commit\": \"hex\"\n"
    "}";

const struct rpc_method staking_rpc_methods[] = {
    {
        .category = "Staking",
        .name = "getvalidators",
        .handler = getvalidators,
        .summary = "Lists every registered validator, in key order.  Stake changes and jailing "
                   "enter the leader schedule three epochs later (a change in epoch e counts "
                   "from epoch e + 3).",
        .result = "[ validator, ... ] with each validator as in getvalidator, without next_slots",
        .examples = "fml-cli getvalidators",
    },
    {
        .category = "Staking",
        .name = "getvalidator",
        .handler = getvalidator,
        .summary = "Shows one validator and the next slots it leads on top of the tip (up to "
                   "10 within the next 1000 slots; slots of epochs not yet drawn are as the "
                   "schedule would be if no block came first).",
        .args = {{"address", RPC_STR, true, NULL, "The validator's address"}},
        .result = validator_result,
        .examples = "fml-cli getvalidator rfml1q...",
    },
    {
        .category = "Staking",
        .name = "getdelegations",
        .handler = getdelegations,
        .summary = "Lists the delegations made by an address, and those made to it if it is a "
                   "validator: shares, their current value, and rewards accrued but not paid "
                   "(paid out by any delegate or undelegate, including undelegate 0).",
        .args = {{"address", RPC_STR, true, NULL, "A delegator's or a validator's address"}},
        .result = "[ {\"validator\", \"delegator\", \"shares\", \"amount\" (FML), "
                  "\"pending_rewards\" (FML)}, ... ]",
        .examples = "fml-cli getdelegations rfml1q...",
    },
    {
        .category = "Staking",
        .name = "getstakinginfo",
        .handler = getstakinginfo,
        .summary = "The validators whose keys the loaded wallets hold: their stake, earnings "
                   "and the next slots they lead.",
        .result = "{\"validators\": [ validator with \"wallet\" and \"next_slots\": "
                  "[{\"slot\", \"time\"}, ...] ], \"epoch\": n, \"slot\": n}",
        .examples = "fml-cli getstakinginfo",
    },
    {
        .category = "Staking",
        .name = "getsupplyinfo",
        .handler = getsupplyinfo,
        .summary = "Adds up the whole state to show where every FML is, and checks the two "
                   "conservation laws: supply = balances + self_stake + delegated + "
                   "delegator_rewards_unpaid + unbonding + pools + fl_pools + fl_stakes + "
                   "arena + market_stakes + market_banks = genesis + minted - burned "
                   "(supply_consistent, which also needs the Market's running totals to "
                   "match its records and market_pool = market_pool_in - market_mined - "
                   "market_pool_burned), and "
                   "minted + fees + arena_pool_in + fl_pool_in = rewards_paid + pools + "
                   "delegator_rewards_unpaid + arena_pool_out + fl_pool_matched + "
                   "fl_pool_burned + market_mined + market_pool_burned "
                   "(rewards_consistent).  market_pool is the Market pool (gpool/market, part "
                   "of pools), market_pool_in the emission into it, market_mined what "
                   "use-is-mining paid out of it, market_pool_burned its cap burn, "
                   "market_call_burned the burn taken from every MARKET_CALL payment (in "
                   "burned), market_stakes the compute providers' stakes and market_banks "
                   "the data providers' accruals not yet claimed.  fl_pools is what FL tasks hold "
                   "(budget_left + slashed_left), fl_pool the FL pool (gpool/fl, part of "
                   "pools), fl_pool_in, fl_pool_matched and fl_pool_burned what FL rules put "
                   "into it and took out of it (round match, cap burn).  arena is "
                   "what AI Arena tasks hold: locked budgets, Reward B not yet vested, stakes, "
                   "delegations and delegator rewards not yet claimed; arena_pool_in and "
                   "arena_pool_out what Arena rules put into the Arena pool (slashes, dust, "
                   "forfeited Reward B) and took out of it (match, cap burn).  minted, fees, "
                   "rewards_paid, burned and the arena_pool flows are statistics counted "
                   "modulo 2^64 and compared so.  Scans the whole state.",
        .result = "{\"height\", \"supply\", \"balances\", \"self_stake\", \"delegated\", "
                  "\"delegator_rewards_unpaid\", \"unbonding\", \"pools\", \"fl_pools\", "
                  "\"fl_stakes\", \"arena\", \"arena_pool_in\", \"arena_pool_out\", \"fl_pool\", "
                  "\"fl_pool_in\", \"fl_pool_matched\", \"fl_pool_burned\", \"market_pool\", "
                  "\"market_pool_in\", \"market_mined\", \"market_pool_burned\", "
                  "\"market_call_burned\", \"market_stakes\", \"market_banks\", \"genesis\", "
                  "\"minted\", \"fees\", "
                  "\"rewards_paid\", \"burned\" (FML), \"accounts\", \"validators\", "
                  "\"delegations\", \"supply_consistent\", \"rewards_consistent\" (bool)}",
        .examples = "fml-cli getsupplyinfo",
    },
};
const size_t staking_rpc_methods_count = sizeof(staking_rpc_methods) / sizeof(staking_rpc_methods[0]);
