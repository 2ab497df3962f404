// tiny-a helpers for the pass tests (see tiny_a.h).
#include "tests/unit/passes/tiny_a.h"

#include <cmath>

#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"

namespace dsc::passes::testing {

void TinyA::Start() {
  const frontend::LoadedModel* m = &model;
  interpreter = std::make_unique<runtime::Interpreter>(*m->module,
                                                       [m](const ir::TensorRef& ref) { return m->TensorBytes(ref); });
  runner = std::make_unique<runtime::ModelRunner>(interpreter.get());
}

absl::StatusOr<std::unique_ptr<TinyA>> LoadTinyA(frontend::KvCacheMode kv, const std::string& revision) {
  frontend::LoadOptions options;
  options.graph.kv_cache = kv;
  options.graph.revision = revision;
  absl::StatusOr<frontend::LoadedModel> model = frontend::LoadModel(TinyADir(), options);
  if (!model.ok()) return model.status();
  auto out = std::make_unique<TinyA>();
  out->model = std::move(*model);
  return out;
}

std::unique_ptr<TinyA> OptimizedTinyA() {
  absl::StatusOr<std::unique_ptr<TinyA>> m = LoadTinyA();
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return nullptr;
  PassManager pm;
  EXPECT_TRUE(pm.AddPipeline(DefaultPipeline(*(*m)->model.module)).ok());
  absl::StatusOr<bool> changed = pm.Run(*(*m)->model.module);
  EXPECT_TRUE(changed.ok()) << changed.status();
  (*m)->Start();
  return std::move(*m);
}

const frontend::SafetensorsFile& Cases() {
  static const frontend::SafetensorsFile* file = [] {
    auto f = frontend::SafetensorsFile::Open(TinyADir() + "/cases.safetensors");
    if (!f.ok()) std::abort();
    return f->release();
  }();
  return *file;
}

std::vector<float> GoldenFloats(const std::string& tensor) {
  const frontend::TensorView* t = Cases().Find(tensor);
  if (t == nullptr) return {};
  absl::StatusOr<std::vector<float>> v = frontend::ReadAsFloat32(*t);
  return v.ok() ? *v : std::vector<float>{};
}

std::vector<int32_t> GoldenTokens(const std::string& case_name) {
  std::vector<int32_t> out;
  for (float v : GoldenFloats(case_name + ".tokens")) out.push_back(static_cast<int32_t>(v));
  return out;
}

Agreement Compare(const std::vector<float>& actual, const std::vector<float>& expected, int64_t vocab) {
  if (actual.size() != expected.size() || vocab <= 0 || expected.empty()) return {1e9, 0};
  double num = 0, den = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    double d = double(actual[i]) - expected[i];
    num += d * d;
    den += double(expected[i]) * expected[i];
  }
  auto argmax = [&](const float* row) {
    int64_t best = 0;
    for (int64_t j = 1; j < vocab; ++j) {
      if (row[j] > row[best]) best = j;
    }
    return best;
  };
  int64_t rows = static_cast<int64_t>(actual.size()) / vocab, agree = 0;
  for (int64_t r = 0; r < rows; ++r) agree += argmax(&actual[r * vocab]) == argmax(&expected[r * vocab]);
  return {std::sqrt(num / den), double(agree) / double(rows)};
}

absl::StatusOr<std::vector<float>> Logits(TinyA& m, const std::vector<int32_t>& tokens, int64_t chunk) {
  absl::StatusOr<runtime::Tensor> t = runtime::LogitsInChunks(*m.runner, tokens, chunk);
  if (!t.ok()) return t.status();
  return t->f.ToVector();
}

int CountOps(const ir::Module& module, const std::string& function, ir::OpCode code) {
  const ir::Function* f = module.FindFunction(function);
  if (f == nullptr) return 0;
  int n = 0;
  for (const auto& op : f->ops()) n += op->code() == code;
  return n;
}

}  // namespace dsc::passes::testing
