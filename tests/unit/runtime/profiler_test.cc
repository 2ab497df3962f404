// The profiling observer on the tiny-a golden model (the declared graph on the reference
// interpreter, generic moe_experts with nested expert bodies): bytes per decode step equal an
// independent count from the safetensors headers and the config; classes and layers follow
// the checkpoint names; self times partition the step; the Chrome trace parses.
#include "runtime/profiler.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "frontend/model_loader.h"
#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/model_runner.h"

namespace dsc::runtime {
namespace {

const std::string kTinyA = std::string(DSC_SHARED_DIR) + "/golden/tiny-a";

// Bytes one decode step of tiny-a reads, from the checkpoint alone: every tensor the forward
// pass uses (not the NVFP4 activation scales `input_scale`, unused by weight-only decode), one
// embedding row, top-k experts per MoE layer, and `rows` cache rows per layer (fp8 mode stores
// the MLA latent and rope key as f32; the indexer key as e4m3 + an f32 scale).
double IndependentDecodeBytes(const frontend::ModelConfig& c, int64_t rows, double* weights_only) {
  auto file = frontend::SafetensorsFile::Open(kTinyA + "/model.safetensors");
  EXPECT_TRUE(file.ok()) << file.status();
  double w = 0, expert0 = 0;
  for (const frontend::TensorView& t : (*file)->tensors()) {
    if (absl::EndsWith(t.name, ".input_scale")) continue;
    if (t.name == "model.embed_tokens.weight") continue;
    if (absl::StrContains(t.name, ".mlp.experts.")) {
      if (absl::StrContains(t.name, "model.layers.1.mlp.experts.0.")) expert0 += static_cast<double>(t.nbytes);
      continue;
    }
    w += static_cast<double>(t.nbytes);
  }
  w += static_cast<double>(c.dim) * 2;  // one BF16 embedding row
  w += static_cast<double>(c.n_moe_layers() * c.n_activated_experts) * expert0;
  *weights_only = w;
  const double row = c.kv_lora_rank * 4 + c.qk_rope_head_dim * 4 + c.index_head_dim * 1 + 4;
  return w + static_cast<double>(c.n_layers * rows) * row;
}

class ProfilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    frontend::LoadOptions options;
    options.graph.context = 32;
    auto model = frontend::LoadModel(kTinyA, options);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::make_unique<frontend::LoadedModel>(std::move(*model));
    const frontend::LoadedModel* m = model_.get();
    interp_ = std::make_unique<Interpreter>(*m->module, [m](const ir::TensorRef& r) { return m->TensorBytes(r); });
    runner_ = std::make_unique<ModelRunner>(interp_.get());
  }
  std::unique_ptr<frontend::LoadedModel> model_;
  std::unique_ptr<Interpreter> interp_;
  std::unique_ptr<ModelRunner> runner_;
};

TEST_F(ProfilerTest, DecodeBytesClassesAndTimes) {
  auto state = runner_->NewSequence();
  const std::vector<int32_t> prompt = {5, 901, 17, 1333, 64, 2000, 7};
  ASSERT_TRUE(runner_->Forward(state.get(), prompt, 0).ok());
  Profiler profiler;
  interp_->set_observer(&profiler);
  profiler.BeginPhase("decode");
  ASSERT_TRUE(runner_->Forward(state.get(), std::vector<int32_t>{42}, 7).ok());  // P = 7: 8 cache rows
  profiler.EndPhase();
  interp_->set_observer(nullptr);

  double weights = 0;
  const double expected = IndependentDecodeBytes(model_->config, 8, &weights);
  const ProfileTotals total = profiler.Total("decode");
  EXPECT_EQ(static_cast<double>(total.bytes), expected);
  double cache = 0;
  for (const OpEvent& e : profiler.events()) {
    if (e.op->code() == ir::OpCode::kCacheRead) cache += static_cast<double>(e.bytes);
  }
  EXPECT_EQ(static_cast<double>(total.bytes) - cache, weights);

  // Classes: bytes and self times partition the totals; routed experts run nested.
  const auto by_class = profiler.ByClass("decode");
  int64_t bytes = 0;
  double seconds = 0;
  for (const ProfileTotals& t : by_class) {
    bytes += t.bytes;
    seconds += t.seconds;
  }
  EXPECT_EQ(bytes, total.bytes);
  EXPECT_NEAR(seconds, total.seconds, 1e-9);
  double top_level = 0;
  bool nested_expert_op = false;
  std::set<std::string> layer0_classes;
  for (const OpEvent& e : profiler.events()) {
    EXPECT_GE(e.self_seconds, -1e-9);
    EXPECT_GE(e.seconds, e.self_seconds - 1e-9);
    if (e.depth == 0) top_level += e.seconds;
    if (e.depth > 0) {
      nested_expert_op = true;
      EXPECT_EQ(e.cls, KernelClass::kRoutedExperts);
      EXPECT_GE(e.layer, 1);
    }
    for (const ir::Value* v : e.op->operands()) {
      if (v->name() == "model.layers.0.self_attn.q_a_proj") {
        EXPECT_EQ(e.cls, KernelClass::kMlaAttention);
        EXPECT_EQ(e.layer, 0);
      }
      if (v->name() == "model.layers.2.self_attn.indexer.wq_b") { EXPECT_EQ(e.cls, KernelClass::kIndexer); }
      if (v->name() == "model.layers.0.mlp.down_proj") { EXPECT_EQ(e.cls, KernelClass::kDenseMlp); }
      if (v->name() == "model.layers.1.mlp.shared_experts.up_proj") { EXPECT_EQ(e.cls, KernelClass::kSharedExpert); }
      if (v->name() == "lm_head") {
        EXPECT_EQ(e.cls, KernelClass::kLmHead);
        EXPECT_EQ(e.layer, kHeadLayer);
      }
      if (v->name() == "model.embed_tokens") { EXPECT_EQ(e.cls, KernelClass::kEmbedding); }
    }
  }
  EXPECT_TRUE(nested_expert_op);
  EXPECT_NEAR(top_level, total.seconds, 1e-9);
  EXPECT_GT(by_class[static_cast<int>(KernelClass::kRoutedExperts)].bytes, 0);
  EXPECT_GT(by_class[static_cast<int>(KernelClass::kMoeGate)].bytes, 0);
  const auto by_layer = profiler.ByLayer("decode");
  EXPECT_TRUE(by_layer.contains(0) && by_layer.contains(1) && by_layer.contains(2) && by_layer.contains(kHeadLayer));
}

TEST_F(ProfilerTest, ChromeTraceParses) {
  auto state = runner_->NewSequence();
  Profiler profiler(Profiler::Options{.record_shapes = true});
  interp_->set_observer(&profiler);
  profiler.BeginPhase("prefill");
  ASSERT_TRUE(runner_->Forward(state.get(), std::vector<int32_t>{3, 1000, 77}, 0).ok());
  profiler.EndPhase();
  interp_->set_observer(nullptr);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("dsc_profile_" + std::to_string(getpid()) + ".json")).string();
  ASSERT_TRUE(profiler.WriteChromeTrace(path).ok());
  std::ifstream in(path);
  nlohmann::json trace = nlohmann::json::parse(in);
  std::filesystem::remove(path);
  ASSERT_TRUE(trace.contains("traceEvents"));
  int dequantize = 0, named = 0, phases = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    EXPECT_GE(e["dur"].get<double>(), 0.0);
    if (e["cat"] == "phase") {
      ++phases;
      continue;
    }
    if (e["name"] == "dequantize") {
      ++dequantize;
      EXPECT_GT(e["args"]["bytes"].get<int64_t>(), 0);
      EXPECT_FALSE(e["args"]["shape"].get<std::string>().empty());
      // Expert bodies dequantize their argument slices (no weight name); the rest name theirs.
      if (absl::StartsWith(e["args"]["weight"].get<std::string>(), "model.layers.")) ++named;
    }
  }
  EXPECT_EQ(phases, 1);
  EXPECT_GT(dequantize, named);
  EXPECT_GT(named, 10);
}

TEST(ProfilerBytes, QuantMatrixBytes) {
  // NVFP4: K/2 code bytes + K/16 e4m3 scales per row + one f32 global scale.
  EXPECT_EQ(QuantMatrixBytes(ir::QuantFormat::kNvfp4, 7168, 2048), 7168 * 1024 + 7168 * 128 + 4);
  // FP8 block-128: a byte per weight + an f32 per 128x128 block (rounded up).
  EXPECT_EQ(QuantMatrixBytes(ir::QuantFormat::kFp8Block128, 300, 200), 300 * 200 + 3 * 2 * 4);
}

}  // namespace
}  // namespace dsc::runtime
