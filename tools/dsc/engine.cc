// Model loading and engine selection for the run/logits/perplexity subcommands.
#include "tools/dsc/engine.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dsc::cli {

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const ModelFlags& flags, int64_t context) {
  if (!flags.artifact_dir.empty()) {
    return absl::UnimplementedError("--artifact: ahead-of-time artifacts are not built yet; use -m DIR");
  }
  if (flags.model_dir.empty()) return absl::InvalidArgumentError("no model: give -m DIR");
  if (flags.engine == "jit") {
    std::cerr << "dsc: note: the JIT engine is not built yet; running the reference interpreter\n";
  }
  frontend::LoadOptions options;
  options.config_file = flags.config_file;
  options.graph.revision = flags.revision;
  absl::StatusOr<frontend::KvCacheMode> kv = frontend::ParseKvCacheMode(flags.kv_cache);
  if (!kv.ok()) return kv.status();
  options.graph.kv_cache = *kv;
  options.graph.context = context;
  auto engine = std::make_unique<Engine>();
  absl::StatusOr<frontend::LoadedModel> model = frontend::LoadModel(flags.model_dir, options);
  if (!model.ok()) return model.status();
  engine->model = std::move(*model);
  const frontend::LoadedModel* m = &engine->model;
  engine->interpreter = std::make_unique<runtime::Interpreter>(
      *m->module, [m](const ir::TensorRef& ref) { return m->TensorBytes(ref); });
  engine->runner = std::make_unique<runtime::ModelRunner>(engine->interpreter.get());
  return engine;
}

absl::StatusOr<std::vector<int32_t>> ParseIdList(const std::string& text, const std::string& flag) {
  std::vector<int32_t> ids;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int32_t id;
    if (!absl::SimpleAtoi(item, &id) || id < 0) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": '", std::string(item), "' is not a token id"));
    }
    ids.push_back(id);
  }
  if (ids.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": no token ids given"));
  return ids;
}

}  // namespace dsc::cli
