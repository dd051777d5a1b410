/* Built-in networks and the parameter encoding committed by genesis. */
#include "consensus/params.h"
#include "consensus/amount.h"
#include "consensus/genesis.h"
#include "consensus/staking.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void params_regtest_secret(unsigned i, uint8_t sec[SECKEY_SIZE])
{
    char seed[64];
    int n = snprintf(seed, sizeof(seed), "fml regtest validator %u", i);
    hash_tagged(sec, HTAG_KEYSEED, seed, (size_t)n);
}

static void set_common(struct chain_params *p)
{
    p->max_block_size = 4000000;
    p->max_block_txs = 20000;
    p->max_tx_size = 1000000;
    p->min_delegation = 1 * COIN;
    p->max_validators = 256;
    p->max_commission_bps = 5000;
    p->slash_bps = 500;
    p->evidence_bounty_bps = 1000;
    p->split_proposer_bps = 7000;
    p->split_fl_bps = 1500;
    p->split_arena_bps = 1000;
    p->split_market_bps = 500;
    p->arena_burn_bps = 1000;
    p->arena_match_bps = 500;
    p->arena_pool_cap_blocks = 518400; /* 30 days of 5-second slots */
    p->fl_burn_bps = 1000;
    p->fl_match_bps = 500;
    p->fl_pool_cap_blocks = 518400;
    p->market_burn_bps = 1000;
    p->market_mine_bps = 500;
    p->market_fee_per_kmac = 10;
    p->market_mult_cap = 16;
    p->market_pool_cap_blocks = 518400;
    p->market_min_provider_stake = 100 * COIN;
    /* Liveness: jailed past half the slots missed, judged once a validator
     * led 4 slots in the epoch; 6 epochs (an hour of 10-minute epochs)
     * before UNJAIL; 0.01% slashed; commission moves 1 point an epoch. */
    p->downtime_jail_bps = 5000;
    p->downtime_min_slots = 4;
    p->downtime_jail_epochs = 6;
    p->downtime_slash_bps = 1;
    p->max_commission_change_bps = 100;
}

/* Well-known validators whose keys derive from public seeds (regtest). */
static bool add_seeded_validators(struct chain_params *p, unsigned n,
                                  void (*secret)(unsigned, uint8_t *), uint64_t balance,
                                  uint64_t stake, uint64_t onion_length)
{
    p->allocs = calloc(n, sizeof(*p->allocs));
    p->validators = calloc(n, sizeof(*p->validators));
    if (!p->allocs || !p->validators)
        return false;
    for (unsigned i = 0; i < n; i++) {
        uint8_t sec[SECKEY_SIZE], onion[HASH_SIZE];
        secret(i, sec);
        if (!key_pubkey(p->allocs[i].pubkey, sec))
            return false;
        p->allocs[i].amount = balance;
        memcpy(p->validators[i].pubkey, p->allocs[i].pubkey, PUBKEY_SIZE);
        p->validators[i].stake = stake;
        p->validators[i].commission_bps = 1000;
        randao_onion_seed(onion, sec, 0);
        randao_onion(p->validators[i].randao_commit, onion, onion_length);
        sodium_memzero(sec, sizeof(sec));
        sodium_memzero(onion, sizeof(onion));
    }
    p->n_allocs = n;
    p->n_validators = n;
    return true;
}

/* Regtest's finality, unbonding and economics, also a custom network's defaults. */
static void set_regtest_economics(struct chain_params *p)
{
    p->finality_depth = 20;
    p->unbonding_blocks = 10;
    p->min_validator_stake = 1000 * COIN;
    p->block_reward = 50 * COIN;
    p->halving_blocks = 150000;
    p->arena_pool_cap_blocks = 1000;
    p->fl_pool_cap_blocks = 1000;
    p->market_pool_cap_blocks = 1000;
    p->market_min_provider_stake = 1 * COIN;
    /* generateblocks skips the other validators' slots: no downtime jail
     * unless a genesis file turns it on. */
    p->downtime_jail_bps = 0;
}

static bool init_regtest(struct chain_params *p)
{
    strcpy(p->name, "regtest");
    strcpy(p->hrp, "rfml");
    memcpy(p->magic, "\xfa\xbf\x4d\x4c", 4);
    p->p2p_port = params_default_p2p_port(NET_REGTEST);
    p->rpc_port = params_default_rpc_port(NET_REGTEST);
    p->regtest_rules = true;
    p->genesis_time = 1767225600; /* 2026-01-01T00:00:00Z */
    p->slot_seconds = 1;
    p->epoch_slots = 8;
    set_regtest_economics(p);
    return add_seeded_validators(p, REGTEST_VALIDATORS, params_regtest_secret, 1000000 * COIN,
                                 100000 * COIN, REGTEST_ONION_LENGTH);
}

#include "consensus/test_genesis.inc"

/* The test network's genesis comes from share/genesis/test.json, made in a
 * launch ceremony whose secret keys were not kept (doc/launch.md): its
 * parameters over a genesis file's defaults, its allocations and validators. */
static bool init_test(struct chain_params *p)
{
    size_t na = sizeof(test_genesis_allocs) / sizeof(test_genesis_allocs[0]);
    size_t nv = sizeof(test_genesis_validators) / sizeof(test_genesis_validators[0]);
    strcpy(p->name, "test");
    strcpy(p->hrp, "tfml");
    memcpy(p->magic, "\x0b\x46\x4d\x4c", 4);
    p->p2p_port = params_default_p2p_port(NET_TEST);
    p->rpc_port = params_default_rpc_port(NET_TEST);
    p->genesis_time = TEST_GENESIS_TIME;
    set_regtest_economics(p);
    p->slot_seconds = 5;
    p->epoch_slots = 32;
    test_genesis_params(p);
    p->allocs = calloc(na, sizeof(*p->allocs));
    p->validators = calloc(nv, sizeof(*p->validators));
    if (!p->allocs || !p->validators)
        return false;
    for (size_t i = 0; i < na; i++) {
        if (!hash_from_hex(p->allocs[i].pubkey, test_genesis_allocs[i].pubkey))
            return false;
        p->allocs[i].amount = test_genesis_allocs[i].amount;
    }
    for (size_t i = 0; i < nv; i++) {
        struct genesis_validator *v = &p->validators[i];
        if (!hash_from_hex(v->pubkey, test_genesis_validators[i].pubkey) ||
            !hash_from_hex(v->randao_commit, test_genesis_validators[i].randao_commit))
            return false;
        v->stake = test_genesis_validators[i].stake;
        v->commission_bps = test_genesis_validators[i].commission_bps;
    }
    p->n_allocs = na;
    p->n_validators = nv;
    return true;
}

/* Main has its constants but no fixed genesis yet: a node on main must be
 * given one with -genesis (see node/). */
static bool init_main(struct chain_params *p)
{
    strcpy(p->name, "main");
    strcpy(p->hrp, "fml");
    memcpy(p->magic, "\xf9\x4d\x4c\xd1", 4);
    p->p2p_port = params_default_p2p_port(NET_MAIN);
    p->rpc_port = params_default_rpc_port(NET_MAIN);
    p->genesis_time = 1798761600; /* 2027-01-01T00:00:00Z */
    p->slot_seconds = 5;
    p->epoch_slots = 120;
    p->finality_depth = 100;
    p->unbonding_blocks = 21 * 86400 / 5;
    p->min_validator_stake = 10000 * COIN;
    p->block_reward = 20 * COIN;
    p->halving_blocks = 12614400;
    return true;
}

bool params_init(struct chain_params *p, enum network net)
{
    struct block_header genesis;
    bool ok = false;
    memset(p, 0, sizeof(*p));
    p->net = net;
    set_common(p);
    switch (net) {
    case NET_MAIN: ok = init_main(p); break;
    case NET_TEST: ok = init_test(p); break;
    case NET_REGTEST: ok = init_regtest(p); break;
    case NET_CUSTOM: ok = false; break;
    }
    if (ok)
        ok = genesis_build(p, &genesis);
    if (!ok)
        params_free(p);
    return ok;
}

void params_custom_defaults(struct chain_params *p)
{
    memset(p, 0, sizeof(*p));
    p->net = NET_CUSTOM;
    set_common(p);
    set_regtest_economics(p);
    p->slot_seconds = 5;
    p->epoch_slots = 32;
    p->p2p_port = params_default_p2p_port(NET_CUSTOM);
    p->rpc_port = params_default_rpc_port(NET_CUSTOM);
}

void params_free(struct chain_params *p)
{
    free(p->allocs);
    free(p->validators);
    p->allocs = NULL;
    p->validators = NULL;
    p->n_allocs = 0;
    p->n_validators = 0;
}

uint16_t params_default_rpc_port(enum network net)
{
    switch (net) {
    case NET_MAIN: return 8732;
    case NET_TEST: return 18732;
    case NET_REGTEST: return 28732;
    case NET_CUSTOM: return 38732;
    }
    return 0;
}

uint16_t params_default_p2p_port(enum network net)
{
    switch (net) {
    case NET_MAIN: return 8733;
    case NET_TEST: return 18733;
    case NET_REGTEST: return 28733;
    case NET_CUSTOM: return 38733;
    }
    return 0;
}

const char *params_network_subdir(enum network net)
{
    switch (net) {
    case NET_MAIN: return "";
    case NET_TEST: return "testnet";
    case NET_REGTEST: return "regtest";
    case NET_CUSTOM: return "custom";
    }
    return "";
}

bool params_network_from_name(const char *name, enum network *net)
{
    if (strcmp(name, "main") == 0)
        *net = NET_MAIN;
    else if (strcmp(name, "test") == 0)
        *net = NET_TEST;
    else if (strcmp(name, "regtest") == 0)
        *net = NET_REGTEST;
    else
        return false;
    return true;
}

void params_encode(const struct chain_params *p, struct wbuf *w)
{
    put_varbytes(w, p->name, strlen(p->name));
    put_varbytes(w, p->hrp, strlen(p->hrp));
    put_bytes(w, p->magic, 4);
    put_u8(w, p->regtest_rules);
    put_u64(w, p->genesis_time);
    put_u32(w, p->slot_seconds);
    put_u32(w, p->epoch_slots);
    put_u32(w, p->finality_depth);
    put_u32(w, p->unbonding_blocks);
    put_u32(w, p->max_block_size);
    put_u32(w, p->max_block_txs);
    put_u32(w, p->max_tx_size);
    put_u64(w, p->min_validator_stake);
    put_u64(w, p->min_delegation);
    put_u32(w, p->max_validators);
    put_u16(w, p->max_commission_bps);
    put_u16(w, p->slash_bps);
    put_u16(w, p->evidence_bounty_bps);
    put_u64(w, p->block_reward);
    put_u64(w, p->halving_blocks);
    put_u16(w, p->split_proposer_bps);
    put_u16(w, p->split_fl_bps);
    put_u16(w, p->split_arena_bps);
    put_u16(w, p->split_market_bps);
    put_u16(w, p->arena_burn_bps);
    put_u16(w, p->arena_match_bps);
    put_u32(w, p->arena_pool_cap_blocks);
    put_u16(w, p->fl_burn_bps);
    put_u16(w, p->fl_match_bps);
    put_u32(w, p->fl_pool_cap_blocks);
    put_u16(w, p->market_burn_bps);
    put_u16(w, p->market_mine_bps);
    put_u64(w, p->market_fee_per_kmac);
    put_u32(w, p->market_mult_cap);
    put_u32(w, p->market_pool_cap_blocks);
    put_u64(w, p->market_min_provider_stake);
    put_u16(w, p->downtime_jail_bps);
    put_u32(w, p->downtime_min_slots);
    put_u32(w, p->downtime_jail_epochs);
    put_u16(w, p->downtime_slash_bps);
    put_u16(w, p->max_commission_change_bps);
}

static bool bad(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return false;
}

bool params_validate(const struct chain_params *p, char *err, size_t errlen)
{
    uint64_t total = 0;
    if (p->name[0] == '\0')
        return bad(err, errlen, "name is empty");
    if (p->hrp[0] == '\0')
        return bad(err, errlen, "hrp is empty");
    for (const char *c = p->hrp; *c; c++)
        if (*c < 33 || *c > 126 || (*c >= 'A' && *c <= 'Z'))
            return bad(err, errlen, "hrp must be lower-case bech32 characters");
    if (p->slot_seconds == 0 || p->slot_seconds > 3600)
        return bad(err, errlen, "slot_seconds must be 1..3600");
    if (p->epoch_slots == 0 || p->epoch_slots > 100000)
        return bad(err, errlen, "epoch_slots must be 1..100000");
    if (p->finality_depth == 0)
        return bad(err, errlen, "finality_depth must be positive");
    if (p->min_validator_stake == 0)
        return bad(err, errlen, "min_validator_stake must be positive");
    if (p->max_block_size < 1000 || p->max_block_size > 32000000)
        return bad(err, errlen, "max_block_size must be 1000..32000000");
    if (p->max_tx_size < 200 || p->max_tx_size > p->max_block_size)
        return bad(err, errlen, "max_tx_size must be 200..max_block_size");
    if (p->max_block_txs == 0 || p->max_block_txs > BLOCK_MAX_TXS_DECODE)
        return bad(err, errlen, "max_block_txs out of range");
    if (p->max_validators == 0 || p->max_validators > 10000)
        return bad(err, errlen, "max_validators must be 1..10000");
    if (p->max_commission_bps > 10000 || p->slash_bps > 10000 || p->evidence_bounty_bps > 10000)
        return bad(err, errlen, "basis points above 10000");
    if ((uint32_t)p->split_proposer_bps + p->split_fl_bps + p->split_arena_bps +
            p->split_market_bps != 10000)
        return bad(err, errlen, "reward split must sum to 10000 bps");
    if (p->arena_burn_bps > 10000)
        return bad(err, errlen, "arena_burn_bps above 10000");
    if (p->arena_match_bps >= p->arena_burn_bps)
        return bad(err, errlen, "arena_match_bps must be below arena_burn_bps");
    if (p->fl_burn_bps > 10000)
        return bad(err, errlen, "fl_burn_bps above 10000");
    if (p->fl_match_bps >= p->fl_burn_bps)
        return bad(err, errlen, "fl_match_bps must be below fl_burn_bps");
    if (p->market_burn_bps == 0 || p->market_burn_bps > 5000)
        return bad(err, errlen, "market_burn_bps must be 1..5000");
    if (p->market_mine_bps >= p->market_burn_bps)
        return bad(err, errlen, "market_mine_bps must be below market_burn_bps");
    if (p->market_fee_per_kmac > 1000000000)
        return bad(err, errlen, "market_fee_per_kmac above 10^9");
    if (p->market_mult_cap == 0 || p->market_mult_cap > 65536)
        return bad(err, errlen, "market_mult_cap must be 1..65536");
    if (p->market_pool_cap_blocks == 0)
        return bad(err, errlen, "market_pool_cap_blocks must be positive");
    if (p->market_min_provider_stake == 0 || !amount_valid(p->market_min_provider_stake))
        return bad(err, errlen, "market_min_provider_stake must be 1..the supply cap");
    if (p->block_reward > MAX_SUPPLY)
        return bad(err, errlen, "block_reward above the supply cap");
    if (p->downtime_jail_bps > 9999)
        return bad(err, errlen, "downtime_jail_bps must be 0..9999");
    if (p->downtime_jail_bps &&
        (p->downtime_min_slots == 0 || p->downtime_min_slots > p->epoch_slots))
        return bad(err, errlen, "downtime_min_slots must be 1..epoch_slots");
    /* At least 2: an UNJAIL then comes after the schedules drawn before the
     * jail (the jailing epoch and the next), so the validator re-enters by
     * the usual delay and never takes back a slot drawn before its jail. */
    if (p->downtime_jail_bps &&
        (p->downtime_jail_epochs < 2 || p->downtime_jail_epochs > 1000000))
        return bad(err, errlen, "downtime_jail_epochs must be 2..1000000");
    if (p->downtime_slash_bps > 1000)
        return bad(err, errlen, "downtime_slash_bps must be 0..1000");
    if (p->max_commission_change_bps > 10000)
        return bad(err, errlen, "max_commission_change_bps above 10000");
    if (p->n_validators == 0)
        return bad(err, errlen, "at least one validator is required");
    if (p->n_validators > p->max_validators || p->n_validators > PARAMS_MAX_GENESIS_VALIDATORS)
        return bad(err, errlen, "too many validators");
    if (p->n_allocs > PARAMS_MAX_ALLOCS)
        return bad(err, errlen, "too many allocations");
    for (size_t i = 0; i < p->n_allocs; i++)
        if (!key_pubkey_valid(p->allocs[i].pubkey) || !amount_add(&total, p->allocs[i].amount))
            return bad(err, errlen, "invalid allocation");
    for (size_t i = 0; i < p->n_validators; i++) {
        if (!key_pubkey_valid(p->validators[i].pubkey) ||
            !amount_add(&total, p->validators[i].stake))
            return bad(err, errlen, "invalid validator");
        if (p->validators[i].stake < p->min_validator_stake)
            return bad(err, errlen, "validator stake below min_validator_stake");
        if (p->validators[i].commission_bps > p->max_commission_bps)
            return bad(err, errlen, "validator commission above max_commission_bps");
    }
    return true;
}
