// `dsc synth`: synthetic DeepSeek V3.2 checkpoints in the real Hugging Face layout (names,
// shapes, NVFP4 / FP8 block-128 / BF16 storage, config, ModelOpt metadata, a tokenizer) with
// random weights scaled so that activations stay O(1), deterministic in the seed and streamed
// tensor by tensor (never the whole model in memory).
#ifndef DSC_FRONTEND_SYNTH_H_
#define DSC_FRONTEND_SYNTH_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/checkpoint_output.h"
#include "frontend/model_config.h"
#include "nlohmann/json.hpp"

namespace dsc::frontend {

enum class SynthFormat { kNvfp4, kFp8, kBf16 };
// "nvfp4", "fp8", "bf16".
absl::StatusOr<SynthFormat> ParseSynthFormat(std::string_view name);

// --- Presets (synth_presets.cc) --------------------------------------------------------------
//   tiny        exactly the golden tiny-a (hidden 256, 3 layers (1 dense), 16 experts top-4,
//               vocab 2048)
//   small       hidden 2048, 8 layers (1 dense, intermediate 6144), 64 experts × 1024 top-6 in
//               8 groups keep 4, 1 shared, 16 heads, q_lora 768, kv_lora 256, rope 64, nope 128,
//               v 128, indexer 16 × 128 (top 2048), vocab 32768
//   full-layer  the 671B shapes with 2 layers: layer 0 dense (18432), layer 1 MoE (256 × 2048)
std::vector<std::string> SynthPresetNames();
// The preset's config.json without quantization_config. InvalidArgument for unknown names.
absl::StatusOr<nlohmann::json> SynthPresetConfig(std::string_view preset);

// --- Tokenizer (synth_tokenizer.cc) ----------------------------------------------------------
// A valid byte-level BPE tokenizer.json: <｜begin▁of▁sentence｜> 0, <｜end▁of▁sentence｜> 1,
// <｜▁pad▁｜> 2, the 256 byte tokens (GPT-2 byte↔unicode order) from id 3, a few dozen merges of
// common English pieces, and the DeepSeek chat tokens (<｜User｜>, <think>, ...) at the top ids
// (the last id is vocab_size − 1). DeepSeek's pre-tokenizer. InvalidArgument if vocab_size is too
// small for the specials and byte tokens.
absl::StatusOr<nlohmann::ordered_json> SynthTokenizerJson(int64_t vocab_size);
nlohmann::ordered_json SynthTokenizerConfigJson(int64_t model_max_length);

// --- Tensors ---------------------------------------------------------------------------------

// How a tensor's bytes are generated: value distributions are table lookups of a counter-based
// random stream (splitmix64 of hash(seed, name) + index), so any slice of any tensor can be
// produced independently and the bytes depend only on (seed, name).
enum class SynthFill {
  kGaussianBf16,  // BF16 N(mean, sigma²)
  kGaussianF32,   // F32 N(mean, sigma²)
  kNvfp4Packed,   // U8 E2M1 pairs of a quantized Gaussian (see synth.cc)
  kNvfp4Scales,   // F8_E4M3 block scales around 64 (±1 code)
  kFp8Codes,      // F8_E4M3 codes of N(0, (sigma/scale)²)
  kConstantF32,   // F32, every element `mean`
};

struct SynthTensor {
  std::string name;  // HF name, e.g. "model.layers.1.mlp.experts.3.up_proj.weight_scale"
  std::string module;  // "model.layers.1.mlp.experts.3.up_proj" (shard grouping)
  StDtype dtype = StDtype::kBF16;
  std::vector<int64_t> shape;
  SynthFill fill = SynthFill::kGaussianBf16;
  double mean = 0.0, sigma = 0.0;  // kFp8Codes: sigma is the std in units of the block scale
  uint64_t key = 0;                // random stream of this tensor
  uint64_t nbytes() const;
};

struct SynthPlan {
  nlohmann::json config;         // config.json as written (with quantization_config)
  ModelConfig model_config;      // the same, parsed
  std::vector<SynthTensor> tensors;  // model order: embed, layers, (MTP), norm, head
  std::vector<std::string> exclude_modules;  // NVFP4: linear modules left in BF16
};

struct SynthOptions {
  std::string preset = "tiny";
  SynthFormat format = SynthFormat::kNvfp4;
  uint64_t seed = 0;
  int shards = 1;     // > 1: model-0000k-of-0000n.safetensors + index
  bool mtp = false;   // add the MTP layer (checkpoint.md §4.4) at index num_hidden_layers
  int threads = 0;    // generation threads (0 = all cores)
  // If set: (tensor bytes written, total) as the shards stream out (the CLI's progress bar).
  std::function<void(int64_t done, int64_t total)> progress;
};

// Every tensor `synth` would write, without writing anything.
absl::StatusOr<SynthPlan> PlanSynthCheckpoint(const SynthOptions& options);

// The bytes of `tensor` from element-aligned byte offset `begin` to `end` (for tests).
std::string SynthTensorBytes(const SynthTensor& tensor, uint64_t begin, uint64_t end);

struct SynthResult {
  WrittenFiles written;
  int64_t tensors = 0;
  double seconds = 0.0;
};

// Writes the checkpoint into `out_dir` atomically (staged in out_dir.tmp.<pid>; AlreadyExists if
// out_dir exists and is not empty).
absl::StatusOr<SynthResult> WriteSynthCheckpoint(const SynthOptions& options,
                                                 const std::string& out_dir);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_SYNTH_H_
