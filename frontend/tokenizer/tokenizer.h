// dsc::Tokenizer: Hugging Face `tokenizers` byte-level BPE, loaded from tokenizer.json, giving
// the same ids as HF `encode(text, add_special_tokens=False)` and the same text as HF `decode`
// (contract: shared/spec/tokenizer.md).
#ifndef DSC_FRONTEND_TOKENIZER_TOKENIZER_H_
#define DSC_FRONTEND_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dsc {

struct TokenizerOptions {
  // Cache piece -> ids (changes speed only). Benchmarks turn it off to time the BPE itself.
  bool piece_cache = true;
};

struct EncodeOptions {
  bool add_bos = false;  // prepend bos_id() (HF add_special_tokens with add_bos_token)
};

struct DecodeOptions {
  bool skip_special_tokens = false;  // drop added tokens marked "special" (BOS, EOS, ...)
};

// Immutable once loaded; cheap to copy (copies share the tables); Encode/Decode may be called
// from many threads at once.
class Tokenizer {
 public:
  // `path` is a tokenizer.json file or a directory holding one. A tokenizer_config.json next
  // to it, when present, supplies bos_token / eos_token / add_bos_token. Errors name the file
  // and the field at fault: NotFound for a missing file, InvalidArgument for malformed
  // content, Unimplemented for components this implementation does not support.
  static absl::StatusOr<Tokenizer> Load(const std::string& path, TokenizerOptions options = {});
  // The same from JSON text. `config_json` may be empty. `source_name` prefixes messages.
  static absl::StatusOr<Tokenizer> FromJson(std::string_view tokenizer_json,
                                            std::string_view config_json = "",
                                            std::string_view source_name = "tokenizer.json",
                                            TokenizerOptions options = {});

  // Token ids of `text`. Added tokens written literally in the text (e.g. "<｜User｜>") are
  // matched as such. HF operates on Unicode strings, so `text` should be valid UTF-8; each
  // maximal ill-formed byte sequence is encoded as if it were U+FFFD (what Python's
  // bytes.decode("utf-8", errors="replace") would hand to HF). Callers that must not guess,
  // like the CLI, reject invalid input up front (utf8::IsValid).
  std::vector<int32_t> Encode(std::string_view text, EncodeOptions options = {}) const;

  // Text of `ids`: ByteLevel decoding then lossy UTF-8 (invalid bytes -> U+FFFD). Ids with no
  // token (e.g. the model's padding rows past the vocabulary) decode as nothing, like HF.
  // Negative ids are InvalidArgument.
  absl::StatusOr<std::string> Decode(std::span<const int32_t> ids,
                                     DecodeOptions options = {}) const;

  // -1 when the tokenizer has none.
  int32_t bos_id() const;
  int32_t eos_id() const;
  // tokenizer_config.json's add_bos_token (false without a config): whether transformers'
  // encode() would prepend BOS by default.
  bool add_bos_token() const;

  // The id of a token string as tokenizer.json writes it ("Ġworld", "<｜User｜>").
  std::optional<int32_t> TokenId(std::string_view token) const;
  // The token string of `id` as tokenizer.json writes it; nullopt for ids with no token.
  std::optional<std::string_view> TokenString(int32_t id) const;
  // The bytes `id` decodes to (possibly part of a UTF-8 character); empty for ids with no
  // token.
  std::string_view TokenBytes(int32_t id) const;
  bool IsSpecial(int32_t id) const;
  // One more than the largest token id (128815 for DeepSeek V3: 128000 + 815 added tokens).
  int vocab_size() const;

  // Opaque; declared public only so that the loader's helpers in tokenizer.cc can fill one.
  struct Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace dsc

#endif  // DSC_FRONTEND_TOKENIZER_TOKENIZER_H_
