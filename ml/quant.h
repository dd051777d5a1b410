/* Q16.16 fixed point, the form in which model parameters go on chain.
 *
 * q = round_half_away_from_zero(x * 65536), saturated to [INT32_MIN, INT32_MAX];
 * x = q / 65536.0 (exact).  Representable range [-32768, 32767.99998],
 * resolution 2^-16 ~ 1.5e-5.  NAN has no Q16.16 value: it converts to 0 and
 * the vector helper reports it.
 */
#ifndef FML_ML_QUANT_H
#define FML_ML_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_Q16_ONE 65536

int32_t ml_q16_from_double(double x);
double ml_q16_to_double(int32_t q);

/* False if any x[i] is NAN (that q[i] is 0); all n are converted regardless. */
bool ml_q16_from_doubles(const double *x, int32_t *q, size_t n)
    __attribute__((warn_unused_result));
void ml_q16_to_doubles(const int32_t *q, double *x, size_t n);

#endif
