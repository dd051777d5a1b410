/* The AI Arena module, consensus side: the ten transaction payloads, the
 * task definition and the state records with their keys, the windows of a
 * task, the commitments and the validation-set Merkle tree
 * (consensus/arena.c), and the pure settlement formulas
 * (consensus/arenamath.c): exact multiply-divide, the weighted lower median,
 * dense ranks, the reward groups and shares, closeness, the operator split,
 * vesting tranches, the stake-weighted assignment draw, match, pool cap and
 * burn.
 *
 * Integer only: no floats, no clock, no I/O.  Every division states its
 * rounding (floor unless said).  The rules that use these are in state/;
 * everything is specified, with vectors, in doc/protocol.md ("18. AI Arena").
 *
 * State keys (every key of the module starts with 'A', ARENA_KEY_PREFIX;
 * accounts are 'a' | pubkey; heights u64
 * big-endian, queue seq u32 big-endian, chunk u16 big-endian):
 *   'A' 'T' | task                        task definition (immutable)
 *   'A' 'S' | task                        task status
 *   'A' 'L' | task                        operator list, sorted
 *   'A' 'R' | task                        results (after SETTLE)
 *   'A' 'O' | task | operator             operator record
 *   'A' 'W' | task | trainer              revealed weights
 *   'A' 'Z' | task | validator            revealed losses
 *   'A' 'D' | task | operator | delegator delegation
 *   'A' 'V' | task | set u8 | chunk u16   revealed chunk bytes
 *   'A' 'x' | address                     last Arena slash height
 *   'A' 'q' | height                      the height's event count and work
 *   'A' 'Q' | height | seq                one event due at the end of that block
 */
#ifndef FML_CONSENSUS_ARENA_H
#define FML_CONSENSUS_ARENA_H

/* The first byte of every Arena state key (doc/protocol.md §7, §18.6). */
#define ARENA_KEY_PREFIX 'A'

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/fl.h"
#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"

struct chain_params;

/* Hash personalizations: HTAG_ARENA_SUB, _SCORE, _LEAF, _NODE, _ASSIGN
 * ("FML/arena-...", consensus/hash.h). */

/* ---- bounds ---- */

#define ARENA_TASK_ID_SIZE HASH_SIZE
#define ARENA_MIN_SETS 2
#define ARENA_MAX_SETS 8
#define ARENA_MAX_CHUNKS 64
/* Longest Merkle path: ceil(log2(ARENA_MAX_CHUNKS)). */
#define ARENA_MAX_PATH 6
#define ARENA_MAX_CHUNK_BYTES 65536
#define ARENA_MAX_SET_BYTES (1u << 20)
#define ARENA_MAX_PARAMS 1000000
#define ARENA_MAX_URI 256
#define ARENA_MAX_WINDOW_BLOCKS 10000
#define ARENA_MIN_BUDGET UINT64_C(100000000)
#define ARENA_MIN_DELEGATION UINT64_C(1000000)
#define ARENA_MAX_GAMMA_BPS 5000
#define ARENA_MAX_D_BPS 100000000u
#define ARENA_MAX_VEST 52
#define ARENA_MAX_DRAWS 16
#define ARENA_MAX_TRAINERS 64
#define ARENA_MAX_VALIDATORS 64
#define ARENA_MAX_OPERATORS (ARENA_MAX_TRAINERS + ARENA_MAX_VALIDATORS)
/* Losses one validator may reveal: every set x every submission. */
#define ARENA_MAX_SCORES (ARENA_MAX_SETS * ARENA_MAX_TRAINERS)
#define ARENA_BPS 10000u
/* A deviation is capped at this (bps) before averaging. */
#define ARENA_MAX_DEV_BPS 100000000u
/* P_1 of the rank weights. */
#define ARENA_P1 (UINT64_C(1) << 32)

/* ---- work per height ----
 * All events of a task are scheduled at creation at fixed heights, and each
 * reserves its work there then; a creation is rejected (arena-height-full)
 * when one of those heights lacks room.  Work of the events:
 *   ASSIGN  8 + max_validators + K x draws_per_set
 *   CLOSE   8 + max_trainers + max_validators + K
 *   SETTLE  8 + max_trainers + max_validators + K x max_validators x
 *           max_trainers + K x ARENA_MAX_CHUNKS
 *   VEST    8 + max_trainers + max_validators */
#define ARENA_EVENT_BASE_WORK 8
#define ARENA_MAX_HEIGHT_WORK 200000

/* ---- enums ---- */

enum arena_loss {
    ARENA_LOSS_LOGLOSS = 0, /* logreg and softmax only */
    ARENA_LOSS_MSE = 1,     /* any kind */
};

enum arena_role {
    ARENA_ROLE_NONE = 0,
    ARENA_ROLE_TRAINER = 1,
    ARENA_ROLE_VALIDATOR = 2,
};

enum arena_task_state {
    ARENA_OPEN = 0,     /* until submit_end */
    ARENA_REVEAL = 1,   /* submit_end + 1 .. reveal_end */
    ARENA_SCORING = 2,  /* reveal_end + 1 .. settle */
    ARENA_SETTLED = 3,
    ARENA_REFUNDED = 4, /* no revealed validator or no ranked trainer */
    ARENA_FAILED = 5,   /* a validation set was not revealed */
};

enum arena_event {
    ARENA_EV_ASSIGN = 1,
    ARENA_EV_CLOSE = 2,
    ARENA_EV_SETTLE = 3,
    ARENA_EV_VEST = 4, /* index = tranche i (1..vest_epochs) */
};

const char *arena_loss_name(uint8_t loss);       /* "logloss", "mse"; NULL */
const char *arena_role_name(uint8_t role);       /* "trainer", "validator"; NULL */
const char *arena_task_state_name(uint8_t state); /* "open" ... ; "unknown" */
/* Parses "logloss"/"mse" and "trainer"/"validator"; false if unknown. */
bool arena_loss_from_name(const char *s, uint8_t *out) WARN_UNUSED;
bool arena_role_from_name(const char *s, uint8_t *out) WARN_UNUSED;

/* ---- payloads ---- */

/* One validation set's commitment in the task. */
struct arena_set_commit {
    uint8_t root[HASH_SIZE];
    uint16_t n_chunks; /* 1..ARENA_MAX_CHUNKS */
    uint32_t n_rows;   /* >= n_chunks */
};

/* ARENA_TASK_CREATE.  spec.norm is a view into the decoded bytes; the uri is
 * copied (NUL-terminated). */
struct arena_task_params {
    struct fl_spec spec;
    uint8_t loss; /* enum arena_loss */
    uint8_t data_hash[HASH_SIZE];
    uint16_t uri_len;
    char uri[ARENA_MAX_URI + 1];
    uint8_t k; /* number of sets, ARENA_MIN_SETS..ARENA_MAX_SETS */
    struct arena_set_commit sets[ARENA_MAX_SETS];
    uint32_t submit_blocks;
    uint32_t reveal_blocks;
    uint32_t score_commit_blocks;
    uint32_t score_reveal_blocks;
    uint64_t budget;
    uint16_t gamma_bps;
    uint16_t q_bps;
    uint16_t delta_bps;
    uint32_t d_bps;
    uint32_t epsilon;
    uint16_t vest_epochs;
    uint8_t draws_per_set;
    uint16_t max_trainers;
    uint16_t max_validators;
    uint64_t trainer_min_stake;
    uint64_t validator_min_stake;
    uint16_t slash_bps;
};

struct arena_stake {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint8_t role; /* ARENA_ROLE_TRAINER or ARENA_ROLE_VALIDATOR */
    uint64_t amount;
};

struct arena_delegate {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint8_t op[PUBKEY_SIZE];
    uint64_t amount;
};

struct arena_undelegate {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint8_t op[PUBKEY_SIZE];
};

struct arena_set_share {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint16_t sigma_bps;
};

/* ARENA_SUBMIT_COMMIT and ARENA_SCORE_COMMIT. */
struct arena_commit {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint8_t commitment[HASH_SIZE];
};

struct arena_submit_reveal {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint8_t salt[32];
    uint64_t n;
    const uint8_t *weights; /* n x i32 LE, a view */
};

struct arena_reveal_valset {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint8_t set;
    uint16_t chunk;
    uint8_t salt[32];
    uint8_t npath;
    const uint8_t *path; /* npath x [32], a view */
    uint32_t len;
    const uint8_t *data; /* len bytes, a view */
};

struct arena_score_reveal {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint8_t salt[32];
    uint32_t n;
    const uint8_t *losses; /* n x u32 LE, a view */
};

/* Encoders write the canonical bytes; decoders take the whole payload and
 * reject anything else (short, trailing bytes, a length past its bound, a
 * non-canonical CompactSize).  They check the shape only; the value rules
 * are in the arena_*_check functions below. */
void arena_task_params_encode(const struct arena_task_params *t, struct wbuf *w);
bool arena_task_params_decode_from(struct arena_task_params *t, struct rbuf *r) WARN_UNUSED;
bool arena_task_create_decode(struct arena_task_params *t, const uint8_t *p, size_t n) WARN_UNUSED;
void arena_stake_encode(const struct arena_stake *s, struct wbuf *w);
bool arena_stake_decode(struct arena_stake *s, const uint8_t *p, size_t n) WARN_UNUSED;
void arena_delegate_encode(const struct arena_delegate *d, struct wbuf *w);
bool arena_delegate_decode(struct arena_delegate *d, const uint8_t *p, size_t n) WARN_UNUSED;
void arena_undelegate_encode(const struct arena_undelegate *u, struct wbuf *w);
bool arena_undelegate_decode(struct arena_undelegate *u, const uint8_t *p, size_t n) WARN_UNUSED;
void arena_set_share_encode(const struct arena_set_share *s, struct wbuf *w);
bool arena_set_share_decode(struct arena_set_share *s, const uint8_t *p, size_t n) WARN_UNUSED;
void arena_commit_encode(const struct arena_commit *c, struct wbuf *w);
bool arena_commit_decode(struct arena_commit *c, const uint8_t *p, size_t n) WARN_UNUSED;
void arena_submit_reveal_encode(const struct arena_submit_reveal *s, struct wbuf *w);
bool arena_submit_reveal_decode(struct arena_submit_reveal *s, const uint8_t *p, size_t n) WARN_UNUSED;
void arena_reveal_valset_encode(const struct arena_reveal_valset *v, struct wbuf *w);
bool arena_reveal_valset_decode(struct arena_reveal_valset *v, const uint8_t *p, size_t n) WARN_UNUSED;
void arena_score_reveal_encode(const struct arena_score_reveal *s, struct wbuf *w);
bool arena_score_reveal_decode(struct arena_score_reveal *s, const uint8_t *p, size_t n) WARN_UNUSED;
/* Aliases by type, for tables that want one name per type. */
#define arena_submit_commit_encode arena_commit_encode
#define arena_submit_commit_decode arena_commit_decode
#define arena_score_commit_encode arena_commit_encode
#define arena_score_commit_decode arena_commit_decode

/* ---- stateless checks ---- */

/* Bytes of one row of a set: 4 x (sizes[0] + 1). */
uint64_t arena_row_size(const struct fl_spec *spec);

/* The value rules of a task's parameters (bad-arena-payload with a detail
 * naming the field): spec valid with at most ARENA_MAX_PARAMS parameters,
 * loss/kind, uri printable, K, each set's chunks, rows and bytes, windows,
 * budget, gamma, q, delta, D, vest_epochs, draws, seats, min stakes, slash;
 * and the work of every event fits ARENA_MAX_HEIGHT_WORK. */
bool arena_task_params_check(const struct arena_task_params *t, const struct chain_params *p,
                             struct validation *v);

/* bad-txns-payload when the payload does not decode exactly; arena-stake-low
 * for a delegation below ARENA_MIN_DELEGATION; bad-arena-payload for any
 * other value out of range (role, amounts, sigma, a delegation to oneself,
 * set/chunk/length bounds, an empty reveal). */
bool arena_task_create_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_stake_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_delegate_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_undelegate_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_set_share_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_submit_commit_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_submit_reveal_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_reveal_valset_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_score_commit_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool arena_score_reveal_check(const struct tx *tx, const struct chain_params *p, struct validation *v);

/* ---- windows ---- */

/* All heights are fixed at creation height c:
 *   submit_end       = c + submit_blocks          (stakes, delegations, shares,
 *                                                  submission commits: c+1 ..)
 *   reveal_end       = submit_end + reveal_blocks (submission reveals)
 *   sets_end         = reveal_end + reveal_blocks (set reveals: only once
 *                                                  every submission is
 *                                                  fixed, so no trainer
 *                                                  picks what to reveal
 *                                                  knowing the sets)
 *   score_commit_end = sets_end + score_commit_blocks
 *   settle           = score_commit_end + score_reveal_blocks (score reveals)
 *   vest i           = settle + i x epoch_slots, i = 1..vest_epochs
 * A window "a .. b" is inclusive; ASSIGN runs at the end of submit_end,
 * CLOSE at the end of sets_end, SETTLE at the end of settle. */
struct arena_windows {
    uint64_t created;
    uint64_t submit_end;
    uint64_t reveal_end;
    uint64_t sets_end;
    uint64_t score_commit_end;
    uint64_t settle;
};
void arena_windows_at(const struct arena_task_params *p, uint64_t created, struct arena_windows *w);
/* settle + i x epoch_slots. */
uint64_t arena_vest_height(const struct arena_windows *w, uint32_t epoch_slots, uint32_t i);

/* Work units of one event of the task (doc/protocol.md 18.8): each
 * ARENA_EVENT_BASE_WORK + ARENA_OPERATOR_WORK per seat (max_trainers +
 * max_validators); ASSIGN adds K x draws_per_set, CLOSE adds K, SETTLE adds
 * K x max_validators x max_trainers (losses read) and one unit per
 * ARENA_DELETE_BYTES_PER_WORK bytes of validation set deleted (rounded up
 * per set).  Saturates at UINT32_MAX, which no height has room for. */
#define ARENA_OPERATOR_WORK 16
#define ARENA_DELETE_BYTES_PER_WORK 256
uint32_t arena_event_work(const struct arena_task_params *p, uint8_t event);

/* ---- records ---- */

/* 'A' 'T' | task: creator [32] | created_height u64 | the create payload.
 * The windows are derived on decode (not stored). */
struct arena_task {
    uint8_t creator[PUBKEY_SIZE];
    uint64_t created_height;
    struct arena_task_params p;
    struct arena_windows w;
};
void arena_task_encode(const struct arena_task *t, struct wbuf *w);
/* spec.norm is a view into data. */
bool arena_task_decode(struct arena_task *t, const uint8_t *data, size_t len) WARN_UNUSED;
void arena_windows(const struct arena_task *t, struct arena_windows *w);

/* 'A' 'S' | task.  Conservation (kept by state/):
 *   budget = burn + paid + vest_paid + vest_pending + forfeited + dust
 *            + returned + slashed_budget
 *   budget_left + match = sum f + dust   (after SETTLE)
 * Per-set arrays always hold ARENA_MAX_SETS entries (unused ones zero). */
struct arena_status {
    uint8_t state;            /* enum arena_task_state */
    uint16_t n_trainers;      /* seats taken (first stakes) */
    uint16_t n_validators;
    uint32_t n_commits;       /* submission commits; the next commit's seq */
    uint16_t n_scoreable;     /* m, fixed at CLOSE */
    uint16_t n_revealed_validators; /* fixed at SETTLE */
    uint8_t sets_complete;    /* bit k: set k complete */
    uint16_t chunks_revealed[ARENA_MAX_SETS];
    uint32_t rows_revealed[ARENA_MAX_SETS];
    uint64_t budget_left;     /* locked until SETTLE */
    uint64_t burn;
    uint64_t match;
    uint64_t distributed;     /* R = budget_left + match at SETTLE */
    uint64_t g_v;
    uint64_t g_t;
    uint64_t paid;            /* Reward A paid */
    uint64_t vest_paid;       /* Reward B tranches paid */
    uint64_t vest_pending;    /* Reward B not yet paid nor forfeited */
    uint64_t forfeited;       /* tranches moved to gpool/arena */
    uint64_t dust;
    uint64_t returned;        /* budget_left returned to the creator */
    uint64_t slashed;         /* slashed from stakes and delegations */
    uint64_t slashed_budget;  /* budget_left slashed (FAILED) */
    uint16_t vest_done;       /* tranches processed */
    uint64_t end_height;      /* block at whose end it settled/refunded/failed */
};
void arena_status_encode(const struct arena_status *s, struct wbuf *w);
bool arena_status_decode(struct arena_status *s, const uint8_t *data, size_t len) WARN_UNUSED;

/* Operator flags. */
#define ARENA_OP_COMMITTED       0x0001u /* submission committed */
#define ARENA_OP_REVEALED        0x0002u /* submission revealed (matching) */
#define ARENA_OP_DUPLICATE       0x0004u /* same model hash as an earlier commit */
#define ARENA_OP_SCORE_COMMITTED 0x0008u
#define ARENA_OP_SCORE_REVEALED  0x0010u
#define ARENA_OP_ELIGIBLE        0x0020u /* own >= min stake at ASSIGN */
#define ARENA_OP_SLASHED         0x0040u
#define ARENA_OP_RANKED          0x0080u /* a scoreable submission with a rank */
#define ARENA_OP_RETURNED        0x0100u /* own stake returned */
#define ARENA_OP_FORFEITED       0x0200u /* later tranches forfeited */
#define ARENA_OP_SHARE_SET       0x0400u /* sigma_epoch is meaningful */
#define ARENA_OP_FLAGS_ALL       0x07FFu

/* 'A' 'O' | task | operator. */
struct arena_operator {
    uint8_t role;             /* enum arena_role */
    uint16_t flags;           /* ARENA_OP_* */
    uint64_t own;             /* own stake */
    uint64_t del_total;       /* sum of delegations (principal) */
    uint64_t del_value;       /* what the delegations are worth (after slashes) */
    uint64_t del_principal_paid; /* principal paid back to delegators */
    uint32_t del_count;       /* delegation records */
    uint16_t sigma_bps;       /* delegators' share */
    uint64_t sigma_epoch;     /* epoch of the last ARENA_SET_SHARE */
    uint64_t stake_snapshot;  /* S = own + del_total at ASSIGN */
    uint32_t seq;             /* commit order */
    uint64_t commit_height;
    uint8_t commitment[HASH_SIZE];
    uint8_t model_hash[HASH_SIZE];
    uint8_t count[ARENA_MAX_SETS]; /* draws per set (validators) */
    uint8_t score_commitment[HASH_SIZE];
    uint32_t loss;            /* submission loss (trainers) */
    uint16_t rank;            /* 0: not ranked */
    uint32_t dev_bps;         /* d_v (validators) */
    uint16_t c_bps;           /* closeness c_v */
    uint64_t f;               /* reward */
    uint64_t f_op;            /* operator's part */
    uint64_t f_del;           /* delegators' part */
    uint64_t reward_a;        /* operator's Reward A (paid at SETTLE) */
    uint64_t vest_b_op;       /* operator's Reward B total */
    uint64_t vest_b_del;      /* delegators' Reward B total */
    uint64_t vest_paid_op;    /* tranches of vest_b_op paid */
    uint64_t vest_paid_del;   /* tranches of vest_b_del credited */
    uint64_t d_credit;        /* credited to the delegators (A + tranches) */
    uint64_t d_claimed;       /* rewards claimed by delegators */
    uint64_t forfeited;       /* tranches forfeited (op + del) */
    uint64_t slashed;         /* own stake slashed */
    uint64_t slashed_del;     /* delegation value slashed */
    uint64_t returned;        /* own stake returned */
};
void arena_operator_encode(const struct arena_operator *o, struct wbuf *w);
bool arena_operator_decode(struct arena_operator *o, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'A' 'D' | task | operator | delegator. */
#define ARENA_DEL_PRINCIPAL_PAID 0x01u
struct arena_delegation {
    uint64_t amount;          /* x_d */
    uint8_t flags;            /* ARENA_DEL_* */
    uint64_t principal;       /* principal paid back */
    uint64_t claimed;         /* rewards claimed so far */
};
void arena_delegation_encode(const struct arena_delegation *d, struct wbuf *w);
bool arena_delegation_decode(struct arena_delegation *d, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'A' 'R' | task: K u8 | consensus mask u8 (bit k: set k had a revealed
 * validator) | CompactSize m | m x (trainer [32] | seq u32 | loss u32 |
 * rank u16 | K x u32 consensus losses (0 where no consensus)), in commit
 * order. */
struct arena_result {
    uint8_t trainer[PUBKEY_SIZE];
    uint32_t seq;
    uint32_t loss;
    uint16_t rank;
    uint32_t set_loss[ARENA_MAX_SETS];
};
struct arena_results {
    uint8_t k;
    uint8_t consensus_mask;
    uint16_t m;
    struct arena_result r[ARENA_MAX_TRAINERS];
};
void arena_results_encode(const struct arena_results *r, struct wbuf *w);
bool arena_results_decode(struct arena_results *r, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'A' 'L' | task: CompactSize n (<= ARENA_MAX_OPERATORS) | n x [32],
 * strictly ascending.  *keys is a view. */
void arena_list_encode(const uint8_t *keys, size_t n, struct wbuf *w);
bool arena_list_decode(const uint8_t **keys, size_t *n, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'A' 'W' | task | trainer: n x i32 (the revealed weights, no length).
 * 'A' 'Z' | task | validator: CompactSize n | n x u32 losses. */
bool arena_weights_decode(const uint8_t **weights, uint64_t *n, const uint8_t *data, size_t len) WARN_UNUSED;
void arena_losses_encode(const uint8_t *losses, uint32_t n, struct wbuf *w);
bool arena_losses_decode(const uint8_t **losses, uint32_t *n, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'A' 'x' | address: u64 last slash height. */
void arena_slash_height_encode(uint64_t h, struct wbuf *w);
bool arena_slash_height_decode(uint64_t *h, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'A' 'q' | height: events u32 | work u32 (the count of 'A' 'Q' keys of the
 * height and the work they reserved). */
struct arena_height {
    uint32_t events;
    uint32_t work;
};
void arena_height_encode(const struct arena_height *h, struct wbuf *w);
bool arena_height_decode(struct arena_height *h, const uint8_t *data, size_t len) WARN_UNUSED;
bool arena_height_room(const struct arena_height *h, uint32_t work);

/* 'A' 'Q' | height | seq: task [32] | event u8 | index u16 (the tranche of
 * a VEST, 0 otherwise). */
struct arena_event_entry {
    uint8_t task[ARENA_TASK_ID_SIZE];
    uint8_t event;  /* enum arena_event */
    uint16_t index;
};
void arena_event_encode(const struct arena_event_entry *e, struct wbuf *w);
bool arena_event_decode(struct arena_event_entry *e, const uint8_t *data, size_t len) WARN_UNUSED;

/* ---- keys ---- */

#define ARENA_KEY_TASK_SIZE (2 + ARENA_TASK_ID_SIZE)
#define ARENA_KEY_OP_SIZE (2 + ARENA_TASK_ID_SIZE + PUBKEY_SIZE)
#define ARENA_KEY_DEL_SIZE (2 + ARENA_TASK_ID_SIZE + 2 * PUBKEY_SIZE)
#define ARENA_KEY_CHUNK_SIZE (2 + ARENA_TASK_ID_SIZE + 1 + 2)
#define ARENA_KEY_SLASH_SIZE (2 + PUBKEY_SIZE)
#define ARENA_KEY_QUEUE_SIZE (2 + 8)
#define ARENA_KEY_EVENT_SIZE (2 + 8 + 4)
/* kind: 'T', 'S', 'L' or 'R'. */
void arena_key_task(uint8_t key[ARENA_KEY_TASK_SIZE], char kind, const uint8_t task[ARENA_TASK_ID_SIZE]);
/* kind: 'O', 'W', 'Z'; also 'D' (the prefix of an operator's delegations). */
void arena_key_operator(uint8_t key[ARENA_KEY_OP_SIZE], char kind,
                        const uint8_t task[ARENA_TASK_ID_SIZE], const uint8_t op[PUBKEY_SIZE]);
void arena_key_delegation(uint8_t key[ARENA_KEY_DEL_SIZE], const uint8_t task[ARENA_TASK_ID_SIZE],
                          const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE]);
void arena_key_chunk(uint8_t key[ARENA_KEY_CHUNK_SIZE], const uint8_t task[ARENA_TASK_ID_SIZE],
                     uint8_t set, uint16_t chunk);
void arena_key_slash(uint8_t key[ARENA_KEY_SLASH_SIZE], const uint8_t addr[PUBKEY_SIZE]);
void arena_key_queue(uint8_t key[ARENA_KEY_QUEUE_SIZE], uint64_t height);
void arena_key_event(uint8_t key[ARENA_KEY_EVENT_SIZE], uint64_t height, uint32_t seq);

/* ---- commitments ---- */

/* H_FML/arena-sub(task | trainer [32] | model_hash [32] | salt [32]);
 * model_hash = fl_model_hash(weights). */
void arena_submission_commitment(uint8_t out[HASH_SIZE], const uint8_t task[ARENA_TASK_ID_SIZE],
                                 const uint8_t trainer[PUBKEY_SIZE],
                                 const uint8_t model_hash[HASH_SIZE], const uint8_t salt[32]);
/* H_FML/arena-score(task | validator [32] | n u32 | n x u32 losses | salt [32]);
 * losses: n x u32 LE. */
void arena_scores_commitment(uint8_t out[HASH_SIZE], const uint8_t task[ARENA_TASK_ID_SIZE],
                             const uint8_t validator[PUBKEY_SIZE], uint32_t n,
                             const uint8_t *losses, const uint8_t salt[32]);

/* ---- validation sets: chunk Merkle tree ----
 * Leaf i = H_FML/arena-leaf(salt [32] | set u8 | i u16 | len u32 | bytes).
 * Levels pairwise, H_FML/arena-node(left | right); an odd level carries its
 * last node up unchanged; the root of one leaf is the leaf.  The path of
 * leaf i lists the sibling at each level where one exists, bottom up. */
void arena_leaf_hash(uint8_t out[HASH_SIZE], const uint8_t salt[32], uint8_t set, uint16_t i,
                     const uint8_t *data, uint32_t len);
void arena_node_hash(uint8_t out[HASH_SIZE], const uint8_t left[HASH_SIZE],
                     const uint8_t right[HASH_SIZE]);
/* n in 1..ARENA_MAX_CHUNKS leaves (n x [32]); false when n is out of range. */
bool arena_merkle_root(uint8_t out[HASH_SIZE], const uint8_t *leaves, size_t n) WARN_UNUSED;
/* Length of the path of leaf i of n (0 for n = 1). */
unsigned arena_merkle_path_len(size_t n, size_t i);
/* Writes the path of leaf i (arena_merkle_path_len(n, i) x [32]) into path
 * (room for ARENA_MAX_PATH); false when n or i is out of range. */
bool arena_merkle_path(uint8_t *path, unsigned *npath, const uint8_t *leaves, size_t n,
                       size_t i) WARN_UNUSED;
/* Whether leaf i of n with this path (of exactly the expected length) leads
 * to root. */
bool arena_merkle_verify(const uint8_t root[HASH_SIZE], size_t n, size_t i,
                         const uint8_t leaf[HASH_SIZE], const uint8_t *path, unsigned npath);

/* ---- formulas (consensus/arenamath.c) ---- */

/* floor(a x b / c) exact (192-bit intermediate); c > 0 and the quotient must
 * fit 64 bits: it saturates at UINT64_MAX otherwise (c = 0 gives 0). */
uint64_t arena_muldiv(uint64_t a, unsigned __int128 b, unsigned __int128 c);
/* floor(a x bps / 10^4) (bps up to 10^4 for a part of a). */
uint64_t arena_bps(uint64_t a, uint32_t bps);

/* One validator's loss for a (submission, set) and its weight (draws). */
struct arena_vote {
    uint8_t validator[PUBKEY_SIZE];
    uint32_t loss;
    uint32_t weight;
};
/* Weighted lower median: sorts v by (loss, validator) ascending (in place),
 * W = sum of weights, the first loss whose cumulative weight x 2 >= W.
 * n >= 1 and W > 0; returns 0 otherwise. */
uint32_t arena_weighted_median(struct arena_vote *v, size_t n);
/* floor(sum of L[k] over sets with bit k of mask / their count); 0 when the
 * mask is empty. */
uint32_t arena_submission_loss(const uint32_t *set_loss, uint8_t k, uint8_t mask);
/* Dense ranks with epsilon of m (<= ARENA_MAX_TRAINERS) losses given in
 * commit order (index = seq order): order by (loss, index); the first is a leader of rank 1; a
 * submission with loss <= leader + epsilon (no overflow: 64-bit) takes the
 * leader's rank, else it leads with rank + 1.  rank[i] for each input. */
void arena_dense_ranks(const uint32_t *loss, size_t m, uint32_t epsilon, uint16_t *rank);
/* P_1 = 2^32, P_{r+1} = floor(P_r x q / 10^4); rank >= 1 (0 gives 0). */
uint64_t arena_rank_weight(uint16_t rank, uint16_t q_bps);
/* G_v = floor(R x (gamma x (T + Sv) + (10^4 - 2 gamma) x Sv) / (10^4 x (T + Sv)));
 * 0 when T + Sv = 0.  G_t = R - G_v. */
uint64_t arena_validator_group(uint64_t r, uint16_t gamma_bps, unsigned __int128 t,
                               unsigned __int128 sv);
/* out[i] = floor(total x w[i] / sum w) (exact); all 0 when sum w = 0.
 * Returns the sum paid (<= total). */
uint64_t arena_split(uint64_t total, const unsigned __int128 *w, size_t n, uint64_t *out);
/* Trainer shares: w_i = arena_rank_weight(rank_i, q) x S_i, then arena_split. */
uint64_t arena_trainer_shares(uint64_t g_t, const uint16_t *rank, const uint64_t *stake, size_t n,
                              uint16_t q_bps, uint64_t *out);
/* min(floor(10^4 x |l - L| / max(L, 1)), 10^8). */
uint32_t arena_deviation_bps(uint32_t l, uint32_t consensus);
/* d_v = floor(sum_dev / pairs) (pairs = 0: d_v = D). */
uint32_t arena_mean_deviation(uint64_t sum_dev, uint32_t pairs, uint32_t d_bps);
/* c_v = 10^4 - min(10^4, floor(10^4 x d_v / D)); D >= 1. */
uint16_t arena_closeness_bps(uint32_t d_v, uint32_t d_bps);
/* Validator shares: w_v = c_v x S_v, then arena_split. */
uint64_t arena_validator_shares(uint64_t g_v, const uint16_t *c_bps, const uint64_t *stake,
                                size_t n, uint64_t *out);
/* Delegators' part f_del = floor(f x sigma x del_total / (10^4 x S)), S =
 * own + del_total (0 when S = 0); the operator keeps f - f_del. */
uint64_t arena_delegators_part(uint64_t f, uint16_t sigma_bps, uint64_t del_total, uint64_t own);
/* A = floor(a x delta / 10^4) (V = 0: A = a). */
uint64_t arena_reward_a(uint64_t a, uint16_t delta_bps, uint16_t vest_epochs);
/* Tranche i (1..V) of B: floor(B x i / V) - floor(B x (i-1) / V); 0 outside. */
uint64_t arena_tranche(uint64_t b, uint32_t i, uint32_t v);
/* floor(credit x x_d / del_total) (0 when del_total = 0): a delegator's
 * entitlement, and with del_value a delegator's principal. */
uint64_t arena_pro_rata(uint64_t credit, uint64_t x_d, uint64_t del_total);
/* Slash of an amount: floor(a x slash_bps / 10^4). */
uint64_t arena_slash_amount(uint64_t a, uint16_t slash_bps);

/* The assignment draw.  stake[0..n) in the canonical order (ascending
 * pubkey), total = sum > 0 (below 2^64).  Draw (k, j):
 *   seed = H_FML/arena-assign(task | mix [32] | k u8 | j u8),
 *   x = first 8 bytes LE of H_FML/arena-assign(seed | ctr u64), ctr = 0, 1, ..,
 *   accept x < floor(2^64 / total) x total, target = x mod total,
 *   the index whose cumulative-stake interval [c_i, c_i + stake_i) holds it. */
size_t arena_draw(const uint8_t task[ARENA_TASK_ID_SIZE], const uint8_t mix[HASH_SIZE], uint8_t k,
                  uint8_t j, const uint64_t *stake, size_t n);
/* Every draw of a task: count[v x ARENA_MAX_SETS + k] += 1 for each (k, j),
 * k < sets, j < draws (count zeroed first, n x ARENA_MAX_SETS bytes).  False
 * when n = 0, the total is 0 or does not fit 64 bits. */
bool arena_assign(const uint8_t task[ARENA_TASK_ID_SIZE], const uint8_t mix[HASH_SIZE], uint8_t sets,
                  uint8_t draws, const uint64_t *stake, size_t n, uint8_t *count) WARN_UNUSED;

/* min(pool, floor(budget_left x kappa / 10^4)). */
uint64_t arena_match(uint64_t pool, uint64_t budget_left, uint16_t match_bps);
/* floor(budget x beta / 10^4). */
uint64_t arena_burn(uint64_t budget, uint16_t burn_bps);
/* cap_blocks x floor(emission x split_arena_bps / 10^4), saturating. */
uint64_t arena_pool_cap(uint32_t cap_blocks, uint64_t emission, uint16_t split_arena_bps);

#endif
