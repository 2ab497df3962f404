// Added-token table and the leftmost-longest split of raw text (HF added_vocabulary.rs).
#include "frontend/tokenizer/added_tokens.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/tokenizer/bpe.h"
#include "frontend/tokenizer/utf8.h"
#include "nlohmann/json.hpp"

namespace dsc::tokenizer_internal {

void LiteralMatcher::Add(std::string_view literal, int32_t value) {
  if (literal.empty()) return;
  int32_t node = 0;
  for (unsigned char byte : literal) {
    int32_t child = Child(node, byte);
    if (child < 0) {
      child = static_cast<int32_t>(nodes_.size());
      nodes_[node].children.emplace_back(byte, child);
      nodes_.emplace_back();
    }
    node = child;
  }
  nodes_[node].value = value;
  first_byte_[static_cast<unsigned char>(literal[0])] = true;
}

int32_t LiteralMatcher::Child(int32_t node, unsigned char byte) const {
  for (const auto& [b, child] : nodes_[node].children) {
    if (b == byte) return child;
  }
  return -1;
}

bool LiteralMatcher::Find(std::string_view text, size_t from, size_t* begin, size_t* end,
                          int32_t* value) const {
  if (empty()) return false;
  for (size_t start = from; start < text.size(); ++start) {
    if (!first_byte_[static_cast<unsigned char>(text[start])]) continue;
    int32_t node = 0;
    int32_t best_value = -1;
    size_t best_end = 0;
    for (size_t pos = start; pos < text.size(); ++pos) {
      node = Child(node, static_cast<unsigned char>(text[pos]));
      if (node < 0) break;
      if (nodes_[node].value >= 0) {
        best_value = nodes_[node].value;
        best_end = pos + 1;
      }
    }
    if (best_value >= 0) {
      *begin = start;
      *end = best_end;
      *value = best_value;
      return true;
    }
  }
  return false;
}

absl::StatusOr<AddedVocabulary> AddedVocabulary::FromJson(const nlohmann::json& json) {
  AddedVocabulary vocabulary;
  if (json.is_null()) return vocabulary;
  if (!json.is_array()) return absl::InvalidArgumentError("added_tokens: expected an array");
  for (size_t i = 0; i < json.size(); ++i) {
    const nlohmann::json& entry = json[i];
    const std::string where = absl::StrCat("added_tokens[", i, "]");
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        entry["id"].get<int64_t>() < 0 || entry["id"].get<int64_t>() > (int64_t{1} << 30) ||
        !entry.contains("content") || !entry["content"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected an object with a non-negative \"id\" and a \"content\""));
    }
    AddedToken token;
    token.id = static_cast<int32_t>(entry["id"].get<int64_t>());
    token.content = entry["content"].get<std::string>();
    if (!utf8::IsValid(token.content) || token.content.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".content: empty or not UTF-8"));
    }
    auto flag = [&](const char* key, bool default_value) {
      auto it = entry.find(key);
      return it != entry.end() && it->is_boolean() ? it->get<bool>() : default_value;
    };
    token.special = flag("special", false);
    token.lstrip = flag("lstrip", false);
    token.rstrip = flag("rstrip", false);
    token.single_word = flag("single_word", false);
    token.normalized = flag("normalized", !token.special);
    if (vocabulary.index_by_id_.contains(token.id)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": id ", token.id, " repeats"));
    }
    vocabulary.index_by_id_[token.id] = vocabulary.tokens_.size();
    vocabulary.id_by_content_[token.content] = token.id;
    (token.normalized ? vocabulary.normalized_matcher_ : vocabulary.raw_matcher_)
        .Add(token.content, token.id);
    vocabulary.id_limit_ = std::max(vocabulary.id_limit_, token.id + 1);
    if (token.single_word && !vocabulary.word_char_) {
      absl::StatusOr<Regex> word = Regex::CompileOniguruma(R"(\A\w)");
      if (!word.ok()) return word.status();
      vocabulary.word_char_ = *std::move(word);
    }
    vocabulary.tokens_.push_back(std::move(token));
  }
  return vocabulary;
}

void AddedVocabulary::SplitPass(const LiteralMatcher& matcher, std::string_view text,
                                std::vector<InputSegment>* out) const {
  // True when the character that `text` ends with (or starts with) is a word character.
  auto is_word_char_at = [&](std::string_view s, size_t pos) {
    size_t begin, end;
    const size_t length = utf8::SequenceLength(static_cast<unsigned char>(s[pos]));
    return word_char_->Find(s.substr(pos, length), 0, &begin, &end);
  };
  size_t emitted = 0;  // text before this offset has been emitted
  size_t search = 0;
  size_t begin, end;
  int32_t id;
  while (matcher.Find(text, search, &begin, &end, &id)) {
    search = end;
    const AddedToken& token = tokens_[index_by_id_.at(id)];
    if (token.single_word) {
      size_t last = begin > 0 ? begin - 1 : 0;  // start of the character before the match
      while (last > 0 && (static_cast<unsigned char>(text[last]) & 0xC0) == 0x80) --last;
      const bool word_before = begin > 0 && is_word_char_at(text, last);
      const bool word_after = end < text.size() && is_word_char_at(text, end);
      if (word_before || word_after) continue;
    }
    size_t start = begin, stop = end;
    if (token.lstrip) {
      while (start > emitted) {
        size_t previous = start - 1;
        while (previous > 0 && (static_cast<unsigned char>(text[previous]) & 0xC0) == 0x80) {
          --previous;
        }
        char32_t cp;
        utf8::DecodeAt(text, previous, &cp);
        if (!utf8::IsWhitespace(cp)) break;
        start = previous;
      }
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        char32_t cp;
        const int length = utf8::DecodeAt(text, stop, &cp);
        if (!utf8::IsWhitespace(cp)) break;
        stop += length;
      }
      search = std::max(search, stop);
    }
    if (start < emitted) continue;  // overlaps what a previous rstrip swallowed
    if (start > emitted) out->push_back({text.substr(emitted, start - emitted), -1});
    out->push_back({text.substr(start, stop - start), id});
    emitted = stop;
  }
  if (emitted < text.size()) out->push_back({text.substr(emitted), -1});
}

void AddedVocabulary::Split(std::string_view text, std::vector<InputSegment>* out) const {
  if (text.empty()) return;
  if (normalized_matcher_.empty()) {
    SplitPass(raw_matcher_, text, out);
    return;
  }
  // normalized=false tokens first on the raw text, then normalized=true ones on what is left
  // (the normalizer is the identity; tokenizer.cc rejects any other).
  std::vector<InputSegment> first;
  SplitPass(raw_matcher_, text, &first);
  for (const InputSegment& segment : first) {
    if (segment.added_token_id >= 0) {
      out->push_back(segment);
    } else {
      SplitPass(normalized_matcher_, segment.text, out);
    }
  }
}

const AddedToken* AddedVocabulary::FindById(int32_t id) const {
  auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int32_t> AddedVocabulary::FindByContent(std::string_view content) const {
  auto it = id_by_content_.find(ToAbsl(content));
  if (it == id_by_content_.end()) return std::nullopt;
  return it->second;
}

}  // namespace dsc::tokenizer_internal

