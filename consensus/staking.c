/* Validator records, leader schedule and RANDAO (see staking.h). */
#include "consensus/staking.h"
#include "consensus/amount.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void validator_key(uint8_t key[VALIDATOR_KEY_SIZE], const uint8_t pub[PUBKEY_SIZE])
{
    key[0] = 'v';
    memcpy(key + 1, pub, PUBKEY_SIZE);
}

void validator_encode(const struct validator *val, struct wbuf *w)
{
    put_u64(w, val->self_stake);
    put_u64(w, val->delegated);
    put_u64(w, val->shares);
    put_u16(w, val->commission_bps);
    put_u8(w, val->status);
    put_bytes(w, val->randao_commit, HASH_SIZE);
    put_u64(w, val->reveals);
    put_u64(w, val->registered_height);
    put_u64(w, (uint64_t)val->acc);
    put_u64(w, (uint64_t)(val->acc >> 64));
    put_u64(w, val->carry);
    put_u64(w, val->bank);
    put_u64(w, val->earned);
    put_u64(w, val->jailed_until);
    put_u64(w, val->commission_epoch);
    put_u16(w, val->commission_base);
    put_varbytes(w, val->description, val->description_len);
}

bool validator_decode(struct validator *val, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t lo, hi;
    rbuf_init(&r, data, len);
    if (!get_u64(&r, &val->self_stake) || !get_u64(&r, &val->delegated) ||
        !get_u64(&r, &val->shares) || !get_u16(&r, &val->commission_bps) ||
        !get_u8(&r, &val->status) || !get_bytes(&r, val->randao_commit, HASH_SIZE) ||
        !get_u64(&r, &val->reveals) || !get_u64(&r, &val->registered_height) ||
        !get_u64(&r, &lo) || !get_u64(&r, &hi) || !get_u64(&r, &val->carry) ||
        !get_u64(&r, &val->bank) || !get_u64(&r, &val->earned) ||
        !get_u64(&r, &val->jailed_until) || !get_u64(&r, &val->commission_epoch) ||
        !get_u16(&r, &val->commission_base))
        return false;
    const uint8_t *desc;
    size_t dlen;
    if (!get_varbytes(&r, &desc, &dlen, VALIDATOR_DESCRIPTION_MAX))
        return false;
    memcpy(val->description, desc, dlen);
    val->description_len = (uint8_t)dlen;
    val->acc = (unsigned __int128)hi << 64 | lo;
    return rbuf_done(&r) && val->status <= VALIDATOR_DOWNTIME;
}

uint16_t validator_commission_at(const struct validator *val, uint64_t epoch)
{
    return epoch == val->commission_epoch ? val->commission_base : val->commission_bps;
}

bool validator_description_valid(const uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = d[i];
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return false;
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            len = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, cp = c & 0x07;
        else
            return false;
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((d[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (d[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            return false;
        i += len;
    }
    return true;
}

void liveness_key(uint8_t key[LIVENESS_KEY_SIZE], uint64_t epoch, const uint8_t pub[PUBKEY_SIZE])
{
    key[0] = 'J';
    write_be64(key + 1, epoch);
    memcpy(key + 9, pub, PUBKEY_SIZE);
}

void liveness_encode(const struct liveness *l, struct wbuf *w)
{
    put_u32(w, l->led);
    put_u32(w, l->missed);
}

bool liveness_decode(struct liveness *l, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_u32(&r, &l->led) && get_u32(&r, &l->missed) && rbuf_done(&r) &&
           l->missed <= l->led;
}

bool liveness_over(const struct liveness *l, uint16_t bps, uint32_t min_slots)
{
    return bps != 0 && l->led >= min_slots &&
           (uint64_t)l->missed * 10000 > (uint64_t)l->led * bps;
}

/* The leader draw's target in [0, total) for slot (doc/protocol.md 9.1):
 * x is accepted below the largest multiple of total that fits in 64 bits,
 * so x mod total is uniform.  total must be nonzero. */
static uint64_t leader_target(const struct schedule *s, uint64_t slot)
{
    uint8_t h[HASH_SIZE];
    uint64_t x, limit = UINT64_MAX - (UINT64_MAX % s->total + 1) % s->total;
    for (uint64_t ctr = 0;; ctr++) {
        struct hasher hs;
        hasher_init(&hs, HTAG_LEADER);
        hasher_write(&hs, s->seed, HASH_SIZE);
        hasher_u64(&hs, slot);
        hasher_u64(&hs, ctr);
        hasher_final(&hs, h);
        x = read_le64(h);
        if (x <= limit)
            return x % s->total;
    }
}

uint64_t *schedule_prefix(const struct schedule *s)
{
    uint64_t *prefix = malloc((s->n + 1) * sizeof(*prefix)), sum = 0;
    if (!prefix)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        prefix[i] = sum += s->entries[i].stake;
    return prefix;
}

bool schedule_leader_prefix(const struct schedule *s, const uint64_t *prefix, uint64_t slot,
                            size_t *index)
{
    if (s->n == 0 || s->total == 0)
        return false;
    uint64_t target = leader_target(s, slot);
    /* The first i with prefix[i] > target. */
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (prefix[mid] > target)
            hi = mid;
        else
            lo = mid + 1;
    }
    *index = lo;
    return lo < s->n;
}

void validator_list_encode(const uint8_t (*keys)[PUBKEY_SIZE], size_t n, struct wbuf *w)
{
    put_compact(w, n);
    put_bytes(w, keys, n * PUBKEY_SIZE);
}

bool validator_list_decode(const uint8_t **keys, size_t *n, const uint8_t *data, size_t len,
                           size_t max)
{
    struct rbuf r;
    uint64_t count;
    rbuf_init(&r, data, len);
    if (!get_compact(&r, &count, max) || !get_view(&r, keys, (size_t)count * PUBKEY_SIZE) ||
        !rbuf_done(&r))
        return false;
    for (size_t i = 1; i < count; i++)
        if (memcmp((*keys) + (i - 1) * PUBKEY_SIZE, (*keys) + i * PUBKEY_SIZE, PUBKEY_SIZE) >= 0)
            return false;
    *n = (size_t)count;
    return true;
}

void schedule_key(uint8_t key[2], int which)
{
    key[0] = 'E';
    key[1] = (uint8_t)which;
}

void schedule_init(struct schedule *s)
{
    memset(s, 0, sizeof(*s));
}

void schedule_free(struct schedule *s)
{
    free(s->entries);
    schedule_init(s);
}

void schedule_encode(const struct schedule *s, struct wbuf *w)
{
    put_u64(w, s->epoch);
    put_bytes(w, s->seed, HASH_SIZE);
    put_compact(w, s->n);
    for (size_t i = 0; i < s->n; i++) {
        put_bytes(w, s->entries[i].pubkey, PUBKEY_SIZE);
        put_u64(w, s->entries[i].stake);
    }
}

bool schedule_decode(struct schedule *s, const uint8_t *data, size_t len, size_t max)
{
    struct rbuf r;
    uint64_t n;
    schedule_init(s);
    rbuf_init(&r, data, len);
    /* Each entry takes 40 bytes: bound the count by the input before
     * allocating. */
    if (!get_u64(&r, &s->epoch) || !get_bytes(&r, s->seed, HASH_SIZE) ||
        !get_compact(&r, &n, max) || n > r.left / (PUBKEY_SIZE + 8))
        return false;
    if (n) {
        s->entries = calloc((size_t)n, sizeof(*s->entries));
        if (!s->entries)
            return false;
    }
    s->n = (size_t)n;
    for (size_t i = 0; i < s->n; i++) {
        struct sched_entry *e = &s->entries[i];
        if (!get_bytes(&r, e->pubkey, PUBKEY_SIZE) || !get_u64(&r, &e->stake) || e->stake == 0 ||
            (i > 0 && memcmp(s->entries[i - 1].pubkey, e->pubkey, PUBKEY_SIZE) >= 0) ||
            !amount_add(&s->total, e->stake))
            goto fail;
    }
    if (rbuf_done(&r))
        return true;
fail:
    schedule_free(s);
    return false;
}

bool schedule_leader(const struct schedule *s, uint64_t slot, size_t *index)
{
    if (s->n == 0 || s->total == 0)
        return false;
    uint64_t target = leader_target(s, slot);
    for (size_t i = 0; i < s->n; i++) {
        if (target < s->entries[i].stake) {
            *index = i;
            return true;
        }
        target -= s->entries[i].stake;
    }
    return false; /* unreachable: target < total */
}

bool randao_check(const uint8_t reveal[HASH_SIZE], const uint8_t commit[HASH_SIZE])
{
    uint8_t h[HASH_SIZE];
    hash_tagged(h, HTAG_RANDAO, reveal, HASH_SIZE);
    return memcmp(h, commit, HASH_SIZE) == 0;
}

void randao_mix(uint8_t out[HASH_SIZE], const uint8_t mix[HASH_SIZE], const uint8_t reveal[HASH_SIZE])
{
    uint8_t buf[2 * HASH_SIZE];
    memcpy(buf, mix, HASH_SIZE);
    memcpy(buf + HASH_SIZE, reveal, HASH_SIZE);
    hash_tagged(out, HTAG_MIX, buf, sizeof(buf));
}

void randao_onion(uint8_t out[HASH_SIZE], const uint8_t seed[HASH_SIZE], uint64_t n)
{
    uint8_t cur[HASH_SIZE];
    memcpy(cur, seed, HASH_SIZE);
    for (uint64_t i = 0; i < n; i++)
        hash_tagged(cur, HTAG_RANDAO, cur, HASH_SIZE);
    memcpy(out, cur, HASH_SIZE);
}

void randao_onion_seed(uint8_t out[HASH_SIZE], const uint8_t sec[SECKEY_SIZE], uint64_t generation)
{
    struct hasher h;
    hasher_init(&h, HTAG_RANDAO);
    hasher_write(&h, "onion", 5);
    hasher_write(&h, sec, SECKEY_SIZE);
    hasher_u64(&h, generation);
    hasher_final(&h, out);
    sodium_memzero(&h, sizeof(h));
}

void delegation_encode(const struct delegation *d, struct wbuf *w)
{
    put_u64(w, d->shares);
    put_u64(w, (uint64_t)d->snapshot);
    put_u64(w, (uint64_t)(d->snapshot >> 64));
}

bool delegation_decode(struct delegation *d, const uint8_t *data, size_t len)
{
    struct rbuf r;
    uint64_t lo, hi;
    rbuf_init(&r, data, len);
    if (!get_u64(&r, &d->shares) || !get_u64(&r, &lo) || !get_u64(&r, &hi) || !rbuf_done(&r))
        return false;
    d->snapshot = (unsigned __int128)hi << 64 | lo;
    return d->shares > 0;
}

uint64_t delegation_pending(const struct validator *val, const struct delegation *d)
{
    if (val->acc <= d->snapshot)
        return 0;
    /* shares x (acc - snapshot) is at most the rewards accrued while the
     * delegation held these shares, times 2^64: below 2^57 x 2^64. */
    return (uint64_t)(((unsigned __int128)d->shares * (val->acc - d->snapshot)) >> 64);
}

void reward_split(const struct validator *val, uint64_t reward, struct reward_split *out)
{
    uint64_t commission = mul_div_floor(reward, val->commission_bps, 10000);
    uint64_t rest = reward - commission;
    uint64_t bonded = val->self_stake + val->delegated;
    out->delegators = val->delegated && val->shares && bonded
                          ? mul_div_floor(rest, val->delegated, bonded)
                          : 0;
    out->operator = reward - out->delegators;
}

void validator_accrue(struct validator *val, uint64_t amount)
{
    unsigned __int128 num = ((unsigned __int128)amount << 64) + val->carry;
    val->acc += num / val->shares;
    val->carry = (uint64_t)(num % val->shares);
    val->bank += amount;
}

void unbonding_key(uint8_t key[UNBONDING_COUNT_KEY_SIZE], uint64_t height)
{
    key[0] = 'q';
    write_be64(key + 1, height);
}

void unbonding_entry_key(uint8_t key[UNBONDING_ENTRY_KEY_SIZE], uint64_t height, uint64_t seq)
{
    unbonding_key(key, height);
    write_be64(key + UNBONDING_COUNT_KEY_SIZE, seq);
}

void unbonding_entry_encode(const struct unbonding_entry *e, struct wbuf *w)
{
    put_bytes(w, e->owner, PUBKEY_SIZE);
    put_u64(w, e->amount);
    put_bytes(w, e->validator, PUBKEY_SIZE);
    put_u64(w, e->created_slot);
}

bool unbonding_entry_decode(struct unbonding_entry *e, const uint8_t *data, size_t len)
{
    struct rbuf r;
    memset(e, 0, sizeof(*e));
    if (len != UNBONDING_ENTRY_OLD_SIZE && len != UNBONDING_ENTRY_SIZE)
        return false;
    rbuf_init(&r, data, len);
    if (!get_bytes(&r, e->owner, PUBKEY_SIZE) || !get_u64(&r, &e->amount))
        return false;
    if (len == UNBONDING_ENTRY_SIZE &&
        (!get_bytes(&r, e->validator, PUBKEY_SIZE) || !get_u64(&r, &e->created_slot)))
        return false;
    return rbuf_done(&r);
}

void staking_stats_encode(const struct staking_stats *st, struct wbuf *w)
{
    put_u64(w, st->minted);
    put_u64(w, st->fees);
    put_u64(w, st->paid);
    put_u64(w, st->burned);
}

bool staking_stats_decode(struct staking_stats *st, const uint8_t *data, size_t len)
{
    struct rbuf r;
    rbuf_init(&r, data, len);
    return get_u64(&r, &st->minted) && get_u64(&r, &st->fees) && get_u64(&r, &st->paid) &&
           get_u64(&r, &st->burned) && rbuf_done(&r);
}
