// Chat conversations as DeepSeek prompts (contract: shared/spec/chat.md): the DeepSeek V3.2
// encoder (`encode_messages` of encoding_dsv32.py), its reply parser, and the older DeepSeek
// V3 Jinja chat template. The resulting string is tokenized whole, without adding BOS.
#ifndef DSC_FRONTEND_TOKENIZER_CHAT_ENCODING_H_
#define DSC_FRONTEND_TOKENIZER_CHAT_ENCODING_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dsc {

// One OpenAI-style tool call: {"type": "function", "function": {"name", "arguments"}}.
struct ChatToolCall {
  std::string name;
  std::string arguments;  // a JSON object, as text (OpenAI's function.arguments)
  std::string type = "function";

  bool operator==(const ChatToolCall&) const = default;
};

// One OpenAI-style message. Optional fields model Python's "missing or None".
struct ChatMessage {
  std::string role;  // "system", "developer", "user", "assistant" or "tool"
  std::optional<std::string> content;
  std::optional<std::string> reasoning_content;
  std::vector<ChatToolCall> tool_calls;
  // A JSON array of OpenAI tool objects ({"type": "function", "function": {...schema...}});
  // empty for none. Key order is kept: it is rendered into the prompt.
  std::string tools_json;
  // Any JSON value (a schema) the reply must follow; empty for none.
  std::string response_format_json;

  bool operator==(const ChatMessage&) const = default;
};

enum class ThinkingMode { kChat, kThinking };

struct ChatEncodeOptions {
  ThinkingMode mode = ThinkingMode::kChat;
  // Drop reasoning_content of assistant turns before the last user turn (thinking mode only).
  bool drop_thinking = true;
  // Start with BOS (only when `context` is empty).
  bool add_bos = true;
  // Earlier messages whose text is already in the KV cache: they are not rendered, but they
  // count for indices such as "the last user message".
  std::span<const ChatMessage> context = {};
};

// DeepSeek V3.2 `encode_messages(messages, thinking_mode, context, drop_thinking,
// add_default_bos_token)`, byte for byte (chat.md §2-§4). A conversation ending with a user
// turn already ends with the generation prompt ("<｜Assistant｜></think>" in chat mode,
// "<｜Assistant｜><think>" in thinking mode). Where the reference asserts, this returns
// InvalidArgument naming the message index and the problem.
absl::StatusOr<std::string> EncodeChatV32(std::span<const ChatMessage> messages,
                                          const ChatEncodeOptions& options = {});

// DeepSeek V3.2 `parse_message_from_completion_text` (chat.md §5): splits the model's decoded
// completion (special tokens kept, ending with "<｜end▁of▁sentence｜>") into reasoning,
// content and DSML tool calls. The result has role "assistant", content and
// reasoning_content always set (possibly empty), and tool call arguments re-assembled as JSON
// object text. Malformed output is InvalidArgument, as the reference rejects it.
absl::StatusOr<ChatMessage> ParseChatReplyV32(std::string_view completion, ThinkingMode mode);

// The DeepSeek V3 `chat_template` of the project's tokenizer_config.json, rendered as
// transformers does (chat.md §8), quirks included.
absl::StatusOr<std::string> RenderChatTemplateV3(std::span<const ChatMessage> messages,
                                                 bool add_generation_prompt);

// Messages from OpenAI-style JSON: an array of objects with "role", "content",
// "reasoning_content", "tool_calls" and, on system/developer messages, "tools" and
// "response_format". Errors name the message index and the field.
absl::StatusOr<std::vector<ChatMessage>> ChatMessagesFromJson(std::string_view json);

}  // namespace dsc

#endif  // DSC_FRONTEND_TOKENIZER_CHAT_ENCODING_H_
