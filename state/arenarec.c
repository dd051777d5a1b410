/* AI Arena state records: accessors over a view, the operator list, and the
 * Arena pool's flows (see arena.h). */
#include "state/arena.h"
#include "consensus/amount.h"
#include "consensus/emission.h"
#include "state/staking.h"

#include <stdlib.h>
#include <string.h>

static void put_record(struct view *v, const uint8_t *key, size_t klen, struct wbuf *w)
{
    view_put_wbuf(v, key, klen, w);
    wbuf_free(w);
}

/* The value under key decoded by dec; false when absent, and when malformed
 * (the view then marked failed). */
#define GET_RECORD(v, key, dec, out)                                                               \
    do {                                                                                           \
        const uint8_t *val_;                                                                       \
        size_t len_;                                                                               \
        if (!view_get((v), (key), sizeof(key), &val_, &len_))                                      \
            return false;                                                                          \
        if (!dec((out), val_, len_)) {                                                             \
            view_set_failed(v);                                                                    \
            return false;                                                                          \
        }                                                                                          \
        return true;                                                                               \
    } while (0)

bool arena_get_task(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], struct arena_task *out)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    arena_key_task(key, 'T', task);
    GET_RECORD(v, key, arena_task_decode, out);
}

void arena_put_task(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                    const struct arena_task *t)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    arena_key_task(key, 'T', task);
    arena_task_encode(t, &w);
    put_record(v, key, sizeof(key), &w);
}

bool arena_get_status(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      struct arena_status *out)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    arena_key_task(key, 'S', task);
    GET_RECORD(v, key, arena_status_decode, out);
}

void arena_put_status(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      const struct arena_status *s)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    arena_key_task(key, 'S', task);
    arena_status_encode(s, &w);
    put_record(v, key, sizeof(key), &w);
}

bool arena_get_operator(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                        const uint8_t op[PUBKEY_SIZE], struct arena_operator *out)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    arena_key_operator(key, 'O', task, op);
    GET_RECORD(v, key, arena_operator_decode, out);
}

void arena_put_operator(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                        const uint8_t op[PUBKEY_SIZE], const struct arena_operator *o)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    arena_key_operator(key, 'O', task, op);
    arena_operator_encode(o, &w);
    put_record(v, key, sizeof(key), &w);
}

/* The stored list as a view (n = 0 when absent). */
static bool list_view(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], const uint8_t **keys,
                      size_t *n)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *val;
    size_t len;
    *keys = NULL;
    *n = 0;
    arena_key_task(key, 'L', task);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (!arena_list_decode(keys, n, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

bool arena_get_operators(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], uint8_t **keys,
                         size_t *n)
{
    const uint8_t *list;
    *keys = NULL;
    if (!list_view(v, task, &list, n))
        return false;
    if (*n == 0)
        return true;
    *keys = malloc(*n * PUBKEY_SIZE);
    if (!*keys) {
        view_set_failed(v);
        return false;
    }
    memcpy(*keys, list, *n * PUBKEY_SIZE);
    return true;
}

bool arena_add_operator(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                        const uint8_t op[PUBKEY_SIZE])
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    const uint8_t *list;
    size_t n, pos = 0;
    struct wbuf w;
    if (!list_view(v, task, &list, &n))
        return false;
    while (pos < n && memcmp(list + pos * PUBKEY_SIZE, op, PUBKEY_SIZE) < 0)
        pos++;
    if (pos < n && memcmp(list + pos * PUBKEY_SIZE, op, PUBKEY_SIZE) == 0)
        return true;
    if (n >= ARENA_MAX_OPERATORS)
        return false;
    /* list points into the view's value: build the new one before the put. */
    wbuf_init(&w);
    put_compact(&w, n + 1);
    if (pos > 0)
        put_bytes(&w, list, pos * PUBKEY_SIZE);
    put_bytes(&w, op, PUBKEY_SIZE);
    if (pos < n)
        put_bytes(&w, list + pos * PUBKEY_SIZE, (n - pos) * PUBKEY_SIZE);
    arena_key_task(key, 'L', task);
    put_record(v, key, sizeof(key), &w);
    return !view_failed(v);
}

bool arena_get_delegation(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                          const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE],
                          struct arena_delegation *out)
{
    uint8_t key[ARENA_KEY_DEL_SIZE];
    arena_key_delegation(key, task, op, delegator);
    GET_RECORD(v, key, arena_delegation_decode, out);
}

void arena_put_delegation(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                          const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE],
                          const struct arena_delegation *d)
{
    uint8_t key[ARENA_KEY_DEL_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    arena_key_delegation(key, task, op, delegator);
    arena_delegation_encode(d, &w);
    put_record(v, key, sizeof(key), &w);
}

void arena_del_delegation(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                          const uint8_t op[PUBKEY_SIZE], const uint8_t delegator[PUBKEY_SIZE])
{
    uint8_t key[ARENA_KEY_DEL_SIZE];
    arena_key_delegation(key, task, op, delegator);
    view_del(v, key, sizeof(key));
}

bool arena_get_weights(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const uint8_t trainer[PUBKEY_SIZE], const uint8_t **w, uint64_t *n)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_operator(key, 'W', task, trainer);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!arena_weights_decode(w, n, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void arena_put_weights(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const uint8_t trainer[PUBKEY_SIZE], const uint8_t *w, uint64_t n)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    arena_key_operator(key, 'W', task, trainer);
    view_put(v, key, sizeof(key), w, (size_t)n * 4);
}

void arena_del_weights(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const uint8_t trainer[PUBKEY_SIZE])
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    arena_key_operator(key, 'W', task, trainer);
    view_del(v, key, sizeof(key));
}

bool arena_get_losses(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      const uint8_t validator[PUBKEY_SIZE], const uint8_t **losses, uint32_t *n)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    const uint8_t *val;
    size_t len;
    arena_key_operator(key, 'Z', task, validator);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return false;
    if (!arena_losses_decode(losses, n, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void arena_put_losses(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                      const uint8_t validator[PUBKEY_SIZE], const uint8_t *losses, uint32_t n)
{
    uint8_t key[ARENA_KEY_OP_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    arena_key_operator(key, 'Z', task, validator);
    arena_losses_encode(losses, n, &w);
    put_record(v, key, sizeof(key), &w);
}

bool arena_get_chunk(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], uint8_t set,
                     uint16_t chunk, const uint8_t **data, size_t *len)
{
    uint8_t key[ARENA_KEY_CHUNK_SIZE];
    arena_key_chunk(key, task, set, chunk);
    return view_get(v, key, sizeof(key), data, len);
}

void arena_put_chunk(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], uint8_t set,
                     uint16_t chunk, const uint8_t *data, size_t len)
{
    uint8_t key[ARENA_KEY_CHUNK_SIZE];
    arena_key_chunk(key, task, set, chunk);
    view_put(v, key, sizeof(key), data, len);
}

void arena_del_chunk(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE], uint8_t set,
                     uint16_t chunk)
{
    uint8_t key[ARENA_KEY_CHUNK_SIZE];
    arena_key_chunk(key, task, set, chunk);
    view_del(v, key, sizeof(key));
}

bool arena_get_results(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       struct arena_results *out)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    arena_key_task(key, 'R', task);
    GET_RECORD(v, key, arena_results_decode, out);
}

void arena_put_results(struct view *v, const uint8_t task[ARENA_TASK_ID_SIZE],
                       const struct arena_results *r)
{
    uint8_t key[ARENA_KEY_TASK_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    arena_key_task(key, 'R', task);
    arena_results_encode(r, &w);
    put_record(v, key, sizeof(key), &w);
}

bool arena_get_slash_height(struct view *v, const uint8_t addr[PUBKEY_SIZE], uint64_t *h)
{
    uint8_t key[ARENA_KEY_SLASH_SIZE];
    const uint8_t *val;
    size_t len;
    *h = 0;
    arena_key_slash(key, addr);
    if (!view_get(v, key, sizeof(key), &val, &len))
        return !view_failed(v);
    if (!arena_slash_height_decode(h, val, len)) {
        view_set_failed(v);
        return false;
    }
    return true;
}

void arena_put_slash_height(struct view *v, const uint8_t addr[PUBKEY_SIZE], uint64_t h)
{
    uint8_t key[ARENA_KEY_SLASH_SIZE];
    struct wbuf w;
    wbuf_init(&w);
    arena_key_slash(key, addr);
    arena_slash_height_encode(h, &w);
    put_record(v, key, sizeof(key), &w);
}

/* ---- the Arena pool ---- */

bool arena_get_flows(struct view *v, struct arena_flows *out)
{
    const uint8_t *val;
    size_t len;
    memset(out, 0, sizeof(*out));
    if (!view_get(v, ARENA_FLOWS_KEY, strlen(ARENA_FLOWS_KEY), &val, &len))
        return !view_failed(v);
    if (len != 16) {
        view_set_failed(v);
        return false;
    }
    out->in = read_le64(val);
    out->out = read_le64(val + 8);
    return true;
}

static bool count_flow(struct view *v, uint64_t in, uint64_t out)
{
    struct arena_flows f;
    uint8_t buf[16];
    if (!arena_get_flows(v, &f))
        return false;
    /* Statistics counted modulo 2^64, as gstats: they wrap. */
    f.in += in;
    f.out += out;
    write_le64(buf, f.in);
    write_le64(buf + 8, f.out);
    view_put(v, ARENA_FLOWS_KEY, strlen(ARENA_FLOWS_KEY), buf, sizeof(buf));
    return !view_failed(v);
}

bool arena_pool_add(struct view *v, uint64_t amount, struct validation *val)
{
    uint64_t pool = view_get_u64(v, POOL_ARENA_KEY);
    if (amount == 0)
        return true;
    if (!amount_add(&pool, amount))
        return val_fail(val, VAL_ERROR, REJECT_ARENA_OVERFLOW);
    view_put_u64(v, POOL_ARENA_KEY, pool);
    return count_flow(v, amount, 0) || val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

bool arena_pool_take(struct view *v, uint64_t amount, struct validation *val)
{
    uint64_t pool = view_get_u64(v, POOL_ARENA_KEY);
    if (amount == 0)
        return true;
    if (!amount_sub(&pool, amount))
        return val_fail(val, VAL_ERROR, REJECT_ARENA_POOL_SHORT);
    view_put_u64(v, POOL_ARENA_KEY, pool);
    return count_flow(v, 0, amount) || val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
}

bool arena_burn_supply(struct view *v, uint64_t amount, struct validation *val)
{
    uint64_t supply = view_get_u64(v, SUPPLY_KEY);
    if (amount == 0)
        return true;
    if (amount > supply)
        return val_fail(val, VAL_ERROR, REJECT_SUPPLY_UNDERFLOW);
    view_put_u64(v, SUPPLY_KEY, supply - amount);
    if (!staking_add_stat(v, STAT_BURNED, amount))
        return val_fail(val, VAL_ERROR, REJECT_STATE_READ_ERROR);
    return !view_failed(v) || val_fail(val, VAL_ERROR, REJECT_STATE_WRITE_ERROR);
}

bool arena_pool_burn(struct view *v, uint64_t amount, struct validation *val)
{
    return arena_pool_take(v, amount, val) && arena_burn_supply(v, amount, val);
}

/* ---- funds held ---- */

bool arena_status_held(const struct arena_status *s, uint64_t *out)
{
    *out = s->budget_left;
    return amount_add(out, s->vest_pending);
}

bool arena_operator_held(const struct arena_operator *o, uint64_t *out)
{
    if (o->del_principal_paid > o->del_value || o->d_claimed > o->d_credit)
        return false;
    *out = o->own;
    return amount_add(out, o->del_value - o->del_principal_paid) &&
           amount_add(out, o->d_credit - o->d_claimed);
}
