// Type construction, printing and the storage layout of quantized formats.
#include "ir/type.h"

#include "absl/strings/str_cat.h"

namespace dsc::ir {

Type Type::Tensor(DType dtype, Shape shape) {
  Type t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  return t;
}

Type Type::Quantized(QuantFormat format, Shape shape) {
  Type t;
  t.dtype_ = DType::kF32;
  t.format_ = format;
  t.shape_ = std::move(shape);
  return t;
}

std::string Type::ToString() const {
  std::string_view head = format_ ? QuantFormatName(*format_) : DTypeName(dtype_);
  return absl::StrCat(std::string(head), shape_.ToString());
}

std::vector<QuantPart> QuantParts(QuantFormat format, int64_t n, int64_t k) {
  switch (format) {
    case QuantFormat::kNvfp4:
      return {{"codes", DType::kU8, Shape{n, k / 2}},
              {"block_scale", DType::kF8E4M3, Shape{n, k / 16}},
              {"global_scale", DType::kF32, Shape{}}};
    case QuantFormat::kFp8Block128:
      return {{"weight", DType::kF8E4M3, Shape{n, k}},
              {"scale_inv", DType::kF32, Shape{(n + 127) / 128, (k + 127) / 128}}};
  }
  return {};
}

}  // namespace dsc::ir
