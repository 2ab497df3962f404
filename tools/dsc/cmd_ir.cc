// `dsc ir`: print, parse and convert the graph IR (cli.md "Compiler"). The module comes from a
// checkpoint (-m: the graph the frontend declares) or from a file (--parse: text, textproto or
// binary proto); passes optionally run on it (--stage optimized, --passes); it is written in the
// chosen format.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "frontend/model_loader.h"
#include "ir/dot_export.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/proto_io.h"
#include "ir/verifier.h"
#include "passes/pass.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "tools/dsc/commands.h"

namespace dsc::cli {
namespace {

enum class InputKind { kText, kTextProto, kBinaryProto };

// By extension (.ir, .textproto/.pbtxt/.txtpb, .pb/.binpb), else by content: text IR starts
// with `module` (after comments), binary protos contain control bytes, the rest is textproto.
InputKind DetectInput(const std::string& path, const std::string& data) {
  if (absl::EndsWith(path, ".ir")) return InputKind::kText;
  for (const char* ext : {".textproto", ".pbtxt", ".txtpb"}) {
    if (absl::EndsWith(path, ext)) return InputKind::kTextProto;
  }
  for (const char* ext : {".pb", ".binpb"}) {
    if (absl::EndsWith(path, ext)) return InputKind::kBinaryProto;
  }
  size_t n = std::min<size_t>(data.size(), 4096);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(data[i]);
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return InputKind::kBinaryProto;
  }
  size_t i = 0;
  while (i < data.size()) {
    if (std::isspace(static_cast<unsigned char>(data[i]))) {
      ++i;
    } else if (data.compare(i, 2, "//") == 0 || data[i] == '#') {
      i = data.find('\n', i);
      if (i == std::string::npos) break;
    } else {
      break;
    }
  }
  return data.compare(i < data.size() ? i : data.size(), 6, "module") == 0 ? InputKind::kText
                                                                            : InputKind::kTextProto;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  // A directory would read as an empty module and a named FIFO could block forever; standard
  // input ("-" or /dev/stdin, a pipe in `dsc ir ... | dsc ir --parse /dev/stdin`) is meant.
  if (path == "-" || path == "/dev/stdin") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open for reading"));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return ss.str();
}

// Writes to PATH.tmp.<pid> and renames it over PATH, so readers never see a partial file.
absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  // A device or FIFO (`-o /dev/null`) is written in place, never replaced by a rename.
  if (struct stat st {}; ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    std::ofstream out(path, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    return out ? absl::OkStatus() : absl::InternalError(absl::StrCat(path, ": write failed"));
  }
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open ", tmp, " for writing"));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return absl::InternalError(absl::StrCat(path, ": write failed"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat(path, ": cannot rename ", tmp, " into place"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ir::Module>> LoadModule(const std::string& path) {
  absl::StatusOr<std::string> data = ReadFile(path);
  if (!data.ok()) return data.status();
  switch (DetectInput(path, *data)) {
    case InputKind::kText: return ir::ParseModule(*data, path);
    case InputKind::kTextProto: return ir::ModuleFromTextProto(*data, path);
    case InputKind::kBinaryProto: {
      absl::StatusOr<std::unique_ptr<ir::Module>> m = ir::ModuleFromBinaryProto(*data);
      if (!m.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", m.status().message()));
      return m;
    }
  }
  return absl::InternalError("unreachable");
}

// The declared graph of the checkpoint in `dir` (model.md; the checkpoint itself is not kept:
// constants reference its tensors by name).
absl::StatusOr<std::unique_ptr<ir::Module>> BuildModule(const std::string& dir, const std::string& config_file,
                                                        const std::string& revision, const std::string& kv_cache,
                                                        int64_t context) {
  frontend::LoadOptions options;
  options.config_file = config_file;
  options.graph.revision = revision;
  options.graph.context = context;
  absl::StatusOr<frontend::KvCacheMode> kv = frontend::ParseKvCacheMode(kv_cache);
  if (!kv.ok()) return kv.status();
  options.graph.kv_cache = *kv;
  absl::StatusOr<frontend::LoadedModel> model = frontend::LoadModel(dir, options);
  if (!model.ok()) return model.status();
  return std::move(model->module);
}

}  // namespace

int RunIr(const Args& args) {
  std::string model_dir, parse_file, format = "text", output, func, stage = "input", passes,
              print_after, config_file, revision = "r2", kv_cache = "fp8";
  int64_t context = 0;
  bool verify = false, print_after_all = false, pass_stats = false;
  ArgParser parser(
      "dsc ir", "(-m DIR | --parse FILE) [--format text|textproto|proto|dot] [-o FILE] [options]",
      "Prints the graph IR: the graph the frontend declares for a checkpoint (-m), or an IR\n"
      "file read back (--parse; text .ir, .textproto or binary .pb, detected by extension or\n"
      "content) and written in the chosen format. Malformed input exits 2 with FILE:LINE:COL.");
  parser.AddString("-m,--model", "DIR", &model_dir, "checkpoint directory to build the graph from");
  parser.AddString("--config", "FILE", &config_file, "with -m: official inference-style config instead of config.json");
  parser.AddChoice("--revision", {"r2", "r1"}, &revision, "with -m: indexer RoPE layout (model.md §0; default r2)");
  parser.AddChoice("--kv-cache", {"fp8", "bf16", "f32"}, &kv_cache, "with -m: MLA latent cache dtype (default fp8)");
  parser.AddInt("--context", "N", &context, "with -m: cache capacity in tokens (default: the config's max_seq_len)");
  parser.AddString("--parse", "FILE", &parse_file, "read an IR file (text, textproto or binary proto)");
  parser.AddChoice("--format", {"text", "textproto", "proto", "dot"}, &format,
                   "output format (default text); proto is binary: give -o FILE or a pipe");
  parser.AddString("-o,--output", "FILE", &output, "write here (atomically) instead of stdout");
  parser.AddBool("--verify", &verify, "verify the module and report a summary on stderr");
  parser.AddString("--func", "NAME", &func,
                   "print only this function (text, dot; dot defaults to the first function)");
  parser.AddChoice("--stage", {"input", "optimized"}, &stage,
                   "input: as the frontend declares it; optimized: after the default pipeline");
  parser.AddString("--passes", "LIST", &passes,
                   "run this pipeline instead, e.g. canonicalize,@decode(absorb-mla),dce");
  parser.AddBool("--print-after-all", &print_after_all, "print the IR after every pass (stderr)");
  parser.AddString("--print-after", "NAME", &print_after,
                   "print the IR after the named passes (comma-separated; stderr)");
  parser.AddBool("--pass-stats", &pass_stats, "report what each pass changed (stderr)");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;

  if (!model_dir.empty() && !parse_file.empty()) {
    return ReportError("ir", absl::InvalidArgumentError("give either -m DIR or --parse FILE, not both"));
  }
  if (model_dir.empty() && parse_file.empty()) {
    return ReportError("ir", absl::InvalidArgumentError("give -m DIR or --parse FILE (see --help)"));
  }
  bool run_passes = stage == "optimized" || !passes.empty();
  if (!run_passes && (print_after_all || !print_after.empty() || pass_stats)) {
    return ReportError("ir", absl::InvalidArgumentError(
                                 "--print-after*/--pass-stats need --passes LIST or --stage optimized"));
  }

  const std::string& source = model_dir.empty() ? parse_file : model_dir;
  absl::StatusOr<std::unique_ptr<ir::Module>> module =
      model_dir.empty() ? LoadModule(parse_file) : BuildModule(model_dir, config_file, revision, kv_cache, context);
  if (!module.ok()) return ReportError("ir", module.status());
  if (run_passes) {
    passes::PassManagerOptions options;
    options.print_after_all = print_after_all;
    if (!print_after.empty()) options.print_after = absl::StrSplit(print_after, ',', absl::SkipEmpty());
    if (!func.empty()) {  // with --func, print only that function after each pass
      options.print = [&func](const passes::Pass& pass, const ir::Module& m) {
        std::cerr << "// ----- IR after " << pass.name()
                  << (pass.anchor().empty() ? "" : absl::StrCat(" on @", pass.anchor())) << " -----\n";
        if (const ir::Function* f = m.FindFunction(func)) std::cerr << ir::PrintFunction(m, *f);
      };
    }
    passes::PassManager manager(options);
    std::string pipeline = passes.empty() ? passes::DefaultPipeline(**module) : passes;
    if (absl::Status s = manager.AddPipeline(pipeline); !s.ok()) return ReportError("ir", s);
    if (absl::StatusOr<bool> changed = manager.Run(**module); !changed.ok()) {
      return ReportError("ir", changed.status());
    }
    if (pass_stats) std::cerr << "pipeline: " << manager.PipelineString() << "\n" << manager.StatisticsReport();
  }
  const ir::Module& m = **module;
  if (verify) {
    if (absl::Status s = ir::Verify(m); !s.ok()) {
      return ReportError("ir", absl::InvalidArgumentError(absl::StrCat(source, ": ", s.message())));
    }
    size_t ops = 0;
    for (const auto& f : m.functions()) ops += f->num_ops();
    std::cerr << source << ": verified: " << m.functions().size() << " functions, " << ops
              << " ops, " << m.constants().size() << " constants, " << m.states().size() << " states\n";
  }

  const ir::Function* selected = nullptr;
  if (!func.empty()) {
    if (format == "proto" || format == "textproto") {
      return ReportError("ir", absl::InvalidArgumentError("--func applies to --format text and dot"));
    }
    selected = m.FindFunction(func);
    if (selected == nullptr) {
      return ReportError("ir", absl::NotFoundError(absl::StrCat(source, ": no function @", func)));
    }
  }
  std::string out;
  if (format == "text") {
    out = selected ? ir::PrintFunction(m, *selected) : ir::PrintModule(m);
  } else if (format == "textproto") {
    out = ir::ModuleToTextProto(m);
  } else if (format == "proto") {
    if (output.empty() && isatty(STDOUT_FILENO)) {
      return ReportError("ir", absl::InvalidArgumentError("--format proto is binary: give -o FILE"));
    }
    out = ir::SerializeModule(m);
  } else {
    if (selected == nullptr && m.functions().empty()) {
      return ReportError("ir", absl::InvalidArgumentError(absl::StrCat(source, ": no function to draw")));
    }
    out = ir::ExportDot(m, selected ? *selected : *m.functions().front());
  }
  if (!output.empty()) {
    if (absl::Status s = WriteFileAtomically(output, out); !s.ok()) return ReportError("ir", s);
    return kExitOk;
  }
  std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailure;
}

}  // namespace dsc::cli
