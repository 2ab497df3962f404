// Plans and runs `dsc convert --to nvfp4`: validates the input, decides per tensor what to
// quantize, copy or dequantize, streams every output shard, then writes config.json (with the
// ModelOpt quantization_config), hf_quant_config.json, the tokenizer files and the report.
#include "frontend/convert.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "frontend/checkpoint.h"
#include "frontend/checkpoint_output.h"
#include "frontend/convert_internal.h"
#include "frontend/model_config.h"
#include "frontend/model_weights.h"

namespace dsc::frontend {
namespace {

namespace fs = std::filesystem;
using convert_internal::QuantJob;
using convert_internal::SourceWeight;

// Module leaves (HF names) of the linear weights that checkpoint.md §4.5 (ii) stores in NVFP4:
// attention (incl. the indexer's wq_b and wk), dense and expert MLPs, and the MTP eh_proj.
// Everything else stays as it is: embed_tokens, lm_head, mlp.gate, indexer.weights_proj,
// shared_head.head, norms, biases.
bool IsQuantizableLeaf(std::string_view leaf) {
  for (std::string_view q : {"q_proj", "q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj",
                             "o_proj", "wq_b", "wk", "gate_proj", "up_proj", "down_proj",
                             "eh_proj"}) {
    if (leaf == q) return true;
  }
  return false;
}

std::pair<std::string, std::string> SplitLast(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return {"", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// Top-level files that are rewritten or are model data, hence not copied verbatim.
bool IsRegenerated(const std::string& file) {
  return absl::EndsWith(file, ".safetensors") || file == "model.safetensors.index.json" ||
         file == "config.json" || file == "hf_quant_config.json" ||
         file == "conversion_report.json";
}

std::string RecipeName(numerics::Nvfp4Recipe recipe) {
  switch (recipe) {
    case numerics::Nvfp4Recipe::kReference: return "reference";
    case numerics::Nvfp4Recipe::kScaleSearch: return "search";
    case numerics::Nvfp4Recipe::kExhaustiveScaleSearch: return "exhaustive";
  }
  return "?";
}

}  // namespace

absl::StatusOr<ConvertReport> ConvertToNvfp4(const std::string& in_dir, const std::string& out_dir,
                                             const ConvertOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(in_dir, ec)) {
    return absl::NotFoundError(absl::StrCat(in_dir, ": no such checkpoint directory"));
  }
  // 1. Validate the whole input before writing anything.
  absl::StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::Open(in_dir);
  if (!ckpt.ok()) return ckpt.status();
  const std::string config_path = (fs::path(in_dir) / "config.json").string();
  absl::StatusOr<ModelConfig> config = LoadHfConfig(config_path);
  if (!config.ok()) return config.status();
  absl::StatusOr<nlohmann::json> raw_config = ReadJsonFile(config_path);
  if (!raw_config.ok()) return raw_config.status();
  if (absl::StatusOr<ModelWeights> w = ModelWeights::Build(**ckpt, *config); !w.ok()) {
    return w.status();
  }

  ConvertReport report;
  report.input = in_dir, report.output = out_dir, report.recipe = RecipeName(options.recipe);
  report.bytes_in = (*ckpt)->total_tensor_bytes();
  const int threads = ResolveThreads(options.threads);
  numerics::Nvfp4QuantizeOptions qopts;
  qopts.recipe = options.recipe;

  // 2. Per tensor: HF name, then quantize / dequantize / copy.
  std::map<std::string, const TensorView*> by_hf;
  for (const TensorView* t : (*ckpt)->tensors()) {
    std::optional<std::string> hf;
    if (DetectNamingStyle(t->name) == NamingStyle::kOfficial) hf = OfficialToHfName(t->name);
    by_hf[hf ? *hf : t->name] = t;
  }
  auto find = [&](const std::string& name) -> const TensorView* {
    auto it = by_hf.find(name);
    return it == by_hf.end() ? nullptr : it->second;
  };
  const bool one_file = options.single_file || (*ckpt)->files().size() == 1;
  auto shard_of = [&](const TensorView& t) {
    return one_file ? std::string("model.safetensors") : fs::path(t.file).filename().string();
  };
  std::map<std::string, std::vector<OutputTensor>> shards;
  std::vector<std::pair<std::string, std::shared_ptr<QuantJob>>> jobs;  // (HF module, job)
  auto count = [&](const std::string& key) { ++report.counts[key]; };
  for (const auto& [name, view] : by_hf) {
    const auto [module, leaf] = SplitLast(name);
    const TensorView* module_weight = find(module + ".weight");
    const bool fp8_module = module_weight != nullptr && module_weight->dtype == StDtype::kF8E4M3;
    if (leaf == "weight_scale_inv" && fp8_module) continue;  // consumed by its weight
    std::vector<OutputTensor>& out = shards[shard_of(*view)];
    const bool matrix = leaf == "weight" && view->shape.size() == 2;
    const bool floating = view->dtype == StDtype::kBF16 || view->dtype == StDtype::kF16 ||
                          view->dtype == StDtype::kF32 || view->dtype == StDtype::kF8E4M3;
    if (!matrix || !floating) {  // norms, biases, existing NVFP4 parts, scalars: verbatim
      const TensorView* v = view;
      out.push_back({name, v->dtype, v->shape,
                     [v](const auto& sink) { return convert_internal::StreamCopy(*v, sink); },
                     module});
      count(absl::StrCat("copied_", std::string(StDtypeName(v->dtype))));
      continue;
    }
    absl::StatusOr<SourceWeight> source =
        SourceWeight::Create(view, fp8_module ? find(module + ".weight_scale_inv") : nullptr);
    if (!source.ok()) return source.status();
    const int64_t rows = view->shape[0], cols = view->shape[1];
    const std::string leaf_module = SplitLast(module).second;
    bool quantize = IsQuantizableLeaf(leaf_module);
    if (quantize && cols % numerics::kNvfp4BlockSize != 0) {
      report.errors.push_back(absl::StrCat(name, ": in = ", cols,
                                           " is not a multiple of 16; kept unquantized"));
      quantize = false;
    }
    if (!quantize) {
      if (leaf_module != "embed_tokens") report.exclude_modules.push_back(module);
      if (fp8_module) {
        auto src = std::make_shared<SourceWeight>(*std::move(source));
        out.push_back({name, StDtype::kBF16, view->shape,
                       [src](const auto& sink) { return convert_internal::StreamAsBf16(*src, sink); },
                       module});
        count("dequantized_FP8_to_BF16");
      } else {
        const TensorView* v = view;
        out.push_back({name, v->dtype, v->shape,
                       [v](const auto& sink) { return convert_internal::StreamCopy(*v, sink); },
                       module});
        count(absl::StrCat("copied_", std::string(StDtypeName(v->dtype))));
      }
      continue;
    }
    auto job = std::make_shared<QuantJob>(*std::move(source), qopts, threads);
    jobs.emplace_back(module, job);
    count(absl::StrCat("quantized_from_", job->source().from()));
    out.push_back({module + ".weight", StDtype::kU8, {rows, cols / 2},
                   [job](const auto& sink) { return job->StreamPacked(sink); }, module});
    out.push_back({module + ".weight_scale", StDtype::kF8E4M3,
                   {rows, cols / numerics::kNvfp4BlockSize},
                   [job](const auto& sink) { return job->StreamScales(sink); }, module});
    out.push_back({module + ".weight_scale_2", StDtype::kF32, {},
                   [job](const auto& sink) -> absl::Status {
                     absl::StatusOr<float> s2 = job->GlobalScale();
                     if (!s2.ok()) return s2.status();
                     return sink({reinterpret_cast<const uint8_t*>(&*s2), sizeof(float)});
                   },
                   module});
  }

  // 3. Write: shards, then the side files, then the report; rename into place last.
  absl::StatusOr<std::unique_ptr<StagingDir>> staging = StagingDir::Create(out_dir);
  if (!staging.ok()) return staging.status();
  std::vector<OutputShard> output_shards;
  int64_t tensors_out = 0;
  for (auto& [file, tensors] : shards) {
    tensors_out += static_cast<int64_t>(tensors.size());
    output_shards.push_back({file, std::move(tensors)});
  }
  const bool index = output_shards.size() > 1 || ((*ckpt)->has_index() && !options.single_file);
  absl::StatusOr<WrittenFiles> written =
      WriteShards((*staging)->path(), std::move(output_shards), index, options.progress);
  if (!written.ok()) return written.status();
  report.files = written->files;
  report.bytes_out = written->tensor_bytes;
  for (const auto& [module, job] : jobs) {
    const double ref = job->sum_sq_weight(), err = job->sum_sq_error();
    report.quantized.push_back({module, job->source().from(), job->source().weight().shape,
                                ref > 0 ? std::sqrt(err / ref) : 0.0, err, ref});
  }
  report.counts["tensors_in"] = static_cast<int64_t>((*ckpt)->tensors().size());
  report.counts["tensors_out"] = tensors_out;

  nlohmann::json new_config = *raw_config;
  new_config["quantization_config"] = ModeloptQuantizationConfig(report.exclude_modules);
  if (absl::Status s = WriteJsonFile((*staging)->File("config.json"), new_config); !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteJsonFile((*staging)->File("hf_quant_config.json"),
                                     HfQuantConfigJson(report.exclude_modules));
      !s.ok()) {
    return s;
  }
  report.files.insert(report.files.end(), {"config.json", "hf_quant_config.json"});
  for (fs::directory_iterator it(in_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec) || IsRegenerated(file)) continue;
    if (absl::Status s = CopyFile(it->path().string(), (*staging)->File(file)); !s.ok()) return s;
    report.files.push_back(file);
  }
  std::sort(report.exclude_modules.begin(), report.exclude_modules.end());
  report.files.push_back("conversion_report.json");
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (absl::Status s = WriteJsonFile((*staging)->File("conversion_report.json"), report.ToJson());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = (*staging)->Commit(); !s.ok()) return s;
  return report;
}

nlohmann::ordered_json ConvertReport::ToJson() const {
  nlohmann::ordered_json j;
  j["input"] = input;
  j["output"] = output;
  j["to"] = "nvfp4";
  j["recipe"] = recipe;
  j["quantizer"] =
      recipe == "reference"
          ? "ModelOpt NVFP4: global amax/(6*448), block scale e4m3(amax_b/(6*s2)) (formats.md 6)"
          : "NVFP4 with ModelOpt's global scale; per 16-block the E4M3 scale within 8 codes of "
            "the reference one that minimises the squared error";
  j["seconds"] = seconds;
  j["bytes_in"] = bytes_in;
  j["bytes_out"] = bytes_out;
  j["counts"] = counts;
  double mean = 0.0, max = 0.0, err = 0.0, ref = 0.0;
  std::string max_module;
  for (const ConvertedTensor& t : quantized) {
    mean += t.rel_rms_error;
    if (t.rel_rms_error >= max) max = t.rel_rms_error, max_module = t.module;
    err += t.sum_sq_error, ref += t.sum_sq_weight;
  }
  if (!quantized.empty()) mean /= static_cast<double>(quantized.size());
  j["rel_rms_error"] = {{"definition", "||W - dequant(Q(W))|| / ||W|| per tensor"},
                        {"mean", mean},
                        {"max", max},
                        {"max_module", max_module},
                        {"all_weights", ref > 0 ? std::sqrt(err / ref) : 0.0}};
  j["exclude_modules"] = exclude_modules;
  j["files"] = files;
  j["errors"] = errors;
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const ConvertedTensor& t : quantized) {
    tensors.push_back({{"module", t.module},
                       {"from", t.from},
                       {"shape", t.shape},
                       {"rel_rms_error", t.rel_rms_error}});
  }
  j["tensors"] = std::move(tensors);
  return j;
}

}  // namespace dsc::frontend
