// GSL's Gaussian ziggurat on taus2, drawn inline: the same numbers, bit for bit, at a fraction
// of the cost of two calls through function pointers per draw.
//
// Every study is bound by its standard normal draws, which GSL makes one at a time through
// `gsl_ran_gaussian_ziggurat` (Marsaglia and Tsang's ziggurat, 128 strips), which calls the
// generator through `gsl_rng_get`. For taus2 (L'Ecuyer's combined Tausworthe generator, three
// 32-bit words of state) this target draws the ziggurat's fast path inline, where about 99% of
// draws end, and hands every other draw back to GSL with the generator's state as it was: so the
// numbers, and the stream's state after them, are GSL's exactly. The fast path needs two of the
// ziggurat's tables, which are private to GSL; they are read out of the linked GSL itself, by
// drawing from a generator whose bits are chosen (see ziggurat.c), and the inline path is used
// only if it then reproduces GSL's draws on a reference stream. Any other generator, or a GSL
// whose tables or taus2 state cannot be read this way, is served by GSL's own routine.
#ifndef HESSIAN_STUDY_CZIGGURAT_H
#define HESSIAN_STUDY_CZIGGURAT_H

#include <gsl/gsl_rng.h>

/// Fills out[0], …, out[n−1] with `gsl_ran_gaussian_ziggurat(r, 1.0)`, in order: the same bits
/// and the same final state of `r` as n calls of GSL's routine.
void hs_fill_gaussian(gsl_rng *r, double *out, long n);

/// 1 if draws from taus2 are made inline here (the tables were read and checked), 0 if every
/// draw goes through GSL's routine.
int hs_ziggurat_inline(void);

#endif
