// OpenAI-style JSON messages -> ChatMessage, with errors naming the message and the field.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/tokenizer/chat_encoding.h"
#include "frontend/tokenizer/python_json.h"

namespace dsc {
namespace {

using ordered_json = nlohmann::ordered_json;

absl::Status FieldError(size_t index, const std::string& field, const std::string& problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("messages[", index, "].", field, ": ", problem));
}

// A string field that may be missing or null.
absl::StatusOr<std::optional<std::string>> OptionalString(const ordered_json& message,
                                                          const char* key, size_t index) {
  auto it = message.find(key);
  if (it == message.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return FieldError(index, key, "expected a string or null");
  return std::optional<std::string>(it->get<std::string>());
}

absl::StatusOr<ChatToolCall> ToolCallFromJson(const ordered_json& json, size_t index, size_t c) {
  const std::string field = absl::StrCat("tool_calls[", c, "]");
  if (!json.is_object() || !json.contains("function") || !json["function"].is_object()) {
    return FieldError(index, field, "expected {\"type\": \"function\", \"function\": {...}}");
  }
  const ordered_json& function = json["function"];
  ChatToolCall call;
  if (!function.contains("name") || !function["name"].is_string()) {
    return FieldError(index, field + ".function.name", "expected a string");
  }
  call.name = function["name"].get<std::string>();
  if (!function.contains("arguments")) {
    return FieldError(index, field + ".function.arguments", "missing");
  }
  // OpenAI sends arguments as a JSON string; accept an inline object too.
  const ordered_json& arguments = function["arguments"];
  call.arguments = arguments.is_string() ? arguments.get<std::string>()
                                         : chat_internal::PythonJsonDumps(arguments);
  if (json.contains("type") && json["type"].is_string()) call.type = json["type"].get<std::string>();
  return call;
}

}  // namespace

absl::StatusOr<std::vector<ChatMessage>> ChatMessagesFromJson(std::string_view text) {
  absl::StatusOr<ordered_json> json = chat_internal::ParseOrderedJson(text, "messages");
  if (!json.ok()) return json.status();
  if (!json->is_array()) return absl::InvalidArgumentError("messages: expected a JSON array");
  std::vector<ChatMessage> messages;
  for (size_t i = 0; i < json->size(); ++i) {
    const ordered_json& m = (*json)[i];
    if (!m.is_object()) return FieldError(i, "role", "the message is not an object");
    ChatMessage message;
    if (!m.contains("role") || !m["role"].is_string()) {
      return FieldError(i, "role", "expected a string");
    }
    message.role = m["role"].get<std::string>();
    for (auto [key, out] : {std::pair{"content", &message.content},
                            std::pair{"reasoning_content", &message.reasoning_content}}) {
      absl::StatusOr<std::optional<std::string>> value = OptionalString(m, key, i);
      if (!value.ok()) return value.status();
      *out = *std::move(value);
    }
    if (auto it = m.find("tool_calls"); it != m.end() && !it->is_null()) {
      if (!it->is_array()) return FieldError(i, "tool_calls", "expected an array");
      for (size_t c = 0; c < it->size(); ++c) {
        absl::StatusOr<ChatToolCall> call = ToolCallFromJson((*it)[c], i, c);
        if (!call.ok()) return call.status();
        message.tool_calls.push_back(*std::move(call));
      }
    }
    if (auto it = m.find("tools"); it != m.end() && !it->is_null()) {
      if (!it->is_array()) return FieldError(i, "tools", "expected an array");
      message.tools_json = it->dump();  // ordered_json keeps the key order
    }
    if (auto it = m.find("response_format"); it != m.end() && !it->is_null()) {
      message.response_format_json = it->dump();
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

}  // namespace dsc
