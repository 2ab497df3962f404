// NVFP4 (ModelOpt) weights, formats.md §6: nibble unpacking, exact float32 dequantization, and
// two quantizers — the reference ModelOpt recipe and an error-minimising block-scale search.
#ifndef DSC_NUMERICS_NVFP4_H_
#define DSC_NUMERICS_NVFP4_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "numerics/scalar_formats.h"

namespace dsc::numerics {

// Elements per block scale, along the input (column) dimension.
inline constexpr int64_t kNvfp4BlockSize = 16;

// One NVFP4 weight W [rows, cols] in checkpoint layout (checkpoint.md §4.5):
//   packed        U8      [rows, cols/2]   column 2k in the LOW nibble of byte k
//   block_scales  E4M3    [rows, cols/16]
//   global_scale  F32     scalar           (`weight_scale_2`)
struct Nvfp4Weights {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<uint8_t> packed;
  std::vector<uint8_t> block_scales;
  float global_scale = 0.0f;
};

// E2M1 code of column `col` of a packed row.
inline uint8_t Nvfp4Code(const uint8_t* packed_row, int64_t col) {
  return static_cast<uint8_t>((packed_row[col >> 1] >> (4 * (col & 1))) & 0xF);
}

// Dequantizes one row of `cols` (a multiple of 16) weights to float32, evaluating
// e2m1(code) · e4m3(scale) · global_scale left to right (the FP32-REF value: the first product
// is exact, so each weight is rounded once).
void DequantizeNvfp4Row(const uint8_t* packed_row, const uint8_t* scale_row, float global_scale,
                        int64_t cols, float* out);

// Dequantizes a whole [rows, cols] weight into `out` (rows·cols floats). InvalidArgument if
// cols is not a positive multiple of 16 or rows is negative.
absl::Status DequantizeNvfp4(const uint8_t* packed, const uint8_t* block_scales,
                             float global_scale, int64_t rows, int64_t cols, float* out);
absl::StatusOr<std::vector<float>> DequantizeNvfp4(const Nvfp4Weights& weights);

// How block scales are chosen. All recipes use the reference global scale amax/(6·448).
enum class Nvfp4Recipe {
  // ModelOpt's dynamic recipe exactly as formats.md §6 specifies it.
  kReference,
  // Per block, try the E4M3 scale codes within `scale_search_radius` codes of the reference
  // code and keep the one with the smallest squared error of the dequantized block (the
  // reference code wins ties). Never worse than kReference, block by block.
  kScaleSearch,
  // Same, over all 126 positive finite E4M3 codes: the best block scale for this global scale.
  kExhaustiveScaleSearch,
};

struct Nvfp4QuantizeOptions {
  Nvfp4Recipe recipe = Nvfp4Recipe::kScaleSearch;
  // 8 codes = one octave of E4M3 scales on either side of the reference code.
  int scale_search_radius = 8;
};

// Reference global scale `weight_scale_2 = amax(|w|) / (6·448)` in float32 over `count`
// values. An all-zero tensor gets 1/(6·448) so that every later division stays finite.
float Nvfp4GlobalScale(const float* w, int64_t count);

// The reference block-scale code of a block with maximum magnitude `block_amax` (steps 2 of
// formats.md §6): e4m3(max(amax_b / (6·s2), 2^-9)), with 1.0 for an all-zero block.
uint8_t Nvfp4ReferenceBlockScaleCode(float block_amax, float global_scale);

// Quantizes one block of 16 weights with the given block scale code (steps 3–4): codes
// (one per element, unpacked) of x = w / (e4m3(scale_code) · global_scale).
void QuantizeNvfp4BlockWithScale(const float* w, uint8_t scale_code, float global_scale,
                                 uint8_t* codes);

// Quantizes rows [0, rows) of w [rows, cols] with a given global scale into the packed
// [rows, cols/2] and block-scale [rows, cols/16] buffers. Rows are independent, so callers
// may split a tensor into row ranges across threads once the global scale is known.
// Requires cols % 16 == 0 and finite w (QuantizeNvfp4 checks both).
void QuantizeNvfp4Rows(const float* w, int64_t rows, int64_t cols, float global_scale,
                       const Nvfp4QuantizeOptions& options, uint8_t* packed,
                       uint8_t* block_scales);

// Quantizes W [rows, cols] (row-major): computes the global scale, then every block.
// InvalidArgument if cols is not a positive multiple of 16, rows < 0, or w has a non-finite
// value.
absl::StatusOr<Nvfp4Weights> QuantizeNvfp4(const float* w, int64_t rows, int64_t cols,
                                           const Nvfp4QuantizeOptions& options = {});

}  // namespace dsc::numerics

#endif  // DSC_NUMERICS_NVFP4_H_
