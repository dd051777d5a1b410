/* AI Market formulas (see market.h): integer only, every division floors
 * unless said otherwise. */
#include "consensus/market.h"
#include "consensus/amount.h"

#include <string.h>

typedef unsigned __int128 u128;

uint64_t market_macs(const struct fl_spec *s)
{
    /* At most 16 layers of 2^20 x 2^20: below 2^44, no overflow. */
    uint64_t n = 0;
    for (uint32_t i = 1; i < s->n_sizes && i < FL_MAX_SIZES; i++)
        n += (uint64_t)s->sizes[i] * s->sizes[i - 1];
    return n;
}

/* floor(a x mult / (1000 x 2^32)) with a < 2^128, mult < 2^64, exactly (a
 * 192-bit product); false when it does not fit in u64. */
static bool scale_price(u128 a, uint64_t mult, uint64_t *out)
{
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64);
    u128 lo = (u128)al * mult;
    /* a x mult = mid x 2^64 + (uint64_t)lo; mid < 2^128 (see the header). */
    u128 mid = (lo >> 64) + (u128)ah * mult;
    if (mid >> 96)
        return false; /* >= 2^160 / (1000 x 2^32) > 2^64 */
    /* floor(x / 2^32) then floor(/ 1000): nested floors are one floor. */
    u128 q = (mid << 32) | ((uint64_t)lo >> 32);
    q /= 1000;
    if (q >> 64)
        return false;
    *out = (uint64_t)q;
    return true;
}

bool market_own_price(uint64_t base, uint64_t macs, uint64_t fee_per_kmac, uint64_t mult,
                      uint64_t *own, uint64_t *complexity)
{
    u128 b = (u128)base * 1000;          /* < 2^74 */
    u128 c = (u128)macs * fee_per_kmac;  /* < 2^128 */
    if (c > ~(u128)0 - b)
        return false;
    uint64_t o, x;
    if (!scale_price(b + c, mult, &o) || !scale_price(c, mult, &x))
        return false;
    *own = o;
    *complexity = x; /* c <= b + c, so x <= o */
    return true;
}

static uint64_t mult_cap(uint32_t cap)
{
    u128 m = (u128)(cap ? cap : 1) * MARKET_MULT_ONE;
    return m >> 64 ? UINT64_MAX : (uint64_t)m;
}

uint64_t market_mult_next(uint64_t mult, uint64_t u, uint32_t t, uint32_t cap)
{
    if (t == 0)
        t = 1;
    /* u above 2^63 moves any multiplier >= 2^20 past every cap (<= 2^32 x
     * 2^32 / 2^28): bounding it keeps mult x (7t + u) below 2^128. */
    if (u > (UINT64_C(1) << 63))
        u = UINT64_C(1) << 63;
    u128 num = (u128)mult * ((u128)7 * t + u);
    u128 next = num / ((u128)8 * t);
    uint64_t hi = mult_cap(cap);
    if (next > hi)
        return hi;
    if (next < MARKET_MULT_ONE)
        return MARKET_MULT_ONE;
    return (uint64_t)next;
}

uint64_t market_mult_decay(uint64_t mult, uint64_t blocks, uint32_t cap)
{
    /* With u = 0 a step is floor(mult x 7 / 8) (7t / 8t), clamped: strictly
     * decreasing above the floor, so at most ~84 steps from a cap of 2^16
     * (at most ~170 from any u64) before the floor ends the loop. */
    for (uint64_t i = 0; i < blocks; i++) {
        uint64_t next = market_mult_next(mult, 0, 1, cap);
        if (next == mult)
            break;
        mult = next;
        if (mult == MARKET_MULT_ONE)
            break;
    }
    return mult;
}

void market_pay_split(uint64_t gross, uint64_t complexity_gross, const struct market_split *s,
                      uint16_t burn_bps, struct market_pay *out)
{
    uint64_t keep = burn_bps > 10000 ? 0 : 10000u - burn_bps;
    uint64_t net = mul_div_floor(gross, keep, 10000);
    uint64_t cplx = mul_div_floor(complexity_gross, keep, 10000);
    if (cplx > net)
        cplx = net;
    uint64_t r = net - cplx;
    uint64_t creator = mul_div_floor(r, s->creator_bps, 10000);
    if (creator > r)
        creator = r;
    uint64_t data = mul_div_floor(r, s->data_bps, 10000);
    if (data > r - creator)
        data = r - creator;
    out->gross = gross;
    out->burn = gross - net;
    out->creator = creator;
    out->data = data;
    out->provider = cplx + (r - creator - data);
}

uint64_t market_mined(uint64_t pool, uint64_t e, uint64_t total_e, uint16_t mine_bps)
{
    if (total_e == 0)
        return 0;
    u128 share = (u128)pool * e / total_e;
    uint64_t cap = mul_div_floor(e, mine_bps, 10000);
    return share < cap ? (uint64_t)share : cap;
}

void market_accrue(struct market_model *m, uint64_t amount)
{
    m->bank += amount;
    if (m->data_shares == 0)
        return;
    /* carry < 2^64, so amount x 2^64 + carry < 2^128. */
    u128 num = ((u128)amount << 64) + m->carry;
    m->acc += num / m->data_shares;
    u128 rem = num % m->data_shares;
    /* A remainder only exceeds 2^64 with more than 2^64 shares; it is then
     * cut to 2^64 - 1, which only leaves dust in the bank. */
    m->carry = rem >> 64 ? UINT64_MAX : (uint64_t)rem;
}

uint64_t market_owed(const struct market_model *m, unsigned __int128 shares,
                     unsigned __int128 snapshot)
{
    if (m->acc <= snapshot || shares == 0)
        return 0;
    if ((shares >> 64) && ((m->acc - snapshot) >> 64))
        return UINT64_MAX; /* >= 2^128 x 2^64 / 2^64 */
    u128 d = m->acc - snapshot;
    /* The 256-bit product shares x d as four 64-bit limbs; owed is limb 1
     * (bits 64..127) when limbs 2 and 3 are zero. */
    uint64_t a0 = (uint64_t)shares, a1 = (uint64_t)(shares >> 64);
    uint64_t b0 = (uint64_t)d, b1 = (uint64_t)(d >> 64);
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    u128 high = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + p11;
    if (high != 0)
        return UINT64_MAX;
    return (uint64_t)mid;
}

uint64_t market_pool_cap(uint32_t cap_blocks, uint64_t emission, uint16_t split_market_bps)
{
    u128 cap = (u128)cap_blocks * mul_div_floor(emission, split_market_bps, 10000);
    return cap >> 64 ? UINT64_MAX : (uint64_t)cap;
}

void market_request_hash(uint8_t out[HASH_SIZE], const uint8_t model[HASH_SIZE],
                         const uint8_t provider[PUBKEY_SIZE], uint32_t calls, uint64_t nonce)
{
    uint8_t buf[HASH_SIZE + PUBKEY_SIZE + 4 + 8], *p = buf;
    memcpy(p, model, HASH_SIZE);
    p += HASH_SIZE;
    memcpy(p, provider, PUBKEY_SIZE);
    p += PUBKEY_SIZE;
    write_le32(p, calls);
    p += 4;
    write_le64(p, nonce);
    hash_tagged(out, HTAG_MARKET_REQUEST, buf, sizeof(buf));
}
