// Oniguruma -> PCRE2 pattern translation and the PCRE2 (JIT) matcher behind every Split.
#include "frontend/tokenizer/regex.h"

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/tokenizer/string_view_compat.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace dsc::tokenizer_internal {
namespace {

// Code points that Unicode 15.0 assigned to a category group and that PCRE2 10.42 (Unicode
// 14.0) still treats as unassigned. Computed by comparing ICU 72 (Unicode 15.0)
// u_charType() with PCRE2's \p{..} over all code points; Unicode 15 only added characters,
// it re-categorised none, so adding these ranges is exact.
constexpr std::string_view kUnicode15Letters =
    R"(\x{1123F}-\x{11240}\x{11F02}\x{11F04}-\x{11F10}\x{11F12}-\x{11F33}\x{1342F})"
    R"(\x{13441}-\x{13446}\x{1B132}\x{1B155}\x{1DF25}-\x{1DF2A}\x{1E030}-\x{1E06D})"
    R"(\x{1E4D0}-\x{1E4EB}\x{2B739}\x{31350}-\x{323AF})";
constexpr std::string_view kUnicode15Marks =
    R"(\x{0CF3}\x{0ECE}\x{10EFD}-\x{10EFF}\x{11241}\x{11F00}-\x{11F01}\x{11F03})"
    R"(\x{11F34}-\x{11F3A}\x{11F3E}-\x{11F42}\x{13440}\x{13447}-\x{13455}\x{1E08F})"
    R"(\x{1E4EC}-\x{1E4EF})";
constexpr std::string_view kUnicode15DecimalNumbers = R"(\x{11F50}-\x{11F59}\x{1E4F0}-\x{1E4F9})";
constexpr std::string_view kUnicode15Numbers =
    R"(\x{11F50}-\x{11F59}\x{1D2C0}-\x{1D2D3}\x{1E4F0}-\x{1E4F9})";
constexpr std::string_view kUnicode15Punctuation = R"(\x{11B00}-\x{11B09}\x{11F43}-\x{11F4F})";
constexpr std::string_view kUnicode15Symbols =
    R"(\x{1F6DC}\x{1F774}-\x{1F776}\x{1F77B}-\x{1F77F}\x{1F7D9}\x{1FA75}-\x{1FA77})"
    R"(\x{1FA87}-\x{1FA88}\x{1FAAD}-\x{1FAAF}\x{1FABB}-\x{1FABD}\x{1FABF})"
    R"(\x{1FACE}-\x{1FACF}\x{1FADA}-\x{1FADB}\x{1FAE8}\x{1FAF7}-\x{1FAF8})";

// Oniguruma's Unicode \s: White_Space minus nothing PCRE2 would add (U+0009-U+000D, U+0085, Z).
constexpr std::string_view kSpaceItems = R"(\x{9}-\x{D}\x{85}\p{Z})";
constexpr std::string_view kHexDigitItems = "0-9a-fA-F";

// A Unicode property as PCRE2 spells it, and the code points Unicode 15 added to it.
struct Property {
  std::string_view name;
  std::string_view unicode15_additions;

  // The property as bracket-class items (no brackets).
  std::string Items() const { return absl::StrCat("\\p{", ToAbsl(name), "}", ToAbsl(unicode15_additions)); }
};

Property LookUpProperty(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kAliases = {{
      {"Letter", "L"}, {"Mark", "M"}, {"Number", "N"}, {"Punctuation", "P"}, {"Symbol", "S"},
      {"Separator", "Z"}, {"Other", "C"}, {"Decimal_Number", "Nd"}, {"Digit", "Nd"},
      {"Combining_Mark", "M"}, {"Punct", "P"}, {"Space_Separator", "Zs"},
  }};
  for (const auto& [alias, short_name] : kAliases) {
    if (name == alias) name = short_name;
  }
  if (name == "L") return {name, kUnicode15Letters};
  if (name == "M") return {name, kUnicode15Marks};
  if (name == "N") return {name, kUnicode15Numbers};
  if (name == "Nd") return {name, kUnicode15DecimalNumbers};
  if (name == "P") return {name, kUnicode15Punctuation};
  if (name == "S") return {name, kUnicode15Symbols};
  return {name, ""};
}

// Class items for a shorthand escape letter (lower case = positive form).
std::string ShorthandItems(char lower) {
  switch (lower) {
    case 's': return std::string(kSpaceItems);
    case 'd': return LookUpProperty("Nd").Items();
    case 'w': return absl::StrCat(LookUpProperty("L").Items(), LookUpProperty("M").Items(),
                                  LookUpProperty("Nd").Items(), "\\p{Pc}");
    default: return std::string(kHexDigitItems);  // 'h'
  }
}

bool IsShorthand(char c) {
  return c == 's' || c == 'S' || c == 'd' || c == 'D' || c == 'w' || c == 'W' || c == 'h' ||
         c == 'H';
}

struct PcreCodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct PcreMatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

}  // namespace

absl::StatusOr<std::string> TranslateOnigurumaToPcre2(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() * 2);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      if (IsShorthand(e)) {
        const bool negated = e >= 'A' && e <= 'Z';
        const std::string items = ShorthandItems(static_cast<char>(e | 0x20));
        if (in_class && negated) {
          return absl::UnimplementedError(
              absl::StrCat("regex: \\", std::string(1, e), " inside a bracket class"));
        }
        if (in_class) {
          out += items;
        } else {
          absl::StrAppend(&out, negated ? "[^" : "[", items, "]");
        }
        continue;
      }
      if ((e == 'p' || e == 'P') && i + 1 < pattern.size() && pattern[i + 1] == '{') {
        const size_t close = pattern.find('}', i + 2);
        if (close == std::string_view::npos) {
          return absl::InvalidArgumentError("regex: unterminated \\p{ in pattern");
        }
        std::string_view name = pattern.substr(i + 2, close - i - 2);
        bool negated = e == 'P';
        if (!name.empty() && name[0] == '^') {
          negated = !negated;
          name.remove_prefix(1);
        }
        i = close;
        const Property property = LookUpProperty(name);
        if (property.unicode15_additions.empty()) {
          absl::StrAppend(&out, negated ? "\\P{" : "\\p{", ToAbsl(property.name), "}");
        } else if (in_class && negated) {
          return absl::UnimplementedError(
              absl::StrCat("regex: negated \\p{", ToAbsl(name), "} inside a bracket class"));
        } else if (in_class) {
          out += property.Items();
        } else {
          absl::StrAppend(&out, negated ? "[^" : "[", property.Items(), "]");
        }
        continue;
      }
      if (e == 'u' && i + 4 < pattern.size()) {  // Ruby \uHHHH
        absl::StrAppend(&out, "\\x{", ToAbsl(pattern.substr(i + 1, 4)), "}");
        i += 4;
        continue;
      }
      out += '\\';
      out += e;
      continue;
    }
    if (in_class) {
      if (c == '[') {
        if (i + 1 < pattern.size() && pattern[i + 1] == ':') {  // POSIX [:alpha:]
          const size_t close = pattern.find(":]", i + 2);
          if (close == std::string_view::npos) {
            return absl::InvalidArgumentError("regex: unterminated POSIX class");
          }
          out += pattern.substr(i, close + 2 - i);
          i = close + 1;
          continue;
        }
        return absl::UnimplementedError("regex: nested bracket classes are not supported");
      }
      if (c == '&' && i + 1 < pattern.size() && pattern[i + 1] == '&') {
        return absl::UnimplementedError("regex: class intersection (&&) is not supported");
      }
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    out += c;
    if (c == '[') {
      in_class = true;
      // A ']' right after '[' or '[^' is a literal member.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
    }
  }
  if (in_class) return absl::InvalidArgumentError("regex: unterminated bracket class");
  return out;
}

struct Regex::Compiled {
  std::unique_ptr<pcre2_code, PcreCodeDeleter> code;
  bool jit = false;
};

absl::StatusOr<Regex> Regex::Compile(std::string_view pcre2_pattern, uint32_t options) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pcre2_pattern.data()), pcre2_pattern.size(),
                    options, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    std::array<PCRE2_UCHAR, 256> message{};
    pcre2_get_error_message(error_code, message.data(), message.size());
    return absl::InvalidArgumentError(
        absl::StrCat("regex does not compile at offset ", error_offset, ": ",
                     reinterpret_cast<const char*>(message.data())));
  }
  auto compiled = std::make_shared<Compiled>();
  compiled->code.reset(code);
  compiled->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return Regex(std::move(compiled));
}

absl::StatusOr<Regex> Regex::CompileOniguruma(std::string_view pattern) {
  absl::StatusOr<std::string> translated = TranslateOnigurumaToPcre2(pattern);
  if (!translated.ok()) return translated.status();
  // Ruby syntax: ^ and $ are line anchors; '.' does not match '\n'.
  return Compile(*translated, PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE);
}

absl::StatusOr<Regex> Regex::CompileLiteral(std::string_view literal) {
  return Compile(literal, PCRE2_UTF | PCRE2_LITERAL);
}

bool Regex::Find(std::string_view subject, size_t start, size_t* match_begin,
                 size_t* match_end) const {
  // One match data per thread serves every pattern: only the overall match is read.
  thread_local std::unique_ptr<pcre2_match_data, PcreMatchDataDeleter> match_data(
      pcre2_match_data_create(1, nullptr));
  const auto* data = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = PCRE2_ERROR_NOMATCH;
  if (compiled_->jit) {
    rc = pcre2_jit_match(compiled_->code.get(), data, subject.size(), start, 0, match_data.get(),
                         nullptr);
  }
  if (!compiled_->jit || (rc < 0 && rc != PCRE2_ERROR_NOMATCH)) {
    // No JIT, or the JIT ran out of its stack: the interpreter has no such limit.
    rc = pcre2_match(compiled_->code.get(), data, subject.size(), start, PCRE2_NO_UTF_CHECK,
                     match_data.get(), nullptr);
  }
  if (rc < 0) return false;
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_data.get());
  *match_begin = ovector[0];
  *match_end = ovector[1];
  return true;
}

}  // namespace dsc::tokenizer_internal
