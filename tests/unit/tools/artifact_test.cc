// `dsc compile` + `--artifact` end to end: an artifact of the golden tiny-a model generates the
// golden greedy tokens, exactly the ids and logits of `--engine jit`, with no code generation;
// a synthetic model with a tokenizer runs from text through its artifact; and every way an
// artifact can be wrong for this machine or checkpoint is exit 2 naming what is at fault.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

namespace fs = std::filesystem;

std::vector<float> Floats(const std::string& path, const std::string& name) {
  auto file = frontend::SafetensorsFile::Open(path);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok() || (*file)->Find(name) == nullptr) return {};
  return frontend::ReadAsFloat32(*(*file)->Find(name)).value_or(std::vector<float>{});
}

std::vector<int64_t> GoldenIds(const std::string& tensor) {
  std::vector<int64_t> ids;
  for (float v : Floats(TinyA() + "/cases.safetensors", tensor)) ids.push_back(static_cast<int64_t>(v));
  return ids;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A writable copy of a directory tree (the goldens are read-only).
void CopyTree(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(to)) {
    fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write |
                                  (e.is_directory() ? fs::perms::owner_exec : fs::perms::none),
                    fs::perm_options::add);
  }
}

// One tiny-a artifact (f32 KV cache, as the goldens) shared by the tests of this file.
class ArtifactTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() / ("dsc_artifact_test_" + std::to_string(getpid())));
    fs::remove_all(*root_);
    fs::create_directories(*root_);
    compile_ = new CliResult(RunDsc("compile -m " + TinyA() + " --kv-cache f32 -o " + Art()));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
    delete compile_;
  }
  void SetUp() override { ASSERT_EQ(compile_->exit_code, 0) << compile_->err; }

  static std::string Art() { return (*root_ / "tiny-a.art").string(); }
  // A writable copy of the artifact to break.
  static fs::path CopyArtifact(const std::string& name) {
    const fs::path copy = *root_ / name;
    CopyTree(Art(), copy);
    return copy;
  }

  static fs::path* root_;
  static CliResult* compile_;
};
fs::path* ArtifactTest::root_ = nullptr;
CliResult* ArtifactTest::compile_ = nullptr;

TEST_F(ArtifactTest, LayoutAndManifest) {
  EXPECT_NE(compile_->err.find("kernels"), std::string::npos) << compile_->err;
  const nlohmann::json m = nlohmann::json::parse(ReadAll(fs::path(Art()) / "manifest.json"));
  EXPECT_EQ(m["format"], "dsc-artifact");
  EXPECT_FALSE(m["llvm_version"].get<std::string>().empty());
  EXPECT_FALSE(m["target"]["cpu"].get<std::string>().empty());
  EXPECT_FALSE(m["target"]["features"].empty());
  EXPECT_EQ(m["options"]["kv_cache"], "f32");
  EXPECT_EQ(m["checkpoint"]["dir"], fs::absolute(TinyA()).lexically_normal().string());
  EXPECT_EQ(m["checkpoint"]["fingerprint"].get<std::string>().size(), 64u);
  EXPECT_TRUE(fs::is_regular_file(fs::path(Art()) / "model.pb"));
  // tiny-a: 9 NVFP4 weight shapes, each with GEMVs for m = 1..8 and a prefill GEMM (plus the
  // BF16 GEMVs of the dense matrices).
  int gemms = 0, nvfp4 = 0;
  for (const auto& k : m["kernels"]) {
    const fs::path object = fs::path(Art()) / k["object"].get<std::string>();
    EXPECT_TRUE(fs::is_regular_file(object)) << object;
    EXPECT_EQ(fs::file_size(object), k["bytes"].get<uint64_t>());
    EXPECT_EQ(k["sha256"].get<std::string>().size(), 64u);
    gemms += k["symbol"].get<std::string>().find("gemm") != std::string::npos;
    nvfp4 += k["symbol"].get<std::string>().rfind("dsc_nvfp4_", 0) == 0;
  }
  EXPECT_EQ(nvfp4, 81);
  EXPECT_EQ(gemms, 9);
  // Nothing but the artifact was left beside it.
  for (const auto& e : fs::directory_iterator(*root_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST_F(ArtifactTest, GreedyTokensEqualTheJitEngineAndTheGoldensWithNoCodegen) {
  nlohmann::json cases = nlohmann::json::parse(ReadAll(TinyA() + "/cases.json"));
  const size_t kernels = nlohmann::json::parse(ReadAll(fs::path(Art()) / "manifest.json"))["kernels"].size();
  int checked = 0;
  for (const auto& c : cases["cases"]) {
    if (!c["tensors"].contains("greedy_tokens") || c["n_tokens"] > 17) continue;
    const std::vector<int64_t> prompt = GoldenIds(c["tensors"]["tokens"]);
    const std::vector<int64_t> golden = GoldenIds(c["tensors"]["greedy_tokens"]);
    const std::string gen = " --prompt-ids " + absl::StrJoin(prompt, ",") + " -n " + std::to_string(golden.size()) +
                            " --temp 0 --kv-cache f32 --print-ids -t 2";
    CliResult art = RunDsc("run --artifact " + Art() + gen);
    ASSERT_EQ(art.exit_code, 0) << art.err;
    CliResult jit = RunDsc("run -m " + TinyA() + " --engine jit" + gen);
    ASSERT_EQ(jit.exit_code, 0) << jit.err;
    EXPECT_EQ(art.out, "[" + absl::StrJoin(golden, ",") + "]\n") << c["name"];
    EXPECT_EQ(art.out, jit.out) << c["name"];
    EXPECT_NE(art.err.find(std::to_string(kernels) + " kernels loaded"), std::string::npos) << art.err;
    EXPECT_NE(art.err.find("no code generation (0.00 s)"), std::string::npos) << art.err;
    // Every kernel the run asked for was in the artifact (RequiredKernels did not miss one).
    EXPECT_EQ(art.err.find("warning"), std::string::npos) << art.err;
    ++checked;
  }
  EXPECT_GE(checked, 3);  // len1, len5, len17
}

TEST_F(ArtifactTest, LogitsAreTheJitEnginesAndMatchTheGoldens) {
  const std::vector<int64_t> tokens = GoldenIds("len40.tokens");
  ASSERT_EQ(tokens.size(), 40u);
  const std::string cases = TinyA() + "/cases.safetensors";
  const fs::path out_art = *root_ / "art.safetensors", out_jit = *root_ / "jit.safetensors";
  for (const auto& [mode, golden] : {std::pair{"prefill", "len40.logits_prefill"}, {"decode", "len40.logits_decode"},
                                     {"chunked:16", "len40.logits_chunked16"}}) {
    const std::string common = std::string(" --kv-cache f32 -t 2 --mode ") + mode + " --tokens " + absl::StrJoin(tokens, ",");
    CliResult art = RunDsc("logits --artifact " + Art() + common + " -o " + out_art.string());
    ASSERT_EQ(art.exit_code, 0) << art.err;
    EXPECT_NE(art.err.find("no code generation (0.00 s)"), std::string::npos) << art.err;
    CliResult jit = RunDsc("logits -m " + TinyA() + " --engine jit" + common + " -o " + out_jit.string());
    ASSERT_EQ(jit.exit_code, 0) << jit.err;
    const std::vector<float> a = Floats(out_art, "logits"), j = Floats(out_jit, "logits"), g = Floats(cases, golden);
    ASSERT_EQ(a.size(), g.size());
    // The same optimized graph and the same machine code: the same bits.
    EXPECT_EQ(a, j) << mode;
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      num += (double(a[i]) - g[i]) * (double(a[i]) - g[i]);
      den += double(g[i]) * g[i];
    }
    EXPECT_LE(std::sqrt(num / den), 1e-3) << mode;
  }
}

TEST_F(ArtifactTest, SyntheticModelRunsFromTextThroughItsArtifact) {
  const fs::path model = *root_ / "synth-tiny", art = *root_ / "synth.art";
  CliResult synth = RunDsc("synth --preset tiny --seed 5 -o " + model.string());
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  CliResult compile = RunDsc("compile -m " + model.string() + " -o " + art.string());
  ASSERT_EQ(compile.exit_code, 0) << compile.err;
  // No -m: the tokenizer and the weights come from the checkpoint the manifest names.
  const std::string gen = " -p 'def add(a, b):' -n 8 --temp 0 --print-ids -t 1";
  CliResult from_art = RunDsc("run --artifact " + art.string() + gen);
  ASSERT_EQ(from_art.exit_code, 0) << from_art.err;
  CliResult from_jit = RunDsc("run -m " + model.string() + " --engine jit" + gen);
  ASSERT_EQ(from_jit.exit_code, 0) << from_jit.err;
  EXPECT_EQ(from_art.out, from_jit.out);
  EXPECT_EQ(nlohmann::json::parse(from_art.out).size(), 8u);
  EXPECT_NE(from_art.err.find("no code generation (0.00 s)"), std::string::npos) << from_art.err;
  // fp8 (the default) was compiled in; asking for another cache is an error, not a silent mismatch.
  CliResult kv = RunDsc("run --artifact " + art.string() + " --kv-cache bf16" + gen);
  EXPECT_EQ(kv.exit_code, 2);
  EXPECT_NE(kv.err.find("--kv-cache"), std::string::npos) << kv.err;
}

TEST_F(ArtifactTest, GenericX86ArtifactGivesTheGoldenTokens) {
  const fs::path art = *root_ / "x86-64.art";
  CliResult compile = RunDsc("compile -m " + TinyA() + " --kv-cache f32 --target-cpu x86-64 -o " + art.string());
  ASSERT_EQ(compile.exit_code, 0) << compile.err;
  const nlohmann::json m = nlohmann::json::parse(ReadAll(art / "manifest.json"));
  EXPECT_EQ(m["target"]["cpu"], "x86-64");
  const std::vector<int64_t> prompt = GoldenIds("len5.tokens"), golden = GoldenIds("len5.greedy_tokens");
  CliResult r = RunDsc("run --artifact " + art.string() + " --prompt-ids " + absl::StrJoin(prompt, ",") + " -n " +
                       std::to_string(golden.size()) + " --temp 0 --print-ids -t 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[" + absl::StrJoin(golden, ",") + "]\n");
  EXPECT_NE(r.err.find("no code generation (0.00 s)"), std::string::npos) << r.err;
  // The artifact's code is for x86-64: asking for another target is an error, not a silent mix.
  r = RunDsc("run --artifact " + art.string() + " --target-cpu x86-64-v3 --prompt-ids 1,2 -n 1");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("x86-64"), std::string::npos) << r.err;
}

TEST_F(ArtifactTest, MissingCpuFeatureIsExit2NamingIt) {
  const fs::path copy = CopyArtifact("feature.art");
  nlohmann::json m = nlohmann::json::parse(ReadAll(copy / "manifest.json"));
  m["target"]["features"].push_back("dsc-test-absent-feature");
  WriteAll(copy / "manifest.json", m.dump(2));
  CliResult r = RunDsc("run --artifact " + copy.string() + " --prompt-ids 1,2,3 -n 2 --temp 0");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("dsc-test-absent-feature"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(ArtifactTest, AnotherCheckpointIsExit2NamingTheFile) {
  const std::string gen = " --prompt-ids 1,2,3 -n 2 --temp 0 --kv-cache f32";
  const fs::path same = *root_ / "ckpt-same";
  fs::create_directories(same);
  for (const char* f : {"config.json", "hf_quant_config.json", "model.safetensors"}) {
    fs::copy_file(fs::path(TinyA()) / f, same / f);
    fs::permissions(same / f, fs::perms::owner_write, fs::perm_options::add);
  }
  // An identical copy elsewhere is fine (-m overrides the recorded directory).
  CliResult ok = RunDsc("run --artifact " + Art() + " -m " + same.string() + gen);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  // One byte of the safetensors header (a padding space made a tab: still a valid file).
  const fs::path header = *root_ / "ckpt-header";
  CopyTree(same, header);
  std::string bytes = ReadAll(header / "model.safetensors");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  ASSERT_EQ(bytes[8 + n - 1], ' ');
  bytes[8 + n - 1] = '\t';
  WriteAll(header / "model.safetensors", bytes);
  CliResult r = RunDsc("run --artifact " + Art() + " -m " + header.string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("model.safetensors"), std::string::npos) << r.err;

  // config.json edited.
  const fs::path config = *root_ / "ckpt-config";
  CopyTree(same, config);
  WriteAll(config / "config.json", ReadAll(config / "config.json") + " ");
  r = RunDsc("logits --artifact " + Art() + " -m " + config.string() + " --tokens 1,2 -o " +
             (*root_ / "never.safetensors").string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(*root_ / "never.safetensors"));

  // The recorded checkpoint directory is gone.
  const fs::path moved = CopyArtifact("moved.art");
  nlohmann::json m = nlohmann::json::parse(ReadAll(moved / "manifest.json"));
  m["checkpoint"]["dir"] = (*root_ / "no-such-checkpoint").string();
  WriteAll(moved / "manifest.json", m.dump(2));
  r = RunDsc("run --artifact " + moved.string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no-such-checkpoint"), std::string::npos) << r.err;
}

TEST_F(ArtifactTest, BrokenArtifactsAreExit2NamingTheFile) {
  const std::string gen = " --prompt-ids 1,2,3 -n 2 --temp 0 --kv-cache f32";
  const nlohmann::json m = nlohmann::json::parse(ReadAll(fs::path(Art()) / "manifest.json"));
  const std::string object = m["kernels"][0]["object"];

  const fs::path truncated = CopyArtifact("truncated.art");
  const std::string bytes = ReadAll(truncated / object);
  WriteAll(truncated / object, bytes.substr(0, bytes.size() / 2));
  CliResult r = RunDsc("run --artifact " + truncated.string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(object), std::string::npos) << r.err;

  const fs::path missing = CopyArtifact("missing.art");
  fs::remove(missing / object);
  r = RunDsc("run --artifact " + missing.string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(object), std::string::npos) << r.err;

  const fs::path ir = CopyArtifact("ir.art");
  WriteAll(ir / "model.pb", ReadAll(ir / "model.pb").substr(1));
  r = RunDsc("run --artifact " + ir.string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("model.pb"), std::string::npos) << r.err;

  const fs::path corrupt = CopyArtifact("corrupt.art");
  WriteAll(corrupt / "manifest.json", "{\"format\": \"dsc-artifact\", ");
  r = RunDsc("run --artifact " + corrupt.string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("manifest.json"), std::string::npos) << r.err;

  const fs::path field = CopyArtifact("field.art");
  nlohmann::json broken = m;
  broken["kernels"][3].erase("sha256");
  WriteAll(field / "manifest.json", broken.dump());
  r = RunDsc("run --artifact " + field.string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("kernels[3].sha256"), std::string::npos) << r.err;

  fs::remove(corrupt / "manifest.json");
  r = RunDsc("run --artifact " + corrupt.string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("manifest.json"), std::string::npos) << r.err;

  r = RunDsc("run --artifact " + (*root_ / "nothing-here").string() + gen);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("nothing-here"), std::string::npos) << r.err;
}

TEST_F(ArtifactTest, CompileNeverLeavesAHalfWrittenArtifact) {
  // Onto a non-empty directory: refused, the directory untouched.
  const fs::path busy = *root_ / "busy";
  fs::create_directories(busy);
  WriteAll(busy / "keep.txt", "mine");
  CliResult r = RunDsc("compile -m " + TinyA() + " -o " + busy.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("busy"), std::string::npos) << r.err;
  EXPECT_EQ(ReadAll(busy / "keep.txt"), "mine");
  EXPECT_EQ(std::distance(fs::directory_iterator(busy), fs::directory_iterator()), 1);

  // Failures after the output was planned leave nothing behind.
  for (const std::string& bad : {"-m " + (*root_ / "no-model").string(), "-m " + TinyA() + " --target-cpu not-a-cpu",
                                 "-m " + TinyA() + " --target-features avx2"}) {
    const fs::path out = *root_ / "failed.art";
    r = RunDsc("compile " + bad + " -o " + out.string());
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_FALSE(fs::exists(out)) << bad;
  }
  for (const auto& e : fs::directory_iterator(*root_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }

  // An empty directory is fine (e.g. made by mktemp -d).
  const fs::path empty = *root_ / "empty.art";
  fs::create_directories(empty);
  r = RunDsc("compile -m " + TinyA() + " --kv-cache f32 -o " + empty.string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(empty / "manifest.json"));
  // Deterministic: the same checkpoint and target give the same IR and objects.
  EXPECT_EQ(ReadAll(empty / "model.pb"), ReadAll(fs::path(Art()) / "model.pb"));
}

}  // namespace
}  // namespace dsc::testing
