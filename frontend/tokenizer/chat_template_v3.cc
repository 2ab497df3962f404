// The DeepSeek V3 Jinja chat template of tokenizer_config.json, rendered by hand (chat.md §8),
// including its quirks: is_first / is_output_first are never reset, and only tool calls after
// the first get the closing "<｜tool▁calls▁end｜><｜end▁of▁sentence｜>".
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/tokenizer/chat_encoding.h"
#include "frontend/tokenizer/chat_strings.h"
#include "frontend/tokenizer/string_view_compat.h"

namespace dsc {

absl::StatusOr<std::string> RenderChatTemplateV3(std::span<const ChatMessage> messages,
                                                 bool add_generation_prompt) {
  // Jinja's `+` on a missing/None content fails; say which message instead.
  auto content_of = [&](size_t i) -> absl::StatusOr<std::string_view> {
    if (!messages[i].content) {
      return absl::InvalidArgumentError(absl::StrCat("message ", i, ": ", messages[i].role,
                                                     " message without content"));
    }
    return std::string_view(*messages[i].content);
  };
  std::string system_prompt;
  bool first_system = true;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].role != "system") continue;
    absl::StatusOr<std::string_view> content = content_of(i);
    if (!content.ok()) return content.status();
    if (!first_system) system_prompt += "\n\n";
    system_prompt += *content;
    first_system = false;
  }
  std::string out = absl::StrCat(ToAbsl(chat_internal::kBos), system_prompt);
  bool is_first = false, is_tool = false, is_output_first = true;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user") {
      is_tool = false;
      absl::StatusOr<std::string_view> content = content_of(i);
      if (!content.ok()) return content.status();
      absl::StrAppend(&out, "<｜User｜>", ToAbsl(*content));
    } else if (m.role == "assistant" && !m.content) {
      is_tool = false;
      for (const ChatToolCall& call : m.tool_calls) {
        const std::string body = absl::StrCat(call.type, "<｜tool▁sep｜>", call.name,
                                              "\n```json\n", call.arguments,
                                              "\n```<｜tool▁call▁end｜>");
        if (!is_first) {
          absl::StrAppend(&out, "<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>", body);
          is_first = true;
        } else {
          absl::StrAppend(&out, "\n<｜tool▁call▁begin｜>", body,
                          "<｜tool▁calls▁end｜><｜end▁of▁sentence｜>");
        }
      }
    } else if (m.role == "assistant") {
      if (is_tool) {
        absl::StrAppend(&out, "<｜tool▁outputs▁end｜>", *m.content, "<｜end▁of▁sentence｜>");
        is_tool = false;
      } else {
        absl::StrAppend(&out, "<｜Assistant｜>", *m.content, "<｜end▁of▁sentence｜>");
      }
    } else if (m.role == "tool") {
      is_tool = true;
      absl::StatusOr<std::string_view> content = content_of(i);
      if (!content.ok()) return content.status();
      if (is_output_first) {
        absl::StrAppend(&out, "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>", ToAbsl(*content),
                        "<｜tool▁output▁end｜>");
        is_output_first = false;
      } else {
        absl::StrAppend(&out, "\n<｜tool▁output▁begin｜>", ToAbsl(*content),
                        "<｜tool▁output▁end｜>");
      }
    }  // other roles (system included) render nothing here
  }
  if (is_tool) out += "<｜tool▁outputs▁end｜>";
  if (add_generation_prompt && !is_tool) out += "<｜Assistant｜>";
  return out;
}

}  // namespace dsc
