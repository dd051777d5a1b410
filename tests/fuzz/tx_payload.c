/* Fuzz target: the payload decoder of every transaction type
 * (consensus/accounts.c, stakingtx.c, fltx.c, arena.c, market.c).
 *
 * Input: type u8 | payload.  Properties: a payload that decodes re-encodes
 * to exactly its input, and the type's stateless check agrees with the
 * decoder (a payload that does not decode is refused as bad-txns-payload). */
#include "tests/fuzz/fuzz.h"

#include "consensus/accounts.h"
#include "consensus/arena.h"
#include "consensus/finality.h"
#include "consensus/fltx.h"
#include "consensus/market.h"
#include "consensus/params.h"
#include "consensus/stakingtx.h"
#include "consensus/txtypes.h"

#include <sodium.h>
#include <string.h>

static struct chain_params params;

static void check_same(const struct wbuf *w, const uint8_t *p, size_t n)
{
    FUZZ_CHECK(!w->failed && w->len == n && (n == 0 || memcmp(w->data, p, n) == 0));
}

/* Decodes p as a payload of type; re-encodes what decoded.  Returns whether
 * it decoded. */
static bool roundtrip(uint8_t type, const uint8_t *p, size_t n)
{
    struct wbuf w;
    bool ok = false;
    wbuf_init(&w);
    switch ((enum tx_type)type) {
    case TX_TRANSFER: {
        struct transfer t;
        if ((ok = transfer_decode(&t, p, n)))
            transfer_encode(&t, &w);
        break;
    }
    case TX_VALIDATOR_REGISTER: {
        struct validator_register r;
        if ((ok = validator_register_decode(&r, p, n)))
            validator_register_encode(&r, &w);
        break;
    }
    case TX_STAKE_ADD:
    case TX_UNBOND: {
        uint64_t amount;
        if ((ok = stake_amount_decode(&amount, p, n)))
            stake_amount_encode(amount, &w);
        break;
    }
    case TX_DELEGATE:
    case TX_UNDELEGATE: {
        struct delegation_change d;
        if ((ok = delegation_change_decode(&d, p, n)))
            delegation_change_encode(&d, &w);
        break;
    }
    case TX_EVIDENCE: {
        struct evidence e;
        if ((ok = evidence_decode(&e, p, n)))
            evidence_encode(&e, &w);
        break;
    }
    case TX_UNJAIL:
        ok = n == 0;
        break;
    case TX_VALIDATOR_EDIT: {
        struct validator_edit e;
        if ((ok = validator_edit_decode(&e, p, n)))
            validator_edit_encode(&e, &w);
        break;
    }
    case TX_FL_TASK_CREATE: {
        struct fl_task_params t;
        if ((ok = fl_task_create_decode(&t, p, n)))
            fl_task_params_encode(&t, &w);
        break;
    }
    case TX_FL_JOIN: {
        struct fl_join j;
        if ((ok = fl_join_decode(&j, p, n)))
            fl_join_encode(&j, &w);
        break;
    }
    case TX_FL_UPDATE_COMMIT: {
        struct fl_update_commit c;
        if ((ok = fl_update_commit_decode(&c, p, n)))
            fl_update_commit_encode(&c, &w);
        break;
    }
    case TX_FL_UPDATE_REVEAL: {
        struct fl_update_reveal u;
        if ((ok = fl_update_reveal_decode(&u, p, n)))
            fl_update_reveal_encode(&u, &w);
        break;
    }
    case TX_FL_VOTE_COMMIT: {
        struct fl_vote_commit c;
        if ((ok = fl_vote_commit_decode(&c, p, n)))
            fl_vote_commit_encode(&c, &w);
        break;
    }
    case TX_FL_VOTE_REVEAL: {
        struct fl_vote_reveal r;
        if ((ok = fl_vote_reveal_decode(&r, p, n))) {
            fl_vote_reveal_encode(&r, &w);
            FUZZ_CHECK(r.n * FL_VERDICT_SIZE <= n);
        }
        break;
    }
    case TX_ARENA_TASK_CREATE: {
        struct arena_task_params t;
        if ((ok = arena_task_create_decode(&t, p, n)))
            arena_task_params_encode(&t, &w);
        break;
    }
    case TX_ARENA_STAKE: {
        struct arena_stake s;
        if ((ok = arena_stake_decode(&s, p, n)))
            arena_stake_encode(&s, &w);
        break;
    }
    case TX_ARENA_DELEGATE: {
        struct arena_delegate d;
        if ((ok = arena_delegate_decode(&d, p, n)))
            arena_delegate_encode(&d, &w);
        break;
    }
    case TX_ARENA_UNDELEGATE: {
        struct arena_undelegate u;
        if ((ok = arena_undelegate_decode(&u, p, n)))
            arena_undelegate_encode(&u, &w);
        break;
    }
    case TX_ARENA_SET_SHARE: {
        struct arena_set_share s;
        if ((ok = arena_set_share_decode(&s, p, n)))
            arena_set_share_encode(&s, &w);
        break;
    }
    case TX_ARENA_SUBMIT_COMMIT:
    case TX_ARENA_SCORE_COMMIT: {
        struct arena_commit c;
        if ((ok = arena_commit_decode(&c, p, n)))
            arena_commit_encode(&c, &w);
        break;
    }
    case TX_ARENA_SUBMIT_REVEAL: {
        struct arena_submit_reveal r;
        if ((ok = arena_submit_reveal_decode(&r, p, n)))
            arena_submit_reveal_encode(&r, &w);
        break;
    }
    case TX_ARENA_REVEAL_VALSET: {
        struct arena_reveal_valset r;
        if ((ok = arena_reveal_valset_decode(&r, p, n)))
            arena_reveal_valset_encode(&r, &w);
        break;
    }
    case TX_ARENA_SCORE_REVEAL: {
        struct arena_score_reveal r;
        if ((ok = arena_score_reveal_decode(&r, p, n)))
            arena_score_reveal_encode(&r, &w);
        break;
    }
    case TX_MARKET_PUBLISH: {
        struct market_publish m;
        if ((ok = market_publish_decode(&m, p, n)))
            market_publish_encode(&m, &w);
        break;
    }
    case TX_MARKET_SET_PRICE: {
        struct market_set_price m;
        if ((ok = market_set_price_decode(&m, p, n)))
            market_set_price_encode(&m, &w);
        break;
    }
    case TX_MARKET_PROVIDER_REGISTER: {
        struct market_provider_register m;
        if ((ok = market_provider_register_decode(&m, p, n)))
            market_provider_register_encode(&m, &w);
        break;
    }
    case TX_MARKET_CALL: {
        struct market_call m;
        if ((ok = market_call_decode(&m, p, n)))
            market_call_encode(&m, &w);
        break;
    }
    case TX_MARKET_CLAIM: {
        struct market_claim m;
        if ((ok = market_claim_decode(&m, p, n)))
            market_claim_encode(&m, &w);
        break;
    }
    case TX_FINALITY_VOTE: {
        struct finality_vote fv;
        if ((ok = finality_vote_decode(&fv, p, n)))
            finality_vote_encode(&fv, &w);
        break;
    }
    case TX_FINALITY_EVIDENCE: {
        struct finality_evidence e;
        if ((ok = finality_evidence_decode(&e, p, n))) {
            finality_evidence_encode(&e.a, &e.b, &w);
            finality_evidence_free(&e);
        }
        break;
    }
    }
    if (ok)
        check_same(&w, p, n);
    wbuf_free(&w);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    struct tx tx;
    struct validation v;

    if (!ready) {
        FUZZ_CHECK(sodium_init() >= 0);
        FUZZ_CHECK(params_init(&params, NET_REGTEST));
        ready = true;
    }
    if (size < 1 || size - 1 > TX_MAX_PAYLOAD)
        return 0;
    bool decoded = roundtrip(data[0], data + 1, size - 1);

    tx_init(&tx);
    tx.type = data[0];
    FUZZ_CHECK(tx_set_payload(&tx, data + 1, size - 1));
    val_init(&v);
    if (txtype_check_payload(&tx, &params, &v)) {
        FUZZ_CHECK(decoded);
    } else {
        FUZZ_CHECK(v.reason != NULL);
        if (txtype_name(tx.type) && !decoded)
            FUZZ_CHECK(strcmp(v.reason, "bad-txns-payload") == 0);
    }
    tx_free(&tx);
    return 0;
}
