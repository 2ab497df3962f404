// The lightning indexer's scores of one decode query row (a dsc_indexer_scores_fn,
// runtime/kernel_abi.h), and one head's term of a prefill block's (a dsc_indexer_block_fn).
// Decode: a dsc_indexer_scores_fn,
// runtime/kernel_abi.h), bit-identical to the reference: its top-k picks the keys attention
// reads, and the golden long cases change their choice for any error above ~1e-6.
//
// The query's heads sit in the lanes of 16-float vectors (groups of 16 heads). Per key, each
// head's dot product over c runs in increasing c in its lane (multiply, then add: no fused
// multiply-add); the heads' terms max(dot, 0) · w · scale are then added to the key's score one
// lane at a time, heads in increasing order, as the reference does. Four keys at a time: one
// key's dot products are a chain of d dependent adds, four chains overlap and share the query's
// loads. Vectors are 16 floats on every ISA (LLVM splits them for AVX2 and SSE2), so each lane's
// arithmetic is the same everywhere.
#include <algorithm>
#include <vector>

#include "codegen/linear_emitters.h"

namespace dsc::codegen {

dsc_kernel_info EmitIndexerScores(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  constexpr int kLanes = 16, kKeys = 4;
  const int64_t heads = spec.n, d = spec.k, groups = (heads + kLanes - 1) / kLanes;

  llvm::Value* args = nullptr;
  kb.BeginFunction(spec.Name(), &args);
  // dsc_indexer_scores_args: ptr qt, wv, k, k_scale, out; i64 begin, end; float scale; i32.
  auto* st = llvm::StructType::get(
      kb.context(), {kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.I64(), kb.I64(), kb.F32(), kb.I32()});
  llvm::Value* qt = kb.LoadField(st, args, 0, "qt");
  llvm::Value* wv = kb.LoadField(st, args, 1, "wv");
  llvm::Value* k = kb.LoadField(st, args, 2, "k");
  llvm::Value* k_scale = kb.LoadField(st, args, 3, "k_scale");
  llvm::Value* out = kb.LoadField(st, args, 4, "out");
  llvm::Value* begin = kb.LoadField(st, args, 5, "begin");
  llvm::Value* end = kb.LoadField(st, args, 6, "end");
  llvm::Value* scale = kb.Splat(kLanes, kb.LoadField(st, args, 7, "scale"));
  llvm::FixedVectorType* v16 = kb.Vec(kb.F32(), kLanes);
  llvm::Constant* zero = kb.SplatF(kLanes, 0.0f);

  // Scores of keys j0 .. j0 + count - 1, times k_scale[j] when `scaled`.
  auto key_block = [&](llvm::Value* j0, int count, bool scaled) {
    std::vector<llvm::Value*> rows(count);
    for (int l = 0; l < count; ++l) {
      rows[l] = kb.Gep(kb.F32(), k, ir.CreateMul(ir.CreateAdd(j0, kb.Int(l)), kb.Int(d)));
    }
    std::vector<llvm::Value*> score(count, llvm::ConstantFP::get(kb.F32(), 0.0f));
    for (int64_t g = 0; g < groups; ++g) {
      std::vector<llvm::AllocaInst*> dot(count);
      for (llvm::AllocaInst*& a : dot) a = kb.Var(v16, zero, "dot");
      kb.For(kb.Int(0), kb.Int(d), 1, "c", [&](llvm::Value* c) {
        llvm::Value* q_ptr = kb.Gep(kb.F32(), qt, ir.CreateMul(ir.CreateAdd(kb.Int(g * d), c), kb.Int(kLanes)));
        llvm::Value* q = ir.CreateAlignedLoad(v16, q_ptr, llvm::Align(4));
        for (int l = 0; l < count; ++l) {
          llvm::Value* key = ir.CreateLoad(kb.F32(), kb.Gep(kb.F32(), rows[l], c));
          llvm::Value* product = ir.CreateFMul(q, kb.Splat(kLanes, key));
          ir.CreateStore(ir.CreateFAdd(ir.CreateLoad(v16, dot[l]), product), dot[l]);
        }
      });
      llvm::Value* w = ir.CreateAlignedLoad(v16, kb.Gep(kb.F32(), wv, kb.Int(g * kLanes)), llvm::Align(4));
      const int64_t lanes = std::min<int64_t>(kLanes, heads - g * kLanes);
      for (int l = 0; l < count; ++l) {
        llvm::Value* sum = ir.CreateLoad(v16, dot[l]);
        llvm::Value* relu = ir.CreateSelect(ir.CreateFCmpOLT(sum, zero), zero, sum);  // -0 and NaN stay
        llvm::Value* terms = ir.CreateFMul(ir.CreateFMul(relu, w), scale);
        for (int64_t lane = 0; lane < lanes; ++lane) {
          score[l] = ir.CreateFAdd(score[l], ir.CreateExtractElement(terms, static_cast<uint64_t>(lane)));
        }
      }
    }
    for (int l = 0; l < count; ++l) {
      llvm::Value* j = ir.CreateAdd(j0, kb.Int(l));
      llvm::Value* value = score[l];
      if (scaled) value = ir.CreateFMul(value, ir.CreateLoad(kb.F32(), kb.Gep(kb.F32(), k_scale, j)));
      ir.CreateStore(value, kb.Gep(kb.F32(), out, j));
    }
  };
  auto keys_loop = [&](bool scaled) {
    llvm::Value* blocks_end =
        ir.CreateAdd(begin, ir.CreateMul(ir.CreateSDiv(ir.CreateSub(end, begin), kb.Int(kKeys)), kb.Int(kKeys)));
    kb.For(begin, blocks_end, kKeys, "keys", [&](llvm::Value* j0) { key_block(j0, kKeys, scaled); });
    kb.For(blocks_end, end, 1, "key", [&](llvm::Value* j) { key_block(j, 1, scaled); });
  };
  kb.If(ir.CreateIsNotNull(k_scale), [&] { keys_loop(true); });
  kb.If(ir.CreateIsNull(k_scale), [&] { keys_loop(false); });
  ir.CreateRetVoid();

  return NonLinearInfo(DSC_KERNEL_INDEXER_SCORES, heads, d);
}

// Prefill: the block's 16 query rows sit in the lanes instead, so each lane sums its row's dot
// over c in increasing order; four keys at a time, as above. The term is (relu · w) · scale,
// added to the key's running score for the block (the caller goes through the heads in order).
dsc_kernel_info EmitIndexerBlock(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  constexpr int kRows = 16, kKeys = 4;
  const int64_t d = spec.k;
  llvm::Value* args = nullptr;
  kb.BeginFunction(spec.Name(), &args);
  // dsc_indexer_block_args: ptr qt, k, w, acc; i64 keys; float scale; i32.
  auto* st = llvm::StructType::get(kb.context(), {kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.I64(), kb.F32(), kb.I32()});
  llvm::Value* qt = kb.LoadField(st, args, 0, "qt");
  llvm::Value* k = kb.LoadField(st, args, 1, "k");
  llvm::Value* w_ptr = kb.LoadField(st, args, 2, "w");
  llvm::Value* acc = kb.LoadField(st, args, 3, "acc");
  llvm::Value* keys = kb.LoadField(st, args, 4, "keys");
  llvm::Value* scale = kb.Splat(kRows, kb.LoadField(st, args, 5, "scale"));
  llvm::FixedVectorType* v16 = kb.Vec(kb.F32(), kRows);
  llvm::Constant* zero = kb.SplatF(kRows, 0.0f);
  llvm::Value* w = ir.CreateAlignedLoad(v16, w_ptr, llvm::Align(4));

  auto key_block = [&](llvm::Value* j0, int count) {
    std::vector<llvm::Value*> rows(count);
    std::vector<llvm::AllocaInst*> dot(count);
    for (int l = 0; l < count; ++l) {
      rows[l] = kb.Gep(kb.F32(), k, ir.CreateMul(ir.CreateAdd(j0, kb.Int(l)), kb.Int(d)));
      dot[l] = kb.Var(v16, zero, "dot");
    }
    kb.For(kb.Int(0), kb.Int(d), 1, "c", [&](llvm::Value* c) {
      llvm::Value* q = ir.CreateAlignedLoad(v16, kb.Gep(kb.F32(), qt, ir.CreateMul(c, kb.Int(kRows))), llvm::Align(4));
      for (int l = 0; l < count; ++l) {
        llvm::Value* product = ir.CreateFMul(q, kb.Splat(kRows, ir.CreateLoad(kb.F32(), kb.Gep(kb.F32(), rows[l], c))));
        ir.CreateStore(ir.CreateFAdd(ir.CreateLoad(v16, dot[l]), product), dot[l]);
      }
    });
    for (int l = 0; l < count; ++l) {
      llvm::Value* sum = ir.CreateLoad(v16, dot[l]);
      llvm::Value* relu = ir.CreateSelect(ir.CreateFCmpOLT(sum, zero), zero, sum);  // -0 and NaN stay
      llvm::Value* at = kb.Gep(kb.F32(), acc, ir.CreateMul(ir.CreateAdd(j0, kb.Int(l)), kb.Int(kRows)));
      llvm::Value* old = ir.CreateAlignedLoad(v16, at, llvm::Align(4));
      ir.CreateAlignedStore(ir.CreateFAdd(old, ir.CreateFMul(ir.CreateFMul(relu, w), scale)), at, llvm::Align(4));
    }
  };
  llvm::Value* blocks_end = ir.CreateMul(ir.CreateSDiv(keys, kb.Int(kKeys)), kb.Int(kKeys));
  kb.For(kb.Int(0), blocks_end, kKeys, "keys", [&](llvm::Value* j0) { key_block(j0, kKeys); });
  kb.For(blocks_end, keys, 1, "key", [&](llvm::Value* j) { key_block(j, 1); });
  ir.CreateRetVoid();
  return NonLinearInfo(DSC_KERNEL_INDEXER_BLOCK, d, d);
}

}  // namespace dsc::codegen
