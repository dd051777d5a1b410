/* The payload of each transaction type as JSON: one function per type and
 * the table tx_payload_json, indexed by enum tx_type (test_txtypes fails when
 * a type has no entry). */
#include "consensus/accounts.h"
#include "consensus/finality.h"
#include "consensus/arena.h"
#include "consensus/fltx.h"
#include "consensus/market.h"
#include "consensus/stakingtx.h"
#include "consensus/txtypes.h"
#include "rpc/util.h"

#include <stdio.h>

static bool json_transfer(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct transfer t;
    if (!transfer_decode(&t, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "to", json_address(p, t.to));
    json_object_set_new(o, "amount", json_amount(t.amount));
    return true;
}

static bool json_validator_register(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct validator_register r;
    if (!validator_register_decode(&r, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "stake", json_amount(r.stake));
    json_object_set_new(o, "commission_bps", json_integer(r.commission_bps));
    json_object_set_new(o, "randao_commit", json_hash(r.randao_commit));
    return true;
}

static bool json_stake_amount(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    uint64_t amount;
    if (!stake_amount_decode(&amount, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "amount", json_amount(amount));
    return true;
}

static bool json_delegation(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct delegation_change d;
    if (!delegation_change_decode(&d, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "validator", json_address(p, d.validator));
    if (tx->type == TX_UNDELEGATE && d.amount == UNDELEGATE_ALL)
        json_object_set_new(o, "amount", json_string("all"));
    else
        json_object_set_new(o, "amount", json_amount(d.amount));
    return true;
}

static bool json_evidence(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct evidence e;
    uint8_t ha[HASH_SIZE], hb[HASH_SIZE];
    if (!evidence_decode(&e, tx->payload, tx->payload_len))
        return false;
    header_hash(&e.a, ha);
    header_hash(&e.b, hb);
    json_object_set_new(o, "proposer", json_address(p, e.a.proposer));
    json_object_set_new(o, "slot", json_integer((json_int_t)e.a.slot));
    json_object_set_new(o, "block_a", json_hash(ha));
    json_object_set_new(o, "block_b", json_hash(hb));
    return true;
}

static bool json_unjail(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    (void)o;
    return tx->payload_len == 0;
}

static bool json_validator_edit(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct validator_edit e;
    if (!validator_edit_decode(&e, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "commission_bps", json_integer(e.commission_bps));
    /* A description the stateless check refuses shows as hex. */
    if (validator_description_valid(e.description, e.description_len)) {
        json_object_set_new(o, "description",
                            json_stringn((const char *)e.description, e.description_len));
    } else {
        char hex[2 * VALIDATOR_DESCRIPTION_MAX + 1];
        for (size_t i = 0; i < e.description_len; i++)
            snprintf(hex + 2 * i, 3, "%02x", e.description[i]);
        hex[2 * e.description_len] = '\0';
        json_object_set_new(o, "description_hex", json_string(hex));
    }
    return true;
}

static bool json_finality_vote(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct finality_vote fv;
    (void)p;
    if (!finality_vote_decode(&fv, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "source_epoch", json_integer((json_int_t)fv.source.epoch));
    json_object_set_new(o, "source", json_hash(fv.source.hash));
    json_object_set_new(o, "target_epoch", json_integer((json_int_t)fv.target.epoch));
    json_object_set_new(o, "target", json_hash(fv.target.hash));
    return true;
}

static bool json_finality_evidence(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct finality_evidence e;
    if (!finality_evidence_decode(&e, tx->payload, tx->payload_len))
        return false;
    const struct tx *votes[2] = {&e.a, &e.b};
    json_object_set_new(o, "voter", json_address(p, e.a.sender));
    for (int i = 0; i < 2; i++) {
        uint8_t id[HASH_SIZE];
        json_t *v = json_object();
        tx_txid(votes[i], id);
        json_object_set_new(v, "txid", json_hash(id));
        if (votes[i]->type != TX_FINALITY_VOTE || !json_finality_vote(p, votes[i], v))
            json_object_set_new(v, "hex", json_hex(votes[i]->payload, votes[i]->payload_len));
        json_object_set_new(o, i == 0 ? "vote_a" : "vote_b", v);
    }
    finality_evidence_free(&e);
    return true;
}

static bool json_fl_task_create(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct fl_task_params t;
    uint8_t id[HASH_SIZE];
    if (!fl_task_create_decode(&t, tx->payload, tx->payload_len))
        return false;
    tx_txid(tx, id);
    json_object_set_new(o, "task", json_hash(id));
    const char *kind = fl_model_kind_name(t.spec.kind);
    json_object_set_new(o, "model", kind ? json_string(kind) : json_integer(t.spec.kind));
    json_t *sizes = json_array();
    for (uint32_t i = 0; i < t.spec.n_sizes; i++)
        json_array_append_new(sizes, json_integer(t.spec.sizes[i]));
    json_object_set_new(o, "sizes", sizes);
    json_object_set_new(o, "normalized_inputs", json_integer(t.spec.n_norm));
    json_object_set_new(o, "initial_weights", json_integer((json_int_t)t.n_init));
    json_object_set_new(o, "rounds", json_integer(t.rounds));
    json_object_set_new(o, "min_participants", json_integer(t.min_participants));
    json_object_set_new(o, "max_participants", json_integer(t.max_participants));
    json_object_set_new(o, "min_stake", json_amount(t.min_stake));
    json_object_set_new(o, "proposer_slots", json_integer(t.proposer_slots));
    json_object_set_new(o, "join_blocks", json_integer(t.join_blocks));
    json_object_set_new(o, "submit_blocks", json_integer(t.submit_blocks));
    json_object_set_new(o, "update_reveal_blocks", json_integer(t.update_reveal_blocks));
    json_object_set_new(o, "commit_blocks", json_integer(t.commit_blocks));
    json_object_set_new(o, "reveal_blocks", json_integer(t.reveal_blocks));
    const char *agg = fl_aggregator_name(t.aggregator);
    json_object_set_new(o, "aggregator", agg ? json_string(agg) : json_integer(t.aggregator));
    json_object_set_new(o, "trim_k", json_integer(t.trim_k));
    json_object_set_new(o, "slash_bps", json_integer(t.slash_bps));
    json_object_set_new(o, "voter_reward_bps", json_integer(t.voter_reward_bps));
    json_object_set_new(o, "budget", json_amount(t.budget));
    json_t *allow = json_array();
    for (uint64_t i = 0; i < t.n_allow; i++)
        json_array_append_new(allow, json_address(p, t.allow + i * PUBKEY_SIZE));
    json_object_set_new(o, "allowlist", allow);
    return true;
}

static bool json_fl_join(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct fl_join j;
    if (!fl_join_decode(&j, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "task", json_hash(j.task));
    json_object_set_new(o, "stake", json_amount(j.stake));
    return true;
}

static bool json_fl_update_commit(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct fl_update_commit c;
    if (!fl_update_commit_decode(&c, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "task", json_hash(c.task));
    json_object_set_new(o, "round", json_integer(c.round));
    json_object_set_new(o, "commitment", json_hash(c.commitment));
    return true;
}

static bool json_fl_update_reveal(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct fl_update_reveal u;
    uint8_t h[HASH_SIZE];
    if (!fl_update_reveal_decode(&u, tx->payload, tx->payload_len))
        return false;
    fl_model_hash(h, u.weights, (size_t)u.n);
    json_object_set_new(o, "task", json_hash(u.task));
    json_object_set_new(o, "round", json_integer(u.round));
    json_object_set_new(o, "salt", json_hash(u.salt));
    json_object_set_new(o, "weights", json_integer((json_int_t)u.n));
    json_object_set_new(o, "model_hash", json_hash(h));
    return true;
}

static bool json_fl_vote_commit(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct fl_vote_commit c;
    if (!fl_vote_commit_decode(&c, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "task", json_hash(c.task));
    json_object_set_new(o, "round", json_integer(c.round));
    json_object_set_new(o, "commitment", json_hash(c.commitment));
    return true;
}

static bool json_fl_vote_reveal(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct fl_vote_reveal r;
    if (!fl_vote_reveal_decode(&r, tx->payload, tx->payload_len))
        return false;
    json_t *verdicts = json_array();
    for (uint64_t i = 0; i < r.n; i++) {
        json_t *x = json_object();
        int32_t m = (int32_t)read_le32(r.verdicts + 5 * i + 1);
        char metric[FL_Q16_DEC_MAX];
        fl_q16_format(m, metric);
        json_object_set_new(x, "verdict", json_integer((int8_t)r.verdicts[5 * i]));
        json_object_set_new(x, "metric", json_string(metric));
        json_object_set_new(x, "metric_q16", json_integer(m));
        json_array_append_new(verdicts, x);
    }
    json_object_set_new(o, "task", json_hash(r.task));
    json_object_set_new(o, "round", json_integer(r.round));
    json_object_set_new(o, "salt", json_hash(r.salt));
    json_object_set_new(o, "verdicts", verdicts);
    return true;
}

/* ---- arena ---- */

static json_t *arena_loss_text(uint32_t l)
{
    char buf[40];
    uint64_t frac = (uint64_t)(l & 0xFFFFu) * UINT64_C(152587890625); /* x 10^16 / 2^16 */
    int n = snprintf(buf, sizeof(buf), "%u.%016llu", l >> 16, (unsigned long long)frac);
    while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
        buf[--n] = '\0';
    return json_string(buf);
}

static bool json_arena_task_create(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct arena_task_params t;
    uint8_t id[HASH_SIZE];
    if (!arena_task_create_decode(&t, tx->payload, tx->payload_len))
        return false;
    tx_txid(tx, id);
    json_object_set_new(o, "task", json_hash(id));
    const char *kind = fl_model_kind_name(t.spec.kind), *loss = arena_loss_name(t.loss);
    json_object_set_new(o, "model", kind ? json_string(kind) : json_integer(t.spec.kind));
    json_t *sizes = json_array(), *sets = json_array();
    for (uint32_t i = 0; i < t.spec.n_sizes; i++)
        json_array_append_new(sizes, json_integer(t.spec.sizes[i]));
    json_object_set_new(o, "sizes", sizes);
    json_object_set_new(o, "normalized_inputs", json_integer(t.spec.n_norm));
    json_object_set_new(o, "loss", loss ? json_string(loss) : json_integer(t.loss));
    json_object_set_new(o, "data_hash", json_hash(t.data_hash));
    json_object_set_new(o, "uri", json_string(t.uri));
    for (uint8_t k = 0; k < t.k; k++) {
        json_t *s = json_object();
        json_object_set_new(s, "root", json_hash(t.sets[k].root));
        json_object_set_new(s, "n_chunks", json_integer(t.sets[k].n_chunks));
        json_object_set_new(s, "n_rows", json_integer(t.sets[k].n_rows));
        json_array_append_new(sets, s);
    }
    json_object_set_new(o, "sets", sets);
    json_object_set_new(o, "submit_blocks", json_integer(t.submit_blocks));
    json_object_set_new(o, "reveal_blocks", json_integer(t.reveal_blocks));
    json_object_set_new(o, "score_commit_blocks", json_integer(t.score_commit_blocks));
    json_object_set_new(o, "score_reveal_blocks", json_integer(t.score_reveal_blocks));
    json_object_set_new(o, "budget", json_amount(t.budget));
    json_object_set_new(o, "gamma_bps", json_integer(t.gamma_bps));
    json_object_set_new(o, "q_bps", json_integer(t.q_bps));
    json_object_set_new(o, "delta_bps", json_integer(t.delta_bps));
    json_object_set_new(o, "D_bps", json_integer(t.d_bps));
    json_object_set_new(o, "epsilon", json_integer(t.epsilon));
    json_object_set_new(o, "vest_epochs", json_integer(t.vest_epochs));
    json_object_set_new(o, "draws_per_set", json_integer(t.draws_per_set));
    json_object_set_new(o, "max_trainers", json_integer(t.max_trainers));
    json_object_set_new(o, "max_validators", json_integer(t.max_validators));
    json_object_set_new(o, "trainer_min_stake", json_amount(t.trainer_min_stake));
    json_object_set_new(o, "validator_min_stake", json_amount(t.validator_min_stake));
    json_object_set_new(o, "slash_bps", json_integer(t.slash_bps));
    return true;
}

static bool json_arena_stake(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct arena_stake s;
    if (!arena_stake_decode(&s, tx->payload, tx->payload_len))
        return false;
    const char *role = arena_role_name(s.role);
    json_object_set_new(o, "task", json_hash(s.task));
    json_object_set_new(o, "role", role ? json_string(role) : json_integer(s.role));
    json_object_set_new(o, "amount", json_amount(s.amount));
    return true;
}

static bool json_arena_delegate(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct arena_delegate d;
    if (!arena_delegate_decode(&d, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "task", json_hash(d.task));
    json_object_set_new(o, "operator", json_address(p, d.op));
    json_object_set_new(o, "amount", json_amount(d.amount));
    return true;
}

static bool json_arena_undelegate(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct arena_undelegate u;
    if (!arena_undelegate_decode(&u, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "task", json_hash(u.task));
    json_object_set_new(o, "operator", json_address(p, u.op));
    return true;
}

static bool json_arena_set_share(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct arena_set_share s;
    if (!arena_set_share_decode(&s, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "task", json_hash(s.task));
    json_object_set_new(o, "sigma_bps", json_integer(s.sigma_bps));
    return true;
}

static bool json_arena_commit(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct arena_commit c;
    if (!arena_commit_decode(&c, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "task", json_hash(c.task));
    json_object_set_new(o, "commitment", json_hash(c.commitment));
    return true;
}

static bool json_arena_submit_reveal(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct arena_submit_reveal r;
    uint8_t h[HASH_SIZE];
    if (!arena_submit_reveal_decode(&r, tx->payload, tx->payload_len))
        return false;
    fl_model_hash(h, r.weights, (size_t)r.n);
    json_object_set_new(o, "task", json_hash(r.task));
    json_object_set_new(o, "salt", json_hash(r.salt));
    json_object_set_new(o, "weights", json_integer((json_int_t)r.n));
    json_object_set_new(o, "model_hash", json_hash(h));
    return true;
}

static bool json_arena_reveal_valset(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct arena_reveal_valset r;
    if (!arena_reveal_valset_decode(&r, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "task", json_hash(r.task));
    json_object_set_new(o, "set", json_integer(r.set));
    json_object_set_new(o, "chunk", json_integer(r.chunk));
    json_object_set_new(o, "salt", json_hash(r.salt));
    json_object_set_new(o, "path_length", json_integer(r.npath));
    json_object_set_new(o, "bytes", json_integer(r.len));
    return true;
}

static bool json_arena_score_reveal(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct arena_score_reveal r;
    if (!arena_score_reveal_decode(&r, tx->payload, tx->payload_len))
        return false;
    json_t *raw = json_array(), *dec = json_array();
    for (uint32_t i = 0; i < r.n; i++) {
        uint32_t l = read_le32(r.losses + 4 * (size_t)i);
        json_array_append_new(raw, json_integer(l));
        json_array_append_new(dec, arena_loss_text(l));
    }
    json_object_set_new(o, "task", json_hash(r.task));
    json_object_set_new(o, "salt", json_hash(r.salt));
    json_object_set_new(o, "losses_raw", raw);
    json_object_set_new(o, "losses", dec);
    return true;
}

/* ---- market ---- */

static json_t *name_or_int(const char *name, unsigned v)
{
    return name ? json_string(name) : json_integer(v);
}

/* A name or an endpoint: text when it is valid UTF-8 (the stateless check
 * wants printable ASCII), else its bytes as hex. */
static json_t *text_json(const char *s, size_t n)
{
    json_t *t = json_stringn(s, n);
    return t ? t : json_hex((const uint8_t *)s, n);
}

static json_t *split_json(const struct market_split *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "creator_bps", json_integer(s->creator_bps));
    json_object_set_new(o, "data_bps", json_integer(s->data_bps));
    json_object_set_new(o, "provider_bps", json_integer(s->provider_bps));
    return o;
}

static bool json_market_publish(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct market_publish m;
    uint8_t id[HASH_SIZE];
    if (!market_publish_decode(&m, tx->payload, tx->payload_len))
        return false;
    tx_txid(tx, id);
    json_object_set_new(o, "model", json_hash(id));
    json_object_set_new(o, "name", text_json(m.name, m.name_len));
    json_object_set_new(o, "source", name_or_int(market_source_name(m.source), m.source));
    if (m.source == MARKET_SOURCE_FL || m.source == MARKET_SOURCE_ARENA)
        json_object_set_new(o, "source_id", json_hash(m.source_id));
    if (m.source == MARKET_SOURCE_UPLOAD) {
        uint8_t h[HASH_SIZE];
        json_t *sizes = json_array();
        for (uint32_t i = 0; i < m.spec.n_sizes; i++)
            json_array_append_new(sizes, json_integer(m.spec.sizes[i]));
        json_object_set_new(o, "kind", name_or_int(fl_model_kind_name(m.spec.kind), m.spec.kind));
        json_object_set_new(o, "sizes", sizes);
        json_object_set_new(o, "normalized_inputs", json_integer(m.spec.n_norm));
        json_object_set_new(o, "weights", json_integer((json_int_t)m.n_weights));
        fl_model_hash(h, m.weights, (size_t)m.n_weights);
        json_object_set_new(o, "model_hash", json_hash(h));
    }
    json_object_set_new(o, "base_price", json_amount(m.base_price));
    json_object_set_new(o, "target", json_integer(m.target));
    json_object_set_new(o, "split", split_json(&m.split));
    json_object_set_new(o, "mode", name_or_int(market_mode_name(m.mode), m.mode));
    json_t *comps = json_array();
    for (uint8_t i = 0; i < m.n_components; i++)
        json_array_append_new(comps, json_hash(m.components[i]));
    json_object_set_new(o, "components", comps);
    return true;
}

static bool json_market_set_price(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct market_set_price m;
    if (!market_set_price_decode(&m, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "model", json_hash(m.model));
    json_object_set_new(o, "base_price", json_amount(m.base_price));
    json_object_set_new(o, "target", json_integer(m.target));
    return true;
}

static bool json_market_provider_register(const struct chain_params *p, const struct tx *tx,
                                          json_t *o)
{
    (void)p;
    struct market_provider_register r;
    if (!market_provider_register_decode(&r, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "stake", json_amount(r.stake));
    json_object_set_new(o, "endpoint", text_json(r.endpoint, r.endpoint_len));
    return true;
}

static bool json_market_call(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    struct market_call c;
    if (!market_call_decode(&c, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "model", json_hash(c.model));
    json_object_set_new(o, "provider", json_address(p, c.provider));
    json_object_set_new(o, "calls", json_integer(c.calls));
    json_object_set_new(o, "max_price", json_amount(c.max_price));
    return true;
}

static bool json_market_claim(const struct chain_params *p, const struct tx *tx, json_t *o)
{
    (void)p;
    struct market_claim c;
    if (!market_claim_decode(&c, tx->payload, tx->payload_len))
        return false;
    json_object_set_new(o, "model", json_hash(c.model));
    return true;
}

const tx_json_fn tx_payload_json[TX_TYPE_LIMIT] = {
    /* accounts */
    [TX_TRANSFER] = json_transfer,
    /* staking */
    [TX_VALIDATOR_REGISTER] = json_validator_register,
    [TX_STAKE_ADD] = json_stake_amount,
    [TX_UNBOND] = json_stake_amount,
    [TX_DELEGATE] = json_delegation,
    [TX_UNDELEGATE] = json_delegation,
    [TX_EVIDENCE] = json_evidence,
    [TX_UNJAIL] = json_unjail,
    [TX_VALIDATOR_EDIT] = json_validator_edit,
    /* fl */
    [TX_FL_TASK_CREATE] = json_fl_task_create,
    [TX_FL_JOIN] = json_fl_join,
    [TX_FL_UPDATE_COMMIT] = json_fl_update_commit,
    [TX_FL_VOTE_COMMIT] = json_fl_vote_commit,
    [TX_FL_VOTE_REVEAL] = json_fl_vote_reveal,
    [TX_FL_UPDATE_REVEAL] = json_fl_update_reveal,
    /* arena */
    [TX_ARENA_TASK_CREATE] = json_arena_task_create,
    [TX_ARENA_STAKE] = json_arena_stake,
    [TX_ARENA_DELEGATE] = json_arena_delegate,
    [TX_ARENA_UNDELEGATE] = json_arena_undelegate,
    [TX_ARENA_SET_SHARE] = json_arena_set_share,
    [TX_ARENA_SUBMIT_COMMIT] = json_arena_commit,
    [TX_ARENA_SUBMIT_REVEAL] = json_arena_submit_reveal,
    [TX_ARENA_REVEAL_VALSET] = json_arena_reveal_valset,
    [TX_ARENA_SCORE_COMMIT] = json_arena_commit,
    [TX_ARENA_SCORE_REVEAL] = json_arena_score_reveal,
    /* market */
    [TX_MARKET_PUBLISH] = json_market_publish,
    [TX_MARKET_SET_PRICE] = json_market_set_price,
    [TX_MARKET_PROVIDER_REGISTER] = json_market_provider_register,
    [TX_MARKET_CALL] = json_market_call,
    [TX_MARKET_CLAIM] = json_market_claim,
    /* finality */
    [TX_FINALITY_VOTE] = json_finality_vote,
    [TX_FINALITY_EVIDENCE] = json_finality_evidence,
};

json_t *tx_payload_to_json(const struct chain_params *p, const struct tx *tx)
{
    json_t *o = json_object();
    if (txtype_get(tx->type) && tx_payload_json[tx->type] && tx_payload_json[tx->type](p, tx, o))
        return o;
    json_object_clear(o);
    json_object_set_new(o, "hex", json_hex(tx->payload, tx->payload_len));
    return o;
}

void tx_payload_write_json(struct rpc_out *o, const struct chain_params *p, const struct tx *tx,
                           struct rpc_addr_cache *cache)
{
    /* Transfers, nearly all of a big block, are written directly; the rare
     * other types go through their tree (same bytes either way). */
    if (tx->type == TX_TRANSFER) {
        struct transfer t;
        if (transfer_decode(&t, tx->payload, tx->payload_len)) {
            rpc_out_str(o, "{\"to\":");
            rpc_out_address(o, p, t.to, cache);
            rpc_out_str(o, ",\"amount\":");
            rpc_out_amount(o, t.amount);
            rpc_out_ch(o, '}');
            return;
        }
    }
    json_t *v = tx_payload_to_json(p, tx);
    rpc_out_value(o, v);
    json_decref(v);
}
