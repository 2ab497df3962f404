// Evaluation of the stateless IR ops on interpreter tensors (one file per op family).
// Stateful ops (cache_read/cache_write) and ops that call functions (moe_experts) are handled
// by the interpreter itself.
#ifndef DSC_RUNTIME_INTERP_EVAL_OPS_H_
#define DSC_RUNTIME_INTERP_EVAL_OPS_H_

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "ir/module.h"
#include "runtime/interp/fast_linear.h"
#include "runtime/interp/tensor.h"

namespace dsc::runtime {

// Where a result's elements go: its region of the executor's arena (the memory plan's slot),
// or none (data == nullptr: the result owns heap storage).
struct ResultSlot {
  void* data = nullptr;
  int64_t bytes = 0;
};

struct EvalArgs {
  const ir::Operation& op;
  const std::vector<const Tensor*>& in;
  const ir::SymbolBindings& symbols;
  // Result shapes with the symbols bound.
  const std::vector<Dims>& result_shapes;
  FastLinear* fast = nullptr;  // compiled kernels for quantized products, if the engine has any
  const ResultSlot* slots = nullptr;  // one per result when the executor planned them

  // Result r, zeroed, shaped result_shapes[r], in its arena slot when it has one that fits
  // (else owned). Float dtypes hold float32 elements, integer ones int64.
  Tensor NewFloat(int r, ir::DType dtype = ir::DType::kF32) const;
  Tensor NewInt(int r, ir::DType dtype = ir::DType::kI64) const;
  Tensor Shaped(int r, ir::DType dtype) const;  // result r's dtype and shape, no elements
};

// An op's results (inline: ops have one or two, so returning them allocates nothing).
using TensorList = absl::InlinedVector<Tensor, 2>;
using EvalResult = absl::StatusOr<TensorList>;

// An op's results, moved in: a braced list {y} would copy every tensor (the elements of an
// initializer_list are const), and a copy leaves the arena for the heap.
template <typename... T>
TensorList Results(T&&... t) {
  TensorList v;
  (v.push_back(std::forward<T>(t)), ...);
  return v;
}

// Returns Unimplemented if the op is not in the family.
EvalResult EvalLinearOp(const EvalArgs& a);       // matmul, batch_matmul, dequantize, quantized_matmul, embedding
EvalResult EvalElementwiseOp(const EvalArgs& a);  // add ... cast
EvalResult EvalNormOp(const EvalArgs& a);         // rms_norm, layer_norm, softmax, reduce
EvalResult EvalShapeOp(const EvalArgs& a);        // reshape ... positions
EvalResult EvalModelOp(const EvalArgs& a);        // rope_freqs ... moe_gate
EvalResult EvalFusedOp(const EvalArgs& a);        // literal ... moe_grouped (ops passes produce)

// mla_decode_attention's attributes, `start` bound: the softmax scale, whether keys after a
// query row's position are masked, and the position of the first query row.
struct MlaDecodeAttrs {
  float scale = 0;
  bool causal = false;
  int64_t start = 0;
};
absl::StatusOr<MlaDecodeAttrs> MlaDecodeAttrsOf(const EvalArgs& a);

// mla_decode_attention through the fast engine's kernels (eval_mla_fast.cc); Unimplemented
// when the engine has none that fit (the caller then runs the reference).
EvalResult FastMlaDecodeAttention(const EvalArgs& a);

// attention (prefill) blocked, vectorized and split over the fast engine's threads, bit-identical
// to the reference (eval_attention_fast.cc); Unimplemented without a thread pool.
EvalResult FastAttention(const EvalArgs& a);
// indexer_score the same way (eval_indexer_fast.cc).
EvalResult FastIndexerScore(const EvalArgs& a);

// y[m, n] = x[m, k] · W[index]ᵀ for matrix `index` of a weight [..., n, k] (quantized or plain):
// through `fast` when it has a kernel, else dequantized exactly and multiplied by ref::Linear.
absl::Status LinearWithMatrix(const Tensor& w, int64_t index, const float* x, int64_t m, float* y,
                              FastLinear* fast);

// Dequantizes matrix `index` of a quantized tensor [..., N, K] to float32 [N, K].
absl::StatusOr<std::vector<float>> DequantizeMatrix(const Tensor& w, int64_t index);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_EVAL_OPS_H_
