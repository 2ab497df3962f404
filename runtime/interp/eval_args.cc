// Results in the executor's arena: a slot that fits gets the elements, anything else (no plan,
// a shape above the plan's bound, a batched row count) owns heap storage as before.
#include "runtime/interp/eval_ops.h"

namespace dsc::runtime {
namespace {

// n zeroed elements in `slot` when it holds them, else owned.
template <typename T>
Buffer<T> Elements(const ResultSlot* slot, size_t n) {
  if (slot != nullptr && slot->data != nullptr && static_cast<int64_t>(n * sizeof(T)) <= slot->bytes) {
    return Buffer<T>::Borrowed(static_cast<T*>(slot->data), static_cast<size_t>(slot->bytes) / sizeof(T), n);
  }
  Buffer<T> b;
  b.assign(n, T());
  return b;
}

}  // namespace

Tensor EvalArgs::Shaped(int r, ir::DType dtype) const {
  Tensor t;
  t.dtype = dtype;
  t.shape = result_shapes[static_cast<size_t>(r)];
  return t;
}

Tensor EvalArgs::NewFloat(int r, ir::DType dtype) const {
  Tensor t = Shaped(r, dtype);
  t.f = Elements<float>(slots == nullptr ? nullptr : &slots[r], static_cast<size_t>(t.numel()));
  return t;
}

Tensor EvalArgs::NewInt(int r, ir::DType dtype) const {
  Tensor t = Shaped(r, dtype);
  t.i = Elements<int64_t>(slots == nullptr ? nullptr : &slots[r], static_cast<size_t>(t.numel()));
  return t;
}

}  // namespace dsc::runtime
