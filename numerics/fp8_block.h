// DeepSeek FP8 block-128 weights (formats.md §7, checkpoint.md §4.5 (i)): E4M3 codes with one
// float32 `weight_scale_inv` per 128×128 block, partial edge blocks included.
#ifndef DSC_NUMERICS_FP8_BLOCK_H_
#define DSC_NUMERICS_FP8_BLOCK_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dsc::numerics {

// Rows and columns covered by one weight scale.
inline constexpr int64_t kFp8BlockSize = 128;

// Number of 128-blocks covering `extent` elements: ceil(extent / 128).
constexpr int64_t Fp8BlockCount(int64_t extent) {
  return (extent + kFp8BlockSize - 1) / kFp8BlockSize;
}

// One FP8 weight W [rows, cols]: codes F8_E4M3 [rows, cols] and scale_inv
// F32 [ceil(rows/128), ceil(cols/128)]; W[r, c] = e4m3(codes[r, c]) · scale_inv[r/128, c/128].
struct Fp8BlockWeights {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<uint8_t> codes;
  std::vector<float> scale_inv;
};

// Dequantizes `rows`·`cols` codes into `out` (float32, one rounding per element).
// InvalidArgument on negative extents.
absl::Status DequantizeFp8Block(const uint8_t* codes, const float* scale_inv, int64_t rows,
                                int64_t cols, float* out);
absl::StatusOr<std::vector<float>> DequantizeFp8Block(const Fp8BlockWeights& weights);

// How a block's scale is derived from its amax.
enum class Fp8ScaleFormat {
  kExact,  // scale = amax / 448 (float32 division)
  kUe8m0,  // scale = 2^ceil(log2(amax · float32(1/448))), like act_quant's "ue8m0"
};

// Quantizes W [rows, cols] per 128×128 block: scale from max(amax_block, 1e-4) per `format`,
// codes = e4m3(clamp(w / scale, ±448)) (round to nearest even). InvalidArgument on negative
// extents or non-finite input.
absl::StatusOr<Fp8BlockWeights> QuantizeFp8Block(const float* w, int64_t rows, int64_t cols,
                                                 Fp8ScaleFormat format);

}  // namespace dsc::numerics

#endif  // DSC_NUMERICS_FP8_BLOCK_H_
