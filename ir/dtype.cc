// Names and properties of element types and quantized formats.
#include "ir/dtype.h"

#include <array>

namespace dsc::ir {
namespace {

struct DTypeInfo {
  std::string_view name;
  int bits;
};
constexpr std::array<DTypeInfo, kNumDTypes> kDTypes = {{
    {"f32", 32}, {"f16", 16}, {"bf16", 16}, {"f8e4m3", 8}, {"e2m1", 4},
    {"u8", 8}, {"i32", 32}, {"i64", 64}, {"bool", 8},
}};
constexpr std::array<std::string_view, kNumQuantFormats> kQuantNames = {"nvfp4", "fp8b128"};

}  // namespace

std::string_view DTypeName(DType t) { return kDTypes[static_cast<int>(t)].name; }
int DTypeBits(DType t) { return kDTypes[static_cast<int>(t)].bits; }

std::optional<DType> DTypeFromName(std::string_view name) {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (kDTypes[i].name == name) return static_cast<DType>(i);
  }
  return std::nullopt;
}

bool IsFloat(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF8E4M3 ||
         t == DType::kE2M1;
}
bool IsInteger(DType t) { return t == DType::kU8 || t == DType::kI32 || t == DType::kI64; }

std::string_view QuantFormatName(QuantFormat f) { return kQuantNames[static_cast<int>(f)]; }

std::optional<QuantFormat> QuantFormatFromName(std::string_view name) {
  for (int i = 0; i < kNumQuantFormats; ++i) {
    if (kQuantNames[i] == name) return static_cast<QuantFormat>(i);
  }
  return std::nullopt;
}

}  // namespace dsc::ir
