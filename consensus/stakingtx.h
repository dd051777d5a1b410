/* The staking transaction types: payload formats and stateless checks.
 *
 *   VALIDATOR_REGISTER  stake u64 | commission_bps u16 | randao_commit [32]
 *   STAKE_ADD           amount u64
 *   UNBOND              amount u64
 *   DELEGATE            validator [32] | amount u64
 *   UNDELEGATE          validator [32] | amount u64   (0: only pay out rewards;
 *                                                      UNDELEGATE_ALL: every share)
 *   EVIDENCE            header_a [252] | header_b [252]
 *   UNJAIL              (empty)
 *   VALIDATOR_EDIT      commission_bps u16 | description varbytes (<= 140 bytes
 *                       of UTF-8 without control characters)
 *
 * Rules that need the state are in state/stakingtx.c; all are listed, with
 * their reject reasons, in doc/protocol.md ("Staking").
 */
#ifndef FML_CONSENSUS_STAKINGTX_H
#define FML_CONSENSUS_STAKINGTX_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/staking.h"
#include "consensus/tx.h"

#define UNDELEGATE_ALL UINT64_MAX

struct validator_register {
    uint64_t stake;
    uint16_t commission_bps;
    uint8_t randao_commit[HASH_SIZE];
};

struct delegation_change {
    uint8_t validator[PUBKEY_SIZE];
    uint64_t amount;
};

struct validator_edit {
    uint16_t commission_bps;
    uint8_t description_len;
    uint8_t description[VALIDATOR_DESCRIPTION_MAX];
};

struct evidence {
    struct block_header a;
    struct block_header b;
};

void validator_register_encode(const struct validator_register *r, struct wbuf *w);
bool validator_register_decode(struct validator_register *r, const uint8_t *p, size_t n) WARN_UNUSED;
void stake_amount_encode(uint64_t amount, struct wbuf *w);
bool stake_amount_decode(uint64_t *amount, const uint8_t *p, size_t n) WARN_UNUSED;
void delegation_change_encode(const struct delegation_change *d, struct wbuf *w);
bool delegation_change_decode(struct delegation_change *d, const uint8_t *p, size_t n) WARN_UNUSED;
void validator_edit_encode(const struct validator_edit *e, struct wbuf *w);
bool validator_edit_decode(struct validator_edit *e, const uint8_t *p, size_t n) WARN_UNUSED;
void evidence_encode(const struct evidence *e, struct wbuf *w);
bool evidence_decode(struct evidence *e, const uint8_t *p, size_t n) WARN_UNUSED;

/* Two headers are evidence of a double proposal when they are different,
 * name the same proposer and slot, and both carry its valid signature.
 * Reasons: bad-evidence-proposer, bad-evidence-slot, bad-evidence-same,
 * bad-evidence-sig. */
bool evidence_valid(const struct evidence *e, const uint8_t genesis[HASH_SIZE],
                    struct validation *v);

/* Stateless payload checks of each type (bad-txns-payload and the reasons
 * above; bad-txns-amount for a zero or over-supply amount, bad-txns-commission,
 * bad-txns-self-delegation). */
bool validator_register_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool stake_amount_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool delegate_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool undelegate_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool evidence_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
/* UNJAIL: an empty payload (bad-txns-payload otherwise). */
bool unjail_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
/* VALIDATOR_EDIT: bad-txns-payload, bad-txns-commission (above
 * max_commission_bps), bad-txns-description (not UTF-8, or a control
 * character). */
bool validator_edit_check(const struct tx *tx, const struct chain_params *p, struct validation *v);

#endif
