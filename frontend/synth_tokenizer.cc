// A small, valid byte-level BPE tokenizer.json for synthetic checkpoints: DeepSeek's special
// tokens and pre-tokenizer, the 256 byte tokens and a few dozen merges of common English pieces.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontend/synth.h"

namespace dsc::frontend {
namespace {

std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// GPT-2's bytes_to_unicode, in its order: printable bytes map to themselves, the other 68 to
// U+0100 upwards. Returns the 256 token strings in vocabulary order.
std::vector<std::string> ByteTokens() {
  std::vector<uint32_t> bytes, chars;
  for (uint32_t b = '!'; b <= '~'; ++b) bytes.push_back(b);
  for (uint32_t b = 0xA1; b <= 0xAC; ++b) bytes.push_back(b);
  for (uint32_t b = 0xAE; b <= 0xFF; ++b) bytes.push_back(b);
  chars = bytes;
  const std::set<uint32_t> printable(bytes.begin(), bytes.end());
  uint32_t extra = 0;
  for (uint32_t b = 0; b < 256; ++b) {
    if (printable.count(b)) continue;
    bytes.push_back(b);
    chars.push_back(256 + extra++);
  }
  std::vector<std::string> tokens;
  for (uint32_t cp : chars) tokens.push_back(Utf8(cp));
  return tokens;
}

// Pieces built by merges, left to right ("Ġ" is the byte-level space).
constexpr const char* kPieces[] = {
    "Ġt", "he", "Ġthe", "in", "ing", "er", "an", "Ġa", "Ġand", "on", "re", "Ġo", "Ġof",
    "Ġto", "Ġi", "Ġin", "ed", "is", "Ġs", "Ġw", "Ġc", "or", "at", "en", "it", "es", "Ġf",
    "Ġb", "Ġp", "ou", "Ġh", "Ġm", "Ġd", "al", "ar", "ĠĠ", "ĠĠĠĠ", "Ġis", "Ġit", "Ġthat",
    "Ġfor", "Ġyou", "Ġwith", "ion", "tion", "Ġre", "Ġde", "le", "st", "ĠĊ", "ĊĊ"};

// DeepSeek V3's added tokens after the BOS/EOS/pad trio (placed at the top of the vocabulary,
// like the shared tinycode tokenizer); only <|EOT|> among them is special.
constexpr const char* kChatTokens[] = {
    "<｜search▁begin｜>", "<｜search▁end｜>", "<think>", "</think>", "<｜fim▁hole｜>",
    "<｜fim▁begin｜>", "<｜fim▁end｜>", "<｜User｜>", "<｜Assistant｜>", "<|EOT|>",
    "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
    "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
    "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>"};

constexpr const char* kSpecials[] = {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>",
                                     "<｜▁pad▁｜>"};

// Splits a piece into its unicode characters (UTF-8 sequences).
std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) n = 4; else if (c >= 0xE0) n = 3; else if (c >= 0xC0) n = 2;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// Byte-pair encoding of one word: repeatedly merge the adjacent pair of lowest rank.
std::vector<std::string> ApplyMerges(std::vector<std::string> parts,
                                     const std::map<std::pair<std::string, std::string>, size_t>& ranks) {
  while (parts.size() > 1) {
    size_t best = parts.size(), best_rank = 0;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      auto it = ranks.find({parts[i], parts[i + 1]});
      if (it != ranks.end() && (best == parts.size() || it->second < best_rank)) {
        best = i, best_rank = it->second;
      }
    }
    if (best == parts.size()) break;
    parts[best] += parts[best + 1];
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  return parts;
}

nlohmann::ordered_json AddedToken(int64_t id, const std::string& content, bool special) {
  return {{"id", id},          {"content", content}, {"single_word", false},
          {"lstrip", false},   {"rstrip", false},    {"normalized", !special},
          {"special", special}};
}

}  // namespace

absl::StatusOr<nlohmann::ordered_json> SynthTokenizerJson(int64_t vocab_size) {
  constexpr int64_t kNumSpecial = 3, kNumChat = std::size(kChatTokens);
  if (vocab_size < kNumSpecial + 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vocab_size ", vocab_size, " is too small for a byte-level tokenizer (needs >= ",
        kNumSpecial + 256, ")"));
  }
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (int64_t i = 0; i < kNumSpecial; ++i) {
    vocab[kSpecials[i]] = i;
    added.push_back(AddedToken(i, kSpecials[i], true));
  }
  int64_t next = kNumSpecial;
  for (const std::string& t : ByteTokens()) vocab[t] = next++;
  // Chat tokens only when they fit above the merges' room; merges stop below them.
  const bool chat = vocab_size >= next + kNumChat + 16;
  const int64_t merge_limit = chat ? vocab_size - kNumChat : vocab_size;
  nlohmann::ordered_json merges = nlohmann::ordered_json::array();
  std::map<std::pair<std::string, std::string>, size_t> ranks;
  for (const char* piece : kPieces) {
    // Segment the piece with the merges so far (so each new merge is one BPE can reach), then
    // join the segments left to right.
    std::vector<std::string> parts = ApplyMerges(Chars(piece), ranks);
    while (parts.size() > 1 && next < merge_limit) {
      const std::string merged = parts[0] + parts[1];
      if (!vocab.contains(merged)) {
        ranks[{parts[0], parts[1]}] = ranks.size();
        merges.push_back(parts[0] + " " + parts[1]);
        vocab[merged] = next++;
      }
      parts.erase(parts.begin());
      parts[0] = merged;
    }
  }
  if (chat) {
    for (int64_t i = 0; i < kNumChat; ++i) {
      const int64_t id = vocab_size - kNumChat + i;
      added.push_back(AddedToken(id, kChatTokens[i], std::string(kChatTokens[i]) == "<|EOT|>"));
    }
  }
  // DeepSeek V3's pre-tokenizer: digits in groups of up to 3, CJK runs, then the word regex,
  // then ByteLevel without its own regex.
  const nlohmann::ordered_json pre_tokenizer = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}{1,3}"}}}, {"behavior", "Isolated"},
         {"invert", false}},
        {{"type", "Split"},
         {"pattern", {{"Regex", "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"}}},
         {"behavior", "Isolated"}, {"invert", false}},
        {{"type", "Split"},
         {"pattern",
          {{"Regex",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?"
            "[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"}}},
         {"behavior", "Isolated"}, {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
         {"use_regex", false}}}}};
  nlohmann::ordered_json tokenizer;
  tokenizer["version"] = "1.0";
  tokenizer["truncation"] = nullptr;
  tokenizer["padding"] = nullptr;
  tokenizer["added_tokens"] = std::move(added);
  tokenizer["normalizer"] = {{"type", "Sequence"}, {"normalizers", nlohmann::ordered_json::array()}};
  tokenizer["pre_tokenizer"] = pre_tokenizer;
  tokenizer["post_processor"] = {{"type", "ByteLevel"}, {"add_prefix_space", true},
                                 {"trim_offsets", false}, {"use_regex", true}};
  tokenizer["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true},
                          {"trim_offsets", true}, {"use_regex", true}};
  tokenizer["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                        {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr},
                        {"fuse_unk", false}, {"byte_fallback", false},
                        {"vocab", std::move(vocab)}, {"merges", std::move(merges)}};
  return tokenizer;
}

nlohmann::ordered_json SynthTokenizerConfigJson(int64_t model_max_length) {
  auto token = [](const char* content) {
    return nlohmann::ordered_json{{"__type", "AddedToken"}, {"content", content},
                                  {"lstrip", false}, {"normalized", true},
                                  {"rstrip", false}, {"single_word", false}};
  };
  return {{"add_bos_token", true},
          {"add_eos_token", false},
          {"bos_token", token(kSpecials[0])},
          {"clean_up_tokenization_spaces", false},
          {"eos_token", token(kSpecials[1])},
          {"legacy", true},
          {"model_max_length", model_max_length},
          {"pad_token", token(kSpecials[1])},
          {"sp_model_kwargs", nlohmann::ordered_json::object()},
          {"unk_token", nullptr},
          {"tokenizer_class", "LlamaTokenizerFast"}};
}

}  // namespace dsc::frontend
