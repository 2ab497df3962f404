// Fuzzes config.json handling: strict JSON, the Hugging Face and the official config parsers
// with their validation, and, for configs they accept, the weight index and the declared IR
// module against the golden tiny-a checkpoint (a config that disagrees with the checkpoint
// must be an error, never a crash or an invalid module).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "frontend/checkpoint.h"
#include "frontend/deepseek/graph_builder.h"
#include "frontend/json_strict.h"
#include "frontend/model_config.h"
#include "frontend/model_loader.h"
#include "frontend/model_weights.h"

namespace {

using namespace dsc::frontend;

const Checkpoint* TinyA() {
  static const Checkpoint* ckpt = [] {
    const char* env = std::getenv("DSC_FUZZ_CHECKPOINT");
    const std::string dir = env ? env : std::string(DSC_SHARED_DIR) + "/golden/tiny-a";
    auto opened = Checkpoint::Open(dir);
    if (!opened.ok()) {
      std::cerr << "model_config_fuzz: cannot open " << dir << ": " << opened.status() << "\n";
      std::abort();
    }
    return opened->release();
  }();
  return ckpt;
}

void BuildAgainstCheckpoint(const ModelConfig& config) {
  if (!ValidateModelConfig(config).ok()) return;
  auto weights = ModelWeights::Build(*TinyA(), config);
  if (!weights.ok()) return;
  CheckpointWeightResolver resolver(*weights);
  GraphOptions options;
  options.context = 64;  // cache capacity only; keeps state shapes small
  (void)BuildDeepseekModule(config, resolver, options);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TinyA();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = ParseJsonStrict(text, "config.json");
  if (!json.ok()) return 0;
  if (auto hf = ParseHfConfig(*json, "config.json"); hf.ok()) BuildAgainstCheckpoint(*hf);
  if (auto official = ParseOfficialConfig(*json, "config.json"); official.ok()) {
    BuildAgainstCheckpoint(*official);
  }
  return 0;
}
