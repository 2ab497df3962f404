// cse: merges pure ops that compute the same thing (same opcode, operands and attributes).
// A state read (cache_read) is only merged with an earlier read of the same state if no op
// with side effects on that state ran in between: a cache_write makes the earlier read stale.
#include <map>

#include "absl/strings/str_cat.h"

#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

using ir::Operation;

// Two ops compute the same value iff these keys are equal.
struct OpKey {
  ir::OpCode code;
  std::vector<const ir::Value*> operands;
  ir::AttrMap attrs;
  std::vector<ir::Type> types;
  bool operator==(const OpKey& o) const {
    return code == o.code && operands == o.operands && attrs == o.attrs && types == o.types;
  }
};

class CsePass : public Pass {
 public:
  std::string_view name() const override { return "cse"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      // Candidates bucketed by opcode and first operand; buckets are short.
      std::map<std::pair<int, const ir::Value*>, std::vector<std::pair<OpKey, Operation*>>> seen;
      for (const auto& op_ptr : f->ops()) {
        Operation* op = op_ptr.get();
        if (op->info().has_side_effects) {
          InvalidateReads(seen, op);
          continue;
        }
        OpKey key{op->code(), {op->operands().begin(), op->operands().end()}, op->attrs(), {}};
        for (int r = 0; r < op->num_results(); ++r) key.types.push_back(op->result(r)->type());
        auto& bucket = seen[{static_cast<int>(op->code()), op->num_operands() > 0 ? op->operand(0) : nullptr}];
        Operation* same = nullptr;
        for (const auto& [k, earlier] : bucket) {
          if (k == key) same = earlier;
        }
        if (same == nullptr) {
          bucket.emplace_back(std::move(key), op);
          continue;
        }
        std::vector<ir::Value*> results;
        for (int r = 0; r < same->num_results(); ++r) results.push_back(same->result(r));
        ReplaceOp(op, results);
        Count(absl::StrCat(std::string(op->name()), " merged"));
        changed = true;
      }
      EraseDeadOps(*f);
    }
    return changed;
  }

 private:
  // After a side-effecting op, reads of the states it touches (all states, for an op that is
  // not a plain cache_write) may no longer be reused.
  template <typename Seen>
  static void InvalidateReads(Seen& seen, const Operation* writer) {
    const ir::Value* written = writer->code() == ir::OpCode::kCacheWrite ? writer->operand(0) : nullptr;
    for (auto& [bucket_key, bucket] : seen) {
      std::erase_if(bucket, [&](const auto& entry) {
        const Operation* read = entry.second;
        return read->info().reads_state && (written == nullptr || read->operand(0) == written);
      });
    }
  }
};

}  // namespace

std::unique_ptr<Pass> CreateCsePass() { return std::make_unique<CsePass>(); }

}  // namespace dsc::passes
