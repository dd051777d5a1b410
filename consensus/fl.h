/* The FL Alliance module, consensus side: model specs, the task definition,
 * the state records and their keys (consensus/fl.c), and the pure formulas
 * of a round (consensus/flmath.c): Q16.16 fixed point, the three
 * aggregators weighted by proposer slots, the role draw by stake, update and
 * vote commitments, model hashes and the reward, match, burn and slash
 * arithmetic.
 *
 * Integer only: no floats, no clock, no I/O.  Every division states its
 * rounding.  The rules that use these formulas are in state/fl*.c; all of it
 * is specified, with vectors, in doc/protocol.md ("17. FL Alliance").
 *
 * State keys (every key of the module starts with 'f'; round numbers in keys
 * are u32 big-endian and heights u64 big-endian, so scans come in order):
 *   'f' 'T' | task                   task definition (immutable)
 *   'f' 'S' | task                   task status (state, round, budget)
 *   'f' 'L' | task                   participant keys, sorted
 *   'f' 'P' | task | key             participant record
 *   'f' 'R' | task | round           round record
 *   'f' 'E' | task | round | key     a participant's part in a round
 *   'f' 'U' | task | round | key     a revealed update (until finalization)
 *   'f' 'V' | task | round | key     a participant's revealed verdicts (until
 *                                    finalization)
 *   'f' 'M' | task | round           global model after an accepted round
 *                                    (round 0: the initial weights, if given)
 *   'f' 'q' | height                 the height's event count and reserved work
 *   'f' 'Q' | height | seq           one event due at the end of that block
 *                                    (seq u32 big-endian, 0 .. count - 1)
 */
#ifndef FML_CONSENSUS_FL_H
#define FML_CONSENSUS_FL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/serialize.h"

struct chain_params;

/* ---- Q16.16 fixed point: value = q / 65536 ---- */

#define FL_Q16_ONE 65536
/* Longest decimal text of a Q16.16 value: "-32768.0000152587890625" and NUL. */
#define FL_Q16_DEC_MAX 32

/* num / den rounded to the nearest integer, ties away from zero; den > 0.
 * The result must fit in int64 (callers bound it). */
int64_t fl_div_round(__int128 num, uint64_t den);
/* The exact decimal of q: integer part, and the fraction (q mod 65536) x 10^16
 * / 65536, which is exact with at most 16 digits, without trailing zeros
 * ("1", "-0.5", "0.0000152587890625"). */
void fl_q16_format(int32_t q, char out[FL_Q16_DEC_MAX]);
/* Parses "[-]digits[.digits]" (at most 40 fraction digits) into Q16.16,
 * rounded to the nearest, ties away from zero; false on bad syntax or a value
 * outside [-32768, 32767.99998474] after rounding. */
bool fl_q16_parse(const char *s, int32_t *out) WARN_UNUSED;

/* ---- model spec ---- */

enum fl_model_kind {
    FL_MODEL_LOGREG = 0,  /* sizes {in, 1} */
    FL_MODEL_SOFTMAX = 1, /* sizes {in, K}, K >= 2 */
    FL_MODEL_MLP = 2,     /* sizes {in, h1, ..., out}, at least one hidden layer */
};

#define FL_MAX_SIZES 17          /* input and up to 16 dense layers */
#define FL_MAX_UNITS (1u << 20)  /* any one size */

/* kind u8 | CompactSize n | n x u32 sizes | CompactSize m | m x (mean i32 | std i32).
 * The normalization (m = 0 or m = sizes[0]) is Q16.16 per input feature;
 * `norm` points at its m x 8 bytes (into the decoded input, or the builder's
 * buffer). */
struct fl_spec {
    uint8_t kind;
    uint32_t n_sizes;
    uint32_t sizes[FL_MAX_SIZES];
    uint32_t n_norm;
    const uint8_t *norm;
};

void fl_spec_encode(const struct fl_spec *s, struct wbuf *w);
bool fl_spec_decode_from(struct fl_spec *s, struct rbuf *r) WARN_UNUSED;
/* Kind and sizes agree, every size in 1..FL_MAX_UNITS, normalization count
 * 0 or sizes[0] with every std > 0. */
bool fl_spec_valid(const struct fl_spec *s);
/* Sum over layers of out x in + out (canonical layout of ml/model.h: layer by
 * layer from the input, weights row-major [out][in], then biases [out]). */
uint64_t fl_param_count(const struct fl_spec *s);
const char *fl_model_kind_name(uint8_t kind);

/* ---- task parameters (the FL_TASK_CREATE payload) ---- */

enum fl_aggregator {
    FL_AGG_FEDAVG = 0,
    FL_AGG_MEDIAN = 1,
    FL_AGG_TRIMMED_MEAN = 2,
};

#define FL_MAX_ROUNDS 10000
#define FL_MIN_PARTICIPANTS 2
#define FL_MAX_PARTICIPANTS 1000
#define FL_MAX_ALLOW 4096
/* Proposer slots drawn per round (a task's proposer_slots: 1..FL_MAX_SLOTS);
 * also the most verdicts one vote reveal carries. */
#define FL_MAX_SLOTS 64
/* proposer_slots x max_participants: the verdicts one round may hold. */
#define FL_MAX_TASK_VERDICTS 65536
/* rounds x parameters: the global models a task may store. */
#define FL_MAX_STORED_WEIGHTS 16000000
/* max_participants x parameters: the updates one round may hold. */
#define FL_MAX_ROUND_WEIGHTS 64000000
/* Longest join, submit, update reveal, commit or reveal window, in blocks. */
#define FL_MAX_WINDOW_BLOCKS 10000
/* Bytes of one verdict in a vote reveal: verdict i8 | metric i32 LE. */
#define FL_VERDICT_SIZE 5

/* ---- work per height ----
 * Every event is reserved at a height when it is scheduled, never later, so
 * running a height's events can never exceed these bounds and no block can
 * fail because of them:
 *   work:     sum over the height's events of FL_EVENT_BASE_WORK + n, n the
 *             task's participants (an event walks them): the start's
 *             FL_EVENT_BASE_WORK by FL_TASK_CREATE and one unit by each
 *             FL_JOIN, at the end of the join window; a round's finalization
 *             when the round is drawn (n is final then);
 *   weights:  sum over the height's finalizations of (k_eff + 1) x P (the
 *             revealed updates read and deleted, the model written);
 *   verdicts: sum over the height's finalizations of k_eff x m, m the
 *             active participants drawn over (every one of them votes:
 *             the revealed verdicts read and deleted).
 * What is reserved is what the task really has, never its maximum.  A round
 * is drawn to start at the first of the next FL_MAX_ROUND_DELAY heights whose
 * reveal end has room; with none, the task completes (everything is
 * returned). */
#define FL_EVENT_BASE_WORK 8
#define FL_MAX_HEIGHT_WORK 20000
#define FL_MAX_HEIGHT_WEIGHTS 8000000
#define FL_MAX_HEIGHT_VERDICTS 262144
#define FL_MAX_ROUND_DELAY 32
/* A round is quiet when it is void or fewer than max(1, drawn /
 * FL_QUIET_DIVISOR) update reveals and vote reveals came in it (drawn: its
 * distinct proposers and voters); two quiet rounds in a row end a task. */
#define FL_QUIET_DIVISOR 8

struct fl_task_params {
    struct fl_spec spec;
    uint64_t n_init;     /* 0 (all zeros) or the parameter count */
    const uint8_t *init; /* n_init x i32 */
    uint32_t rounds;
    uint16_t min_participants;
    uint16_t max_participants;
    uint64_t min_stake;
    uint16_t proposer_slots; /* 1..FL_MAX_SLOTS slots drawn by stake per round */
    uint32_t join_blocks;
    uint32_t submit_blocks;
    uint32_t update_reveal_blocks;
    uint32_t commit_blocks;
    uint32_t reveal_blocks;
    uint8_t aggregator;
    uint16_t trim_k;
    uint16_t slash_bps;
    uint16_t voter_reward_bps;
    uint64_t budget;      /* debited from the creator; fl_burn_bps of it burned */
    uint64_t n_allow;     /* 0: anyone may join */
    const uint8_t *allow; /* n_allow x [32], strictly ascending */
};

void fl_task_params_encode(const struct fl_task_params *t, struct wbuf *w);
bool fl_task_params_decode_from(struct fl_task_params *t, struct rbuf *r) WARN_UNUSED;
/* "fedavg", "median", "trimmed_mean"; NULL for an unknown value. */
const char *fl_aggregator_name(uint8_t agg);
/* Whether pub is on the allow-list (always true for an open task). */
bool fl_task_allows(const struct fl_task_params *t, const uint8_t pub[PUBKEY_SIZE]);
/* Encoded size of a transaction carrying an FL_UPDATE_COMMIT. */
uint64_t fl_update_commit_tx_size(void);
/* Encoded size of a transaction carrying an FL_UPDATE_REVEAL of n weights. */
uint64_t fl_update_reveal_tx_size(uint64_t n);
/* Encoded size of a transaction carrying an FL_VOTE_REVEAL of n verdicts. */
uint64_t fl_vote_reveal_tx_size(uint64_t n);
/* Most transactions of `size` bytes and the block units of `type` that one
 * block can carry (by size after the header, and by max_block_txs). */
uint64_t fl_txs_per_block(const struct chain_params *p, uint8_t type, uint64_t size);
/* Whether `blocks` blocks, at half their size and half their units (the
 * other half left to everyone else), carry `count` transactions of `type`
 * of `size` bytes each. */
bool fl_window_carries(const struct chain_params *p, uint32_t blocks, uint8_t type,
                       uint64_t count, uint64_t size);
/* Slots drawn in a round of m active participants: min(k, m - 1), 0 when
 * m < 2 (so at least one participant votes). */
uint32_t fl_slot_count(uint32_t k, uint32_t m);
/* The most work one event of the task can reserve: FL_EVENT_BASE_WORK +
 * max_participants. */
uint32_t fl_event_work(const struct fl_task_params *t);
/* The work an event of a task of n participants reserves: FL_EVENT_BASE_WORK + n. */
uint32_t fl_event_work_for(size_t n);
/* The most weights one finalization of the task can reserve:
 * (fl_slot_count(proposer_slots, max_participants) + 1) x P. */
uint64_t fl_finalize_weights(const struct fl_task_params *t);
/* The weights the finalization of a round drawn over n_active participants
 * reserves: (fl_slot_count(proposer_slots, n_active) + 1) x P. */
uint64_t fl_round_weights(const struct fl_task_params *t, uint32_t n_active);
/* The verdicts a round of k_eff slots drawn over m active participants
 * reserves: k_eff x m (every participant of the round votes; at most
 * FL_MAX_TASK_VERDICTS by the task check, k_eff <= proposer_slots and m <=
 * max_participants). */
uint32_t fl_round_verdicts(uint32_t k_eff, uint32_t m);

/* ---- state records ---- */

#define FL_TASK_ID_SIZE HASH_SIZE

/* 'f' 'T' | task: creator [32] | created_height u64 | the create payload with
 * n_init = 0 (the initial weights live under 'f' 'M' | task | 0). */
struct fl_task {
    uint8_t creator[PUBKEY_SIZE];
    uint64_t created_height;
    struct fl_task_params p;
};
void fl_task_encode(const struct fl_task *t, struct wbuf *w);
/* Views into data (no copy). */
bool fl_task_decode(struct fl_task *t, const uint8_t *data, size_t len) WARN_UNUSED;

enum fl_task_state {
    FL_TASK_OPEN = 0,      /* join window */
    FL_TASK_RUNNING = 1,
    FL_TASK_COMPLETED = 2,
    FL_TASK_CANCELLED = 3, /* too few joined */
};
const char *fl_task_state_name(uint8_t state);

/* 'f' 'S' | task.  Conservation of what the task holds:
 *   budget - burn + slashed = paid + budget_left + slashed_left + returned
 * (paid counts only what came from the task; matched came from gpool/fl). */
struct fl_status {
    uint8_t state;          /* enum fl_task_state */
    uint32_t round;         /* current round (0 before the start) */
    uint64_t round_start;   /* height of the first block of its submit window */
    uint32_t model_round;   /* round whose model is the global one (0: initial) */
    uint8_t model_hash[HASH_SIZE]; /* fl_model_hash of the global model */
    uint16_t n_participants;
    uint16_t n_active;
    uint64_t budget;        /* debited from the creator */
    uint64_t burn;          /* burned at creation: fl_burn(budget, fl_burn_bps) */
    uint64_t budget_left;   /* budget - burn not yet paid */
    uint64_t slashed_left;  /* slashed funds not yet paid */
    uint64_t slashed;       /* slashed into the task so far */
    uint64_t paid;          /* rewards paid out of the task so far */
    uint64_t matched;       /* paid from gpool/fl on top (not in the task) */
    uint64_t returned;      /* budget_left + slashed_left returned to the creator */
    uint64_t end_height;    /* block at whose end it completed or was cancelled */
    /* Sum of every participant's contribution (slot units of accepted
     * updates): the data providers' shares of a model published from it. */
    unsigned __int128 contribution;
};
void fl_status_encode(const struct fl_status *s, struct wbuf *w);
bool fl_status_decode(struct fl_status *s, const uint8_t *data, size_t len) WARN_UNUSED;

enum fl_participant_status {
    FL_PART_ACTIVE = 0,
    FL_PART_REMOVED = 1, /* stake fell below min_stake: the rest was returned */
    FL_PART_EXITED = 2,  /* the task ended: the stake was returned */
};
const char *fl_participant_status_name(uint8_t status);

/* 'f' 'P' | task | key. */
struct fl_participant {
    uint8_t status;
    uint64_t stake;        /* locked in the task now */
    uint64_t joined_height;
    unsigned __int128 contribution; /* slot units of its accepted updates */
    uint64_t rewards;      /* paid from the task */
    uint64_t matched;      /* paid from gpool/fl */
    uint64_t slashed;
    uint64_t returned;     /* stake given back (removal or end of task) */
    uint32_t rounds_proposer;
    uint32_t rounds_voter;
    uint32_t accepted;     /* its accepted updates */
};
void fl_participant_encode(const struct fl_participant *p, struct wbuf *w);
bool fl_participant_decode(struct fl_participant *p, const uint8_t *data, size_t len) WARN_UNUSED;

enum fl_outcome {
    FL_OUTCOME_PENDING = 0,
    FL_OUTCOME_ACCEPTED = 1,        /* at least one update accepted */
    FL_OUTCOME_REJECTED = 2,        /* updates and votes, none accepted */
    FL_OUTCOME_VOID_NO_UPDATES = 3, /* no update revealed */
    FL_OUTCOME_VOID_NO_VOTES = 4,   /* updates but no vote revealed */
};
const char *fl_outcome_name(uint8_t outcome);

/* 'f' 'R' | task | round. */
struct fl_round {
    uint64_t start;            /* first block of the submit window */
    uint16_t n_proposers;      /* distinct proposers */
    uint16_t n_slots;          /* k_eff slots drawn */
    uint16_t n_voters;         /* participants drawn no slot (every participant votes) */
    uint8_t outcome;           /* enum fl_outcome */
    uint16_t n_update_commits;
    uint16_t n_update_reveals;
    uint16_t n_vote_commits;
    uint16_t n_vote_reveals;
    uint64_t voting_stake;     /* sum of the stakes of every revealed vote */
    uint16_t n_accepted;       /* accepted updates */
    uint16_t accepted_slots;   /* their slots */
    uint64_t reward;           /* R = floor((budget_left + slashed_left) / rounds_left) */
    uint64_t voter_part;
    uint64_t paid;             /* from the task */
    uint64_t matched;          /* from gpool/fl */
    uint64_t slashed;
    uint8_t model_hash[HASH_SIZE]; /* the global model after this round */
    uint32_t model_round;      /* the round of that model */
    uint64_t end_height;       /* block at whose end the round closed (0: open) */
};
void fl_round_encode(const struct fl_round *r, struct wbuf *w);
bool fl_round_decode(struct fl_round *r, const uint8_t *data, size_t len) WARN_UNUSED;
/* Whether round r (its outcome set) is quiet (see FL_QUIET_DIVISOR). */
bool fl_round_quiet(const struct fl_round *r);

enum fl_role { FL_ROLE_PROPOSER = 1, FL_ROLE_VOTER = 2 };
#define FL_ENTRY_COMMITTED 0x01
#define FL_ENTRY_REVEALED 0x02
#define FL_ENTRY_REMOVED 0x04  /* removed at this round's end */
#define FL_ENTRY_ACCEPTED 0x08 /* proposer: its update was accepted */
#define FL_ENTRY_COPY 0x10     /* proposer: its update equals another's */
#define FL_ENTRY_NO_WORK 0x20  /* proposer: its update equals the global model */
#define FL_ENTRY_HARMFUL 0x40  /* proposer: tally <= -2/3 of the voting stake */
#define FL_ENTRY_FLAGS 0x7f
/* vote_flags: every participant of the round (either role) votes. */
#define FL_VOTE_COMMITTED 0x01
#define FL_VOTE_REVEALED 0x02
#define FL_VOTE_FLAGS 0x03

/* 'f' 'E' | task | round | key: role, stake during the round, slots drawn
 * (proposer), its update (proposer), its vote (every participant), what it
 * got.  flags COMMITTED/REVEALED are the update's, vote_flags the vote's. */
struct fl_entry {
    uint8_t role;
    uint64_t stake;
    uint16_t slots;                /* proposer: j >= 1; voter: 0 */
    uint8_t flags;
    uint8_t commitment[HASH_SIZE]; /* proposer: the update commitment */
    uint8_t vote_flags;            /* FL_VOTE_COMMITTED | FL_VOTE_REVEALED */
    uint8_t vote_commitment[HASH_SIZE];
    uint8_t model_hash[HASH_SIZE]; /* proposer: fl_model_hash of the revealed update */
    uint32_t size;                 /* proposer: weights revealed */
    int64_t tally;                 /* proposer: sum of stake x verdict over the
                                    * other participants' revealed votes */
    uint16_t verdicts;             /* verdicts revealed (its own included) */
    uint16_t agree;                /* verdicts on the others' updates equal to
                                    * their outcomes */
    uint64_t reward;               /* from the task */
    uint64_t matched;              /* from gpool/fl */
    uint64_t slash;
};
void fl_entry_encode(const struct fl_entry *e, struct wbuf *w);
bool fl_entry_decode(struct fl_entry *e, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'f' 'Q' | height | seq: task [32] | event u8. */
enum fl_event { FL_EV_START = 1, FL_EV_FINALIZE = 3 };
struct fl_event_entry {
    uint8_t task[FL_TASK_ID_SIZE];
    uint8_t event;
};
void fl_event_encode(const struct fl_event_entry *e, struct wbuf *w);
bool fl_event_decode(struct fl_event_entry *e, const uint8_t *data, size_t len) WARN_UNUSED;
/* A list of events, CompactSize n | n x (task [32] | event u8) (no longer a
 * state record; kept for tools).  *events is allocated (free() it); false on
 * bad bytes. */
bool fl_events_decode(struct fl_event_entry **events, size_t *n, const uint8_t *data,
                      size_t len) WARN_UNUSED;
void fl_events_encode(const struct fl_event_entry *events, size_t n, struct wbuf *w);

/* 'f' 'q' | height: events u32 | work u32 | weights u64 | verdicts u32.
 * `events` is the count of 'f' 'Q' keys of the height; work, weights and
 * verdicts what its events reserved (see "work per height"). */
struct fl_height {
    uint32_t events;
    uint32_t work;
    uint64_t weights;
    uint32_t verdicts;
};
void fl_height_encode(const struct fl_height *h, struct wbuf *w);
bool fl_height_decode(struct fl_height *h, const uint8_t *data, size_t len) WARN_UNUSED;
/* Whether h has room for one more event of `work` reading `weights` and
 * `verdicts`. */
bool fl_height_room(const struct fl_height *h, uint32_t work, uint64_t weights, uint32_t verdicts);

/* The participant list: CompactSize n | n x [32], strictly ascending. */
bool fl_list_decode(const uint8_t **keys, size_t *n, const uint8_t *data, size_t len) WARN_UNUSED;

#define FL_KEY_TASK_SIZE (2 + FL_TASK_ID_SIZE)
#define FL_KEY_ROUND_SIZE (2 + FL_TASK_ID_SIZE + 4)
#define FL_KEY_PART_SIZE (2 + FL_TASK_ID_SIZE + PUBKEY_SIZE)
#define FL_KEY_ENTRY_SIZE (2 + FL_TASK_ID_SIZE + 4 + PUBKEY_SIZE)
#define FL_KEY_QUEUE_SIZE (2 + 8)
#define FL_KEY_EVENT_SIZE (2 + 8 + 4)
/* kind: 'T', 'S' or 'L'. */
void fl_key_task(uint8_t key[FL_KEY_TASK_SIZE], char kind, const uint8_t task[FL_TASK_ID_SIZE]);
/* kind: 'R' or 'M'. */
void fl_key_round(uint8_t key[FL_KEY_ROUND_SIZE], char kind, const uint8_t task[FL_TASK_ID_SIZE],
                  uint32_t round);
void fl_key_participant(uint8_t key[FL_KEY_PART_SIZE], const uint8_t task[FL_TASK_ID_SIZE],
                        const uint8_t pub[PUBKEY_SIZE]);
/* kind: 'E', 'U' or 'V'. */
void fl_key_entry(uint8_t key[FL_KEY_ENTRY_SIZE], char kind, const uint8_t task[FL_TASK_ID_SIZE],
                  uint32_t round, const uint8_t pub[PUBKEY_SIZE]);
/* 'f' 'q' | height. */
void fl_key_queue(uint8_t key[FL_KEY_QUEUE_SIZE], uint64_t height);
/* 'f' 'Q' | height | seq. */
void fl_key_event(uint8_t key[FL_KEY_EVENT_SIZE], uint64_t height, uint32_t seq);

/* ---- windows ---- */

/* Heights (inclusive) of a task's windows.  Joins: created + 1 .. created +
 * join_blocks; the task starts at the end of the last.  A round starting at
 * height s: submit s .. s + submit - 1 (update commits), update reveal the
 * next update_reveal_blocks, commit the next commit_blocks (vote commits),
 * reveal the next reveal_blocks (vote reveals); the round is finalized at
 * the end of reveal_end. */
struct fl_windows {
    uint64_t submit_start, submit_end;
    uint64_t update_reveal_start, update_reveal_end;
    uint64_t commit_start, commit_end;
    uint64_t reveal_start, reveal_end;
};
uint64_t fl_join_end(const struct fl_task *t);
void fl_round_windows(const struct fl_task_params *p, uint64_t start, struct fl_windows *w);

/* ---- the round's formulas ---- */

/* H_FML/fl-model of the weight bytes (n x i32, no length). */
void fl_model_hash(uint8_t out[HASH_SIZE], const uint8_t *weights, size_t n);
/* fl_model_hash of n zero weights (the global model of a task created
 * without initial weights). */
void fl_zero_model_hash(uint8_t out[HASH_SIZE], uint64_t n);

/* H_FML/fl-update(task | round u32 | proposer [32] | model_hash [32] | salt [32]),
 * model_hash = fl_model_hash of the weights. */
void fl_update_commitment(uint8_t out[HASH_SIZE], const uint8_t task[FL_TASK_ID_SIZE],
                          uint32_t round, const uint8_t proposer[PUBKEY_SIZE],
                          const uint8_t model_hash[HASH_SIZE], const uint8_t salt[32]);

/* H_FML/fl-vote(task | round u32 | voter [32] | CompactSize n | n x (verdict
 * i8 | metric i32 LE) | salt [32]); verdicts: n x FL_VERDICT_SIZE bytes. */
void fl_vote_commitment(uint8_t out[HASH_SIZE], const uint8_t task[FL_TASK_ID_SIZE],
                        uint32_t round, const uint8_t voter[PUBKEY_SIZE], uint64_t n,
                        const uint8_t *verdicts, const uint8_t salt[32]);

/* Verdict i of a vote reveal's n x FL_VERDICT_SIZE bytes. */
int8_t fl_verdict_at(const uint8_t *verdicts, size_t i);
int32_t fl_metric_at(const uint8_t *verdicts, size_t i);

/* The role draw by stake, with replacement.  stakes[0..m) are the active
 * participants' task stakes in key order (sum below 2^64);
 * k_eff = fl_slot_count(k, m) slots are drawn: seed = H_FML/fl-roles(task |
 * round u32 | mix); for each slot, x = the first 8 bytes (LE) of
 * H_FML/fl-roles(seed | counter u64), counter from 0 and growing by one per
 * hash, accepted only below the largest multiple of the total stake that
 * fits in 2^64, then x mod total; the slot goes to the smallest i whose
 * cumulative stake exceeds x.  slots[i] = times i was drawn (its weight j):
 * proposers have slots > 0, voters 0.  All zero when k_eff = 0 or the total
 * is 0. */
void fl_draw_slots(uint16_t *slots, const uint64_t *stakes, uint32_t m, uint32_t k,
                   const uint8_t task[FL_TASK_ID_SIZE], uint32_t round,
                   const uint8_t mix[HASH_SIZE]);

/* One accepted update for aggregation: n LE i32 weights and its slots j. */
struct fl_update_ref {
    const uint8_t *weights;
    uint64_t weight;
};
/* The aggregate of k >= 1 updates of n weights into out (n x i32 LE), each
 * update i counted with its weight j_i (sum of the j_i at most
 * FL_MAX_SLOTS x FL_MAX_PARTICIPANTS):
 *   fedavg: sum(j_i x w_i) / sum(j_i), 128-bit sum, fl_div_round;
 *   median: per coordinate, over the J = sum(j_i) values (update i's value
 *           counted j_i times), the middle value (odd J) or the floor of the
 *           mean of the two middle values (even J);
 *   trimmed_mean(t): per coordinate, over the same J values, drop the t
 *           smallest and t largest, the mean of the rest by fl_div_round (the
 *           median when J < 2t + 1).
 * Every result depends only on the multiset of (weight, update) pairs, never
 * their order.  False on allocation failure, k = 0, a zero total weight, a
 * total weight above FL_MAX_SLOTS x FL_MAX_PARTICIPANTS, or an unknown
 * aggregator. */
bool fl_aggregate(uint8_t aggregator, uint16_t trim_k, const struct fl_update_ref *u, size_t k,
                  size_t n, uint8_t *out) WARN_UNUSED;

/* Makes fl_aggregate use only the baseline instruction set of the build
 * even where the CPU offers more (the results are the same; tests and
 * benchmarks compare the two).  Not for use while another thread
 * aggregates. */
void fl_aggregate_baseline_only(bool on);

/* R = floor(pool / rounds_left) (0 when rounds_left is 0). */
uint64_t fl_round_reward(uint64_t pool, uint32_t rounds_left);
/* floor(amount x bps / 10000). */
uint64_t fl_bps(uint64_t amount, uint16_t bps);
/* floor(part x stake / total); 0 when total is 0. */
uint64_t fl_share(uint64_t part, uint64_t stake, uint64_t total);
/* floor(part x w / total) with a 128-bit total (exact); 0 when total is 0
 * or w > total.  A voter's reward: w = stake x agree (below 2^63: a stake is
 * at most the supply, below 2^57, and agree at most FL_MAX_SLOTS), total =
 * the sum of stake x agree over the revealed votes (proposers vote too). */
uint64_t fl_share128(uint64_t part, uint64_t w, unsigned __int128 total);
/* Whether an update with this tally (sum of stake x verdict) is accepted:
 * tally > 0. */
bool fl_accepted(int64_t tally);
/* Whether an update is harmful: V > 0 and 3 x tally <= -2 x V (exact), V
 * the stake of the revealed votes on it (its proposer's own excluded). */
bool fl_harmful(int64_t tally, uint64_t voting_stake);
/* The pool's match of a round: min(pool, floor(x_b x match_bps / 10000)),
 * x_b the round's payouts taken from budget_left. */
uint64_t fl_match(uint64_t pool, uint64_t x_b, uint16_t match_bps);
/* The burn at a task's creation: floor(budget x burn_bps / 10000). */
uint64_t fl_burn(uint64_t budget, uint16_t burn_bps);
/* The FL pool's cap: cap_blocks x floor(emission x split_fl_bps / 10000),
 * saturating at 2^64 - 1. */
uint64_t fl_pool_cap(uint32_t cap_blocks, uint64_t emission, uint16_t split_fl_bps);

#endif
