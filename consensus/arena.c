/* AI Arena encodings: payloads, stateless checks, records, keys, windows,
 * commitments and the validation-set Merkle tree (see arena.h).  The
 * formulas are in arenamath.c. */
#include "consensus/arena.h"
#include "consensus/amount.h"
#include "consensus/block.h"
#include "consensus/params.h"
#include "consensus/txtypes.h"

#include <string.h>

/* ---- names ---- */

const char *arena_loss_name(uint8_t loss)
{
    switch (loss) {
    case ARENA_LOSS_LOGLOSS: return "logloss";
    case ARENA_LOSS_MSE: return "mse";
    }
    return NULL;
}

const char *arena_role_name(uint8_t role)
{
    switch (role) {
    case ARENA_ROLE_TRAINER: return "trainer";
    case ARENA_ROLE_VALIDATOR: return "validator";
    }
    return NULL;
}

const char *arena_task_state_name(uint8_t state)
{
    switch (state) {
    case ARENA_OPEN: return "open";
    case ARENA_REVEAL: return "reveal";
    case ARENA_SCORING: return "scoring";
    case ARENA_SETTLED: return "settled";
    case ARENA_REFUNDED: return "refunded";
    case ARENA_FAILED: return "failed";
    }
    return "unknown";
}

bool arena_loss_from_name(const char *s, uint8_t *out)
{
    for (uint8_t l = 0; l <= ARENA_LOSS_MSE; l++)
        if (strcmp(s, arena_loss_name(l)) == 0) {
            *out = l;
            return true;
        }
    return false;
}

bool arena_role_from_name(const char *s, uint8_t *out)
{
    for (uint8_t r = ARENA_ROLE_TRAINER; r <= ARENA_ROLE_VALIDATOR; r++)
        if (strcmp(s, arena_role_name(r)) == 0) {
            *out = r;
            return true;
        }
    return false;
}

/* ---- payloads ---- */

void arena_task_params_encode(const struct arena_task_params *t, struct wbuf *w)
{
    fl_spec_encode(&t->spec, w);
    put_u8(w, t->loss);
    put_bytes(w, t->data_hash, HASH_SIZE);
    put_varbytes(w, t->uri, t->uri_len);
    put_u8(w, t->k);
    for (unsigned i = 0; i < t->k && i < ARENA_MAX_SETS; i++) {
        put_bytes(w, t->sets[i].root, HASH_SIZE);
        put_u16(w, t->sets[i].n_chunks);
        put_u32(w, t->sets[i].n_rows);
    }
    put_u32(w, t->submit_blocks);
    put_u32(w, t->reveal_blocks);
    put_u32(w, t->score_commit_blocks);
    put_u32(w, t->score_reveal_blocks);
    put_u64(w, t->budget);
    put_u16(w, t->gamma_bps);
    put_u16(w, t->q_bps);
    put_u16(w, t->delta_bps);
    put_u32(w, t->d_bps);
    put_u32(w, t->epsilon);
    put_u16(w, t->vest_epochs);
    put_u8(w, t->draws_per_set);
    put_u16(w, t->max_trainers);
    put_u16(w, t->max_validators);
    put_u64(w, t->trainer_min_stake);
    put_u64(w, t->validator_min_stake);
    put_u16(w, t->slash_bps);
}

bool arena_task_params_decode_from(struct arena_task_params *t, struct rbuf *r)
{
    const uint8_t *uri;
    size_t uri_len;
    memset(t, 0, sizeof(*t));
    if (!fl_spec_decode_from(&t->spec, r) || !get_u8(r, &t->loss) ||
        !get_bytes(r, t->data_hash, HASH_SIZE) || !get_varbytes(r, &uri, &uri_len, ARENA_MAX_URI))
        return false;
    if (uri_len)
        memcpy(t->uri, uri, uri_len);
    t->uri[uri_len] = '\0';
    t->uri_len = (uint16_t)uri_len;
    if (!get_u8(r, &t->k) || t->k > ARENA_MAX_SETS)
        return false;
    for (unsigned i = 0; i < t->k; i++)
        if (!get_bytes(r, t->sets[i].root, HASH_SIZE) || !get_u16(r, &t->sets[i].n_chunks) ||
            !get_u32(r, &t->sets[i].n_rows))
            return false;
    return get_u32(r, &t->submit_blocks) && get_u32(r, &t->reveal_blocks) &&
           get_u32(r, &t->score_commit_blocks) && get_u32(r, &t->score_reveal_blocks) &&
           get_u64(r, &t->budget) && get_u16(r, &t->gamma_bps) && get_u16(r, &t->q_bps) &&
           get_u16(r, &t->delta_bps) && get_u32(r, &t->d_bps) && get_u32(r, &t->epsilon) &&
           get_u16(r, &t->vest_epochs) && get_u8(r, &t->draws_per_set) &&
           get_u16(r, &t->max_trainers) && get_u16(r, &t->max_validators) &&
           get_u64(r, &t->trainer_min_stake) && get_u64(r, &t->validator_min_stake) &&
           get_u16(r, &t->slash_bps);
}

bool arena_task_create_decode(struct arena_task_params *t, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return arena_task_params_decode_from(t, &r) && rbuf_done(&r);
}

void arena_stake_encode(const struct arena_stake *s, struct wbuf *w)
{
    put_bytes(w, s->task, ARENA_TASK_ID_SIZE);
    put_u8(w, s->role);
    put_u64(w, s->amount);
}

bool arena_stake_decode(struct arena_stake *s, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, s->task, ARENA_TASK_ID_SIZE) && get_u8(&r, &s->role) &&
           get_u64(&r, &s->amount) && rbuf_done(&r);
}

void arena_delegate_encode(const struct arena_delegate *d, struct wbuf *w)
{
    put_bytes(w, d->task, ARENA_TASK_ID_SIZE);
    put_bytes(w, d->op, PUBKEY_SIZE);
    put_u64(w, d->amount);
}

bool arena_delegate_decode(struct arena_delegate *d, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, d->task, ARENA_TASK_ID_SIZE) && get_bytes(&r, d->op, PUBKEY_SIZE) &&
           get_u64(&r, &d->amount) && rbuf_done(&r);
}

void arena_undelegate_encode(const struct arena_undelegate *u, struct wbuf *w)
{
    put_bytes(w, u->task, ARENA_TASK_ID_SIZE);
    put_bytes(w, u->op, PUBKEY_SIZE);
}

bool arena_undelegate_decode(struct arena_undelegate *u, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, u->task, ARENA_TASK_ID_SIZE) && get_bytes(&r, u->op, PUBKEY_SIZE) &&
           rbuf_done(&r);
}

void arena_set_share_encode(const struct arena_set_share *s, struct wbuf *w)
{
    put_bytes(w, s->task, ARENA_TASK_ID_SIZE);
    put_u16(w, s->sigma_bps);
}

bool arena_set_share_decode(struct arena_set_share *s, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, s->task, ARENA_TASK_ID_SIZE) && get_u16(&r, &s->sigma_bps) &&
           rbuf_done(&r);
}

void arena_commit_encode(const struct arena_commit *c, struct wbuf *w)
{
    put_bytes(w, c->task, ARENA_TASK_ID_SIZE);
    put_bytes(w, c->commitment, HASH_SIZE);
}

bool arena_commit_decode(struct arena_commit *c, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, c->task, ARENA_TASK_ID_SIZE) && get_bytes(&r, c->commitment, HASH_SIZE) &&
           rbuf_done(&r);
}

void arena_submit_reveal_encode(const struct arena_submit_reveal *s, struct wbuf *w)
{
    put_bytes(w, s->task, ARENA_TASK_ID_SIZE);
    put_bytes(w, s->salt, 32);
    put_compact(w, s->n);
    put_bytes(w, s->weights, (size_t)s->n * 4);
}

bool arena_submit_reveal_decode(struct arena_submit_reveal *s, const uint8_t *p, size_t n)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    return get_bytes(&r, s->task, ARENA_TASK_ID_SIZE) && get_bytes(&r, s->salt, 32) &&
           get_compact(&r, &s->n, ARENA_MAX_PARAMS) &&
           get_view(&r, &s->weights, (size_t)s->n * 4) && rbuf_done(&r);
}

void arena_reveal_valset_encode(const struct arena_reveal_valset *v, struct wbuf *w)
{
    put_bytes(w, v->task, ARENA_TASK_ID_SIZE);
    put_u8(w, v->set);
    put_u16(w, v->chunk);
    put_bytes(w, v->salt, 32);
    put_compact(w, v->npath);
    put_bytes(w, v->path, (size_t)v->npath * HASH_SIZE);
    put_compact(w, v->len);
    put_bytes(w, v->data, v->len);
}

bool arena_reveal_valset_decode(struct arena_reveal_valset *v, const uint8_t *p, size_t n)
{
    struct rbuf r;
    uint64_t npath, len;
    rbuf_init(&r, p, n);
    if (!get_bytes(&r, v->task, ARENA_TASK_ID_SIZE) || !get_u8(&r, &v->set) ||
        !get_u16(&r, &v->chunk) || !get_bytes(&r, v->salt, 32) ||
        !get_compact(&r, &npath, ARENA_MAX_PATH) ||
        !get_view(&r, &v->path, (size_t)npath * HASH_SIZE) ||
        !get_compact(&r, &len, ARENA_MAX_CHUNK_BYTES) || !get_view(&r, &v->data, (size_t)len) ||
        !rbuf_done(&r))
        return false;
    v->npath = (uint8_t)npath;
    v->len = (uint32_t)len;
    return true;
}

void arena_score_reveal_encode(const struct arena_score_reveal *s, struct wbuf *w)
{
    put_bytes(w, s->task, ARENA_TASK_ID_SIZE);
    put_bytes(w, s->salt, 32);
    put_compact(w, s->n);
    put_bytes(w, s->losses, (size_t)s->n * 4);
}

bool arena_score_reveal_decode(struct arena_score_reveal *s, const uint8_t *p, size_t n)
{
    struct rbuf r;
    uint64_t count;
    rbuf_init(&r, p, n);
    if (!get_bytes(&r, s->task, ARENA_TASK_ID_SIZE) || !get_bytes(&r, s->salt, 32) ||
        !get_compact(&r, &count, ARENA_MAX_SCORES) ||
        !get_view(&r, &s->losses, (size_t)count * 4) || !rbuf_done(&r))
        return false;
    s->n = (uint32_t)count;
    return true;
}

/* ---- stateless checks ---- */

uint64_t arena_row_size(const struct fl_spec *spec)
{
    return spec->n_sizes ? 4 * ((uint64_t)spec->sizes[0] + 1) : 0;
}

/* Encoded size of a transaction whose payload has n bytes. */
static uint64_t tx_size_for(uint64_t payload)
{
    return TX_FIXED_SIZE + compact_size_len(payload) + payload;
}

static bool bad_payload(struct validation *v, const char *what)
{
    return val_failf(v, VAL_CONSENSUS, REJECT_BAD_ARENA_PAYLOAD, "%s", what);
}

/* The largest event of the largest task fits a height (arena_event_work:
 * SETTLE of 64 + 64 seats, 8 x 64 x 64 losses, 8 MiB of sets deleted). */
_Static_assert(ARENA_EVENT_BASE_WORK +
                       ARENA_OPERATOR_WORK * (ARENA_MAX_TRAINERS + ARENA_MAX_VALIDATORS) +
                       ARENA_MAX_SETS * ARENA_MAX_VALIDATORS * ARENA_MAX_TRAINERS +
                       ARENA_MAX_SETS * (ARENA_MAX_SET_BYTES / ARENA_DELETE_BYTES_PER_WORK) <=
                   ARENA_MAX_HEIGHT_WORK,
               "a settlement of the largest task must fit one height");

/* Whether `blocks` blocks, at half their size (the other half left to
 * everyone else), can carry `bytes` of the task's reveals. */
static bool window_carries(uint32_t blocks, uint64_t bytes, const struct chain_params *p)
{
    return (uint64_t)blocks * (p->max_block_size / 2) >= bytes;
}

bool arena_task_params_check(const struct arena_task_params *t, const struct chain_params *p,
                             struct validation *v)
{
    if (!fl_spec_valid(&t->spec))
        return bad_payload(v, "spec");
    uint64_t nparams = fl_param_count(&t->spec);
    if (nparams > ARENA_MAX_PARAMS)
        return bad_payload(v, "too many parameters");
    /* Every trainer must be able to reveal its weights in one transaction. */
    if (tx_size_for(ARENA_TASK_ID_SIZE + 32 + compact_size_len(nparams) + 4 * nparams) >
        p->max_tx_size)
        return bad_payload(v, "weights do not fit a transaction");
    if (t->loss == ARENA_LOSS_LOGLOSS) {
        if (t->spec.kind != FL_MODEL_LOGREG && t->spec.kind != FL_MODEL_SOFTMAX)
            return bad_payload(v, "logloss needs a logistic or softmax model");
    } else if (t->loss != ARENA_LOSS_MSE) {
        return bad_payload(v, "loss");
    }
    for (unsigned i = 0; i < t->uri_len; i++)
        if ((unsigned char)t->uri[i] < 0x20 || (unsigned char)t->uri[i] > 0x7e)
            return bad_payload(v, "uri not printable ASCII");
    if (t->k < ARENA_MIN_SETS || t->k > ARENA_MAX_SETS)
        return bad_payload(v, "number of sets");
    uint64_t row = arena_row_size(&t->spec);
    if (row == 0 || row > ARENA_MAX_CHUNK_BYTES)
        return bad_payload(v, "row larger than a chunk");
    uint64_t rows_per_chunk = ARENA_MAX_CHUNK_BYTES / row;
    for (unsigned i = 0; i < t->k; i++) {
        const struct arena_set_commit *s = &t->sets[i];
        if (s->n_chunks == 0 || s->n_chunks > ARENA_MAX_CHUNKS)
            return bad_payload(v, "chunks of a set");
        if (s->n_rows < s->n_chunks)
            return bad_payload(v, "rows of a set below its chunks");
        if ((uint64_t)s->n_rows * row > ARENA_MAX_SET_BYTES)
            return bad_payload(v, "set larger than ARENA_MAX_SET_BYTES");
        if ((uint64_t)s->n_rows > (uint64_t)s->n_chunks * rows_per_chunk)
            return bad_payload(v, "rows do not fit the chunks");
        /* The smallest cut's largest chunk fits a transaction. */
        uint64_t big = ((uint64_t)s->n_rows + s->n_chunks - 1) / s->n_chunks * row;
        uint64_t payload = ARENA_TASK_ID_SIZE + 1 + 2 + 32 + 1 + ARENA_MAX_PATH * HASH_SIZE +
                           compact_size_len(big) + big;
        if (tx_size_for(payload) > p->max_tx_size)
            return bad_payload(v, "chunk does not fit a transaction");
    }
    if (t->submit_blocks == 0 || t->submit_blocks > ARENA_MAX_WINDOW_BLOCKS ||
        t->reveal_blocks == 0 || t->reveal_blocks > ARENA_MAX_WINDOW_BLOCKS ||
        t->score_commit_blocks == 0 || t->score_commit_blocks > ARENA_MAX_WINDOW_BLOCKS ||
        t->score_reveal_blocks == 0 || t->score_reveal_blocks > ARENA_MAX_WINDOW_BLOCKS)
        return bad_payload(v, "window length");
    if (t->budget < ARENA_MIN_BUDGET || !amount_valid(t->budget))
        return bad_payload(v, "budget");
    if (t->gamma_bps > ARENA_MAX_GAMMA_BPS)
        return bad_payload(v, "gamma_bps");
    if (t->q_bps == 0 || t->q_bps > ARENA_BPS)
        return bad_payload(v, "q_bps");
    if (t->delta_bps > ARENA_BPS)
        return bad_payload(v, "delta_bps");
    if (t->d_bps == 0 || t->d_bps > ARENA_MAX_D_BPS)
        return bad_payload(v, "D_bps");
    if (t->vest_epochs > ARENA_MAX_VEST)
        return bad_payload(v, "vest_epochs");
    if (t->draws_per_set == 0 || t->draws_per_set > ARENA_MAX_DRAWS)
        return bad_payload(v, "draws_per_set");
    if (t->max_trainers == 0 || t->max_trainers > ARENA_MAX_TRAINERS)
        return bad_payload(v, "max_trainers");
    if (t->max_validators == 0 || t->max_validators > ARENA_MAX_VALIDATORS)
        return bad_payload(v, "max_validators");
    if (t->trainer_min_stake == 0 || !amount_valid(t->trainer_min_stake))
        return bad_payload(v, "trainer_min_stake");
    if (t->validator_min_stake == 0 || !amount_valid(t->validator_min_stake))
        return bad_payload(v, "validator_min_stake");
    if (t->slash_bps > ARENA_BPS)
        return bad_payload(v, "slash_bps");
    /* A validator's score reveal (every set x every submission) fits a
     * transaction. */
    uint64_t scores = (uint64_t)t->k * t->max_trainers;
    uint64_t score_tx = tx_size_for(ARENA_TASK_ID_SIZE + 32 + compact_size_len(scores) + 4 * scores);
    if (score_tx > p->max_tx_size)
        return bad_payload(v, "score reveal does not fit a transaction");
    /* The windows can carry what must land in them, using half of each
     * block: every trainer's weights in the reveal window, every set's
     * chunks in the set window (as long as the reveal window), every
     * validator's scores in the score reveal window.  Without it, a task
     * whose reveals cannot all be mined in time slashes honest trainers by
     * arithmetic alone, or lets whoever fills a few blocks do so. */
    uint64_t weights_tx = tx_size_for(ARENA_TASK_ID_SIZE + 32 + compact_size_len(nparams) + 4 * nparams);
    if (!window_carries(t->reveal_blocks, (uint64_t)t->max_trainers * weights_tx, p))
        return bad_payload(v, "reveal window too short for the weights it must carry");
    uint64_t set_bytes = 0;
    for (unsigned i = 0; i < t->k; i++) {
        uint64_t chunk_overhead = tx_size_for(ARENA_TASK_ID_SIZE + 1 + 2 + 32 + 1 +
                                              ARENA_MAX_PATH * HASH_SIZE + 5);
        set_bytes += (uint64_t)t->sets[i].n_rows * row + t->sets[i].n_chunks * chunk_overhead;
    }
    if (!window_carries(t->reveal_blocks, set_bytes, p))
        return bad_payload(v, "set window too short for the sets it must carry");
    if (!window_carries(t->score_reveal_blocks, (uint64_t)t->max_validators * score_tx, p))
        return bad_payload(v, "score reveal window too short for the scores it must carry");
    return true;
}

bool arena_task_create_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct arena_task_params t;
    if (!arena_task_create_decode(&t, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    return arena_task_params_check(&t, p, v);
}

bool arena_stake_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct arena_stake s;
    (void)p;
    if (!arena_stake_decode(&s, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (s.role != ARENA_ROLE_TRAINER && s.role != ARENA_ROLE_VALIDATOR)
        return bad_payload(v, "role");
    if (s.amount == 0 || !amount_valid(s.amount))
        return bad_payload(v, "amount");
    return true;
}

bool arena_delegate_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct arena_delegate d;
    (void)p;
    if (!arena_delegate_decode(&d, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (memcmp(d.op, tx->sender, PUBKEY_SIZE) == 0)
        return bad_payload(v, "delegation to oneself");
    if (d.amount < ARENA_MIN_DELEGATION)
        return val_failf(v, VAL_CONSENSUS, REJECT_ARENA_STAKE_LOW, "delegation below %llu",
                         (unsigned long long)ARENA_MIN_DELEGATION);
    if (!amount_valid(d.amount))
        return bad_payload(v, "amount");
    return true;
}

bool arena_undelegate_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct arena_undelegate u;
    (void)p;
    if (!arena_undelegate_decode(&u, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (memcmp(u.op, tx->sender, PUBKEY_SIZE) == 0)
        return bad_payload(v, "delegation to oneself");
    return true;
}

bool arena_set_share_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct arena_set_share s;
    (void)p;
    if (!arena_set_share_decode(&s, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (s.sigma_bps > ARENA_BPS)
        return bad_payload(v, "sigma_bps");
    return true;
}

static bool commit_check(const struct tx *tx, struct validation *v)
{
    struct arena_commit c;
    if (!arena_commit_decode(&c, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    return true;
}

bool arena_submit_commit_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    (void)p;
    return commit_check(tx, v);
}

bool arena_score_commit_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    (void)p;
    return commit_check(tx, v);
}

bool arena_submit_reveal_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct arena_submit_reveal s;
    (void)p;
    if (!arena_submit_reveal_decode(&s, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (s.n == 0)
        return bad_payload(v, "no weights");
    return true;
}

bool arena_reveal_valset_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct arena_reveal_valset r;
    (void)p;
    if (!arena_reveal_valset_decode(&r, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (r.set >= ARENA_MAX_SETS)
        return bad_payload(v, "set");
    if (r.chunk >= ARENA_MAX_CHUNKS)
        return bad_payload(v, "chunk");
    if (r.len == 0)
        return bad_payload(v, "empty chunk");
    return true;
}

bool arena_score_reveal_check(const struct tx *tx, const struct chain_params *p, struct validation *v)
{
    struct arena_score_reveal s;
    (void)p;
    if (!arena_score_reveal_decode(&s, tx->payload, tx->payload_len))
        return val_fail(v, VAL_MALFORMED, REJECT_BAD_TXNS_PAYLOAD);
    if (s.n == 0)
        return bad_payload(v, "no losses");
    return true;
}

/* ---- windows and work ---- */

void arena_windows_at(const struct arena_task_params *p, uint64_t created, struct arena_windows *w)
{
    w->created = created;
    w->submit_end = created + p->submit_blocks;
    w->reveal_end = w->submit_end + p->reveal_blocks;
    w->sets_end = w->reveal_end + p->reveal_blocks;
    w->score_commit_end = w->sets_end + p->score_commit_blocks;
    w->settle = w->score_commit_end + p->score_reveal_blocks;
}

uint64_t arena_vest_height(const struct arena_windows *w, uint32_t epoch_slots, uint32_t i)
{
    return w->settle + (uint64_t)i * epoch_slots;
}

uint32_t arena_event_work(const struct arena_task_params *p, uint8_t event)
{
    uint64_t w = ARENA_EVENT_BASE_WORK +
                 (uint64_t)ARENA_OPERATOR_WORK * ((uint64_t)p->max_trainers + p->max_validators);
    const uint64_t row = arena_row_size(&p->spec);
    switch (event) {
    case ARENA_EV_ASSIGN: w += (uint64_t)p->k * p->draws_per_set; break;
    case ARENA_EV_CLOSE: w += p->k; break;
    case ARENA_EV_SETTLE:
        w += (uint64_t)p->k * p->max_validators * p->max_trainers;
        for (unsigned k = 0; k < p->k && k < ARENA_MAX_SETS; k++)
            w += ((uint64_t)p->sets[k].n_rows * row + ARENA_DELETE_BYTES_PER_WORK - 1) /
                 ARENA_DELETE_BYTES_PER_WORK;
        break;
    default: break;
    }
    return w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

/* ---- records ---- */

void arena_task_encode(const struct arena_task *t, struct wbuf *w)
{
    put_bytes(w, t->creator, PUBKEY_SIZE);
    put_u64(w, t->created_height);
    arena_task_params_encode(&t->p, w);
}

bool arena_task_decode(struct arena_task *t, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    if (!get_bytes(&r, t->creator, PUBKEY_SIZE) || !get_u64(&r, &t->created_height) ||
        !arena_task_params_decode_from(&t->p, &r) || !rbuf_done(&r))
        return false;
    arena_windows(t, &t->w);
    return true;
}

void arena_windows(const struct arena_task *t, struct arena_windows *w)
{
    arena_windows_at(&t->p, t->created_height, w);
}

void arena_status_encode(const struct arena_status *s, struct wbuf *w)
{
    put_u8(w, s->state);
    put_u16(w, s->n_trainers);
    put_u16(w, s->n_validators);
    put_u32(w, s->n_commits);
    put_u16(w, s->n_scoreable);
    put_u16(w, s->n_revealed_validators);
    put_u8(w, s->sets_complete);
    for (unsigned i = 0; i < ARENA_MAX_SETS; i++) {
        put_u16(w, s->chunks_revealed[i]);
        put_u32(w, s->rows_revealed[i]);
    }
    put_u64(w, s->budget_left);
    put_u64(w, s->burn);
    put_u64(w, s->match);
    put_u64(w, s->distributed);
    put_u64(w, s->g_v);
    put_u64(w, s->g_t);
    put_u64(w, s->paid);
    put_u64(w, s->vest_paid);
    put_u64(w, s->vest_pending);
    put_u64(w, s->forfeited);
    put_u64(w, s->dust);
    put_u64(w, s->returned);
    put_u64(w, s->slashed);
    put_u64(w, s->slashed_budget);
    put_u16(w, s->vest_done);
    put_u64(w, s->end_height);
}

bool arena_status_decode(struct arena_status *s, const uint8_t *data, size_t len)
{
    struct rbuf r;
    memset(s, 0, sizeof(*s));
    rbuf_init(&r, data, len);
    if (!get_u8(&r, &s->state) || !get_u16(&r, &s->n_trainers) ||
        !get_u16(&r, &s->n_validators) || !get_u32(&r, &s->n_commits) ||
        !get_u16(&r, &s->n_scoreable) || !get_u16(&r, &s->n_revealed_validators) ||
        !get_u8(&r, &s->sets_complete))
        return false;
    for (unsigned i = 0; i < ARENA_MAX_SETS; i++)
        if (!get_u16(&r, &s->chunks_revealed[i]) || !get_u32(&r, &s->rows_revealed[i]))
            return false;
    return get_u64(&r, &s->budget_left) && get_u64(&r, &s->burn) && get_u64(&r, &s->match) &&
           get_u64(&r, &s->distributed) && get_u64(&r, &s->g_v) && get_u64(&r, &s->g_t) &&
           get_u64(&r, &s->paid) && get_u64(&r, &s->vest_paid) &&
           get_u64(&r, &s->vest_pending) && get_u64(&r, &s->forfeited) &&
           get_u64(&r, &s->dust) && get_u64(&r, &s->returned) && get_u64(&r, &s->slashed) &&
           get_u64(&r, &s->slashed_budget) && get_u16(&r, &s->vest_done) &&
           get_u64(&r, &s->end_height) && rbuf_done(&r) && s->state <= ARENA_FAILED;
}

void arena_operator_encode(const struct arena_operator *o, struct wbuf *w)
{
    put_u8(w, o->role);
    put_u16(w, o->flags);
    put_u64(w, o->own);
    put_u64(w, o->del_total);
    put_u64(w, o->del_value);
    put_u64(w, o->del_principal_paid);
    put_u32(w, o->del_count);
    put_u16(w, o->sigma_bps);
    put_u64(w, o->sigma_epoch);
    put_u64(w, o->stake_snapshot);
    put_u32(w, o->seq);
    put_u64(w, o->commit_height);
    put_bytes(w, o->commitment, HASH_SIZE);
    put_bytes(w, o->model_hash, HASH_SIZE);
    put_bytes(w, o->count, ARENA_MAX_SETS);
    put_bytes(w, o->score_commitment, HASH_SIZE);
    put_u32(w, o->loss);
    put_u16(w, o->rank);
    put_u32(w, o->dev_bps);
    put_u16(w, o->c_bps);
    put_u64(w, o->f);
    put_u64(w, o->f_op);
    put_u64(w, o->f_del);
    put_u64(w, o->reward_a);
    put_u64(w, o->vest_b_op);
    put_u64(w, o->vest_b_del);
    put_u64(w, o->vest_paid_op);
    put_u64(w, o->vest_paid_del);
    put_u64(w, o->d_credit);
    put_u64(w, o->d_claimed);
    put_u64(w, o->forfeited);
    put_u64(w, o->slashed);
    put_u64(w, o->slashed_del);
    put_u64(w, o->returned);
}

bool arena_operator_decode(struct arena_operator *o, const uint8_t *data, size_t len)
{
    struct rbuf r;
    memset(o, 0, sizeof(*o));
    rbuf_init(&r, data, len);
    return get_u8(&r, &o->role) && get_u16(&r, &o->flags) && get_u64(&r, &o->own) &&
           get_u64(&r, &o->del_total) && get_u64(&r, &o->del_value) &&
           get_u64(&r, &o->del_principal_paid) && get_u32(&r, &o->del_count) &&
           get_u16(&r, &o->sigma_bps) && get_u64(&r, &o->sigma_epoch) &&
           get_u64(&r, &o->stake_snapshot) && get_u32(&r, &o->seq) &&
           get_u64(&r, &o->commit_height) && get_bytes(&r, o->commitment, HASH_SIZE) &&
           get_bytes(&r, o->model_hash, HASH_SIZE) && get_bytes(&r, o->count, ARENA_MAX_SETS) &&
           get_bytes(&r, o->score_commitment, HASH_SIZE) && get_u32(&r, &o->loss) &&
           get_u16(&r, &o->rank) && get_u32(&r, &o->dev_bps) && get_u16(&r, &o->c_bps) &&
           get_u64(&r, &o->f) && get_u64(&r, &o->f_op) && get_u64(&r, &o->f_del) &&
           get_u64(&r, &o->reward_a) && get_u64(&r, &o->vest_b_op) &&
           get_u64(&r, &o->vest_b_del) && get_u64(&r, &o->vest_paid_op) &&
           get_u64(&r, &o->vest_paid_del) && get_u64(&r, &o->d_credit) &&
           get_u64(&r, &o->d_claimed) && get_u64(&r, &o->forfeited) &&
           get_u64(&r, &o->slashed) && get_u64(&r, &o->slashed_del) &&
           get_u64(&r, &o->returned) && rbuf_done(&r) &&
           (o->role == ARENA_ROLE_TRAINER || o->role == ARENA_ROLE_VALIDATOR) &&
           (o->flags & ~ARENA_OP_FLAGS_ALL) == 0 && o->sigma_bps <= ARENA_BPS;
}

void arena_delegation_encode(const struct arena_delegation *d, struct wbuf *w)
{
    put_u64(w, d->amount);
    put_u8(w, d->flags);
    put_u64(w, d->principal);
    put_u64(w, d->claimed);
}

bool arena_delegation_decode(struct arena_delegation *d, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_u64(&r, &d->amount) && get_u8(&r, &d->flags) && get_u64(&r, &d->principal) &&
           get_u64(&r, &d->claimed) && rbuf_done(&r) &&
           (d->flags & ~ARENA_DEL_PRINCIPAL_PAID) == 0;
}

void arena_results_encode(const struct arena_results *res, struct wbuf *w)
{
    put_u8(w, res->k);
    put_u8(w, res->consensus_mask);
    put_compact(w, res->m);
    for (unsigned i = 0; i < res->m && i < ARENA_MAX_TRAINERS; i++) {
        const struct arena_result *e = &res->r[i];
        put_bytes(w, e->trainer, PUBKEY_SIZE);
        put_u32(w, e->seq);
        put_u32(w, e->loss);
        put_u16(w, e->rank);
        for (unsigned k = 0; k < res->k && k < ARENA_MAX_SETS; k++)
            put_u32(w, e->set_loss[k]);
    }
}

bool arena_results_decode(struct arena_results *res, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t m;
    memset(res, 0, sizeof(*res));
    rbuf_init(&r, data, len);
    if (!get_u8(&r, &res->k) || res->k > ARENA_MAX_SETS || !get_u8(&r, &res->consensus_mask) ||
        (res->k < 8 && (res->consensus_mask >> res->k) != 0) ||
        !get_compact(&r, &m, ARENA_MAX_TRAINERS))
        return false;
    res->m = (uint16_t)m;
    for (unsigned i = 0; i < res->m; i++) {
        struct arena_result *e = &res->r[i];
        if (!get_bytes(&r, e->trainer, PUBKEY_SIZE) || !get_u32(&r, &e->seq) ||
            !get_u32(&r, &e->loss) || !get_u16(&r, &e->rank))
            return false;
        for (unsigned k = 0; k < res->k; k++)
            if (!get_u32(&r, &e->set_loss[k]))
                return false;
    }
    return rbuf_done(&r);
}

void arena_list_encode(const uint8_t *keys, size_t n, struct wbuf *w)
{
    put_compact(w, n);
    put_bytes(w, keys, n * PUBKEY_SIZE);
}

bool arena_list_decode(const uint8_t **keys, size_t *n, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t count;
    rbuf_init(&r, data, len);
    if (!get_compact(&r, &count, ARENA_MAX_OPERATORS) ||
        !get_view(&r, keys, (size_t)count * PUBKEY_SIZE) || !rbuf_done(&r))
        return false;
    for (size_t i = 1; i < count; i++)
        if (memcmp(*keys + (i - 1) * PUBKEY_SIZE, *keys + i * PUBKEY_SIZE, PUBKEY_SIZE) >= 0)
            return false;
    *n = (size_t)count;
    return true;
}

bool arena_weights_decode(const uint8_t **weights, uint64_t *n, const uint8_t *data, size_t len)
{
    if (len % 4 != 0 || len / 4 > ARENA_MAX_PARAMS)
        return false;
    *weights = data;
    *n = len / 4;
    return true;
}

void arena_losses_encode(const uint8_t *losses, uint32_t n, struct wbuf *w)
{
    put_compact(w, n);
    put_bytes(w, losses, (size_t)n * 4);
}

bool arena_losses_decode(const uint8_t **losses, uint32_t *n, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t count;
    rbuf_init(&r, data, len);
    if (!get_compact(&r, &count, ARENA_MAX_SCORES) || !get_view(&r, losses, (size_t)count * 4) ||
        !rbuf_done(&r))
        return false;
    *n = (uint32_t)count;
    return true;
}

void arena_slash_height_encode(uint64_t h, struct wbuf *w)
{
    put_u64(w, h);
}

bool arena_slash_height_decode(uint64_t *h, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_u64(&r, h) && rbuf_done(&r);
}

void arena_height_encode(const struct arena_height *h, struct wbuf *w)
{
    put_u32(w, h->events);
    put_u32(w, h->work);
}

bool arena_height_decode(struct arena_height *h, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_u32(&r, &h->events) && get_u32(&r, &h->work) && rbuf_done(&r) &&
           h->work <= ARENA_MAX_HEIGHT_WORK;
}

bool arena_height_room(const struct arena_height *h, uint32_t work)
{
    return h->work <= ARENA_MAX_HEIGHT_WORK && work <= ARENA_MAX_HEIGHT_WORK - h->work;
}

void arena_event_encode(const struct arena_event_entry *e, struct wbuf *w)
{
    put_bytes(w, e->task, ARENA_TASK_ID_SIZE);
    put_u8(w, e->event);
    put_u16(w, e->index);
}

bool arena_event_decode(struct arena_event_entry *e, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    if (!get_bytes(&r, e->task, ARENA_TASK_ID_SIZE) || !get_u8(&r, &e->event) ||
        !get_u16(&r, &e->index) || !rbuf_done(&r))
        return false;
    if (e->event == ARENA_EV_VEST)
        return e->index >= 1 && e->index <= ARENA_MAX_VEST;
    return e->event >= ARENA_EV_ASSIGN && e->event <= ARENA_EV_SETTLE && e->index == 0;
}

/* ---- keys ---- */

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void arena_key_task(uint8_t key[ARENA_KEY_TASK_SIZE], char kind, const uint8_t task[ARENA_TASK_ID_SIZE])
{
    key[0] = ARENA_KEY_PREFIX;
    key[1] = (uint8_t)kind;
    memcpy(key + 2, task, ARENA_TASK_ID_SIZE);
}

void arena_key_operator(uint8_t key[ARENA_KEY_OP_SIZE], char kind,
                        const uint8_t task[ARENA_TASK_ID_SIZE], const uint8_t op[PUBKEY_SIZE])
{
    arena_key_task(key, kind, task);
    memcpy(key + ARENA_KEY_TASK_SIZE, op, PUBKEY_SIZE);
}

void arena_key_delegation(uint8_t key[ARENA_KEY_DEL_SIZE], const uint8_t task[ARENA_TASK_ID_SIZE],
                          const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE])
{
    arena_key_operator(key, 'D', task, op);
    memcpy(key + ARENA_KEY_OP_SIZE, delegator, PUBKEY_SIZE);
}

void arena_key_chunk(uint8_t key[ARENA_KEY_CHUNK_SIZE], const uint8_t task[ARENA_TASK_ID_SIZE],
                     uint8_t set, uint16_t chunk)
{
    arena_key_task(key, 'V', task);
    key[ARENA_KEY_TASK_SIZE] = set;
    put_be16(key + ARENA_KEY_TASK_SIZE + 1, chunk);
}

void arena_key_slash(uint8_t key[ARENA_KEY_SLASH_SIZE], const uint8_t addr[PUBKEY_SIZE])
{
    key[0] = ARENA_KEY_PREFIX;
    key[1] = 'x';
    memcpy(key + 2, addr, PUBKEY_SIZE);
}

void arena_key_queue(uint8_t key[ARENA_KEY_QUEUE_SIZE], uint64_t height)
{
    key[0] = ARENA_KEY_PREFIX;
    key[1] = 'q';
    write_be64(key + 2, height);
}

void arena_key_event(uint8_t key[ARENA_KEY_EVENT_SIZE], uint64_t height, uint32_t seq)
{
    key[0] = ARENA_KEY_PREFIX;
    key[1] = 'Q';
    write_be64(key + 2, height);
    put_be32(key + 10, seq);
}

/* ---- commitments ---- */

void arena_submission_commitment(uint8_t out[HASH_SIZE], const uint8_t task[ARENA_TASK_ID_SIZE],
                                 const uint8_t trainer[PUBKEY_SIZE],
                                 const uint8_t model_hash[HASH_SIZE], const uint8_t salt[32])
{
    struct hasher h;
    hasher_init(&h, HTAG_ARENA_SUB);
    hasher_write(&h, task, ARENA_TASK_ID_SIZE);
    hasher_write(&h, trainer, PUBKEY_SIZE);
    hasher_write(&h, model_hash, HASH_SIZE);
    hasher_write(&h, salt, 32);
    hasher_final(&h, out);
}

void arena_scores_commitment(uint8_t out[HASH_SIZE], const uint8_t task[ARENA_TASK_ID_SIZE],
                             const uint8_t validator[PUBKEY_SIZE], uint32_t n,
                             const uint8_t *losses, const uint8_t salt[32])
{
    struct hasher h;
    uint8_t nb[4];
    write_le32(nb, n);
    hasher_init(&h, HTAG_ARENA_SCORE);
    hasher_write(&h, task, ARENA_TASK_ID_SIZE);
    hasher_write(&h, validator, PUBKEY_SIZE);
    hasher_write(&h, nb, 4);
    if (n)
        hasher_write(&h, losses, (size_t)n * 4);
    hasher_write(&h, salt, 32);
    hasher_final(&h, out);
}

/* ---- validation-set Merkle tree ---- */

void arena_leaf_hash(uint8_t out[HASH_SIZE], const uint8_t salt[32], uint8_t set, uint16_t i,
                     const uint8_t *data, uint32_t len)
{
    struct hasher h;
    uint8_t b[7];
    b[0] = set;
    b[1] = (uint8_t)i;
    b[2] = (uint8_t)(i >> 8);
    write_le32(b + 3, len);
    hasher_init(&h, HTAG_ARENA_LEAF);
    hasher_write(&h, salt, 32);
    hasher_write(&h, b, sizeof(b));
    if (len)
        hasher_write(&h, data, len);
    hasher_final(&h, out);
}

void arena_node_hash(uint8_t out[HASH_SIZE], const uint8_t left[HASH_SIZE],
                     const uint8_t right[HASH_SIZE])
{
    struct hasher h;
    hasher_init(&h, HTAG_ARENA_NODE);
    hasher_write(&h, left, HASH_SIZE);
    hasher_write(&h, right, HASH_SIZE);
    hasher_final(&h, out);
}

/* Replaces the level of cnt nodes in lvl by the next one; returns its count. */
static size_t merkle_up(uint8_t *lvl, size_t cnt)
{
    size_t next = 0;
    for (size_t i = 0; i + 1 < cnt; i += 2)
        arena_node_hash(lvl + HASH_SIZE * next++, lvl + HASH_SIZE * i, lvl + HASH_SIZE * (i + 1));
    if (cnt % 2)
        memmove(lvl + HASH_SIZE * next++, lvl + HASH_SIZE * (cnt - 1), HASH_SIZE);
    return next;
}

bool arena_merkle_root(uint8_t out[HASH_SIZE], const uint8_t *leaves, size_t n)
{
    uint8_t lvl[ARENA_MAX_CHUNKS * HASH_SIZE];
    if (n == 0 || n > ARENA_MAX_CHUNKS)
        return false;
    memcpy(lvl, leaves, n * HASH_SIZE);
    while (n > 1)
        n = merkle_up(lvl, n);
    memcpy(out, lvl, HASH_SIZE);
    return true;
}

unsigned arena_merkle_path_len(size_t n, size_t i)
{
    unsigned len = 0;
    if (n == 0 || i >= n)
        return 0;
    while (n > 1) {
        if ((i ^ 1) < n)
            len++;
        i >>= 1;
        n = (n + 1) / 2;
    }
    return len;
}

bool arena_merkle_path(uint8_t *path, unsigned *npath, const uint8_t *leaves, size_t n, size_t i)
{
    uint8_t lvl[ARENA_MAX_CHUNKS * HASH_SIZE];
    unsigned len = 0;
    if (n == 0 || n > ARENA_MAX_CHUNKS || i >= n)
        return false;
    memcpy(lvl, leaves, n * HASH_SIZE);
    while (n > 1) {
        size_t sib = i ^ 1;
        if (sib < n)
            memcpy(path + HASH_SIZE * len++, lvl + HASH_SIZE * sib, HASH_SIZE);
        i >>= 1;
        n = merkle_up(lvl, n);
    }
    *npath = len;
    return true;
}

bool arena_merkle_verify(const uint8_t root[HASH_SIZE], size_t n, size_t i,
                         const uint8_t leaf[HASH_SIZE], const uint8_t *path, unsigned npath)
{
    uint8_t h[HASH_SIZE];
    unsigned used = 0;
    if (n == 0 || n > ARENA_MAX_CHUNKS || i >= n || npath != arena_merkle_path_len(n, i))
        return false;
    memcpy(h, leaf, HASH_SIZE);
    while (n > 1) {
        size_t sib = i ^ 1;
        if (sib < n) {
            const uint8_t *s = path + HASH_SIZE * used++;
            if (i & 1)
                arena_node_hash(h, s, h);
            else
                arena_node_hash(h, h, s);
        }
        i >>= 1;
        n = (n + 1) / 2;
    }
    return used == npath && sodium_memcmp(h, root, HASH_SIZE) == 0;
}
