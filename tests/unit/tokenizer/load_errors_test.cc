// Loading: files and directories, tokenizer_config.json, and errors that name the file and
// the field at fault.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "frontend/tokenizer/tokenizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/tokenizer/test_data.h"

namespace dsc {
namespace {

using ::dsc::testing::AddedTokenJson;
using ::dsc::testing::SyntheticTokenizerJson;
using ::testing::HasSubstr;

// A fresh directory (per process: parallel ctest), removed when it goes out of scope.
struct FreshDir {
  explicit FreshDir(const std::string& name)
      : path(std::filesystem::path(::testing::TempDir()) / (name + "_" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~FreshDir() { std::filesystem::remove_all(path); }
  const std::filesystem::path path;
};

void Write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string ErrorOf(const nlohmann::json& json) {
  absl::StatusOr<Tokenizer> t = Tokenizer::FromJson(json.dump(), "", "test.json");
  EXPECT_FALSE(t.ok());
  return t.ok() ? "" : std::string(t.status().message());
}

TEST(LoadTest, FileOrDirectoryWithConfig) {
  const FreshDir fresh("tokenizer_load_dir");
  const std::filesystem::path& dir = fresh.path;
  nlohmann::json json = SyntheticTokenizerJson();
  json["added_tokens"] = {AddedTokenJson(300, "<s>", true), AddedTokenJson(301, "</s>", true),
                          AddedTokenJson(302, "<start>", true)};
  Write(dir / "tokenizer.json", json.dump());
  absl::StatusOr<Tokenizer> t = Tokenizer::Load(dir.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->bos_id(), 300);  // "<s>" by name, without a config
  EXPECT_EQ(t->eos_id(), 301);
  EXPECT_FALSE(t->add_bos_token());
  Write(dir / "tokenizer_config.json",
        R"({"add_bos_token": true, "bos_token": {"content": "<start>"}, "eos_token": "</s>"})");
  t = Tokenizer::Load((dir / "tokenizer.json").string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->bos_id(), 302);
  EXPECT_EQ(t->eos_id(), 301);
  EXPECT_TRUE(t->add_bos_token());
  EXPECT_EQ(t->Encode("hello", {.add_bos = true}).front(), 302);
}

TEST(LoadTest, MissingFiles) {
  absl::StatusOr<Tokenizer> t = Tokenizer::Load("/nonexistent/tokenizer.json");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("/nonexistent/tokenizer.json"));
  const FreshDir empty_dir("tokenizer_load_empty");
  const std::filesystem::path& empty = empty_dir.path;
  t = Tokenizer::Load(empty.string());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("no tokenizer.json"));
}

TEST(LoadTest, MalformedJsonNamesTheFile) {
  const FreshDir fresh("tokenizer_load_malformed");
  const std::filesystem::path& dir = fresh.path;
  Write(dir / "tokenizer.json", R"({"model": {"vocab": )");
  absl::StatusOr<Tokenizer> t = Tokenizer::Load(dir.string());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("tokenizer.json: not valid JSON"));
  Write(dir / "tokenizer.json", SyntheticTokenizerJson().dump());
  Write(dir / "tokenizer_config.json", "{oops");
  t = Tokenizer::Load(dir.string());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("tokenizer_config.json"));
}

TEST(LoadTest, BadFieldsAreNamed) {
  nlohmann::json json = SyntheticTokenizerJson();
  json["model"]["merges"] = {"h zzz"};
  EXPECT_THAT(ErrorOf(json), HasSubstr("test.json: model.merges[0]: token \"zzz\""));
  json = SyntheticTokenizerJson();
  json["model"]["merges"] = {"h e l"};
  EXPECT_THAT(ErrorOf(json), HasSubstr("model.merges[0]: expected \"LEFT RIGHT\""));
  json = SyntheticTokenizerJson();
  json["model"].erase("vocab");
  EXPECT_THAT(ErrorOf(json), HasSubstr("model.vocab"));
  json = SyntheticTokenizerJson();
  json["model"]["vocab"]["a"] = "one";
  EXPECT_THAT(ErrorOf(json), HasSubstr("model.vocab[\"a\"]"));
  json = SyntheticTokenizerJson();
  json["added_tokens"] = {{{"content", "<x>"}}};
  EXPECT_THAT(ErrorOf(json), HasSubstr("added_tokens[0]"));
  json = SyntheticTokenizerJson();
  json["normalizer"] = {{"type", "NFKC"}};
  EXPECT_THAT(ErrorOf(json), HasSubstr("normalizer"));
  json = SyntheticTokenizerJson();
  json["decoder"] = {{"type", "WordPiece"}};
  EXPECT_THAT(ErrorOf(json), HasSubstr("decoder"));
  json = SyntheticTokenizerJson();
  json["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "["}}},
                           {"behavior", "Isolated"}};
  EXPECT_THAT(ErrorOf(json), HasSubstr("pre_tokenizer.pattern"));
  EXPECT_THAT(ErrorOf(nlohmann::json::array()), HasSubstr("expected a JSON object"));
}

TEST(LoadTest, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  nlohmann::json json = SyntheticTokenizerJson();
  json["model"]["vocab"]["hellx"] = 400;  // reachable only as a whole word
  EXPECT_THAT(Tokenizer::FromJson(json.dump())->Encode("hellx"),
              ::testing::ElementsAre(258, 'x'));  // "hell" + "x" by merges
  json["model"]["ignore_merges"] = true;
  EXPECT_THAT(Tokenizer::FromJson(json.dump())->Encode("hellx"), ::testing::ElementsAre(400));
}

}  // namespace
}  // namespace dsc
