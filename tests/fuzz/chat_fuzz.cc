// Fuzzes the chat encoding (frontend/tokenizer/chat_encoding.h). Even first byte: the rest is
// OpenAI-style messages JSON, rendered by the V3.2 encoder (chat and thinking mode) and the
// V3 template. Odd first byte: the rest is a model completion for the V3.2 reply parser.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "frontend/tokenizer/chat_encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    for (dsc::ThinkingMode mode : {dsc::ThinkingMode::kChat, dsc::ThinkingMode::kThinking}) {
      (void)dsc::ParseChatReplyV32(rest, mode);
    }
    return 0;
  }
  auto messages = dsc::ChatMessagesFromJson(rest);
  if (!messages.ok()) return 0;
  for (dsc::ThinkingMode mode : {dsc::ThinkingMode::kChat, dsc::ThinkingMode::kThinking}) {
    dsc::ChatEncodeOptions options;
    options.mode = mode;
    options.drop_thinking = (data[0] & 2) != 0;
    (void)dsc::EncodeChatV32(*messages, options);
    // The first message as already-cached context and the rest as new turns.
    if (messages->size() > 1) {
      options.context = std::span<const dsc::ChatMessage>(messages->data(), 1);
      options.add_bos = false;
      (void)dsc::EncodeChatV32(std::span<const dsc::ChatMessage>(*messages).subspan(1), options);
    }
  }
  (void)dsc::RenderChatTemplateV3(*messages, /*add_generation_prompt=*/true);
  return 0;
}
