// Added (special) tokens: their table from tokenizer.json and the first encoding step that cuts
// them out of the raw text, leftmost-longest, with HF's lstrip/rstrip/single_word/normalized
// rules (tokenizer.md §3).
#ifndef DSC_FRONTEND_TOKENIZER_ADDED_TOKENS_H_
#define DSC_FRONTEND_TOKENIZER_ADDED_TOKENS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "frontend/tokenizer/regex.h"
#include "nlohmann/json_fwd.hpp"

namespace dsc::tokenizer_internal {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;      // dropped by decoding with skip_special_tokens
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
  bool single_word = false;  // matches only when not glued to word characters
  bool normalized = false;   // matched on normalized text, after the normalized=false ones
};

// A run of input after step 1: an added token, or text for the pre-tokenizer.
struct InputSegment {
  std::string_view text;
  int32_t added_token_id = -1;  // -1: ordinary text
};

// Leftmost-longest multi-pattern matcher (a byte trie; what HF gets from Aho-Corasick with
// MatchKind::LeftmostLongest).
class LiteralMatcher {
 public:
  void Add(std::string_view literal, int32_t value);
  // Finds the leftmost position >= from where some literal starts, and the longest literal
  // there. Returns false when there is none.
  bool Find(std::string_view text, size_t from, size_t* begin, size_t* end, int32_t* value) const;
  bool empty() const { return nodes_.size() <= 1; }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;
    int32_t value = -1;
  };
  int32_t Child(int32_t node, unsigned char byte) const;
  std::vector<Node> nodes_{Node{}};
  bool first_byte_[256] = {};
};

class AddedVocabulary {
 public:
  // `json` is the "added_tokens" array of tokenizer.json (null: none).
  static absl::StatusOr<AddedVocabulary> FromJson(const nlohmann::json& json);

  // Cuts the added tokens out of `text` (valid UTF-8); appends the segments in order. Empty
  // text segments are dropped.
  void Split(std::string_view text, std::vector<InputSegment>* out) const;

  const AddedToken* FindById(int32_t id) const;
  std::optional<int32_t> FindByContent(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }
  // One more than the largest added-token id (0 when there are none).
  int32_t id_limit() const { return id_limit_; }

 private:
  // One matching pass with `matcher` over `text`, HF AddedVocabulary::find_matches.
  void SplitPass(const LiteralMatcher& matcher, std::string_view text,
                 std::vector<InputSegment>* out) const;

  std::vector<AddedToken> tokens_;
  absl::flat_hash_map<int32_t, size_t> index_by_id_;
  absl::flat_hash_map<std::string, int32_t> id_by_content_;
  LiteralMatcher raw_matcher_;         // normalized == false
  LiteralMatcher normalized_matcher_;  // normalized == true
  std::optional<Regex> word_char_;     // for single_word
  int32_t id_limit_ = 0;
};

}  // namespace dsc::tokenizer_internal

#endif  // DSC_FRONTEND_TOKENIZER_ADDED_TOKENS_H_
