// Tokenizer throughput (MB/s of UTF-8 input on one core): encoding the tinycode evaluation
// text (Python source) and English prose with the DeepSeek V3 and tinycode tokenizers, with
// the piece cache warm and disabled; decoding; loading.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/tokenizer/tokenizer.h"

namespace dsc {
namespace {

// ../shared beside the repository, or $DSC_SHARED_DIR.
std::filesystem::path SharedDir() {
  if (const char* dir = std::getenv("DSC_SHARED_DIR")) return dir;
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

const std::string& PythonSource() {
  static const std::string text = ReadFile(SharedDir() / "models/tinycode-eval.txt");
  return text;
}

// English prose: the licence texts every Debian system ships (~100 KB).
const std::string& EnglishProse() {
  static const std::string text = [] {
    std::string all;
    for (const char* name : {"GPL-3", "Apache-2.0", "GFDL-1.3", "LGPL-2.1"}) {
      all += ReadFile(std::filesystem::path("/usr/share/common-licenses") / name);
    }
    return all;
  }();
  return text;
}

const Tokenizer& Load(const std::string& which, bool piece_cache) {
  static const auto* tokenizers = new std::vector<std::pair<std::string, Tokenizer>>();
  const std::string key = which + (piece_cache ? "+cache" : "");
  for (const auto& [k, t] : *tokenizers) {
    if (k == key) return t;
  }
  const std::filesystem::path path = which == "deepseek-v3"
                                         ? SharedDir() / "tokenizer/deepseek-v3"
                                         : SharedDir() / "models/tinycode-bf16";
  absl::StatusOr<Tokenizer> t = Tokenizer::Load(path.string(), {.piece_cache = piece_cache});
  if (!t.ok()) {
    std::fprintf(stderr, "%s\n", std::string(t.status().message()).c_str());
    std::abort();
  }
  const_cast<std::vector<std::pair<std::string, Tokenizer>>*>(tokenizers)
      ->emplace_back(key, *std::move(t));
  return tokenizers->back().second;
}

void Encode(benchmark::State& state, const std::string& which, const std::string& text,
            bool piece_cache) {
  if (text.empty()) {
    state.SkipWithError("input text not found");
    return;
  }
  const Tokenizer& tokenizer = Load(which, piece_cache);
  size_t tokens = tokenizer.Encode(text).size();  // also warms the cache
  for (auto _ : state) {
    std::vector<int32_t> ids = tokenizer.Encode(text);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["bytes_per_token"] = static_cast<double>(text.size()) / tokens;
}

void BM_EncodePython_DeepSeekV3(benchmark::State& s) { Encode(s, "deepseek-v3", PythonSource(), true); }
void BM_EncodePython_DeepSeekV3_NoCache(benchmark::State& s) {
  Encode(s, "deepseek-v3", PythonSource(), false);
}
void BM_EncodeEnglish_DeepSeekV3(benchmark::State& s) { Encode(s, "deepseek-v3", EnglishProse(), true); }
void BM_EncodeEnglish_DeepSeekV3_NoCache(benchmark::State& s) {
  Encode(s, "deepseek-v3", EnglishProse(), false);
}
void BM_EncodePython_Tinycode(benchmark::State& s) { Encode(s, "tinycode", PythonSource(), true); }
BENCHMARK(BM_EncodePython_DeepSeekV3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodePython_DeepSeekV3_NoCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeEnglish_DeepSeekV3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeEnglish_DeepSeekV3_NoCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodePython_Tinycode)->Unit(benchmark::kMillisecond);

void BM_DecodePython_DeepSeekV3(benchmark::State& state) {
  const Tokenizer& tokenizer = Load("deepseek-v3", true);
  const std::vector<int32_t> ids = tokenizer.Encode(PythonSource());
  for (auto _ : state) {
    absl::StatusOr<std::string> text = tokenizer.Decode(ids);
    benchmark::DoNotOptimize(text->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * PythonSource().size()));
}
BENCHMARK(BM_DecodePython_DeepSeekV3)->Unit(benchmark::kMillisecond);

void BM_Load_DeepSeekV3(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<Tokenizer> t = Tokenizer::Load((SharedDir() / "tokenizer/deepseek-v3").string());
    benchmark::DoNotOptimize(t.ok());
  }
}
BENCHMARK(BM_Load_DeepSeekV3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dsc

BENCHMARK_MAIN();
