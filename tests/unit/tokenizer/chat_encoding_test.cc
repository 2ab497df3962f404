// The DeepSeek V3.2 chat encoder against every example of chat.md §6, byte for byte, plus the
// rules behind them (context, drop_thinking, errors).
#include "frontend/tokenizer/chat_encoding.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/tokenizer/test_data.h"

namespace dsc {
namespace {

using ::dsc::testing::DeepSeekV3;
using ::testing::HasSubstr;

constexpr ChatEncodeOptions kChat{};
const ChatEncodeOptions kThinking{.mode = ThinkingMode::kThinking};

ChatMessage Msg(std::string role, std::optional<std::string> content,
                std::optional<std::string> reasoning = std::nullopt) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  m.reasoning_content = std::move(reasoning);
  return m;
}

std::string Encode(const std::vector<ChatMessage>& messages, const ChatEncodeOptions& options) {
  absl::StatusOr<std::string> prompt = EncodeChatV32(messages, options);
  EXPECT_TRUE(prompt.ok()) << prompt.status();
  return prompt.value_or("");
}

// chat.md §3 TOOLS_BLOCK, written out here independently of the encoder's copy.
std::string ToolsBlock(const std::string& schemas) {
  return "## Tools\n\n"
         "You have access to a set of tools you can use to answer the user's question.\n"
         "You can invoke functions by writing a \"<｜DSML｜function_calls>\" block like the "
         "following as part of your reply to the user:\n"
         "<｜DSML｜function_calls>\n"
         "<｜DSML｜invoke name=\"$FUNCTION_NAME\">\n"
         "<｜DSML｜parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE"
         "</｜DSML｜parameter>\n...\n</｜DSML｜invoke>\n"
         "<｜DSML｜invoke name=\"$FUNCTION_NAME2\">\n...\n</｜DSML｜invoke>\n"
         "</｜DSML｜function_calls>\n\n"
         "String and scalar parameters should be specified as is without any escaping or "
         "quotes, while lists and objects should use JSON format. The \"string\" attribute "
         "should be set to \"true\" for string type parameters and \"false\" for other types "
         "(numbers, booleans, arrays, objects).\n\n"
         "If the thinking_mode is enabled, then after function results you should strongly "
         "consider outputting a thinking block. Here is an example:\n\n"
         "<｜DSML｜function_calls>\n...\n</｜DSML｜function_calls>\n\n"
         "<function_results>\n...\n</function_results>\n\n"
         "<think>...thinking about results</think>\n\n"
         "Here are the functions available in JSONSchema format:\n<functions>\n" +
         schemas + "\n</functions>\n";
}

const char* kWeatherTool =
    R"([{"type": "function", "function": {"name": "get_weather", "description": "Get weather",)"
    R"( "parameters": {"type": "object", "properties": {"city": {"type": "string"}},)"
    R"( "required": ["city"]}}}])";
const char* kWeatherSchema =
    R"({"name": "get_weather", "description": "Get weather", "parameters": {"type": "object",)"
    R"( "properties": {"city": {"type": "string"}}, "required": ["city"]}})";

ChatMessage ToolCallMessage(std::optional<std::string> reasoning,
                            const std::vector<std::string>& cities) {
  ChatMessage m = Msg("assistant", std::nullopt, std::move(reasoning));
  for (const std::string& city : cities) {
    m.tool_calls.push_back({"get_weather", "{\"city\": \"" + city + "\"}"});
  }
  return m;
}

std::string Invoke(const std::string& city) {
  return "<｜DSML｜invoke name=\"get_weather\">\n<｜DSML｜parameter name=\"city\" "
         "string=\"true\">" + city + "</｜DSML｜parameter>\n</｜DSML｜invoke>";
}

TEST(ChatEncodingTest, Example1ChatMode) {
  const std::vector<ChatMessage> messages = {Msg("user", "What is 2+2?")};
  const std::string prompt = Encode(messages, kChat);
  EXPECT_EQ(prompt, "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜></think>");
  EXPECT_EQ(DeepSeekV3().Encode(prompt),
            (std::vector<int32_t>{0, 128803, 3085, 344, 223, 20, 13, 20, 33, 128804, 1718,
                                  37947, 32}));
}

TEST(ChatEncodingTest, Example2ThinkingMode) {
  EXPECT_EQ(Encode({Msg("user", "What is 2+2?")}, kThinking),
            "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>");
}

TEST(ChatEncodingTest, Example3MultiTurn) {
  const std::vector<ChatMessage> messages = {
      Msg("system", "You are a helpful assistant."), Msg("user", "Hi"),
      Msg("assistant", "Hello! How can I help?", "Greet back."), Msg("user", "Tell me a joke.")};
  const std::string chat =
      "<｜begin▁of▁sentence｜>You are a helpful assistant.<｜User｜>Hi<｜Assistant｜></think>"
      "Hello! How can I help?<｜end▁of▁sentence｜><｜User｜>Tell me a joke.<｜Assistant｜></think>";
  EXPECT_EQ(Encode(messages, kChat), chat);
  EXPECT_EQ(Encode(messages, kThinking), chat.substr(0, chat.size() - 8) + "<think>");
}

TEST(ChatEncodingTest, Example4ThinkingWithATool) {
  ChatMessage system = Msg("system", "");
  system.tools_json = kWeatherTool;
  ChatMessage call = Msg("assistant", std::nullopt, "Need tool.");
  call.tool_calls.push_back({"get_weather", R"({"city": "Paris", "days": 2})"});
  const std::vector<ChatMessage> messages = {system, Msg("user", "Weather in Paris?"), call,
                                             Msg("tool", R"({"temp": 20})")};
  EXPECT_EQ(Encode(messages, kThinking),
            "<｜begin▁of▁sentence｜>\n\n" + ToolsBlock(kWeatherSchema) +
                "<｜User｜>Weather in Paris?<｜Assistant｜><think>Need tool.</think>\n\n"
                "<｜DSML｜function_calls>\n"
                "<｜DSML｜invoke name=\"get_weather\">\n"
                "<｜DSML｜parameter name=\"city\" string=\"true\">Paris</｜DSML｜parameter>\n"
                "<｜DSML｜parameter name=\"days\" string=\"false\">2</｜DSML｜parameter>\n"
                "</｜DSML｜invoke>\n"
                "</｜DSML｜function_calls><｜end▁of▁sentence｜>\n\n"
                "<function_results>\n"
                "<result>{\"temp\": 20}</result>\n"
                "</function_results>\n\n"
                "<think>");
}

TEST(ChatEncodingTest, Example5MultiTurnThinking) {
  // Shaped like the release's test conversation: a first user turn with tool calls and an
  // answer, then a second (last) user turn with two parallel calls and an answer.
  ChatMessage system = Msg("system", "S");
  system.tools_json = kWeatherTool;
  const std::vector<ChatMessage> messages = {
      system,
      Msg("user", "Weather in Paris?"),
      ToolCallMessage("R1", {"Paris"}),
      Msg("tool", R"({"temp": 20})"),
      Msg("assistant", "It is 20.", "R2"),
      Msg("user", "And Rome and Milan?"),
      ToolCallMessage("R3", {"Rome", "Milan"}),
      Msg("tool", R"({"temp": 25})"),
      Msg("tool", R"({"temp": 22})"),
      Msg("assistant", "Rome 25, Milan 22.", "R4"),
  };
  const std::string expected =
      "<｜begin▁of▁sentence｜>S\n\n" + ToolsBlock(kWeatherSchema) +
      // Before the last user turn: closed thinking, reasoning dropped.
      "<｜User｜>Weather in Paris?<｜Assistant｜></think>"
      "\n\n<｜DSML｜function_calls>\n" + Invoke("Paris") +
      "\n</｜DSML｜function_calls><｜end▁of▁sentence｜>"
      "\n\n<function_results>\n<result>{\"temp\": 20}</result>\n</function_results>\n\n</think>"
      "It is 20.<｜end▁of▁sentence｜>"
      // After it: <think> opens, each assistant turn renders reasoning</think>.
      "<｜User｜>And Rome and Milan?<｜Assistant｜><think>R3</think>"
      "\n\n<｜DSML｜function_calls>\n" + Invoke("Rome") + "\n" + Invoke("Milan") +
      "\n</｜DSML｜function_calls><｜end▁of▁sentence｜>"
      "\n\n<function_results>\n<result>{\"temp\": 25}</result>"
      "\n<result>{\"temp\": 22}</result>\n</function_results>\n\n<think>"
      "R4</think>Rome 25, Milan 22.<｜end▁of▁sentence｜>";
  EXPECT_EQ(Encode(messages, kThinking), expected);
}

TEST(ChatEncodingTest, ContextIsCountedButNotRendered) {
  const std::vector<ChatMessage> all = {Msg("user", "Hi"), Msg("assistant", "Hello!"),
                                        Msg("user", "Bye")};
  const std::string whole = Encode(all, kChat);
  const std::vector<ChatMessage> head(all.begin(), all.begin() + 2);
  const std::vector<ChatMessage> tail(all.begin() + 2, all.end());
  ChatEncodeOptions continued = kChat;
  continued.context = head;
  EXPECT_EQ(Encode(head, kChat) + Encode(tail, continued), whole);
  EXPECT_EQ(Encode(tail, continued), "<｜User｜>Bye<｜Assistant｜></think>");  // no BOS
}

TEST(ChatEncodingTest, SystemWithResponseFormatAndDeveloper) {
  ChatMessage system = Msg("system", "Be terse.");
  system.response_format_json = R"({"type": "json_object", "strict": true})";
  ChatMessage developer = Msg("developer", "List three colours.");
  EXPECT_EQ(Encode({system, developer}, kThinking),
            "<｜begin▁of▁sentence｜>Be terse.\n\n## Response Format:\n\nYou MUST strictly adhere "
            "to the following schema to reply:\n{\"type\": \"json_object\", \"strict\": true}"
            "<｜User｜>\n\n# The user's message is: List three colours.<｜Assistant｜><think>");
}

TEST(ChatEncodingTest, DropThinkingDropsEarlierDeveloperMessages) {
  // The reference then indexes past the end of the shortened list; we report it.
  const std::vector<ChatMessage> messages = {Msg("developer", "D"), Msg("user", "U")};
  absl::StatusOr<std::string> prompt = EncodeChatV32(messages, kThinking);
  EXPECT_FALSE(prompt.ok());
  EXPECT_THAT(std::string(prompt.status().message()), HasSubstr("drop_thinking"));
  ChatEncodeOptions keep = kThinking;
  keep.drop_thinking = false;
  EXPECT_EQ(Encode(messages, keep),
            "<｜begin▁of▁sentence｜><｜User｜>\n\n# The user's message is: D<｜Assistant｜></think>"
            "<｜User｜>U<｜Assistant｜><think>");
}

TEST(ChatEncodingTest, ErrorsNameTheMessage) {
  auto error = [](const std::vector<ChatMessage>& messages, const ChatEncodeOptions& options) {
    absl::StatusOr<std::string> prompt = EncodeChatV32(messages, options);
    EXPECT_FALSE(prompt.ok());
    return std::string(prompt.status().message());
  };
  EXPECT_THAT(error({Msg("robot", "x")}, kChat), HasSubstr("message 0: unknown role \"robot\""));
  EXPECT_THAT(error({Msg("user", "x"), Msg("tool", "r")}, kChat), HasSubstr("message 1"));
  EXPECT_THAT(error({Msg("user", std::nullopt)}, kChat), HasSubstr("message 0"));
  EXPECT_THAT(error({Msg("developer", "")}, kChat), HasSubstr("developer"));
  EXPECT_THAT(error({Msg("user", "x"), Msg("assistant", "y")}, kThinking),
              HasSubstr("reasoning_content or tool_calls"));
  ChatMessage bad_call = ToolCallMessage("r", {"Paris"});
  bad_call.tool_calls[0].arguments = "[1]";
  EXPECT_THAT(error({Msg("user", "x"), bad_call}, kChat), HasSubstr("arguments"));
  EXPECT_THAT(error({Msg("user", "x"), ToolCallMessage("r", {"A"}), Msg("tool", "1"),
                     Msg("tool", "2")},
                    kChat),
              HasSubstr("more tool results than tool calls"));
}

TEST(ChatEncodingTest, MessagesFromOpenAiJson) {
  absl::StatusOr<std::vector<ChatMessage>> messages = ChatMessagesFromJson(R"([
    {"role": "system", "content": null, "tools": [{"type": "function", "function": {"name": "f"}}]},
    {"role": "user", "content": "hi"},
    {"role": "assistant", "content": null, "reasoning_content": "r",
     "tool_calls": [{"id": "x", "type": "function",
                     "function": {"name": "f", "arguments": "{\"a\": 1.0}"}}]}])");
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 3u);
  EXPECT_EQ((*messages)[0].content, std::nullopt);
  EXPECT_EQ((*messages)[0].tools_json, R"([{"type":"function","function":{"name":"f"}}])");
  EXPECT_EQ((*messages)[2].tool_calls[0].arguments, "{\"a\": 1.0}");
  EXPECT_THAT(Encode(*messages, kThinking), HasSubstr("string=\"false\">1.0</"));

  absl::StatusOr<std::vector<ChatMessage>> bad = ChatMessagesFromJson(R"([{"role": 3}])");
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("messages[0].role"));
  bad = ChatMessagesFromJson(R"([{"role": "user", "content": ["parts"]}])");
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("messages[0].content"));
  bad = ChatMessagesFromJson("{");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace dsc
