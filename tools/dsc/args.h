// A small declarative command-line parser for dsc subcommands: each subcommand declares its
// flags (with help text) and gets --help, unknown-flag and bad-value errors for free.
#ifndef DSC_TOOLS_DSC_ARGS_H_
#define DSC_TOOLS_DSC_ARGS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace dsc::cli {

class ArgParser {
 public:
  // `command` is e.g. "dsc tokenize"; `synopsis` is the one-line usage after it;
  // `description` is printed under it in --help.
  ArgParser(std::string command, std::string synopsis, std::string description);

  // Flags. `names` is "-m,--model" or "--json". `value_name` appears in --help.
  void AddString(const std::string& names, const std::string& value_name, std::string* out,
                 const std::string& help);
  void AddInt(const std::string& names, const std::string& value_name, int64_t* out,
              const std::string& help);
  void AddDouble(const std::string& names, const std::string& value_name, double* out,
                 const std::string& help);
  void AddBool(const std::string& names, bool* out, const std::string& help);
  // A flag whose value must be one of `choices`.
  void AddChoice(const std::string& names, const std::vector<std::string>& choices,
                 std::string* out, const std::string& help);
  // Bare (non-flag) arguments are collected here; without it they are an error.
  void AllowPositional(const std::string& value_name, std::vector<std::string>* out);

  // Parses args (not including the program and subcommand names). Returns InvalidArgument on a
  // bad flag or value. Sets help_requested() for -h/--help.
  absl::Status Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_requested_; }
  // True when the flag (any of its names) appeared on the command line.
  bool Seen(const std::string& name) const;

  std::string Help() const;

 private:
  struct Flag {
    std::vector<std::string> names;
    std::string value_name;  // empty for boolean flags
    std::string help;
    std::function<absl::Status(const std::string&)> set;
    bool seen = false;
  };
  Flag* FindFlag(const std::string& name);

  std::string command_, synopsis_, description_;
  std::vector<Flag> flags_;
  std::string positional_name_;
  std::vector<std::string>* positional_ = nullptr;
  bool help_requested_ = false;
};

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_ARGS_H_
