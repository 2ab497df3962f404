// Loading tokenizer.json (+ tokenizer_config.json) and the encode/decode pipelines:
// added tokens -> pre-tokenizer -> BPE, and ids -> ByteLevel bytes -> lossy UTF-8.
#include "frontend/tokenizer/tokenizer.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/tokenizer/added_tokens.h"
#include "frontend/tokenizer/bpe.h"
#include "frontend/tokenizer/byte_level.h"
#include "frontend/tokenizer/pre_tokenizer.h"
#include "frontend/tokenizer/string_view_compat.h"
#include "frontend/tokenizer/utf8.h"
#include "nlohmann/json.hpp"

namespace dsc {

using tokenizer_internal::AddedToken;
using tokenizer_internal::AddedVocabulary;
using tokenizer_internal::BpeModel;
using tokenizer_internal::InputSegment;
using tokenizer_internal::kMaxIdGap;
using tokenizer_internal::PreTokenizer;
using tokenizer_internal::PreTokenizerScratch;

struct Tokenizer::Impl {
  AddedVocabulary added;
  PreTokenizer pre_tokenizer;
  std::unique_ptr<BpeModel> bpe;
  // Per id: the bytes it decodes to, whether it is a token at all, whether it is special.
  std::vector<std::string> token_bytes;
  std::vector<bool> has_token;
  std::vector<bool> special;
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  bool add_bos_token = false;
};

namespace {

absl::Status Prefixed(std::string_view source, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(ToAbsl(source), ": ", status.message()));
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": no such file"));
  }
  // A FIFO would block the open forever; a directory fails only on read.
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": not a regular file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path.string(), ": cannot open"));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path.string(), ": read error"));
  return contents.str();
}

// The normalizer must be the identity (null, or a Sequence of none): that is all the DeepSeek
// files use, and added-token matching relies on it.
absl::Status CheckIdentityNormalizer(const nlohmann::json& json) {
  if (json.is_null()) return absl::OkStatus();
  if (json.is_object() && json.value("type", "") == "Sequence" && json.contains("normalizers") &&
      json["normalizers"].is_array() && json["normalizers"].empty()) {
    return absl::OkStatus();
  }
  return absl::UnimplementedError(
      absl::StrCat("normalizer: only the identity is supported, got ", json.dump()));
}

absl::Status CheckByteLevelDecoder(const nlohmann::json& json) {
  if (json.is_object() && json.value("type", "") == "ByteLevel") return absl::OkStatus();
  return absl::UnimplementedError(
      absl::StrCat("decoder: only ByteLevel is supported, got ", json.dump()));
}

// The content of "bos_token" / "eos_token" in tokenizer_config.json: a string or an
// AddedToken object.
std::optional<std::string> ConfigTokenContent(const nlohmann::json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  return std::nullopt;
}

absl::StatusOr<std::shared_ptr<Tokenizer::Impl>> Build(const nlohmann::json& json,
                                                       const nlohmann::json& config,
                                                       const TokenizerOptions& options) {
  if (!json.is_object()) return absl::InvalidArgumentError("expected a JSON object");
  auto field = [&](const char* key) { return json.contains(key) ? json[key] : nlohmann::json(); };
  if (absl::Status s = CheckIdentityNormalizer(field("normalizer")); !s.ok()) return s;
  if (absl::Status s = CheckByteLevelDecoder(field("decoder")); !s.ok()) return s;

  auto impl = std::make_shared<Tokenizer::Impl>();
  absl::StatusOr<AddedVocabulary> added = AddedVocabulary::FromJson(field("added_tokens"));
  if (!added.ok()) return added.status();
  impl->added = *std::move(added);
  absl::StatusOr<PreTokenizer> pre = PreTokenizer::FromJson(field("pre_tokenizer"));
  if (!pre.ok()) return pre.status();
  impl->pre_tokenizer = *std::move(pre);
  if (!json.contains("model")) return absl::InvalidArgumentError("model: missing");
  absl::StatusOr<std::unique_ptr<BpeModel>> bpe =
      BpeModel::FromJson(json["model"], impl->pre_tokenizer.byte_level());
  if (!bpe.ok()) return bpe.status();
  impl->bpe = *std::move(bpe);
  impl->bpe->set_cache_enabled(options.piece_cache);

  // Dense per-id tables: an added token id far past the vocabulary would allocate gigabytes.
  if (impl->added.id_limit() > impl->bpe->id_limit() + kMaxIdGap) {
    return absl::InvalidArgumentError(absl::StrCat(
        "added_tokens: id ", impl->added.id_limit() - 1, " is more than ", kMaxIdGap,
        " past the vocabulary's ", impl->bpe->id_limit(), " ids"));
  }
  const int32_t limit = std::max(impl->bpe->id_limit(), impl->added.id_limit());
  impl->token_bytes.resize(limit);
  impl->has_token.assign(limit, false);
  impl->special.assign(limit, false);
  for (int32_t id = 0; id < limit; ++id) {
    const std::string* token = impl->bpe->IdToToken(id);
    if (token == nullptr) continue;
    impl->has_token[id] = true;
    impl->token_bytes[id] = utf8::IsValid(*token) ? byte_level::DecodeToken(*token) : *token;
  }
  for (const AddedToken& token : impl->added.tokens()) {  // added tokens win over the vocab
    impl->has_token[token.id] = true;
    impl->special[token.id] = token.special;
    impl->token_bytes[token.id] = byte_level::DecodeToken(token.content);
  }
  // HF skips by content: a vocab entry spelled like a special added token is special too.
  for (int32_t id = 0; id < limit; ++id) {
    const std::string* token = impl->bpe->IdToToken(id);
    if (token == nullptr || impl->added.FindById(id) != nullptr) continue;
    std::optional<int32_t> added_id = impl->added.FindByContent(*token);
    if (added_id) impl->special[id] = impl->added.FindById(*added_id)->special;
  }

  auto token_id = [&](const std::string& content) -> int32_t {
    if (std::optional<int32_t> id = impl->added.FindByContent(content)) return *id;
    if (std::optional<int32_t> id = impl->bpe->TokenToId(content)) return *id;
    return -1;
  };
  auto first_known = [&](std::initializer_list<const char*> candidates) {
    for (const char* c : candidates) {
      if (int32_t id = token_id(c); id >= 0) return id;
    }
    return -1;
  };
  if (std::optional<std::string> bos = ConfigTokenContent(config, "bos_token")) {
    impl->bos_id = token_id(*bos);
  } else {
    impl->bos_id = first_known({"<｜begin▁of▁sentence｜>", "<s>", "<|begin_of_text|>"});
  }
  if (std::optional<std::string> eos = ConfigTokenContent(config, "eos_token")) {
    impl->eos_id = token_id(*eos);
  } else {
    impl->eos_id = first_known({"<｜end▁of▁sentence｜>", "</s>", "<|end_of_text|>"});
  }
  if (auto it = config.find("add_bos_token"); it != config.end() && it->is_boolean()) {
    impl->add_bos_token = it->get<bool>();
  }
  return impl;
}

absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source), ": not valid JSON: ", e.what()));
  }
}

}  // namespace

absl::StatusOr<Tokenizer> Tokenizer::FromJson(std::string_view tokenizer_json,
                                              std::string_view config_json,
                                              std::string_view source_name,
                                              TokenizerOptions options) {
  absl::StatusOr<nlohmann::json> json = ParseJson(tokenizer_json, source_name);
  if (!json.ok()) return json.status();
  nlohmann::json config = nlohmann::json::object();
  if (!config_json.empty()) {
    absl::StatusOr<nlohmann::json> parsed = ParseJson(config_json, "tokenizer_config.json");
    if (!parsed.ok()) return parsed.status();
    if (parsed->is_object()) config = *std::move(parsed);
  }
  try {
    absl::StatusOr<std::shared_ptr<Impl>> impl = Build(*json, config, options);
    if (!impl.ok()) return Prefixed(source_name, impl.status());
    return Tokenizer(*std::move(impl));
  } catch (const nlohmann::json::exception& e) {  // a field of an unexpected type
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source_name), ": ", e.what()));
  }
}

absl::StatusOr<Tokenizer> Tokenizer::Load(const std::string& path, TokenizerOptions options) {
  std::filesystem::path file(path);
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) {
    file /= "tokenizer.json";
    if (!std::filesystem::exists(file, error)) {
      return absl::NotFoundError(absl::StrCat(path, ": directory holds no tokenizer.json"));
    }
  }
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) return text.status();
  std::string config_text;
  const std::filesystem::path config_file = file.parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config_file, error)) {
    absl::StatusOr<std::string> config = ReadFile(config_file);
    if (!config.ok()) return config.status();
    config_text = *std::move(config);
    if (absl::StatusOr<nlohmann::json> parsed = ParseJson(config_text, config_file.string());
        !parsed.ok()) {
      return parsed.status();
    }
  }
  return FromJson(*text, config_text, file.string(), options);
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, EncodeOptions options) const {
  std::string repaired;
  if (!utf8::IsValid(text)) {
    repaired = utf8::Lossy(text);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (options.add_bos && impl_->bos_id >= 0) ids.push_back(impl_->bos_id);
  std::vector<InputSegment> segments;
  impl_->added.Split(text, &segments);
  PreTokenizerScratch scratch;
  std::vector<std::string_view> pieces;
  for (const InputSegment& segment : segments) {
    if (segment.added_token_id >= 0) {
      ids.push_back(segment.added_token_id);
      continue;
    }
    pieces.clear();
    scratch.owned.clear();
    impl_->pre_tokenizer.Split(segment.text, &scratch, &pieces);
    for (std::string_view piece : pieces) impl_->bpe->Encode(piece, &ids);
  }
  return ids;
}

absl::StatusOr<std::string> Tokenizer::Decode(std::span<const int32_t> ids,
                                              DecodeOptions options) const {
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (id < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", id, " at position ", i, " is negative"));
    }
    if (options.skip_special_tokens && IsSpecial(id)) continue;
    bytes += TokenBytes(id);
  }
  return utf8::Lossy(bytes);
}

int32_t Tokenizer::bos_id() const { return impl_->bos_id; }
int32_t Tokenizer::eos_id() const { return impl_->eos_id; }
bool Tokenizer::add_bos_token() const { return impl_->add_bos_token; }

std::optional<int32_t> Tokenizer::TokenId(std::string_view token) const {
  if (std::optional<int32_t> id = impl_->added.FindByContent(token)) return id;
  return impl_->bpe->TokenToId(token);
}

std::optional<std::string_view> Tokenizer::TokenString(int32_t id) const {
  if (const AddedToken* added = impl_->added.FindById(id)) return added->content;
  if (const std::string* token = impl_->bpe->IdToToken(id)) return *token;
  return std::nullopt;
}

std::string_view Tokenizer::TokenBytes(int32_t id) const {
  if (id < 0 || id >= vocab_size() || !impl_->has_token[id]) return {};
  return impl_->token_bytes[id];
}

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && id < vocab_size() && impl_->special[id];
}

int Tokenizer::vocab_size() const { return static_cast<int>(impl_->token_bytes.size()); }

}  // namespace dsc
