// Hot loops the compiler can vectorise only when told that the arrays do not alias, which
// Swift cannot say: C with `restrict`. Each does exactly the IEEE operations, in the order, that
// the scalar formula in its comment does (floating-point contraction is off), so results do not
// depend on the target's vector width.
#ifndef HESSIAN_STUDY_CKERNELS_H
#define HESSIAN_STUDY_CKERNELS_H

/// One step of the shared optimizer rule for d coordinates (Studies/Dynamics/Chain.swift):
///   g = h·δ + noise·z;  m ← β₁m + (1−β₁)g;  r = g − centring·m;  v ← β₂v + (1−β₂)r²;
///   inv = adaptive ? 1/(√(v·vc) + ε) : 1;  ratio = ηh·inv;  sums += weight·(g², δ², ratio);
///   δ ← δ − step·m·inv;  and z ← ratio (z is spent, so it returns the ratios).
/// It is C only so that `restrict` lets the compiler vectorize it (Swift cannot say that the
/// arrays do not alias); each operation is the IEEE operation, in the order, of scalar code.
void hs_optimizer_step(
    long d, const double *restrict eta_h, const double *restrict h, const double *restrict noise,
    double *restrict z, double *restrict delta, double *restrict m, double *restrict v,
    double *restrict sum_g2, double *restrict sum_d2, double *restrict sum_ratio,
    double beta1, double beta2, double eps, double centring, int adaptive,
    double step, double variance_correction, double weight);

/// C ← α·op(A)·op(B), row-major (op(X) = Xᵀ when its flag is set), the same bits on every CPU:
/// each c_ij = α·(Σₖ op(A)_ik·op(B)_kj), the sum taken from 0 in the order k = 0, 1, …, K−1, one
/// IEEE multiply and one add per term (no fused multiply-add). Vectorised across j only, which
/// keeps every element's order. For the products that drive a trajectory (network training),
/// where OpenBLAS's CPU-specific kernels would leave last bits that the trajectory amplifies.
/// op(A) is m×k with leading dimension lda, op(B) k×n with ldb, C m×n with ldc; with transpose_b,
/// `packing` has room for k·n doubles (Bᵀ is packed there, so that no call allocates), else it
/// may be NULL.
void hs_portable_gemm(long m, long n, long k, double alpha,
                      const double *a, long lda, int transpose_a,
                      const double *b, long ldb, int transpose_b,
                      double *c, long ldc, double *packing);

#endif
