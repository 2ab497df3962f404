// Golden test helpers (see golden_harness.h).
#include "tests/unit/golden/golden_harness.h"

#include <cmath>
#include <fstream>

#include "gtest/gtest.h"

namespace dsc::golden {

LoadedEngine& Engine(const std::string& revision, frontend::KvCacheMode kv, int64_t context) {
  static auto* engines = new std::map<std::string, std::unique_ptr<LoadedEngine>>();
  std::string key = revision + "/" + std::to_string(static_cast<int>(kv)) + "/" + std::to_string(context);
  auto& slot = (*engines)[key];
  if (slot == nullptr) {
    frontend::LoadOptions options;
    options.graph.revision = revision;
    options.graph.kv_cache = kv;
    options.graph.context = context;
    absl::StatusOr<frontend::LoadedModel> model = frontend::LoadModel(GoldenDir(), options);
    if (!model.ok()) {
      ADD_FAILURE() << model.status();
      std::abort();
    }
    slot = std::make_unique<LoadedEngine>();
    slot->model = std::move(*model);
    const frontend::LoadedModel* m = &slot->model;
    slot->interpreter = std::make_unique<runtime::Interpreter>(
        *m->module, [m](const ir::TensorRef& ref) { return m->TensorBytes(ref); });
    slot->runner = std::make_unique<runtime::ModelRunner>(slot->interpreter.get());
  }
  return *slot;
}

const nlohmann::json& Manifest() {
  static const nlohmann::json* manifest = [] {
    std::ifstream in(GoldenDir() + "/cases.json");
    return new nlohmann::json(nlohmann::json::parse(in));
  }();
  return *manifest;
}

const frontend::SafetensorsFile& Cases() {
  static const frontend::SafetensorsFile* file = [] {
    auto f = frontend::SafetensorsFile::Open(GoldenDir() + "/cases.safetensors");
    if (!f.ok()) std::abort();
    return f->release();
  }();
  return *file;
}

std::vector<float> GoldenFloats(const std::string& tensor) {
  const frontend::TensorView* t = Cases().Find(tensor);
  if (t == nullptr) {
    ADD_FAILURE() << "golden tensor missing: " << tensor;
    return {};
  }
  absl::StatusOr<std::vector<float>> v = frontend::ReadAsFloat32(*t);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : std::vector<float>{};
}

std::vector<int32_t> GoldenInts(const std::string& tensor) {
  std::vector<int32_t> out;
  for (float v : GoldenFloats(tensor)) out.push_back(static_cast<int32_t>(v));
  return out;
}

int32_t Argmax(const float* row, int64_t n) {
  int32_t best = 0;
  for (int64_t j = 1; j < n; ++j) {
    if (row[j] > row[best]) best = static_cast<int32_t>(j);
  }
  return best;
}

Agreement Compare(const std::vector<float>& actual, const std::vector<float>& expected, int64_t vocab) {
  Agreement a;
  if (actual.size() != expected.size() || vocab <= 0) {
    ADD_FAILURE() << "size mismatch: " << actual.size() << " vs " << expected.size();
    return {1e9, 0};
  }
  double num = 0, den = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    num += (double(actual[i]) - expected[i]) * (double(actual[i]) - expected[i]);
    den += double(expected[i]) * expected[i];
  }
  a.rel_l2 = std::sqrt(num / den);
  int64_t rows = static_cast<int64_t>(actual.size()) / vocab, agree = 0;
  for (int64_t r = 0; r < rows; ++r) {
    agree += Argmax(actual.data() + r * vocab, vocab) == Argmax(expected.data() + r * vocab, vocab);
  }
  a.top1 = rows == 0 ? 1.0 : double(agree) / rows;
  return a;
}

std::vector<int32_t> Greedy(runtime::ModelRunner& runner, const std::vector<int32_t>& prompt, int n) {
  std::unique_ptr<runtime::SequenceState> state = runner.NewSequence();
  const int64_t vocab = runner.vocab_size();
  absl::StatusOr<runtime::Tensor> logits = runner.Forward(state.get(), prompt, 0);
  std::vector<int32_t> out;
  int64_t pos = static_cast<int64_t>(prompt.size());
  while (logits.ok() && static_cast<int>(out.size()) < n) {
    const float* last = logits->f.data() + (logits->shape[0] - 1) * vocab;
    out.push_back(Argmax(last, vocab));
    if (static_cast<int>(out.size()) == n) break;
    logits = runner.Forward(state.get(), {out.back()}, pos++);
  }
  EXPECT_TRUE(logits.ok()) << logits.status();
  return out;
}

}  // namespace dsc::golden
