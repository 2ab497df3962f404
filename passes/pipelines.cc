// The default pipelines. Order matters: cleanup first so patterns see canonical forms; the
// structural rewrites (absorption, MoE) before the fusions that would hide their patterns'
// pieces; CSE/DCE after everything; the memory plan on the final graph.
#include "passes/pipelines.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsc::passes {

std::vector<std::string> DefaultPassList(EntryKind kind) {
  std::vector<std::string> p;
  // Fold the reshape/scale/transpose chains the frontend emits, so every later matcher sees
  // one canonical form per pattern.
  p.push_back("canonicalize");
  // Materialize the rotary frequency table (and any static positions) as literals.
  p.push_back("constant-fold");
  // Decode: the single query cannot see the future, so causal masks go; sparse masks that
  // select every cached key go too (their indexer score then dies in DCE).
  p.push_back("specialize-shapes");
  // Decode: attention over the cached latent in the absorbed form 7b. Runs before the matmul
  // fusion only because it reads W_kvb itself; it matches either form.
  if (kind == EntryKind::kDecode) p.push_back("absorb-mla");
  // Every remaining dequantize → matmul pair reads the packed weight instead (expert bodies too).
  p.push_back("fuse-quantized-matmul");
  // The generic MoE becomes moe_decode (decode, with the shared expert) or moe_grouped
  // (prefill); its matcher sees the unfused SwiGLU units, so this precedes fuse-elementwise.
  p.push_back("specialize-moe");
  // Residual add + RMSNorm, and SwiGLU as the gate/up matmul epilogue.
  p.push_back("fuse-elementwise");
  // Merge what the rewrites made identical, then drop what they left unused.
  p.push_back("cse");
  p.push_back("dce");
  // Last: offsets of every intermediate in one arena, for the graph as it will run.
  p.push_back("plan-memory");
  return p;
}

std::string DefaultPipeline(const ir::Module& module) {
  absl::flat_hash_set<std::string> called;
  for (const auto& f : module.functions()) {
    for (const auto& op : f->ops()) {
      for (const auto& [name, value] : op->attrs()) {
        if (const auto* ref = std::get_if<ir::SymbolRef>(&value)) called.insert(ref->name);
      }
    }
  }
  std::vector<std::string> groups;
  for (const auto& f : module.functions()) {
    if (called.contains(f->name())) continue;
    bool static_args = true;
    for (const auto& a : f->arguments()) static_args &= a->type().shape().is_static();
    EntryKind kind = f->name() == "decode" || (f->name() != "prefill" && static_args) ? EntryKind::kDecode
                                                                                     : EntryKind::kPrefill;
    groups.push_back(absl::StrCat("@", f->name(), "(", absl::StrJoin(DefaultPassList(kind), ","), ")"));
  }
  return absl::StrJoin(groups, ",");
}

}  // namespace dsc::passes
