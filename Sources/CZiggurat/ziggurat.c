#include "CZiggurat.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

// MARK: The ziggurat's fast path
//
// A 32-bit word k from the generator gives the strip i = k & 0x7f, the sign (bit 7: set means
// +) and a 24-bit abscissa j = (k >> 8) & 0xffffff. If j < k_i the draw is x = ±j·w_i; otherwise
// (about 1% of words) the draw needs more words and exp/log, and GSL makes it. k_i and w_i are
// GSL's tables `ktab` and `wtab`, read below.

static unsigned long k_table[128];
static double w_table[128];
static int inline_ready;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/// One step of taus2 (L'Ecuyer 1996, "Maximally equidistributed combined Tausworthe
/// generators", the three components with (q, s, k) = (13, 12, 31), (2, 4, 29), (3, 17, 28)):
/// the next output s₁ ⊕ s₂ ⊕ s₃ of the 32-bit words s.
static inline uint32_t taus2_next(uint32_t *s1, uint32_t *s2, uint32_t *s3) {
    *s1 = ((*s1 & 4294967294u) << 12) ^ (((*s1 << 13) ^ *s1) >> 19);
    *s2 = ((*s2 & 4294967288u) << 4) ^ (((*s2 << 2) ^ *s2) >> 25);
    *s3 = ((*s3 & 4294967280u) << 17) ^ (((*s3 << 3) ^ *s3) >> 11);
    return *s1 ^ *s2 ^ *s3;
}

/// The draws from taus2, inline; `state` is GSL's taus2 state, three unsigned longs s₁, s₂, s₃.
static void fill_taus2(gsl_rng *r, double *out, long n) {
    unsigned long *state = (unsigned long *)r->state;
    uint32_t s1 = (uint32_t)state[0], s2 = (uint32_t)state[1], s3 = (uint32_t)state[2];
    for (long t = 0; t < n; t++) {
        const uint32_t before1 = s1, before2 = s2, before3 = s3;
        const uint32_t k = taus2_next(&s1, &s2, &s3);
        const uint32_t i = k & 0x7f, j = (k >> 8) & 0xffffff;
        if (j < k_table[i]) {
            // x = ±j·w_i, its sign bit set from bit 7 of k without a branch (a branch on a fair
            // coin is mispredicted half the time); flipping the sign bit is negation exactly.
            const double x = (double)j * w_table[i];
            uint64_t bits;
            memcpy(&bits, &x, sizeof bits);
            bits ^= (uint64_t)(~k & 0x80) << 56;
            memcpy(&out[t], &bits, sizeof bits);
        } else {
            state[0] = before1, state[1] = before2, state[2] = before3;
            out[t] = gsl_ran_gaussian_ziggurat(r, 1.0);
            s1 = (uint32_t)state[0], s2 = (uint32_t)state[1], s3 = (uint32_t)state[2];
        }
    }
    state[0] = s1, state[1] = s2, state[2] = s3;
}

// MARK: Reading GSL's tables
//
// A generator whose every word is `word` (and every uniform 0) is handed to GSL's ziggurat, and
// the words it asked for are counted. Given the word k of strip i and abscissa j, the draw ends on
// the fast path (one word, returning j·w_i) exactly when j < k_i; on the slow path a uniform of 0
// makes the draw end at once (y is then the strip's lower edge, below the density; in the tail x =
// R and y = 0), so no probe loops. k_i is found by bisection on j, and w_i as the draw for j = 1
// (x = 1·w_i exactly).

typedef struct { unsigned long word; unsigned long calls; int runaway; } probe_state;

static void probe_set(void *state, unsigned long seed) { (void)seed; *(probe_state *)state = (probe_state){0}; }
static unsigned long probe_get(void *state) {
    probe_state *p = state;
    // A probe that asks for more than a few words has not behaved as GSL's ziggurat should: it
    // is failed, and ended through the tail strip, where a uniform of 0 always accepts.
    if (++p->calls > 8) p->runaway = 1;
    return p->runaway ? 0x80 | 127 : p->word;
}
static double probe_get_double(void *state) {
    ((probe_state *)state)->calls++;
    return 0.0;
}
static const gsl_rng_type probe_type = {
    "hessian-study-ziggurat-probe", 0xffffffffUL, 0, sizeof(probe_state), &probe_set, &probe_get, &probe_get_double,
};

/// GSL's draw for the word of strip i, sign +, abscissa j; *fast is 1 if it used one word.
static double probe(gsl_rng *r, unsigned long i, unsigned long j, int *fast) {
    probe_state *p = r->state;
    p->word = (j << 8) | 0x80 | i;
    p->calls = 0;
    const double x = gsl_ran_gaussian_ziggurat(r, 1.0);
    *fast = p->calls == 1;
    return x;
}

static int read_tables(void) {
    gsl_rng *r = gsl_rng_alloc(&probe_type);
    if (!r) return 0;
    int fast;
    for (unsigned long i = 0; i < 128; i++) {
        unsigned long low = 0, high = 1ul << 24;  // k_i in [low, high]: j < low is fast, j ≥ high is not
        while (low < high) {
            const unsigned long mid = low + (high - low) / 2;
            probe(r, i, mid, &fast);
            if (fast) low = mid + 1; else high = mid;
        }
        k_table[i] = low;
        w_table[i] = low > 1 ? probe(r, i, 1, &fast) : 0.0;  // k_i ≤ 1: only j = 0, x = 0, is fast
    }
    const int behaved = !((probe_state *)r->state)->runaway;
    gsl_rng_free(r);
    return behaved;
}

/// The inline path against GSL's routine on one reference stream: draws and final state.
static int reproduces_gsl(void) {
    const long n = 1 << 16;
    gsl_rng *a = gsl_rng_alloc(gsl_rng_taus2), *b = gsl_rng_alloc(gsl_rng_taus2);
    double *x = malloc(sizeof(double) * n);
    int same = a && b && x && gsl_rng_taus2->size == 3 * sizeof(unsigned long);
    if (same) {
        gsl_rng_set(a, 20261125), gsl_rng_set(b, 20261125);
        fill_taus2(a, x, n);
        for (long t = 0; t < n && same; t++) {
            const double y = gsl_ran_gaussian_ziggurat(b, 1.0);
            same = memcmp(&x[t], &y, sizeof y) == 0;
        }
        same = same && gsl_rng_get(a) == gsl_rng_get(b);
    }
    free(x);
    if (a) gsl_rng_free(a);
    if (b) gsl_rng_free(b);
    return same;
}

static void prepare(void) { inline_ready = read_tables() && reproduces_gsl(); }

int hs_ziggurat_inline(void) {
    pthread_once(&tables_once, &prepare);
    return inline_ready;
}

void hs_fill_gaussian(gsl_rng *r, double *out, long n) {
    if (r->type == gsl_rng_taus2 && hs_ziggurat_inline()) {
        fill_taus2(r, out, n);
    } else {
        for (long t = 0; t < n; t++) out[t] = gsl_ran_gaussian_ziggurat(r, 1.0);
    }
}
