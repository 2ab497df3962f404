// Declares DeepSeek V3.2 (shared/spec/model.md) as an IR module: functions `prefill` (a chunk
// of S tokens at start position P; logits of every row) and `decode` (one token at P), with
// the KV caches as explicit module state. This is the honest, unfused model: quantized
// weights feed explicit `dequantize` ops and the MoE is the generic gate -> moe_experts form;
// only passes fuse and specialize.
#ifndef DSC_FRONTEND_DEEPSEEK_GRAPH_BUILDER_H_
#define DSC_FRONTEND_DEEPSEEK_GRAPH_BUILDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/model_config.h"
#include "ir/module.h"

namespace dsc::frontend {

// A weight as the graph needs it: its IR type (plain tensor or quantized [N, K]) and where
// its storage tensors are (ir::QuantParts order for quantized weights).
struct ResolvedWeight {
  ir::Type type;
  std::vector<ir::TensorRef> parts;
};

// Maps a Hugging Face module path ("model.layers.0.self_attn.q_a_proj", "model.norm",
// "lm_head", "model.layers.3.mlp.gate" ...) to its weight. `tensor` is the last name component
// for non-linear tensors ("weight", "bias", "e_score_correction_bias").
class WeightResolver {
 public:
  virtual ~WeightResolver() = default;
  // A linear or norm weight `<module>.<tensor>` with any format (NVFP4 / FP8 / plain).
  virtual absl::StatusOr<ResolvedWeight> Resolve(const std::string& module,
                                                 const std::string& tensor = "weight") const = 0;
  // Whether `<module>.<tensor>` exists (optional tensors such as the routing bias).
  virtual bool Has(const std::string& module, const std::string& tensor = "weight") const = 0;
};

enum class KvCacheMode { kF32, kBf16, kFp8 };
absl::StatusOr<KvCacheMode> ParseKvCacheMode(const std::string& name);  // "f32" | "bf16" | "fp8"

struct GraphOptions {
  // model.md §0 row 1: "r2" (non-interleaved indexer RoPE) or "r1" (interleaved).
  std::string revision = "r2";
  // model.md §0 row 2: the MLA latent cache dtype; fp8 is the release's E4M3 round trip.
  KvCacheMode kv_cache = KvCacheMode::kFp8;
  // Cache capacity in tokens (state shapes); 0 = config.max_seq_len.
  int64_t context = 0;
};

// Builds and verifies the module. Errors name the missing or inconsistent weight.
absl::StatusOr<std::unique_ptr<ir::Module>> BuildDeepseekModule(const ModelConfig& config,
                                                                const WeightResolver& weights,
                                                                const GraphOptions& options);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_DEEPSEEK_GRAPH_BUILDER_H_
