// The bytes of a synthetic tensor: a counter-based random stream (splitmix64) indexes 65536-entry
// tables of already-encoded values (BF16 / F32 / E4M3 / packed E2M1 pairs of normal quantiles),
// so generation is one hash and one table load per element and any slice can be made alone.
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "frontend/synth.h"
#include "frontend/synth_internal.h"
#include "numerics/scalar_formats.h"

namespace dsc::frontend::synth_internal {
namespace {

using numerics::DecodeE2m1;
using numerics::DecodeE4m3;
using numerics::EncodeE2m1;
using numerics::EncodeE4m3;
using numerics::FloatToBf16;

// Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9);
// plain arithmetic, so the tables are the same on every IEEE machine.
double NormalQuantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p < kLow || p > 1 - kLow) {
    const double q = std::sqrt(-2 * std::log(p < kLow ? p : 1 - p));
    const double x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                     ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < kLow ? x : -x;
  }
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Midpoint quantiles of N(0, 1) for 2^bits equiprobable cells.
const std::vector<double>& Quantiles(int bits) {
  static const std::vector<double> q8 = [] {
    std::vector<double> q(256);
    for (int i = 0; i < 256; ++i) q[i] = NormalQuantile((i + 0.5) / 256);
    return q;
  }();
  static const std::vector<double> q16 = [] {
    std::vector<double> q(65536);
    for (int i = 0; i < 65536; ++i) q[i] = NormalQuantile((i + 0.5) / 65536);
    return q;
  }();
  return bits == 8 ? q8 : q16;
}

// NVFP4 codes are E2M1(kNvfp4CodeSpread · z): z = 2.7 (the 1/512 tail) lands on 6, so each
// 16-block looks like a quantized Gaussian block whose amax sits near the top of the grid.
constexpr double kNvfp4CodeSpread = 2.2;
constexpr uint8_t kNvfp4ScaleBase = 0x68;  // E4M3 64.0

uint8_t ScaleJitterCode(uint32_t bits) {
  static constexpr int kJitter[4] = {-1, 0, 0, 1};
  return static_cast<uint8_t>(kNvfp4ScaleBase + kJitter[bits & 3]);
}

std::vector<uint8_t> BuildTable(SynthFill fill, StDtype dtype, double mean, double sigma) {
  const std::vector<double>& z = Quantiles(16);
  std::vector<uint8_t> table(65536 * StDtypeSize(dtype));
  for (int i = 0; i < 65536; ++i) {
    const double v = mean + sigma * z[i];
    uint8_t* slot = table.data() + static_cast<size_t>(i) * StDtypeSize(dtype);
    switch (fill) {
      case SynthFill::kGaussianBf16: {
        const uint16_t bf16 = FloatToBf16(static_cast<float>(v));
        std::memcpy(slot, &bf16, 2);
        break;
      }
      case SynthFill::kGaussianF32:
      case SynthFill::kConstantF32: {
        const float f = fill == SynthFill::kConstantF32 ? static_cast<float>(mean)
                                                        : static_cast<float>(v);
        std::memcpy(slot, &f, 4);
        break;
      }
      case SynthFill::kNvfp4Packed: {
        const std::vector<double>& z8 = Quantiles(8);
        const uint8_t lo = EncodeE2m1(static_cast<float>(kNvfp4CodeSpread * z8[i & 0xFF]));
        const uint8_t hi = EncodeE2m1(static_cast<float>(kNvfp4CodeSpread * z8[i >> 8]));
        *slot = static_cast<uint8_t>(lo | (hi << 4));
        break;
      }
      case SynthFill::kNvfp4Scales:
        *slot = ScaleJitterCode(static_cast<uint32_t>(i));
        break;
      case SynthFill::kFp8Codes:
        *slot = EncodeE4m3(static_cast<float>(sigma * z[i]));
        break;
    }
  }
  return table;
}

template <int kElem>
void FillFromTable(uint64_t key, const uint8_t* table, uint64_t first, uint64_t count,
                   uint8_t* out) {
  uint64_t i = first;
  const uint64_t end = first + count;
  auto put = [&](uint64_t word, int lane) {
    std::memcpy(out, table + static_cast<size_t>((word >> (16 * lane)) & 0xFFFFu) * kElem, kElem);
    out += kElem;
  };
  // Head up to a word boundary, whole words (four elements each), tail.
  for (; i < end && (i & 3) != 0; ++i) put(RandomWord(key, i >> 2), static_cast<int>(i & 3));
  for (; i + 4 <= end; i += 4) {
    const uint64_t word = RandomWord(key, i >> 2);
    put(word, 0), put(word, 1), put(word, 2), put(word, 3);
  }
  for (; i < end; ++i) put(RandomWord(key, i >> 2), static_cast<int>(i & 3));
}

}  // namespace

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t TensorKey(uint64_t seed, std::string_view name) {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a
  for (unsigned char ch : name) h = (h ^ ch) * 0x100000001B3ull;
  return Mix64(Mix64(seed) ^ h);
}

double Nvfp4CodeRms() {
  const std::vector<double>& z8 = Quantiles(8);
  double sum = 0;
  for (double z : z8) {
    const double v = DecodeE2m1(EncodeE2m1(static_cast<float>(kNvfp4CodeSpread * z)));
    sum += v * v;
  }
  return std::sqrt(sum / 256);
}

double Nvfp4ScaleRms() {
  double sum = 0;
  for (uint32_t bits = 0; bits < 4; ++bits) {
    const double s = DecodeE4m3(ScaleJitterCode(bits));
    sum += s * s;
  }
  return std::sqrt(sum / 4);
}

std::shared_ptr<const std::vector<uint8_t>> TableFor(const SynthTensor& t) {
  static std::mutex mu;
  // Strong references: a model has a few dozen distinct (fill, sigma) pairs at most.
  static std::map<std::tuple<int, int, double, double>, std::shared_ptr<std::vector<uint8_t>>>
      cache;
  const auto key = std::make_tuple(static_cast<int>(t.fill), static_cast<int>(t.dtype), t.mean,
                                   t.sigma);
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<std::vector<uint8_t>>& table = cache[key];
  if (!table) {
    table = std::make_shared<std::vector<uint8_t>>(BuildTable(t.fill, t.dtype, t.mean, t.sigma));
  }
  return table;
}

void FillElements(const SynthTensor& t, const std::vector<uint8_t>& table, uint64_t first,
                  uint64_t count, uint8_t* out) {
  switch (StDtypeSize(t.dtype)) {
    case 1: return FillFromTable<1>(t.key, table.data(), first, count, out);
    case 2: return FillFromTable<2>(t.key, table.data(), first, count, out);
    default: return FillFromTable<4>(t.key, table.data(), first, count, out);
  }
}

}  // namespace dsc::frontend::synth_internal
