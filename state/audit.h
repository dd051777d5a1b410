/* A full scan of the committed state that adds up where every unit of FML
 * is, to check the supply and reward conservation invariants:
 *
 *   supply = balances + self-stakes + delegations + banks + unbonding + pools
 *            + FL task pools + FL participant stakes + Arena funds
 *            + Market provider stakes + Market data providers' accruals
 *   genesis + minted = supply + burned
 *   minted + fees + arena_in + fl_in = paid + pools + banks + arena_out
 *                                      + fl_matched + fl_burned
 *                                      + market_mined + market_pool_burned
 *
 * The Arena funds are its tasks' locked budgets and pending Reward B and its
 * operators' stakes, delegations and unclaimed delegator rewards
 * (state/arena.h); arena_in and arena_out count what Arena rules put into
 * gpool/arena (slashes, dust, forfeits) and took out of it (match, cap burn).
 * The FL funds are its tasks' budget_left + slashed_left and its
 * participants' stakes; fl_in, fl_matched and fl_burned count what FL rules
 * put into gpool/fl and took out of it (the round match, the cap burn).
 *
 * The Market's stakes and accruals scanned from its records ('M' 'P',
 * 'M' 'M') must equal the running totals of its flows ('M' 'F'), and
 * gpool/market = market_pool_in - market_mined - market_pool_burned
 * (market_ok, part of supply_ok).  A call's payment moves funds between
 * accounts, the accruals and the supply (its burn, in burned): none of it
 * is emission, so it stays out of the third law.
 *
 * gstats (minted, fees, paid, burned) count modulo 2^64, so the last two
 * compare modulo 2^64.  The first two together (every unit minted is held
 * somewhere or was burned) hold whatever the pools pay out; the third holds
 * while every payout from a pool is counted in paid.
 *
 * O(state size): for tests and the getsupplyinfo RPC, never for consensus. */
#ifndef FML_STATE_AUDIT_H
#define FML_STATE_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/attr.h"

struct chain;

struct supply_audit {
    uint64_t supply; /* gsupply */
    uint64_t balances;
    uint64_t self_stake;
    uint64_t delegated;
    uint64_t banks;
    uint64_t unbonding;
    uint64_t pools;
    uint64_t fl_pools;  /* budget_left + slashed_left of FL tasks ('f' 'S') */
    uint64_t fl_stakes; /* stakes locked in FL tasks ('f' 'P') */
    uint64_t arena_tasks;     /* budgets and pending Reward B of Arena tasks ('A' 'S') */
    uint64_t arena_operators; /* stakes, delegations, delegator credit ('A' 'O') */
    uint64_t arena;           /* arena_tasks + arena_operators */
    uint64_t arena_in, arena_out; /* gpool/arena flows ('A' 'F'), modulo 2^64 */
    uint64_t fl_pool;                       /* gpool/fl */
    uint64_t fl_in, fl_matched, fl_burned;  /* gpool/fl flows ('f' 'F'), modulo 2^64 */
    uint64_t market_pool;        /* gpool/market */
    uint64_t market_stakes;      /* providers' stakes ('M' 'P') */
    uint64_t market_banks;       /* data providers' accruals not claimed ('M' 'M' bank) */
    /* gpool/market flows and the call burn ('M' 'F'), modulo 2^64 */
    uint64_t market_pool_in, market_mined, market_pool_burned, market_call_burned;
    uint64_t market_flows_stakes, market_flows_banks; /* the running totals in 'M' 'F' */
    uint64_t genesis; /* the genesis allocations and stakes */
    uint64_t minted, fees, paid, burned; /* gstats */
    uint64_t accounts, validators, delegations;
    bool market_ok;  /* the Market's totals match its records and its pool its flows */
    bool supply_ok;  /* held == supply, and market_ok */
    bool issued_ok;  /* genesis + minted == supply + burned (mod 2^64) */
    bool rewards_ok; /* minted + fees + arena_in + fl_in == paid + pools + banks + arena_out
                      * + fl_matched + fl_burned + market_mined + market_pool_burned
                      * (mod 2^64) */
};

bool supply_audit(struct chain *c, struct supply_audit *out) WARN_UNUSED;

#endif
