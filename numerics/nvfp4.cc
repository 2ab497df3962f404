// NVFP4 dequantization and the reference / scale-search quantizers of formats.md §6.
#include "numerics/nvfp4.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace dsc::numerics {
namespace {

// Largest E2M1 magnitude times largest E4M3 scale: the reference global scale maps the
// tensor's amax onto 6·448.
constexpr float kNvfp4Range = 6.0f * 448.0f;
constexpr float kMinBlockScale = 1.0f / 512.0f;  // 2^-9, the smallest positive E4M3 value
constexpr uint8_t kMinPositiveE4m3Code = 0x01;

absl::Status CheckShape(int64_t rows, int64_t cols) {
  if (rows < 0 || cols <= 0 || cols % kNvfp4BlockSize != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "NVFP4 weight [", rows, ", ", cols, "]: need rows >= 0 and cols a positive multiple of ",
        kNvfp4BlockSize));
  }
  return absl::OkStatus();
}

float BlockAmax(const float* w) {
  float amax = 0.0f;
  for (int64_t j = 0; j < kNvfp4BlockSize; ++j) amax = std::max(amax, std::fabs(w[j]));
  return amax;
}

// Squared error of the block quantized with `scale_code` and dequantized exactly as
// DequantizeNvfp4Row would. The E2M1 magnitude is rebuilt from the same comparisons as
// EncodeE2m1Magnitude (0.5·[m > 0.25] + 0.5·[m ≥ 0.75] + … gives 0, 0.5, …, 6 exactly), so the
// loop has no table lookup and vectorizes; the sign of x is irrelevant to the error.
double BlockSquaredError(const float* w, uint8_t scale_code, float global_scale) {
  const float scale = DecodeE4m3(scale_code);
  const float divisor = scale * global_scale;
  double diff[kNvfp4BlockSize];
  for (int64_t j = 0; j < kNvfp4BlockSize; ++j) {  // vectorizes: selects, no lookups
    const float magnitude = std::fabs(w[j] / divisor);
    const float e2m1 = (magnitude > 0.25f ? 0.5f : 0.0f) + (magnitude >= 0.75f ? 0.5f : 0.0f) +
                       (magnitude > 1.25f ? 0.5f : 0.0f) + (magnitude >= 1.75f ? 0.5f : 0.0f) +
                       (magnitude > 2.5f ? 1.0f : 0.0f) + (magnitude >= 3.5f ? 1.0f : 0.0f) +
                       (magnitude > 5.0f ? 2.0f : 0.0f);
    const float dequantized = e2m1 * scale * global_scale;
    diff[j] = static_cast<double>(std::fabs(w[j])) - static_cast<double>(dequantized);  // exact
  }
  double error = 0.0;
  for (int64_t j = 0; j < kNvfp4BlockSize; ++j) {
    error += diff[j] * diff[j];
  }
  return error;
}

// Chooses the block scale code and codes for one block according to the recipe.
uint8_t QuantizeBlock(const float* w, float global_scale, const Nvfp4QuantizeOptions& options,
                      uint8_t* codes) {
  const uint8_t reference_code = Nvfp4ReferenceBlockScaleCode(BlockAmax(w), global_scale);
  if (options.recipe == Nvfp4Recipe::kReference) {
    QuantizeNvfp4BlockWithScale(w, reference_code, global_scale, codes);
    return reference_code;
  }
  int low = kMinPositiveE4m3Code;
  int high = kE4m3MaxCode;
  if (options.recipe == Nvfp4Recipe::kScaleSearch) {
    const int radius = std::max(options.scale_search_radius, 0);
    low = std::max(low, reference_code - radius);
    high = std::min(high, reference_code + radius);
  }
  uint8_t best_code = reference_code;
  double best_error = BlockSquaredError(w, reference_code, global_scale);
  for (int code = low; code <= high && best_error > 0.0; ++code) {
    if (code == reference_code) continue;
    const double error = BlockSquaredError(w, static_cast<uint8_t>(code), global_scale);
    if (error < best_error) {
      best_error = error;
      best_code = static_cast<uint8_t>(code);
    }
  }
  QuantizeNvfp4BlockWithScale(w, best_code, global_scale, codes);
  return best_code;
}

}  // namespace

void DequantizeNvfp4Row(const uint8_t* packed_row, const uint8_t* scale_row, float global_scale,
                        int64_t cols, float* out) {
  for (int64_t block = 0; block < cols / kNvfp4BlockSize; ++block) {
    const float scale = DecodeE4m3(scale_row[block]);
    const uint8_t* bytes = packed_row + block * (kNvfp4BlockSize / 2);
    float* block_out = out + block * kNvfp4BlockSize;
    for (int64_t k = 0; k < kNvfp4BlockSize / 2; ++k) {
      block_out[2 * k] = DecodeE2m1(bytes[k] & 0xF) * scale * global_scale;
      block_out[2 * k + 1] = DecodeE2m1(bytes[k] >> 4) * scale * global_scale;
    }
  }
}

absl::Status DequantizeNvfp4(const uint8_t* packed, const uint8_t* block_scales,
                             float global_scale, int64_t rows, int64_t cols, float* out) {
  if (absl::Status status = CheckShape(rows, cols); !status.ok()) return status;
  for (int64_t r = 0; r < rows; ++r) {
    DequantizeNvfp4Row(packed + r * (cols / 2), block_scales + r * (cols / kNvfp4BlockSize),
                       global_scale, cols, out + r * cols);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> DequantizeNvfp4(const Nvfp4Weights& weights) {
  if (absl::Status status = CheckShape(weights.rows, weights.cols); !status.ok()) return status;
  const int64_t count = weights.rows * weights.cols;
  if (static_cast<int64_t>(weights.packed.size()) != count / 2 ||
      static_cast<int64_t>(weights.block_scales.size()) != count / kNvfp4BlockSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "NVFP4 weight [", weights.rows, ", ", weights.cols, "]: packed has ",
        weights.packed.size(), " bytes (want ", count / 2, "), block_scales ",
        weights.block_scales.size(), " (want ", count / kNvfp4BlockSize, ")"));
  }
  std::vector<float> out(static_cast<size_t>(count));
  if (absl::Status status =
          DequantizeNvfp4(weights.packed.data(), weights.block_scales.data(),
                          weights.global_scale, weights.rows, weights.cols, out.data());
      !status.ok()) {
    return status;
  }
  return out;
}

float Nvfp4GlobalScale(const float* w, int64_t count) {
  float amax = 0.0f;
  for (int64_t i = 0; i < count; ++i) amax = std::max(amax, std::fabs(w[i]));
  if (amax == 0.0f) return 1.0f / kNvfp4Range;
  return amax / kNvfp4Range;
}

uint8_t Nvfp4ReferenceBlockScaleCode(float block_amax, float global_scale) {
  float scale = block_amax / (6.0f * global_scale);
  if (scale == 0.0f) scale = 1.0f;
  scale = std::max(scale, kMinBlockScale);
  return EncodeE4m3(scale);
}

void QuantizeNvfp4BlockWithScale(const float* w, uint8_t scale_code, float global_scale,
                                 uint8_t* codes) {
  const float divisor = DecodeE4m3(scale_code) * global_scale;
  for (int64_t j = 0; j < kNvfp4BlockSize; ++j) codes[j] = EncodeE2m1(w[j] / divisor);
}

void QuantizeNvfp4Rows(const float* w, int64_t rows, int64_t cols, float global_scale,
                       const Nvfp4QuantizeOptions& options, uint8_t* packed,
                       uint8_t* block_scales) {
  const int64_t blocks_per_row = cols / kNvfp4BlockSize;
  uint8_t codes[kNvfp4BlockSize];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < blocks_per_row; ++b) {
      const int64_t block_index = r * blocks_per_row + b;
      block_scales[block_index] =
          QuantizeBlock(w + block_index * kNvfp4BlockSize, global_scale, options, codes);
      uint8_t* bytes = packed + block_index * (kNvfp4BlockSize / 2);
      for (int64_t k = 0; k < kNvfp4BlockSize / 2; ++k) {
        bytes[k] = static_cast<uint8_t>(codes[2 * k] | (codes[2 * k + 1] << 4));
      }
    }
  }
}

absl::StatusOr<Nvfp4Weights> QuantizeNvfp4(const float* w, int64_t rows, int64_t cols,
                                           const Nvfp4QuantizeOptions& options) {
  if (absl::Status status = CheckShape(rows, cols); !status.ok()) return status;
  const int64_t count = rows * cols;
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(w[i])) {
      return absl::InvalidArgumentError(absl::StrCat("NVFP4 quantization: element ", i, " (row ",
                                                     i / cols, ", col ", i % cols,
                                                     ") is not finite"));
    }
  }
  Nvfp4Weights weights;
  weights.rows = rows;
  weights.cols = cols;
  weights.global_scale = Nvfp4GlobalScale(w, count);
  weights.packed.resize(static_cast<size_t>(count / 2));
  weights.block_scales.resize(static_cast<size_t>(count / kNvfp4BlockSize));
  QuantizeNvfp4Rows(w, rows, cols, weights.global_scale, options, weights.packed.data(),
                    weights.block_scales.data());
  return weights;
}

}  // namespace dsc::numerics
