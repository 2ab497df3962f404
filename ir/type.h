// The type of an IR value: a plain tensor (dtype + shape) or a quantized weight (format +
// logical shape). Quantized types are explicit so passes can see what a kernel must decode.
#ifndef DSC_IR_TYPE_H_
#define DSC_IR_TYPE_H_

#include <optional>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "ir/shape.h"

namespace dsc::ir {

class Type {
 public:
  Type() = default;
  static Type Tensor(DType dtype, Shape shape);
  // Logical shape [..., N, K]: leading dims stack independent matrices (e.g. experts).
  static Type Quantized(QuantFormat format, Shape shape);

  bool is_quantized() const { return format_.has_value(); }
  // For tensors: the element type. For quantized values: f32 (what dequantization yields).
  DType dtype() const { return dtype_; }
  QuantFormat format() const { return *format_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }

  bool operator==(const Type& o) const {
    return dtype_ == o.dtype_ && format_ == o.format_ && shape_ == o.shape_;
  }
  bool operator!=(const Type& o) const { return !(*this == o); }

  // "f32[S,7168]", "nvfp4[2048,7168]", "fp8b128[576,7168]".
  std::string ToString() const;

 private:
  DType dtype_ = DType::kF32;
  std::optional<QuantFormat> format_;
  Shape shape_;
};

// One stored tensor making up (part of) a quantized weight of logical matrix shape [N, K].
struct QuantPart {
  std::string role;  // "codes", "block_scale", "global_scale", "weight", "scale_inv"
  DType dtype;
  Shape shape;
};
// The storage tensors of one [N, K] matrix of the format, in canonical order.
std::vector<QuantPart> QuantParts(QuantFormat format, int64_t n, int64_t k);

}  // namespace dsc::ir

#endif  // DSC_IR_TYPE_H_
