// Fuzzes the tokenizer.json loader (Tokenizer::FromJson): schema checks of the model,
// pre-tokenizer, decoder and added tokens. The input is tokenizer.json, optionally followed by
// a NUL byte and a tokenizer_config.json. A tokenizer it accepts must encode and decode a
// fixed text without crashing, with every id inside its vocabulary.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "frontend/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size), config;
  if (size_t nul = json.find('\0'); nul != std::string_view::npos) {
    config = json.substr(nul + 1);
    json = json.substr(0, nul);
  }
  auto t = dsc::Tokenizer::FromJson(json, config, "fuzz.json", {.piece_cache = false});
  if (!t.ok()) return 0;
  const std::string_view probe = "Hello, world! 123 <｜User｜>héllo\xff\n\t  x";
  std::vector<int32_t> ids = t->Encode(probe, {.add_bos = true});
  for (int32_t id : ids) {
    if (id < -1 || id >= t->vocab_size()) __builtin_trap();
  }
  (void)t->Decode(ids);
  (void)t->Decode(ids, {.skip_special_tokens = true});
  return 0;
}
