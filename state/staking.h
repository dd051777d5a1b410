/* The staking module, state side: validator set, epoch schedules, the
 * proposer and RANDAO checks of every block, emission and rewards. */
#ifndef FML_STATE_STAKING_H
#define FML_STATE_STAKING_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/staking.h"
#include "state/apply.h"
#include "state/view.h"
#include "consensus/attr.h"

/* Begin-block: epoch change (schedule rotation), leader check
 * (bad-blk-proposer), RANDAO reveal check (bad-blk-randao) and mix update. */
bool staking_begin_block(struct view *v, struct block_ctx *ctx, struct validation *val) WARN_UNUSED;
/* End-block: emission and fees (proposer share and module pools). */
bool staking_end_block(struct view *v, struct block_ctx *ctx, struct validation *val) WARN_UNUSED;

/* Whether a validator may propose in the slots it leads: active, with at least
 * min_validator_stake bonded (self_stake + delegated), exactly when it could
 * be drawn into a new schedule.  Schedules are drawn from stakes up to three
 * epochs old; a validator that unbonded since has nothing left to slash for a
 * double proposal in them. */
bool staking_may_propose(const struct chain_params *params, const struct validator *val);

/* Whether a validator jailed for downtime may come back (UNJAIL once its
 * jail is over): it keeps its place in the list meanwhile. */
bool staking_may_return(const struct chain_params *params, const struct validator *val);

/* The liveness counts of pub in epoch (zero when none are stored; false only
 * when unreadable). */
bool staking_get_liveness(struct view *v, uint64_t epoch, const uint8_t pub[PUBKEY_SIZE],
                          struct liveness *out) WARN_UNUSED;

/* Whether the state in v would take an EVIDENCE transaction against proposer
 * for slot and it would change something (what a node reports); when not,
 * *why says why. */
bool staking_evidence_worth(struct view *v, const struct chain_params *params,
                            const uint8_t proposer[PUBKEY_SIZE], uint64_t slot, const char **why);

/* The validator record of pub; false when absent or unreadable. */
bool staking_get_validator(struct view *v, const uint8_t pub[PUBKEY_SIZE], struct validator *out)
    WARN_UNUSED;

/* The schedule a block at slot would be checked against, when its parent is at
 * prev_slot and the view holds the parent's state.  The caller frees *out. */
bool staking_schedule_for(struct view *v, const struct chain_params *params, uint64_t prev_slot,
                          uint64_t slot, struct schedule *out) WARN_UNUSED;

/* Records and totals (state/stakingtx.c). */
bool staking_put_validator(struct view *v, const uint8_t pub[PUBKEY_SIZE],
                           const struct validator *val) WARN_UNUSED;
/* False when absent (out zeroed) or unreadable (the view is marked failed). */
bool staking_get_delegation(struct view *v, const uint8_t validator[PUBKEY_SIZE],
                            const uint8_t delegator[PUBKEY_SIZE], struct delegation *out)
    WARN_UNUSED;
enum staking_stat { STAT_MINTED, STAT_FEES, STAT_PAID, STAT_BURNED };
bool staking_get_stats(struct view *v, struct staking_stats *out) WARN_UNUSED;
void staking_put_stats(struct view *v, const struct staking_stats *st);
bool staking_add_stat(struct view *v, enum staking_stat which, uint64_t amount) WARN_UNUSED;

/* Transactions (state/stakingtx.c). */
bool staking_apply_register(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *vs) WARN_UNUSED;
bool staking_apply_stake_add(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                             struct validation *vs) WARN_UNUSED;
bool staking_apply_unbond(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *vs) WARN_UNUSED;
bool staking_apply_delegate(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *vs) WARN_UNUSED;
bool staking_apply_undelegate(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                              struct validation *vs) WARN_UNUSED;
bool staking_apply_evidence(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                            struct validation *vs) WARN_UNUSED;
bool staking_apply_unjail(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                          struct validation *vs) WARN_UNUSED;
bool staking_apply_edit(struct view *v, struct block_ctx *ctx, const struct tx *tx,
                        struct validation *vs) WARN_UNUSED;

/* The slashing of an offence proven by evidence (a double proposal, a double
 * or surround vote): offender's self-stake and delegations lose slash_bps,
 * the reporter gets evidence_bounty_bps of it (at most the self-stake's
 * cut), the rest is burned, and the validator is jailed for good.  marker
 * is the offence's state key: present, the offence was slashed already
 * (bad-evidence-duplicate); it is written.  bad-evidence-validator when
 * offender has no validator record.  ref_slot is the offence's reference
 * slot (a double proposal's slot; the first slot of the earlier target epoch
 * of two votes; the caller checked it is not in the future).  Refused:
 * bad-evidence-self-report (reporter is the offender's key),
 * bad-evidence-tombstoned (already jailed by evidence: one slash per key),
 * bad-evidence-too-old (block slot - ref_slot > staking_evidence_window:
 * max(unbonding_blocks, 3 epochs) slots). */
static inline uint64_t staking_evidence_window(const struct chain_params *p)
{
    uint64_t three = 3 * (uint64_t)p->epoch_slots;
    return p->unbonding_blocks > three ? p->unbonding_blocks : three;
}

bool staking_slash(struct view *v, struct block_ctx *ctx, const uint8_t offender[PUBKEY_SIZE],
                   uint64_t ref_slot, const uint8_t *marker, size_t marker_len,
                   const uint8_t reporter[PUBKEY_SIZE], struct validation *vs) WARN_UNUSED;

/* Takes a validator out of service once it left the list: its self-stake is
 * queued for unbonding; a jailed record stays (its key never registers
 * again); an exited one is deleted, its delegators' dust in `bank` paid to
 * its key, as soon as no delegation is left (else status EXITED). */
bool staking_retire(struct view *v, struct block_ctx *ctx, const uint8_t pub[PUBKEY_SIZE],
                    struct validator *val, struct validation *vs) WARN_UNUSED;

/* End of block: funds whose unbonding ends at height; the proposer's reward
 * split between operator and delegators, fees to the operator. */
bool staking_release_unbonding(struct view *v, uint64_t height, struct validation *vs) WARN_UNUSED;
bool staking_pay_proposer(struct view *v, const uint8_t pub[PUBKEY_SIZE], uint64_t epoch,
                          uint64_t reward, uint64_t fees, struct validation *vs) WARN_UNUSED;

/* The leader of slot for a block following one at prev_slot (see above). */
bool staking_leader_for(struct view *v, const struct chain_params *params, uint64_t prev_slot,
                        uint64_t slot, uint8_t out[PUBKEY_SIZE]) WARN_UNUSED;

#endif
