// The literal strings of the DeepSeek chat formats (chat.md §1), shared by the encoders and
// the reply parser.
#ifndef DSC_FRONTEND_TOKENIZER_CHAT_STRINGS_H_
#define DSC_FRONTEND_TOKENIZER_CHAT_STRINGS_H_

#include <string_view>

namespace dsc::chat_internal {

inline constexpr std::string_view kBos = "<｜begin▁of▁sentence｜>";
inline constexpr std::string_view kEos = "<｜end▁of▁sentence｜>";
inline constexpr std::string_view kUserTag = "<｜User｜>";
inline constexpr std::string_view kAssistantTag = "<｜Assistant｜>";
inline constexpr std::string_view kThinkOpen = "<think>";
inline constexpr std::string_view kThinkClose = "</think>";
inline constexpr std::string_view kDsml = "｜DSML｜";

}  // namespace dsc::chat_internal

#endif  // DSC_FRONTEND_TOKENIZER_CHAT_STRINGS_H_
