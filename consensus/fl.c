/* FL Alliance encodings: model specs, task parameters, state records and
 * keys (see fl.h).  The formulas are in flmath.c. */
#include "consensus/fl.h"
#include "consensus/amount.h"
#include "consensus/block.h"
#include "consensus/params.h"
#include "consensus/tx.h"
#include "consensus/txtypes.h"

#include <stdlib.h>
#include <string.h>

/* ---- model spec ---- */

void fl_spec_encode(const struct fl_spec *s, struct wbuf *w)
{
    put_u8(w, s->kind);
    put_compact(w, s->n_sizes);
    for (uint32_t i = 0; i < s->n_sizes; i++)
        put_u32(w, s->sizes[i]);
    put_compact(w, s->n_norm);
    put_bytes(w, s->norm, (size_t)s->n_norm * 8);
}

bool fl_spec_decode_from(struct fl_spec *s, struct rbuf *r)
{
    uint64_t n, m;
    memset(s, 0, sizeof(*s));
    if (!get_u8(r, &s->kind) || !get_compact(r, &n, FL_MAX_SIZES))
        return false;
    s->n_sizes = (uint32_t)n;
    for (uint32_t i = 0; i < s->n_sizes; i++)
        if (!get_u32(r, &s->sizes[i]))
            return false;
    if (!get_compact(r, &m, FL_MAX_UNITS) || !get_view(r, &s->norm, (size_t)m * 8))
        return false;
    s->n_norm = (uint32_t)m;
    return true;
}

bool fl_spec_valid(const struct fl_spec *s)
{
    switch (s->kind) {
    case FL_MODEL_LOGREG:
        if (s->n_sizes != 2 || s->sizes[1] != 1)
            return false;
        break;
    case FL_MODEL_SOFTMAX:
        if (s->n_sizes != 2 || s->sizes[1] < 2)
            return false;
        break;
    case FL_MODEL_MLP:
        if (s->n_sizes < 3)
            return false;
        break;
    default:
        return false;
    }
    for (uint32_t i = 0; i < s->n_sizes; i++)
        if (s->sizes[i] == 0 || s->sizes[i] > FL_MAX_UNITS)
            return false;
    if (s->n_norm != 0 && s->n_norm != s->sizes[0])
        return false;
    for (uint32_t i = 0; i < s->n_norm; i++)
        if ((int32_t)read_le32(s->norm + 8 * i + 4) <= 0)
            return false;
    return true;
}

uint64_t fl_param_count(const struct fl_spec *s)
{
    /* Sizes are at most 2^20 and there are at most 16 layers: no overflow. */
    uint64_t n = 0;
    for (uint32_t i = 1; i < s->n_sizes; i++)
        n += (uint64_t)s->sizes[i] * s->sizes[i - 1] + s->sizes[i];
    return n;
}

const char *fl_model_kind_name(uint8_t kind)
{
    switch (kind) {
    case FL_MODEL_LOGREG: return "logistic";
    case FL_MODEL_SOFTMAX: return "softmax";
    case FL_MODEL_MLP: return "mlp";
    }
    return NULL;
}

/* ---- task parameters ---- */

void fl_task_params_encode(const struct fl_task_params *t, struct wbuf *w)
{
    fl_spec_encode(&t->spec, w);
    put_compact(w, t->n_init);
    put_bytes(w, t->init, (size_t)t->n_init * 4);
    put_u32(w, t->rounds);
    put_u16(w, t->min_participants);
    put_u16(w, t->max_participants);
    put_u64(w, t->min_stake);
    put_u16(w, t->proposer_slots);
    put_u32(w, t->join_blocks);
    put_u32(w, t->submit_blocks);
    put_u32(w, t->update_reveal_blocks);
    put_u32(w, t->commit_blocks);
    put_u32(w, t->reveal_blocks);
    put_u8(w, t->aggregator);
    put_u16(w, t->trim_k);
    put_u16(w, t->slash_bps);
    put_u16(w, t->voter_reward_bps);
    put_u64(w, t->budget);
    put_compact(w, t->n_allow);
    put_bytes(w, t->allow, (size_t)t->n_allow * PUBKEY_SIZE);
}

bool fl_task_params_decode_from(struct fl_task_params *t, struct rbuf *r)
{
    memset(t, 0, sizeof(*t));
    if (!fl_spec_decode_from(&t->spec, r) || !get_compact(r, &t->n_init, r->left / 4) ||
        !get_view(r, &t->init, (size_t)t->n_init * 4))
        return false;
    return get_u32(r, &t->rounds) && get_u16(r, &t->min_participants) &&
           get_u16(r, &t->max_participants) && get_u64(r, &t->min_stake) &&
           get_u16(r, &t->proposer_slots) && get_u32(r, &t->join_blocks) &&
           get_u32(r, &t->submit_blocks) && get_u32(r, &t->update_reveal_blocks) &&
           get_u32(r, &t->commit_blocks) &&
           get_u32(r, &t->reveal_blocks) && get_u8(r, &t->aggregator) && get_u16(r, &t->trim_k) &&
           get_u16(r, &t->slash_bps) && get_u16(r, &t->voter_reward_bps) &&
           get_u64(r, &t->budget) && get_compact(r, &t->n_allow, FL_MAX_ALLOW) &&
           get_view(r, &t->allow, (size_t)t->n_allow * PUBKEY_SIZE);
}

const char *fl_aggregator_name(uint8_t agg)
{
    switch (agg) {
    case FL_AGG_FEDAVG: return "fedavg";
    case FL_AGG_MEDIAN: return "median";
    case FL_AGG_TRIMMED_MEAN: return "trimmed_mean";
    }
    return NULL;
}

bool fl_task_allows(const struct fl_task_params *t, const uint8_t pub[PUBKEY_SIZE])
{
    size_t lo = 0, hi = (size_t)t->n_allow;
    if (t->n_allow == 0)
        return true;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(t->allow + mid * PUBKEY_SIZE, pub, PUBKEY_SIZE);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* A transaction of a payload of `payload` bytes. */
static uint64_t tx_size_for(uint64_t payload)
{
    return TX_FIXED_SIZE + compact_size_len(payload) + payload;
}

uint64_t fl_update_commit_tx_size(void)
{
    /* payload: task [32] | round u32 | commitment [32] */
    return tx_size_for(FL_TASK_ID_SIZE + 4 + HASH_SIZE);
}

uint64_t fl_update_reveal_tx_size(uint64_t n)
{
    /* payload: task [32] | round u32 | salt [32] | CompactSize n | n x i32;
     * n < 2^40 (fl_param_count), so no overflow. */
    return tx_size_for(FL_TASK_ID_SIZE + 4 + 32 + compact_size_len(n) + 4 * n);
}

uint64_t fl_vote_reveal_tx_size(uint64_t n)
{
    /* payload: task [32] | round u32 | salt [32] | CompactSize n | n x 5 */
    return tx_size_for(FL_TASK_ID_SIZE + 4 + 32 + compact_size_len(n) + FL_VERDICT_SIZE * n);
}

uint64_t fl_txs_per_block(const struct chain_params *p, uint8_t type, uint64_t size)
{
    /* A block: the header, a CompactSize count (at most 5 bytes for
     * max_block_txs), then the transactions. */
    uint64_t room = p->max_block_size > BLOCK_HEADER_SIZE + 5
                        ? p->max_block_size - BLOCK_HEADER_SIZE - 5
                        : 0;
    uint64_t per = size ? room / size : 0;
    /* ... and the block units: max_block_txs in all, the type's each. */
    uint64_t by_units = p->max_block_txs / txtype_block_units(type);
    return per < by_units ? per : by_units;
}

bool fl_window_carries(const struct chain_params *p, uint32_t blocks, uint8_t type,
                       uint64_t count, uint64_t size)
{
    /* Half of each block's bytes (floor) and half of its units (floor). */
    unsigned __int128 bytes = (unsigned __int128)count * size;
    unsigned __int128 units = (unsigned __int128)count * txtype_block_units(type);
    return bytes <= (unsigned __int128)blocks * (p->max_block_size / 2) &&
           units <= (unsigned __int128)blocks * (p->max_block_txs / 2);
}

uint32_t fl_slot_count(uint32_t k, uint32_t m)
{
    if (m < 2)
        return 0;
    return k < m - 1 ? k : m - 1;
}

uint32_t fl_event_work(const struct fl_task_params *t)
{
    return FL_EVENT_BASE_WORK + (uint32_t)t->max_participants;
}

uint32_t fl_event_work_for(size_t n)
{
    /* n <= FL_MAX_PARTICIPANTS (the participant list's bound). */
    return FL_EVENT_BASE_WORK + (uint32_t)n;
}

uint64_t fl_round_weights(const struct fl_task_params *t, uint32_t n_active)
{
    /* At most 65 x 2^40 (FL_MAX_SIZES layers of 2^20 x 2^20): no overflow. */
    return ((uint64_t)fl_slot_count(t->proposer_slots, n_active) + 1) * fl_param_count(&t->spec);
}

uint64_t fl_finalize_weights(const struct fl_task_params *t)
{
    return fl_round_weights(t, t->max_participants);
}

uint32_t fl_round_verdicts(uint32_t k_eff, uint32_t m)
{
    /* k_eff <= FL_MAX_SLOTS, m <= FL_MAX_PARTICIPANTS. */
    return k_eff * m;
}

uint64_t fl_join_end(const struct fl_task *t)
{
    return t->created_height + t->p.join_blocks;
}

void fl_round_windows(const struct fl_task_params *p, uint64_t start, struct fl_windows *w)
{
    w->submit_start = start;
    w->submit_end = start + p->submit_blocks - 1;
    w->update_reveal_start = w->submit_end + 1;
    w->update_reveal_end = w->update_reveal_start + p->update_reveal_blocks - 1;
    w->commit_start = w->update_reveal_end + 1;
    w->commit_end = w->commit_start + p->commit_blocks - 1;
    w->reveal_start = w->commit_end + 1;
    w->reveal_end = w->reveal_start + p->reveal_blocks - 1;
}

/* ---- records ---- */

void fl_task_encode(const struct fl_task *t, struct wbuf *w)
{
    struct fl_task_params p = t->p;
    p.n_init = 0;
    p.init = NULL;
    put_bytes(w, t->creator, PUBKEY_SIZE);
    put_u64(w, t->created_height);
    fl_task_params_encode(&p, w);
}

bool fl_task_decode(struct fl_task *t, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_bytes(&r, t->creator, PUBKEY_SIZE) && get_u64(&r, &t->created_height) &&
           fl_task_params_decode_from(&t->p, &r) && rbuf_done(&r) && t->p.n_init == 0;
}

const char *fl_task_state_name(uint8_t state)
{
    switch (state) {
    case FL_TASK_OPEN: return "open";
    case FL_TASK_RUNNING: return "running";
    case FL_TASK_COMPLETED: return "completed";
    case FL_TASK_CANCELLED: return "cancelled";
    }
    return "unknown";
}

void fl_status_encode(const struct fl_status *s, struct wbuf *w)
{
    put_u8(w, s->state);
    put_u32(w, s->round);
    put_u64(w, s->round_start);
    put_u32(w, s->model_round);
    put_bytes(w, s->model_hash, HASH_SIZE);
    put_u16(w, s->n_participants);
    put_u16(w, s->n_active);
    put_u64(w, s->budget);
    put_u64(w, s->burn);
    put_u64(w, s->budget_left);
    put_u64(w, s->slashed_left);
    put_u64(w, s->slashed);
    put_u64(w, s->paid);
    put_u64(w, s->matched);
    put_u64(w, s->returned);
    put_u64(w, s->end_height);
    put_u64(w, (uint64_t)s->contribution);
    put_u64(w, (uint64_t)(s->contribution >> 64));
}

bool fl_status_decode(struct fl_status *s, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t lo, hi;
    rbuf_init(&r, data, len);
    return get_u8(&r, &s->state) && get_u32(&r, &s->round) && get_u64(&r, &s->round_start) &&
           get_u32(&r, &s->model_round) && get_bytes(&r, s->model_hash, HASH_SIZE) &&
           get_u16(&r, &s->n_participants) && get_u16(&r, &s->n_active) &&
           get_u64(&r, &s->budget) && get_u64(&r, &s->burn) && get_u64(&r, &s->budget_left) &&
           get_u64(&r, &s->slashed_left) && get_u64(&r, &s->slashed) && get_u64(&r, &s->paid) &&
           get_u64(&r, &s->matched) && get_u64(&r, &s->returned) &&
           get_u64(&r, &s->end_height) && get_u64(&r, &lo) && get_u64(&r, &hi) &&
           rbuf_done(&r) && s->state <= FL_TASK_CANCELLED &&
           ((s->contribution = (unsigned __int128)hi << 64 | lo), true);
}

const char *fl_participant_status_name(uint8_t status)
{
    switch (status) {
    case FL_PART_ACTIVE: return "active";
    case FL_PART_REMOVED: return "removed";
    case FL_PART_EXITED: return "exited";
    }
    return "unknown";
}

void fl_participant_encode(const struct fl_participant *p, struct wbuf *w)
{
    put_u8(w, p->status);
    put_u64(w, p->stake);
    put_u64(w, p->joined_height);
    put_u64(w, (uint64_t)p->contribution);
    put_u64(w, (uint64_t)(p->contribution >> 64));
    put_u64(w, p->rewards);
    put_u64(w, p->matched);
    put_u64(w, p->slashed);
    put_u64(w, p->returned);
    put_u32(w, p->rounds_proposer);
    put_u32(w, p->rounds_voter);
    put_u32(w, p->accepted);
}

bool fl_participant_decode(struct fl_participant *p, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t lo, hi;
    rbuf_init(&r, data, len);
    if (!get_u8(&r, &p->status) || !get_u64(&r, &p->stake) || !get_u64(&r, &p->joined_height) ||
        !get_u64(&r, &lo) || !get_u64(&r, &hi) || !get_u64(&r, &p->rewards) ||
        !get_u64(&r, &p->matched) || !get_u64(&r, &p->slashed) || !get_u64(&r, &p->returned) ||
        !get_u32(&r, &p->rounds_proposer) || !get_u32(&r, &p->rounds_voter) ||
        !get_u32(&r, &p->accepted))
        return false;
    p->contribution = (unsigned __int128)hi << 64 | lo;
    return rbuf_done(&r) && p->status <= FL_PART_EXITED;
}

const char *fl_outcome_name(uint8_t outcome)
{
    switch (outcome) {
    case FL_OUTCOME_PENDING: return "pending";
    case FL_OUTCOME_ACCEPTED: return "accepted";
    case FL_OUTCOME_REJECTED: return "rejected";
    case FL_OUTCOME_VOID_NO_UPDATES: return "void_no_updates";
    case FL_OUTCOME_VOID_NO_VOTES: return "void_no_votes";
    }
    return "unknown";
}

void fl_round_encode(const struct fl_round *r, struct wbuf *w)
{
    put_u64(w, r->start);
    put_u16(w, r->n_proposers);
    put_u16(w, r->n_slots);
    put_u16(w, r->n_voters);
    put_u8(w, r->outcome);
    put_u16(w, r->n_update_commits);
    put_u16(w, r->n_update_reveals);
    put_u16(w, r->n_vote_commits);
    put_u16(w, r->n_vote_reveals);
    put_u64(w, r->voting_stake);
    put_u16(w, r->n_accepted);
    put_u16(w, r->accepted_slots);
    put_u64(w, r->reward);
    put_u64(w, r->voter_part);
    put_u64(w, r->paid);
    put_u64(w, r->matched);
    put_u64(w, r->slashed);
    put_bytes(w, r->model_hash, HASH_SIZE);
    put_u32(w, r->model_round);
    put_u64(w, r->end_height);
}

bool fl_round_decode(struct fl_round *r, const uint8_t *data, size_t len)
{
    struct rbuf rb;
    rbuf_init(&rb, data, len);
    return get_u64(&rb, &r->start) && get_u16(&rb, &r->n_proposers) &&
           get_u16(&rb, &r->n_slots) && get_u16(&rb, &r->n_voters) &&
           get_u8(&rb, &r->outcome) && get_u16(&rb, &r->n_update_commits) &&
           get_u16(&rb, &r->n_update_reveals) && get_u16(&rb, &r->n_vote_commits) &&
           get_u16(&rb, &r->n_vote_reveals) && get_u64(&rb, &r->voting_stake) &&
           get_u16(&rb, &r->n_accepted) && get_u16(&rb, &r->accepted_slots) &&
           get_u64(&rb, &r->reward) && get_u64(&rb, &r->voter_part) &&
           get_u64(&rb, &r->paid) && get_u64(&rb, &r->matched) && get_u64(&rb, &r->slashed) &&
           get_bytes(&rb, r->model_hash, HASH_SIZE) && get_u32(&rb, &r->model_round) &&
           get_u64(&rb, &r->end_height) && rbuf_done(&rb) &&
           r->outcome <= FL_OUTCOME_VOID_NO_VOTES;
}

bool fl_round_quiet(const struct fl_round *r)
{
    uint32_t need = ((uint32_t)r->n_proposers + r->n_voters) / FL_QUIET_DIVISOR;
    if (need < 1)
        need = 1;
    return r->outcome == FL_OUTCOME_VOID_NO_UPDATES || r->outcome == FL_OUTCOME_VOID_NO_VOTES ||
           (uint32_t)r->n_update_reveals + r->n_vote_reveals < need;
}

void fl_entry_encode(const struct fl_entry *e, struct wbuf *w)
{
    put_u8(w, e->role);
    put_u64(w, e->stake);
    put_u16(w, e->slots);
    put_u8(w, e->flags);
    put_bytes(w, e->commitment, HASH_SIZE);
    put_u8(w, e->vote_flags);
    put_bytes(w, e->vote_commitment, HASH_SIZE);
    put_bytes(w, e->model_hash, HASH_SIZE);
    put_u32(w, e->size);
    put_u64(w, (uint64_t)e->tally);
    put_u16(w, e->verdicts);
    put_u16(w, e->agree);
    put_u64(w, e->reward);
    put_u64(w, e->matched);
    put_u64(w, e->slash);
}

bool fl_entry_decode(struct fl_entry *e, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t tally;
    rbuf_init(&r, data, len);
    if (!get_u8(&r, &e->role) || !get_u64(&r, &e->stake) || !get_u16(&r, &e->slots) ||
        !get_u8(&r, &e->flags) || !get_bytes(&r, e->commitment, HASH_SIZE) ||
        !get_u8(&r, &e->vote_flags) || !get_bytes(&r, e->vote_commitment, HASH_SIZE) ||
        !get_bytes(&r, e->model_hash, HASH_SIZE) || !get_u32(&r, &e->size) ||
        !get_u64(&r, &tally) || !get_u16(&r, &e->verdicts) || !get_u16(&r, &e->agree) ||
        !get_u64(&r, &e->reward) || !get_u64(&r, &e->matched) || !get_u64(&r, &e->slash))
        return false;
    e->tally = (int64_t)tally;
    return rbuf_done(&r) && (e->role == FL_ROLE_PROPOSER || e->role == FL_ROLE_VOTER) &&
           (e->flags & ~FL_ENTRY_FLAGS) == 0 && (e->vote_flags & ~FL_VOTE_FLAGS) == 0;
}

bool fl_events_decode(struct fl_event_entry **events, size_t *n, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t count;
    *events = NULL;
    *n = 0;
    rbuf_init(&r, data, len);
    if (!get_compact(&r, &count, len / (FL_TASK_ID_SIZE + 1)) || count == 0)
        return false;
    struct fl_event_entry *e = calloc((size_t)count, sizeof(*e));
    if (!e)
        return false;
    for (size_t i = 0; i < count; i++)
        if (!get_bytes(&r, e[i].task, FL_TASK_ID_SIZE) || !get_u8(&r, &e[i].event)) {
            free(e);
            return false;
        }
    if (!rbuf_done(&r)) {
        free(e);
        return false;
    }
    *events = e;
    *n = (size_t)count;
    return true;
}

void fl_events_encode(const struct fl_event_entry *events, size_t n, struct wbuf *w)
{
    put_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        put_bytes(w, events[i].task, FL_TASK_ID_SIZE);
        put_u8(w, events[i].event);
    }
}

void fl_event_encode(const struct fl_event_entry *e, struct wbuf *w)
{
    put_bytes(w, e->task, FL_TASK_ID_SIZE);
    put_u8(w, e->event);
}

bool fl_event_decode(struct fl_event_entry *e, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_bytes(&r, e->task, FL_TASK_ID_SIZE) && get_u8(&r, &e->event) && rbuf_done(&r) &&
           (e->event == FL_EV_START || e->event == FL_EV_FINALIZE);
}

void fl_height_encode(const struct fl_height *h, struct wbuf *w)
{
    put_u32(w, h->events);
    put_u32(w, h->work);
    put_u64(w, h->weights);
    put_u32(w, h->verdicts);
}

bool fl_height_decode(struct fl_height *h, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_u32(&r, &h->events) && get_u32(&r, &h->work) && get_u64(&r, &h->weights) &&
           get_u32(&r, &h->verdicts) && rbuf_done(&r) && h->work <= FL_MAX_HEIGHT_WORK &&
           h->weights <= FL_MAX_HEIGHT_WEIGHTS && h->verdicts <= FL_MAX_HEIGHT_VERDICTS;
}

bool fl_height_room(const struct fl_height *h, uint32_t work, uint64_t weights, uint32_t verdicts)
{
    /* h was decoded (or built) within the bounds, so no subtraction wraps. */
    return work <= FL_MAX_HEIGHT_WORK - h->work && weights <= FL_MAX_HEIGHT_WEIGHTS - h->weights &&
           verdicts <= FL_MAX_HEIGHT_VERDICTS - h->verdicts;
}

bool fl_list_decode(const uint8_t **keys, size_t *n, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t count;
    rbuf_init(&r, data, len);
    if (!get_compact(&r, &count, FL_MAX_PARTICIPANTS) ||
        !get_view(&r, keys, (size_t)count * PUBKEY_SIZE) || !rbuf_done(&r))
        return false;
    for (size_t i = 1; i < count; i++)
        if (memcmp(*keys + (i - 1) * PUBKEY_SIZE, *keys + i * PUBKEY_SIZE, PUBKEY_SIZE) >= 0)
            return false;
    *n = (size_t)count;
    return true;
}

/* ---- keys ---- */

void fl_key_task(uint8_t key[FL_KEY_TASK_SIZE], char kind, const uint8_t task[FL_TASK_ID_SIZE])
{
    key[0] = 'f';
    key[1] = (uint8_t)kind;
    memcpy(key + 2, task, FL_TASK_ID_SIZE);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void fl_key_round(uint8_t key[FL_KEY_ROUND_SIZE], char kind, const uint8_t task[FL_TASK_ID_SIZE],
                  uint32_t round)
{
    fl_key_task(key, kind, task);
    put_be32(key + 2 + FL_TASK_ID_SIZE, round);
}

void fl_key_participant(uint8_t key[FL_KEY_PART_SIZE], const uint8_t task[FL_TASK_ID_SIZE],
                        const uint8_t pub[PUBKEY_SIZE])
{
    fl_key_task(key, 'P', task);
    memcpy(key + 2 + FL_TASK_ID_SIZE, pub, PUBKEY_SIZE);
}

void fl_key_entry(uint8_t key[FL_KEY_ENTRY_SIZE], char kind, const uint8_t task[FL_TASK_ID_SIZE],
                  uint32_t round, const uint8_t pub[PUBKEY_SIZE])
{
    fl_key_round(key, kind, task, round);
    memcpy(key + FL_KEY_ROUND_SIZE, pub, PUBKEY_SIZE);
}

void fl_key_queue(uint8_t key[FL_KEY_QUEUE_SIZE], uint64_t height)
{
    key[0] = 'f';
    key[1] = 'q';
    write_be64(key + 2, height);
}

void fl_key_event(uint8_t key[FL_KEY_EVENT_SIZE], uint64_t height, uint32_t seq)
{
    key[0] = 'f';
    key[1] = 'Q';
    write_be64(key + 2, height);
    put_be32(key + 10, seq);
}
