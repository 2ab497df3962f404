// The index of a model's weights: for every module the config requires (official short names
// such as "layers.0.attn.wq_a", "layers.3.ffn.experts.5.w1", "embed", "head", "norm"), its
// storage format and the TensorViews of its parts, validated against the config.
#ifndef DSC_FRONTEND_MODEL_WEIGHTS_H_
#define DSC_FRONTEND_MODEL_WEIGHTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/checkpoint.h"
#include "frontend/model_config.h"
#include "frontend/weight_format.h"

namespace dsc::frontend {

struct ModuleWeights {
  std::string name;  // official short name: "layers.3.ffn.experts.5.w1"
  std::string kind;  // name without layer and expert ids: "ffn.experts.w1", "attn.wq_a", "embed"
  int64_t layer = -1;   // -1 for embed, norm, head
  int64_t expert = -1;  // routed expert id, else -1
  bool is_linear = false;  // a matmul weight (may be quantized); else embedding / norm
  WeightFormat format = WeightFormat::kBf16;
  std::vector<int64_t> shape;  // logical: [out, in] for linears, [V, D] embed, [n] norms
  const TensorView* weight = nullptr;
  const TensorView* weight_scale = nullptr;    // NVFP4 block scales (E4M3) / FP8 scale_inv (F32)
  const TensorView* weight_scale_2 = nullptr;  // NVFP4 global scale
  const TensorView* input_scale = nullptr;     // NVFP4 activation scale (optional, unused)
  const TensorView* bias = nullptr;            // indexer k_norm bias, router correction bias

  bool is_routed_expert() const { return expert >= 0; }
  // Logical parameters: elements of the weight plus the bias (scales are not parameters).
  int64_t num_params() const;
};

struct WeightCheckOptions {
  // Scan every NVFP4 block scale for E4M3 NaN codes and every FP8 scale for finite > 0 values.
  bool scan_scale_values = true;
  // Record missing tensors in missing_tensors() instead of failing (for `dsc inspect`).
  bool allow_missing = false;
};

class ModelWeights {
 public:
  // Indexes `checkpoint` (which must outlive the result) for `config`. Accepts HF and official
  // tensor names. Errors name the tensor (and file): a missing tensor, a wrong shape for the
  // config (expected and got), a bad companion scale. MTP layers (ids >= n_layers) are
  // excluded and summarized in notes().
  static absl::StatusOr<ModelWeights> Build(const Checkpoint& checkpoint,
                                            const ModelConfig& config,
                                            const WeightCheckOptions& options = {});

  // nullptr if absent. Takes an official module name ("layers.0.attn.wq_a").
  const ModuleWeights* Find(std::string_view name) const;
  // In model order: embed, layers (attention, then FFN), norm, head.
  const std::vector<ModuleWeights>& modules() const { return modules_; }
  // The checkpoint's naming (the majority style of its tensors).
  NamingStyle naming() const { return naming_; }
  // Checkpoint names of required tensors that are absent (only with allow_missing).
  const std::vector<std::string>& missing_tensors() const { return missing_; }
  // Checkpoint names of main-model tensors that no module uses.
  const std::vector<std::string>& unexpected_tensors() const { return unexpected_; }
  // Informational lines, e.g. the MTP layer exclusion.
  const std::vector<std::string>& notes() const { return notes_; }

  // All parameters of the main model, and those one token uses: everything except routed
  // experts, plus n_activated_experts routed experts per MoE layer.
  int64_t total_params() const;
  int64_t active_params() const;

 private:
  std::vector<ModuleWeights> modules_;
  std::map<std::string, size_t, std::less<>> index_;
  NamingStyle naming_ = NamingStyle::kHf;
  int64_t n_activated_experts_ = 0;
  std::vector<std::string> missing_, unexpected_, notes_;
};

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_MODEL_WEIGHTS_H_
