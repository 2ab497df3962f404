// Reference feed-forward kernels (model.md §9): the SwiGLU unit, the group-limited MoE gate and
// the routed + shared expert combination.
#ifndef DSC_RUNTIME_INTERP_KERNELS_MOE_H_
#define DSC_RUNTIME_INTERP_KERNELS_MOE_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dsc::runtime::ref {

// Float32 weights of one SwiGLU unit F(x) = W2 · (silu(W1 · x) ⊙ (W3 · x)):
// w1, w3 [hidden, dim] (gate_proj, up_proj), w2 [dim, hidden] (down_proj).
struct SwiGluWeights {
  const float* w1 = nullptr;
  const float* w3 = nullptr;
  const float* w2 = nullptr;
  int64_t hidden = 0;
};

// y [rows, dim] = F(x [rows, dim]) row by row (dense MLP, one expert, or the shared expert).
void SwiGluFfn(const float* x, int64_t rows, int64_t dim, const SwiGluWeights& w, float* y);

enum class ScoreFunc { kSigmoid, kSoftmax };

// Router configuration (official ModelArgs names in the comments).
struct MoeGateConfig {
  int64_t n_experts = 0;         // E (n_routed_experts)
  int64_t n_groups = 1;          // G (n_expert_groups)
  int64_t n_limited_groups = 1;  // G_k (n_limited_groups)
  int64_t n_activated = 0;       // K (n_activated_experts)
  float route_scale = 1.0f;      // ρ (route_scale)
  ScoreFunc score_func = ScoreFunc::kSigmoid;
};

// The gate of §9 for `tokens` rows of router logits x · W_gᵀ [tokens, E]:
// σ = sigmoid (or softmax) of the logits; u = σ + bias (bias [E] may be nullptr, selection only);
// with G > 1 keep the G_k groups with the best score (sum of the 2 largest u in the group, or
// the max without bias); pick the K largest u; g = σ of those, renormalized to sum 1 for
// sigmoid, times ρ. Ties go to the lower index. Writes experts [tokens, K] (in selection order:
// descending u) and weights [tokens, K]. InvalidArgument for an inconsistent configuration.
absl::Status MoeGate(const float* logits, const float* bias, int64_t tokens,
                     const MoeGateConfig& config, int32_t* experts, float* weights);

// Supplies the weights of routed expert e (e.g. dequantized on demand); the pointers must stay
// valid until MoeForward returns.
using ExpertWeightsFn = std::function<absl::StatusOr<SwiGluWeights>(int64_t expert)>;

// y [rows, dim] = Σ_k weights[r,k] · F_{experts[r,k]}(x[r]) + F_shared(x[r]). Like the official
// code, experts are visited in increasing id and added into a float32 accumulator, then the
// shared expert (may be nullptr) is added. Expert ids must lie in [0, n_experts).
absl::Status MoeForward(const float* x, int64_t rows, int64_t dim, const int32_t* experts,
                        const float* weights, int64_t k, int64_t n_experts,
                        const ExpertWeightsFn& expert_weights, const SwiGluWeights* shared,
                        float* y);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_MOE_H_
