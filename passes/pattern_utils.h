// Small helpers shared by the passes: use counts, dead-op removal, and matchers for the
// patterns the frontend declares (a linear layer in any of its forms, a SwiGLU unit).
#ifndef DSC_PASSES_PATTERN_UTILS_H_
#define DSC_PASSES_PATTERN_UTILS_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "ir/module.h"

namespace dsc::passes {

// An op that may be removed when its results are unused (no side effects, not `return`).
bool IsPure(const ir::Operation& op);

// The op defining `v` if it has opcode `code`, else nullptr.
ir::Operation* DefinedBy(const ir::Value* v, ir::OpCode code);

// Operand slots reading each value in `f`.
absl::flat_hash_map<const ir::Value*, int> UseCounts(const ir::Function& f);

// Removes pure ops whose results are (transitively) unused. Returns how many were removed.
int EraseDeadOps(ir::Function& f);

// Replaces every use of `op`'s results by `replacements` (same count and types) in its
// function; the op itself is left for EraseDeadOps.
void ReplaceOp(ir::Operation* op, const std::vector<ir::Value*>& replacements);

// y = x · wᵀ in any declared form: matmul(x, w) with a float w, matmul(x, dequantize(W)) or
// quantized_matmul(x, W). `weight` is w or the packed W.
struct LinearMatch {
  ir::Value* x = nullptr;
  ir::Value* weight = nullptr;
};
std::optional<LinearMatch> MatchLinear(const ir::Value* y);

// y = W2 · swiglu(W1 · x, W3 · x) (model.md §9): swiglu of two linears on the same x, or
// gate_up_swiglu, followed by a linear.
struct FfnMatch {
  ir::Value* x = nullptr;
  ir::Value* w1 = nullptr;  // gate_proj
  ir::Value* w2 = nullptr;  // down_proj
  ir::Value* w3 = nullptr;  // up_proj
};
std::optional<FfnMatch> MatchSwigluFfn(const ir::Value* y);

}  // namespace dsc::passes

#endif  // DSC_PASSES_PATTERN_UTILS_H_
