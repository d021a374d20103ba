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

// Compiled twice, for AVX2 and for the baseline, and picked at load time: four lanes or two,
// each lane one element's own sum in order, so both give the same bits (no FMA in either).
__attribute__((target_clones("avx2", "default")))
void hs_portable_gemm(long m, long n, long k, double alpha,
                      const double *a, long lda, int transpose_a,
                      const double *b, long ldb, int transpose_b,
                      double *c, long ldc, double *packing)
{
#pragma clang fp contract(off)
    // Rows of op(B) contiguous: Bᵀ is packed first when op(B) = Bᵀ.
    if (transpose_b) {
        for (long j = 0; j < n; j++)
            for (long p = 0; p < k; p++) packing[p * n + j] = b[j * ldb + p];
        b = packing, ldb = n;
    }
    // Eight elements of a row of C at a time, their sums held in registers across the whole
    // k loop (each element's terms still added in order k = 0, 1, …).
    for (long i = 0; i < m; i++) {
        double *restrict row = c + i * ldc;
        long j0 = 0;
        for (; j0 + 8 <= n; j0 += 8) {
            double sum[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (long p = 0; p < k; p++) {
                const double aip = transpose_a ? a[p * lda + i] : a[i * lda + p];
                const double *restrict bp = b + p * ldb + j0;
                for (int j = 0; j < 8; j++) sum[j] += aip * bp[j];
            }
            for (int j = 0; j < 8; j++) row[j0 + j] = alpha * sum[j];
        }
        for (long j = j0; j < n; j++) {
            double sum = 0;
            for (long p = 0; p < k; p++) sum += (transpose_a ? a[p * lda + i] : a[i * lda + p]) * b[p * ldb + j];
            row[j] = alpha * sum;
        }
    }
}
