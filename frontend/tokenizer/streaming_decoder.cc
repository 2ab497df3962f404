// StreamingDecoder: appends each token's bytes and releases the complete UTF-8 prefix.
#include "frontend/tokenizer/streaming_decoder.h"

#include <utility>

#include "frontend/tokenizer/utf8.h"

namespace dsc {

StreamingDecoder::StreamingDecoder(Tokenizer tokenizer, DecodeOptions options)
    : tokenizer_(std::move(tokenizer)), options_(options) {}

std::string StreamingDecoder::Push(int32_t id) {
  if (options_.skip_special_tokens && tokenizer_.IsSpecial(id)) return {};
  pending_ += tokenizer_.TokenBytes(id);
  std::string text;
  const size_t consumed = utf8::AppendLossy(pending_, /*final_chunk=*/false, &text);
  pending_.erase(0, consumed);
  return text;
}

std::string StreamingDecoder::Finish() {
  std::string text;
  utf8::AppendLossy(pending_, /*final_chunk=*/true, &text);
  pending_.clear();
  return text;
}

}  // namespace dsc
