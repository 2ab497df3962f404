// One task of prefill attention (a dsc_attention_block_fn, runtime/kernel_abi.h): one head and a
// block of up to 16 query rows, one per float lane, with the arithmetic of
// runtime/interp/eval_attention_fast.cc's C++ path, so bit-identical to it and to the reference:
//   dots     for each key, the 16 rows' dot products at once, each lane summing q[c]·k[c] over c
//            in increasing order (a product, then an add); four keys at a time (four independent
//            add chains sharing the query's loads);
//   softmax  ·scale, + the mask (or + 0), −inf past the causal limit, then per lane the max, the
//            exp of numerics/exp.h (EmitExpShifted), the sum over the keys in order, the division;
//   values   o[r] = Σ_j p[j][r]·v[j] over the keys in order. With the values as 16-column tiles
//            (all finite), a tile's 16 rows of sums stay in registers and p == 0 terms are added
//            (p·v = ±0 changes no sum that starts at +0); otherwise the reference's loop, which
//            skips them.
#include <limits>
#include <vector>

#include "codegen/linear_emitters.h"

namespace dsc::codegen {
namespace {

constexpr int kRows = 16;
constexpr int kPrefillKeys = 4;

class AttentionBlockEmitter {
 public:
  AttentionBlockEmitter(KernelBuilder& kb, int64_t d, int64_t dv)
      : kb_(kb), ir_(kb.ir()), d_(d), dv_(dv), v16_(kb.Vec(kb.F32(), kRows)) {}

  void Emit(const std::string& name) {
    llvm::Value* args = nullptr;
    kb_.BeginFunction(name, &args);
    llvm::Type* p = kb_.Ptr();
    llvm::Type* i64 = kb_.I64();
    auto* st = llvm::StructType::get(
        kb_.context(), {p, p, p, p, p, p, p, i64, i64, i64, i64, i64, i64, i64, kb_.F32(), kb_.I32()});
    const char* names[] = {"qt",      "k",           "v",       "tiles", "mask", "dots",         "o",     "k_stride",
                           "v_stride", "tile_stride", "mask_ld", "keys",  "rows", "causal_first", "scale"};
    llvm::Value** fields[] = {&qt_,       &k_,           &v_,        &tiles_, &mask_, &dots_,         &o_,    &k_stride_,
                              &v_stride_, &tile_stride_, &mask_ld_, &keys_,  &rows_, &causal_first_, &scale_};
    for (unsigned i = 0; i < 15; ++i) *fields[i] = kb_.LoadField(st, args, i, names[i]);
    Dots();
    Softmax();
    Values();
    ir_.CreateRetVoid();
  }

 private:
  llvm::Value* Add(llvm::Value* a, int64_t b) { return ir_.CreateAdd(a, kb_.Int(b)); }
  llvm::Value* Mul(llvm::Value* a, int64_t b) { return ir_.CreateMul(a, kb_.Int(b)); }
  llvm::Value* F(float v) { return llvm::ConstantFP::get(kb_.F32(), v); }
  llvm::Value* LoadF(llvm::Value* base, llvm::Value* index) {
    return ir_.CreateLoad(kb_.F32(), kb_.Gep(kb_.F32(), base, index));
  }
  llvm::Value* LoadV(llvm::Value* base, llvm::Value* index) {
    return ir_.CreateAlignedLoad(v16_, kb_.Gep(kb_.F32(), base, index), llvm::Align(4));
  }
  void StoreV(llvm::Value* value, llvm::Value* base, llvm::Value* index) {
    ir_.CreateAlignedStore(value, kb_.Gep(kb_.F32(), base, index), llvm::Align(4));
  }
  llvm::Value* Z(llvm::Value* j) { return Mul(j, kRows); }  // dots' row j

  void Dots() {
    llvm::Value* blocks_end = Mul(ir_.CreateSDiv(keys_, kb_.Int(kPrefillKeys)), kPrefillKeys);
    kb_.For(kb_.Int(0), blocks_end, kPrefillKeys, "keys",
            [&](llvm::Value* j0) { DotKeys(j0, kPrefillKeys); });
    kb_.For(blocks_end, keys_, 1, "key", [&](llvm::Value* j) { DotKeys(j, 1); });
  }

  void DotKeys(llvm::Value* j0, int count) {
    std::vector<llvm::Value*> key(count);
    std::vector<llvm::AllocaInst*> acc(count);
    for (int l = 0; l < count; ++l) {
      key[l] = kb_.Gep(kb_.F32(), k_, ir_.CreateMul(Add(j0, l), k_stride_));
      acc[l] = kb_.Var(v16_, kb_.SplatF(kRows, 0.0f), "dot");
    }
    kb_.For(kb_.Int(0), kb_.Int(d_), 1, "c", [&](llvm::Value* c) {
      llvm::Value* q = LoadV(qt_, Mul(c, kRows));
      for (int l = 0; l < count; ++l) {
        llvm::Value* product = ir_.CreateFMul(q, kb_.Splat(kRows, LoadF(key[l], c)));
        ir_.CreateStore(ir_.CreateFAdd(ir_.CreateLoad(v16_, acc[l]), product), acc[l]);
      }
    });
    for (int l = 0; l < count; ++l) StoreV(ir_.CreateLoad(v16_, acc[l]), dots_, Z(Add(j0, l)));
  }

  void Softmax() {
    const float inf = std::numeric_limits<float>::infinity();
    kb_.For(kb_.Int(0), keys_, 1, "scale", [&](llvm::Value* j) {
      StoreV(ir_.CreateFMul(LoadV(dots_, Z(j)), kb_.Splat(kRows, scale_)), dots_, Z(j));
    });
    // + the mask, row by row (rows of lanes past `rows` are not read); or + 0 (−0 → +0).
    kb_.If(ir_.CreateIsNotNull(mask_), [&] {
      kb_.For(kb_.Int(0), rows_, 1, "mask_row", [&](llvm::Value* r) {
        llvm::Value* row = kb_.Gep(kb_.F32(), mask_, ir_.CreateMul(r, mask_ld_));
        kb_.For(kb_.Int(0), keys_, 1, "mask", [&](llvm::Value* j) {
          llvm::Value* at = ir_.CreateAdd(Z(j), r);
          ir_.CreateStore(ir_.CreateFAdd(LoadF(dots_, at), LoadF(row, j)), kb_.Gep(kb_.F32(), dots_, at));
        });
      });
    });
    kb_.If(ir_.CreateIsNull(mask_), [&] {
      kb_.For(kb_.Int(0), keys_, 1, "plus_zero", [&](llvm::Value* j) {
        StoreV(ir_.CreateFAdd(LoadV(dots_, Z(j)), kb_.SplatF(kRows, 0.0f)), dots_, Z(j));
      });
    });
    // Causal: lane r of key j is −inf when j > causal_first + r, i.e. r < j − causal_first.
    kb_.If(ir_.CreateICmpSGE(causal_first_, kb_.Int(0)), [&] {
      std::vector<llvm::Constant*> lanes(kRows);
      for (int r = 0; r < kRows; ++r) lanes[r] = llvm::ConstantInt::get(kb_.I64(), r);
      llvm::Constant* lane = llvm::ConstantVector::get(lanes);
      kb_.For(Add(causal_first_, 1), keys_, 1, "causal", [&](llvm::Value* j) {
        llvm::Value* hidden = ir_.CreateICmpSLT(lane, kb_.Splat(kRows, ir_.CreateSub(j, causal_first_)));
        StoreV(ir_.CreateSelect(hidden, kb_.SplatF(kRows, -inf), LoadV(dots_, Z(j))), dots_, Z(j));
      });
    });
    llvm::AllocaInst* zmax = kb_.Var(v16_, kb_.SplatF(kRows, -inf), "zmax");
    kb_.For(kb_.Int(0), keys_, 1, "max", [&](llvm::Value* j) {
      llvm::Value* v = LoadV(dots_, Z(j));
      llvm::Value* m = ir_.CreateLoad(v16_, zmax);
      ir_.CreateStore(ir_.CreateSelect(ir_.CreateFCmpOLT(m, v), v, m), zmax);  // std::max(m, v)
    });
    llvm::Value* shift = ir_.CreateLoad(v16_, zmax);
    kb_.For(kb_.Int(0), keys_, 1, "exp",
            [&](llvm::Value* j) { StoreV(EmitExpShifted(kb_, LoadV(dots_, Z(j)), shift), dots_, Z(j)); });
    llvm::AllocaInst* sum = kb_.Var(v16_, kb_.SplatF(kRows, 0.0f), "sum");
    kb_.For(kb_.Int(0), keys_, 1, "sum", [&](llvm::Value* j) {
      ir_.CreateStore(ir_.CreateFAdd(ir_.CreateLoad(v16_, sum), LoadV(dots_, Z(j))), sum);
    });
    llvm::Value* total = ir_.CreateLoad(v16_, sum);
    kb_.For(kb_.Int(0), keys_, 1, "divide",
            [&](llvm::Value* j) { StoreV(ir_.CreateFDiv(LoadV(dots_, Z(j)), total), dots_, Z(j)); });
  }

  void Values() {
    const int64_t full_tiles = dv_ / kRows;
    // c0: the first column the reference's loop takes (all of them without tiles).
    llvm::Value* c0 = ir_.CreateSelect(ir_.CreateIsNotNull(tiles_), kb_.Int(full_tiles * kRows), kb_.Int(0));
    if (full_tiles > 0) {
      kb_.If(ir_.CreateIsNotNull(tiles_), [&] {
        kb_.For(kb_.Int(0), kb_.Int(full_tiles), 1, "tile", [&](llvm::Value* tile) { Tile(tile); });
      });
    }
    kb_.For(kb_.Int(0), rows_, 1, "zero_row", [&](llvm::Value* r) {
      kb_.For(c0, kb_.Int(dv_), 1, "zero", [&](llvm::Value* c) {
        ir_.CreateStore(F(0.0f), kb_.Gep(kb_.F32(), o_, ir_.CreateAdd(Mul(r, dv_), c)));
      });
    });
    kb_.For(kb_.Int(0), keys_, 1, "value", [&](llvm::Value* j) {
      llvm::Value* vj = kb_.Gep(kb_.F32(), v_, ir_.CreateMul(j, v_stride_));
      kb_.For(kb_.Int(0), rows_, 1, "row", [&](llvm::Value* r) {
        llvm::Value* p = LoadF(dots_, ir_.CreateAdd(Z(j), r));
        kb_.If(ir_.CreateFCmpUNE(p, F(0.0f)), [&] {  // the reference skips p == 0
          llvm::Value* orow = kb_.Gep(kb_.F32(), o_, Mul(r, dv_));
          kb_.For(c0, kb_.Int(dv_), 1, "column", [&](llvm::Value* c) {
            llvm::Value* at = kb_.Gep(kb_.F32(), orow, c);
            ir_.CreateStore(ir_.CreateFAdd(ir_.CreateLoad(kb_.F32(), at), ir_.CreateFMul(p, LoadF(vj, c))), at);
          });
        });
      });
    });
  }

  // Columns [16·tile, +16) of all 16 rows in registers over every key.
  void Tile(llvm::Value* tile) {
    llvm::Value* base = kb_.Gep(kb_.F32(), tiles_, ir_.CreateMul(tile, tile_stride_));
    std::vector<llvm::AllocaInst*> acc(kRows);
    for (llvm::AllocaInst*& a : acc) a = kb_.Var(v16_, kb_.SplatF(kRows, 0.0f), "acc");
    kb_.For(kb_.Int(0), keys_, 1, "key", [&](llvm::Value* j) {
      llvm::Value* vj = LoadV(base, Z(j));
      for (int r = 0; r < kRows; ++r) {
        llvm::Value* p = kb_.Splat(kRows, LoadF(dots_, Add(Z(j), r)));
        ir_.CreateStore(ir_.CreateFAdd(ir_.CreateLoad(v16_, acc[r]), ir_.CreateFMul(p, vj)), acc[r]);
      }
    });
    for (int r = 0; r < kRows; ++r) {
      kb_.If(ir_.CreateICmpSLT(kb_.Int(r), rows_), [&] {
        StoreV(ir_.CreateLoad(v16_, acc[r]), o_, ir_.CreateAdd(kb_.Int(r * dv_), Mul(tile, kRows)));
      });
    }
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& ir_;
  const int64_t d_, dv_;
  llvm::FixedVectorType* v16_;
  llvm::Value *qt_ = nullptr, *k_ = nullptr, *v_ = nullptr, *tiles_ = nullptr, *mask_ = nullptr, *dots_ = nullptr,
              *o_ = nullptr, *k_stride_ = nullptr, *v_stride_ = nullptr, *tile_stride_ = nullptr,
              *mask_ld_ = nullptr, *keys_ = nullptr, *rows_ = nullptr, *causal_first_ = nullptr, *scale_ = nullptr;
};

}  // namespace

dsc_kernel_info EmitAttentionBlock(KernelBuilder& kb, const LinearKernelSpec& spec) {
  AttentionBlockEmitter(kb, spec.k, spec.n).Emit(spec.Name());
  return NonLinearInfo(DSC_KERNEL_ATTENTION_BLOCK, spec.n, spec.k);
}

}  // namespace dsc::codegen
