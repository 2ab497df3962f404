// Checkpoint → config → weight index → IR module, and the TensorRef → bytes mapping.
#include "frontend/model_loader.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "frontend/weight_format.h"

namespace dsc::frontend {
namespace {

absl::StatusOr<ir::DType> ToIrDType(const TensorView& t) {
  switch (t.dtype) {
    case StDtype::kF32: return ir::DType::kF32;
    case StDtype::kF16: return ir::DType::kF16;
    case StDtype::kBF16: return ir::DType::kBF16;
    case StDtype::kF8E4M3: return ir::DType::kF8E4M3;
    case StDtype::kU8: return ir::DType::kU8;
    case StDtype::kI32: return ir::DType::kI32;
    case StDtype::kI64: return ir::DType::kI64;
    default:
      return absl::InvalidArgumentError(absl::StrCat(t.file, ": tensor '", t.name, "' has dtype ",
                                                     std::string(StDtypeName(t.dtype)), ", which no IR weight uses"));
  }
}

ir::TensorRef Ref(const TensorView& t) {
  return {t.name, std::filesystem::path(t.file).filename().string(), t.file_offset};
}

ir::Shape ToShape(const std::vector<int64_t>& dims) {
  std::vector<ir::Dim> out(dims.begin(), dims.end());
  return ir::Shape(std::move(out));
}

}  // namespace

const ModuleWeights* CheckpointWeightResolver::Find(const std::string& module) const {
  std::optional<std::string> official = HfToOfficialName(module + ".weight");
  if (!official) return nullptr;
  std::string name = official->substr(0, official->size() - std::string(".weight").size());
  return weights_.Find(name);
}

bool CheckpointWeightResolver::Has(const std::string& module, const std::string& tensor) const {
  const ModuleWeights* m = Find(module);
  if (m == nullptr) return false;
  return tensor == "weight" ? m->weight != nullptr : m->bias != nullptr;
}

absl::StatusOr<ResolvedWeight> CheckpointWeightResolver::Resolve(const std::string& module,
                                                                const std::string& tensor) const {
  const ModuleWeights* m = Find(module);
  if (m == nullptr || (tensor == "weight" ? m->weight == nullptr : m->bias == nullptr)) {
    return absl::NotFoundError(absl::StrCat("checkpoint has no tensor ", module, ".", tensor));
  }
  ResolvedWeight r;
  if (tensor != "weight") {
    absl::StatusOr<ir::DType> dt = ToIrDType(*m->bias);
    if (!dt.ok()) return dt.status();
    r.type = ir::Type::Tensor(*dt, ToShape(m->bias->shape));
    r.parts = {Ref(*m->bias)};
    return r;
  }
  switch (m->format) {
    case WeightFormat::kNvfp4:
      r.type = ir::Type::Quantized(ir::QuantFormat::kNvfp4, ToShape(m->shape));
      r.parts = {Ref(*m->weight), Ref(*m->weight_scale), Ref(*m->weight_scale_2)};
      return r;
    case WeightFormat::kFp8Block128:
      r.type = ir::Type::Quantized(ir::QuantFormat::kFp8Block128, ToShape(m->shape));
      r.parts = {Ref(*m->weight), Ref(*m->weight_scale)};
      return r;
    default: {
      absl::StatusOr<ir::DType> dt = ToIrDType(*m->weight);
      if (!dt.ok()) return dt.status();
      r.type = ir::Type::Tensor(*dt, ToShape(m->shape));
      r.parts = {Ref(*m->weight)};
      return r;
    }
  }
}

absl::StatusOr<const uint8_t*> LoadedModel::TensorBytes(const ir::TensorRef& ref) const {
  const TensorView* t = checkpoint->Find(ref.tensor);
  if (t == nullptr || t->file_offset != ref.offset ||
      std::filesystem::path(t->file).filename().string() != ref.file) {
    return absl::NotFoundError(absl::StrCat("tensor '", ref.tensor, "' is not at ", ref.file, ":", ref.offset,
                                            " in checkpoint ", checkpoint->dir()));
  }
  return t->data;
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& dir, const LoadOptions& options) {
  LoadedModel m;
  auto step = [&](int64_t done) {
    if (options.progress) options.progress(done, kLoadSteps);
  };
  step(0);
  absl::StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::Open(dir);
  if (!ckpt.ok()) return ckpt.status();
  m.checkpoint = std::move(*ckpt);
  step(1);
  absl::StatusOr<ModelConfig> config = options.config_file.empty()
                                           ? LoadHfConfig((std::filesystem::path(dir) / "config.json").string())
                                           : LoadOfficialConfig(options.config_file);
  if (!config.ok()) return config.status();
  m.config = std::move(*config);
  step(2);
  absl::StatusOr<ModelWeights> weights = ModelWeights::Build(*m.checkpoint, m.config);
  if (!weights.ok()) return weights.status();
  m.weights = std::make_unique<ModelWeights>(std::move(*weights));
  step(3);
  CheckpointWeightResolver resolver(*m.weights);
  absl::StatusOr<std::unique_ptr<ir::Module>> module = BuildDeepseekModule(m.config, resolver, options.graph);
  if (!module.ok()) return module.status();
  m.module = std::move(*module);
  step(4);
  return m;
}

}  // namespace dsc::frontend
