/* fml-cli sends an argument as a JSON value (number, bool, object, array)
 * exactly when the method's table entry says the server expects one; every
 * other argument goes as a string.  This checks the client's table against
 * the tables of every method the node registers, so the two cannot drift. */
#include "cli/client_args.h"
#include "rpc/methods.h"
#include "rpc/rpc.h"
#include "wallet/rpcwallet.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static int mismatches;

static void check_table(const struct rpc_method *methods, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct rpc_method *m = &methods[i];
        for (size_t a = 0; a < RPC_MAX_ARGS && m->args[a].name; a++) {
            enum rpc_type t = m->args[a].type;
            if (t == RPC_ANY)
                continue; /* either form is accepted */
            bool want_json = t == RPC_INT || t == RPC_UINT || t == RPC_BOOL || t == RPC_OBJ ||
                             t == RPC_ARR;
            bool is_json = rpc_client_arg_is_json(m->name, a, m->args[a].name);
            if (is_json != want_json) {
                fprintf(stderr, "%s argument %zu (%s): fml-cli sends it as %s\n", m->name, a,
                        m->args[a].name, is_json ? "JSON" : "a string");
                mismatches++;
            }
        }
    }
}

START_TEST(json_arguments)
{
    ck_assert(rpc_client_arg_is_json("getblockhash", 0, NULL));
    ck_assert(!rpc_client_arg_is_json("getblockhash", 1, NULL));
    ck_assert(rpc_client_arg_is_json("getblock", 1, NULL));
    ck_assert(!rpc_client_arg_is_json("getblock", 0, NULL));
    ck_assert(rpc_client_arg_is_json("getblock", 99, "verbosity"));
    ck_assert(!rpc_client_arg_is_json("getblock", 1, "blockhash"));
    ck_assert(rpc_client_arg_is_json("listtransactions", 2, NULL));
    ck_assert(!rpc_client_arg_is_json("sendtoaddress", 1, NULL)); /* amounts stay strings */
    ck_assert(rpc_client_arg_is_json("sendtoaddress", 4, NULL));
    ck_assert(!rpc_client_arg_is_json("nosuch", 0, NULL));
}
END_TEST

START_TEST(client_table_matches_server_tables)
{
    check_table(rpc_control_methods, rpc_control_methods_count);
    check_table(blockchain_rpc_methods, blockchain_rpc_methods_count);
    check_table(address_rpc_methods, address_rpc_methods_count);
    check_table(rawtx_rpc_methods, rawtx_rpc_methods_count);
    check_table(fees_rpc_methods, fees_rpc_methods_count);
    check_table(mining_rpc_methods, mining_rpc_methods_count);
    check_table(staking_rpc_methods, staking_rpc_methods_count);
    check_table(finality_rpc_methods, finality_rpc_methods_count);
    check_table(wallet_rpc_methods, wallet_rpc_methods_count);
    check_table(wallet_staking_rpc_methods, wallet_staking_rpc_methods_count);
    check_table(fl_rpc_methods, fl_rpc_methods_count);
    check_table(wallet_fl_rpc_methods, wallet_fl_rpc_methods_count);
    check_table(arena_rpc_methods, arena_rpc_methods_count);
    check_table(wallet_arena_rpc_methods, wallet_arena_rpc_methods_count);
    check_table(market_rpc_methods, market_rpc_methods_count);
    check_table(wallet_market_rpc_methods, wallet_market_rpc_methods_count);
    ck_assert_int_eq(mismatches, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client_args");
    TCase *tc = tcase_create("client_args");
    tcase_add_test(tc, json_arguments);
    tcase_add_test(tc, client_table_matches_server_tables);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
