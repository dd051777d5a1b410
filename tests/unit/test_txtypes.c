/* Every transaction type has an entry in the table of every layer:
 *
 *   consensus/txtypes.c  txtypes[]          name, owning module, stateless check
 *   state/modules.c      txrules[]          state transition, mempool window
 *   rpc/txjson.c         tx_payload_json[]  payload as JSON
 *   rpc/txbuild.c        tx_payload_build[] payload from JSON (createrawtransaction)
 *   wallet/txkinds.c     wallet_txkinds[]   how the wallet records it
 *
 * The walk covers every byte value: the types are those txtype_known() says
 * (its switch over enum tx_type is what the compiler checks), and a value that
 * is no type must have no entry anywhere.  A failure names each missing
 * entry; doc/modules.md lists the files a new type touches. */
#include "consensus/txtypes.h"
#include "rpc/txbuild.h"
#include "rpc/util.h"
#include "state/arena.h"
#include "state/fl.h"
#include "state/modules.h"
#include "wallet/txkinds.h"

#include "tests/unit/test_util.h"

static bool module_exists(const char *name)
{
    for (size_t i = 0; i < modules_count; i++)
        if (strcmp(modules[i].name, name) == 0)
            return true;
    return false;
}

/* Appends "type N: what" to the report. */
static void missing(char *report, size_t cap, unsigned t, const char *what)
{
    size_t len = strlen(report);
    snprintf(report + len, cap - len, "\n  type %u (%s): %s", t,
             t < TX_TYPE_LIMIT && txtypes[t].name ? txtypes[t].name : "?", what);
}

START_TEST(test_every_type_in_every_table)
{
    char report[8192] = "";
    unsigned ntypes = 0;
    for (unsigned t = 0; t < 256; t++) {
        if (!txtype_known((uint8_t)t)) {
            if (t >= TX_TYPE_LIMIT)
                continue;
            if (txtypes[t].name || txtypes[t].module || txtypes[t].check)
                missing(report, sizeof(report), t, "entry in txtypes[] for a value that is no type");
            if (txrules[t].apply || txrules[t].expiry)
                missing(report, sizeof(report), t, "entry in txrules[] for a value that is no type");
            if (tx_payload_json[t])
                missing(report, sizeof(report), t,
                        "entry in tx_payload_json[] for a value that is no type");
            if (tx_payload_build[t])
                missing(report, sizeof(report), t,
                        "entry in tx_payload_build[] for a value that is no type");
            if (wallet_txkinds[t].kind != WALLET_TXKIND_NONE || wallet_txkinds[t].counterparty)
                missing(report, sizeof(report), t,
                        "entry in wallet_txkinds[] for a value that is no type");
            continue;
        }
        ntypes++;
        if (t >= TX_TYPE_LIMIT) {
            missing(report, sizeof(report), t, "TX_TYPE_LIMIT (consensus/tx.h) is not above it");
            continue;
        }
        if (!txtypes[t].name || !txtypes[t].check)
            missing(report, sizeof(report), t, "no entry in txtypes[] (consensus/txtypes.c)");
        /* 8: ARENA_TASK_CREATE, which queues up to 55 events (bench/bench_arena_tx). */
        if (txtypes[t].block_units < 1 || txtypes[t].block_units > 8)
            missing(report, sizeof(report), t,
                    "no block_units (1 to 8) in txtypes[] (consensus/txtypes.c, measured by "
                    "bench/bench_staking, bench/bench_arena_tx)");
        if (!txtypes[t].module || !module_exists(txtypes[t].module))
            missing(report, sizeof(report), t,
                    "its module in txtypes[] is not in modules[] (state/modules.c)");
        if (!txrules[t].apply)
            missing(report, sizeof(report), t, "no entry in txrules[] (state/modules.c)");
        if (!tx_payload_json[t])
            missing(report, sizeof(report), t, "no entry in tx_payload_json[] (rpc/txjson.c)");
        if (!tx_payload_build[t])
            missing(report, sizeof(report), t, "no entry in tx_payload_build[] (rpc/txbuild.c)");
        if (wallet_txkinds[t].kind == WALLET_TXKIND_NONE)
            missing(report, sizeof(report), t, "no entry in wallet_txkinds[] (wallet/txkinds.c)");
        if (wallet_txkinds[t].kind == WALLET_TXKIND_PAYMENT && !wallet_txkinds[t].counterparty)
            missing(report, sizeof(report), t,
                    "a payment in wallet_txkinds[] with no counterparty (wallet/txkinds.c)");
    }
    ck_assert_msg(report[0] == '\0', "transaction-type tables incomplete:%s", report);
    ck_assert_uint_ge(ntypes, 12); /* the types of today cannot vanish */
}
END_TEST

/* Names are unique and map back to their type. */
START_TEST(test_names_round_trip)
{
    for (unsigned t = 0; t < 256; t++) {
        const char *name = txtype_name((uint8_t)t);
        ck_assert(!name == !txtype_known((uint8_t)t));
        if (name)
            ck_assert_uint_eq(txtype_from_name(name), t);
    }
}
END_TEST

/* The types valid only in a window, which the mempool drops when it ends:
 * FL's joins, update commits and reveals, and votes. */
START_TEST(test_windowed_types)
{
    for (unsigned t = 0; t < TX_TYPE_LIMIT; t++) {
        bool fl = t == TX_FL_JOIN || t == TX_FL_UPDATE_COMMIT || t == TX_FL_UPDATE_REVEAL ||
                  t == TX_FL_VOTE_COMMIT || t == TX_FL_VOTE_REVEAL;
        bool arena = t >= TX_ARENA_STAKE && t <= TX_ARENA_SCORE_REVEAL &&
                     t != TX_ARENA_UNDELEGATE;
        ck_assert_msg(!txrules[t].expiry == !(fl || arena), "type %u", t);
        if (fl)
            ck_assert(txrules[t].expiry == fl_tx_expiry);
        if (arena)
            ck_assert(txrules[t].expiry == arena_tx_expiry);
    }
}
END_TEST

/* The reveals a sender is slashed for missing take the builder's reveal
 * half: the FL update and vote reveals and the Arena's three. */
START_TEST(test_reveal_types)
{
    for (unsigned t = 0; t < TX_TYPE_LIMIT; t++) {
        bool reveal = t == TX_FL_UPDATE_REVEAL || t == TX_FL_VOTE_REVEAL ||
                      t == TX_ARENA_SUBMIT_REVEAL || t == TX_ARENA_REVEAL_VALSET ||
                      t == TX_ARENA_SCORE_REVEAL;
        ck_assert_msg(txrules[t].reveal == reveal, "type %u", t);
    }
}
END_TEST

/* A value that is no type reaches no table: the consensus check, the state
 * transition and the wallet refuse it, and RPC shows its payload as hex. */
START_TEST(test_unknown_type)
{
    struct tx tx;
    struct validation v;
    tx_init(&tx);
    tx.type = 10;
    val_init(&v);
    ck_assert(!txtype_check_payload(&tx, NULL, &v));
    ck_assert_str_eq(v.reason, "bad-txns-type");
    val_init(&v);
    ck_assert(!txapply_dispatch(NULL, NULL, &tx, &v));
    ck_assert_str_eq(v.reason, "bad-txns-type");
    ck_assert_ptr_null(wallet_txkind_get(10));
    ck_assert_ptr_null(wallet_txkind_get(255));
    json_t *o = tx_payload_to_json(NULL, &tx);
    ck_assert_ptr_nonnull(json_object_get(o, "hex"));
    ck_assert_uint_eq(json_object_size(o), 1);
    json_decref(o);
}
END_TEST

static Suite *txtypes_suite(void)
{
    Suite *s = suite_create("txtypes");
    TCase *tc = tcase_create("tables");
    tcase_add_test(tc, test_every_type_in_every_table);
    tcase_add_test(tc, test_names_round_trip);
    tcase_add_test(tc, test_windowed_types);
    tcase_add_test(tc, test_reveal_types);
    tcase_add_test(tc, test_unknown_type);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(txtypes_suite());
}
