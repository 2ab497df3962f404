// `dsc detokenize`: prints the text of token ids, as Hugging Face `decode` gives it (cli.md).
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "frontend/tokenizer/tokenizer.h"
#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {
namespace {

constexpr std::string_view kCommand = "detokenize";

// "1,2,3", "1, 2, 3" or "[1,2,3]"; empty means no ids.
absl::StatusOr<std::vector<int32_t>> ParseIds(const std::string& text) {
  absl::string_view list = absl::StripAsciiWhitespace(text);
  if (absl::ConsumePrefix(&list, "[") && !absl::ConsumeSuffix(&list, "]")) {
    return absl::InvalidArgumentError("--ids: '[' without a closing ']'");
  }
  std::vector<int32_t> ids;
  if (absl::StripAsciiWhitespace(list).empty()) return ids;
  int position = 0;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    ++position;
    int32_t id;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(item), &id) || id < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--ids: item ", position, " (\"", item, "\") is not a token id (a non-negative integer)"));
    }
    ids.push_back(id);
  }
  return ids;
}

}  // namespace

int RunDetokenize(const Args& args) {
  ArgParser parser("dsc detokenize", "--tokenizer PATH --ids 1,2,3 [--skip-special]",
                   "Prints the text of token ids exactly (no newline is added). Ids with no "
                   "token decode to nothing, with a warning on stderr.");
  std::string tokenizer_path, ids_text;
  bool skip_special = false;
  parser.AddString("--tokenizer", "PATH", &tokenizer_path,
                   "tokenizer.json or a directory holding one");
  parser.AddString("--ids", "1,2,3", &ids_text, "token ids, comma-separated");
  parser.AddBool("--skip-special", &skip_special,
                 "drop special tokens (BOS, EOS, ...), like skip_special_tokens=True");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (tokenizer_path.empty() || !parser.Seen("--ids")) {
    return ReportError(kCommand, absl::InvalidArgumentError(
                                     "needs --tokenizer PATH and --ids 1,2,3 (see --help)"));
  }
  absl::StatusOr<std::vector<int32_t>> ids = ParseIds(ids_text);
  if (!ids.ok()) return ReportError(kCommand, ids.status());
  absl::StatusOr<Tokenizer> tokenizer = Tokenizer::Load(tokenizer_path);
  if (!tokenizer.ok()) return ReportError(kCommand, tokenizer.status());
  for (int32_t id : *ids) {
    if (!tokenizer->TokenString(id)) {
      std::cerr << "dsc detokenize: warning: id " << id << " has no token (vocabulary size "
                << tokenizer->vocab_size() << "); it decodes to nothing\n";
    }
  }
  absl::StatusOr<std::string> text =
      tokenizer->Decode(*ids, {.skip_special_tokens = skip_special});
  if (!text.ok()) return ReportError(kCommand, text.status());
  std::cout << *text;
  std::cout.flush();
  return kExitOk;
}

}  // namespace dsc::cli
