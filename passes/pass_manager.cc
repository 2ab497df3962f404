// Pass manager: pipeline parsing, the verify-after-each-pass loop, printing hooks, statistics.
#include "passes/pass_manager.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/pass_registry.h"

namespace dsc::passes {
namespace {

std::string Trim(std::string_view s) { return std::string(absl::StripAsciiWhitespace(std::string(s))); }

// Splits at commas outside parentheses.
absl::StatusOr<std::vector<std::string>> SplitTopLevel(std::string_view text) {
  std::vector<std::string> items;
  int depth = 0;
  size_t begin = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ',';
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return absl::InvalidArgumentError(absl::StrCat("pipeline: unbalanced ')' in '", std::string(text), "'"));
    if (c == ',' && depth == 0) {
      items.push_back(Trim(text.substr(begin, i - begin)));
      begin = i + 1;
    }
  }
  if (depth != 0) return absl::InvalidArgumentError(absl::StrCat("pipeline: unbalanced '(' in '", std::string(text), "'"));
  return items;
}

}  // namespace

PassManager::PassManager(PassManagerOptions options) : options_(std::move(options)) {}

void PassManager::AddPass(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }

absl::Status PassManager::AddPipeline(std::string_view pipeline) {
  absl::StatusOr<std::vector<std::string>> items = SplitTopLevel(pipeline);
  if (!items.ok()) return items.status();
  for (const std::string& item : *items) {
    if (item.empty()) {
      if (items->size() == 1) continue;  // "" is the empty pipeline
      return absl::InvalidArgumentError(absl::StrCat("pipeline: empty pass name in '", std::string(pipeline), "'"));
    }
    std::string anchor;
    std::string body = item;
    if (item[0] == '@') {
      size_t open = item.find('(');
      if (open == std::string::npos || item.back() != ')') {
        return absl::InvalidArgumentError(absl::StrCat("pipeline: '", item, "' must be @function(pass,...)"));
      }
      anchor = Trim(std::string_view(item).substr(1, open - 1));
      body = item.substr(open + 1, item.size() - open - 2);
      if (anchor.empty()) return absl::InvalidArgumentError(absl::StrCat("pipeline: '", item, "' names no function"));
      if (body.find('(') != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("pipeline: '", item, "': function groups do not nest"));
      }
    }
    absl::StatusOr<std::vector<std::string>> names = anchor.empty() ? std::vector<std::string>{body} : SplitTopLevel(body);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      absl::StatusOr<std::unique_ptr<Pass>> pass = CreatePass(name);
      if (!pass.ok()) return pass.status();
      (*pass)->set_anchor(anchor);
      AddPass(std::move(*pass));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> PassManager::Run(ir::Module& module) {
  records_.clear();
  bool changed = false;
  for (const auto& pass : passes_) {
    pass->ResetStatistics();
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<bool> result = pass->Run(module);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string where = pass->anchor().empty() ? "" : absl::StrCat(" on @", pass->anchor());
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat("pass '", std::string(pass->name()), "'", where, ": ", result.status().message()));
    }
    records_.push_back({std::string(pass->name()), pass->anchor(), *result, seconds, pass->counters(), pass->notes()});
    changed |= *result;
    if (options_.verify_each) {
      if (absl::Status s = ir::Verify(module); !s.ok()) {
        return absl::InternalError(
            absl::StrCat("pass '", std::string(pass->name()), "'", where, " produced invalid IR: ", s.message()));
      }
    }
    const auto& names = options_.print_after;
    if (options_.print_after_all || std::find(names.begin(), names.end(), pass->name()) != names.end()) {
      if (options_.print) {
        options_.print(*pass, module);
      } else {
        std::cerr << "// ----- IR after " << pass->name() << where << " -----\n" << ir::PrintModule(module);
      }
    }
  }
  return changed;
}

std::string PassManager::PipelineString() const {
  std::vector<std::string> items;
  for (size_t i = 0; i < passes_.size();) {
    const std::string& anchor = passes_[i]->anchor();
    if (anchor.empty()) {
      items.emplace_back(passes_[i++]->name());
      continue;
    }
    std::vector<std::string> group;
    for (; i < passes_.size() && passes_[i]->anchor() == anchor; ++i) group.emplace_back(passes_[i]->name());
    items.push_back(absl::StrCat("@", anchor, "(", absl::StrJoin(group, ","), ")"));
  }
  return absl::StrJoin(items, ",");
}

std::string PassManager::StatisticsReport() const {
  std::string out;
  double total = 0;
  for (const PassRecord& r : records_) {
    total += r.seconds;
    std::vector<std::string> parts;
    for (const auto& [what, n] : r.counters) parts.push_back(absl::StrCat(n, " ", what));
    for (const std::string& note : r.notes) parts.push_back(note);
    if (parts.empty()) parts.push_back(r.changed ? "changed" : "no change");
    absl::StrAppend(&out, r.anchor.empty() ? "" : absl::StrCat("@", r.anchor, " "), r.pass, ": ",
                    absl::StrJoin(parts, ", "), absl::StrFormat(" (%.2f ms)", r.seconds * 1e3), "\n");
  }
  absl::StrAppend(&out, absl::StrFormat("total: %d passes, %.2f ms\n", records_.size(), total * 1e3));
  return out;
}

}  // namespace dsc::passes
