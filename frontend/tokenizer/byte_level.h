// The GPT-2 / Hugging Face "ByteLevel" alphabet: every byte maps to one printable code point,
// so that byte strings can be written as vocabulary strings (tokenizer.md §5).
#ifndef DSC_FRONTEND_TOKENIZER_BYTE_LEVEL_H_
#define DSC_FRONTEND_TOKENIZER_BYTE_LEVEL_H_

#include <optional>
#include <string>
#include <string_view>

namespace dsc::byte_level {

// The code point that stands for byte `b`: itself for 0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF; the
// other 68 bytes in increasing order map to U+0100, U+0101, ... U+0143.
char32_t ByteToCodePoint(unsigned char b);

// Inverse of ByteToCodePoint; nullopt for code points outside the 256-symbol alphabet.
std::optional<unsigned char> CodePointToByte(char32_t code_point);

// `bytes` rewritten in the byte-level alphabet (UTF-8 encoded), e.g. " world" -> "Ġworld".
std::string Encode(std::string_view bytes);

// What the ByteLevel decoder makes of one token string: if every character is in the
// alphabet, the bytes they stand for; otherwise the token's own UTF-8 bytes (tokenizer.md §8).
// `token` must be valid UTF-8.
std::string DecodeToken(std::string_view token);

}  // namespace dsc::byte_level

#endif  // DSC_FRONTEND_TOKENIZER_BYTE_LEVEL_H_
