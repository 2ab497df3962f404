// The pre-tokenizer of tokenizer.json: a pipeline of Split steps (regex or literal pattern with
// HF's `behavior` and `invert`) and an optional final ByteLevel step, cutting text into the
// pieces that BPE sees (tokenizer.md §4).
#ifndef DSC_FRONTEND_TOKENIZER_PRE_TOKENIZER_H_
#define DSC_FRONTEND_TOKENIZER_PRE_TOKENIZER_H_

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/tokenizer/regex.h"
#include "nlohmann/json_fwd.hpp"

namespace dsc::tokenizer_internal {

// What a Split does with the pieces its pattern matches (HF SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct SplitStep {
  std::optional<Regex> pattern;  // none: the step does not cut (ByteLevel without use_regex)
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;      // the pattern marks what to keep between delimiters
  bool add_prefix_space = false;  // ByteLevel(add_prefix_space): prepend ' ' to each piece first
};

// Buffers one Split call reuses; owned by the caller so that concurrent calls never share.
struct PreTokenizerScratch {
  struct Segment {
    size_t begin, end;
    bool is_match;
  };
  std::vector<std::string_view> current_pieces, next_pieces;
  std::vector<Segment> segments;
  std::deque<std::string> owned;  // pieces that are not substrings of the input (prefix space)
};

class PreTokenizer {
 public:
  // `json` is the "pre_tokenizer" value of tokenizer.json (null means: no splitting).
  // Supported: Split (Regex or String pattern, all behaviors, invert), ByteLevel (as the last
  // step; with use_regex it splits with the GPT-2 pattern first) and Sequence of those.
  static absl::StatusOr<PreTokenizer> FromJson(const nlohmann::json& json);

  // Appends the non-empty pieces of `text` (valid UTF-8) to `pieces`, in order. Each piece
  // views `text` or scratch->owned.
  void Split(std::string_view text, PreTokenizerScratch* scratch,
             std::vector<std::string_view>* pieces) const;

  // True when the pipeline ends with ByteLevel: BPE then runs on the byte-level alphabet.
  bool byte_level() const { return byte_level_; }

 private:
  std::vector<SplitStep> steps_;
  bool byte_level_ = false;
};

// Cuts `piece` by one step and appends the results (HF NormalizedString::split semantics).
void ApplySplitStep(const SplitStep& step, std::string_view piece, PreTokenizerScratch* scratch,
                    std::vector<std::string_view>* out);

}  // namespace dsc::tokenizer_internal

#endif  // DSC_FRONTEND_TOKENIZER_PRE_TOKENIZER_H_
