// Shared verifier rules for op families.
#include "ir/op_rules.h"

namespace dsc::ir::rules {

absl::Status ExpectTensor(const Type& t, absl::string_view operand) {
  if (t.is_quantized()) {
    return Error("operand '", operand, "' must be a plain tensor, got quantized ", t.ToString());
  }
  return absl::OkStatus();
}

absl::Status ExpectQuantized(const Type& t, absl::string_view operand) {
  if (!t.is_quantized()) {
    return Error("operand '", operand, "' must be a quantized weight (nvfp4|fp8b128), got ",
                 t.ToString());
  }
  return absl::OkStatus();
}

absl::Status ExpectFloatTensor(const Type& t, absl::string_view operand) {
  DSC_RETURN_IF_ERROR(ExpectTensor(t, operand));
  if (!IsFloat(t.dtype()) || t.dtype() == DType::kE2M1) {
    return Error("operand '", operand, "' must have a float element type, got ", t.ToString());
  }
  return absl::OkStatus();
}

absl::Status ExpectIntTensor(const Type& t, absl::string_view operand) {
  DSC_RETURN_IF_ERROR(ExpectTensor(t, operand));
  if (t.dtype() != DType::kI32 && t.dtype() != DType::kI64) {
    return Error("operand '", operand, "' must be i32 or i64, got ", t.ToString());
  }
  return absl::OkStatus();
}

absl::Status ExpectRank(const Type& t, int rank, absl::string_view operand) {
  if (t.rank() != rank) {
    return Error("operand '", operand, "' must have rank ", rank, ", got ", t.ToString());
  }
  return absl::OkStatus();
}

absl::Status ExpectMinRank(const Type& t, int rank, absl::string_view operand) {
  if (t.rank() < rank) {
    return Error("operand '", operand, "' must have rank >= ", rank, ", got ", t.ToString());
  }
  return absl::OkStatus();
}

absl::Status ExpectSameDim(const Dim& a, const Dim& b, absl::string_view what) {
  if (a != b) return Error(what, " must match, got ", a.ToString(), " and ", b.ToString());
  return absl::OkStatus();
}

absl::Status ExpectSameShape(const Type& a, const Type& b, absl::string_view a_name,
                             absl::string_view b_name) {
  if (a.shape() != b.shape()) {
    return Error("operands '", a_name, "' and '", b_name, "' must have the same shape, got ",
                 a.ToString(), " and ", b.ToString());
  }
  return absl::OkStatus();
}

absl::StatusOr<Shape> Broadcast(const Shape& a, const Shape& b) {
  int rank = std::max(a.rank(), b.rank());
  std::vector<Dim> dims(rank);
  for (int i = 0; i < rank; ++i) {
    int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    if (ia < 0) { dims[i] = b.dim(ib); continue; }
    if (ib < 0) { dims[i] = a.dim(ia); continue; }
    const Dim& da = a.dim(ia);
    const Dim& db = b.dim(ib);
    if (da == db || (db.is_static() && db.offset() == 1)) {
      dims[i] = da;
    } else if (da.is_static() && da.offset() == 1) {
      dims[i] = db;
    } else {
      return Error("shapes ", a.ToString(), " and ", b.ToString(), " do not broadcast");
    }
  }
  return Shape(std::move(dims));
}

absl::StatusOr<int> NormalizeAxis(int64_t axis, int rank, absl::string_view attr) {
  if (axis < -rank || axis >= rank) {
    return Error("attribute '", attr, "' = ", axis, " is out of range for rank ", rank);
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

Shape WithDim(const Shape& s, int axis, Dim d) {
  std::vector<Dim> dims = s.dims();
  dims[axis] = std::move(d);
  return Shape(std::move(dims));
}

Shape WithLastDim(const Shape& s, Dim d) { return WithDim(s, s.rank() - 1, std::move(d)); }

}  // namespace dsc::ir::rules
