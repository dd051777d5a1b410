/* The FL Alliance module, consensus side: model specs, the task definition,
 * the state records and their keys (consensus/fl.c), and the pure formulas
 * of a round (consensus/flmath.c): Q16.16 fixed point, the three
 * aggregators, the role draw, vote commitments, model hashes and the reward
 * and slash arithmetic.
 *
 * Integer only: no floats, no clock, no I/O.  Every division states its
 * rounding.  The rules that use these formulas are in state/fl.c; all of it
 * is specified, with vectors, in doc/protocol.md ("17. FL Alliance").
 *
 * State keys (every key of the module starts with 'f'; round numbers in keys
 * are u32 big-endian and heights u64 big-endian, so scans come in order):
 *   'f' 'T' | task                   task definition (immutable)
 *   'f' 'S' | task                   task status (state, round, pool)
 *   'f' 'L' | task                   participant keys, sorted
 *   'f' 'P' | task | key             participant record
 *   'f' 'R' | task | round           round record
 *   'f' 'E' | task | round | key     a participant's part in a round
 *   'f' 'U' | task | round | key     a submitted update (until aggregation)
 *   'f' 'C' | task | round           the round's candidate (until finalization)
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
/* rounds x parameters: the global models a task may store. */
#define FL_MAX_STORED_WEIGHTS 16000000
/* max_participants x parameters: the updates one round may hold. */
#define FL_MAX_ROUND_WEIGHTS 64000000
/* Longest join, submit, commit or reveal window, in blocks. */
#define FL_MAX_WINDOW_BLOCKS 10000

/* ---- work per height ----
 * Every event is reserved at a height when it is scheduled, never later, so
 * running a height's events can never exceed these bounds and no block can
 * fail because of them:
 *   work:    sum over the height's events of FL_EVENT_BASE_WORK + n, n the
 *            task's participants (an event walks them): the start's
 *            FL_EVENT_BASE_WORK by FL_TASK_CREATE and one unit by each
 *            FL_JOIN, at the end of the join window; a round's aggregation
 *            and finalization when the round is drawn (n is final then);
 *   weights: sum over the height's aggregations of the round's proposers x
 *            P (the updates the aggregation may read and delete) and over
 *            its finalizations of P (the candidate read, written as the
 *            model and deleted), both reserved when the round is drawn.
 * What is reserved is what the task really has, never its maximum: an empty
 * task of max_participants 1000 holds 8 units of its start height, not 1008.
 * A void aggregation gives back its round's finalization.  A round is drawn
 * to start at the first of the next FL_MAX_ROUND_DELAY heights whose submit
 * end and reveal end both have room; with none, the task completes
 * (everything is returned). */
#define FL_EVENT_BASE_WORK 8
#define FL_MAX_HEIGHT_WORK 20000
#define FL_MAX_HEIGHT_WEIGHTS 8000000
#define FL_MAX_ROUND_DELAY 32
/* A round is quiet when it is void or fewer than max(1, drawn /
 * FL_QUIET_DIVISOR) updates and reveals came in it (drawn: its proposers
 * and voters); two quiet rounds in a row end a task, so keeping the rounds
 * of a task of n participants running costs about n / 8 transactions every
 * other round, in step with the 8 + n work each of its events reserves. */
#define FL_QUIET_DIVISOR 8

struct fl_task_params {
    struct fl_spec spec;
    uint64_t n_init;     /* 0 (all zeros) or the parameter count */
    const uint8_t *init; /* n_init x i32 */
    uint32_t rounds;
    uint16_t min_participants;
    uint16_t max_participants;
    uint64_t min_stake;
    uint16_t proposer_fraction_bps;
    uint32_t join_blocks;
    uint32_t submit_blocks;
    uint32_t commit_blocks;
    uint32_t reveal_blocks;
    uint8_t aggregator;
    uint16_t trim_k;
    uint16_t slash_bps;
    uint16_t voter_reward_bps;
    uint64_t reward_pool;
    uint64_t n_allow;     /* 0: anyone may join */
    const uint8_t *allow; /* n_allow x [32], strictly ascending */
};

void fl_task_params_encode(const struct fl_task_params *t, struct wbuf *w);
bool fl_task_params_decode_from(struct fl_task_params *t, struct rbuf *r) WARN_UNUSED;
/* "fedavg", "median", "trimmed_mean"; NULL for an unknown value. */
const char *fl_aggregator_name(uint8_t agg);
/* Whether pub is on the allow-list (always true for an open task). */
bool fl_task_allows(const struct fl_task_params *t, const uint8_t pub[PUBKEY_SIZE]);
/* Encoded size of a transaction carrying an FL_UPDATE of n weights. */
uint64_t fl_update_tx_size(uint64_t n);
/* Most updates of n weights one block can carry. */
uint64_t fl_updates_per_block(const struct chain_params *p, uint64_t n);
/* Most proposers a round can have with n participants (see fl_proposer_count). */
uint32_t fl_max_proposers(uint32_t n, uint16_t fraction_bps);
/* The most work one event of the task can reserve: FL_EVENT_BASE_WORK +
 * max_participants. */
uint32_t fl_event_work(const struct fl_task_params *t);
/* The work an event of a task of n participants reserves: FL_EVENT_BASE_WORK + n. */
uint32_t fl_event_work_for(size_t n);
/* The most weights one aggregation of the task can reserve: max proposers x P. */
uint64_t fl_aggregation_weights(const struct fl_task_params *t);
/* The weights the aggregation of a round drawn over n_active participants
 * reserves: its proposers x P. */
uint64_t fl_round_weights(const struct fl_task_params *t, uint32_t n_active);

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

/* 'f' 'S' | task.  Conservation of the task's pool:
 *   reward_pool + slashed = paid + pool + returned. */
struct fl_status {
    uint8_t state;          /* enum fl_task_state */
    uint32_t round;         /* current round (0 before the start) */
    uint64_t round_start;   /* height of the first block of its submit window */
    uint32_t model_round;   /* round whose model is the global one (0: initial) */
    uint16_t n_participants;
    uint16_t n_active;
    uint64_t pool;          /* reward pool held */
    uint64_t slashed;       /* slashed into the pool so far */
    uint64_t paid;          /* rewards paid out so far */
    uint64_t returned;      /* pool remainder returned to the creator */
    uint64_t end_height;    /* block at whose end it completed or was cancelled */
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
    unsigned __int128 contribution; /* sum of its stake over accepted rounds it fed */
    uint64_t rewards;
    uint64_t slashed;
    uint64_t returned;     /* stake given back (removal or end of task) */
    uint32_t rounds_proposer;
    uint32_t rounds_voter;
    uint32_t accepted;     /* accepted rounds its update was part of */
};
void fl_participant_encode(const struct fl_participant *p, struct wbuf *w);
bool fl_participant_decode(struct fl_participant *p, const uint8_t *data, size_t len) WARN_UNUSED;

enum fl_outcome {
    FL_OUTCOME_PENDING = 0,
    FL_OUTCOME_ACCEPTED = 1,
    FL_OUTCOME_REJECTED = 2,
    FL_OUTCOME_VOID_NO_UPDATES = 3, /* no proposer submitted */
    FL_OUTCOME_VOID_NO_VOTES = 4,   /* no voter revealed */
};
const char *fl_outcome_name(uint8_t outcome);

/* 'f' 'R' | task | round. */
struct fl_round {
    uint64_t start;            /* first block of the submit window */
    uint16_t n_proposers;
    uint16_t n_voters;
    uint8_t outcome;           /* enum fl_outcome */
    bool has_candidate;
    uint8_t candidate_hash[HASH_SIZE];
    uint16_t n_updates;
    uint16_t n_commits;
    uint16_t n_reveals;
    uint64_t stake_for;        /* revealed +1 votes, by stake */
    uint64_t stake_against;    /* revealed -1 votes */
    uint64_t reward;           /* R = floor(pool / rounds_left) */
    uint64_t voter_part;
    uint64_t paid;
    uint64_t slashed;
    uint32_t model_round;      /* the global model after this round */
    uint64_t end_height;       /* block at whose end the round closed (0: open) */
};
void fl_round_encode(const struct fl_round *r, struct wbuf *w);
bool fl_round_decode(struct fl_round *r, const uint8_t *data, size_t len) WARN_UNUSED;
/* Whether round r (its outcome set) is quiet (see FL_QUIET_DIVISOR). */
bool fl_round_quiet(const struct fl_round *r);

enum fl_role { FL_ROLE_PROPOSER = 1, FL_ROLE_VOTER = 2 };
#define FL_ENTRY_SUBMITTED 0x01
#define FL_ENTRY_COMMITTED 0x02
#define FL_ENTRY_REVEALED 0x04
#define FL_ENTRY_REMOVED 0x08 /* removed at this round's end */

/* 'f' 'E' | task | round | key: role, stake during the round, what it did
 * (hash: the update's model hash for a proposer, the commitment for a
 * voter), and what it got. */
struct fl_entry {
    uint8_t role;
    uint64_t stake;
    uint8_t flags;
    uint8_t hash[HASH_SIZE];
    uint32_t size;  /* weights in the update */
    int8_t vote;
    int32_t metric;
    uint64_t reward;
    uint64_t slash;
};
void fl_entry_encode(const struct fl_entry *e, struct wbuf *w);
bool fl_entry_decode(struct fl_entry *e, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'f' 'Q' | height | seq: task [32] | event u8. */
enum fl_event { FL_EV_START = 1, FL_EV_AGGREGATE = 2, FL_EV_FINALIZE = 3 };
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

/* 'f' 'q' | height: events u32 | work u32 | weights u64.  `events` is the
 * count of 'f' 'Q' keys of the height; work and weights what its events
 * reserved (see "work per height"). */
struct fl_height {
    uint32_t events;
    uint32_t work;
    uint64_t weights;
};
void fl_height_encode(const struct fl_height *h, struct wbuf *w);
bool fl_height_decode(struct fl_height *h, const uint8_t *data, size_t len) WARN_UNUSED;
/* Whether h has room for one more event of `work` aggregating `weights`. */
bool fl_height_room(const struct fl_height *h, uint32_t work, uint64_t weights);

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
/* kind: 'R', 'C' or 'M'. */
void fl_key_round(uint8_t key[FL_KEY_ROUND_SIZE], char kind, const uint8_t task[FL_TASK_ID_SIZE],
                  uint32_t round);
void fl_key_participant(uint8_t key[FL_KEY_PART_SIZE], const uint8_t task[FL_TASK_ID_SIZE],
                        const uint8_t pub[PUBKEY_SIZE]);
/* kind: 'E' or 'U'. */
void fl_key_entry(uint8_t key[FL_KEY_ENTRY_SIZE], char kind, const uint8_t task[FL_TASK_ID_SIZE],
                  uint32_t round, const uint8_t pub[PUBKEY_SIZE]);
/* 'f' 'q' | height. */
void fl_key_queue(uint8_t key[FL_KEY_QUEUE_SIZE], uint64_t height);
/* 'f' 'Q' | height | seq. */
void fl_key_event(uint8_t key[FL_KEY_EVENT_SIZE], uint64_t height, uint32_t seq);

/* ---- windows ---- */

/* Heights (inclusive) of a task's windows.  Joins: created + 1 .. created +
 * join_blocks; the task starts at the end of the last.  A round starting at
 * height s: submit s .. s + submit - 1, commit the next commit_blocks
 * blocks, reveal the next reveal_blocks; the candidate is aggregated at the
 * end of submit_end and the round finalized at the end of reveal_end. */
struct fl_windows {
    uint64_t submit_start, submit_end;
    uint64_t commit_start, commit_end;
    uint64_t reveal_start, reveal_end;
};
uint64_t fl_join_end(const struct fl_task *t);
void fl_round_windows(const struct fl_task_params *p, uint64_t start, struct fl_windows *w);

/* ---- the round's formulas ---- */

/* H_FML/fl-model of the weight bytes (n x i32, no length). */
void fl_model_hash(uint8_t out[HASH_SIZE], const uint8_t *weights, size_t n);

/* H_FML/fl-vote(task | round u32 | voter [32] | vote i8 | metric i32 | salt [32]). */
void fl_vote_commitment(uint8_t out[HASH_SIZE], const uint8_t task[FL_TASK_ID_SIZE],
                        uint32_t round, const uint8_t voter[PUBKEY_SIZE], int8_t vote,
                        int32_t metric, const uint8_t salt[32]);

/* Proposers among n participants: ceil(n x bps / 10000) clamped to [1, n-1]
 * (n >= 2). */
uint32_t fl_proposer_count(uint32_t n, uint16_t fraction_bps);
/* The role draw: order[0..n) becomes a permutation of 0..n-1 by a
 * Fisher-Yates shuffle (i from n-1 down to 1, swap i with j uniform in
 * [0, i]) driven by seed = H_FML/fl-roles(task | round u32 | mix); each j
 * comes from x = the first 8 bytes (LE) of H_FML/fl-roles(seed | counter u64),
 * counter starting at 0 and growing by one per hash, accepting x only below
 * the largest multiple of i+1 that fits in 2^64 (then j = x mod (i+1)).
 * The first fl_proposer_count(n) of order are the proposers. */
void fl_draw_roles(uint32_t *order, uint32_t n, const uint8_t task[FL_TASK_ID_SIZE],
                   uint32_t round, const uint8_t mix[HASH_SIZE]);

/* One submitted update for aggregation: n LE i32 weights and the proposer's
 * task stake. */
struct fl_update_ref {
    const uint8_t *weights;
    uint64_t stake;
};
/* The candidate of k >= 1 updates of n weights into out (n x i32 LE):
 *   fedavg: sum(stake_i x w_i) / sum(stake_i), 128-bit sum, fl_div_round;
 *   median: per coordinate, the middle value (odd k) or the floor of the mean
 *           of the two middle values (even k);
 *   trimmed_mean(t): per coordinate, drop the t smallest and t largest, the
 *           mean of the rest by fl_div_round (the median when k < 2t + 1).
 * Median and trimmed mean count each update once (stakes are not used).
 * Every result depends only on the multiset of (stake, update) pairs, never
 * their order.  False on allocation failure, k = 0, a zero total stake, or
 * an unknown aggregator. */
bool fl_aggregate(uint8_t aggregator, uint16_t trim_k, const struct fl_update_ref *u, size_t k,
                  size_t n, uint8_t *out) WARN_UNUSED;

/* R = floor(pool / rounds_left) (0 when rounds_left is 0). */
uint64_t fl_round_reward(uint64_t pool, uint32_t rounds_left);
/* floor(amount x bps / 10000). */
uint64_t fl_bps(uint64_t amount, uint16_t bps);
/* floor(part x stake / total); 0 when total is 0. */
uint64_t fl_share(uint64_t part, uint64_t stake, uint64_t total);

#endif
