// Fuzzes the real DeepSeek V3 tokenizer on arbitrary bytes: Encode must give ids inside the
// vocabulary and decode back to the input (invalid UTF-8 as U+FFFD, chat.md / tokenizer.md);
// the same bytes read as token ids must decode identically in one go and streamed.
// DSC_FUZZ_TOKENIZER overrides the tokenizer path.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/tokenizer/streaming_decoder.h"
#include "frontend/tokenizer/tokenizer.h"
#include "frontend/tokenizer/utf8.h"

namespace {

const dsc::Tokenizer& Real() {
  static const dsc::Tokenizer* tokenizer = [] {
    const char* env = std::getenv("DSC_FUZZ_TOKENIZER");
    const std::string path = env ? env : std::string(DSC_SHARED_DIR) + "/tokenizer/deepseek-v3";
    // No piece cache: each input is then encoded from scratch, so a crash reproduces alone.
    auto t = dsc::Tokenizer::Load(path, {.piece_cache = false});
    if (!t.ok()) {
      std::fprintf(stderr, "tokenizer_encode_fuzz: %s\n", std::string(t.status().message()).c_str());
      std::abort();
    }
    return new dsc::Tokenizer(*std::move(t));
  }();
  return *tokenizer;
}

[[noreturn]] void Fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "tokenizer_encode_fuzz: %s (input %zu bytes)\n", what, input.size());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Real();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const dsc::Tokenizer& t = Real();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool bos = (size & 1) != 0 && t.bos_id() >= 0;
  std::vector<int32_t> ids = t.Encode(text, {.add_bos = bos});
  for (int32_t id : ids) {
    if (id < 0 || id >= t.vocab_size()) Fail("id outside the vocabulary", text);
  }
  if (bos && (ids.empty() || ids[0] != t.bos_id())) Fail("add_bos did not prepend BOS", text);
  auto decoded = t.Decode(bos ? std::vector<int32_t>(ids.begin() + 1, ids.end()) : ids);
  if (!decoded.ok()) Fail("Decode rejected Encode's ids", text);
  if (*decoded != dsc::utf8::Lossy(text)) Fail("Decode(Encode(x)) != lossy(x)", text);

  // The bytes as little-endian 24-bit ids (some past the vocabulary, which decode as nothing).
  std::vector<int32_t> raw;
  for (size_t i = 0; i + 3 <= size; i += 3) {
    raw.push_back(static_cast<int32_t>(data[i] | data[i + 1] << 8 | (data[i + 2] & 0x03) << 16));
  }
  for (bool skip : {false, true}) {
    auto whole = t.Decode(raw, {.skip_special_tokens = skip});
    if (!whole.ok() || !dsc::utf8::IsValid(*whole)) Fail("Decode gave invalid UTF-8", text);
    dsc::StreamingDecoder streaming(t, {.skip_special_tokens = skip});
    std::string streamed;
    for (int32_t id : raw) streamed += streaming.Push(id);
    streamed += streaming.Finish();
    if (streamed != *whole) Fail("streamed decode differs from Decode", text);
  }
  return 0;
}
