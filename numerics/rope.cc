// YaRN frequencies, rotary application and the softmax scale, step by step as model.md §5–§6.
#include "numerics/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"

namespace dsc::numerics {
namespace {

// corr(n) = d_r · ln(L_0 / (2π n)) / (2 ln θ), in double like Python's math module.
double CorrectionDim(double num_rotations, int64_t rope_dim, double theta,
                     int64_t original_seq_len) {
  return static_cast<double>(rope_dim) *
         std::log(static_cast<double>(original_seq_len) /
                  (num_rotations * 2.0 * std::numbers::pi)) /
         (2.0 * std::log(theta));
}

}  // namespace

absl::StatusOr<std::vector<float>> YarnFrequencies(int64_t rope_dim, double theta, double factor,
                                                   int64_t original_seq_len, double beta_fast,
                                                   double beta_slow, int64_t max_seq_len) {
  if (rope_dim <= 0 || rope_dim % 2 != 0 || !(theta > 1.0) || !(factor > 0.0) ||
      original_seq_len <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "YaRN frequencies: need an even rope_dim > 0, theta > 1, factor > 0 and "
        "original_seq_len > 0; got rope_dim=",
        rope_dim, " theta=", theta, " factor=", factor, " original_seq_len=", original_seq_len));
  }
  const int64_t half = rope_dim / 2;
  std::vector<float> freqs(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    // 1 / θ^(arange(0, d_r, 2) / d_r): exponent and power rounded to float32, then a float32
    // reciprocal.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rope_dim);
    const float power = static_cast<float>(std::pow(theta, static_cast<double>(exponent)));
    freqs[i] = 1.0f / power;
  }
  if (!YarnActive(max_seq_len, original_seq_len)) return freqs;

  const double low = std::max(
      std::floor(CorrectionDim(beta_fast, rope_dim, theta, original_seq_len)), 0.0);
  double high = std::min(std::ceil(CorrectionDim(beta_slow, rope_dim, theta, original_seq_len)),
                         static_cast<double>(rope_dim - 1));
  if (low == high) high += 0.001;
  const float ramp_low = static_cast<float>(low);
  const float ramp_width = static_cast<float>(high - low);
  const float factor_f = static_cast<float>(factor);
  for (int64_t i = 0; i < half; ++i) {
    const float ramp = std::clamp((static_cast<float>(i) - ramp_low) / ramp_width, 0.0f, 1.0f);
    const float smooth = 1.0f - ramp;
    // (freq / f) · (1 − smooth) + freq · smooth, each operation rounded to float32.
    const float scaled = (freqs[i] / factor_f) * (1.0f - smooth);
    const float kept = freqs[i] * smooth;
    freqs[i] = scaled + kept;
  }
  return freqs;
}

void RopeCosSin(int64_t pos, const float* freqs, int64_t count, float* cos_out, float* sin_out) {
  for (int64_t i = 0; i < count; ++i) {
    const double angle = static_cast<double>(RopeAngle(pos, freqs[i]));
    cos_out[i] = static_cast<float>(std::cos(angle));
    sin_out[i] = static_cast<float>(std::sin(angle));
  }
}

void ApplyRopeWithCosSin(float* x, int64_t dim, const float* cos_values, const float* sin_values,
                         bool interleaved) {
  const int64_t half = dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    float& first = interleaved ? x[2 * i] : x[i];
    float& second = interleaved ? x[2 * i + 1] : x[i + half];
    const float a = first;
    const float b = second;
    const float c = cos_values[i];
    const float s = sin_values[i];
    const float ac = a * c;
    const float bs = b * s;
    const float as = a * s;
    const float bc = b * c;
    first = ac - bs;
    second = as + bc;
  }
}

void ApplyRope(float* x, int64_t dim, int64_t pos, const float* freqs, bool interleaved) {
  // One pair at a time, so no scratch buffer is needed for any dim.
  const int64_t half = dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    float cos_value;
    float sin_value;
    RopeCosSin(pos, freqs + i, 1, &cos_value, &sin_value);
    float pair[2] = {interleaved ? x[2 * i] : x[i], interleaved ? x[2 * i + 1] : x[i + half]};
    ApplyRopeWithCosSin(pair, 2, &cos_value, &sin_value, /*interleaved=*/true);
    (interleaved ? x[2 * i] : x[i]) = pair[0];
    (interleaved ? x[2 * i + 1] : x[i + half]) = pair[1];
  }
}

float AttentionSoftmaxScale(int64_t qk_head_dim, double rope_factor, double mscale,
                            bool yarn_active) {
  double scale = std::pow(static_cast<double>(qk_head_dim), -0.5);
  if (yarn_active) {
    const double yarn_mscale = 0.1 * mscale * std::log(rope_factor) + 1.0;
    scale = scale * yarn_mscale * yarn_mscale;
  }
  return static_cast<float>(scale);
}

}  // namespace dsc::numerics
