// Shared helpers for the tokenizer tests: paths of the shared data, file reading, and the
// DeepSeek V3 and tinycode tokenizers loaded once per test binary.
#ifndef DSC_TESTS_UNIT_TOKENIZER_TEST_DATA_H_
#define DSC_TESTS_UNIT_TOKENIZER_TEST_DATA_H_

#include <fstream>
#include <sstream>
#include <string>

#include "frontend/tokenizer/byte_level.h"
#include "frontend/tokenizer/tokenizer.h"
#include "frontend/tokenizer/utf8.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dsc::testing {

inline std::string SharedPath(const std::string& relative) {
  return std::string(DSC_SHARED_DIR) + "/" + relative;
}

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The project's DeepSeek V3 tokenizer (shared/tokenizer/deepseek-v3), loaded once.
inline const Tokenizer& DeepSeekV3() {
  static const Tokenizer* tokenizer = [] {
    absl::StatusOr<Tokenizer> t = Tokenizer::Load(SharedPath("tokenizer/deepseek-v3"));
    if (!t.ok()) {
      ADD_FAILURE() << t.status();
      std::abort();
    }
    return new Tokenizer(*std::move(t));
  }();
  return *tokenizer;
}

// The tinycode model's tokenizer (shared/models/tinycode-bf16), loaded once.
inline const Tokenizer& Tinycode() {
  static const Tokenizer* tokenizer = [] {
    absl::StatusOr<Tokenizer> t = Tokenizer::Load(SharedPath("models/tinycode-bf16"));
    if (!t.ok()) {
      ADD_FAILURE() << t.status();
      std::abort();
    }
    return new Tokenizer(*std::move(t));
  }();
  return *tokenizer;
}

// A small GPT-2 style tokenizer.json: ids 0..255 are the byte symbols in byte order, then the
// merges "h e", "l l", "he ll", "hell o", "Ġ w" (ids 256..260); no added tokens.
inline nlohmann::json SyntheticTokenizerJson() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    utf8::AppendCodePoint(byte_level::ByteToCodePoint(static_cast<unsigned char>(b)), &symbol);
    vocab[symbol] = b;
  }
  const std::vector<std::string> merges = {"h e", "l l", "he ll", "hell o", "Ġ w"};
  int next = 256;
  for (const std::string& merge : merges) {
    const size_t space = merge.find(' ');
    vocab[merge.substr(0, space) + merge.substr(space + 1)] = next++;
  }
  return {
      {"version", "1.0"},
      {"added_tokens", nlohmann::json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false},
                         {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
  };
}

inline nlohmann::json AddedTokenJson(int id, const std::string& content, bool special,
                                     bool lstrip = false, bool rstrip = false,
                                     bool single_word = false, bool normalized = false) {
  return {{"id", id},          {"content", content}, {"single_word", single_word},
          {"lstrip", lstrip},  {"rstrip", rstrip},   {"normalized", normalized},
          {"special", special}};
}

}  // namespace dsc::testing

#endif  // DSC_TESTS_UNIT_TOKENIZER_TEST_DATA_H_
