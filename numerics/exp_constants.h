// The constants of ExpF (exp.h), shared with the JIT's re-emission of it (codegen/emit_exp.cc)
// so that both compute with the same bits.
#ifndef DSC_NUMERICS_EXP_CONSTANTS_H_
#define DSC_NUMERICS_EXP_CONSTANTS_H_

#include <cstdint>

namespace dsc::numerics::exp_constants {

inline constexpr double kInvLn2Times16 = 0x1.71547652b82fep+4;
inline constexpr double kRoundShift = 0x1.8p52;  // (z + shift) − shift = z rounded to an integer
inline constexpr int64_t kRoundShiftBits = 0x4338000000000000;  // its bits: those of z + shift minus these = k
// Taylor coefficients of e^(r·ln2/16): (ln2/16)^i / i!, correctly rounded.
inline constexpr double kC1 = 0x1.62e42fefa39efp-5, kC2 = 0x1.ebfbdff82c58fp-11, kC3 = 0x1.c6b08d704a0c0p-17,
                        kC4 = 0x1.3b2ab6fba4e77p-23;
// 2^(j/16), correctly rounded.
inline constexpr double kTable[16] = {
    0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
    0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
    0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
    0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0};
// exp(−110) and exp(89) are far below the least subnormal float and above the largest float:
// clamping keeps k small enough for the exponent arithmetic and the rounding trick.
inline constexpr double kLow = -110.0, kHigh = 89.0;

}  // namespace dsc::numerics::exp_constants

#endif  // DSC_NUMERICS_EXP_CONSTANTS_H_
