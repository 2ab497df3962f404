// The DeepSeek V3 Jinja chat template (chat.md §8): its examples and its tool-call quirks.
#include <string>
#include <vector>

#include "frontend/tokenizer/chat_encoding.h"
#include "gtest/gtest.h"

namespace dsc {
namespace {

ChatMessage Turn(std::string role, std::optional<std::string> content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

std::string Render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  absl::StatusOr<std::string> text = RenderChatTemplateV3(messages, add_generation_prompt);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.value_or("");
}

TEST(ChatTemplateV3Test, SpecExamples) {
  EXPECT_EQ(Render({Turn("user", "Hi")}, true),
            "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>");
  EXPECT_EQ(Render({Turn("system", "You are helpful."), Turn("user", "Hi"),
                    Turn("assistant", "Hello!"), Turn("user", "2+2?")},
                   true),
            "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>Hi<｜Assistant｜>Hello!"
            "<｜end▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜>");
  EXPECT_EQ(Render({Turn("system", "A"), Turn("system", "B"), Turn("user", "Hi")}, false),
            "<｜begin▁of▁sentence｜>A\n\nB<｜User｜>Hi");
}

TEST(ChatTemplateV3Test, ToolCallsAndOutputsWithTheTemplatesQuirks) {
  ChatMessage calls = Turn("assistant", std::nullopt);
  calls.tool_calls = {{"f", "{\"a\": 1}"}, {"g", "{}"}};
  ChatMessage second_turn = Turn("assistant", std::nullopt);
  second_turn.tool_calls = {{"h", "{}"}};
  const std::string text =
      Render({Turn("user", "Hi"), calls, Turn("tool", "r1"), Turn("tool", "r2"),
              Turn("assistant", "done"), Turn("user", "again"), second_turn, Turn("tool", "r3")},
             true);
  EXPECT_EQ(text,
            "<｜begin▁of▁sentence｜><｜User｜>Hi"
            "<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n"
            "```json\n{\"a\": 1}\n```<｜tool▁call▁end｜>"
            "\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>g\n```json\n{}\n```<｜tool▁call▁end｜>"
            "<｜tool▁calls▁end｜><｜end▁of▁sentence｜>"
            "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>r1<｜tool▁output▁end｜>"
            "\n<｜tool▁output▁begin｜>r2<｜tool▁output▁end｜>"
            "<｜tool▁outputs▁end｜>done<｜end▁of▁sentence｜>"
            "<｜User｜>again"
            // is_first is never reset: the second turn's call lacks the opening tags.
            "\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>h\n```json\n{}\n```<｜tool▁call▁end｜>"
            "<｜tool▁calls▁end｜><｜end▁of▁sentence｜>"
            // is_output_first is never reset either.
            "\n<｜tool▁output▁begin｜>r3<｜tool▁output▁end｜>"
            // Ending on a tool result: outputs closed, no generation prompt.
            "<｜tool▁outputs▁end｜>");
}

TEST(ChatTemplateV3Test, MissingContentIsAnError) {
  EXPECT_FALSE(
      RenderChatTemplateV3(std::vector<ChatMessage>{Turn("user", std::nullopt)}, true).ok());
}

}  // namespace
}  // namespace dsc
