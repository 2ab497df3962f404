// Checkpoint directories and the ModelWeights index on the shared checkpoints: shard
// selection, the index cross-check, formats per module, name mapping, MTP exclusion.
#include "frontend/checkpoint.h"

#include "frontend/model_weights.h"
#include "gtest/gtest.h"
#include "test_checkpoints.h"

namespace dsc::frontend {
namespace {

TEST(Checkpoint, OpensTinyAAndIgnoresGoldenDataFiles) {
  auto ckpt = Checkpoint::Open(test_util::TinyADir());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  ASSERT_EQ((*ckpt)->files().size(), 1u);  // cases/debug/units.safetensors are not shards
  EXPECT_EQ((*ckpt)->tensors().size(), 532u);
  EXPECT_FALSE((*ckpt)->has_index());
  ASSERT_EQ((*ckpt)->notes().size(), 1u);
  EXPECT_NE((*ckpt)->notes()[0].find("cases.safetensors"), std::string::npos);
  ASSERT_TRUE((*ckpt)->quantization().has_value());
  EXPECT_EQ((*ckpt)->quantization()->quant_algo, "NVFP4");
  EXPECT_EQ((*ckpt)->quantization()->group_size, 16);
  EXPECT_EQ((*ckpt)->quantization()->exclude_modules.size(), 6u);
  EXPECT_TRUE(MatchesExcludePattern("model.layers.1.mlp.gate",
                                    (*ckpt)->quantization()->exclude_modules));
  EXPECT_FALSE(MatchesExcludePattern("model.layers.1.mlp.gate_proj",
                                     (*ckpt)->quantization()->exclude_modules));
  EXPECT_TRUE(MatchesExcludePattern("model.layers.12.mlp.gate", {"model.layers.*.mlp.gate"}));
}

TEST(Checkpoint, OpensTwoShardsAndCrossChecksTheIndex) {
  auto ckpt = Checkpoint::Open(test_util::TinycodeBf16Dir());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ((*ckpt)->files().size(), 2u);
  EXPECT_TRUE((*ckpt)->has_index());
  auto index = test_util::ReadJson(test_util::TinycodeBf16Dir() + "/model.safetensors.index.json");
  EXPECT_EQ((*ckpt)->tensors().size(), index["weight_map"].size());
  EXPECT_EQ((*ckpt)->total_tensor_bytes(), index["metadata"]["total_size"].get<uint64_t>());
  for (const auto& [name, shard] : index["weight_map"].items()) {
    const TensorView* t = (*ckpt)->Find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(std::filesystem::path(t->file).filename().string(), shard.get<std::string>())
        << name;
  }
  EXPECT_TRUE((*ckpt)->notes().empty());
}

TEST(Checkpoint, IndexMayOmitTensors) {
  // §6: a public NVFP4 export's index omits its scale tensors; that is only a note.
  test_util::ScratchDir dir;
  for (const char* f : {"config.json", "model-00001-of-00002.safetensors",
                        "model-00002-of-00002.safetensors"}) {
    std::filesystem::copy_file(test_util::TinycodeBf16Dir() + "/" + f, dir.File(f));
  }
  auto index = test_util::ReadJson(test_util::TinycodeBf16Dir() + "/model.safetensors.index.json");
  index["weight_map"].erase("lm_head.weight");
  test_util::WriteJson(dir.File("model.safetensors.index.json"), index);
  auto ckpt = Checkpoint::Open(dir.path());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_NE((*ckpt)->Find("lm_head.weight"), nullptr);
  ASSERT_FALSE((*ckpt)->notes().empty());
  EXPECT_NE((*ckpt)->notes()[0].find("lists"), std::string::npos);
}

TEST(WeightNames, MapsHfToOfficialAndBack) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"model.layers.5.self_attn.kv_b_proj.weight_scale_inv", "layers.5.attn.wkv_b.scale"},
      {"model.layers.5.mlp.experts.17.down_proj.weight", "layers.5.ffn.experts.17.w2.weight"},
      {"model.layers.5.mlp.gate.e_score_correction_bias", "layers.5.ffn.gate.bias"},
      {"lm_head.weight", "head.weight"},
      {"model.embed_tokens.weight", "embed.weight"},
      {"model.norm.weight", "norm.weight"},
      {"model.layers.0.input_layernorm.weight", "layers.0.attn_norm.weight"},
      {"model.layers.0.self_attn.indexer.k_norm.bias", "layers.0.attn.indexer.k_norm.bias"},
      {"model.layers.0.self_attn.q_a_proj.weight_scale_2", "layers.0.attn.wq_a.weight_scale_2"},
      {"model.layers.3.mlp.shared_experts.up_proj.weight", "layers.3.ffn.shared_experts.w3.weight"},
  };
  for (const auto& [hf, official] : pairs) {
    EXPECT_EQ(HfToOfficialName(hf), official) << hf;
    EXPECT_EQ(OfficialToHfName(official), hf) << official;
  }
  EXPECT_EQ(HfToOfficialName("transformer.h.0.weight"), std::nullopt);
  EXPECT_EQ(LayerOfOfficialName("layers.12.attn.wo.weight"), 12);
  EXPECT_EQ(LayerOfOfficialName("head.weight"), std::nullopt);
}

TEST(ModelWeights, IndexesTinyAWithItsFormats) {
  auto ckpt = Checkpoint::Open(test_util::TinyADir());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  auto config = LoadHfConfig(test_util::TinyADir() + "/config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  auto weights = ModelWeights::Build(**ckpt, *config);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->naming(), NamingStyle::kHf);
  EXPECT_TRUE(weights->unexpected_tensors().empty());
  EXPECT_TRUE(weights->missing_tensors().empty());

  const ModuleWeights* wq_a = weights->Find("layers.0.attn.wq_a");
  ASSERT_NE(wq_a, nullptr);
  EXPECT_EQ(wq_a->format, WeightFormat::kNvfp4);
  EXPECT_EQ(wq_a->shape, (std::vector<int64_t>{128, 256}));
  EXPECT_EQ(wq_a->weight->name, "model.layers.0.self_attn.q_a_proj.weight");
  EXPECT_EQ(wq_a->weight_scale->name, "model.layers.0.self_attn.q_a_proj.weight_scale");
  EXPECT_EQ(wq_a->weight_scale_2->name, "model.layers.0.self_attn.q_a_proj.weight_scale_2");
  ASSERT_NE(wq_a->input_scale, nullptr);
  const ModuleWeights* expert = weights->Find("layers.2.ffn.experts.5.w1");
  ASSERT_NE(expert, nullptr);
  EXPECT_EQ(expert->kind, "ffn.experts.w1");
  EXPECT_EQ(expert->expert, 5);
  EXPECT_EQ(expert->format, WeightFormat::kNvfp4);
  const ModuleWeights* gate = weights->Find("layers.1.ffn.gate");
  ASSERT_NE(gate, nullptr);
  EXPECT_EQ(gate->format, WeightFormat::kBf16);
  ASSERT_NE(gate->bias, nullptr);
  EXPECT_EQ(gate->bias->dtype, StDtype::kF32);
  EXPECT_EQ(weights->Find("embed")->format, WeightFormat::kBf16);
  EXPECT_EQ(weights->Find("head")->format, WeightFormat::kBf16);
  EXPECT_EQ(weights->Find("layers.0.attn.indexer.weights_proj")->format, WeightFormat::kBf16);
  EXPECT_NE(weights->Find("layers.0.attn.indexer.k_norm")->bias, nullptr);
  EXPECT_EQ(weights->Find("layers.0.ffn.experts.0.w1"), nullptr);  // layer 0 is dense
  EXPECT_NE(weights->Find("layers.0.ffn.w2"), nullptr);
}

TEST(ModelWeights, IndexesBf16ShardsAndNvfp4Tinycode) {
  for (const std::string& dir : {test_util::TinycodeBf16Dir(), test_util::TinycodeNvfp4Dir()}) {
    auto ckpt = Checkpoint::Open(dir);
    ASSERT_TRUE(ckpt.ok()) << ckpt.status();
    auto config = LoadHfConfig(dir + "/config.json");
    ASSERT_TRUE(config.ok()) << config.status();
    auto weights = ModelWeights::Build(**ckpt, *config);
    ASSERT_TRUE(weights.ok()) << weights.status();
    const bool bf16 = dir == test_util::TinycodeBf16Dir();
    EXPECT_EQ(weights->Find("layers.3.attn.wo")->format,
              bf16 ? WeightFormat::kBf16 : WeightFormat::kNvfp4) << dir;
    EXPECT_TRUE(weights->unexpected_tensors().empty()) << dir;
  }
}

TEST(ModelWeights, AcceptsOfficialNamesAndExcludesMtp) {
  // Rename every tensor of tiny-a to the official short name and add an MTP layer 3.
  test_util::ScratchDir dir;
  test_util::CopyCheckpoint(
      test_util::TinyADir(), dir.path(), [](test_util::MutableTensor& t) {
        t.name = *HfToOfficialName(t.name);
        return true;
      });
  {
    // Append MTP tensors and a stray tensor by rewriting through the writer.
    auto file = SafetensorsFile::Open(dir.File("model.safetensors"));
    ASSERT_TRUE(file.ok());
    SafetensorsWriter writer;
    for (const TensorView& t : (*file)->tensors()) {
      writer.Add(t.name, t.dtype, t.shape, std::span<const uint8_t>(t.data, t.nbytes));
    }
    writer.Add("layers.3.enorm.weight", StDtype::kBF16, {256}, std::string(512, '\0'));
    writer.Add("layers.3.eh_proj.weight", StDtype::kBF16, {256, 512}, std::string(262144, '\0'));
    writer.Add("layers.0.attn.kv_b_scale_extra", StDtype::kF32, {}, std::string(4, '\0'));
    writer.Add("layers.0.attn.k_scale", StDtype::kF32, {}, std::string(4, '\0'));
    file->reset();
    ASSERT_TRUE(writer.WriteAtomic(dir.File("model.safetensors")).ok());
  }
  auto ckpt = Checkpoint::Open(dir.path());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  auto config = LoadHfConfig(dir.File("config.json"));
  ASSERT_TRUE(config.ok());
  auto weights = ModelWeights::Build(**ckpt, *config);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->naming(), NamingStyle::kOfficial);
  EXPECT_EQ(weights->Find("layers.1.attn.wkv_b")->format, WeightFormat::kNvfp4);
  EXPECT_EQ(weights->unexpected_tensors(),
            std::vector<std::string>{"layers.0.attn.kv_b_scale_extra"});
  ASSERT_EQ(weights->notes().size(), 2u);
  EXPECT_NE(weights->notes()[0].find("MTP layer 3: 2 tensors excluded"), std::string::npos)
      << weights->notes()[0];
  EXPECT_NE(weights->notes()[1].find("k_scale"), std::string::npos);
}

}  // namespace
}  // namespace dsc::frontend
