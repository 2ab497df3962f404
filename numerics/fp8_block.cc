// FP8 block-128 dequantization and the synthetic-checkpoint quantizer.
#include "numerics/fp8_block.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "numerics/act_quant.h"
#include "numerics/scalar_formats.h"

namespace dsc::numerics {
namespace {

absl::Status CheckExtents(int64_t rows, int64_t cols) {
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("FP8 block weight [", rows, ", ", cols, "]: negative extent"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DequantizeFp8Block(const uint8_t* codes, const float* scale_inv, int64_t rows,
                                int64_t cols, float* out) {
  if (absl::Status status = CheckExtents(rows, cols); !status.ok()) return status;
  const int64_t col_blocks = Fp8BlockCount(cols);
  for (int64_t r = 0; r < rows; ++r) {
    const float* scale_row = scale_inv + (r / kFp8BlockSize) * col_blocks;
    for (int64_t c = 0; c < cols; ++c) {
      out[r * cols + c] = DecodeE4m3(codes[r * cols + c]) * scale_row[c / kFp8BlockSize];
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> DequantizeFp8Block(const Fp8BlockWeights& weights) {
  if (absl::Status status = CheckExtents(weights.rows, weights.cols); !status.ok()) return status;
  const int64_t count = weights.rows * weights.cols;
  const int64_t scale_count = Fp8BlockCount(weights.rows) * Fp8BlockCount(weights.cols);
  if (static_cast<int64_t>(weights.codes.size()) != count ||
      static_cast<int64_t>(weights.scale_inv.size()) != scale_count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FP8 block weight [", weights.rows, ", ", weights.cols, "]: ", weights.codes.size(),
        " codes (want ", count, "), ", weights.scale_inv.size(), " scales (want ", scale_count,
        ")"));
  }
  std::vector<float> out(static_cast<size_t>(count));
  if (absl::Status status = DequantizeFp8Block(weights.codes.data(), weights.scale_inv.data(),
                                               weights.rows, weights.cols, out.data());
      !status.ok()) {
    return status;
  }
  return out;
}

absl::StatusOr<Fp8BlockWeights> QuantizeFp8Block(const float* w, int64_t rows, int64_t cols,
                                                 Fp8ScaleFormat format) {
  if (absl::Status status = CheckExtents(rows, cols); !status.ok()) return status;
  for (int64_t i = 0; i < rows * cols; ++i) {
    if (!std::isfinite(w[i])) {
      return absl::InvalidArgumentError(absl::StrCat("FP8 block quantization: element ", i,
                                                     " (row ", i / cols, ", col ", i % cols,
                                                     ") is not finite"));
    }
  }
  Fp8BlockWeights weights;
  weights.rows = rows;
  weights.cols = cols;
  weights.codes.resize(static_cast<size_t>(rows * cols));
  const int64_t row_blocks = Fp8BlockCount(rows);
  const int64_t col_blocks = Fp8BlockCount(cols);
  weights.scale_inv.resize(static_cast<size_t>(row_blocks * col_blocks));
  for (int64_t bi = 0; bi < row_blocks; ++bi) {
    const int64_t row_end = std::min(rows, (bi + 1) * kFp8BlockSize);
    for (int64_t bj = 0; bj < col_blocks; ++bj) {
      const int64_t col_begin = bj * kFp8BlockSize;
      const int64_t col_end = std::min(cols, col_begin + kFp8BlockSize);
      float amax = 0.0f;
      for (int64_t r = bi * kFp8BlockSize; r < row_end; ++r) {
        for (int64_t c = col_begin; c < col_end; ++c) amax = std::max(amax, std::fabs(w[r * cols + c]));
      }
      amax = std::max(amax, kActQuantAmaxFloor);
      const float scale = format == Fp8ScaleFormat::kUe8m0
                              ? ActQuantScale(amax, ActScaleFormat::kUe8m0)
                              : amax / kE4m3Max;
      weights.scale_inv[bi * col_blocks + bj] = scale;
      for (int64_t r = bi * kFp8BlockSize; r < row_end; ++r) {
        for (int64_t c = col_begin; c < col_end; ++c) {
          weights.codes[r * cols + c] = EncodeE4m3(std::clamp(w[r * cols + c] / scale, -kE4m3Max, kE4m3Max));
        }
      }
    }
  }
  return weights;
}

}  // namespace dsc::numerics
