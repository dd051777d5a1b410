/* Supply audit (see audit.h). */
#include "state/audit.h"
#include "consensus/accounts.h"
#include "consensus/arena.h"
#include "consensus/emission.h"
#include "consensus/fl.h"
#include "consensus/market.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "state/arena.h"
#include "state/chain.h"
#include "state/fl.h"
#include "state/market.h"
#include "state/staking.h"
#include "state/view.h"

#include <string.h>

struct sums {
    struct supply_audit *a;
    bool ok;
};

static void add(struct sums *s, uint64_t *field, uint64_t v)
{
    unsigned __int128 t = (unsigned __int128)*field + v;
    if (t > UINT64_MAX)
        s->ok = false;
    *field = (uint64_t)t;
}

/* Arena tasks hold their locked budget and pending Reward B; operator
 * records their own stake, their delegations' value not yet paid back and
 * their delegators' credit not yet claimed (state/arena.h). */
static bool visit_arena(struct sums *s, const uint8_t *key, size_t klen, const uint8_t *val,
                        size_t vlen)
{
    struct supply_audit *a = s->a;
    uint64_t held;
    if (klen == ARENA_KEY_TASK_SIZE && key[1] == 'S') {
        struct arena_status st;
        if (!arena_status_decode(&st, val, vlen) || !arena_status_held(&st, &held))
            return s->ok = false;
        add(s, &a->arena_tasks, held);
    } else if (klen == ARENA_KEY_OP_SIZE && key[1] == 'O') {
        struct arena_operator o;
        if (!arena_operator_decode(&o, val, vlen) || !arena_operator_held(&o, &held))
            return s->ok = false;
        add(s, &a->arena_operators, held);
    }
    return true;
}

/* Market providers hold their stakes, models their data providers'
 * accruals not yet claimed. */
static bool visit_market(struct sums *s, const uint8_t *key, size_t klen, const uint8_t *val,
                         size_t vlen)
{
    struct supply_audit *a = s->a;
    if (klen == MARKET_KEY_PROVIDER_SIZE && key[1] == 'P') {
        struct market_provider p;
        if (!market_provider_decode(&p, val, vlen))
            return s->ok = false;
        add(s, &a->market_stakes, p.stake);
    } else if (klen == MARKET_KEY_MODEL_SIZE && key[1] == 'M') {
        struct market_model m;
        if (!market_model_decode(&m, val, vlen))
            return s->ok = false;
        add(s, &a->market_banks, m.bank);
    }
    return true;
}

static bool visit(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct sums *s = arg;
    struct supply_audit *a = s->a;
    switch (key[0]) {
    case ARENA_KEY_PREFIX:
        return visit_arena(s, key, klen, val, vlen);
    case MARKET_KEY_PREFIX:
        return visit_market(s, key, klen, val, vlen);
    case 'a': {
        struct account acct;
        if (klen != ACCOUNT_KEY_SIZE || !account_decode(&acct, val, vlen))
            return s->ok = false;
        add(s, &a->balances, acct.balance);
        a->accounts++;
        break;
    }
    case 'v': {
        struct validator v;
        if (klen != VALIDATOR_KEY_SIZE || !validator_decode(&v, val, vlen))
            return s->ok = false;
        add(s, &a->self_stake, v.self_stake);
        add(s, &a->delegated, v.delegated);
        add(s, &a->banks, v.bank);
        a->validators++;
        break;
    }
    case 'd':
        a->delegations++;
        break;
    case 'q': {
        /* The count keys ('q' | height) hold no funds; the entries do. */
        struct unbonding_entry e;
        if (klen == UNBONDING_COUNT_KEY_SIZE)
            break;
        if (klen != UNBONDING_ENTRY_KEY_SIZE || !unbonding_entry_decode(&e, val, vlen))
            return s->ok = false;
        add(s, &a->unbonding, e.amount);
        break;
    }
    case 'f': {
        /* FL tasks hold their budget_left and slashed_left and their
         * participants' stakes; rewards come out of the task's own funds, so
         * they are no emission and stay out of "paid" (the match from
         * gpool/fl is counted in its flows). */
        struct fl_status st;
        struct fl_participant p;
        uint64_t held;
        if (klen == FL_KEY_TASK_SIZE && key[1] == 'S') {
            if (!fl_status_decode(&st, val, vlen) || !fl_status_held(&st, &held))
                return s->ok = false;
            add(s, &a->fl_pools, held);
        } else if (klen == FL_KEY_PART_SIZE && key[1] == 'P') {
            if (!fl_participant_decode(&p, val, vlen))
                return s->ok = false;
            add(s, &a->fl_stakes, p.stake);
        }
        break;
    }
    default:
        break;
    }
    return true;
}

bool supply_audit(struct chain *c, struct supply_audit *out)
{
    struct sums s = {out, true};
    struct view *view = chain_view(c);
    struct staking_stats st;
    memset(out, 0, sizeof(*out));
    if (!view)
        return false;
    out->supply = view_get_u64(view, SUPPLY_KEY);
    out->fl_pool = view_get_u64(view, POOL_FL_KEY);
    add(&s, &out->pools, out->fl_pool);
    add(&s, &out->pools, view_get_u64(view, POOL_ARENA_KEY));
    out->market_pool = view_get_u64(view, POOL_MARKET_KEY);
    add(&s, &out->pools, out->market_pool);
    struct arena_flows flows;
    struct fl_flows fl;
    struct market_flows mf;
    bool ok = staking_get_stats(view, &st) && arena_get_flows(view, &flows) &&
              fl_get_flows(view, &fl) && market_get_flows(view, &mf) && !view_failed(view);
    view_free(view);
    if (!ok || !chain_scan_state(c, "", 0, visit, &s) || !s.ok)
        return false;
    const struct chain_params *p = chain_params(c);
    for (size_t i = 0; i < p->n_allocs; i++)
        add(&s, &out->genesis, p->allocs[i].amount);
    for (size_t i = 0; i < p->n_validators; i++)
        add(&s, &out->genesis, p->validators[i].stake);
    if (!s.ok)
        return false;
    out->minted = st.minted;
    out->fees = st.fees;
    out->paid = st.paid;
    out->burned = st.burned;
    out->arena_in = flows.in;
    out->arena_out = flows.out;
    out->fl_in = fl.in;
    out->fl_matched = fl.matched;
    out->fl_burned = fl.burned;
    out->market_pool_in = mf.pool_in;
    out->market_mined = mf.mined;
    out->market_pool_burned = mf.pool_burned;
    out->market_call_burned = mf.call_burned;
    out->market_flows_stakes = mf.stakes;
    out->market_flows_banks = mf.banks;
    add(&s, &out->arena, out->arena_tasks);
    add(&s, &out->arena, out->arena_operators);
    if (!s.ok)
        return false;
    unsigned __int128 held = (unsigned __int128)out->balances + out->self_stake + out->delegated +
                             out->banks + out->unbonding + out->pools + out->fl_pools +
                             out->fl_stakes + out->arena + out->market_stakes +
                             out->market_banks;
    /* The Market's running totals of what it holds match its records, and
     * its pool is what came in less what went out. */
    out->market_ok = out->market_stakes == mf.stakes && out->market_banks == mf.banks &&
                     (uint64_t)(mf.pool_in - mf.mined - mf.pool_burned) == out->market_pool;
    out->supply_ok = held == out->supply && out->market_ok;
    /* gstats count modulo 2^64: so do these sums. */
    out->issued_ok = (uint64_t)(out->genesis + out->minted) == (uint64_t)(out->supply + out->burned);
    out->rewards_ok = (uint64_t)(out->minted + out->fees + out->arena_in + out->fl_in) ==
                      (uint64_t)(out->paid + out->pools + out->banks + out->arena_out +
                                 out->fl_matched + out->fl_burned + out->market_mined +
                                 out->market_pool_burned);
    return true;
}
