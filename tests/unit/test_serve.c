/* Serving a Market model without a chain (rpc/serve.c, rpc/provider.c): a
 * leaf's normalization (missing values included) and forward pass against
 * values computed by hand, an average and a pipeline against their
 * components, the composite's fit checks, the expansion, row, value, work
 * and size bounds, and the provider ledger's records across a reopen. */
#include "consensus/serialize.h"
#include "rpc/provider.h"
#include "rpc/serve.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[256];

static int32_t q(double x)
{
    return (int32_t)lround(x * 65536);
}

/* A leaf of id {tag}; weights and the (mean, std) pairs as decimals. */
static size_t leaf(struct serve_model *m, uint8_t tag, uint8_t kind, const uint32_t *sizes,
                   uint32_t n_sizes, const double *w, size_t nw, const double *norm,
                   uint32_t n_norm)
{
    struct fl_spec s = {.kind = kind, .n_sizes = n_sizes, .n_norm = n_norm};
    uint8_t id[HASH_SIZE] = {tag}, wb[4 * 64], nb[8 * 8];
    memcpy(s.sizes, sizes, n_sizes * sizeof(*sizes));
    for (size_t i = 0; i < nw; i++)
        write_le32(wb + 4 * i, (uint32_t)q(w[i]));
    for (uint32_t i = 0; i < 2 * n_norm; i++)
        write_le32(nb + 4 * i, (uint32_t)q(norm[i]));
    s.norm = nb;
    size_t idx;
    ck_assert_msg(serve_add_leaf(m, id, &s, wb, nw, &idx, err, sizeof err), "%s", err);
    return idx;
}

static double sigmoid(double z)
{
    return 1 / (1 + exp(-z));
}

/* Logistic 2 -> 1, w = (1, -2), b = 0.5, normalization (1, 2) and (0, 4). */
static size_t logit(struct serve_model *m, uint8_t tag)
{
    static const uint32_t sizes[] = {2, 1};
    static const double w[] = {1, -2, 0.5}, norm[] = {1, 2, 0, 4};
    return leaf(m, tag, FL_MODEL_LOGREG, sizes, 2, w, 3, norm, 2);
}

START_TEST(test_leaf_normalizes_and_evaluates)
{
    struct serve_model *m = serve_model_new();
    size_t i = logit(m, 1);
    ck_assert(serve_set_root(m, i, err, sizeof err));
    ck_assert_uint_eq(serve_n_inputs(m), 2);
    ck_assert_uint_eq(serve_n_outputs(m), 1);
    double x[] = {3, 8, NAN, -4}, out[2];
    ck_assert_msg(serve_eval(m, x, 2, out, err, sizeof err), "%s", err);
    /* (3-1)/2 = 1, 8/4 = 2: z = 1 - 4 + 0.5; a missing value is the mean: 0. */
    ck_assert_double_eq_tol(out[0], sigmoid(-2.5), 1e-12);
    ck_assert_double_eq_tol(out[1], sigmoid(0 + 2 + 0.5), 1e-12);
    ck_assert(isnan(x[2])); /* the input is not changed */
    serve_model_free(m);
}
END_TEST

START_TEST(test_no_normalization_missing_is_zero)
{
    static const uint32_t sizes[] = {2, 2};
    static const double w[] = {1, 0, 0, 1, 0, 0};
    struct serve_model *m = serve_model_new();
    size_t i = leaf(m, 1, FL_MODEL_SOFTMAX, sizes, 2, w, 6, NULL, 0);
    ck_assert(serve_set_root(m, i, err, sizeof err));
    double x[] = {NAN, 1}, out[2];
    ck_assert(serve_eval(m, x, 1, out, err, sizeof err));
    ck_assert_double_eq_tol(out[1], exp(1) / (1 + exp(1)), 1e-12);
    serve_model_free(m);
}
END_TEST

START_TEST(test_average_and_pipeline)
{
    static const uint32_t s22[] = {2, 2}, s21[] = {2, 1};
    static const double wa[] = {1, 0, 0, 1, 0, 0}, wb[] = {0, 1, 1, 0, 1, -1};
    static const double wc[] = {2, -1, 0};
    struct serve_model *m = serve_model_new();
    size_t a = leaf(m, 1, FL_MODEL_SOFTMAX, s22, 2, wa, 6, NULL, 0);
    size_t b = leaf(m, 2, FL_MODEL_SOFTMAX, s22, 2, wb, 6, NULL, 0);
    size_t c = leaf(m, 3, FL_MODEL_LOGREG, s21, 2, wc, 3, NULL, 0);
    size_t avg, pipe, kids[2] = {a, b}, chain[2] = {avg = 0, c};
    uint8_t id_avg[HASH_SIZE] = {4}, id_pipe[HASH_SIZE] = {5};
    ck_assert(serve_add_composite(m, id_avg, MARKET_MODE_AVERAGE, kids, 2, &avg, err, sizeof err));
    chain[0] = avg;
    ck_assert(serve_add_composite(m, id_pipe, MARKET_MODE_PIPELINE, chain, 2, &pipe, err,
                                  sizeof err));
    const double x[] = {0.5, -1.5};
    double pa[2], pb[2], pavg[2], pc, out;
    ck_assert(serve_set_root(m, a, err, sizeof err) && serve_eval(m, x, 1, pa, err, sizeof err));
    ck_assert(serve_set_root(m, b, err, sizeof err) && serve_eval(m, x, 1, pb, err, sizeof err));
    ck_assert(serve_set_root(m, avg, err, sizeof err));
    ck_assert_uint_eq(m->expansion, 3);
    ck_assert(serve_eval(m, x, 1, pavg, err, sizeof err));
    for (int k = 0; k < 2; k++)
        ck_assert_double_eq_tol(pavg[k], (pa[k] + pb[k]) / 2, 1e-15);
    ck_assert(serve_set_root(m, c, err, sizeof err) && serve_eval(m, pavg, 1, &pc, err, sizeof err));
    ck_assert(serve_set_root(m, pipe, err, sizeof err));
    ck_assert_uint_eq(m->expansion, 5);
    ck_assert(serve_eval(m, x, 1, &out, err, sizeof err));
    ck_assert_double_eq_tol(out, pc, 1e-15);
    ck_assert_double_eq_tol(out, sigmoid(2 * pavg[0] - pavg[1]), 1e-12);
    serve_model_free(m);
}
END_TEST

START_TEST(test_composites_must_fit)
{
    static const uint32_t s22[] = {2, 2}, s32[] = {3, 2};
    static const double w6[] = {0, 0, 0, 0, 0, 0}, w8[] = {0, 0, 0, 0, 0, 0, 0, 0};
    struct serve_model *m = serve_model_new();
    size_t a = leaf(m, 1, FL_MODEL_SOFTMAX, s22, 2, w6, 6, NULL, 0);
    size_t d = leaf(m, 2, FL_MODEL_SOFTMAX, s32, 2, w8, 8, NULL, 0);
    size_t kids[2] = {a, d}, idx, one[1] = {a};
    uint8_t id[HASH_SIZE] = {9};
    ck_assert(!serve_add_composite(m, id, MARKET_MODE_AVERAGE, kids, 2, &idx, err, sizeof err));
    ck_assert(strstr(err, "does not fit the average"));
    ck_assert(!serve_add_composite(m, id, MARKET_MODE_PIPELINE, kids, 2, &idx, err, sizeof err));
    ck_assert(strstr(err, "does not fit the pipeline"));
    ck_assert(!serve_add_composite(m, id, MARKET_MODE_AVERAGE, one, 0, &idx, err, sizeof err));
    ck_assert(strstr(err, "1..8"));
    ck_assert(!serve_add_composite(m, id, MARKET_MODE_NONE, kids, 2, &idx, err, sizeof err));
    /* One component: a wrapper. */
    uint8_t wrap_id[HASH_SIZE] = {10};
    ck_assert_msg(serve_add_composite(m, wrap_id, MARKET_MODE_PIPELINE, one, 1, &idx, err,
                                      sizeof err), "%s", err);
    /* A weight count that is not the spec's. */
    struct fl_spec s = {.kind = FL_MODEL_SOFTMAX, .n_sizes = 2, .sizes = {2, 2}};
    uint8_t wb[24] = {0};
    ck_assert(!serve_add_leaf(m, id, &s, wb, 5, &idx, err, sizeof err));
    ck_assert(strstr(err, "5 weights"));
    serve_model_free(m);
}
END_TEST

START_TEST(test_expansion_bound)
{
    static const uint32_t s22[] = {2, 2};
    static const double w6[] = {0, 0, 0, 0, 0, 0};
    struct serve_model *m = serve_model_new();
    size_t a = leaf(m, 1, FL_MODEL_SOFTMAX, s22, 2, w6, 6, NULL, 0), idx;
    size_t eight[8] = {a, a, a, a, a, a, a, a};
    uint8_t id[HASH_SIZE] = {2};
    /* 1 + 8 = 9 models; then 1 + 9 + 1 = 11; then 1 + 9 + 11 = 21 > 16. */
    ck_assert(serve_add_composite(m, id, MARKET_MODE_AVERAGE, eight, 8, &idx, err, sizeof err));
    ck_assert_uint_eq(m->nodes[idx].expansion, 9);
    size_t two[2] = {idx, a}, e11;
    id[0] = 3;
    ck_assert(serve_add_composite(m, id, MARKET_MODE_AVERAGE, two, 2, &e11, err, sizeof err));
    ck_assert_uint_eq(m->nodes[e11].expansion, 11);
    size_t big[2] = {idx, e11};
    id[0] = 4;
    ck_assert(!serve_add_composite(m, id, MARKET_MODE_AVERAGE, big, 2, &idx, err, sizeof err));
    ck_assert(strstr(err, "more than 16 models"));
    serve_model_free(m);
}
END_TEST

START_TEST(test_row_and_value_bounds)
{
    struct serve_model *m = serve_model_new();
    struct fl_spec s = {.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {4096, 1}};
    uint8_t *wb = calloc(4097, 4), id[HASH_SIZE] = {1};
    size_t idx;
    ck_assert(serve_add_leaf(m, id, &s, wb, 4097, &idx, err, sizeof err));
    ck_assert(serve_set_root(m, idx, err, sizeof err));
    ck_assert(!serve_check_rows(m, 0, err, sizeof err));
    ck_assert(!serve_check_rows(m, SERVE_MAX_ROWS + 1, err, sizeof err));
    ck_assert(strstr(err, "1..10000 rows"));
    /* A row holds its 4096 inputs, its output, the normalized copy (4096)
     * and ml/'s pass (1 + 2 x 1): 8196 doubles; 1023 rows fit in 2^23,
     * 1024 do not (a bound on the widest layer alone allowed 4096). */
    ck_assert_uint_eq(m->nodes[idx].scratch, 4096 + 1 + 2);
    ck_assert(serve_check_rows(m, 1023, err, sizeof err));
    ck_assert(!serve_check_rows(m, 1024, err, sizeof err));
    ck_assert(strstr(err, "values of buffers"));
    ck_assert(strstr(err, "send fewer rows"));
    double x[4096] = {0}, out;
    ck_assert(serve_eval(m, x, 1, &out, err, sizeof err));
    ck_assert_double_eq_tol(out, 0.5, 1e-15);
    free(wb);
    serve_model_free(m);
}
END_TEST

/* Every level of a composite counts: a wrapper chain holds one output
 * buffer per level, an average its part buffer, a pipeline the outputs
 * before and after the running component. */
START_TEST(test_composite_scratch_bound)
{
    struct fl_spec s = {.kind = FL_MODEL_MLP, .n_sizes = 3, .sizes = {4, 1000, 4}};
    const size_t nw = (size_t)fl_param_count(&s);
    uint8_t *wb = calloc(nw, 4), id[HASH_SIZE] = {1};
    struct serve_model *m = serve_model_new();
    size_t a, w, p;
    ck_assert(serve_add_leaf(m, id, &s, wb, nw, &a, err, sizeof err));
    /* leaf: 4 + 1000 + 4 + 2 x 4 = 1016; a row 4 + 4 + 1016 = 1024 doubles */
    ck_assert_uint_eq(m->nodes[a].scratch, 1016);
    ck_assert(serve_set_root(m, a, err, sizeof err));
    ck_assert(serve_check_rows(m, 8192, err, sizeof err));
    /* one wrapper (average of one) adds its part buffer: 4 more a row */
    size_t one[1] = {a};
    id[0] = 2;
    ck_assert(serve_add_composite(m, id, MARKET_MODE_AVERAGE, one, 1, &w, err, sizeof err));
    ck_assert_uint_eq(m->nodes[w].scratch, 1020);
    ck_assert(serve_set_root(m, w, err, sizeof err));
    ck_assert(serve_check_rows(m, 8160, err, sizeof err));
    ck_assert(!serve_check_rows(m, 8192, err, sizeof err));
    ck_assert(strstr(err, "values of buffers"));
    /* a pipeline a -> w: while w runs, a's outputs (4) and w's scratch */
    size_t two[2] = {a, w};
    id[0] = 3;
    ck_assert(serve_add_composite(m, id, MARKET_MODE_PIPELINE, two, 2, &p, err, sizeof err));
    ck_assert_uint_eq(m->nodes[p].scratch, 4 + 1020);
    /* eight average wrappers deep: 8 x 4 + 1016 */
    size_t cur = a;
    for (uint8_t d = 0; d < 8; d++) {
        size_t c1[1] = {cur};
        id[0] = (uint8_t)(10 + d);
        ck_assert(serve_add_composite(m, id, MARKET_MODE_AVERAGE, c1, 1, &cur, err, sizeof err));
    }
    ck_assert_uint_eq(m->nodes[cur].scratch, 8 * 4 + 1016);
    free(wb);
    serve_model_free(m);
}
END_TEST

/* The reply: rows x n_outputs at most 2^20 values. */
START_TEST(test_output_bound)
{
    struct fl_spec s = {.kind = FL_MODEL_SOFTMAX, .n_sizes = 2, .sizes = {1, 200}};
    uint8_t *wb = calloc(400, 4), id[HASH_SIZE] = {1};
    struct serve_model *m = serve_model_new();
    size_t idx;
    ck_assert(serve_add_leaf(m, id, &s, wb, 400, &idx, err, sizeof err));
    ck_assert(serve_set_root(m, idx, err, sizeof err));
    /* 5242 x 200 = 1,048,400 <= 2^20 < 5243 x 200 */
    ck_assert(serve_check_rows(m, 5242, err, sizeof err));
    ck_assert(!serve_check_rows(m, 5243, err, sizeof err));
    ck_assert(strstr(err, "output values"));
    free(wb);
    serve_model_free(m);
}
END_TEST

START_TEST(test_work_and_size_bounds)
{
    /* 2048 -> 2048 -> 1: 4,196,352 multiply-adds a row, so 1023 rows fit
     * in 2^32 and 1024 do not (the values bound would allow 8192). */
    struct fl_spec s = {.kind = FL_MODEL_MLP, .n_sizes = 3, .sizes = {2048, 2048, 1}};
    const size_t n = (size_t)fl_param_count(&s);
    uint8_t *wb = calloc(n, 4), id[HASH_SIZE] = {1};
    struct serve_model *m = serve_model_new();
    size_t idx;
    ck_assert(serve_add_leaf(m, id, &s, wb, n, &idx, err, sizeof err));
    ck_assert(serve_set_root(m, idx, err, sizeof err));
    ck_assert_uint_eq(m->nodes[idx].macs, 4196352);
    ck_assert(serve_check_rows(m, 1023, err, sizeof err));
    ck_assert(!serve_check_rows(m, 1024, err, sizeof err));
    ck_assert(strstr(err, "multiply-adds"));
    /* Parameters loaded for one model: 8192 -> 4096 -> 1 is above 2^25
     * (refused before its weights are read). */
    struct fl_spec big = {.kind = FL_MODEL_MLP, .n_sizes = 3, .sizes = {8192, 4096, 1}};
    ck_assert_uint_gt(fl_param_count(&big), SERVE_MAX_PARAMS);
    id[0] = 2;
    ck_assert(!serve_add_leaf(m, id, &big, wb, (size_t)fl_param_count(&big), &idx, err,
                              sizeof err));
    ck_assert(strstr(err, "too large to serve"));
    free(wb);
    serve_model_free(m);
}
END_TEST

START_TEST(test_ledger_records_survive_reopen)
{
    char dir[] = "/tmp/test_serve.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    uint8_t addrs[2][PUBKEY_SIZE] = {{1}, {2}}, model[HASH_SIZE] = {3}, payer[PUBKEY_SIZE] = {4},
            other[PUBKEY_SIZE] = {5};
    struct provider *p = provider_open(dir, (const uint8_t(*)[PUBKEY_SIZE])addrs, 2, err,
                                       sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_uint_eq(provider_n_addresses(p), 2);
    ck_assert(provider_has_address(p, addrs[1]));
    ck_assert(!provider_has_address(p, other));
    struct provider_usage u;
    ck_assert(provider_get_usage(p, model, addrs[0], payer, &u, err, sizeof err));
    ck_assert(!u.found && u.used == 0 && u.last_nonce == 0);
    u = (struct provider_usage){true, 7, 42};
    ck_assert(provider_put_usage(p, model, addrs[0], payer, &u, err, sizeof err));
    provider_close(p);
    p = provider_open(dir, NULL, 0, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_uint_eq(provider_n_addresses(p), 0);
    ck_assert(provider_get_usage(p, model, addrs[0], payer, &u, err, sizeof err));
    ck_assert(u.found && u.used == 7 && u.last_nonce == 42);
    /* Another provider, another payer: separate records. */
    ck_assert(provider_get_usage(p, model, addrs[1], payer, &u, err, sizeof err) && !u.found);
    ck_assert(provider_get_usage(p, model, addrs[0], other, &u, err, sizeof err) && !u.found);
    provider_close(p);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("serve");
    TCase *tc = tcase_create("serve");
    tcase_add_test(tc, test_leaf_normalizes_and_evaluates);
    tcase_add_test(tc, test_no_normalization_missing_is_zero);
    tcase_add_test(tc, test_average_and_pipeline);
    tcase_add_test(tc, test_composites_must_fit);
    tcase_add_test(tc, test_expansion_bound);
    tcase_add_test(tc, test_row_and_value_bounds);
    tcase_add_test(tc, test_composite_scratch_bound);
    tcase_add_test(tc, test_output_bound);
    tcase_add_test(tc, test_work_and_size_bounds);
    tcase_add_test(tc, test_ledger_records_survive_reopen);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
