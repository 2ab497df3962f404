// A corpus of malformed checkpoints synthesized into temp dirs: each must fail with the right
// status code and a message that names the file, tensor or field at fault.
#include <functional>

#include "frontend/checkpoint.h"
#include "frontend/model_weights.h"
#include "gtest/gtest.h"
#include "test_checkpoints.h"

namespace dsc::frontend {
namespace {

using nlohmann::json;
using test_util::MutableTensor;
using test_util::RawSafetensors;
using test_util::ScratchDir;

// Opens the checkpoint in `dir` and indexes it with its config.json, as `dsc` does.
absl::Status LoadModel(const std::string& dir) {
  auto ckpt = Checkpoint::Open(dir);
  if (!ckpt.ok()) return ckpt.status();
  auto config = LoadHfConfig(dir + "/config.json");
  if (!config.ok()) return config.status();
  return ModelWeights::Build(**ckpt, *config).status();
}

struct Case {
  std::string label;
  std::function<void(const ScratchDir&)> make;
  absl::StatusCode code;
  std::vector<std::string> must_mention;  // substrings of the message
};

// A one-file checkpoint whose model.safetensors is raw bytes (config from tiny-a).
std::function<void(const ScratchDir&)> RawModel(std::string bytes) {
  return [bytes](const ScratchDir& dir) {
    std::filesystem::copy_file(test_util::TinyADir() + "/config.json", dir.File("config.json"));
    test_util::WriteBytes(dir.File("model.safetensors"), bytes);
  };
}

// tiny-a with one tensor changed (or dropped when `mutate` returns false).
std::function<void(const ScratchDir&)> TinyAWith(std::function<bool(MutableTensor&)> mutate) {
  return [mutate](const ScratchDir& dir) {
    test_util::CopyCheckpoint(test_util::TinyADir(), dir.path(), mutate);
  };
}

// tinycode-bf16 (two shards + index) with the index or the shards edited.
std::function<void(const ScratchDir&)> TinycodeWith(std::function<void(json&)> edit_index,
                                                    bool duplicate_tensor = false) {
  return [=](const ScratchDir& dir) {
    const std::string src = test_util::TinycodeBf16Dir();
    for (const char* f : {"config.json", "model-00001-of-00002.safetensors",
                          "model-00002-of-00002.safetensors"}) {
      std::filesystem::copy_file(src + "/" + f, dir.File(f));
    }
    json index = test_util::ReadJson(src + "/model.safetensors.index.json");
    if (edit_index) edit_index(index);
    test_util::WriteJson(dir.File("model.safetensors.index.json"), index);
    if (duplicate_tensor) {
      SafetensorsWriter extra;
      extra.Add("model.norm.weight", StDtype::kBF16, {256}, std::string(512, '\0'));
      ASSERT_TRUE(extra.WriteAtomic(dir.File("model-extra.safetensors")).ok());
    }
  };
}

const char kEntry[] = R"("w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]})";

std::vector<Case> Corpus() {
  const std::string good = RawSafetensors(std::string("{") + kEntry + "}", "abcd");
  return {
      {"truncated file", RawModel(good.substr(0, good.size() - 2)), absl::StatusCode::kDataLoss,
       {"model.safetensors", "tensor 'w'", "truncated"}},
      {"shorter than the length prefix", RawModel("\x05\0\0"), absl::StatusCode::kDataLoss,
       {"model.safetensors", "too short"}},
      {"header length past EOF", RawModel(RawSafetensors("{}", "").substr(0, 8) + "{"),
       absl::StatusCode::kDataLoss, {"model.safetensors", "header length 2", "past the end"}},
      {"header length over the limit",
       RawModel(std::string("\x00\xe2\x05\x06\0\0\0\0", 8) + "{}"), absl::StatusCode::kDataLoss,
       {"model.safetensors", "exceeds the limit"}},
      {"bad JSON", RawModel(RawSafetensors("{\"w\":{\"dtype\":}", "")),
       absl::StatusCode::kInvalidArgument, {"model.safetensors", "invalid JSON at line 1"}},
      {"header not an object", RawModel(RawSafetensors("[1,2]", "")),
       absl::StatusCode::kInvalidArgument, {"model.safetensors", "not a JSON object"}},
      {"duplicate key",
       RawModel(RawSafetensors(std::string("{") + kEntry + "," + kEntry + "}", "abcd")),
       absl::StatusCode::kInvalidArgument, {"model.safetensors", "duplicate JSON key 'w'"}},
      {"unknown dtype",
       RawModel(RawSafetensors(R"({"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}})", "a")),
       absl::StatusCode::kInvalidArgument, {"model.safetensors", "tensor 'w'", "unknown dtype 'F4'"}},
      {"size mismatch",
       RawModel(RawSafetensors(
           R"({"model.layers.0.mlp.gate.weight":{"dtype":"BF16","shape":[4,4],"data_offsets":[0,10]}})",
           std::string(10, 'x'))),
       absl::StatusCode::kInvalidArgument,
       {"model.safetensors: tensor 'model.layers.0.mlp.gate.weight': data_offsets [0,10] give 10 "
        "bytes but shape [4,4] BF16 needs 32"}},
      {"overlapping offsets",
       RawModel(RawSafetensors(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                               R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                               std::string(6, 'x'))),
       absl::StatusCode::kInvalidArgument, {"model.safetensors", "tensor 'b'", "overlap tensor 'a'"}},
      {"gap in offsets",
       RawModel(RawSafetensors(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                               R"("b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}})",
                               std::string(8, 'x'))),
       absl::StatusCode::kInvalidArgument, {"model.safetensors", "tensor 'b'", "gap after tensor 'a'"}},
      {"gap at the start",
       RawModel(RawSafetensors(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
                               std::string(4, 'x'))),
       absl::StatusCode::kInvalidArgument, {"tensor 'a'", "gap at the start"}},
      {"trailing bytes", RawModel(good + "zz"), absl::StatusCode::kDataLoss,
       {"model.safetensors", "trailing"}},
      {"negative shape",
       RawModel(RawSafetensors(R"({"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}})", "")),
       absl::StatusCode::kInvalidArgument, {"tensor 'w'", "non-negative integers"}},
      {"non-string metadata",
       RawModel(RawSafetensors(R"({"__metadata__":{"format":1}})", "")),
       absl::StatusCode::kInvalidArgument, {"model.safetensors", "__metadata__", "'format'"}},
      {"missing tensor",
       TinyAWith([](MutableTensor& t) { return t.name != "model.layers.1.self_attn.kv_a_layernorm.weight"; }),
       absl::StatusCode::kNotFound, {"'model.layers.1.self_attn.kv_a_layernorm.weight' is missing"}},
      {"wrong shape for config",
       TinyAWith([](MutableTensor& t) {
         if (t.name == "model.layers.2.self_attn.q_a_layernorm.weight") {
           t.shape = {64};
           t.bytes.resize(128);
         }
         return true;
       }),
       absl::StatusCode::kInvalidArgument,
       {"model.safetensors: tensor 'model.layers.2.self_attn.q_a_layernorm.weight'",
        "expected [128]", "got [64]"}},
      {"quantized weight of wrong shape",
       TinyAWith([](MutableTensor& t) {
         if (t.name == "model.layers.0.self_attn.o_proj.weight") t.shape = {128, 256};
         if (t.name == "model.layers.0.self_attn.o_proj.weight") t.bytes.resize(128 * 256);
         return true;
       }),
       absl::StatusCode::kInvalidArgument,
       {"tensor 'model.layers.0.self_attn.o_proj.weight'", "expected [256,64]", "got [128,256]"}},
      {"scale tensor of wrong shape",
       TinyAWith([](MutableTensor& t) {
         if (t.name == "model.layers.1.mlp.experts.3.up_proj.weight_scale") {
           t.shape = {64, 8};
           t.bytes.resize(64 * 8);
         }
         return true;
       }),
       absl::StatusCode::kInvalidArgument,
       {"tensor 'model.layers.1.mlp.experts.3.up_proj.weight_scale'", "expected [64,16]",
        "got [64,8]"}},
      {"NaN in a global scale",
       TinyAWith([](MutableTensor& t) {
         if (t.name == "model.layers.2.self_attn.kv_b_proj.weight_scale_2") {
           const float nan = std::numeric_limits<float>::quiet_NaN();
           t.bytes.assign(reinterpret_cast<const char*>(&nan), 4);
         }
         return true;
       }),
       absl::StatusCode::kInvalidArgument,
       {"tensor 'model.layers.2.self_attn.kv_b_proj.weight_scale_2'", "finite and > 0"}},
      {"zero global scale",
       TinyAWith([](MutableTensor& t) {
         if (t.name == "model.layers.0.mlp.up_proj.weight_scale_2") t.bytes.assign(4, '\0');
         return true;
       }),
       absl::StatusCode::kInvalidArgument, {"'model.layers.0.mlp.up_proj.weight_scale_2'", "> 0"}},
      {"E4M3 NaN code in a block scale",
       TinyAWith([](MutableTensor& t) {
         if (t.name == "model.layers.0.self_attn.q_b_proj.weight_scale") t.bytes[37] = '\x7f';
         return true;
       }),
       absl::StatusCode::kInvalidArgument,
       {"tensor 'model.layers.0.self_attn.q_b_proj.weight_scale'", "NaN code 0x7f", "element 37"}},
      {"NVFP4 weight without its block scale",
       TinyAWith([](MutableTensor& t) {
         return t.name != "model.layers.1.self_attn.o_proj.weight_scale";
       }),
       absl::StatusCode::kInvalidArgument,
       {"tensor 'model.layers.1.self_attn.o_proj.weight'", "without a companion weight_scale"}},
      {"quantized embedding",
       TinyAWith([](MutableTensor& t) {
         if (t.name == "model.embed_tokens.weight") t.dtype = StDtype::kI16;
         return true;
       }),
       absl::StatusCode::kInvalidArgument,
       {"tensor 'model.embed_tokens.weight'", "must be BF16, F16 or F32, got I16"}},
      {"index points to a missing shard",
       TinycodeWith([](json& index) {
         index["weight_map"]["model.norm.weight"] = "model-00003-of-00002.safetensors";
       }),
       absl::StatusCode::kNotFound,
       {"model.safetensors.index.json", "tensor 'model.norm.weight'",
        "'model-00003-of-00002.safetensors', which does not exist"}},
      {"index points to a missing tensor",
       TinycodeWith([](json& index) {
         index["weight_map"]["model.layers.9.mlp.gate.weight"] = "model-00001-of-00002.safetensors";
       }),
       absl::StatusCode::kInvalidArgument,
       {"model.safetensors.index.json", "tensor 'model.layers.9.mlp.gate.weight'",
        "'model-00001-of-00002.safetensors', which has no such tensor"}},
      {"index names the wrong shard",
       TinycodeWith([](json& index) {
         const std::string shard = index["weight_map"]["lm_head.weight"];
         index["weight_map"]["lm_head.weight"] =
             shard == "model-00001-of-00002.safetensors" ? "model-00002-of-00002.safetensors"
                                                          : "model-00001-of-00002.safetensors";
       }),
       absl::StatusCode::kInvalidArgument, {"tensor 'lm_head.weight'", "has no such tensor", "it is in"}},
      {"tensor in two shards", TinycodeWith(nullptr, /*duplicate_tensor=*/true),
       absl::StatusCode::kInvalidArgument,
       {"tensor 'model.norm.weight' is in two shards", "model-extra.safetensors"}},
      {"unsupported architecture",
       [](const ScratchDir& dir) {
         test_util::CopyCheckpoint(test_util::TinyADir(), dir.path(), nullptr, [](json& c) {
           c["architectures"] = {"Qwen2ForCausalLM"};
           c["model_type"] = "qwen2";
         });
       },
       absl::StatusCode::kInvalidArgument,
       {"config.json: field 'architectures'", "Qwen2ForCausalLM"}},
      {"config inconsistent with tensors",
       [](const ScratchDir& dir) {
         test_util::CopyCheckpoint(test_util::TinyADir(), dir.path(), nullptr,
                                   [](json& c) { c["vocab_size"] = 4096; });
       },
       absl::StatusCode::kInvalidArgument,
       {"tensor 'model.embed_tokens.weight'", "expected [4096,256]", "got [2048,256]"}},
      {"bad hf_quant_config",
       [](const ScratchDir& dir) {
         test_util::CopyCheckpoint(test_util::TinyADir(), dir.path());
         json q = test_util::ReadJson(dir.File("hf_quant_config.json"));
         q["quantization"]["group_size"] = 32;
         std::filesystem::remove(dir.File("hf_quant_config.json"));
         test_util::WriteJson(dir.File("hf_quant_config.json"), q);
       },
       absl::StatusCode::kInvalidArgument,
       {"hf_quant_config.json: field 'quantization.group_size'", "must be 16"}},
      {"no safetensors at all",
       [](const ScratchDir& dir) {
         std::filesystem::copy_file(test_util::TinyADir() + "/config.json", dir.File("config.json"));
       },
       absl::StatusCode::kNotFound, {"no *.safetensors files"}},
  };
}

TEST(MalformedCheckpoints, EachFailsWithACodeAndAMessageNamingTheProblem) {
  const std::vector<Case> corpus = Corpus();
  ASSERT_GE(corpus.size(), 14u);
  for (const Case& c : corpus) {
    SCOPED_TRACE(c.label);
    ScratchDir dir;
    c.make(dir);
    absl::Status status = LoadModel(dir.path());
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), c.code) << status;
    for (const std::string& needle : c.must_mention) {
      EXPECT_NE(status.message().find(needle), absl::string_view::npos)
          << "message lacks \"" << needle << "\": " << status;
    }
  }
}

}  // namespace
}  // namespace dsc::frontend
