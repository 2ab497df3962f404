// UTF-8 validation and lossy decoding (Unicode Table 3-7 well-formedness, "maximal subpart"
// replacement as in Rust's from_utf8_lossy and the WHATWG encoding standard).
#include "frontend/tokenizer/utf8.h"

namespace dsc::utf8 {
namespace {

// Outcome of looking at the sequence starting at bytes[pos].
struct SequenceScan {
  enum Kind { kValid, kInvalid, kTruncated } kind;
  // kValid: length of the character. kInvalid: length of the maximal ill-formed subpart to
  // replace by one U+FFFD (at least 1). kTruncated: bytes available (a valid prefix).
  int length;
};

// Range a byte at position 1 of a sequence with this lead byte must lie in (Table 3-7).
inline bool SecondByteOk(unsigned char lead, unsigned char b) {
  switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return b >= 0x80 && b <= 0xBF;
  }
}

inline bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

SequenceScan Scan(std::string_view bytes, size_t pos) {
  const unsigned char lead = static_cast<unsigned char>(bytes[pos]);
  if (lead < 0x80) return {SequenceScan::kValid, 1};
  int need;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
  } else {
    return {SequenceScan::kInvalid, 1};  // 80..C1, F5..FF never start a character
  }
  const size_t available = bytes.size() - pos;
  for (int i = 1; i < need; ++i) {
    if (static_cast<size_t>(i) >= available) return {SequenceScan::kTruncated, i};
    const unsigned char b = static_cast<unsigned char>(bytes[pos + i]);
    const bool ok = i == 1 ? SecondByteOk(lead, b) : IsContinuation(b);
    if (!ok) return {SequenceScan::kInvalid, i};
  }
  return {SequenceScan::kValid, need};
}

}  // namespace

size_t FirstInvalidOffset(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const SequenceScan scan = Scan(text, pos);
    if (scan.kind != SequenceScan::kValid) return pos;
    pos += scan.length;
  }
  return text.size();
}

bool IsValid(std::string_view text) { return FirstInvalidOffset(text) == text.size(); }

size_t AppendLossy(std::string_view bytes, bool final_chunk, std::string* out) {
  size_t pos = 0;
  size_t run_start = 0;  // start of the pending run of valid bytes not yet appended
  while (pos < bytes.size()) {
    if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const SequenceScan scan = Scan(bytes, pos);
    if (scan.kind == SequenceScan::kValid) {
      pos += scan.length;
      continue;
    }
    out->append(bytes.substr(run_start, pos - run_start));
    if (scan.kind == SequenceScan::kTruncated && !final_chunk) return pos;
    AppendCodePoint(kReplacementCharacter, out);
    pos += scan.length;
    run_start = pos;
  }
  out->append(bytes.substr(run_start, pos - run_start));
  return bytes.size();
}

std::string Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  AppendLossy(bytes, /*final_chunk=*/true, &out);
  return out;
}

void AppendCodePoint(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int DecodeAt(std::string_view text, size_t pos, char32_t* code_point) {
  const unsigned char lead = static_cast<unsigned char>(text[pos]);
  const int length = SequenceLength(lead);
  char32_t cp = length == 1 ? lead : length == 2 ? (lead & 0x1F) : length == 3 ? (lead & 0x0F)
                                                                               : (lead & 0x07);
  for (int i = 1; i < length; ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
  }
  *code_point = cp;
  return length;
}

bool IsWhitespace(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

}  // namespace dsc::utf8
