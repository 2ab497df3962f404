// `dsc tokenize`: prints token ids as JSON arrays, equal to Hugging Face
// `encode(text, add_special_tokens=False)` (cli.md). Input must be valid UTF-8.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/json_strict.h"
#include "frontend/tokenizer/tokenizer.h"
#include "frontend/tokenizer/utf8.h"
#include "nlohmann/json.hpp"
#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {
namespace {

constexpr std::string_view kCommand = "tokenize";

std::string IdsAsJson(const std::vector<int32_t>& ids) {
  return absl::StrCat("[", absl::StrJoin(ids, ","), "]");
}

absl::Status CheckUtf8(std::string_view text, const std::string& where) {
  const size_t bad = utf8::FirstInvalidOffset(text);
  if (bad == text.size()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": not valid UTF-8 (byte offset ", bad, ")"));
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  return frontend::ReadFileToString(path);  // not a directory; a writer-less FIFO reads empty
}

// One JSON array per non-blank line of `path`, each line an object with a string "text".
absl::Status TokenizeJsonLines(const Tokenizer& tokenizer, const std::string& path,
                               EncodeOptions options) {
  // Read whole (frontend::ReadFileToString): a directory is an error naming it and a FIFO
  // without a writer reads as empty instead of blocking; pipes such as /dev/stdin work.
  absl::StatusOr<std::string> contents = frontend::ReadFileToString(path);
  if (!contents.ok()) return contents.status();
  std::istringstream in(*contents);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = absl::StrCat(path, ":", number);
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": not valid JSON: ", e.what()));
    }
    if (!json.is_object() || !json.contains("text") || !json["text"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected an object with a string field \"text\""));
    }
    std::cout << IdsAsJson(tokenizer.Encode(json["text"].get<std::string>(), options)) << "\n";
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return absl::OkStatus();
}

}  // namespace

int RunTokenize(const Args& args) {
  ArgParser parser("dsc tokenize", "--tokenizer PATH (--text TEXT | --file FILE | --jsonl FILE) [--bos]",
                   "Prints token ids as JSON arrays, equal to Hugging Face "
                   "encode(text, add_special_tokens=False): added and special tokens written "
                   "literally in the text are matched as such. Text must be valid UTF-8.");
  std::string tokenizer_path, text, jsonl, file;
  bool bos = false;
  parser.AddString("--tokenizer", "PATH", &tokenizer_path,
                   "tokenizer.json or a directory holding one");
  parser.AddString("--text", "TEXT", &text, "text to tokenize; prints one JSON array");
  parser.AddString("--file", "FILE", &file, "tokenize the whole contents of FILE as one text");
  parser.AddString("--jsonl", "FILE",
                   &jsonl, "objects with a \"text\" field, one per line; prints one JSON array "
                   "per line (blank lines are skipped)");
  parser.AddBool("--bos", &bos, "prepend the BOS id");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;

  const int sources = parser.Seen("--text") + parser.Seen("--file") + parser.Seen("--jsonl");
  if (tokenizer_path.empty() || sources != 1) {
    return ReportError(kCommand, absl::InvalidArgumentError(
                                     "needs --tokenizer PATH and exactly one of --text, --file, "
                                     "--jsonl (see --help)"));
  }
  absl::StatusOr<Tokenizer> tokenizer = Tokenizer::Load(tokenizer_path);
  if (!tokenizer.ok()) return ReportError(kCommand, tokenizer.status());
  if (bos && tokenizer->bos_id() < 0) {
    return ReportError(kCommand, absl::InvalidArgumentError(
                                     absl::StrCat(tokenizer_path, ": the tokenizer has no BOS token")));
  }
  const EncodeOptions options{.add_bos = bos};

  if (parser.Seen("--jsonl")) {
    absl::Status status = TokenizeJsonLines(*tokenizer, jsonl, options);
    std::cout.flush();
    return status.ok() ? kExitOk : ReportError(kCommand, status);
  }
  std::string where = "--text";
  if (parser.Seen("--file")) {
    absl::StatusOr<std::string> contents = ReadWholeFile(file);
    if (!contents.ok()) return ReportError(kCommand, contents.status());
    text = *std::move(contents);
    where = file;
  }
  if (absl::Status s = CheckUtf8(text, where); !s.ok()) return ReportError(kCommand, s);
  std::cout << IdsAsJson(tokenizer->Encode(text, options)) << "\n";
  return kExitOk;
}

}  // namespace dsc::cli
