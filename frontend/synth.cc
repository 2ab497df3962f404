// Plans a synthetic checkpoint (config, every tensor with its storage and value distribution,
// the ModelOpt exclude list) and writes it: shards streamed through SafetensorsWriter::AddLazy,
// side files, all staged in OUT.tmp.<pid> and renamed into place.
#include "frontend/synth.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "frontend/synth_internal.h"
#include "numerics/fp8_block.h"
#include "numerics/nvfp4.h"
#include "numerics/scalar_formats.h"

namespace dsc::frontend {
namespace {

using synth_internal::TensorKey;

// Weight scales, chosen so that activations stay O(1) through the layers: a linear reading a
// unit-RMS input gets std 1/sqrt(fan_in) (unit-RMS output); the projections that write into the
// residual stream (o_proj, down_proj) are further scaled by 1/sqrt(2·layers) so the residual
// grows by O(1) over the whole model; norms are 1 ± 0.02; the router is small (logit std 0.5)
// and its correction bias tiny, so routing varies from token to token.
constexpr double kNormJitter = 0.02;
constexpr double kRouterGain = 0.5;
constexpr double kRouterBiasSigma = 0.01;
// NVFP4 activation calibration scalar (unused by FP32-REF; any finite positive value): an
// activation amax of 8.
constexpr double kInputScale = 8.0 / (6.0 * 448.0);

class Planner {
 public:
  Planner(SynthFormat format, uint64_t seed, SynthPlan* plan)
      : format_(format), seed_(seed), plan_(plan) {}

  void Plain(const std::string& name, StDtype dtype, std::vector<int64_t> shape, SynthFill fill,
             double mean, double sigma, const std::string& module) {
    SynthTensor t;
    t.name = name, t.module = module, t.dtype = dtype, t.shape = std::move(shape);
    t.fill = fill, t.mean = mean, t.sigma = sigma, t.key = TensorKey(seed_, name);
    plan_->tensors.push_back(std::move(t));
  }
  void Norm(const std::string& module, int64_t n) {
    Plain(module + ".weight", StDtype::kBF16, {n}, SynthFill::kGaussianBf16, 1.0, kNormJitter,
          module);
  }
  // A linear weight [out, in]; `quantize` for the modules the spec stores in the checkpoint's
  // format (checkpoint.md §4.5), the others (and NVFP4 weights with in % 16 != 0) stay BF16.
  void Linear(const std::string& module, int64_t out, int64_t in, double sigma, bool quantize) {
    const bool nvfp4 = format_ == SynthFormat::kNvfp4 && in % numerics::kNvfp4BlockSize == 0;
    if (!quantize || format_ == SynthFormat::kBf16 || (format_ == SynthFormat::kNvfp4 && !nvfp4)) {
      if (format_ == SynthFormat::kNvfp4) plan_->exclude_modules.push_back(module);
      Plain(module + ".weight", StDtype::kBF16, {out, in}, SynthFill::kGaussianBf16, 0.0, sigma,
            module);
      return;
    }
    if (nvfp4) {
      const double s2 =
          sigma / (synth_internal::Nvfp4CodeRms() * synth_internal::Nvfp4ScaleRms());
      Plain(module + ".weight", StDtype::kU8, {out, in / 2}, SynthFill::kNvfp4Packed, 0, 0, module);
      Plain(module + ".weight_scale", StDtype::kF8E4M3, {out, in / numerics::kNvfp4BlockSize},
            SynthFill::kNvfp4Scales, 0, 0, module);
      Plain(module + ".weight_scale_2", StDtype::kF32, {}, SynthFill::kConstantF32,
            static_cast<float>(s2), 0, module);
      Plain(module + ".input_scale", StDtype::kF32, {}, SynthFill::kConstantF32,
            static_cast<float>(kInputScale), 0, module);
      return;
    }
    // FP8 block-128 with power-of-two scales: the largest table value (4.3 sigma) stays below
    // 448 · scale.
    const float scale = numerics::Ue8m0CeilScale(static_cast<float>(sigma * 4.5 / 448.0));
    Plain(module + ".weight", StDtype::kF8E4M3, {out, in}, SynthFill::kFp8Codes, 0,
          sigma / scale, module);
    Plain(module + ".weight_scale_inv", StDtype::kF32,
          {numerics::Fp8BlockCount(out), numerics::Fp8BlockCount(in)}, SynthFill::kConstantF32,
          scale, 0, module);
  }

  void Layer(const ModelConfig& c, int64_t l, bool mtp) {
    const std::string p = absl::StrCat("model.layers.", l, ".");
    const int64_t D = c.dim, H = c.n_heads;
    const double in_d = 1.0 / std::sqrt(static_cast<double>(D));
    const double residual = 1.0 / std::sqrt(2.0 * static_cast<double>(c.n_layers));
    auto inv_sqrt = [](int64_t n) { return 1.0 / std::sqrt(static_cast<double>(n)); };
    if (mtp) {
      Plain(p + "embed_tokens.weight", StDtype::kBF16, {c.vocab_size, D},
            SynthFill::kGaussianBf16, 0.0, 1.0, p + "embed_tokens");
      Norm(p + "enorm", D);
      Norm(p + "hnorm", D);
      Linear(p + "eh_proj", D, 2 * D, inv_sqrt(2 * D), true);
      Norm(p + "shared_head.norm", D);
      Linear(p + "shared_head.head", c.vocab_size, D, in_d, false);
    }
    Norm(p + "input_layernorm", D);
    const std::string a = p + "self_attn.";
    if (c.q_lora_rank > 0) {
      Linear(a + "q_a_proj", c.q_lora_rank, D, in_d, true);
      Norm(a + "q_a_layernorm", c.q_lora_rank);
      Linear(a + "q_b_proj", H * c.qk_head_dim(), c.q_lora_rank, inv_sqrt(c.q_lora_rank), true);
    } else {
      Linear(a + "q_proj", H * c.qk_head_dim(), D, in_d, true);
    }
    Linear(a + "kv_a_proj_with_mqa", c.kv_lora_rank + c.qk_rope_head_dim, D, in_d, true);
    Norm(a + "kv_a_layernorm", c.kv_lora_rank);
    Linear(a + "kv_b_proj", H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank,
           inv_sqrt(c.kv_lora_rank), true);
    Linear(a + "o_proj", D, H * c.v_head_dim, inv_sqrt(H * c.v_head_dim) * residual, true);
    if (c.has_indexer()) {
      const std::string x = a + "indexer.";
      Linear(x + "wq_b", c.index_n_heads * c.index_head_dim, c.q_lora_rank,
             inv_sqrt(c.q_lora_rank), true);
      Linear(x + "wk", c.index_head_dim, D, in_d, true);
      Norm(x + "k_norm", c.index_head_dim);
      Plain(x + "k_norm.bias", StDtype::kBF16, {c.index_head_dim}, SynthFill::kGaussianBf16, 0.0,
            kNormJitter, x + "k_norm");
      Linear(x + "weights_proj", c.index_n_heads, D, in_d, false);
    }
    Norm(p + "post_attention_layernorm", D);
    const std::string m = p + "mlp.";
    auto mlp = [&](const std::string& prefix, int64_t inter) {
      Linear(prefix + "gate_proj", inter, D, in_d, true);
      Linear(prefix + "up_proj", inter, D, in_d, true);
      Linear(prefix + "down_proj", D, inter, inv_sqrt(inter) * residual, true);
    };
    if (l < c.n_dense_layers) {
      mlp(m, c.inter_dim);
      return;
    }
    Linear(m + "gate", c.n_routed_experts, D, in_d * kRouterGain, false);
    Plain(m + "gate.e_score_correction_bias", StDtype::kF32, {c.n_routed_experts},
          SynthFill::kGaussianF32, 0.0, kRouterBiasSigma, m + "gate");
    for (int64_t e = 0; e < c.n_routed_experts; ++e) {
      mlp(absl::StrCat(m, "experts.", e, "."), c.moe_inter_dim);
    }
    if (c.n_shared_experts > 0) mlp(m + "shared_experts.", c.n_shared_experts * c.moe_inter_dim);
  }

 private:
  SynthFormat format_;
  uint64_t seed_;
  SynthPlan* plan_;
};

}  // namespace

absl::StatusOr<SynthFormat> ParseSynthFormat(std::string_view name) {
  if (name == "nvfp4") return SynthFormat::kNvfp4;
  if (name == "fp8") return SynthFormat::kFp8;
  if (name == "bf16") return SynthFormat::kBf16;
  return absl::InvalidArgumentError(absl::StrCat("unknown synth format '", std::string(name),
                                                 "' (expected nvfp4, fp8 or bf16)"));
}

uint64_t SynthTensor::nbytes() const {
  uint64_t n = StDtypeSize(dtype);
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

absl::StatusOr<SynthPlan> PlanSynthCheckpoint(const SynthOptions& options) {
  absl::StatusOr<nlohmann::json> config = SynthPresetConfig(options.preset);
  if (!config.ok()) return config.status();
  SynthPlan plan;
  plan.config = *std::move(config);
  if (options.mtp) plan.config["num_nextn_predict_layers"] = 1;
  absl::StatusOr<ModelConfig> parsed =
      ParseHfConfig(plan.config, absl::StrCat("synth preset ", options.preset));
  if (!parsed.ok()) return parsed.status();
  plan.model_config = *parsed;
  const ModelConfig& c = plan.model_config;

  Planner planner(options.format, options.seed, &plan);
  planner.Plain("model.embed_tokens.weight", StDtype::kBF16, {c.vocab_size, c.dim},
                SynthFill::kGaussianBf16, 0.0, 1.0, "model.embed_tokens");
  for (int64_t l = 0; l < c.n_layers; ++l) planner.Layer(c, l, /*mtp=*/false);
  if (options.mtp) planner.Layer(c, c.n_layers, /*mtp=*/true);
  planner.Norm("model.norm", c.dim);
  planner.Linear("lm_head", c.vocab_size, c.dim, 1.0 / std::sqrt(static_cast<double>(c.dim)),
                 false);

  std::sort(plan.exclude_modules.begin(), plan.exclude_modules.end());
  if (options.format == SynthFormat::kNvfp4) {
    plan.config["quantization_config"] = ModeloptQuantizationConfig(plan.exclude_modules);
  } else if (options.format == SynthFormat::kFp8) {
    plan.config["quantization_config"] = Fp8QuantizationConfig();
  }
  return plan;
}

std::string SynthTensorBytes(const SynthTensor& tensor, uint64_t begin, uint64_t end) {
  const uint64_t elem = StDtypeSize(tensor.dtype);
  std::string out(end - begin, '\0');
  synth_internal::FillElements(tensor, *synth_internal::TableFor(tensor), begin / elem,
                               (end - begin) / elem, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

absl::StatusOr<SynthResult> WriteSynthCheckpoint(const SynthOptions& options,
                                                 const std::string& out_dir) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<SynthPlan> plan = PlanSynthCheckpoint(options);
  if (!plan.ok()) return plan.status();
  absl::StatusOr<nlohmann::ordered_json> tokenizer =
      SynthTokenizerJson(plan->model_config.vocab_size);
  if (!tokenizer.ok()) return tokenizer.status();
  absl::StatusOr<std::unique_ptr<StagingDir>> staging = StagingDir::Create(out_dir);
  if (!staging.ok()) return staging.status();

  const int threads = ResolveThreads(options.threads);
  std::vector<OutputTensor> outputs;
  for (const SynthTensor& t : plan->tensors) {
    OutputTensor o{t.name, t.dtype, t.shape, nullptr, t.module};
    o.producer = [t, threads](const SafetensorsWriter::ByteSink& sink) -> absl::Status {
      const uint64_t elem = StDtypeSize(t.dtype), total = t.nbytes() / elem;
      const std::shared_ptr<const std::vector<uint8_t>> table = synth_internal::TableFor(t);
      constexpr uint64_t kChunkBytes = 8 << 20;
      std::vector<uint8_t> buffer(std::min<uint64_t>(kChunkBytes, t.nbytes()));
      for (uint64_t first = 0; first < total;) {
        const uint64_t count = std::min<uint64_t>(total - first, kChunkBytes / elem);
        // Threads only pay off on large chunks (thread start ≈ tens of µs).
        ParallelFor(static_cast<int64_t>(count), count >= (1u << 18) ? threads : 1,
                    [&](int64_t b, int64_t e) {
                      synth_internal::FillElements(t, *table, first + b, e - b,
                                                   buffer.data() + b * elem);
                    });
        if (absl::Status s = sink({buffer.data(), count * elem}); !s.ok()) return s;
        first += count;
      }
      return absl::OkStatus();
    };
    outputs.push_back(std::move(o));
  }
  SynthResult result;
  result.tensors = static_cast<int64_t>(outputs.size());
  std::vector<OutputShard> shards = SplitIntoShards(std::move(outputs), options.shards);
  const bool index = shards.size() > 1;
  absl::StatusOr<WrittenFiles> written = WriteShards((*staging)->path(), std::move(shards), index, options.progress);
  if (!written.ok()) return written.status();
  result.written = *std::move(written);

  if (absl::Status s = WriteJsonFile((*staging)->File("config.json"), plan->config); !s.ok()) {
    return s;
  }
  if (options.format == SynthFormat::kNvfp4) {
    absl::Status s = WriteJsonFile((*staging)->File("hf_quant_config.json"),
                                   HfQuantConfigJson(plan->exclude_modules));
    if (!s.ok()) return s;
  }
  if (absl::Status s = WriteJsonFile((*staging)->File("tokenizer.json"), *tokenizer); !s.ok()) {
    return s;
  }
  const int64_t max_len = plan->model_config.max_position_embeddings > 0
                              ? plan->model_config.max_position_embeddings
                              : 16384;
  if (absl::Status s = WriteJsonFile((*staging)->File("tokenizer_config.json"),
                                     SynthTokenizerConfigJson(max_len));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = (*staging)->Commit(); !s.ok()) return s;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace dsc::frontend
