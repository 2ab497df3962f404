// The DeepSeek V3.2 prompt encoder (encoding_dsv32.py encode_messages / render_message /
// drop_thinking_messages), reproduced byte for byte.
#include "frontend/tokenizer/chat_encoding.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/tokenizer/chat_strings.h"
#include "frontend/tokenizer/python_json.h"
#include "frontend/tokenizer/string_view_compat.h"

namespace dsc {
namespace {

using chat_internal::IsTruthy;
using chat_internal::kAssistantTag;
using chat_internal::kBos;
using chat_internal::kEos;
using chat_internal::kThinkClose;
using chat_internal::kThinkOpen;
using chat_internal::kUserTag;
using chat_internal::ParseOrderedJson;
using chat_internal::PythonJsonDumps;
using ordered_json = nlohmann::ordered_json;

// TOOLS_SYSTEM_TEMPLATE with dsml_token, thinking tokens substituted; SCHEMAS goes between.
constexpr std::string_view kToolsBlockHead =
    "## Tools\n"
    "\n"
    "You have access to a set of tools you can use to answer the user's question.\n"
    "You can invoke functions by writing a \"<｜DSML｜function_calls>\" block like the following "
    "as part of your reply to the user:\n"
    "<｜DSML｜function_calls>\n"
    "<｜DSML｜invoke name=\"$FUNCTION_NAME\">\n"
    "<｜DSML｜parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE"
    "</｜DSML｜parameter>\n"
    "...\n"
    "</｜DSML｜invoke>\n"
    "<｜DSML｜invoke name=\"$FUNCTION_NAME2\">\n"
    "...\n"
    "</｜DSML｜invoke>\n"
    "</｜DSML｜function_calls>\n"
    "\n"
    "String and scalar parameters should be specified as is without any escaping or quotes, "
    "while lists and objects should use JSON format. The \"string\" attribute should be set to "
    "\"true\" for string type parameters and \"false\" for other types (numbers, booleans, "
    "arrays, objects).\n"
    "\n"
    "If the thinking_mode is enabled, then after function results you should strongly consider "
    "outputting a thinking block. Here is an example:\n"
    "\n"
    "<｜DSML｜function_calls>\n"
    "...\n"
    "</｜DSML｜function_calls>\n"
    "\n"
    "<function_results>\n"
    "...\n"
    "</function_results>\n"
    "\n"
    "<think>...thinking about results</think>\n"
    "\n"
    "Here are the functions available in JSONSchema format:\n"
    "<functions>\n";
constexpr std::string_view kToolsBlockTail = "\n</functions>\n";

constexpr std::string_view kResponseFormatHead =
    "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n";

absl::Status Error(size_t index, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("message ", index, ": ", ToAbsl(problem)));
}

// TOOLS_BLOCK(tools): each tool's "function" object as Python JSON, one per line.
absl::StatusOr<std::string> RenderTools(const ordered_json& tools, size_t index) {
  std::string schemas;
  for (size_t i = 0; i < tools.size(); ++i) {
    const ordered_json& tool = tools[i];
    if (!tool.is_object() || !tool.contains("function")) {
      return Error(index, absl::StrCat("tools[", i, "]: expected an object with \"function\""));
    }
    if (i > 0) schemas += "\n";
    schemas += PythonJsonDumps(tool["function"]);
  }
  return absl::StrCat(ToAbsl(kToolsBlockHead), schemas, ToAbsl(kToolsBlockTail));
}

// "\n\n" + TOOLS_BLOCK if the message has tools, then "\n\n" + RF if it has a response format.
absl::StatusOr<std::string> RenderToolsAndFormat(const ChatMessage& m, size_t index) {
  std::string out;
  if (!m.tools_json.empty()) {
    absl::StatusOr<ordered_json> tools =
        ParseOrderedJson(m.tools_json, absl::StrCat("message ", index, ": tools"));
    if (!tools.ok()) return tools.status();
    if (!tools->is_array() && !tools->is_null()) return Error(index, "tools: expected an array");
    if (IsTruthy(*tools)) {
      absl::StatusOr<std::string> block = RenderTools(*tools, index);
      if (!block.ok()) return block.status();
      absl::StrAppend(&out, "\n\n", *block);
    }
  }
  if (!m.response_format_json.empty()) {
    absl::StatusOr<ordered_json> format = ParseOrderedJson(
        m.response_format_json, absl::StrCat("message ", index, ": response_format"));
    if (!format.ok()) return format.status();
    if (IsTruthy(*format)) {
      absl::StrAppend(&out, "\n\n", ToAbsl(kResponseFormatHead), PythonJsonDumps(*format));
    }
  }
  return out;
}

// "\n\n<｜DSML｜function_calls>\n" + invokes + "\n</｜DSML｜function_calls>".
absl::StatusOr<std::string> RenderToolCalls(const ChatMessage& m, size_t index) {
  std::vector<std::string> invokes;
  for (size_t c = 0; c < m.tool_calls.size(); ++c) {
    const ChatToolCall& call = m.tool_calls[c];
    absl::StatusOr<ordered_json> arguments = ParseOrderedJson(
        call.arguments, absl::StrCat("message ", index, ": tool_calls[", c, "].arguments"));
    if (!arguments.ok()) return arguments.status();
    if (!arguments->is_object()) {
      return Error(index, absl::StrCat("tool_calls[", c, "].arguments: expected a JSON object"));
    }
    std::vector<std::string> parameters;
    for (auto it = arguments->begin(); it != arguments->end(); ++it) {
      const bool is_string = it->is_string();
      parameters.push_back(absl::StrCat(
          "<｜DSML｜parameter name=\"", it.key(), "\" string=\"", is_string ? "true" : "false",
          "\">", is_string ? it->get<std::string>() : PythonJsonDumps(*it),
          "</｜DSML｜parameter>"));
    }
    invokes.push_back(absl::StrCat("<｜DSML｜invoke name=\"", call.name, "\">\n",
                                   absl::StrJoin(parameters, "\n"), "\n</｜DSML｜invoke>"));
  }
  return absl::StrCat("\n\n<｜DSML｜function_calls>\n", absl::StrJoin(invokes, "\n"),
                      "\n</｜DSML｜function_calls>");
}

int LastUserIndex(std::span<const ChatMessage> messages) {
  for (int i = static_cast<int>(messages.size()) - 1; i >= 0; --i) {
    if (messages[i].role == "user" || messages[i].role == "developer") return i;
  }
  return -1;
}

// render_message(index, messages, thinking_mode).
absl::StatusOr<std::string> RenderMessage(size_t index, std::span<const ChatMessage> messages,
                                          ThinkingMode mode) {
  const ChatMessage& m = messages[index];
  const int last_user = LastUserIndex(messages);
  const bool thinking = mode == ThinkingMode::kThinking;
  const bool is_last_user = static_cast<int>(index) == last_user;
  if (m.role == "system") {
    absl::StatusOr<std::string> extra = RenderToolsAndFormat(m, index);
    if (!extra.ok()) return extra.status();
    return absl::StrCat(m.content.value_or(""), *extra);
  }
  if (m.role == "developer") {
    if (!m.content || m.content->empty()) return Error(index, "developer message without content");
    absl::StatusOr<std::string> extra = RenderToolsAndFormat(m, index);
    if (!extra.ok()) return extra.status();
    return absl::StrCat(ToAbsl(kUserTag), *extra, "\n\n# The user's message is: ", *m.content,
                        ToAbsl(kAssistantTag),
                        ToAbsl(is_last_user && thinking ? kThinkOpen : kThinkClose));
  }
  if (m.role == "user") {
    if (!m.content) return Error(index, "user message without string content");
    return absl::StrCat(ToAbsl(kUserTag), *m.content, ToAbsl(kAssistantTag),
                        ToAbsl(is_last_user && thinking ? kThinkOpen : kThinkClose));
  }
  if (m.role == "tool") {
    if (!m.content) return Error(index, "tool message without string content");
    size_t owner = index;  // the assistant message whose calls these are results of
    while (owner > 0 && messages[owner - 1].role == "tool") --owner;
    if (owner == 0 || messages[owner - 1].role != "assistant") {
      return Error(index, "a tool result must follow an assistant message with tool_calls");
    }
    const ChatMessage& assistant = messages[owner - 1];
    const size_t order = index - owner + 1;
    if (assistant.tool_calls.size() < order) {
      return Error(index, "more tool results than tool calls");
    }
    std::string out;
    if (order == 1) out += "\n\n<function_results>";
    absl::StrAppend(&out, "\n<result>", *m.content, "</result>");
    if (order == assistant.tool_calls.size()) {
      const bool open = static_cast<int>(index) >= last_user && thinking;
      absl::StrAppend(&out, "\n</function_results>\n\n", ToAbsl(open ? kThinkOpen : kThinkClose));
    }
    return out;
  }
  if (m.role == "assistant") {
    std::string tool_calls;
    if (!m.tool_calls.empty()) {
      absl::StatusOr<std::string> rendered = RenderToolCalls(m, index);
      if (!rendered.ok()) return rendered.status();
      tool_calls = *std::move(rendered);
    }
    std::string thinking_part;
    if (thinking && static_cast<int>(index) > last_user) {
      const bool has_reasoning = m.reasoning_content && !m.reasoning_content->empty();
      if (!has_reasoning && m.tool_calls.empty()) {
        return Error(index,
                     "in thinking mode an assistant message after the last user message needs "
                     "reasoning_content or tool_calls");
      }
      thinking_part = absl::StrCat(m.reasoning_content.value_or(""), ToAbsl(kThinkClose));
    }
    return absl::StrCat(thinking_part, m.content.value_or(""), tool_calls, ToAbsl(kEos));
  }
  return Error(index, absl::StrCat("unknown role \"", m.role, "\""));
}

// drop_thinking_messages: reasoning of turns before the last user turn is not re-sent.
std::vector<ChatMessage> DropThinking(std::vector<ChatMessage> messages) {
  const int last_user = LastUserIndex(messages);
  std::vector<ChatMessage> kept;
  for (int i = 0; i < static_cast<int>(messages.size()); ++i) {
    ChatMessage& m = messages[i];
    if (m.role == "user" || m.role == "system" || m.role == "tool" || i >= last_user) {
      kept.push_back(std::move(m));
    } else if (m.role == "assistant") {
      m.reasoning_content.reset();
      kept.push_back(std::move(m));
    }  // any other role before the last user turn is dropped, as in the reference
  }
  return kept;
}

}  // namespace

absl::StatusOr<std::string> EncodeChatV32(std::span<const ChatMessage> messages,
                                          const ChatEncodeOptions& options) {
  std::vector<ChatMessage> full(options.context.begin(), options.context.end());
  full.insert(full.end(), messages.begin(), messages.end());
  std::string prompt;
  if (options.add_bos && options.context.empty()) prompt += kBos;
  if (options.mode == ThinkingMode::kThinking && options.drop_thinking) {
    full = DropThinking(std::move(full));
  }
  for (size_t k = 0; k < messages.size(); ++k) {
    const size_t index = options.context.size() + k;
    if (index >= full.size()) {
      // The reference indexes past the end here (drop_thinking removed an earlier message).
      return Error(index, "out of range after drop_thinking removed a message before the last "
                          "user turn");
    }
    absl::StatusOr<std::string> rendered = RenderMessage(index, full, options.mode);
    if (!rendered.ok()) return rendered.status();
    prompt += *rendered;
  }
  return prompt;
}

}  // namespace dsc
