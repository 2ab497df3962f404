// ExpF and its row form (exp.h). Compiled with -ffp-contract=off (numerics/CMakeLists.txt): the
// scalar and vector forms must round the same operations the same way.
#include "numerics/exp.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "numerics/exp_constants.h"

namespace dsc::numerics {
namespace {

using namespace exp_constants;  // NOLINT: the method's constants, exp_constants.h
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

constexpr int kLanes = 8;
typedef double Doubles __attribute__((vector_size(kLanes * sizeof(double))));
typedef int64_t Ints __attribute__((vector_size(kLanes * sizeof(int64_t))));
typedef float Floats __attribute__((vector_size(kLanes * sizeof(float))));

}  // namespace

float ExpF(float x) {
  if (x != x) return x;
  const double xd = std::fmin(std::fmax(static_cast<double>(x), kLow), kHigh);
  const double z = xd * kInvLn2Times16;
  const double kd = (z + kRoundShift) - kRoundShift;
  const double r = z - kd;
  const double p = 1.0 + r * (kC1 + r * (kC2 + r * (kC3 + r * kC4)));
  const int64_t k = static_cast<int64_t>(kd);
  uint64_t bits;
  std::memcpy(&bits, &kTable[k & 15], sizeof(bits));
  bits += static_cast<uint64_t>(k >> 4) << 52;  // times 2^⌊k/16⌋
  double s;
  std::memcpy(&s, &bits, sizeof(s));
  return static_cast<float>(s * p);
}

namespace {

// z[l] = (z[l] == −inf) ? 0 : ExpF(z[l] − shift[l]) for 8 lanes: the same operations as ExpF;
// the table lookup is one two-vector permute. Inlined into each ISA clone of its callers
// (pointers, not vector arguments, so that no clone's ABI depends on another's).
__attribute__((always_inline)) inline void ExpShifted8(float* z, const float* shift, const Ints& table_low,
                                                       const Ints& table_high) {
  Floats in, shifts;
  std::memcpy(&in, z, sizeof(in));
  std::memcpy(&shifts, shift, sizeof(shifts));
  const Floats x = in - shifts;
  Doubles xd = __builtin_convertvector(x, Doubles);
  xd = xd < kLow ? Doubles{} + kLow : xd;  // NaN lanes compare false twice and stay NaN
  xd = xd > kHigh ? Doubles{} + kHigh : xd;
  const Doubles zz = xd * kInvLn2Times16;
  const Doubles shifted = zz + kRoundShift;
  const Doubles kd = shifted - kRoundShift;
  const Doubles r = zz - kd;
  const Doubles p = 1.0 + r * (kC1 + r * (kC2 + r * (kC3 + r * kC4)));
  // k from the bits of 1.5·2^52 + k (a double → int64 conversion needs AVX512DQ; without it
  // GCC converts lane by lane).
  Ints k;
  std::memcpy(&k, &shifted, sizeof(k));
  k -= kRoundShiftBits;
#if defined(__clang__)  // no variable two-vector shuffle: a lookup per lane (sanitizer builds)
  Ints bits;
  for (int lane = 0; lane < kLanes; ++lane) bits[lane] = (k[lane] & 15) < kLanes ? table_low[k[lane] & 15] : table_high[(k[lane] & 15) - kLanes];
#else
  Ints bits = __builtin_shuffle(table_low, table_high, k & 15);  // vpermt2q
#endif
  bits += (k >> 4) << 52;
  Doubles s;
  std::memcpy(&s, &bits, sizeof(s));
  Floats out = __builtin_convertvector(s * p, Floats);
  out = x != x ? x : out;
  out = in == kNegInf ? Floats{} : out;
  std::memcpy(z, &out, sizeof(out));
}

}  // namespace

__attribute__((target_clones("avx512f", "avx2", "default"))) void ExpShiftedInPlace(float* z, int64_t n,
                                                                                     float shift) {
  Ints table_low, table_high;
  std::memcpy(&table_low, kTable, sizeof(table_low));
  std::memcpy(&table_high, kTable + kLanes, sizeof(table_high));
  float shifts[kLanes];
  std::fill_n(shifts, kLanes, shift);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) ExpShifted8(z + j, shifts, table_low, table_high);
  for (; j < n; ++j) z[j] = z[j] == kNegInf ? 0.0f : ExpF(z[j] - shift);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void ExpShiftedColumnsInPlace(float* z, int64_t rows,
                                                                                            int64_t columns,
                                                                                            const float* shift,
                                                                                            int64_t ld) {
  if (ld == 0) ld = columns;
  if (columns % kLanes != 0) {
    for (int64_t j = 0; j < rows; ++j) {
      for (int64_t c = 0; c < columns; ++c) {
        float& v = z[j * ld + c];
        v = v == kNegInf ? 0.0f : ExpF(v - shift[c]);
      }
    }
    return;
  }
  Ints table_low, table_high;
  std::memcpy(&table_low, kTable, sizeof(table_low));
  std::memcpy(&table_high, kTable + kLanes, sizeof(table_high));
  for (int64_t j = 0; j < rows; ++j) {
    for (int64_t c = 0; c < columns; c += kLanes) ExpShifted8(z + j * ld + c, shift + c, table_low, table_high);
  }
}

}  // namespace dsc::numerics
