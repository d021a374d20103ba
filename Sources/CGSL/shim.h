// The GNU Scientific Library as one Clang module for Swift.
//
// GSL's generator types are `extern const gsl_rng_type *` globals, which Swift 6's strict
// concurrency checking refuses to read; the `hs_rng_*` accessors return them instead.
// `hs_install_error_handler` replaces GSL's default handler (which calls abort()) by one that
// records the reason in a thread-local buffer, so the Swift layer can throw it.
#ifndef HESSIAN_STUDY_CGSL_SHIM_H
#define HESSIAN_STUDY_CGSL_SHIM_H

#include <dlfcn.h>
#include <string.h>

#include <gsl/gsl_version.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_fit.h>

// MARK: Generators

static inline const gsl_rng_type *hs_rng_mt19937(void) { return gsl_rng_mt19937; }
static inline const gsl_rng_type *hs_rng_taus2(void) { return gsl_rng_taus2; }
static inline const gsl_rng_type *hs_rng_ranlxd2(void) { return gsl_rng_ranlxd2; }

/// GSL's run-time version string (`gsl_version`).
static inline const char *hs_gsl_version(void) { return gsl_version; }

// MARK: Errors

/// The reason GSL gave for the most recent error on this thread ("" if none).
static inline char *hs_last_error_reason(void) {
    static _Thread_local char reason[512];
    return reason;
}

static inline void hs_record_error(const char *reason, const char *file, int line, int gsl_errno) {
    (void)file; (void)line; (void)gsl_errno;
    char *buffer = hs_last_error_reason();
    strncpy(buffer, reason ? reason : "", 511);
    buffer[511] = '\0';
}

static inline void hs_clear_error_reason(void) { hs_last_error_reason()[0] = '\0'; }

/// Make GSL report errors by status code (never abort) and remember each reason.
static inline void hs_install_error_handler(void) { gsl_set_error_handler(&hs_record_error); }

// MARK: BLAS provenance

/// The address `cblas_dgemm` resolves to in the global lookup scope (RTLD_DEFAULT, the null
/// handle): the definition GSL's own calls bind to. NULL if no library defines it.
static inline const void *hs_cblas_dgemm_address(void) { return dlsym((void *)0, "cblas_dgemm"); }

// MARK: OpenBLAS (only called when the OpenBLAS trait is on)

extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);

// MARK: The dynamics step (STUDIES.md T5)

/// One step of the shared optimizer rule for d coordinates (Studies/Dynamics/Chain.swift):
///   g = h·δ + noise·z;  m ← β₁m + (1−β₁)g;  r = g − centring·m;  v ← β₂v + (1−β₂)r²;
///   inv = adaptive ? 1/(√(v·vc) + ε) : 1;  ratio = ηh·inv;  sums += weight·(g², δ², ratio);
///   δ ← δ − step·m·inv;  and z ← ratio (z is spent, so it returns the ratios).
/// It is C only so that `restrict` lets the compiler vectorize it (Swift cannot say that the
/// arrays do not alias); each operation is the IEEE operation, in the order, of scalar code.
static inline void hs_optimizer_step(
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

#endif
