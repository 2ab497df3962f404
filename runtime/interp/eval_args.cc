// Results in the executor's arena: a slot that fits gets the elements, anything else (no plan,
// a shape above the plan's bound, a batched row count) owns heap storage as before.
#include "runtime/interp/eval_ops.h"

namespace dsc::runtime {

Tensor EvalArgs::NewFloat(int r, ir::DType dtype) const {
  Tensor t;
  t.dtype = dtype;
  t.shape = result_shapes[static_cast<size_t>(r)];
  const size_t n = static_cast<size_t>(t.numel());
  const ResultSlot* slot = slots == nullptr ? nullptr : &slots[r];
  if (slot != nullptr && slot->data != nullptr && static_cast<int64_t>(n * sizeof(float)) <= slot->bytes) {
    t.f = Buffer<float>::Borrowed(static_cast<float*>(slot->data), static_cast<size_t>(slot->bytes) / sizeof(float), n);
  } else {
    t.f.assign(n, 0.0f);
  }
  return t;
}

Tensor EvalArgs::NewInt(int r, ir::DType dtype) const {
  Tensor t;
  t.dtype = dtype;
  t.shape = result_shapes[static_cast<size_t>(r)];
  const size_t n = static_cast<size_t>(t.numel());
  const ResultSlot* slot = slots == nullptr ? nullptr : &slots[r];
  if (slot != nullptr && slot->data != nullptr && static_cast<int64_t>(n * sizeof(int64_t)) <= slot->bytes) {
    t.i = Buffer<int64_t>::Borrowed(static_cast<int64_t*>(slot->data), static_cast<size_t>(slot->bytes) / sizeof(int64_t), n);
  } else {
    t.i.assign(n, 0);
  }
  return t;
}

}  // namespace dsc::runtime
