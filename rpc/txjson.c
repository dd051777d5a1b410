/* The payload of each transaction type as JSON (switch over enum tx_type, no
 * default: a new type must say how it shows). */
#include "consensus/accounts.h"
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
    }
    json_object_set_new(o, "hex", json_hex(tx->payload, tx->payload_len));
    return o;
}
