// The 256-entry byte <-> code point table of the ByteLevel pre-tokenizer and decoder.
#include "frontend/tokenizer/byte_level.h"

#include <array>

#include "frontend/tokenizer/utf8.h"

namespace dsc::byte_level {
namespace {

bool MapsToItself(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

const std::array<char32_t, 256>& ByteTable() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t next_shifted = 0x100;
    for (unsigned b = 0; b < 256; ++b) t[b] = MapsToItself(b) ? b : next_shifted++;
    return t;
  }();
  return table;
}

}  // namespace

char32_t ByteToCodePoint(unsigned char b) { return ByteTable()[b]; }

std::optional<unsigned char> CodePointToByte(char32_t cp) {
  if (cp < 0x100) {
    if (MapsToItself(cp)) return static_cast<unsigned char>(cp);
    return std::nullopt;
  }
  if (cp > 0x143) return std::nullopt;
  // U+0100 + k is the k-th byte (in increasing order) that does not map to itself.
  unsigned remaining = cp - 0x100;
  for (unsigned b = 0; b < 256; ++b) {
    if (MapsToItself(b)) continue;
    if (remaining-- == 0) return static_cast<unsigned char>(b);
  }
  return std::nullopt;
}

std::string Encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) utf8::AppendCodePoint(ByteToCodePoint(static_cast<unsigned char>(c)), &out);
  return out;
}

std::string DecodeToken(std::string_view token) {
  std::string bytes;
  bytes.reserve(token.size());
  for (size_t pos = 0; pos < token.size();) {
    char32_t cp;
    pos += utf8::DecodeAt(token, pos, &cp);
    std::optional<unsigned char> b = CodePointToByte(cp);
    if (!b) return std::string(token);
    bytes.push_back(static_cast<char>(*b));
  }
  return bytes;
}

}  // namespace dsc::byte_level
