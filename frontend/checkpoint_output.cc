// Staging directory, shard splitting and writing, index and JSON side files, ModelOpt metadata,
// page release and a tiny parallel-for for the checkpoint writers (synth, convert).
#include "frontend/checkpoint_output.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dsc::frontend {
namespace fs = std::filesystem;

// --- StagingDir ------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<StagingDir>> StagingDir::Create(const std::string& out_arg) {
  // "dir/" and "dir" are the same directory; the staging name must be a sibling, not a child.
  fs::path out_path = fs::path(out_arg).lexically_normal();
  if (out_path.filename().empty()) out_path = out_path.parent_path();
  const std::string out = out_path.string();
  if (out.empty() || out == "." || out == "/") {
    return absl::InvalidArgumentError(
        absl::StrCat("'", out_arg, "' cannot be an output directory (name a new directory)"));
  }
  std::error_code ec;
  if (fs::exists(out_path, ec)) {
    if (!fs::is_directory(out_path, ec)) {
      return absl::AlreadyExistsError(absl::StrCat(out, ": exists and is not a directory"));
    }
    if (!fs::is_empty(out_path, ec)) {
      return absl::AlreadyExistsError(
          absl::StrCat(out, ": output directory exists and is not empty (refusing to overwrite)"));
    }
  }
  const fs::path parent = out_path.parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  const std::string staging = absl::StrCat(out, ".tmp.", ::getpid());
  fs::remove_all(staging, ec);
  if (!fs::create_directory(staging, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat(staging, ": cannot create staging directory: ", ec.message()));
  }
  return std::unique_ptr<StagingDir>(new StagingDir(out, staging));
}

StagingDir::~StagingDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string StagingDir::File(std::string_view name) const {
  return (fs::path(path_) / std::string(name)).string();
}

absl::Status StagingDir::Commit() {
  std::error_code ec;
  if (fs::is_directory(out_, ec) && fs::is_empty(out_, ec)) fs::remove(out_, ec);
  if (std::rename(path_.c_str(), out_.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("rename ", path_, " -> ", out_, " failed: ", std::strerror(errno)));
  }
  committed_ = true;
  return absl::OkStatus();
}

// --- Shards ----------------------------------------------------------------------------------

uint64_t OutputTensor::nbytes() const {
  uint64_t n = StDtypeSize(dtype);
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

std::string ShardFileName(int index, int count) {
  if (count == 1) return "model.safetensors";
  return absl::StrFormat("model-%05d-of-%05d.safetensors", index, count);
}

std::vector<OutputShard> SplitIntoShards(std::vector<OutputTensor> tensors, int count) {
  count = std::max(count, 1);
  uint64_t total = 0;
  for (const OutputTensor& t : tensors) total += t.nbytes();
  std::vector<std::vector<OutputTensor>> buckets(static_cast<size_t>(count));
  // A group's shard is decided by where its first tensor starts, so groups stay whole.
  uint64_t offset = 0;
  size_t bucket = 0;
  std::string current_group;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (i == 0 || tensors[i].group.empty() || tensors[i].group != current_group) {
      bucket = total == 0 ? 0
                          : std::min<size_t>(count - 1, static_cast<size_t>(
                                                            (static_cast<double>(offset) * count) /
                                                            static_cast<double>(total)));
      current_group = tensors[i].group;
    }
    offset += tensors[i].nbytes();
    buckets[bucket].push_back(std::move(tensors[i]));
  }
  std::vector<OutputShard> shards;
  for (auto& b : buckets) {
    if (!b.empty()) shards.push_back({"", std::move(b)});
  }
  for (size_t k = 0; k < shards.size(); ++k) {
    shards[k].file_name = ShardFileName(static_cast<int>(k + 1), static_cast<int>(shards.size()));
  }
  return shards;
}

absl::StatusOr<WrittenFiles> WriteShards(const std::string& dir, std::vector<OutputShard> shards,
                                         bool write_index,
                                         const std::function<void(int64_t done, int64_t total)>& progress) {
  WrittenFiles written;
  nlohmann::ordered_json weight_map_sorted = nlohmann::ordered_json::object();
  std::map<std::string, std::string> weight_map;
  int64_t total = 0, done = 0;
  for (const OutputShard& shard : shards) {
    for (const OutputTensor& t : shard.tensors) total += static_cast<int64_t>(t.nbytes());
  }
  if (progress) progress(0, total);
  for (OutputShard& shard : shards) {
    SafetensorsWriter writer;
    writer.SetMetadata("format", "pt");
    for (OutputTensor& t : shard.tensors) {
      written.tensor_bytes += t.nbytes();
      weight_map[t.name] = shard.file_name;
      SafetensorsWriter::Producer producer = std::move(t.producer);
      if (progress) {  // count the bytes as they stream past
        producer = [inner = std::move(producer), &progress, &done, total](const SafetensorsWriter::ByteSink& sink) {
          return inner([&](std::span<const uint8_t> chunk) {
            done += static_cast<int64_t>(chunk.size());
            progress(done, total);
            return sink(chunk);
          });
        };
      }
      writer.AddLazy(t.name, t.dtype, t.shape, std::move(producer));
    }
    const std::string path = (fs::path(dir) / shard.file_name).string();
    if (absl::Status s = writer.WriteAtomic(path); !s.ok()) return s;
    std::error_code ec;
    written.file_bytes += fs::file_size(path, ec);
    written.files.push_back(shard.file_name);
  }
  if (write_index) {
    nlohmann::ordered_json index;
    index["metadata"]["total_size"] = written.tensor_bytes;
    for (const auto& [name, file] : weight_map) weight_map_sorted[name] = file;
    index["weight_map"] = std::move(weight_map_sorted);
    if (absl::Status s = WriteJsonFile((fs::path(dir) / "model.safetensors.index.json").string(),
                                       index);
        !s.ok()) {
      return s;
    }
    written.files.push_back("model.safetensors.index.json");
  }
  return written;
}

// --- Side files ------------------------------------------------------------------------------

namespace {

absl::Status WriteTextFile(const std::string& path, const std::string& text) {
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      std::remove(temp.c_str());
      return absl::InternalError(absl::StrCat(path, ": write failed"));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return absl::InternalError(absl::StrCat(path, ": rename failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteJsonFile(const std::string& path, const nlohmann::ordered_json& json) {
  return WriteTextFile(path, json.dump(2) + "\n");
}

absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& json) {
  return WriteTextFile(path, json.dump(2) + "\n");
}

absl::Status CopyFile(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(from, ": cannot open"));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrCat(from, ": read failed"));
  return WriteTextFile(to, bytes);
}

nlohmann::ordered_json HfQuantConfigJson(std::vector<std::string> exclude) {
  std::sort(exclude.begin(), exclude.end());
  nlohmann::ordered_json j;
  j["producer"] = {{"name", "modelopt"}, {"version", "0.37.0"}};
  j["quantization"]["quant_algo"] = "NVFP4";
  j["quantization"]["kv_cache_quant_algo"] = nullptr;
  j["quantization"]["group_size"] = 16;
  j["quantization"]["exclude_modules"] = exclude;
  return j;
}

nlohmann::json ModeloptQuantizationConfig(std::vector<std::string> exclude) {
  std::sort(exclude.begin(), exclude.end());
  const nlohmann::json fp4 = {
      {"dynamic", false}, {"group_size", 16}, {"num_bits", 4}, {"type", "float"}};
  nlohmann::json j;
  j["config_groups"]["group_0"] = {
      {"input_activations", fp4}, {"targets", {"Linear"}}, {"weights", fp4}};
  j["ignore"] = exclude;
  j["kv_cache_scheme"] = nullptr;
  j["producer"] = {{"name", "modelopt"}, {"version", "0.37.0"}};
  j["quant_algo"] = "NVFP4";
  j["quant_method"] = "modelopt";
  return j;
}

nlohmann::json Fp8QuantizationConfig() {
  return {{"activation_scheme", "dynamic"},
          {"fmt", "e4m3"},
          {"quant_method", "fp8"},
          {"scale_fmt", "ue8m0"},
          {"weight_block_size", {128, 128}}};
}

// --- Memory and threads ----------------------------------------------------------------------

void ReleaseMappedPages(const void* data, size_t size) {
  if (data == nullptr || size == 0) return;
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(data) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(data) + size;
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

int ResolveThreads(int threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

void ParallelFor(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t t = std::max<int64_t>(1, std::min<int64_t>(ResolveThreads(threads), n));
  if (t <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  std::vector<std::thread> workers;
  for (int64_t i = 1; i < t; ++i) {
    workers.emplace_back([&fn, i, n, t] { fn(n * i / t, n * (i + 1) / t); });
  }
  fn(0, n / t);
  for (std::thread& w : workers) w.join();
}

}  // namespace dsc::frontend
