// Incremental detokenization for generation: feed ids one at a time, get text as soon as it
// forms whole UTF-8 characters (a character split over several byte tokens is held back).
#ifndef DSC_FRONTEND_TOKENIZER_STREAMING_DECODER_H_
#define DSC_FRONTEND_TOKENIZER_STREAMING_DECODER_H_

#include <cstdint>
#include <string>

#include "frontend/tokenizer/tokenizer.h"

namespace dsc {

// The concatenation of everything Push and Finish return equals Tokenizer::Decode of all the
// ids pushed. Invalid byte sequences become U+FFFD as soon as they are known to be invalid; a
// valid prefix of a character waits for the next token (and becomes U+FFFD at Finish if the
// stream ends there).
class StreamingDecoder {
 public:
  explicit StreamingDecoder(Tokenizer tokenizer, DecodeOptions options = {});

  // The text completed by this token; empty while a character is incomplete. Ids with no
  // token (and negative ids) add nothing.
  std::string Push(int32_t id);

  // Flushes what is held back and starts over.
  std::string Finish();

  // Bytes waiting for the rest of their character.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  Tokenizer tokenizer_;
  DecodeOptions options_;
  std::string pending_;
};

}  // namespace dsc

#endif  // DSC_FRONTEND_TOKENIZER_STREAMING_DECODER_H_
