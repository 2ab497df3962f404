// Split steps with Hugging Face semantics (pattern.rs find_matches, normalizer.rs split) and
// the parsing of the "pre_tokenizer" section of tokenizer.json.
#include "frontend/tokenizer/pre_tokenizer.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/tokenizer/string_view_compat.h"
#include "frontend/tokenizer/utf8.h"
#include "nlohmann/json.hpp"

namespace dsc::tokenizer_internal {
namespace {

using Segment = PreTokenizerScratch::Segment;

// GPT-2's pattern, used by ByteLevel when use_regex is true.
constexpr std::string_view kByteLevelPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Covers `piece` with alternating gap / match segments (HF Pattern::find_matches). Like
// Oniguruma's find_iter, an empty match right where the previous match ended is skipped.
void FindSegments(const Regex& regex, std::string_view piece, std::vector<Segment>* segments) {
  segments->clear();
  size_t previous_end = 0;
  size_t search_from = 0;
  bool have_match = false;
  size_t last_match_end = 0;
  while (search_from <= piece.size()) {
    size_t begin, end;
    if (!regex.Find(piece, search_from, &begin, &end)) break;
    if (begin == end && have_match && last_match_end == end) {
      if (search_from >= piece.size()) break;
      search_from += utf8::SequenceLength(static_cast<unsigned char>(piece[search_from]));
      continue;
    }
    if (begin != previous_end) segments->push_back({previous_end, begin, false});
    segments->push_back({begin, end, true});
    previous_end = end;
    have_match = true;
    last_match_end = end;
    search_from = end;
  }
  if (previous_end != piece.size()) segments->push_back({previous_end, piece.size(), false});
}

// Rewrites `segments` by behavior; afterwards is_match means "remove this segment".
void ApplyBehavior(SplitBehavior behavior, std::vector<Segment>* segments) {
  std::vector<Segment>& s = *segments;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      return;
    case SplitBehavior::kIsolated:
      for (Segment& seg : s) seg.is_match = false;
      return;
    case SplitBehavior::kContiguous:
    case SplitBehavior::kMergedWithPrevious: {
      const bool contiguous = behavior == SplitBehavior::kContiguous;
      size_t kept = 0;
      bool previous_match = false;
      for (size_t i = 0; i < s.size(); ++i) {
        const bool merge = contiguous ? s[i].is_match == previous_match
                                      : s[i].is_match && !previous_match;
        previous_match = s[i].is_match;
        if (merge && kept > 0) {
          s[kept - 1].end = s[i].end;
        } else {
          s[kept++] = {s[i].begin, s[i].end, false};
        }
      }
      s.resize(kept);
      return;
    }
    case SplitBehavior::kMergedWithNext: {
      // Right to left: a match joins the segment after it.
      std::vector<Segment> merged;
      merged.reserve(s.size());
      bool previous_match = false;
      for (size_t i = s.size(); i-- > 0;) {
        if (s[i].is_match && !previous_match && !merged.empty()) {
          merged.back().begin = s[i].begin;
        } else {
          merged.push_back({s[i].begin, s[i].end, false});
        }
        previous_match = s[i].is_match;
      }
      s.assign(merged.rbegin(), merged.rend());
      return;
    }
  }
}

absl::StatusOr<SplitBehavior> ParseBehavior(const nlohmann::json& json, const std::string& where) {
  static constexpr std::pair<std::string_view, SplitBehavior> kNames[] = {
      {"Removed", SplitBehavior::kRemoved},
      {"Isolated", SplitBehavior::kIsolated},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous},
  };
  if (json.is_string()) {
    const std::string& name = json.get_ref<const std::string&>();
    for (const auto& [n, b] : kNames) {
      if (name == n) return b;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ".behavior: expected one of Removed, Isolated, MergedWithPrevious, ",
                   "MergedWithNext, Contiguous, got ", json.dump()));
}

bool BoolField(const nlohmann::json& json, const char* key, bool default_value) {
  auto it = json.find(key);
  return it != json.end() && it->is_boolean() ? it->get<bool>() : default_value;
}

absl::Status AddSteps(const nlohmann::json& json, const std::string& where,
                      std::vector<SplitStep>* steps, bool* byte_level) {
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected an object with a \"type\""));
  }
  const std::string& type = json["type"].get_ref<const std::string&>();
  if (*byte_level) {
    return absl::UnimplementedError(
        absl::StrCat(where, ": a ", type, " step after ByteLevel is not supported"));
  }
  if (type == "Sequence") {
    auto it = json.find("pretokenizers");
    if (it == json.end() || !it->is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".pretokenizers: expected an array"));
    }
    for (size_t i = 0; i < it->size(); ++i) {
      absl::Status s = AddSteps((*it)[i], absl::StrCat(where, ".pretokenizers[", i, "]"), steps,
                                byte_level);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (type == "Split") {
    SplitStep step;
    auto pattern = json.find("pattern");
    absl::StatusOr<Regex> regex = absl::InvalidArgumentError("missing");
    if (pattern != json.end() && pattern->is_object() && pattern->contains("Regex") &&
        (*pattern)["Regex"].is_string()) {
      regex = Regex::CompileOniguruma((*pattern)["Regex"].get<std::string>());
    } else if (pattern != json.end() && pattern->is_object() && pattern->contains("String") &&
               (*pattern)["String"].is_string()) {
      regex = Regex::CompileLiteral((*pattern)["String"].get<std::string>());
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".pattern: expected {\"Regex\": ...} or {\"String\": ...}"));
    }
    if (!regex.ok()) {
      return absl::Status(regex.status().code(),
                          absl::StrCat(where, ".pattern: ", regex.status().message()));
    }
    step.pattern = *std::move(regex);
    absl::StatusOr<SplitBehavior> behavior =
        ParseBehavior(json.contains("behavior") ? json["behavior"] : nlohmann::json(), where);
    if (!behavior.ok()) return behavior.status();
    step.behavior = *behavior;
    step.invert = BoolField(json, "invert", false);
    steps->push_back(std::move(step));
    return absl::OkStatus();
  }
  if (type == "ByteLevel") {
    SplitStep step;
    step.add_prefix_space = BoolField(json, "add_prefix_space", true);
    if (BoolField(json, "use_regex", true)) {
      absl::StatusOr<Regex> regex = Regex::CompileOniguruma(kByteLevelPattern);
      if (!regex.ok()) return regex.status();
      step.pattern = *std::move(regex);
    }
    if (step.pattern || step.add_prefix_space) steps->push_back(std::move(step));
    *byte_level = true;
    return absl::OkStatus();
  }
  return absl::UnimplementedError(
      absl::StrCat(where, ": pre-tokenizer type \"", type, "\" is not supported"));
}

}  // namespace

void ApplySplitStep(const SplitStep& step, std::string_view piece, PreTokenizerScratch* scratch,
                    std::vector<std::string_view>* out) {
  if (step.add_prefix_space && (piece.empty() || piece[0] != ' ')) {
    scratch->owned.push_back(absl::StrCat(" ", ToAbsl(piece)));
    piece = scratch->owned.back();
  }
  if (!step.pattern) {
    if (!piece.empty()) out->push_back(piece);
    return;
  }
  std::vector<Segment>& segments = scratch->segments;
  FindSegments(*step.pattern, piece, &segments);
  if (step.invert) {
    for (Segment& seg : segments) seg.is_match = !seg.is_match;
  }
  ApplyBehavior(step.behavior, &segments);
  for (const Segment& seg : segments) {
    if (!seg.is_match && seg.end > seg.begin) {
      out->push_back(piece.substr(seg.begin, seg.end - seg.begin));
    }
  }
}

absl::StatusOr<PreTokenizer> PreTokenizer::FromJson(const nlohmann::json& json) {
  PreTokenizer pre_tokenizer;
  if (json.is_null()) return pre_tokenizer;
  absl::Status s = AddSteps(json, "pre_tokenizer", &pre_tokenizer.steps_,
                            &pre_tokenizer.byte_level_);
  if (!s.ok()) return s;
  return pre_tokenizer;
}

void PreTokenizer::Split(std::string_view text, PreTokenizerScratch* scratch,
                         std::vector<std::string_view>* pieces) const {
  if (text.empty()) return;
  if (steps_.empty()) {
    pieces->push_back(text);
    return;
  }
  // Step k cuts every piece step k-1 produced; the last step writes straight to `pieces`.
  std::vector<std::string_view>& current = scratch->current_pieces;
  current.assign(1, text);
  for (size_t k = 0; k < steps_.size(); ++k) {
    const bool last = k + 1 == steps_.size();
    std::vector<std::string_view>* out = last ? pieces : &scratch->next_pieces;
    if (!last) out->clear();
    for (std::string_view piece : current) ApplySplitStep(steps_[k], piece, scratch, out);
    if (!last) std::swap(current, scratch->next_pieces);
  }
}

}  // namespace dsc::tokenizer_internal
