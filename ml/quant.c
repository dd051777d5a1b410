/* Q16.16 conversion. */
#include "ml/quant.h"

#include <math.h>

int32_t ml_q16_from_double(double x)
{
    if (isnan(x))
        return 0;
    /* Scaling by a power of two is exact (or overflows to inf, which
     * saturates below), so the only rounding is round()'s, which rounds
     * halves away from zero. */
    double v = round(x * ML_Q16_ONE);
    if (v >= (double)INT32_MAX)
        return INT32_MAX;
    if (v <= (double)INT32_MIN)
        return INT32_MIN;
    return (int32_t)v;
}

double ml_q16_to_double(int32_t q)
{
    return (double)q / ML_Q16_ONE;
}

bool ml_q16_from_doubles(const double *x, int32_t *q, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        ok &= !isnan(x[i]);
        q[i] = ml_q16_from_double(x[i]);
    }
    return ok;
}

void ml_q16_to_doubles(const int32_t *q, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = ml_q16_to_double(q[i]);
}
