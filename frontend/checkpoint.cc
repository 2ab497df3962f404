// Opens a checkpoint directory: picks the model shards, maps them, builds the tensor map from
// the shard headers and treats model.safetensors.index.json only as a cross-check (§6).
#include "frontend/checkpoint.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsc::frontend {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kIndexFile[] = "model.safetensors.index.json";
constexpr char kQuantFile[] = "hf_quant_config.json";

bool LooksLikeModelShard(const std::string& file_name) {
  return absl::StartsWith(file_name, "model") && absl::EndsWith(file_name, ".safetensors");
}

}  // namespace

bool MatchesExcludePattern(std::string_view module, const std::vector<std::string>& patterns) {
  const std::string name(module);
  for (const std::string& pattern : patterns) {
    if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::Open(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return absl::NotFoundError(absl::StrCat(dir, ": no such directory"));
  if (!fs::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": not a directory"));
  }
  std::unique_ptr<Checkpoint> ckpt(new Checkpoint());
  ckpt->dir_ = dir;

  std::vector<std::string> all_safetensors;
  // The error_code overloads throughout: no filesystem exception may leave the library.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (absl::EndsWith(name, ".safetensors") && it->is_regular_file(type_ec)) {
      all_safetensors.push_back(name);
    }
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  std::sort(all_safetensors.begin(), all_safetensors.end());

  // The index, when present, names shards too (and is cross-checked once they are open).
  const std::string index_path = (fs::path(dir) / kIndexFile).string();
  std::optional<json> index;
  std::set<std::string> shard_names;
  if (fs::exists(index_path, ec)) {
    absl::StatusOr<json> parsed = ReadJsonFile(index_path);
    if (!parsed.ok()) return parsed.status();
    const json* weight_map = parsed->is_object() && parsed->contains("weight_map")
                                 ? &(*parsed)["weight_map"] : nullptr;
    if (weight_map == nullptr || !weight_map->is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(index_path, ": field 'weight_map' is missing or not an object"));
    }
    for (const auto& [tensor, shard] : weight_map->items()) {
      if (!shard.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(
            index_path, ": weight_map entry for tensor '", tensor, "' is not a file name"));
      }
      shard_names.insert(shard.get<std::string>());
    }
    index = std::move(*parsed);
    ckpt->has_index_ = true;
  }
  std::vector<std::string> ignored;
  for (const std::string& name : all_safetensors) {
    if (LooksLikeModelShard(name)) shard_names.insert(name);
  }
  if (shard_names.empty()) {
    shard_names.insert(all_safetensors.begin(), all_safetensors.end());
  }
  for (const std::string& name : all_safetensors) {
    if (!shard_names.count(name)) ignored.push_back(name);
  }
  if (!ignored.empty()) {
    ckpt->notes_.push_back(absl::StrCat("ignored ", ignored.size(),
                                        " non-model safetensors file(s): ",
                                        absl::StrJoin(ignored, ", ")));
  }
  if (all_safetensors.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no *.safetensors files"));
  }

  for (const std::string& name : shard_names) {
    const std::string path = (fs::path(dir) / name).string();
    if (!fs::exists(path, ec)) continue;  // reported by the index cross-check below
    absl::StatusOr<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::Open(path);
    if (!file.ok()) return file.status();
    for (const TensorView& t : (*file)->tensors()) {
      auto [it, inserted] = ckpt->by_name_.emplace(t.name, &t);
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat("tensor '", t.name, "' is in two shards: ",
                                                       it->second->file, " and ", t.file));
      }
      ckpt->total_tensor_bytes_ += t.nbytes;
    }
    ckpt->files_.push_back(std::move(*file));
  }
  for (const auto& [name, view] : ckpt->by_name_) ckpt->sorted_.push_back(view);

  if (index) {
    if (absl::Status s = ckpt->CrossCheckIndex(index_path, *index); !s.ok()) return s;
  }
  const std::string quant_path = (fs::path(dir) / kQuantFile).string();
  if (fs::exists(quant_path, ec)) {
    if (absl::Status s = ckpt->LoadQuantizationMetadata(quant_path); !s.ok()) return s;
  }
  return ckpt;
}

const TensorView* Checkpoint::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

absl::Status Checkpoint::CrossCheckIndex(const std::string& index_path, const json& index) {
  std::set<std::string> open_files;
  for (const auto& file : files_) open_files.insert(fs::path(file->path()).filename().string());
  size_t listed = 0;
  for (const auto& [tensor, shard_json] : index["weight_map"].items()) {
    const std::string shard = shard_json.get<std::string>();
    if (!open_files.count(shard)) {
      return absl::NotFoundError(absl::StrCat(index_path, ": tensor '", tensor,
                                              "' maps to shard '", shard,
                                              "', which does not exist in ", dir_));
    }
    const TensorView* found = Find(tensor);
    if (found == nullptr || fs::path(found->file).filename().string() != shard) {
      return absl::InvalidArgumentError(absl::StrCat(
          index_path, ": tensor '", tensor, "' maps to shard '", shard,
          "', which has no such tensor",
          found ? absl::StrCat(" (it is in ", found->file, ")") : std::string()));
    }
    ++listed;
  }
  // §6: an index may omit tensors (a known NVFP4 export omits its scales); only note it.
  if (listed < by_name_.size()) {
    notes_.push_back(absl::StrCat(kIndexFile, " lists ", listed, " of ", by_name_.size(),
                                  " tensors; the shard headers are authoritative"));
  }
  if (index.contains("metadata") && index["metadata"].is_object() &&
      index["metadata"].contains("total_size")) {
    const json& total = index["metadata"]["total_size"];
    if (!total.is_number_unsigned()) {
      return absl::InvalidArgumentError(
          absl::StrCat(index_path, ": field 'metadata.total_size' must be an integer, got ",
                       total.dump()));
    }
    if (total.get<uint64_t>() != total_tensor_bytes_) {
      notes_.push_back(absl::StrCat(kIndexFile, " metadata.total_size is ", total.get<uint64_t>(),
                                    " but the shards hold ", total_tensor_bytes_,
                                    " tensor bytes"));
    }
  }
  return absl::OkStatus();
}

absl::Status Checkpoint::LoadQuantizationMetadata(const std::string& path) {
  absl::StatusOr<json> parsed = ReadJsonFile(path);
  if (!parsed.ok()) return parsed.status();
  auto fail = [&](const std::string& field, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": field '", field, "' ", what));
  };
  if (!parsed->is_object() || !parsed->contains("quantization") ||
      !(*parsed)["quantization"].is_object()) {
    return fail("quantization", "is missing or not an object");
  }
  const json& q = (*parsed)["quantization"];
  QuantizationMetadata meta;
  meta.path = path;
  if (parsed->contains("producer") && (*parsed)["producer"].is_object()) {
    const json& p = (*parsed)["producer"];
    meta.producer = absl::StrCat(p.value("name", std::string("?")), " ",
                                 p.value("version", std::string("?")));
  }
  if (!q.contains("quant_algo") || !q["quant_algo"].is_string()) {
    return fail("quantization.quant_algo", "is missing or not a string");
  }
  meta.quant_algo = q["quant_algo"].get<std::string>();
  if (meta.quant_algo != "NVFP4") {
    return fail("quantization.quant_algo",
                absl::StrCat("is \"", meta.quant_algo, "\"; only \"NVFP4\" is supported"));
  }
  if (!q.contains("group_size") || !q["group_size"].is_number_integer() ||
      q["group_size"].get<int64_t>() != 16) {
    return fail("quantization.group_size",
                absl::StrCat("must be 16, got ", q.value("group_size", json()).dump()));
  }
  meta.group_size = 16;
  if (q.contains("kv_cache_quant_algo") && q["kv_cache_quant_algo"].is_string()) {
    meta.kv_cache_quant_algo = q["kv_cache_quant_algo"].get<std::string>();
  }
  if (q.contains("exclude_modules") && !q["exclude_modules"].is_null()) {
    if (!q["exclude_modules"].is_array()) {
      return fail("quantization.exclude_modules", "must be a list of strings");
    }
    for (const json& m : q["exclude_modules"]) {
      if (!m.is_string()) return fail("quantization.exclude_modules", "must be a list of strings");
      meta.exclude_modules.push_back(m.get<std::string>());
    }
  }
  quantization_ = std::move(meta);
  return absl::OkStatus();
}

}  // namespace dsc::frontend
