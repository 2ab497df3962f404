// How one weight is stored (NVFP4, FP8 block-128 or plain float), decided per tensor from the
// checkpoint (checkpoint.md §4.5) and validated with its companion scales; plus the
// HF ↔ official short-name mapping of checkpoint.md §3.
#ifndef DSC_FRONTEND_WEIGHT_FORMAT_H_
#define DSC_FRONTEND_WEIGHT_FORMAT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/safetensors.h"

namespace dsc::frontend {

enum class WeightFormat { kNvfp4, kFp8Block128, kBf16, kF16, kF32 };

// "NVFP4", "FP8-block128", "BF16", "F16", "F32".
std::string_view WeightFormatName(WeightFormat format);
bool IsQuantized(WeightFormat format);

// --- Tensor names (checkpoint.md §3) ---------------------------------------------------------

enum class NamingStyle { kHf, kOfficial };

// "model.layers.5.self_attn.kv_b_proj.weight_scale_inv" → "layers.5.attn.wkv_b.scale",
// "lm_head.weight" → "head.weight". nullopt for names outside the HF scheme.
std::optional<std::string> HfToOfficialName(std::string_view hf_name);
// The inverse: "layers.5.ffn.gate.bias" → "model.layers.5.mlp.gate.e_score_correction_bias".
std::optional<std::string> OfficialToHfName(std::string_view official_name);
// kHf for "model.*" / "lm_head.*", kOfficial for "layers.*", "embed.*", "norm.*", "head.*".
std::optional<NamingStyle> DetectNamingStyle(std::string_view name);
// The layer id of an official name ("layers.12.attn.wo.weight" → 12), nullopt outside layers.
std::optional<int64_t> LayerOfOfficialName(std::string_view official_name);

// --- One weight and its companions -----------------------------------------------------------

// The stored tensors of one module (official name prefix "layers.0.attn.wq_a").
struct WeightParts {
  WeightFormat format = WeightFormat::kBf16;
  const TensorView* weight = nullptr;
  const TensorView* scale = nullptr;        // NVFP4 weight_scale (E4M3) / FP8 weight_scale_inv (F32)
  const TensorView* scale_2 = nullptr;      // NVFP4 weight_scale_2 (F32 scalar)
  const TensorView* input_scale = nullptr;  // NVFP4 input_scale (F32 scalar), optional
};

// Looks a tensor up by its official name; nullptr when absent.
using TensorLookup = std::function<const TensorView*(const std::string& official_name)>;

// Decides the format of module `module` from its tensors (§4.5): `.weight` U8 with
// `.weight_scale` → NVFP4; `.weight` F8_E4M3 with `.scale` (HF weight_scale_inv) → FP8;
// otherwise a plain BF16/F16/F32 weight. NotFound when `.weight` is absent; InvalidArgument
// (naming file and tensor) for dtypes that fit no format.
absl::StatusOr<WeightParts> DetectWeightFormat(const std::string& module,
                                               const TensorLookup& find);

// Checks the parts of a linear weight of logical shape [out, in]: storage shapes and dtypes of
// the weight and its scales, in % 16 for NVFP4, scalar global scales finite and > 0, and, when
// `scan_scale_values`, no E4M3 NaN code in NVFP4 block scales and finite > 0 FP8 scales.
absl::Status ValidateLinearWeight(const WeightParts& parts, int64_t out, int64_t in,
                                  bool scan_scale_values);

// Checks an unquantized tensor (norm, embedding, bias): BF16/F16/F32 and the expected shape.
absl::Status ValidatePlainTensor(const TensorView& tensor, const std::vector<int64_t>& shape);

// "[2048,256]".
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_WEIGHT_FORMAT_H_
