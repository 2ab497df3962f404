// Helpers for the pass tests that run tiny-a (shared/golden/tiny-a): load the checkpoint into
// a fresh module, optimize it with a pipeline, run it through the reference interpreter, and
// compare logits with the goldens (relative L2 and per-row argmax, as compare.py does).
#ifndef DSC_TESTS_UNIT_PASSES_TINY_A_H_
#define DSC_TESTS_UNIT_PASSES_TINY_A_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/model_loader.h"
#include "runtime/interp/interpreter.h"
#include "runtime/model_runner.h"

namespace dsc::passes::testing {

inline std::string TinyADir() { return std::string(DSC_SHARED_DIR) + "/golden/tiny-a"; }

// A model whose module may be rewritten before the interpreter is created.
struct TinyA {
  frontend::LoadedModel model;
  std::unique_ptr<runtime::Interpreter> interpreter;
  std::unique_ptr<runtime::ModelRunner> runner;

  // Builds the interpreter over the (possibly optimized) module.
  void Start();
};

absl::StatusOr<std::unique_ptr<TinyA>> LoadTinyA(frontend::KvCacheMode kv = frontend::KvCacheMode::kF32,
                                                 const std::string& revision = "r2");

// LoadTinyA optimized with the default pipeline and started; nullptr (with a test failure) on
// an error.
std::unique_ptr<TinyA> OptimizedTinyA();

// Golden tensors of cases.safetensors.
std::vector<float> GoldenFloats(const std::string& tensor);
std::vector<int32_t> GoldenTokens(const std::string& case_name);

struct Agreement {
  double rel_l2 = 0;
  double top1 = 0;
};
Agreement Compare(const std::vector<float>& actual, const std::vector<float>& expected, int64_t vocab);

// Logits of `tokens` fed from position 0 in chunks (see runtime::LogitsInChunks).
absl::StatusOr<std::vector<float>> Logits(TinyA& m, const std::vector<int32_t>& tokens, int64_t chunk);

// Ops of `code` in function `name` (0 if absent).
int CountOps(const ir::Module& module, const std::string& function, ir::OpCode code);

}  // namespace dsc::passes::testing

#endif  // DSC_TESTS_UNIT_PASSES_TINY_A_H_
