/* The payload of each transaction type as JSON (switch over enum tx_type, no
 * default: a new type must say how it shows). */
#include "consensus/accounts.h"
#include "consensus/stakingtx.h"
#include "rpc/util.h"

json_t *tx_payload_to_json(const struct chain_params *p, const struct tx *tx)
{
    json_t *o = json_object();
    switch ((enum tx_type)tx->type) {
    case TX_TRANSFER: {
        struct transfer t;
        if (!transfer_decode(&t, tx->payload, tx->payload_len))
            break;
        json_object_set_new(o, "to", json_address(p, t.to));
        json_object_set_new(o, "amount", json_amount(t.amount));
        return o;
    }
    case TX_VALIDATOR_REGISTER: {
        struct validator_register r;
        if (!validator_register_decode(&r, tx->payload, tx->payload_len))
            break;
        json_object_set_new(o, "stake", json_amount(r.stake));
        json_object_set_new(o, "commission_bps", json_integer(r.commission_bps));
        json_object_set_new(o, "randao_commit", json_hash(r.randao_commit));
        return o;
    }
    case TX_STAKE_ADD:
    case TX_UNBOND: {
        uint64_t amount;
        if (!stake_amount_decode(&amount, tx->payload, tx->payload_len))
            break;
        json_object_set_new(o, "amount", json_amount(amount));
        return o;
    }
    case TX_DELEGATE:
    case TX_UNDELEGATE: {
        struct delegation_change d;
        if (!delegation_change_decode(&d, tx->payload, tx->payload_len))
            break;
        json_object_set_new(o, "validator", json_address(p, d.validator));
        if (tx->type == TX_UNDELEGATE && d.amount == UNDELEGATE_ALL)
            json_object_set_new(o, "amount", json_string("all"));
        else
            json_object_set_new(o, "amount", json_amount(d.amount));
        return o;
    }
    case TX_EVIDENCE: {
        struct evidence e;
        uint8_t ha[HASH_SIZE], hb[HASH_SIZE];
        if (!evidence_decode(&e, tx->payload, tx->payload_len))
            break;
        header_hash(&e.a, ha);
        header_hash(&e.b, hb);
        json_object_set_new(o, "proposer", json_address(p, e.a.proposer));
        json_object_set_new(o, "slot", json_integer((json_int_t)e.a.slot));
        json_object_set_new(o, "block_a", json_hash(ha));
        json_object_set_new(o, "block_b", json_hash(hb));
        return o;
    }
    }
    json_object_set_new(o, "hex", json_hex(tx->payload, tx->payload_len));
    return o;
}
