// Shared helpers for the golden tests: loading tiny-a (or any golden directory with a
// cases.json manifest) once per engine configuration, reading golden tensors, and comparing
// logits the way shared/golden's compare.py does (relative L2 and argmax agreement per row).
#ifndef DSC_TESTS_UNIT_GOLDEN_GOLDEN_HARNESS_H_
#define DSC_TESTS_UNIT_GOLDEN_GOLDEN_HARNESS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "frontend/model_loader.h"
#include "frontend/safetensors.h"
#include "nlohmann/json.hpp"
#include "runtime/interp/interpreter.h"
#include "runtime/model_runner.h"

namespace dsc::golden {

inline std::string GoldenDir() { return std::string(DSC_SHARED_DIR) + "/golden/tiny-a"; }

// A loaded model with the reference interpreter, one per (revision, kv-cache mode, context).
struct LoadedEngine {
  frontend::LoadedModel model;
  std::unique_ptr<runtime::Interpreter> interpreter;
  std::unique_ptr<runtime::ModelRunner> runner;
};
LoadedEngine& Engine(const std::string& revision, frontend::KvCacheMode kv, int64_t context = 0);

const nlohmann::json& Manifest();
const frontend::SafetensorsFile& Cases();
std::vector<float> GoldenFloats(const std::string& tensor);
std::vector<int32_t> GoldenInts(const std::string& tensor);

struct Agreement {
  double rel_l2 = 0;
  double top1 = 0;  // fraction of rows whose argmax agrees (ties -> lowest id)
};
Agreement Compare(const std::vector<float>& actual, const std::vector<float>& expected, int64_t vocab);
int32_t Argmax(const float* row, int64_t n);

// Greedy continuation as the manifest's procedure defines it.
std::vector<int32_t> Greedy(runtime::ModelRunner& runner, const std::vector<int32_t>& prompt, int n);

}  // namespace dsc::golden

#endif  // DSC_TESTS_UNIT_GOLDEN_GOLDEN_HARNESS_H_
