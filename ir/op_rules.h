// Helpers for writing op verifiers / shape inference: each returns InvalidArgument with a
// message naming the operand and the violated rule ("operand 'w' must have rank 2, got f32[3]").
#ifndef DSC_IR_OP_RULES_H_
#define DSC_IR_OP_RULES_H_

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"

namespace dsc::ir::rules {

template <typename... Args>
absl::Status Error(const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat(args...));
}

// Early-return helper for absl::Status expressions inside inference functions.
#define DSC_RETURN_IF_ERROR(expr)            \
  do {                                       \
    absl::Status _dsc_status = (expr);       \
    if (!_dsc_status.ok()) return _dsc_status; \
  } while (0)

absl::Status ExpectTensor(const Type& t, absl::string_view operand);       // not quantized
absl::Status ExpectQuantized(const Type& t, absl::string_view operand);
absl::Status ExpectFloatTensor(const Type& t, absl::string_view operand);  // f32/f16/bf16/...
absl::Status ExpectIntTensor(const Type& t, absl::string_view operand);    // i32/i64
absl::Status ExpectRank(const Type& t, int rank, absl::string_view operand);
absl::Status ExpectMinRank(const Type& t, int rank, absl::string_view operand);
// `what` describes the two dims, e.g. "last dim of 'x' and dim 1 of 'w'".
absl::Status ExpectSameDim(const Dim& a, const Dim& b, absl::string_view what);
absl::Status ExpectSameShape(const Type& a, const Type& b, absl::string_view a_name,
                             absl::string_view b_name);
// Numpy broadcasting of two shapes (dims equal, or one of them statically 1).
absl::StatusOr<Shape> Broadcast(const Shape& a, const Shape& b);
// Maps a possibly negative axis to [0, rank).
absl::StatusOr<int> NormalizeAxis(int64_t axis, int rank, absl::string_view attr = "axis");

// Shape with dim `axis` replaced by `d`; shape with the last dim replaced.
Shape WithDim(const Shape& s, int axis, Dim d);
Shape WithLastDim(const Shape& s, Dim d);
// Float result type for an op computing in f32.
inline Type F32(Shape s) { return Type::Tensor(DType::kF32, std::move(s)); }

}  // namespace dsc::ir::rules

#endif  // DSC_IR_OP_RULES_H_
