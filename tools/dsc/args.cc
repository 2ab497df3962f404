// Implementation of the declarative flag parser used by every dsc subcommand.
#include "tools/dsc/args.h"

#include <cerrno>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace dsc::cli {

ArgParser::ArgParser(std::string command, std::string synopsis, std::string description)
    : command_(std::move(command)),
      synopsis_(std::move(synopsis)),
      description_(std::move(description)) {}

namespace {
std::vector<std::string> SplitNames(const std::string& names) {
  return absl::StrSplit(names, ',', absl::SkipEmpty());
}
}  // namespace

void ArgParser::AddString(const std::string& names, const std::string& value_name,
                          std::string* out, const std::string& help) {
  flags_.push_back({SplitNames(names), value_name, help, [out](const std::string& v) {
                      *out = v;
                      return absl::OkStatus();
                    }});
}

void ArgParser::AddInt(const std::string& names, const std::string& value_name, int64_t* out,
                       const std::string& help) {
  std::string flag = SplitNames(names).back();
  flags_.push_back({SplitNames(names), value_name, help, [out, flag](const std::string& v) {
                      if (!absl::SimpleAtoi(v, out)) {
                        return absl::InvalidArgumentError(
                            absl::StrCat(flag, ": expected an integer, got '", v, "'"));
                      }
                      return absl::OkStatus();
                    }});
}

void ArgParser::AddDouble(const std::string& names, const std::string& value_name, double* out,
                          const std::string& help) {
  std::string flag = SplitNames(names).back();
  flags_.push_back({SplitNames(names), value_name, help, [out, flag](const std::string& v) {
                      if (!absl::SimpleAtod(v, out)) {
                        return absl::InvalidArgumentError(
                            absl::StrCat(flag, ": expected a number, got '", v, "'"));
                      }
                      return absl::OkStatus();
                    }});
}

void ArgParser::AddBool(const std::string& names, bool* out, const std::string& help) {
  flags_.push_back({SplitNames(names), "", help, [out](const std::string&) {
                      *out = true;
                      return absl::OkStatus();
                    }});
}

void ArgParser::AddChoice(const std::string& names, const std::vector<std::string>& choices,
                          std::string* out, const std::string& help) {
  std::string flag = SplitNames(names).back();
  std::string joined = absl::StrJoin(choices, "|");
  flags_.push_back({SplitNames(names), joined, help, [out, flag, choices, joined](const std::string& v) {
                      for (const auto& c : choices) {
                        if (c == v) {
                          *out = v;
                          return absl::OkStatus();
                        }
                      }
                      return absl::InvalidArgumentError(
                          absl::StrCat(flag, ": expected one of ", joined, ", got '", v, "'"));
                    }});
}

void ArgParser::AllowPositional(const std::string& value_name, std::vector<std::string>* out) {
  positional_name_ = value_name;
  positional_ = out;
}

ArgParser::Flag* ArgParser::FindFlag(const std::string& name) {
  for (auto& f : flags_) {
    for (const auto& n : f.names) {
      if (n == name) return &f;
    }
  }
  return nullptr;
}

bool ArgParser::Seen(const std::string& name) const {
  for (const auto& f : flags_) {
    for (const auto& n : f.names) {
      if (n == name) return f.seen;
    }
  }
  return false;
}

absl::Status ArgParser::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      help_requested_ = true;
      return absl::OkStatus();
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
      if (positional_ == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(command_, ": unexpected argument '", arg, "' (see --help)"));
      }
      positional_->push_back(arg);
      continue;
    }
    std::string name = arg, value;
    bool inline_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    Flag* flag = FindFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(command_, ": unknown flag '", name, "' (see --help)"));
    }
    if (!flag->value_name.empty() && !inline_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(command_, ": flag ", name, " needs a value ", flag->value_name));
      }
      value = args[++i];
    } else if (flag->value_name.empty() && inline_value) {
      return absl::InvalidArgumentError(
          absl::StrCat(command_, ": flag ", name, " takes no value"));
    }
    flag->seen = true;
    if (absl::Status s = flag->set(value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(command_, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::string ArgParser::Help() const {
  std::string out = absl::StrCat("usage: ", command_, " ", synopsis_, "\n");
  if (!description_.empty()) absl::StrAppend(&out, "\n", description_, "\n");
  absl::StrAppend(&out, "\noptions:\n");
  for (const auto& f : flags_) {
    std::string left = absl::StrCat("  ", absl::StrJoin(f.names, ", "));
    if (!f.value_name.empty()) absl::StrAppend(&left, " ", f.value_name);
    if (left.size() < 30) left.resize(30, ' ');
    else absl::StrAppend(&left, "\n", std::string(30, ' '));
    absl::StrAppend(&out, left, f.help, "\n");
  }
  absl::StrAppend(&out, "  -h, --help                  show this help\n");
  return out;
}

}  // namespace dsc::cli
