// The DeepSeek V3.2 reply parser (encoding_dsv32.py parse_message_from_completion_text,
// parse_tool_calls, decode_dsml_to_arguments), strict like the reference.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/tokenizer/chat_encoding.h"
#include "frontend/tokenizer/chat_strings.h"
#include "frontend/tokenizer/python_json.h"
#include "frontend/tokenizer/string_view_compat.h"
#include "frontend/tokenizer/utf8.h"

namespace dsc {
namespace {

using chat_internal::kBos;
using chat_internal::kEos;
using chat_internal::kThinkClose;
using chat_internal::kThinkOpen;
using chat_internal::PythonJsonString;

const std::string kInvoke = "<｜DSML｜invoke";
const std::string kInvokeEnd = "</｜DSML｜invoke";
const std::string kParameter = "<｜DSML｜parameter";
const std::string kParameterEnd = "/｜DSML｜parameter";
const std::string kCallsStart = "\n\n<｜DSML｜function_calls";
const std::string kCallsEnd = "</｜DSML｜function_calls>";

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed reply: ", ToAbsl(what)));
}

// _read_until_stop: the text from `*index` to the earliest of `stops`; moves *index past the
// stop. Returns the stop found, or nullptr (then the text runs to the end).
const std::string* ReadUntil(std::string_view text, size_t* index,
                             std::initializer_list<const std::string*> stops,
                             std::string_view* content) {
  size_t best = text.size();
  const std::string* found = nullptr;
  for (const std::string* stop : stops) {
    const size_t pos = text.find(*stop, *index);
    if (pos != std::string_view::npos && pos < best) {
      best = pos;
      found = stop;
    }
  }
  *content = text.substr(*index, best - *index);
  *index = found ? best + found->size() : text.size();
  return found;
}

// Python's `$` without MULTILINE: the end, or just before a final "\n".
bool AtEnd(std::string_view text, size_t pos) {
  return pos == text.size() || (pos + 1 == text.size() && text[pos] == '\n');
}

// Python str whitespace (str.isspace, what re's \s matches in a str pattern).
bool IsPythonSpace(char32_t cp) { return utf8::IsWhitespace(cp) || (cp >= 0x1C && cp <= 0x1F); }

// re.findall(r'^\s*name="(.*?)">\n$', content, flags=re.DOTALL) with exactly one match.
bool MatchInvokeName(std::string_view content, std::string* name) {
  size_t pos = 0;
  while (pos < content.size()) {
    char32_t cp;
    const int length = utf8::DecodeAt(content, pos, &cp);
    if (!IsPythonSpace(cp)) break;
    pos += length;
  }
  constexpr std::string_view kPrefix = "name=\"";
  if (content.substr(pos, kPrefix.size()) != kPrefix) return false;
  const size_t value_begin = pos + kPrefix.size();
  for (size_t close = content.find("\">\n", value_begin); close != std::string_view::npos;
       close = content.find("\">\n", close + 1)) {
    if (AtEnd(content, close + 3)) {
      *name = std::string(content.substr(value_begin, close - value_begin));
      return true;
    }
  }
  return false;
}

// re.findall(r'^ name="(.*?)" string="(true|false)">(.*?)<$', content, flags=re.DOTALL).
bool MatchParameter(std::string_view content, std::string* name, bool* is_string,
                    std::string* value) {
  constexpr std::string_view kPrefix = " name=\"";
  if (content.substr(0, kPrefix.size()) != kPrefix) return false;
  const size_t name_begin = kPrefix.size();
  constexpr std::string_view kString = "\" string=\"";
  for (size_t quote = content.find(kString, name_begin); quote != std::string_view::npos;
       quote = content.find(kString, quote + 1)) {
    size_t value_begin = quote + kString.size();
    bool string_value;
    if (content.substr(value_begin, 6) == "true\">") {
      string_value = true;
      value_begin += 6;
    } else if (content.substr(value_begin, 7) == "false\">") {
      string_value = false;
      value_begin += 7;
    } else {
      continue;
    }
    for (size_t lt = content.find('<', value_begin); lt != std::string_view::npos;
         lt = content.find('<', lt + 1)) {
      if (AtEnd(content, lt + 1)) {
        *name = std::string(content.substr(name_begin, quote - name_begin));
        *is_string = string_value;
        *value = std::string(content.substr(value_begin, lt - value_begin));
        return true;
      }
    }
  }
  return false;
}

// parse_tool_calls: invocations up to "</｜DSML｜function_calls>".
absl::Status ParseToolCalls(std::string_view text, size_t* index,
                            std::vector<ChatToolCall>* calls) {
  std::string_view content;
  while (*index < text.size()) {
    const std::string* stop = ReadUntil(text, index, {&kInvoke, &kCallsEnd}, &content);
    if (content != ">\n") return Malformed("tool call format");
    if (stop == &kCallsEnd) break;
    if (stop == nullptr) return Malformed("missing the end of the tool calls");
    stop = ReadUntil(text, index, {&kParameter, &kInvokeEnd}, &content);
    ChatToolCall call;
    if (!MatchInvokeName(content, &call.name)) return Malformed("tool name format");
    std::vector<std::string> names;
    std::string arguments;
    while (stop == &kParameter) {
      ReadUntil(text, index, {&kParameterEnd}, &content);
      std::string name, value;
      bool is_string;
      if (!MatchParameter(content, &name, &is_string, &value)) {
        return Malformed("parameter format");
      }
      for (const std::string& seen : names) {
        if (seen == name) return Malformed(absl::StrCat("duplicate parameter \"", name, "\""));
      }
      names.push_back(name);
      // decode_dsml_to_arguments: strings are JSON-quoted, other values kept verbatim.
      absl::StrAppend(&arguments, arguments.empty() ? "" : ", ", PythonJsonString(name), ": ",
                      is_string ? PythonJsonString(value) : value);
      stop = ReadUntil(text, index, {&kParameter, &kInvokeEnd}, &content);
      if (content != ">\n") return Malformed("parameter format");
    }
    call.arguments = absl::StrCat("{", arguments, "}");
    calls->push_back(std::move(call));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ChatMessage> ParseChatReplyV32(std::string_view text, ThinkingMode mode) {
  // The reference parses a Python str; the scanners below (utf8::DecodeAt) also assume valid
  // UTF-8 and would read past the end of a truncated sequence (found by fuzzing).
  if (!utf8::IsValid(text)) return Malformed("the completion is not valid UTF-8");
  const std::string think_close(kThinkClose), eos(kEos);
  ChatMessage message;
  message.role = "assistant";
  size_t index = 0;
  std::string_view content;
  std::string reasoning;
  if (mode == ThinkingMode::kThinking) {
    const std::string* stop = ReadUntil(text, &index, {&think_close, &kCallsStart}, &content);
    if (stop != &think_close) return Malformed("the reasoning does not end with </think>");
    reasoning = std::string(content);
  }
  const std::string* stop = ReadUntil(text, &index, {&eos, &kCallsStart}, &content);
  const std::string summary(content);
  if (stop == &kCallsStart) {
    absl::Status s = ParseToolCalls(text, &index, &message.tool_calls);
    if (!s.ok()) return s;
    stop = ReadUntil(text, &index, {&eos}, &content);
    if (!content.empty()) return Malformed("text after the tool calls");
  } else if (stop != &eos) {
    return Malformed("the reply does not end with <｜end▁of▁sentence｜>");
  }
  if (index != text.size() || (stop != nullptr && stop != &eos)) {
    return Malformed("text after <｜end▁of▁sentence｜>");
  }
  for (std::string_view special : {kBos, kEos, kThinkOpen, kThinkClose, chat_internal::kDsml}) {
    if (summary.find(special) != std::string::npos ||
        reasoning.find(special) != std::string::npos) {
      return Malformed(absl::StrCat("special text ", ToAbsl(special), " inside the content"));
    }
  }
  message.content = summary;
  message.reasoning_content = reasoning;
  return message;
}

}  // namespace dsc
