// The indexer's top-k mask (a dsc_topk_mask_fn, runtime/kernel_abi.h): per row of n scores,
// y = 0 at the k largest and −inf elsewhere, in the order "larger score first, then lower
// position". A radix select instead of the reference's nth_element over an index array:
//   key(x)   the float's bits made monotone as an unsigned integer (negative: all bits
//            flipped; otherwise the sign bit set), −0 read as +0 so the two tie as in the
//            reference's comparison;
//   keys     every key into y first (a loop LLVM vectorizes; y holds the keys until the mask);
//   4 passes, most significant byte first: a histogram of the next byte among the keys that
//            share the bytes chosen so far, then the byte where the count from the top
//            reaches k. After the last: T, the k-th largest key, and `ties`, how many keys
//            equal to T the set takes. Passes 1 and 2 read every key; pass 2 also moves the
//            keys that share the first byte to the front of y, and pass 3 keeps those that
//            share two, so passes 3 and 4 read only those candidates;
//   mask     y = 0 where key >= T when the set takes every key equal to T (vectorized), else
//            y = 0 where key > T and at the first `ties` positions where key == T (scalar).
// The set is the reference's exactly (the order is total; the selection is integer work).
// The histograms are scalar (their read-modify-writes do not vectorize); the bin walk sums
// the 4 copies first. Times against the reference: bench/indexer_topk_bench, BENCHMARKS.md.
#include "codegen/linear_emitters.h"

namespace dsc::codegen {

dsc_kernel_info EmitTopkMask(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* args = nullptr;
  kb.BeginFunction(spec.Name(), &args);
  // dsc_topk_mask_args: ptr scores, y; i64 rows, n, k.
  auto* st =
      llvm::StructType::get(kb.context(), {kb.Ptr(), kb.Ptr(), kb.I64(), kb.I64(), kb.I64()});
  llvm::Value* scores = kb.LoadField(st, args, 0, "scores");
  llvm::Value* y = kb.LoadField(st, args, 1, "y");
  llvm::Value* rows = kb.LoadField(st, args, 2, "rows");
  llvm::Value* n = kb.LoadField(st, args, 3, "n");
  llvm::Value* k = kb.LoadField(st, args, 4, "k");
  // min(max(k, 0), n): k <= 0 selects nothing, k >= n everything.
  llvm::Value* zero = kb.Int(0);
  llvm::Value* k_clamped = ir.CreateSelect(ir.CreateICmpSLT(k, zero), zero, k);
  k_clamped = ir.CreateSelect(ir.CreateICmpSGT(k_clamped, n), n, k_clamped, "k_clamped");

  // 256 bins plus one that collects the keys outside the current prefix (no branch per key),
  // in 4 copies that take turns by position: scores close together fall in one bin, and a
  // single copy's increments of it would wait on each other through memory.
  constexpr int kBins = 256, kCopies = 4, kCopyStride = kBins + 1;
  auto* hist_type = llvm::ArrayType::get(kb.I32(), kCopies * kCopyStride);
  llvm::AllocaInst* hist = kb.Var(hist_type, nullptr, "hist");
  llvm::AllocaInst* prefix = kb.Var(kb.I32(), nullptr, "prefix");
  llvm::AllocaInst* prefix_mask = kb.Var(kb.I32(), nullptr, "prefix_mask");
  llvm::AllocaInst* need = kb.Var(kb.I64(), nullptr, "need");
  llvm::AllocaInst* candidates = kb.Var(kb.I64(), nullptr, "candidates");  // keys at y's front
  llvm::AllocaInst* kept = kb.Var(kb.I64(), nullptr, "kept");  // keys copied in this pass
  llvm::AllocaInst* above = kb.Var(kb.I64(), nullptr, "above");
  llvm::AllocaInst* found = kb.Var(ir.getInt1Ty(), nullptr, "found");
  llvm::AllocaInst* chosen = kb.Var(kb.I32(), nullptr, "chosen");
  llvm::AllocaInst* above_chosen = kb.Var(kb.I64(), nullptr, "above_chosen");
  llvm::AllocaInst* chosen_count = kb.Var(kb.I64(), nullptr, "chosen_count");
  llvm::AllocaInst* ties = kb.Var(kb.I64(), nullptr, "ties");
  llvm::Value* negative_inf = llvm::ConstantFP::getInfinity(kb.F32(), /*Negative=*/true);
  llvm::Value* positive_zero = llvm::ConstantFP::get(kb.F32(), 0.0);

  kb.For(zero, rows, 1, "row", [&](llvm::Value* r) {
    llvm::Value* row = ir.CreateMul(r, n);
    llvm::Value* y_row = kb.Gep(kb.I32(), y, row);  // the candidates' keys until the mask pass
    auto key_of_score = [&](llvm::Value* t) {
      llvm::Value* bits = ir.CreateBitCast(
          ir.CreateLoad(kb.F32(), kb.Gep(kb.F32(), scores, ir.CreateAdd(row, t))), kb.I32());
      bits = ir.CreateSelect(ir.CreateICmpEQ(bits, ir.getInt32(0x80000000u)), ir.getInt32(0),
                             bits);  // −0 → +0
      llvm::Value* sign = ir.CreateAShr(bits, 31);
      return ir.CreateXor(bits, ir.CreateOr(sign, ir.getInt32(0x80000000u)));
    };
    auto candidate_key = [&](llvm::Value* i) {
      return ir.CreateLoad(kb.I32(), kb.Gep(kb.I32(), y_row, i));
    };
    // Every key first, into y (a loop LLVM vectorizes); the passes read them there.
    kb.For(zero, n, 1, "keys",
           [&](llvm::Value* t) { ir.CreateStore(key_of_score(t), kb.Gep(kb.I32(), y_row, t)); });
    ir.CreateStore(n, candidates);
    ir.CreateStore(ir.getInt32(0), prefix);
    ir.CreateStore(ir.getInt32(0), prefix_mask);
    ir.CreateStore(k_clamped, need);
    for (int shift = 24; shift >= 0; shift -= 8) {
      const bool compact = shift == 16 || shift == 8;  // passes 2 and 3 keep their candidates
      ir.CreateMemSet(hist, ir.getInt8(0), kCopies * kCopyStride * 4, llvm::MaybeAlign(4));
      llvm::Value* p = ir.CreateLoad(kb.I32(), prefix);
      llvm::Value* pm = ir.CreateLoad(kb.I32(), prefix_mask);
      ir.CreateStore(zero, kept);
      auto count = [&](llvm::Value* i, int copy) {
        llvm::Value* key = candidate_key(i);
        llvm::Value* in_prefix = ir.CreateICmpEQ(ir.CreateAnd(key, pm), p);
        llvm::Value* bin = ir.CreateAnd(ir.CreateLShr(key, static_cast<uint64_t>(shift)), 0xFF);
        bin = ir.CreateSelect(in_prefix, bin, ir.getInt32(kBins));
        bin = ir.CreateAdd(bin, ir.getInt32(copy * kCopyStride));
        llvm::Value* slot = ir.CreateInBoundsGEP(hist_type, hist, {ir.getInt32(0), bin});
        ir.CreateStore(ir.CreateAdd(ir.CreateLoad(kb.I32(), slot), ir.getInt32(1)), slot);
        if (compact) {  // written at or before the index read: in place is safe
          llvm::Value* at = ir.CreateLoad(kb.I64(), kept);
          ir.CreateStore(key, kb.Gep(kb.I32(), y_row, at));
          ir.CreateStore(ir.CreateAdd(at, ir.CreateZExt(in_prefix, kb.I64())), kept);
        }
      };
      llvm::Value* end = ir.CreateLoad(kb.I64(), candidates);
      llvm::Value* end_unrolled = ir.CreateAnd(end, kb.Int(-kCopies));
      kb.For(zero, end_unrolled, kCopies, "histogram", [&](llvm::Value* i) {
        for (int c = 0; c < kCopies; ++c) count(ir.CreateAdd(i, kb.Int(c)), c);
      });
      kb.For(end_unrolled, end, 1, "histogram_tail", [&](llvm::Value* i) { count(i, 0); });
      if (compact) ir.CreateStore(ir.CreateLoad(kb.I64(), kept), candidates);
      // From bin 255 down: the first bin where the count of keys above it plus its own
      // reaches `need` holds the k-th largest key.
      ir.CreateStore(zero, above);
      ir.CreateStore(ir.getFalse(), found);
      ir.CreateStore(ir.getInt32(0), chosen);
      ir.CreateStore(zero, above_chosen);
      ir.CreateStore(zero, chosen_count);
      llvm::Value* want = ir.CreateLoad(kb.I64(), need);
      // The copies' counts summed into the first (a loop LLVM vectorizes), then the walk.
      auto bin_slot = [&](llvm::Value* b, int copy) {
        return ir.CreateInBoundsGEP(
            hist_type, hist, {ir.getInt32(0), ir.CreateAdd(b, ir.getInt32(copy * kCopyStride))});
      };
      kb.For(zero, kb.Int(kBins), 1, "sum_copies", [&](llvm::Value* i) {
        llvm::Value* b = ir.CreateTrunc(i, kb.I32());
        llvm::Value* total = ir.CreateLoad(kb.I32(), bin_slot(b, 0));
        for (int c = 1; c < kCopies; ++c)
          total = ir.CreateAdd(total, ir.CreateLoad(kb.I32(), bin_slot(b, c)));
        ir.CreateStore(total, bin_slot(b, 0));
      });
      kb.For(zero, kb.Int(kBins), 1, "bins", [&](llvm::Value* i) {
        llvm::Value* b = ir.CreateTrunc(ir.CreateSub(kb.Int(kBins - 1), i), kb.I32());
        llvm::Value* count = ir.CreateZExt(ir.CreateLoad(kb.I32(), bin_slot(b, 0)), kb.I64());
        llvm::Value* a = ir.CreateLoad(kb.I64(), above);
        llvm::Value* hit = ir.CreateAnd(ir.CreateNot(ir.CreateLoad(ir.getInt1Ty(), found)),
                                        ir.CreateICmpSGE(ir.CreateAdd(a, count), want));
        ir.CreateStore(ir.CreateSelect(hit, b, ir.CreateLoad(kb.I32(), chosen)), chosen);
        ir.CreateStore(ir.CreateSelect(hit, a, ir.CreateLoad(kb.I64(), above_chosen)),
                       above_chosen);
        ir.CreateStore(ir.CreateSelect(hit, count, ir.CreateLoad(kb.I64(), chosen_count)),
                       chosen_count);
        ir.CreateStore(ir.CreateOr(ir.CreateLoad(ir.getInt1Ty(), found), hit), found);
        ir.CreateStore(ir.CreateAdd(a, count), above);
      });
      ir.CreateStore(ir.CreateSub(want, ir.CreateLoad(kb.I64(), above_chosen)), need);
      ir.CreateStore(ir.CreateOr(p, ir.CreateShl(ir.CreateLoad(kb.I32(), chosen),
                                                 static_cast<uint64_t>(shift))),
                     prefix);
      ir.CreateStore(ir.CreateOr(pm, ir.getInt32(0xFFu << shift)), prefix_mask);
    }
    // With k = 0, `need` is 0 and nothing is taken whatever the threshold is. After the last
    // pass the chosen bin's count is every key equal to T (they share all its bytes).
    llvm::Value* threshold = ir.CreateLoad(kb.I32(), prefix, "threshold");
    llvm::Value* tie_count = ir.CreateLoad(kb.I64(), need);
    llvm::Value* every_tie = ir.CreateICmpEQ(tie_count, ir.CreateLoad(kb.I64(), chosen_count));
    auto y_at = [&](llvm::Value* t) { return kb.Gep(kb.F32(), y, ir.CreateAdd(row, t)); };
    kb.If(every_tie, [&] {  // key >= T: a loop LLVM vectorizes
      kb.For(zero, n, 1, "mask", [&](llvm::Value* t) {
        ir.CreateStore(ir.CreateSelect(ir.CreateICmpUGE(key_of_score(t), threshold), positive_zero,
                                       negative_inf),
                       y_at(t));
      });
    });
    kb.If(ir.CreateNot(every_tie), [&] {  // only the first `ties` keys equal to T
      ir.CreateStore(tie_count, ties);
      kb.For(zero, n, 1, "mask_ties", [&](llvm::Value* t) {
        llvm::Value* key = key_of_score(t);
        llvm::Value* left = ir.CreateLoad(kb.I64(), ties);
        llvm::Value* take_tie =
            ir.CreateAnd(ir.CreateICmpEQ(key, threshold), ir.CreateICmpSGT(left, zero));
        llvm::Value* take = ir.CreateOr(ir.CreateICmpUGT(key, threshold), take_tie);
        ir.CreateStore(ir.CreateSelect(take, positive_zero, negative_inf), y_at(t));
        ir.CreateStore(ir.CreateSub(left, ir.CreateZExt(take_tie, kb.I64())), ties);
      });
    });
  });
  ir.CreateRetVoid();

  return NonLinearInfo(DSC_KERNEL_TOPK_MASK, 1, 1);
}

}  // namespace dsc::codegen
