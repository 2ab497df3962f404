// The interpreter's value: a dense tensor held as float32 (float dtypes, values exact in f32)
// or int64 (integer dtypes), or a view of a quantized weight's packed storage.
#ifndef DSC_RUNTIME_INTERP_TENSOR_H_
#define DSC_RUNTIME_INTERP_TENSOR_H_

#include <cstdint>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "ir/dtype.h"
#include "runtime/interp/buffer.h"

namespace dsc::runtime {

// Packed storage of quantized matrices [..., N, K]: ir::QuantParts(format) pointers per matrix.
struct QuantView {
  ir::QuantFormat format = ir::QuantFormat::kNvfp4;  // meaningful when the tensor is quantized
  std::vector<const uint8_t*> parts;
};

// A tensor's dims, inline up to rank 4 (the model's tensors have rank ≤ 3): shaping a result
// allocates nothing.
using Dims = absl::InlinedVector<int64_t, 4>;

inline Dims ToDims(const std::vector<int64_t>& v) { return Dims(v.begin(), v.end()); }

struct Tensor {
  ir::DType dtype = ir::DType::kF32;
  Dims shape;
  Buffer<float> f;               // float dtypes (bf16/f16/f8e4m3 values widened exactly)
  Buffer<int64_t> i;             // integer and bool dtypes
  bool quantized = false;        // then `quant` holds the packed weight; f and i are empty
  QuantView quant;
  // A dense constant read in place (fast engines only, for the ops that take it: matmul weights,
  // embedding tables): numel() elements of `dtype` at `raw`, row-major; f and i are empty.
  const uint8_t* raw = nullptr;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  bool is_int() const { return ir::IsInteger(dtype) || dtype == ir::DType::kBool; }

  // The same elements under the same dtype and shape, not owned: valid while `t`'s storage
  // lives (argument views, reshapes of arena values). Views are only read.
  static Tensor ViewOf(const Tensor& t) {
    Tensor v;
    v.dtype = t.dtype;
    v.shape = t.shape;
    v.f = Buffer<float>::View(const_cast<float*>(t.f.data()), t.f.size());
    v.i = Buffer<int64_t>::View(const_cast<int64_t*>(t.i.data()), t.i.size());
    v.quantized = t.quantized;
    v.quant = t.quant;
    v.raw = t.raw;
    return v;
  }

  static Tensor Float(Dims shape, ir::DType dtype = ir::DType::kF32) {
    Tensor t;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.f.assign(static_cast<size_t>(t.numel()), 0.0f);
    return t;
  }
  static Tensor Int(Dims shape, ir::DType dtype = ir::DType::kI64) {
    Tensor t;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.i.assign(static_cast<size_t>(t.numel()), 0);
    return t;
  }
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_TENSOR_H_
