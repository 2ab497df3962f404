// dsc compile artifacts: writing (CompileArtifact) and loading with no code generation
// (OpenArtifactEngine). Layout and manifest fields: artifact.h.
#include "tools/dsc/artifact.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "codegen/kernel_objects.h"
#include "codegen/target.h"
#include "frontend/json_strict.h"
#include "frontend/model_loader.h"
#include "ir/proto_io.h"
#include "nlohmann/json.hpp"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "runtime/kernel_abi.h"
#include "tools/dsc/engine.h"
#include "tools/dsc/jit_linear.h"
#include "tools/dsc/progress.h"
#include "tools/dsc/stopwatch.h"

#ifndef DSC_VERSION
#define DSC_VERSION "dev"
#endif

namespace dsc::cli {

// $XDG_CACHE_HOME or ~/.cache (engine.cc).
std::filesystem::path CacheRoot();

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kManifest[] = "manifest.json";
constexpr char kIrFile[] = "model.pb";
constexpr char kKernelDir[] = "kernels";

absl::Status WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat(path.string(), ": cannot write"));
  return absl::OkStatus();
}

// The first `limit` bytes of a file (all of it when limit < 0).
absl::StatusOr<std::string> ReadPrefix(const fs::path& path, int64_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path.string(), ": cannot open"));
  std::string bytes;
  if (limit < 0) {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    bytes.resize(static_cast<size_t>(limit));
    in.read(bytes.data(), limit);
    bytes.resize(static_cast<size_t>(in.gcount()));
  }
  return bytes;
}

// ---- Checkpoint fingerprint ---------------------------------------------------------------
// Enough to tell another checkpoint (or an edited one) from the compiled one without reading
// gigabytes: the bytes of the small JSON files, and of every safetensors shard its size and its
// header (names, dtypes, shapes and offsets of every tensor).

absl::StatusOr<json> FingerprintFile(const fs::path& path, const std::string& name, bool safetensors) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(path.string(), ": ", ec.message()));
  json entry = {{"file", name}, {"bytes", static_cast<uint64_t>(size)}};
  if (!safetensors) {
    absl::StatusOr<std::string> bytes = ReadPrefix(path, -1);
    if (!bytes.ok()) return bytes.status();
    entry["sha256"] = codegen::Sha256Hex(*bytes);
    return entry;
  }
  absl::StatusOr<std::string> head = ReadPrefix(path, 8);
  if (!head.ok()) return head.status();
  if (head->size() < 8) return absl::InvalidArgumentError(absl::StrCat(path.string(), ": shorter than a safetensors header"));
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | static_cast<uint8_t>((*head)[i]);
  if (header > size - 8) return absl::InvalidArgumentError(absl::StrCat(path.string(), ": header size beyond the file"));
  absl::StatusOr<std::string> bytes = ReadPrefix(path, static_cast<int64_t>(8 + header));
  if (!bytes.ok()) return bytes.status();
  entry["header_sha256"] = codegen::Sha256Hex(*bytes);
  return entry;
}

// `files`: config.json and the optional JSON side files, then every shard.
absl::StatusOr<json> Fingerprint(const fs::path& dir, const std::vector<std::string>& shards,
                                 const std::string& config_file) {
  json files = json::array();
  for (const char* name : {"config.json", "hf_quant_config.json", "model.safetensors.index.json"}) {
    if (std::string(name) != "config.json" && !fs::exists(dir / name)) continue;
    absl::StatusOr<json> e = FingerprintFile(dir / name, name, false);
    if (!e.ok()) return e.status();
    files.push_back(std::move(*e));
  }
  if (!config_file.empty()) {
    absl::StatusOr<json> e = FingerprintFile(config_file, fs::absolute(config_file).string(), false);
    if (!e.ok()) return e.status();
    files.push_back(std::move(*e));
  }
  for (const std::string& shard : shards) {
    absl::StatusOr<json> e = FingerprintFile(dir / shard, shard, true);
    if (!e.ok()) return e.status();
    files.push_back(std::move(*e));
  }
  return json{{"dir", fs::absolute(dir).lexically_normal().string()},
              {"fingerprint", codegen::Sha256Hex(files.dump())},
              {"files", std::move(files)}};
}

// ---- Manifest reading: every field checked, errors name it ------------------------------

class ManifestReader {
 public:
  explicit ManifestReader(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  absl::Status Bad(const std::string& field, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": field '", field, "' ", what));
  }
  absl::StatusOr<const json*> Get(const json& obj, const std::string& key, const std::string& field,
                                  json::value_t type) const {
    if (!obj.is_object() || !obj.contains(key)) return Bad(field, "is missing");
    const json& v = obj.at(key);
    const bool ok = type == json::value_t::number_integer ? v.is_number_integer() : v.type() == type;
    if (!ok) return Bad(field, absl::StrCat("has the wrong type (", v.type_name(), ")"));
    return &v;
  }
  absl::StatusOr<std::string> String(const json& obj, const std::string& key, const std::string& field) const {
    absl::StatusOr<const json*> v = Get(obj, key, field, json::value_t::string);
    if (!v.ok()) return v.status();
    return (*v)->get<std::string>();
  }
  absl::StatusOr<int64_t> Int(const json& obj, const std::string& key, const std::string& field) const {
    absl::StatusOr<const json*> v = Get(obj, key, field, json::value_t::number_integer);
    if (!v.ok()) return v.status();
    return (*v)->get<int64_t>();
  }

 private:
  std::string path_;
};

#define DSC_ASSIGN_OR_RETURN_IMPL(var, expr, tmp) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  var = std::move(*tmp)
#define DSC_ART_CONCAT2(a, b) a##b
#define DSC_ART_CONCAT(a, b) DSC_ART_CONCAT2(a, b)
#define ASSIGN_OR_RETURN(var, expr) DSC_ASSIGN_OR_RETURN_IMPL(var, expr, DSC_ART_CONCAT(status_or_, __LINE__))

constexpr const char* kInfoFields[] = {"abi_version", "format", "n", "k", "m_static", "row_align",
                                       "scratch_base", "scratch_per_m", "scratch_m_align"};

json InfoToJson(const dsc_kernel_info& info) {
  return json{{"abi_version", info.abi_version},   {"format", info.format},
              {"n", info.n},                       {"k", info.k},
              {"m_static", info.m_static},         {"row_align", info.row_align},
              {"scratch_base", info.scratch_base}, {"scratch_per_m", info.scratch_per_m},
              {"scratch_m_align", info.scratch_m_align}};
}

absl::StatusOr<dsc_kernel_info> InfoFromJson(const ManifestReader& r, const json& obj, const std::string& field) {
  int64_t v[9];
  for (int i = 0; i < 9; ++i) {
    ASSIGN_OR_RETURN(v[i], r.Int(obj, kInfoFields[i], absl::StrCat(field, ".", kInfoFields[i])));
  }
  dsc_kernel_info info;
  info.abi_version = static_cast<int32_t>(v[0]);
  info.format = static_cast<int32_t>(v[1]);
  info.n = v[2];
  info.k = v[3];
  info.m_static = v[4];
  info.row_align = v[5];
  info.scratch_base = v[6];
  info.scratch_per_m = v[7];
  info.scratch_m_align = v[8];
  if (info.n <= 0 || info.k <= 0 || info.row_align <= 0 || info.scratch_base < 0 || info.scratch_per_m < 0 ||
      info.scratch_m_align < 1 || info.m_static < 0 || info.m_static > 8) {
    return r.Bad(field, "holds an out-of-range value");
  }
  return info;
}

// A kernel's spec from its manifest entry; the symbol must be the name the spec gives, so an
// artifact from a build that numbers kernel kinds differently is refused, not misused.
absl::StatusOr<codegen::LinearKernelSpec> SpecFromJson(const ManifestReader& r, const json& k, const std::string& field,
                                                       const std::string& symbol) {
  codegen::LinearKernelSpec spec;
  int64_t kind = 0;
  ASSIGN_OR_RETURN(kind, r.Int(k, "kind", field + ".kind"));
  ASSIGN_OR_RETURN(spec.m, r.Int(k, "m", field + ".m"));
  ASSIGN_OR_RETURN(spec.n, r.Int(k, "n", field + ".n"));
  ASSIGN_OR_RETURN(spec.k, r.Int(k, "k", field + ".k"));
  if (kind < 0 || kind > 255) return r.Bad(field + ".kind", "is out of range");
  spec.kind = static_cast<codegen::LinearKernelKind>(kind);
  if (absl::Status s = codegen::ValidateSpec(spec); !s.ok()) return r.Bad(field, std::string(s.message()));
  if (spec.Name() != symbol) {
    return r.Bad(field + ".symbol", absl::StrCat("is '", symbol, "' but this build names that kernel '", spec.Name(),
                                                 "' (an artifact from another dsc build: recompile it)"));
  }
  return spec;
}

// A safe file name inside the artifact (no directories outside it).
bool IsInside(const std::string& rel) {
  const fs::path p(rel);
  if (p.is_absolute() || rel.empty()) return false;
  for (const fs::path& part : p) {
    if (part == "..") return false;
  }
  return true;
}

absl::StatusOr<std::string> ReadVerified(const fs::path& dir, const std::string& rel, const std::string& sha256,
                                         int64_t bytes, const std::string& what) {
  const fs::path path = dir / rel;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": ", what, " is missing from the artifact"));
  }
  absl::StatusOr<std::string> data = ReadPrefix(path, -1);
  if (!data.ok()) return data.status();
  if (static_cast<int64_t>(data->size()) != bytes || codegen::Sha256Hex(*data) != sha256) {
    return absl::DataLossError(absl::StrCat(path.string(), ": ", what, " is corrupt (", data->size(),
                                            " bytes, the manifest says ", bytes,
                                            " and another sha256: truncated or modified); recompile the artifact"));
  }
  return data;
}

// Checks that `dir` holds the checkpoint recorded in the manifest, file by file, so the error
// names the file that differs.
absl::Status CheckFingerprint(const ManifestReader& r, const json& checkpoint, const fs::path& dir,
                              const std::string& artifact) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("checkpoint ", dir.string(), " of artifact ", artifact,
                                            ": no such directory (give -m DIR if it moved)"));
  }
  const json* files = nullptr;
  ASSIGN_OR_RETURN(files, r.Get(checkpoint, "files", "checkpoint.files", json::value_t::array));
  for (size_t i = 0; i < files->size(); ++i) {
    const json& f = (*files)[i];
    const std::string field = absl::StrCat("checkpoint.files[", i, "]");
    std::string name;
    ASSIGN_OR_RETURN(name, r.String(f, "file", field + ".file"));
    const bool safetensors = f.contains("header_sha256");
    const bool absolute = fs::path(name).is_absolute();
    if (!absolute && !IsInside(name)) return r.Bad(field + ".file", "is not a file name inside the checkpoint");
    const fs::path path = absolute ? fs::path(name) : dir / name;
    if (!fs::exists(path, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(path.string(), ": missing; artifact ", artifact,
                                                        " was compiled from a checkpoint that has it"));
    }
    absl::StatusOr<json> now = FingerprintFile(path, name, safetensors);
    if (!now.ok()) return now.status();
    if (*now != f) {
      return absl::FailedPreconditionError(absl::StrCat(
          path.string(), ": differs from the checkpoint artifact ", artifact,
          " was compiled from (size or ", safetensors ? "safetensors header" : "contents",
          " changed); recompile with dsc compile"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---- dsc compile --------------------------------------------------------------------------

absl::StatusOr<CompileReport> CompileArtifact(const ModelFlags& flags, const std::string& out_dir,
                                              const std::string& cache_dir) {
  const auto start = std::chrono::steady_clock::now();
  if (flags.model_dir.empty()) return absl::InvalidArgumentError("-m DIR is required");
  if (out_dir.empty()) return absl::InvalidArgumentError("-o ARTIFACT_DIR is required");
  if (flags.activations != "f32") {
    return absl::InvalidArgumentError(
        "--activations bf16: artifacts hold the float32 kernels; run with -m DIR and the JIT for BF16 activations");
  }
  const fs::path out = fs::path(out_dir).lexically_normal();
  std::error_code ec;
  if (fs::exists(fs::symlink_status(out, ec)) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec))) {
    return absl::AlreadyExistsError(absl::StrCat(out_dir, ": exists and is not an empty directory"));
  }
  absl::StatusOr<frontend::LoadOptions> options = LoadOptionsFor(flags);
  if (!options.ok()) return options.status();
  absl::StatusOr<frontend::LoadedModel> model = frontend::LoadModel(flags.model_dir, *options);
  if (!model.ok()) return model.status();
  passes::PassManager pm;
  if (absl::Status s = pm.AddPipeline(passes::DefaultPipeline(*model->module)); !s.ok()) return s;
  if (absl::StatusOr<bool> ran = pm.Run(*model->module); !ran.ok()) return ran.status();

  codegen::JitOptions jit_options;
  absl::StatusOr<codegen::TargetCpu> target = codegen::MakeTargetCpu(flags.target_cpu, flags.target_features);
  if (!target.ok()) return target.status();
  jit_options.target = *target;
  jit_options.cache_dir = cache_dir;
  absl::StatusOr<std::unique_ptr<codegen::Jit>> jit = codegen::Jit::Create(jit_options);
  if (!jit.ok()) return jit.status();

  std::vector<std::string> shards;
  for (const auto& file : model->checkpoint->files()) shards.push_back(fs::path(file->path()).filename().string());
  absl::StatusOr<json> checkpoint = Fingerprint(flags.model_dir, shards, flags.config_file);
  if (!checkpoint.ok()) return checkpoint.status();

  // Everything is written under a private sibling name and renamed at the end.
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  const fs::path tmp = parent / absl::StrCat(".", out.filename().string(), ".tmp.", getpid());
  fs::remove_all(tmp, ec);
  struct Cleanup {
    fs::path dir;
    bool armed = true;
    ~Cleanup() {
      std::error_code ignored;
      if (armed) fs::remove_all(dir, ignored);
    }
  } cleanup{tmp};
  if (!fs::create_directories(tmp / kKernelDir, ec) || ec) {
    return absl::InvalidArgumentError(absl::StrCat(tmp.string(), ": cannot create (", ec.message(), ")"));
  }

  CompileReport report;
  json kernels = json::array();
  const std::vector<codegen::LinearKernelSpec> specs = JitLinear::RequiredKernels(*model->module);
  ProgressBar bar("compiling kernels");  // a TTY only; see progress.h
  for (const codegen::LinearKernelSpec& spec : specs) {
    bar.Update(static_cast<int64_t>(kernels.size()), static_cast<int64_t>(specs.size()));
    absl::StatusOr<codegen::LinearKernelObject> object = codegen::EmitLinearKernelObject(**jit, spec);
    if (!object.ok()) return object.status();
    const std::string rel = absl::StrCat(kKernelDir, "/", object->symbol, ".o");
    if (absl::Status s = WriteFile(tmp / rel, object->object); !s.ok()) return s;
    kernels.push_back({{"symbol", object->symbol},
                       {"kind", static_cast<int>(spec.kind)},
                       {"m", spec.m},
                       {"n", spec.n},
                       {"k", spec.k},
                       {"object", rel},
                       {"bytes", object->object.size()},
                       {"sha256", codegen::Sha256Hex(object->object)},
                       {"info", InfoToJson(object->info)}});
    report.bytes += static_cast<int64_t>(object->object.size());
  }
  bar.Finish();
  const std::string ir_bytes = ir::SerializeModule(*model->module);
  if (absl::Status s = WriteFile(tmp / kIrFile, ir_bytes); !s.ok()) return s;
  report.bytes += static_cast<int64_t>(ir_bytes.size());

  const codegen::JitStats stats = (*jit)->stats();
  json manifest = {
      {"format", "dsc-artifact"},
      {"format_version", kArtifactFormatVersion},
      {"dsc_version", DSC_VERSION},
      {"llvm_version", codegen::LlvmVersion()},
      {"kernel_abi_version", DSC_KERNEL_ABI_VERSION},
      {"ir_version", ir::kIrVersion},
      {"target", {{"cpu", target->cpu}, {"features", target->features}}},
      {"ir", {{"file", kIrFile}, {"bytes", ir_bytes.size()}, {"sha256", codegen::Sha256Hex(ir_bytes)}}},
      {"checkpoint", std::move(*checkpoint)},
      {"options",
       {{"kv_cache", flags.kv_cache},
        {"revision", flags.revision},
        {"config_file", flags.config_file.empty() ? "" : fs::absolute(flags.config_file).string()},
        {"pipeline", "default"}}},
      {"kernels", std::move(kernels)},
  };
  const std::string manifest_text = manifest.dump(2) + "\n";
  if (absl::Status s = WriteFile(tmp / kManifest, manifest_text); !s.ok()) return s;
  report.bytes += static_cast<int64_t>(manifest_text.size());

  if (fs::exists(out, ec)) fs::remove(out, ec);  // an empty directory (checked above)
  fs::rename(tmp, out, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", tmp.string(), " to ", out_dir, ": ", ec.message()));
  cleanup.armed = false;
  report.kernels = static_cast<int>(manifest["kernels"].size());
  report.codegened = stats.modules_codegened;
  report.codegen_seconds = stats.codegen_seconds;
  report.target = target->ToString();
  report.seconds = SecondsSince(start);
  return report;
}

// ---- --artifact -----------------------------------------------------------------------------

absl::StatusOr<std::string> ArtifactCheckpointDir(const std::string& artifact_dir) {
  const ManifestReader r((fs::path(artifact_dir) / kManifest).string());
  std::error_code ec;
  if (!fs::is_directory(artifact_dir, ec)) return absl::NotFoundError(absl::StrCat(artifact_dir, ": no such artifact directory"));
  if (!fs::is_regular_file(r.path(), ec)) {
    return absl::NotFoundError(absl::StrCat(r.path(), ": missing (not a dsc compile artifact?)"));
  }
  json manifest;
  ASSIGN_OR_RETURN(manifest, frontend::ReadJsonFile(r.path()));
  const json* checkpoint = nullptr;
  ASSIGN_OR_RETURN(checkpoint, r.Get(manifest, "checkpoint", "checkpoint", json::value_t::object));
  return r.String(*checkpoint, "dir", "checkpoint.dir");
}

absl::StatusOr<std::unique_ptr<Engine>> OpenArtifactEngine(const ModelFlags& flags) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path dir(flags.artifact_dir);
  const std::string art = flags.artifact_dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(art, ": no such artifact directory"));
  if (absl::Status s = CheckModelFlags(flags); !s.ok()) return s;
  if (flags.check_weights) {
    return absl::InvalidArgumentError("--check-weights: not available with --artifact; check the checkpoint with -m DIR");
  }
  if (flags.engine != "jit") {
    return absl::InvalidArgumentError("--engine interp: an artifact holds the compiled graph; use -m DIR for the interpreter");
  }
  const ManifestReader r((dir / kManifest).string());
  if (!fs::is_regular_file(r.path(), ec)) {
    return absl::NotFoundError(absl::StrCat(r.path(), ": missing (not a dsc compile artifact?)"));
  }
  json manifest;
  ASSIGN_OR_RETURN(manifest, frontend::ReadJsonFile(r.path()));
  std::string format, version;
  ASSIGN_OR_RETURN(format, r.String(manifest, "format", "format"));
  if (format != "dsc-artifact") return r.Bad("format", "is not \"dsc-artifact\"");
  int64_t format_version = 0, abi = 0;
  ASSIGN_OR_RETURN(format_version, r.Int(manifest, "format_version", "format_version"));
  if (format_version != kArtifactFormatVersion) {
    return r.Bad("format_version", absl::StrCat("is ", format_version, "; this dsc reads ", kArtifactFormatVersion));
  }
  ASSIGN_OR_RETURN(version, r.String(manifest, "dsc_version", "dsc_version"));
  if (version != DSC_VERSION) {
    return r.Bad("dsc_version", absl::StrCat("is ", version, ", this is dsc ", DSC_VERSION, ": recompile the artifact"));
  }
  ASSIGN_OR_RETURN(abi, r.Int(manifest, "kernel_abi_version", "kernel_abi_version"));
  if (abi != DSC_KERNEL_ABI_VERSION) {
    return r.Bad("kernel_abi_version", absl::StrCat("is ", abi, ", this build calls kernels of version ",
                                                    DSC_KERNEL_ABI_VERSION, ": recompile the artifact"));
  }

  // The code runs only on a CPU with every feature it was compiled for.
  const json* target_json = nullptr;
  ASSIGN_OR_RETURN(target_json, r.Get(manifest, "target", "target", json::value_t::object));
  codegen::TargetCpu target;
  ASSIGN_OR_RETURN(target.cpu, r.String(*target_json, "cpu", "target.cpu"));
  const json* features = nullptr;
  ASSIGN_OR_RETURN(features, r.Get(*target_json, "features", "target.features", json::value_t::array));
  for (size_t i = 0; i < features->size(); ++i) {
    if (!(*features)[i].is_string()) return r.Bad(absl::StrCat("target.features[", i, "]"), "is not a string");
    target.features.push_back((*features)[i].get<std::string>());
  }
  std::sort(target.features.begin(), target.features.end());
  if (const std::vector<std::string> missing = codegen::MissingHostFeatures(target); !missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "artifact ", art, " was compiled for ", target.cpu, " and needs CPU feature", missing.size() > 1 ? "s " : " ",
        "'", absl::StrJoin(missing, "', '"), "', which this CPU (", codegen::DetectHostCpu().cpu,
        ") lacks; recompile it on this machine"));
  }
  if (!flags.target_cpu.empty() || !flags.target_features.empty()) {
    absl::StatusOr<codegen::TargetCpu> wanted = codegen::MakeTargetCpu(flags.target_cpu, flags.target_features);
    if (!wanted.ok()) return wanted.status();
    if (wanted->cpu != target.cpu || wanted->features != target.features) {
      return absl::InvalidArgumentError(absl::StrCat("--target-cpu/--target-features: artifact ", art,
                                                     " holds code for ", target.cpu,
                                                     "; compile another artifact for that target"));
    }
  }

  // The graph was built with fixed options; a different explicit choice is an error (the
  // defaults take the artifact's, said on stderr when they differ).
  const json* options = nullptr;
  ASSIGN_OR_RETURN(options, r.Get(manifest, "options", "options", json::value_t::object));
  std::string kv_cache, revision, config_file;
  ASSIGN_OR_RETURN(kv_cache, r.String(*options, "kv_cache", "options.kv_cache"));
  ASSIGN_OR_RETURN(revision, r.String(*options, "revision", "options.revision"));
  ASSIGN_OR_RETURN(config_file, r.String(*options, "config_file", "options.config_file"));
  const ModelFlags defaults;
  for (const auto& [flag, given, baked, dflt] :
       {std::tuple{"--kv-cache", flags.kv_cache, kv_cache, defaults.kv_cache},
        std::tuple{"--revision", flags.revision, revision, defaults.revision}}) {
    if (given == baked) continue;
    if (given != dflt) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", given, ": artifact ", art, " was compiled with ", flag,
                                                     " ", baked, "; compile one with ", flag, " ", given));
    }
    std::cerr << "[dsc] artifact " << art << ": using its " << flag << " " << baked << "\n";
  }
  if (!flags.config_file.empty() && fs::absolute(flags.config_file).string() != config_file) {
    return absl::InvalidArgumentError(absl::StrCat("--config ", flags.config_file, ": artifact ", art,
                                                   " was compiled with ", config_file.empty() ? "config.json" : config_file));
  }

  // The checkpoint the weights come from must be the compiled one.
  const json* checkpoint = nullptr;
  ASSIGN_OR_RETURN(checkpoint, r.Get(manifest, "checkpoint", "checkpoint", json::value_t::object));
  std::string recorded_dir;
  ASSIGN_OR_RETURN(recorded_dir, r.String(*checkpoint, "dir", "checkpoint.dir"));
  const fs::path model_dir = flags.model_dir.empty() ? fs::path(recorded_dir) : fs::path(flags.model_dir);
  if (absl::Status s = CheckFingerprint(r, *checkpoint, model_dir, art); !s.ok()) return s;

  auto engine = std::make_unique<Engine>();
  frontend::LoadedModel& m = engine->model;
  ASSIGN_OR_RETURN(m.checkpoint, frontend::Checkpoint::Open(model_dir.string()));
  if (absl::Status s = BringWeightsIn(*m.checkpoint, flags); !s.ok()) return s;
  ASSIGN_OR_RETURN(m.config, config_file.empty() ? frontend::LoadHfConfig((model_dir / "config.json").string())
                                                 : frontend::LoadOfficialConfig(config_file));

  // The optimized IR, as compiled: no graph building, no passes.
  const json* ir_json = nullptr;
  ASSIGN_OR_RETURN(ir_json, r.Get(manifest, "ir", "ir", json::value_t::object));
  std::string ir_file, ir_sha;
  int64_t ir_bytes = 0;
  ASSIGN_OR_RETURN(ir_file, r.String(*ir_json, "file", "ir.file"));
  ASSIGN_OR_RETURN(ir_sha, r.String(*ir_json, "sha256", "ir.sha256"));
  ASSIGN_OR_RETURN(ir_bytes, r.Int(*ir_json, "bytes", "ir.bytes"));
  if (!IsInside(ir_file)) return r.Bad("ir.file", "is not a file name inside the artifact");
  std::string ir_data;
  ASSIGN_OR_RETURN(ir_data, ReadVerified(dir, ir_file, ir_sha, ir_bytes, "the IR"));
  absl::StatusOr<std::unique_ptr<ir::Module>> module = ir::ModuleFromBinaryProto(ir_data);
  if (!module.ok()) {
    return absl::InvalidArgumentError(absl::StrCat((dir / ir_file).string(), ": ", module.status().message()));
  }
  m.module = std::move(*module);

  // Kernels: objects linked into the JIT, never compiled.
  codegen::JitOptions jit_options;
  jit_options.target = target;
  jit_options.cache_dir.clear();
  const int threads =
      flags.threads > 0 ? static_cast<int>(flags.threads) : static_cast<int>(std::thread::hardware_concurrency());
  absl::StatusOr<std::unique_ptr<JitLinear>> jit = JitLinear::Create(jit_options, threads);
  if (!jit.ok()) return jit.status();
  (*jit)->DisableCodegen();
  const json* kernels = nullptr;
  ASSIGN_OR_RETURN(kernels, r.Get(manifest, "kernels", "kernels", json::value_t::array));
  for (size_t i = 0; i < kernels->size(); ++i) {
    const json& k = (*kernels)[i];
    const std::string field = absl::StrCat("kernels[", i, "]");
    std::string symbol, object, sha;
    int64_t bytes = 0;
    ASSIGN_OR_RETURN(symbol, r.String(k, "symbol", field + ".symbol"));
    ASSIGN_OR_RETURN(object, r.String(k, "object", field + ".object"));
    ASSIGN_OR_RETURN(sha, r.String(k, "sha256", field + ".sha256"));
    ASSIGN_OR_RETURN(bytes, r.Int(k, "bytes", field + ".bytes"));
    if (!IsInside(object)) return r.Bad(field + ".object", "is not a file name inside the artifact");
    codegen::LinearKernelSpec spec;
    ASSIGN_OR_RETURN(spec, SpecFromJson(r, k, field, symbol));
    const json* info_json = nullptr;
    ASSIGN_OR_RETURN(info_json, r.Get(k, "info", field + ".info", json::value_t::object));
    dsc_kernel_info info;
    ASSIGN_OR_RETURN(info, InfoFromJson(r, *info_json, field + ".info"));
    std::string data;
    ASSIGN_OR_RETURN(data, ReadVerified(dir, object, sha, bytes, "kernel object"));
    dsc_linear_kernel kernel;
    ASSIGN_OR_RETURN(kernel, codegen::LoadLinearKernelObject((*jit)->jit(), std::move(data), symbol, info,
                                                             (dir / object).string()));
    (*jit)->Preload(spec, kernel);
  }
  const codegen::JitStats stats = (*jit)->jit().stats();
  if (stats.modules_codegened != 0 || stats.codegen_seconds != 0.0) {
    return absl::InternalError(absl::StrCat("artifact ", art, ": ", stats.modules_codegened,
                                            " modules went through code generation while loading"));
  }
  std::cerr << absl::StrFormat(
      "[dsc] artifact %s: %d kernels loaded in %.3f s, no code generation (%.2f s)\n", art,
      stats.objects_loaded, SecondsSince(start), stats.codegen_seconds);
  engine->fast_linear = std::move(*jit);

  const frontend::LoadedModel* model = &engine->model;
  engine->interpreter = std::make_unique<runtime::Interpreter>(
      *model->module, [model](const ir::TensorRef& ref) { return model->TensorBytes(ref); });
  engine->interpreter->set_fast_linear(engine->fast_linear.get());
  engine->runner = std::make_unique<runtime::ModelRunner>(engine->interpreter.get());
  return engine;
}

}  // namespace dsc::cli
