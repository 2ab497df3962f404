// The HF ↔ official short-name mapping of checkpoint.md §3, done component by component
// (the official convert.py does string replaces; for real names the two agree).
#include <array>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "frontend/weight_format.h"

namespace dsc::frontend {
namespace {

// HF module name → official module name; names absent here are the same in both.
constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kModules = {{
    {"embed_tokens", "embed"},
    {"input_layernorm", "attn_norm"},
    {"post_attention_layernorm", "ffn_norm"},
    {"q_proj", "wq"},
    {"q_a_proj", "wq_a"},
    {"q_a_layernorm", "q_norm"},
    {"q_b_proj", "wq_b"},
    {"kv_a_proj_with_mqa", "wkv_a"},
    {"kv_a_layernorm", "kv_norm"},
    {"kv_b_proj", "wkv_b"},
    {"o_proj", "wo"},
    {"gate_proj", "w1"},
    {"down_proj", "w2"},
    {"up_proj", "w3"},
    {"lm_head", "head"},
}};

std::vector<std::string> Split(std::string_view name) {
  std::vector<std::string> parts;
  for (absl::string_view p : absl::StrSplit(absl::string_view(name.data(), name.size()), '.')) {
    parts.emplace_back(p);
  }
  return parts;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::optional<std::string> HfToOfficialName(std::string_view hf_name) {
  std::vector<std::string> parts = Split(hf_name);
  if (parts.size() < 2) return std::nullopt;
  if (parts[0] == "model") {
    parts.erase(parts.begin());
  } else if (parts[0] != "lm_head") {
    return std::nullopt;
  }
  if (parts.size() < 2) return std::nullopt;
  for (std::string& p : parts) {
    if (p == "self_attn") p = "attn";
    if (p == "mlp") p = "ffn";
  }
  std::string& leaf = parts.back();
  if (leaf == "weight_scale_inv") leaf = "scale";
  if (leaf == "e_score_correction_bias") leaf = "bias";
  std::string& module = parts[parts.size() - 2];
  for (const auto& [hf, official] : kModules) {
    if (module == hf) module = std::string(official);
  }
  return absl::StrJoin(parts, ".");
}

std::optional<std::string> OfficialToHfName(std::string_view official_name) {
  std::vector<std::string> parts = Split(official_name);
  if (parts.size() < 2 || !DetectNamingStyle(official_name) ||
      *DetectNamingStyle(official_name) != NamingStyle::kOfficial) {
    return std::nullopt;
  }
  std::string& module = parts[parts.size() - 2];
  std::string& leaf = parts.back();
  if (leaf == "scale") leaf = "weight_scale_inv";
  if (leaf == "bias" && module == "gate") leaf = "e_score_correction_bias";
  for (const auto& [hf, official] : kModules) {
    if (module == official) {
      module = std::string(hf);
      break;
    }
  }
  for (std::string& p : parts) {
    if (p == "attn") p = "self_attn";
    if (p == "ffn") p = "mlp";
  }
  std::string joined = absl::StrJoin(parts, ".");
  return parts[0] == "lm_head" ? joined : "model." + joined;
}

std::optional<NamingStyle> DetectNamingStyle(std::string_view name) {
  if (StartsWith(name, "model.") || StartsWith(name, "lm_head.")) return NamingStyle::kHf;
  for (std::string_view prefix : {"layers.", "embed.", "norm.", "head."}) {
    if (StartsWith(name, prefix)) return NamingStyle::kOfficial;
  }
  return std::nullopt;
}

std::optional<int64_t> LayerOfOfficialName(std::string_view official_name) {
  if (!StartsWith(official_name, "layers.")) return std::nullopt;
  std::string_view rest = official_name.substr(7);
  std::string_view digits = rest.substr(0, rest.find('.'));
  int64_t layer = 0;
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &layer) || layer < 0) {
    return std::nullopt;
  }
  return layer;
}

}  // namespace dsc::frontend
