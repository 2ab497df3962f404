// Reader and writer of .safetensors: the shared checkpoints, the worked example of
// checkpoint.md §7 byte for byte, round trips, streaming, and float decoding.
#include "frontend/safetensors.h"

#include <cmath>
#include <cstring>

#include "frontend/safetensors_writer.h"
#include "gtest/gtest.h"
#include "test_checkpoints.h"

namespace dsc::frontend {
namespace {

using test_util::ReadBytes;
using test_util::ScratchDir;

TEST(SafetensorsReader, OpensGoldenTinyA) {
  auto file = SafetensorsFile::Open(test_util::TinyADir() + "/model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  const auto& tensors = (*file)->tensors();
  EXPECT_EQ(tensors.size(), 532u);  // 533 header keys minus __metadata__
  EXPECT_EQ((*file)->metadata().at("format"), "pt");
  // Views tile the data buffer in offset order.
  uint64_t offset = 8 + (*file)->header_size();
  for (const TensorView& t : tensors) {
    EXPECT_EQ(t.file_offset, offset) << t.name;
    offset += t.nbytes;
  }
  EXPECT_EQ(offset, (*file)->file_size());

  const TensorView* embed = (*file)->Find("model.embed_tokens.weight");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->dtype, StDtype::kBF16);
  EXPECT_EQ(embed->shape, (std::vector<int64_t>{2048, 256}));
  EXPECT_EQ(embed->nbytes, 2048u * 256 * 2);
  const TensorView* packed = (*file)->Find("model.layers.0.self_attn.q_a_proj.weight");
  ASSERT_NE(packed, nullptr);
  EXPECT_EQ(packed->dtype, StDtype::kU8);
  EXPECT_EQ(packed->shape, (std::vector<int64_t>{128, 128}));
  const TensorView* scale = (*file)->Find("model.layers.0.self_attn.q_a_proj.weight_scale");
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->dtype, StDtype::kF8E4M3);
  EXPECT_EQ(scale->shape, (std::vector<int64_t>{128, 16}));
  EXPECT_EQ((*file)->Find("no.such.tensor"), nullptr);

  // Zero copy: the view points into the mapping at file_offset.
  std::string bytes = ReadBytes(test_util::TinyADir() + "/model.safetensors");
  EXPECT_EQ(std::memcmp(bytes.data() + embed->file_offset, embed->data, embed->nbytes), 0);
}

TEST(SafetensorsReader, OpensBothTinycodeShards) {
  size_t total = 0;
  for (const char* shard : {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) {
    auto file = SafetensorsFile::Open(test_util::TinycodeBf16Dir() + "/" + shard);
    ASSERT_TRUE(file.ok()) << file.status();
    for (const TensorView& t : (*file)->tensors()) {
      EXPECT_NE(t.dtype, StDtype::kU8) << t.name;  // a BF16 export has no packed weights
      total += t.nbytes;
    }
  }
  auto index = test_util::ReadJson(test_util::TinycodeBf16Dir() + "/model.safetensors.index.json");
  EXPECT_EQ(total, index["metadata"]["total_size"].get<uint64_t>());
}

TEST(SafetensorsReader, ReadAsFloat32WidensNormsAndScales) {
  auto file = SafetensorsFile::Open(test_util::TinyADir() + "/model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  auto norm = ReadAsFloat32(*(*file)->Find("model.norm.weight"));
  ASSERT_TRUE(norm.ok()) << norm.status();
  EXPECT_EQ(norm->size(), 256u);
  for (float v : *norm) EXPECT_TRUE(std::isfinite(v));
  auto scale2 = ReadAsFloat32(*(*file)->Find("model.layers.0.self_attn.q_a_proj.weight_scale_2"));
  ASSERT_TRUE(scale2.ok());
  ASSERT_EQ(scale2->size(), 1u);
  EXPECT_GT((*scale2)[0], 0.0f);
}

TEST(SafetensorsReader, DecodesE4M3Exactly) {
  // Anchors of formats.md §2.
  const std::vector<std::pair<uint8_t, float>> anchors = {
      {0x01, 0.001953125f}, {0x07, 0.013671875f}, {0x08, 0.015625f}, {0x30, 0.5f},
      {0x38, 1.0f},         {0x40, 2.0f},         {0x4C, 6.0f},      {0x71, 144.0f},
      {0x77, 240.0f},       {0x7E, 448.0f},       {0xB8, -1.0f},     {0xFE, -448.0f}};
  std::string bytes;
  for (const auto& [code, value] : anchors) bytes.push_back(static_cast<char>(code));
  bytes.push_back(static_cast<char>(0x7F));
  TensorView view{"codes", StDtype::kF8E4M3, {static_cast<int64_t>(bytes.size())},
                  reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "mem", 0};
  auto decoded = ReadAsFloat32(view);
  ASSERT_TRUE(decoded.ok());
  for (size_t i = 0; i < anchors.size(); ++i) EXPECT_EQ((*decoded)[i], anchors[i].second) << i;
  EXPECT_TRUE(std::isnan(decoded->back()));
}

TEST(SafetensorsWriter, WorkedExampleIsByteExact) {
  ScratchDir dir;
  SafetensorsWriter writer;
  writer.SetMetadata("format", "pt");
  const uint8_t data[] = {0x80, 0x3f, 0x00, 0xc0};
  writer.Add("w", StDtype::kBF16, {2}, std::span<const uint8_t>(data, 4));
  ASSERT_TRUE(writer.WriteAtomic(dir.File("example.safetensors")).ok());
  std::string expected("\x58\0\0\0\0\0\0\0", 8);
  expected += R"({"__metadata__":{"format":"pt"},"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})";
  expected += "  ";
  expected += std::string("\x80\x3f\x00\xc0", 4);
  ASSERT_EQ(expected.size(), 100u);
  EXPECT_EQ(ReadBytes(dir.File("example.safetensors")), expected);

  auto file = SafetensorsFile::Open(dir.File("example.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status();
  auto values = ReadAsFloat32(*(*file)->Find("w"));
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<float>{1.0f, -2.0f}));
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()), 1);
}

TEST(SafetensorsWriter, RoundTripKeepsEveryTensorAndAlignsLikeTheReference) {
  ScratchDir dir;
  SafetensorsWriter writer;
  std::vector<std::tuple<std::string, StDtype, std::vector<int64_t>>> specs = {
      {"b.u8", StDtype::kU8, {3, 5}},      {"a.f32", StDtype::kF32, {7}},
      {"scalar", StDtype::kF32, {}},       {"empty", StDtype::kBF16, {0, 4}},
      {"c.bf16", StDtype::kBF16, {2, 3}},  {"d.i64", StDtype::kI64, {2}},
      {"e.e4m3", StDtype::kF8E4M3, {9}}};
  std::map<std::string, std::string> contents;
  uint32_t seed = 1;  // unsigned: the LCG wraps (signed overflow is UB; UBSan stops on it)
  for (const auto& [name, dtype, shape] : specs) {
    size_t n = StDtypeSize(dtype);
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>((seed = seed * 1103515245u + 12345u) >> 16);
    contents[name] = bytes;
    writer.Add(name, dtype, shape, bytes);
  }
  ASSERT_TRUE(writer.WriteAtomic(dir.File("rt.safetensors")).ok());
  auto file = SafetensorsFile::Open(dir.File("rt.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->header_size() % 8, 0u);
  ASSERT_EQ((*file)->tensors().size(), specs.size());
  for (const TensorView& t : (*file)->tensors()) {
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.data), t.nbytes), contents[t.name]);
    EXPECT_EQ(t.file_offset % StDtypeSize(t.dtype), 0u) << t.name;  // dtype-descending order
  }
  // Descending element size, then name: I64, F32 x2, BF16 x2, then the 1-byte ones by name.
  std::vector<std::string> order;
  for (const TensorView& t : (*file)->tensors()) order.push_back(t.name);
  EXPECT_EQ(order, (std::vector<std::string>{"d.i64", "a.f32", "scalar", "c.bf16", "empty",
                                             "b.u8", "e.e4m3"}));
}

TEST(SafetensorsWriter, ReproducesTheGoldenDataLayout) {
  // Same tensors through our writer: identical data buffer and per-tensor data offsets.
  ScratchDir dir;
  const std::string src = test_util::TinyADir() + "/model.safetensors";
  auto original = SafetensorsFile::Open(src);
  ASSERT_TRUE(original.ok());
  SafetensorsWriter writer;
  for (const TensorView& t : (*original)->tensors()) {
    writer.Add(t.name, t.dtype, t.shape, std::span<const uint8_t>(t.data, t.nbytes));
  }
  writer.SetMetadata("format", "pt");
  ASSERT_TRUE(writer.WriteAtomic(dir.File("copy.safetensors")).ok());
  auto copy = SafetensorsFile::Open(dir.File("copy.safetensors"));
  ASSERT_TRUE(copy.ok()) << copy.status();
  const uint64_t original_data = 8 + (*original)->header_size();
  const uint64_t copy_data = 8 + (*copy)->header_size();
  for (const TensorView& t : (*original)->tensors()) {
    const TensorView* c = (*copy)->Find(t.name);
    ASSERT_NE(c, nullptr) << t.name;
    EXPECT_EQ(c->file_offset - copy_data, t.file_offset - original_data) << t.name;
  }
  // (EXPECT_TRUE, not EXPECT_EQ: a mismatch must not print megabytes of binary.)
  EXPECT_TRUE(ReadBytes(dir.File("copy.safetensors")).substr(copy_data) ==
              ReadBytes(src).substr(original_data));
}

TEST(SafetensorsWriter, StreamsLazyTensorsAndRejectsShortProducers) {
  ScratchDir dir;
  SafetensorsWriter writer;
  writer.AddLazy("big", StDtype::kF32, {1024, 1024},
                 [](const SafetensorsWriter::ByteSink& sink) -> absl::Status {
                   std::vector<float> row(1024);
                   for (int r = 0; r < 1024; ++r) {
                     for (int c = 0; c < 1024; ++c) row[c] = static_cast<float>(r * 1024 + c);
                     absl::Status s = sink({reinterpret_cast<const uint8_t*>(row.data()), 4096});
                     if (!s.ok()) return s;
                   }
                   return absl::OkStatus();
                 });
  ASSERT_TRUE(writer.WriteAtomic(dir.File("lazy.safetensors")).ok());
  auto file = SafetensorsFile::Open(dir.File("lazy.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status();
  auto values = ReadAsFloat32(*(*file)->Find("big"));
  ASSERT_TRUE(values.ok());
  EXPECT_EQ((*values)[123457], 123457.0f);

  SafetensorsWriter short_writer;
  short_writer.AddLazy("short", StDtype::kU8, {10},
                       [](const SafetensorsWriter::ByteSink& sink) {
                         const uint8_t five[5] = {};
                         return sink({five, 5});
                       });
  absl::Status s = short_writer.WriteAtomic(dir.File("short.safetensors"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'short'"), absl::string_view::npos) << s;
  EXPECT_FALSE(std::filesystem::exists(dir.File("short.safetensors")));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()), 1);  // only lazy.safetensors
}

TEST(SafetensorsWriter, RejectsWrongByteCountAndDuplicates) {
  SafetensorsWriter writer;
  writer.Add("x", StDtype::kBF16, {4, 4}, std::string(10, '\0'));
  auto header = writer.BuildHeader();
  ASSERT_FALSE(header.ok());
  EXPECT_NE(header.status().message().find("needs 32"), absl::string_view::npos);
  SafetensorsWriter dup;
  dup.Add("x", StDtype::kU8, {1}, std::string(1, '\0'));
  dup.Add("x", StDtype::kU8, {1}, std::string(1, '\0'));
  EXPECT_FALSE(dup.BuildHeader().ok());
}

}  // namespace
}  // namespace dsc::frontend
