// SafetensorsFile::ReadIntoMemory (`--no-mmap`): the file's bytes move into anonymous memory at
// the same address, so every TensorView stays valid and reads the same bytes; a file that
// shrank or was replaced since it was opened is an error naming it, and the mapping is kept.
#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "test_checkpoints.h"

namespace dsc::frontend {
namespace {

using test_util::ScratchDir;

// The /proc/self/maps line of the mapping that holds `address` ("" if none).
std::string MapsLine(const void* address) {
  std::ifstream maps("/proc/self/maps");
  const auto a = reinterpret_cast<uintptr_t>(address);
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && lo <= a && a < hi) return line;
  }
  return "";
}

// A real shard of several MiB (tinycode's NVFP4 checkpoint) copied into `dir`.
std::string CopyOfAShard(const ScratchDir& dir) {
  const std::string path = dir.File("model.safetensors");
  test_util::WriteBytes(path, test_util::ReadBytes(test_util::TinycodeNvfp4Dir() + "/model.safetensors"));
  return path;
}

TEST(ReadIntoMemory, TensorsKeepTheirAddressesAndBytes) {
  ScratchDir dir;
  const std::string path = CopyOfAShard(dir);
  auto mapped = SafetensorsFile::Open(path);
  auto copied = SafetensorsFile::Open(path);
  ASSERT_TRUE(mapped.ok() && copied.ok());
  const std::vector<TensorView>& tensors = (*copied)->tensors();
  ASSERT_GT(tensors.size(), 10u);
  std::vector<const uint8_t*> before;
  for (const TensorView& t : tensors) before.push_back(t.data);
  EXPECT_NE(MapsLine(tensors[0].data).find(path), std::string::npos) << MapsLine(tensors[0].data);

  uint64_t last_progress = 0;
  ASSERT_TRUE((*copied)->ReadIntoMemory([&](uint64_t read) { last_progress = read; }).ok());
  EXPECT_TRUE((*copied)->in_memory());
  EXPECT_EQ(last_progress, (*copied)->file_size());
  // Now anonymous memory, read-only, not the file.
  const std::string line = MapsLine(tensors[0].data);
  EXPECT_EQ(line.find(path), std::string::npos) << line;
  EXPECT_NE(line.find(" r--p "), std::string::npos) << line;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorView& t = tensors[i];
    ASSERT_EQ(t.data, before[i]) << t.name;
    const TensorView* m = (*mapped)->Find(t.name);
    ASSERT_NE(m, nullptr) << t.name;
    ASSERT_EQ(t.nbytes, m->nbytes);
    EXPECT_EQ(std::memcmp(t.data, m->data, t.nbytes), 0) << t.name;
  }
  // A second call does nothing.
  EXPECT_TRUE((*copied)->ReadIntoMemory().ok());
}

TEST(ReadIntoMemory, AFileThatShrankIsAnErrorAndTheMappingStays) {
  ScratchDir dir;
  const std::string path = CopyOfAShard(dir);
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok());
  const uint64_t size = (*file)->file_size();
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(size / 2)), 0);
  absl::Status s = (*file)->ReadIntoMemory();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find(path), std::string::npos) << s;
  EXPECT_NE(s.message().find("shrank"), std::string::npos) << s;
  EXPECT_FALSE((*file)->in_memory());
  EXPECT_NE(MapsLine((*file)->tensors()[0].data).find(path), std::string::npos);
}

TEST(ReadIntoMemory, AFileReplacedSinceOpenIsAnError) {
  ScratchDir dir;
  const std::string path = CopyOfAShard(dir);
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok());
  // A writer replaced the file (new file renamed over it): same size, one header byte differs.
  // The mapping still shows the old file; the read sees the new one.
  std::string bytes = test_util::ReadBytes(path);
  bytes[9] = static_cast<char>(bytes[9] ^ 1);
  test_util::WriteBytes(dir.File("new"), bytes);
  std::filesystem::rename(dir.File("new"), path);
  absl::Status s = (*file)->ReadIntoMemory();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find(path), std::string::npos) << s;
  EXPECT_NE(s.message().find("changed"), std::string::npos) << s;
  EXPECT_FALSE((*file)->in_memory());
}

}  // namespace
}  // namespace dsc::frontend
