// UTF-8 helpers shared by the tokenizer: validation, lossy decoding with Rust
// `String::from_utf8_lossy` rules (also incrementally, for streaming), and code point iteration.
#ifndef DSC_FRONTEND_TOKENIZER_UTF8_H_
#define DSC_FRONTEND_TOKENIZER_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dsc::utf8 {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// True when `text` is well-formed UTF-8 (no surrogates, no overlongs, nothing above U+10FFFF).
bool IsValid(std::string_view text);

// Byte offset of the first ill-formed byte, or text.size() when the text is valid.
size_t FirstInvalidOffset(std::string_view text);

// Appends `bytes` to `out` as UTF-8, replacing every maximal ill-formed subsequence by U+FFFD
// exactly as Rust's `String::from_utf8_lossy` (and Hugging Face decoding) does.
//
// With `final_chunk == false`, a trailing sequence that is a valid prefix of a character (for
// example the first two bytes of an emoji) is NOT consumed: the return value is the number of
// bytes consumed, and the caller keeps the rest for the next call. With `final_chunk == true`
// everything is consumed (an incomplete tail becomes one U+FFFD) and bytes.size() is returned.
size_t AppendLossy(std::string_view bytes, bool final_chunk, std::string* out);

// Returns `bytes` decoded lossily (final chunk).
std::string Lossy(std::string_view bytes);

// Appends the UTF-8 encoding of `code_point` (must be a scalar value) to `out`.
void AppendCodePoint(char32_t code_point, std::string* out);

// Decodes the code point starting at text[pos] of VALID UTF-8 and returns its byte length.
int DecodeAt(std::string_view text, size_t pos, char32_t* code_point);

// Length in bytes of the UTF-8 sequence introduced by lead byte `lead` (1 for ASCII; valid
// input assumed).
inline int SequenceLength(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// Unicode White_Space (what Rust's char::is_whitespace and Oniguruma's Unicode \s accept):
// U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000.
bool IsWhitespace(char32_t code_point);

}  // namespace dsc::utf8

#endif  // DSC_FRONTEND_TOKENIZER_UTF8_H_
