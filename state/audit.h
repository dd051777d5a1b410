/* A full scan of the committed state that adds up where every unit of FML
 * is, to check the supply and reward conservation invariants:
 *
 *   supply = balances + self-stakes + delegations + banks + unbonding + pools
 *            + FL task pools + FL participant stakes + Arena funds
 *   genesis + minted = supply + burned
 *   minted + fees + arena_in + fl_in = paid + pools + banks + arena_out
 *                                      + fl_matched + fl_burned
 *
 * The Arena funds are its tasks' locked budgets and pending Reward B and its
 * operators' stakes, delegations and unclaimed delegator rewards
 * (state/arena.h); arena_in and arena_out count what Arena rules put into
 * gpool/arena (slashes, dust, forfeits) and took out of it (match, cap burn).
 * The FL funds are its tasks' budget_left + slashed_left and its
 * participants' stakes; fl_in, fl_matched and fl_burned count what FL rules
 * put into gpool/fl and took out of it (the round match, the cap burn).
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
    uint64_t genesis; /* the genesis allocations and stakes */
    uint64_t minted, fees, paid, burned; /* gstats */
    uint64_t accounts, validators, delegations;
    bool supply_ok;  /* held == supply */
    bool issued_ok;  /* genesis + minted == supply + burned (mod 2^64) */
    bool rewards_ok; /* minted + fees + arena_in + fl_in == paid + pools + banks + arena_out
                      * + fl_matched + fl_burned (mod 2^64) */
};

bool supply_audit(struct chain *c, struct supply_audit *out) WARN_UNUSED;

#endif
