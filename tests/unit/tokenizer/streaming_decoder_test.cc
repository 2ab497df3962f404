// StreamingDecoder: multi-byte characters split over byte tokens are held back until complete,
// invalid bytes become U+FFFD, and the stream always adds up to Tokenizer::Decode.
#include "frontend/tokenizer/streaming_decoder.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/tokenizer/test_data.h"

namespace dsc {
namespace {

using ::dsc::testing::DeepSeekV3;

// The id of the single-byte token for byte `b`.
int32_t ByteToken(const Tokenizer& t, unsigned char b) {
  for (int32_t id = 0; id < 256 + 3; ++id) {
    if (t.TokenBytes(id) == std::string(1, static_cast<char>(b))) return id;
  }
  ADD_FAILURE() << "no byte token for " << int{b};
  return -1;
}

std::vector<int32_t> ByteTokens(const Tokenizer& t, std::string_view bytes) {
  std::vector<int32_t> ids;
  for (unsigned char b : bytes) ids.push_back(ByteToken(t, b));
  return ids;
}

TEST(StreamingDecoderTest, EmojiFedOneByteAtATime) {
  const Tokenizer& t = DeepSeekV3();
  StreamingDecoder decoder(t);
  const std::vector<int32_t> ids = ByteTokens(t, "😀");  // F0 9F 98 80
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(decoder.Push(ids[0]), "");
  EXPECT_EQ(decoder.Push(ids[1]), "");
  EXPECT_EQ(decoder.Push(ids[2]), "");
  EXPECT_EQ(decoder.pending_bytes(), 3u);
  EXPECT_EQ(decoder.Push(ids[3]), "😀");
  EXPECT_EQ(decoder.pending_bytes(), 0u);
  EXPECT_EQ(decoder.Finish(), "");
}

TEST(StreamingDecoderTest, CjkAfterAsciiInOneStream) {
  const Tokenizer& t = DeepSeekV3();
  StreamingDecoder decoder(t);
  std::vector<int32_t> ids = {19923};  // "Hello"
  for (int32_t id : ByteTokens(t, "世界")) ids.push_back(id);
  std::vector<std::string> pieces;
  for (int32_t id : ids) pieces.push_back(decoder.Push(id));
  EXPECT_EQ(pieces, (std::vector<std::string>{"Hello", "", "", "世", "", "", "界"}));
}

TEST(StreamingDecoderTest, RealTokensThatSplitCharacters) {
  // Encoding real text produces tokens that end inside a character; whatever the split, the
  // streamed pieces are whole characters and add up to the text.
  const Tokenizer& t = DeepSeekV3();
  for (const std::string text : {"🏳️\u200d🌈 and 🏴\u200d☠️", "ラーメン🍜が食べたい",
                                 "z̴̢̛a̵l̶g̷o̸ zalgo", "鑫淼犇骉", "한글 자모: ㄱ ㄴ ㄷ"}) {
    StreamingDecoder decoder(t);
    std::string streamed;
    for (int32_t id : t.Encode(text)) {
      const std::string piece = decoder.Push(id);
      EXPECT_TRUE(piece.empty() || t.Decode(t.Encode(piece)).value() == piece);
      EXPECT_EQ(piece.find("\uFFFD"), std::string::npos) << text;
      streamed += piece;
    }
    streamed += decoder.Finish();
    EXPECT_EQ(streamed, text);
  }
}

TEST(StreamingDecoderTest, InvalidBytesBecomeReplacementCharacters) {
  const Tokenizer& t = DeepSeekV3();
  StreamingDecoder decoder(t);
  // A stray continuation byte is invalid at once.
  EXPECT_EQ(decoder.Push(ByteToken(t, 0x80)), "\uFFFD");
  // A lead byte followed by ASCII: the lead byte alone is replaced, then the ASCII follows.
  EXPECT_EQ(decoder.Push(ByteToken(t, 0xE4)), "");
  EXPECT_EQ(decoder.Push(ByteToken(t, 'A')), "\uFFFDA");
  // A character cut off by the end of the stream.
  EXPECT_EQ(decoder.Push(ByteToken(t, 0xF0)), "");
  EXPECT_EQ(decoder.Push(ByteToken(t, 0x9F)), "");
  EXPECT_EQ(decoder.Finish(), "\uFFFD");
}

TEST(StreamingDecoderTest, AddsUpToDecodeOnRandomIds) {
  const Tokenizer& t = DeepSeekV3();
  uint32_t state = 12345;
  for (int round = 0; round < 200; ++round) {
    std::vector<int32_t> ids;
    for (int i = 0; i < 20; ++i) {
      state = state * 1664525u + 1013904223u;
      // Mostly byte tokens (ids 3..258) to split characters often, some whole-vocab ids.
      ids.push_back(i % 3 == 0 ? static_cast<int32_t>(state % 129280) : 3 + (state >> 8) % 256);
    }
    StreamingDecoder decoder(t);
    std::string streamed;
    for (int32_t id : ids) streamed += decoder.Push(id);
    streamed += decoder.Finish();
    EXPECT_EQ(streamed, t.Decode(ids).value());
  }
}

TEST(StreamingDecoderTest, SkipSpecialTokens) {
  const Tokenizer& t = DeepSeekV3();
  StreamingDecoder decoder(t, {.skip_special_tokens = true});
  std::string out;
  for (int32_t id : {0, 128803, 6366, 128804, 1}) out += decoder.Push(id);
  EXPECT_EQ(out, "<｜User｜>hi<｜Assistant｜>");
}

}  // namespace
}  // namespace dsc
