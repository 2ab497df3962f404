// `dsc synth`: the tiny preset is the golden tiny-a tensor table, every format / sharding / MTP
// variant loads through Checkpoint + ModelWeights, bytes depend only on the seed, weights have
// the intended scale, the tokenizer works, and the CLI rejects bad input with exit code 2.
#include "frontend/synth.h"

#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "synth_test_util.h"
#include "test_checkpoints.h"

namespace dsc::frontend {
namespace {

namespace fs = std::filesystem;
using synth_test::DequantizedWeight;
using synth_test::LoadAndValidate;
using synth_test::RunDscCommand;
using test_util::ReadJson;
using test_util::ScratchDir;

std::string Synth(const ScratchDir& scratch, SynthOptions options, const std::string& name) {
  const std::string out = scratch.File(name);
  absl::StatusOr<SynthResult> result = WriteSynthCheckpoint(options, out);
  EXPECT_TRUE(result.ok()) << result.status();
  return out;
}

SynthOptions Options(SynthFormat format, uint64_t seed = 0) {
  SynthOptions o;
  o.preset = "tiny";
  o.format = format;
  o.seed = seed;
  return o;
}

using TensorTable = std::map<std::string, std::pair<StDtype, std::vector<int64_t>>>;

TensorTable TableOf(const Checkpoint& ckpt) {
  TensorTable table;
  for (const TensorView* t : ckpt.tensors()) table[t->name] = {t->dtype, t->shape};
  return table;
}

TEST(Synth, TinyIsTheGoldenTinyATensorTable) {
  ScratchDir scratch;
  const std::string dir = Synth(scratch, Options(SynthFormat::kNvfp4), "tiny");
  auto golden = Checkpoint::Open(test_util::TinyADir());
  auto synth = Checkpoint::Open(dir);
  ASSERT_TRUE(golden.ok() && synth.ok());
  const TensorTable expected = TableOf(**golden), got = TableOf(**synth);
  EXPECT_EQ(got.size(), expected.size());
  for (const auto& [name, entry] : expected) {
    auto it = got.find(name);
    ASSERT_NE(it, got.end()) << "missing " << name;
    EXPECT_EQ(StDtypeName(it->second.first), StDtypeName(entry.first)) << name;
    EXPECT_EQ(it->second.second, entry.second) << name;
  }
  for (const auto& [name, entry] : got) EXPECT_TRUE(expected.count(name)) << "extra " << name;
  // config.json (incl. quantization_config) and hf_quant_config.json as the golden ones.
  EXPECT_EQ(ReadJson(dir + "/config.json"), ReadJson(test_util::TinyADir() + "/config.json"));
  EXPECT_EQ(ReadJson(dir + "/hf_quant_config.json"),
            ReadJson(test_util::TinyADir() + "/hf_quant_config.json"));
}

TEST(Synth, EveryFormatLoadsThroughModelWeights) {
  ScratchDir scratch;
  const std::map<SynthFormat, WeightFormat> formats = {
      {SynthFormat::kNvfp4, WeightFormat::kNvfp4},
      {SynthFormat::kFp8, WeightFormat::kFp8Block128},
      {SynthFormat::kBf16, WeightFormat::kBf16}};
  for (const auto& [synth_format, weight_format] : formats) {
    const std::string dir =
        Synth(scratch, Options(synth_format), absl::StrCat("f", static_cast<int>(synth_format)));
    auto loaded = LoadAndValidate(dir);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    const ModelWeights& w = *loaded->weights;
    for (const ModuleWeights& m : w.modules()) {
      const bool quantizable = m.is_linear && m.kind != "head" && m.kind != "ffn.gate" &&
                               m.kind != "attn.indexer.weights_proj";
      EXPECT_EQ(WeightFormatName(m.format),
                WeightFormatName(quantizable ? weight_format : WeightFormat::kBf16))
          << m.name;
    }
    EXPECT_TRUE(w.unexpected_tensors().empty());
    EXPECT_EQ(fs::exists(dir + "/hf_quant_config.json"), synth_format == SynthFormat::kNvfp4);
    const nlohmann::json config = ReadJson(dir + "/config.json");
    if (synth_format == SynthFormat::kFp8) {
      EXPECT_EQ(config["quantization_config"]["quant_method"], "fp8");
      // Power-of-two block scales.
      const TensorView* s = loaded->checkpoint->Find("model.layers.0.self_attn.o_proj.weight_scale_inv");
      ASSERT_NE(s, nullptr);
      auto values = ReadAsFloat32(*s);
      ASSERT_TRUE(values.ok());
      for (float v : *values) EXPECT_EQ(std::exp2(std::round(std::log2(v))), v);
    }
    if (synth_format == SynthFormat::kBf16) {
      EXPECT_FALSE(config.contains("quantization_config"));
    }
  }
}

TEST(Synth, WeightsHaveTheIntendedScale) {
  ScratchDir scratch;
  for (SynthFormat format : {SynthFormat::kNvfp4, SynthFormat::kFp8, SynthFormat::kBf16}) {
    const std::string dir =
        Synth(scratch, Options(format), absl::StrCat("s", static_cast<int>(format)));
    auto ckpt = Checkpoint::Open(dir);
    ASSERT_TRUE(ckpt.ok());
    // A linear reading a unit-RMS input: std 1/sqrt(in).
    for (const auto& [module, in] : std::vector<std::pair<std::string, int>>{
             {"model.layers.0.self_attn.q_a_proj", 256},
             {"model.layers.1.mlp.experts.7.up_proj", 256},
             {"model.layers.2.self_attn.kv_b_proj", 128}}) {
      const double rms = synth_test::Rms(DequantizedWeight(**ckpt, module));
      EXPECT_NEAR(rms * std::sqrt(in), 1.0, 0.06) << module << " format " << static_cast<int>(format);
    }
    // Norms ≈ 1, embeddings unit std.
    EXPECT_NEAR(synth_test::Rms(DequantizedWeight(**ckpt, "model.norm")), 1.0, 0.01);
    EXPECT_NEAR(synth_test::Rms(DequantizedWeight(**ckpt, "model.embed_tokens")), 1.0, 0.01);
  }
}

TEST(Synth, ShardedOutputLoadsAndTheIndexListsEveryTensor) {
  ScratchDir scratch;
  SynthOptions options = Options(SynthFormat::kNvfp4);
  options.shards = 3;
  const std::string dir = Synth(scratch, options, "sharded");
  for (int k = 1; k <= 3; ++k) {
    EXPECT_TRUE(fs::exists(absl::StrCat(dir, "/model-0000", k, "-of-00003.safetensors")));
  }
  EXPECT_FALSE(fs::exists(dir + "/model.safetensors"));
  auto loaded = LoadAndValidate(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->checkpoint->has_index());
  const nlohmann::json index = ReadJson(dir + "/model.safetensors.index.json");
  EXPECT_EQ(index["weight_map"].size(), loaded->checkpoint->tensors().size());
  EXPECT_EQ(index["metadata"]["total_size"].get<uint64_t>(),
            loaded->checkpoint->total_tensor_bytes());
  for (const TensorView* t : loaded->checkpoint->tensors()) {
    ASSERT_TRUE(index["weight_map"].contains(t->name)) << t->name;
    EXPECT_EQ(index["weight_map"][t->name], fs::path(t->file).filename().string()) << t->name;
  }
  // A weight and its scales share a shard.
  const std::string m = "model.layers.1.mlp.experts.3.down_proj";
  EXPECT_EQ(index["weight_map"][m + ".weight"], index["weight_map"][m + ".weight_scale_2"]);
  // Same bytes per tensor as the single-file checkpoint.
  const std::string single = Synth(scratch, Options(SynthFormat::kNvfp4), "single");
  auto one = Checkpoint::Open(single);
  ASSERT_TRUE(one.ok());
  for (const TensorView* t : loaded->checkpoint->tensors()) {
    const TensorView* u = (*one)->Find(t->name);
    ASSERT_NE(u, nullptr);
    ASSERT_EQ(t->nbytes, u->nbytes);
    EXPECT_EQ(std::memcmp(t->data, u->data, t->nbytes), 0) << t->name;
  }
}

TEST(Synth, MtpLayerIsWrittenAndIgnoredByModelWeights) {
  ScratchDir scratch;
  for (SynthFormat format : {SynthFormat::kNvfp4, SynthFormat::kFp8}) {
    SynthOptions options = Options(format);
    options.mtp = true;
    const std::string dir = Synth(scratch, options, absl::StrCat("mtp", static_cast<int>(format)));
    auto loaded = LoadAndValidate(dir);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->config.num_nextn_predict_layers, 1);
    for (const char* name :
         {"model.layers.3.embed_tokens.weight", "model.layers.3.enorm.weight",
          "model.layers.3.hnorm.weight", "model.layers.3.eh_proj.weight",
          "model.layers.3.shared_head.norm.weight", "model.layers.3.shared_head.head.weight",
          "model.layers.3.self_attn.q_a_proj.weight", "model.layers.3.mlp.gate.weight",
          "model.layers.3.mlp.experts.15.down_proj.weight"}) {
      EXPECT_NE(loaded->checkpoint->Find(name), nullptr) << name;
    }
    const TensorView* eh = loaded->checkpoint->Find("model.layers.3.eh_proj.weight");
    EXPECT_EQ(eh->shape, (std::vector<int64_t>{256, format == SynthFormat::kNvfp4 ? 256 : 512}));
    EXPECT_EQ(loaded->weights->Find("layers.3.attn.wq_a"), nullptr);
    EXPECT_TRUE(loaded->weights->unexpected_tensors().empty());
    ASSERT_EQ(loaded->weights->notes().size(), 1u);
    EXPECT_NE(loaded->weights->notes()[0].find("MTP layer 3"), std::string::npos);
  }
  const nlohmann::json quant = ReadJson(scratch.File("mtp0") + "/hf_quant_config.json");
  const auto& exclude = quant["quantization"]["exclude_modules"];
  EXPECT_NE(std::find(exclude.begin(), exclude.end(), "model.layers.3.shared_head.head"),
            exclude.end());
}

TEST(Synth, BytesDependOnlyOnTheSeed) {
  ScratchDir scratch;
  const std::string a = Synth(scratch, Options(SynthFormat::kNvfp4, 7), "a");
  SynthOptions two_threads = Options(SynthFormat::kNvfp4, 7);
  two_threads.threads = 2;
  const std::string b = Synth(scratch, two_threads, "b");
  const std::string c = Synth(scratch, Options(SynthFormat::kNvfp4, 8), "c");
  const std::string bytes_a = test_util::ReadBytes(a + "/model.safetensors");
  EXPECT_EQ(bytes_a, test_util::ReadBytes(b + "/model.safetensors"));
  const std::string bytes_c = test_util::ReadBytes(c + "/model.safetensors");
  ASSERT_EQ(bytes_a.size(), bytes_c.size());
  EXPECT_NE(bytes_a, bytes_c);
  // Within a file, tensors of the same shape still differ (per-name streams), and any slice
  // can be produced on its own.
  auto ckpt = Checkpoint::Open(a);
  ASSERT_TRUE(ckpt.ok());
  const TensorView* e0 = (*ckpt)->Find("model.layers.1.mlp.experts.0.up_proj.weight");
  const TensorView* e1 = (*ckpt)->Find("model.layers.1.mlp.experts.1.up_proj.weight");
  EXPECT_NE(std::memcmp(e0->data, e1->data, e0->nbytes), 0);
  absl::StatusOr<SynthPlan> plan = PlanSynthCheckpoint(Options(SynthFormat::kNvfp4, 7));
  ASSERT_TRUE(plan.ok());
  for (const SynthTensor& t : plan->tensors) {
    if (t.name != e1->name) continue;
    const std::string slice = SynthTensorBytes(t, 1001, 3003);
    EXPECT_EQ(slice, std::string(reinterpret_cast<const char*>(e1->data) + 1001, 2002));
  }
}

TEST(Synth, LargePresetsHaveTheTrueShapes) {
  SynthOptions options;
  options.preset = "full-layer";
  absl::StatusOr<SynthPlan> plan = PlanSynthCheckpoint(options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::map<std::string, std::vector<int64_t>> shapes;
  uint64_t bytes = 0;
  for (const SynthTensor& t : plan->tensors) shapes[t.name] = t.shape, bytes += t.nbytes();
  const std::string a = "model.layers.0.self_attn.";
  EXPECT_EQ(shapes[a + "q_b_proj.weight"], (std::vector<int64_t>{24576, 768}));
  EXPECT_EQ(shapes[a + "q_b_proj.weight_scale"], (std::vector<int64_t>{24576, 96}));
  EXPECT_EQ(shapes[a + "kv_a_proj_with_mqa.weight"], (std::vector<int64_t>{576, 3584}));
  EXPECT_EQ(shapes[a + "o_proj.weight"], (std::vector<int64_t>{7168, 8192}));
  EXPECT_EQ(shapes[a + "indexer.wq_b.weight_scale"], (std::vector<int64_t>{8192, 96}));
  EXPECT_EQ(shapes[a + "indexer.weights_proj.weight"], (std::vector<int64_t>{64, 7168}));
  EXPECT_EQ(shapes["model.layers.0.mlp.down_proj.weight"], (std::vector<int64_t>{7168, 9216}));
  EXPECT_EQ(shapes["model.layers.1.mlp.experts.255.gate_proj.weight_scale"],
            (std::vector<int64_t>{2048, 448}));
  EXPECT_EQ(shapes["model.layers.1.mlp.experts.255.down_proj.weight"],
            (std::vector<int64_t>{7168, 1024}));
  EXPECT_EQ(shapes["model.layers.1.mlp.gate.weight"], (std::vector<int64_t>{256, 7168}));
  EXPECT_EQ(shapes["lm_head.weight"], (std::vector<int64_t>{129280, 7168}));
  EXPECT_FALSE(shapes.count("model.layers.2.input_layernorm.weight"));
  EXPECT_GT(bytes, 10'000'000'000u);

  options.preset = "small";
  options.format = SynthFormat::kFp8;
  plan = PlanSynthCheckpoint(options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->model_config.dim, 2048);
  EXPECT_EQ(plan->model_config.n_routed_experts, 64);
  EXPECT_EQ(plan->model_config.n_activated_experts, 6);
  bytes = 0;
  for (const SynthTensor& t : plan->tensors) bytes += t.nbytes();
  EXPECT_GT(bytes, 2'000'000'000u);
  EXPECT_LT(bytes, 5'000'000'000u);
}

TEST(SynthTokenizer, EncodesAndDecodesThroughTheCli) {
  ASSERT_TRUE(fs::exists(DSC_BINARY)) << "build the dsc target first";
  ScratchDir scratch;
  const std::string dir = Synth(scratch, Options(SynthFormat::kBf16), "tok");
  const nlohmann::json tok = ReadJson(dir + "/tokenizer.json");
  EXPECT_EQ(tok["model"]["vocab"]["<｜begin▁of▁sentence｜>"], 0);
  EXPECT_EQ(tok["model"]["vocab"]["<｜end▁of▁sentence｜>"], 1);
  for (const auto& added : tok["added_tokens"]) EXPECT_LT(added["id"].get<int>(), 2048);
  const std::string text = "Hello the world, and 123 <｜User｜>tion\\n";
  auto enc = RunDscCommand("tokenize --tokenizer " + dir + " --text '" + text + "'");
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  const nlohmann::json ids = nlohmann::json::parse(enc.out);
  EXPECT_LT(ids.size(), text.size() - 12);  // merges and the chat token apply
  std::string id_list;
  for (const auto& id : ids) id_list += (id_list.empty() ? "" : ",") + std::to_string(id.get<int>());
  auto dec = RunDscCommand("detokenize --tokenizer " + dir + " --ids " + id_list);
  ASSERT_EQ(dec.exit_code, 0) << dec.err;
  EXPECT_NE(dec.out.find("Hello the world, and 123 <｜User｜>tion\\n"), std::string::npos)
      << dec.out;
}

TEST(SynthCli, WritesAndRejectsBadInput) {
  ASSERT_TRUE(fs::exists(DSC_BINARY)) << "build the dsc target first";
  ScratchDir scratch;
  auto ok = RunDscCommand("synth --preset tiny --format fp8 --seed 3 -o " + scratch.File("x"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("MB/s"), std::string::npos);
  EXPECT_TRUE(synth_test::LoadAndValidate(scratch.File("x")).ok());
  EXPECT_EQ(RunDscCommand("synth --preset huge -o " + scratch.File("y")).exit_code, 2);
  EXPECT_EQ(RunDscCommand("synth --preset tiny --format int4 -o " + scratch.File("y")).exit_code, 2);
  EXPECT_EQ(RunDscCommand("synth --preset tiny").exit_code, 2);
  EXPECT_EQ(RunDscCommand("synth -o " + scratch.File("y")).exit_code, 2);
  EXPECT_FALSE(fs::exists(scratch.File("y")));
  // An existing, non-empty output directory is never overwritten.
  auto again = RunDscCommand("synth --preset tiny -o " + scratch.File("x"));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
  // An empty one is fine.
  fs::create_directories(scratch.File("empty"));
  EXPECT_EQ(RunDscCommand("synth --preset tiny -o " + scratch.File("empty")).exit_code, 0);
  // A trailing slash names the same directory.
  EXPECT_EQ(RunDscCommand("synth --preset tiny -o " + scratch.File("slash") + "/").exit_code, 0);
  EXPECT_TRUE(fs::exists(scratch.File("slash") + "/config.json"));
  // No staging directories left behind.
  for (const auto& entry : fs::directory_iterator(scratch.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos);
  }
}

}  // namespace
}  // namespace dsc::frontend
