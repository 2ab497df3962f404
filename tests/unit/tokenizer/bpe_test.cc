// BPE merging: the priority-queue merge equals the textbook lowest-rank-leftmost loop on
// random merge tables and inputs, including the stale-entry and equal-rank cases.
#include "frontend/tokenizer/bpe.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace dsc::tokenizer_internal {
namespace {

TEST(BpeMergeTest, EqualRanksMergeLeftmostFirst) {
  MergeTable merges;
  merges[MergeKey(1, 1)] = {0, 2};  // "a a" -> "aa"
  std::vector<int32_t> symbols = {1, 1, 1};
  MergeWithPriorityQueue(merges, &symbols);
  EXPECT_EQ(symbols, (std::vector<int32_t>{2, 1}));
  symbols = {1, 1, 1, 1};
  MergeWithPriorityQueue(merges, &symbols);
  EXPECT_EQ(symbols, (std::vector<int32_t>{2, 2}));
}

TEST(BpeMergeTest, LowerRankWinsOverPosition) {
  MergeTable merges;
  merges[MergeKey(1, 2)] = {5, 10};
  merges[MergeKey(2, 3)] = {1, 11};
  merges[MergeKey(1, 11)] = {2, 12};
  std::vector<int32_t> symbols = {1, 2, 3};
  MergeWithPriorityQueue(merges, &symbols);
  EXPECT_EQ(symbols, (std::vector<int32_t>{12}));
}

TEST(BpeMergeTest, PriorityQueueEqualsSimpleLoopOnRandomTables) {
  std::mt19937 rng(7);
  for (int table = 0; table < 50; ++table) {
    // Symbols 0..5 are "characters"; each merge creates a new symbol id.
    MergeTable merges;
    int32_t next_id = 6;
    const int merge_count = 5 + table % 20;
    for (int rank = 0; rank < merge_count; ++rank) {
      const int32_t left = static_cast<int32_t>(rng() % next_id);
      const int32_t right = static_cast<int32_t>(rng() % next_id);
      if (merges.contains(MergeKey(left, right))) continue;
      merges[MergeKey(left, right)] = {rank, next_id++};
    }
    for (int word = 0; word < 200; ++word) {
      std::vector<int32_t> symbols(1 + rng() % 40);
      for (int32_t& s : symbols) s = static_cast<int32_t>(rng() % 3);  // few chars: many merges
      std::vector<int32_t> fast = symbols, reference = symbols;
      MergeWithPriorityQueue(merges, &fast);
      MergeBySimpleLoop(merges, &reference);
      ASSERT_EQ(fast, reference) << "table " << table << " word " << word;
    }
  }
}

}  // namespace
}  // namespace dsc::tokenizer_internal
