// Element types and quantized weight formats of the IR.
#ifndef DSC_IR_DTYPE_H_
#define DSC_IR_DTYPE_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace dsc::ir {

// Scalar element types. e2m1 is packed two per byte (low nibble first) when stored.
enum class DType : uint8_t { kF32, kF16, kBF16, kF8E4M3, kE2M1, kU8, kI32, kI64, kBool };
inline constexpr int kNumDTypes = 9;

std::string_view DTypeName(DType t);                     // "f32", "bf16", "f8e4m3", ...
std::optional<DType> DTypeFromName(std::string_view name);
int DTypeBits(DType t);                                   // 4 for e2m1, 8 for u8, ...
bool IsFloat(DType t);                                    // f32, f16, bf16, f8e4m3, e2m1
bool IsInteger(DType t);                                  // u8, i32, i64

// Quantized weight formats. A quantized value has a logical float shape [..., N, K] (weights
// are [out, in]); its storage is several plain tensors, listed by QuantParts().
enum class QuantFormat : uint8_t {
  kNvfp4,        // e2m1 codes [N, K/2] u8 + f8e4m3 block scale [N, K/16] + f32 global scale []
  kFp8Block128,  // f8e4m3 [N, K] + f32 scale_inv [ceil(N/128), ceil(K/128)]
};
inline constexpr int kNumQuantFormats = 2;

std::string_view QuantFormatName(QuantFormat f);  // "nvfp4", "fp8b128"
std::optional<QuantFormat> QuantFormatFromName(std::string_view name);

}  // namespace dsc::ir

#endif  // DSC_IR_DTYPE_H_
