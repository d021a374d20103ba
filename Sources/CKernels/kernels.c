#include "CKernels.h"

void hs_optimizer_step(
    long d, const double *restrict eta_h, const double *restrict h, const double *restrict noise,
    double *restrict z, double *restrict delta, double *restrict m, double *restrict v,
    double *restrict sum_g2, double *restrict sum_d2, double *restrict sum_ratio,
    double beta1, double beta2, double eps, double centring, int adaptive,
    double step, double variance_correction, double weight)
{
#pragma clang fp contract(off)
    for (long i = 0; i < d; i++) {
        double g = h[i] * delta[i] + noise[i] * z[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        double r = g - centring * m[i];
        v[i] = beta2 * v[i] + (1 - beta2) * r * r;
        double inverse = adaptive ? 1 / (__builtin_elementwise_sqrt(v[i] * variance_correction) + eps) : 1;
        double ratio = eta_h[i] * inverse;
        sum_g2[i] += weight * (g * g);
        sum_d2[i] += weight * (delta[i] * delta[i]);
        sum_ratio[i] += weight * ratio;
        delta[i] -= step * m[i] * inverse;
        z[i] = ratio;
    }
}
