// BPE merging (HF models/bpe/word.rs semantics) and loading of the "model" section.
#include "frontend/tokenizer/bpe.h"

#include <limits>
#include <queue>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "frontend/tokenizer/byte_level.h"
#include "frontend/tokenizer/utf8.h"
#include "nlohmann/json.hpp"

namespace dsc::tokenizer_internal {
namespace {

// Pieces longer than this are not cached (they are rare and would bloat the cache).
constexpr size_t kMaxCachedPieceBytes = 256;
// The cache starts over when it holds this many pieces, bounding memory on endless input.
constexpr size_t kMaxCachedPieces = 1 << 17;

struct Candidate {
  int32_t rank;
  int32_t position;  // index of the left symbol in the original sequence
  int32_t merged_id;
  // priority_queue is a max-heap: "less" means later (higher rank, then further right).
  bool operator<(const Candidate& other) const {
    return rank != other.rank ? rank > other.rank : position > other.position;
  }
};

const MergeResult* FindMerge(const MergeTable& merges, int32_t left, int32_t right) {
  auto it = merges.find(MergeKey(left, right));
  return it == merges.end() ? nullptr : &it->second;
}

absl::StatusOr<int32_t> LookUp(const absl::flat_hash_map<std::string, int32_t>& vocab,
                               const std::string& token, const std::string& where) {
  auto it = vocab.find(token);
  if (it == vocab.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": token \"", token, "\" is not in model.vocab"));
  }
  return it->second;
}

}  // namespace

void MergeWithPriorityQueue(const MergeTable& merges, std::vector<int32_t>* symbols) {
  const int32_t n = static_cast<int32_t>(symbols->size());
  if (n < 2) return;
  std::vector<int32_t>& id = *symbols;
  std::vector<int32_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  std::priority_queue<Candidate> queue;
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
    if (i + 1 < n) {
      if (const MergeResult* m = FindMerge(merges, id[i], id[i + 1])) {
        queue.push({m->rank, i, m->merged_id});
      }
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const int32_t pos = top.position;
    if (!alive[pos] || next[pos] < 0) continue;
    const int32_t right = next[pos];
    // A stale entry: one of the two symbols has changed since it was queued.
    const MergeResult* current = FindMerge(merges, id[pos], id[right]);
    if (current == nullptr || current->merged_id != top.merged_id) continue;
    id[pos] = top.merged_id;
    alive[right] = false;
    next[pos] = next[right];
    if (next[pos] >= 0) prev[next[pos]] = pos;
    if (prev[pos] >= 0) {
      if (const MergeResult* m = FindMerge(merges, id[prev[pos]], id[pos])) {
        queue.push({m->rank, prev[pos], m->merged_id});
      }
    }
    if (next[pos] >= 0) {
      if (const MergeResult* m = FindMerge(merges, id[pos], id[next[pos]])) {
        queue.push({m->rank, pos, m->merged_id});
      }
    }
  }
  int32_t kept = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (alive[i]) id[kept++] = id[i];
  }
  symbols->resize(kept);
}

void MergeBySimpleLoop(const MergeTable& merges, std::vector<int32_t>* symbols) {
  std::vector<int32_t>& id = *symbols;
  while (id.size() >= 2) {
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    size_t best = 0;
    int32_t best_merged = -1;
    for (size_t i = 0; i + 1 < id.size(); ++i) {
      const MergeResult* m = FindMerge(merges, id[i], id[i + 1]);
      if (m != nullptr && m->rank < best_rank) {
        best_rank = m->rank;
        best = i;
        best_merged = m->merged_id;
      }
    }
    if (best_merged < 0) return;
    id[best] = best_merged;
    id.erase(id.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
}

void BpeModel::AppendInitialSymbols(std::string_view piece, std::vector<int32_t>* symbols) const {
  bool last_was_unknown = false;
  auto add_unknown = [&](std::string_view symbol) {
    if (byte_fallback_) {
      std::vector<int32_t> byte_ids;
      for (unsigned char b : symbol) {
        auto it = token_to_id_.find(absl::StrFormat("<0x%02X>", b));
        if (it == token_to_id_.end()) break;
        byte_ids.push_back(it->second);
      }
      if (byte_ids.size() == symbol.size()) {
        symbols->insert(symbols->end(), byte_ids.begin(), byte_ids.end());
        last_was_unknown = false;
        return;
      }
    }
    if (!unk_id_) return;  // HF drops characters it can't represent when there is no unk
    if (!(fuse_unk_ && last_was_unknown)) symbols->push_back(*unk_id_);
    last_was_unknown = true;
  };
  if (byte_level_) {
    for (unsigned char b : piece) {
      if (byte_symbol_id_[b] >= 0) {
        symbols->push_back(byte_symbol_id_[b]);
        last_was_unknown = false;
      } else {
        std::string symbol;
        utf8::AppendCodePoint(byte_level::ByteToCodePoint(b), &symbol);
        add_unknown(symbol);
      }
    }
    return;
  }
  for (size_t pos = 0; pos < piece.size();) {
    const size_t length = utf8::SequenceLength(static_cast<unsigned char>(piece[pos]));
    const std::string_view symbol = piece.substr(pos, length);
    pos += length;
    auto it = token_to_id_.find(ToAbsl(symbol));
    if (it != token_to_id_.end()) {
      symbols->push_back(it->second);
      last_was_unknown = false;
    } else {
      add_unknown(symbol);
    }
  }
}

void BpeModel::EncodeUncached(std::string_view piece, std::vector<int32_t>* ids) const {
  if (ignore_merges_) {
    const std::string word = byte_level_ ? byte_level::Encode(piece) : std::string(piece);
    if (auto it = token_to_id_.find(ToAbsl(word)); it != token_to_id_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  std::vector<int32_t> symbols;
  symbols.reserve(piece.size());
  AppendInitialSymbols(piece, &symbols);
  MergeWithPriorityQueue(merges_, &symbols);
  ids->insert(ids->end(), symbols.begin(), symbols.end());
}

void BpeModel::Encode(std::string_view piece, std::vector<int32_t>* ids) const {
  if (piece.empty()) return;
  const bool cacheable = cache_enabled_ && piece.size() <= kMaxCachedPieceBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache_.find(ToAbsl(piece)); it != cache_.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = ids->size();
  EncodeUncached(piece, ids);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kMaxCachedPieces) cache_.clear();
    cache_.try_emplace(std::string(piece), ids->begin() + static_cast<std::ptrdiff_t>(first), ids->end());
  }
}

std::optional<int32_t> BpeModel::TokenToId(std::string_view token) const {
  auto it = token_to_id_.find(ToAbsl(token));
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || id >= id_limit() || !id_in_vocab_[id]) return nullptr;
  return &id_to_token_[id];
}

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::FromJson(const nlohmann::json& json,
                                                             bool byte_level) {
  if (!json.is_object()) return absl::InvalidArgumentError("model: expected an object");
  if (auto type = json.find("type"); type != json.end() && *type != "BPE") {
    return absl::UnimplementedError(
        absl::StrCat("model.type: only BPE is supported, got ", type->dump()));
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = json.find(key);
    if (it != json.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty())) {
      return absl::UnimplementedError(absl::StrCat("model.", key, " is not supported"));
    }
  }
  if (auto it = json.find("dropout"); it != json.end() && it->is_number() && it->get<double>() > 0) {
    return absl::UnimplementedError("model.dropout: BPE dropout is not supported");
  }
  auto model = std::unique_ptr<BpeModel>(new BpeModel());
  model->byte_level_ = byte_level;
  auto bool_field = [&](const char* key) {
    auto it = json.find(key);
    return it != json.end() && it->is_boolean() && it->get<bool>();
  };
  model->ignore_merges_ = bool_field("ignore_merges");
  model->fuse_unk_ = bool_field("fuse_unk");
  model->byte_fallback_ = bool_field("byte_fallback");

  auto vocab = json.find("vocab");
  if (vocab == json.end() || !vocab->is_object()) {
    return absl::InvalidArgumentError("model.vocab: expected an object of token -> id");
  }
  model->token_to_id_.reserve(vocab->size());
  // The id tables are dense, so one stray huge id would allocate gigabytes (found by fuzzing):
  // ids may leave gaps, but not of more than kMaxIdGap past the number of entries.
  const int64_t max_id = static_cast<int64_t>(vocab->size()) + kMaxIdGap;
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("model.vocab[\"", it.key(), "\"]: expected a non-negative id, got ",
                       it->dump()));
    }
    if (it->get<int64_t>() >= max_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("model.vocab[\"", it.key(), "\"]: id ", it->dump(), " is more than ",
                       kMaxIdGap, " past the ", vocab->size(), " vocabulary entries"));
    }
    const int32_t id = static_cast<int32_t>(it->get<int64_t>());
    model->token_to_id_[it.key()] = id;
    if (id >= model->id_limit()) {
      model->id_to_token_.resize(id + 1);
      model->id_in_vocab_.resize(id + 1, false);
    }
    model->id_to_token_[id] = it.key();
    model->id_in_vocab_[id] = true;
  }

  auto merges = json.find("merges");
  if (merges == json.end() || !merges->is_array()) {
    return absl::InvalidArgumentError("model.merges: expected an array");
  }
  model->merges_.reserve(merges->size());
  for (size_t rank = 0; rank < merges->size(); ++rank) {
    const nlohmann::json& merge = (*merges)[rank];
    const std::string where = absl::StrCat("model.merges[", rank, "]");
    std::string left, right;
    if (merge.is_string()) {
      const std::string& line = merge.get_ref<const std::string&>();
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": expected \"LEFT RIGHT\" with one space, got ", merge.dump()));
      }
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected \"LEFT RIGHT\" or [LEFT, RIGHT], got ", merge.dump()));
    }
    absl::StatusOr<int32_t> left_id = LookUp(model->token_to_id_, left, where);
    if (!left_id.ok()) return left_id.status();
    absl::StatusOr<int32_t> right_id = LookUp(model->token_to_id_, right, where);
    if (!right_id.ok()) return right_id.status();
    absl::StatusOr<int32_t> merged_id = LookUp(model->token_to_id_, left + right, where);
    if (!merged_id.ok()) return merged_id.status();
    // Like HF's map collection, a repeated pair keeps its last rank.
    model->merges_.insert_or_assign(MergeKey(*left_id, *right_id),
                                    MergeResult{static_cast<int32_t>(rank), *merged_id});
  }

  if (auto unk = json.find("unk_token"); unk != json.end() && unk->is_string()) {
    absl::StatusOr<int32_t> unk_id = LookUp(model->token_to_id_, unk->get<std::string>(),
                                            "model.unk_token");
    if (!unk_id.ok()) return unk_id.status();
    model->unk_id_ = *unk_id;
  }
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    utf8::AppendCodePoint(byte_level::ByteToCodePoint(static_cast<unsigned char>(b)), &symbol);
    auto it = model->token_to_id_.find(ToAbsl(symbol));
    model->byte_symbol_id_[b] = it == model->token_to_id_.end() ? -1 : it->second;
  }
  return model;
}

}  // namespace dsc::tokenizer_internal
