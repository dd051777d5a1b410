/* AI Arena helpers for the unit tests and benchmarks: a task's parameters,
 * its validation sets (deterministic rows, cut into chunks, salted, with
 * their Merkle roots and paths), the payload of every Arena transaction and
 * the two commitments.  No test framework, as tests/chain_fixture.h: every
 * step returns whether it worked.  Static inline: each program takes what it
 * uses.
 */
#ifndef FML_TESTS_ARENA_FIXTURE_H
#define FML_TESTS_ARENA_FIXTURE_H

#include "consensus/amount.h"
#include "consensus/arena.h"
#include "consensus/fl.h"
#include "consensus/serialize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The task most tests create: logistic regression on 3 inputs (4
 * parameters), log loss, K = 2 sets of 12 rows in 3 chunks of 4, windows of
 * 4 (submissions), 3 (reveals), 2 and 2 (scores) blocks, 2 vesting epochs,
 * 3 draws per set, 8 seats of each role, minimum stakes of 10 FML, 20%
 * slashing.  The sets' roots are zero: fixture_arena_sets_make fills them. */
static inline struct arena_task_params fixture_arena_task(uint64_t budget)
{
    struct arena_task_params t;
    memset(&t, 0, sizeof(t));
    t.spec.kind = FL_MODEL_LOGREG;
    t.spec.n_sizes = 2;
    t.spec.sizes[0] = 3;
    t.spec.sizes[1] = 1;
    t.loss = ARENA_LOSS_LOGLOSS;
    memset(t.data_hash, 0xd4, sizeof(t.data_hash));
    strcpy(t.uri, "https://example.org/pima-train.csv");
    t.uri_len = (uint16_t)strlen(t.uri);
    t.k = 2;
    for (unsigned k = 0; k < t.k; k++) {
        t.sets[k].n_chunks = 3;
        t.sets[k].n_rows = 12;
    }
    t.submit_blocks = 4;
    t.reveal_blocks = 3;
    t.score_commit_blocks = 2;
    t.score_reveal_blocks = 2;
    t.budget = budget;
    t.gamma_bps = 2000;
    t.q_bps = 5000;
    t.delta_bps = 5000;
    t.d_bps = 5000;
    t.epsilon = 0;
    t.vest_epochs = 2;
    t.draws_per_set = 3;
    t.max_trainers = 8;
    t.max_validators = 8;
    t.trainer_min_stake = 10 * COIN;
    t.validator_min_stake = 10 * COIN;
    t.slash_bps = 2000;
    return t;
}

/* A task's validation sets as its creator holds them: the bytes of each
 * set, where each chunk starts (in rows) and the salt. */
struct fixture_arena_sets {
    uint8_t k;
    uint32_t row_size;
    uint8_t salt[ARENA_MAX_SETS][32];
    uint8_t *data[ARENA_MAX_SETS];
    uint32_t n_rows[ARENA_MAX_SETS];
    uint16_t n_chunks[ARENA_MAX_SETS];
    uint32_t first_row[ARENA_MAX_SETS][ARENA_MAX_CHUNKS + 1]; /* chunk c: rows [c], [c+1] */
};

/* Deterministic rows: features in [-2, 2) and a 0/1 label (the class index),
 * from a counter seeded by (seed, set). */
static inline void fixture_arena_rows(uint8_t *out, uint32_t rows, uint32_t in, uint32_t seed,
                                      uint8_t set)
{
    uint64_t x = ((uint64_t)seed << 8 | set) * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t r = 0; r < rows; r++) {
        for (uint32_t f = 0; f <= in; f++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int32_t val = f < in ? (int32_t)(x % (4 * FL_Q16_ONE)) - 2 * FL_Q16_ONE
                                 : (int32_t)(x >> 40 & 1);
            write_le32(out + ((size_t)r * (in + 1) + f) * 4, (uint32_t)val);
        }
    }
}

/* The bytes and length of chunk c of set k. */
static inline const uint8_t *fixture_arena_chunk(const struct fixture_arena_sets *s, uint8_t k,
                                                 uint16_t c, uint32_t *len)
{
    *len = (s->first_row[k][c + 1] - s->first_row[k][c]) * s->row_size;
    return s->data[k] + (size_t)s->first_row[k][c] * s->row_size;
}

/* The leaves of set k (n_chunks x [32]). */
static inline void fixture_arena_leaves(const struct fixture_arena_sets *s, uint8_t k,
                                        uint8_t *leaves)
{
    for (uint16_t c = 0; c < s->n_chunks[k]; c++) {
        uint32_t len;
        const uint8_t *d = fixture_arena_chunk(s, k, c, &len);
        arena_leaf_hash(leaves + (size_t)c * HASH_SIZE, s->salt[k], k, c, d, len);
    }
}

/* Makes the sets of the task t describes (t->k sets of t->sets[k].n_rows
 * rows in t->sets[k].n_chunks chunks, as even as whole rows allow, the
 * first chunks taking the extra rows), with salts from seed, and writes
 * their roots into t.  Free with fixture_arena_sets_free.  False when a
 * count is out of range or on allocation failure. */
static inline bool fixture_arena_sets_make(struct fixture_arena_sets *s,
                                           struct arena_task_params *t, uint32_t seed)
{
    memset(s, 0, sizeof(*s));
    if (t->k > ARENA_MAX_SETS)
        return false;
    s->k = t->k;
    s->row_size = (uint32_t)arena_row_size(&t->spec);
    for (uint8_t k = 0; k < t->k; k++) {
        uint16_t nc = t->sets[k].n_chunks;
        uint32_t rows = t->sets[k].n_rows;
        uint8_t leaves[ARENA_MAX_CHUNKS * HASH_SIZE];
        if (nc == 0 || nc > ARENA_MAX_CHUNKS || rows < nc)
            return false;
        s->n_rows[k] = rows;
        s->n_chunks[k] = nc;
        s->data[k] = malloc((size_t)rows * s->row_size);
        if (!s->data[k])
            return false;
        fixture_arena_rows(s->data[k], rows, t->spec.sizes[0], seed, k);
        for (uint16_t c = 0; c <= nc; c++)
            s->first_row[k][c] = c * (rows / nc) + (c < rows % nc ? c : rows % nc);
        for (unsigned i = 0; i < 32; i++)
            s->salt[k][i] = (uint8_t)(seed * 31 + k * 7 + i);
        fixture_arena_leaves(s, k, leaves);
        if (!arena_merkle_root(t->sets[k].root, leaves, nc))
            return false;
    }
    return true;
}

static inline void fixture_arena_sets_free(struct fixture_arena_sets *s)
{
    for (unsigned k = 0; k < ARENA_MAX_SETS; k++)
        free(s->data[k]);
    memset(s, 0, sizeof(*s));
}

/* ---- payloads ---- */

static inline void fixture_arena_create_payload(struct wbuf *w, const struct arena_task_params *t)
{
    arena_task_params_encode(t, w);
}

static inline void fixture_arena_stake_payload(struct wbuf *w, const uint8_t task[32], uint8_t role,
                                               uint64_t amount)
{
    struct arena_stake s;
    memcpy(s.task, task, 32);
    s.role = role;
    s.amount = amount;
    arena_stake_encode(&s, w);
}

static inline void fixture_arena_delegate_payload(struct wbuf *w, const uint8_t task[32],
                                                  const uint8_t op[32], uint64_t amount)
{
    struct arena_delegate d;
    memcpy(d.task, task, 32);
    memcpy(d.op, op, 32);
    d.amount = amount;
    arena_delegate_encode(&d, w);
}

static inline void fixture_arena_undelegate_payload(struct wbuf *w, const uint8_t task[32],
                                                    const uint8_t op[32])
{
    struct arena_undelegate u;
    memcpy(u.task, task, 32);
    memcpy(u.op, op, 32);
    arena_undelegate_encode(&u, w);
}

static inline void fixture_arena_share_payload(struct wbuf *w, const uint8_t task[32],
                                               uint16_t sigma_bps)
{
    struct arena_set_share s;
    memcpy(s.task, task, 32);
    s.sigma_bps = sigma_bps;
    arena_set_share_encode(&s, w);
}

/* ARENA_SUBMIT_COMMIT or ARENA_SCORE_COMMIT. */
static inline void fixture_arena_commit_payload(struct wbuf *w, const uint8_t task[32],
                                                const uint8_t commitment[32])
{
    struct arena_commit c;
    memcpy(c.task, task, 32);
    memcpy(c.commitment, commitment, 32);
    arena_commit_encode(&c, w);
}

/* n weights (Q16.16) as the canonical bytes. */
static inline void fixture_arena_weight_bytes(uint8_t *out, const int32_t *weights, size_t n)
{
    for (size_t i = 0; i < n; i++)
        write_le32(out + 4 * i, (uint32_t)weights[i]);
}

/* H_FML/arena-sub of n weights (Q16.16). */
static inline bool fixture_arena_sub_commitment(uint8_t out[32], const uint8_t task[32],
                                                const uint8_t trainer[32], const int32_t *weights,
                                                size_t n, const uint8_t salt[32])
{
    uint8_t model[HASH_SIZE];
    uint8_t *bytes = malloc(n ? 4 * n : 1);
    if (!bytes)
        return false;
    fixture_arena_weight_bytes(bytes, weights, n);
    fl_model_hash(model, bytes, n);
    free(bytes);
    arena_submission_commitment(out, task, trainer, model, salt);
    return true;
}

static inline bool fixture_arena_reveal_payload(struct wbuf *w, const uint8_t task[32],
                                                const uint8_t salt[32], const int32_t *weights,
                                                size_t n)
{
    struct arena_submit_reveal r;
    uint8_t *bytes = malloc(n ? 4 * n : 1);
    if (!bytes)
        return false;
    fixture_arena_weight_bytes(bytes, weights, n);
    memcpy(r.task, task, 32);
    memcpy(r.salt, salt, 32);
    r.n = n;
    r.weights = bytes;
    arena_submit_reveal_encode(&r, w);
    free(bytes);
    return true;
}

/* The reveal of chunk c of set k with its path.  data/len replace the
 * chunk's bytes when data is not NULL (a forged chunk). */
static inline bool fixture_arena_valset_payload(struct wbuf *w, const uint8_t task[32],
                                                const struct fixture_arena_sets *s, uint8_t k,
                                                uint16_t c, const uint8_t *data, uint32_t len)
{
    struct arena_reveal_valset r;
    uint8_t leaves[ARENA_MAX_CHUNKS * HASH_SIZE], path[ARENA_MAX_PATH * HASH_SIZE];
    unsigned npath;
    fixture_arena_leaves(s, k, leaves);
    if (!arena_merkle_path(path, &npath, leaves, s->n_chunks[k], c))
        return false;
    memcpy(r.task, task, 32);
    r.set = k;
    r.chunk = c;
    memcpy(r.salt, s->salt[k], 32);
    r.npath = (uint8_t)npath;
    r.path = path;
    r.data = data ? data : fixture_arena_chunk(s, k, c, &r.len);
    if (data)
        r.len = len;
    arena_reveal_valset_encode(&r, w);
    return true;
}

/* n losses as the canonical bytes (n x u32 LE) into out. */
static inline void fixture_arena_loss_bytes(uint8_t *out, const uint32_t *losses, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        write_le32(out + 4 * i, losses[i]);
}

/* H_FML/arena-score of n losses. */
static inline void fixture_arena_score_commitment(uint8_t out[32], const uint8_t task[32],
                                                  const uint8_t validator[32],
                                                  const uint32_t *losses, uint32_t n,
                                                  const uint8_t salt[32])
{
    uint8_t bytes[ARENA_MAX_SCORES * 4];
    fixture_arena_loss_bytes(bytes, losses, n);
    arena_scores_commitment(out, task, validator, n, bytes, salt);
}

static inline void fixture_arena_score_payload(struct wbuf *w, const uint8_t task[32],
                                               const uint8_t salt[32], const uint32_t *losses,
                                               uint32_t n)
{
    struct arena_score_reveal r;
    uint8_t bytes[ARENA_MAX_SCORES * 4];
    fixture_arena_loss_bytes(bytes, losses, n);
    memcpy(r.task, task, 32);
    memcpy(r.salt, salt, 32);
    r.n = n;
    r.losses = bytes;
    arena_score_reveal_encode(&r, w);
}

#endif
