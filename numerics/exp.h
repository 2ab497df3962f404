// exp for float32 softmaxes (attention probabilities) with the same bits from a scalar call and
// from the vectorized row form, on every x86-64 CPU. libm's expf is not that: glibc picks an FMA
// or an SSE2 variant by CPU, and no vector libm matches either. The reference interpreter and
// the fast paths both call these, so the fast paths can vectorize the exponentials and stay
// bit-identical to the reference.
//
// Method (that of ARM's optimized-routines expf): in double precision, x·16/ln2 = k + r with
// k an integer and |r| <= 1/2; exp(x) = 2^(k/16)·2^(r/16) where 2^⌊k/16⌋ is exponent arithmetic,
// 2^((k mod 16)/16) comes from a 16-entry table and 2^(r/16) = e^(r·ln2/16) from its degree-4
// Taylor polynomial (relative error < 5e-11); one rounding to float at the end. Within 1 ulp of
// the exact value (exp_test.cc); overflow to +inf, underflow through subnormals to +0, NaN kept.
#ifndef DSC_NUMERICS_EXP_H_
#define DSC_NUMERICS_EXP_H_

#include <cstdint>

namespace dsc::numerics {

float ExpF(float x);

// z[j] = (z[j] == −inf) ? 0 : ExpF(z[j] − shift) for j in [0, n): a softmax row's numerators.
void ExpShiftedInPlace(float* z, int64_t n, float shift);

// The same for each column of z [rows, columns] (row-major, rows ld >= columns floats apart;
// ld 0: columns) with its own shift: z[j][c] = (z[j][c] == −inf) ? 0 : ExpF(z[j][c] − shift[c])
// — softmax rows laid out as columns.
void ExpShiftedColumnsInPlace(float* z, int64_t rows, int64_t columns, const float* shift, int64_t ld = 0);

}  // namespace dsc::numerics

#endif  // DSC_NUMERICS_EXP_H_
