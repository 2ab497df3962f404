// Parsing DeepSeek V3.2 replies (chat.md §5): reasoning, content, DSML tool calls, the round
// trip with the encoder, and the malformed outputs the reference rejects.
#include <string>
#include <vector>

#include "frontend/tokenizer/chat_encoding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dsc {
namespace {

using ::testing::HasSubstr;

TEST(ChatReplyTest, ChatModeContent) {
  absl::StatusOr<ChatMessage> reply =
      ParseChatReplyV32("Hello there!<｜end▁of▁sentence｜>", ThinkingMode::kChat);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->role, "assistant");
  EXPECT_EQ(reply->content, "Hello there!");
  EXPECT_EQ(reply->reasoning_content, "");
  EXPECT_TRUE(reply->tool_calls.empty());
}

TEST(ChatReplyTest, ThinkingModeReasoningAndContent) {
  absl::StatusOr<ChatMessage> reply = ParseChatReplyV32(
      "2+2 is basic.</think>The answer is 4.<｜end▁of▁sentence｜>", ThinkingMode::kThinking);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->reasoning_content, "2+2 is basic.");
  EXPECT_EQ(reply->content, "The answer is 4.");
}

TEST(ChatReplyTest, ToolCalls) {
  const std::string completion =
      "Need tool.</think>\n\n<｜DSML｜function_calls>\n"
      "<｜DSML｜invoke name=\"get_weather\">\n"
      "<｜DSML｜parameter name=\"city\" string=\"true\">Paris \"Centre\"</｜DSML｜parameter>\n"
      "<｜DSML｜parameter name=\"days\" string=\"false\">2</｜DSML｜parameter>\n"
      "<｜DSML｜parameter name=\"opts\" string=\"false\">{\"a\": [1, 2]}</｜DSML｜parameter>\n"
      "</｜DSML｜invoke>\n"
      "<｜DSML｜invoke name=\"noop\">\n</｜DSML｜invoke>\n"
      "</｜DSML｜function_calls><｜end▁of▁sentence｜>";
  absl::StatusOr<ChatMessage> reply = ParseChatReplyV32(completion, ThinkingMode::kThinking);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->reasoning_content, "Need tool.");
  EXPECT_EQ(reply->content, "");
  ASSERT_EQ(reply->tool_calls.size(), 2u);
  EXPECT_EQ(reply->tool_calls[0].name, "get_weather");
  EXPECT_EQ(reply->tool_calls[0].arguments,
            R"({"city": "Paris \"Centre\"", "days": 2, "opts": {"a": [1, 2]}})");
  EXPECT_EQ(reply->tool_calls[1].name, "noop");
  EXPECT_EQ(reply->tool_calls[1].arguments, "{}");
}

TEST(ChatReplyTest, RoundTripsThroughTheEncoder) {
  ChatMessage user;
  user.role = "user";
  user.content = "Weather in Paris and Rome?";
  ChatMessage assistant;
  assistant.role = "assistant";
  assistant.reasoning_content = "Two cities, two calls.";
  assistant.tool_calls = {{"get_weather", R"({"city": "Paris", "days": 2})"},
                          {"get_weather", R"({"city": "Rome", "metric": true})"}};
  const std::vector<ChatMessage> context = {user};
  ChatEncodeOptions options{.mode = ThinkingMode::kThinking};
  options.context = context;
  absl::StatusOr<std::string> completion =
      EncodeChatV32(std::vector<ChatMessage>{assistant}, options);
  ASSERT_TRUE(completion.ok()) << completion.status();
  absl::StatusOr<ChatMessage> parsed = ParseChatReplyV32(*completion, ThinkingMode::kThinking);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->reasoning_content, assistant.reasoning_content);
  EXPECT_EQ(parsed->tool_calls, assistant.tool_calls);
}

TEST(ChatReplyTest, MalformedRepliesAreRejected) {
  auto error = [](std::string_view text, ThinkingMode mode) {
    absl::StatusOr<ChatMessage> reply = ParseChatReplyV32(text, mode);
    EXPECT_FALSE(reply.ok()) << text;
    return std::string(reply.status().message());
  };
  EXPECT_THAT(error("no end", ThinkingMode::kChat), HasSubstr("does not end"));
  EXPECT_THAT(error("no close<｜end▁of▁sentence｜>", ThinkingMode::kThinking),
              HasSubstr("</think>"));
  EXPECT_THAT(error("a<｜end▁of▁sentence｜>b", ThinkingMode::kChat), HasSubstr("after"));
  EXPECT_THAT(error("a<think>b<｜end▁of▁sentence｜>", ThinkingMode::kChat),
              HasSubstr("special text"));
  EXPECT_THAT(error("\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"f\">\n"
                    "<｜DSML｜parameter name=\"a\" string=\"true\">1</｜DSML｜parameter>\n"
                    "<｜DSML｜parameter name=\"a\" string=\"true\">2</｜DSML｜parameter>\n"
                    "</｜DSML｜invoke>\n</｜DSML｜function_calls><｜end▁of▁sentence｜>",
                    ThinkingMode::kChat),
              HasSubstr("duplicate parameter"));
  EXPECT_THAT(error("\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke nam=\"f\">\n"
                    "</｜DSML｜invoke>\n</｜DSML｜function_calls><｜end▁of▁sentence｜>",
                    ThinkingMode::kChat),
              HasSubstr("tool name"));
  // A tool call block before </think> in thinking mode.
  EXPECT_FALSE(ParseChatReplyV32("r\n\n<｜DSML｜function_calls>\n</｜DSML｜function_calls>",
                                 ThinkingMode::kThinking)
                   .ok());
}

}  // namespace
}  // namespace dsc
