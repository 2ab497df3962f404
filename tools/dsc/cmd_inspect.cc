// `dsc inspect -m DIR [--json]`: architecture, layer and expert counts, formats per module
// kind, bytes by dtype, total and active parameters, missing and unexpected tensors (cli.md).
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/inspect.h"
#include "tools/dsc/commands.h"

namespace dsc::cli {

int RunInspect(const Args& args) {
  ArgParser parser("dsc inspect", "-m DIR [--json]",
                   "Architecture, layer and expert counts, tensor formats, bytes by dtype, "
                   "parameter counts, missing and unexpected tensors.");
  std::string model, config;
  bool json = false;
  parser.AddString("-m,--model", "DIR", &model, "checkpoint directory");
  parser.AddString("--config", "FILE",
                   &config, "official inference-style config (instead of DIR/config.json)");
  parser.AddBool("--json", &json, "print JSON");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (model.empty()) {
    return ReportError("inspect", absl::InvalidArgumentError("-m DIR is required"));
  }
  absl::StatusOr<frontend::InspectReport> report = frontend::InspectCheckpoint(model, config);
  if (!report.ok()) return ReportError("inspect", report.status());
  if (json) {
    std::cout << frontend::InspectReportJson(*report).dump(2) << "\n";
  } else {
    std::cout << frontend::InspectReportText(*report);
  }
  // The report lists every missing tensor; the checkpoint is still unusable.
  if (!report->missing.empty()) {
    const size_t shown = std::min<size_t>(report->missing.size(), 3);
    std::vector<std::string> first(report->missing.begin(), report->missing.begin() + shown);
    return ReportError("inspect", absl::NotFoundError(absl::StrCat(
                                      model, ": ", report->missing.size(),
                                      " required tensor(s) missing: ", absl::StrJoin(first, ", "),
                                      report->missing.size() > shown ? ", ..." : "")));
  }
  return kExitOk;
}

}  // namespace dsc::cli
