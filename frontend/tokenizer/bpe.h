// The BPE model of tokenizer.json: vocabulary, ranked merges, and the per-piece merge loop
// (lowest rank first, leftmost among equals; tokenizer.md §6), with a piece -> ids cache.
#ifndef DSC_FRONTEND_TOKENIZER_BPE_H_
#define DSC_FRONTEND_TOKENIZER_BPE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "frontend/tokenizer/string_view_compat.h"
#include "nlohmann/json_fwd.hpp"

namespace dsc::tokenizer_internal {

// Token ids index dense tables: ids may leave gaps, but no id may lie more than this past the
// number of vocabulary entries (a stray huge id would otherwise allocate gigabytes).
inline constexpr int64_t kMaxIdGap = int64_t{1} << 20;

// What merging the adjacent symbols (left, right) gives, and how early that merge happens.
struct MergeResult {
  int32_t rank;
  int32_t merged_id;
};
using MergeTable = absl::flat_hash_map<uint64_t, MergeResult>;
inline uint64_t MergeKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// Merges `symbols` in place with a priority queue over (rank, position) and a linked list of
// symbols, as HF's Word::merge_all does: O(n log n) for a piece of n symbols.
void MergeWithPriorityQueue(const MergeTable& merges, std::vector<int32_t>* symbols);
// The same result by the textbook loop (repeatedly merge the lowest-ranked leftmost pair):
// O(n^2). The reference the fast path is tested against; also fastest for very short pieces.
void MergeBySimpleLoop(const MergeTable& merges, std::vector<int32_t>* symbols);

class BpeModel {
 public:
  // `json` is the "model" object of tokenizer.json. With `byte_level`, pieces handed to
  // Encode are raw UTF-8 and are mapped to the byte-level alphabet before lookup.
  static absl::StatusOr<std::unique_ptr<BpeModel>> FromJson(const nlohmann::json& json,
                                                            bool byte_level);

  // Appends the ids of one pre-tokenized piece to `ids`.
  void Encode(std::string_view piece, std::vector<int32_t>* ids) const;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  // The vocabulary string of `id`, or nullptr when the vocabulary has no such id.
  const std::string* IdToToken(int32_t id) const;
  // One more than the largest vocabulary id.
  int32_t id_limit() const { return static_cast<int32_t>(id_to_token_.size()); }

  // The piece cache changes speed, never results; benchmarks turn it off to measure misses.
  void set_cache_enabled(bool enabled) { cache_enabled_ = enabled; }

 private:
  BpeModel() = default;
  // Ids of `piece` without the cache.
  void EncodeUncached(std::string_view piece, std::vector<int32_t>* ids) const;
  // Appends the initial symbol ids (one per character, or per byte in byte-level mode).
  void AppendInitialSymbols(std::string_view piece, std::vector<int32_t>* symbols) const;

  absl::flat_hash_map<std::string, int32_t> token_to_id_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> id_in_vocab_;
  MergeTable merges_;
  bool byte_level_ = false;
  std::array<int32_t, 256> byte_symbol_id_{};  // vocab id of each byte's symbol, -1 if none
  bool ignore_merges_ = false;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;

  bool cache_enabled_ = true;
  mutable std::mutex cache_mutex_;
  mutable absl::flat_hash_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace dsc::tokenizer_internal

#endif  // DSC_FRONTEND_TOKENIZER_BPE_H_
