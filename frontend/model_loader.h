// Loads a checkpoint directory into everything an engine needs: the mapped checkpoint, its
// config, the validated weight index and the declared IR module, plus a function that hands
// the runtime the bytes behind each TensorRef (zero-copy, from the mmap).
#ifndef DSC_FRONTEND_MODEL_LOADER_H_
#define DSC_FRONTEND_MODEL_LOADER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "frontend/checkpoint.h"
#include "frontend/deepseek/graph_builder.h"
#include "frontend/model_config.h"
#include "frontend/model_weights.h"
#include "ir/module.h"

namespace dsc::frontend {

struct LoadOptions {
  std::string config_file;  // official inference-style config instead of config.json
  GraphOptions graph;
  // If set: (steps done, kLoadSteps) after each loading step (the CLI's progress bar).
  std::function<void(int64_t done, int64_t total)> progress;
};

// The steps LoadModel reports: checkpoint headers, config, weight index, graph.
inline constexpr int64_t kLoadSteps = 4;

struct LoadedModel {
  std::unique_ptr<Checkpoint> checkpoint;
  ModelConfig config;
  std::unique_ptr<ModelWeights> weights;
  std::unique_ptr<ir::Module> module;
  // Bytes of a checkpoint tensor referenced by the module (NotFound if it is not there).
  absl::StatusOr<const uint8_t*> TensorBytes(const ir::TensorRef& ref) const;
};

absl::StatusOr<LoadedModel> LoadModel(const std::string& dir, const LoadOptions& options);

// Resolves HF module paths through a ModelWeights index (either naming style on disk).
class CheckpointWeightResolver : public WeightResolver {
 public:
  explicit CheckpointWeightResolver(const ModelWeights& weights) : weights_(weights) {}
  absl::StatusOr<ResolvedWeight> Resolve(const std::string& module, const std::string& tensor) const override;
  bool Has(const std::string& module, const std::string& tensor) const override;

 private:
  const ModuleWeights* Find(const std::string& module) const;
  const ModelWeights& weights_;
};

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_MODEL_LOADER_H_
