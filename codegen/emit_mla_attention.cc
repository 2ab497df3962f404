// MLA latent attention of one decode query row, all heads at once (a dsc_mla_attention_fn,
// runtime/kernel_abi.h): the three phases of runtime/interp/latent_attention_fast.cc's float32
// path — scores, softmax, weighted sum of the latent rows — with the same arithmetic, so
// bit-identical to it and to the reference. The golden long cases and the indexer's top-k after
// them react to any error above ~1e-6, so the order of every sum is the reference's:
//   scores   per key and head, Σ_c over c increasing (a product, then an add; no fused
//            multiply-add), heads in the lanes of 16-float vectors, four keys at a time (four
//            independent add chains sharing the query's loads);
//   softmax  per head, max over the keys, then numerics::ExpF's double-precision method lane by
//            lane, the sum over the keys in order, the division;
//   values   per head and column, Σ over the keys in order, in 4-head × 64-column register tiles
//            over blocks of 128 keys whose rows are first copied together into scratch (KV rows
//            rank·4 bytes apart share a few cache sets and miss when read in place).
// Vectors are 16 floats on every ISA (LLVM splits them for AVX2 and SSE2), so each lane's
// arithmetic is the same everywhere.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "codegen/linear_emitters.h"

namespace dsc::codegen {
namespace {

constexpr int kLanes = 16;
constexpr int kDecodeKeys = 4;       // keys scored together
constexpr int64_t kKeyBlock = 128;   // keys per block of the weighted sum
constexpr int kTileHeads = 4;        // heads of a weighted-sum tile
constexpr int kStripVectors = 4;     // columns of a wide tile, in vectors (64 columns)

struct Args {
  llvm::Value *ql, *qp, *kv, *pe, *keys, *mask, *z, *o, *scratch, *heads, *n, *dr, *begin, *end, *scale, *phase;
};

class MlaEmitter {
 public:
  MlaEmitter(KernelBuilder& kb, int64_t rank) : kb_(kb), ir_(kb.ir()), rank_(rank), v16_(kb.Vec(kb.F32(), kLanes)) {}

  void Emit(const std::string& name) {
    llvm::Value* args = nullptr;
    kb_.BeginFunction(name, &args);
    llvm::Type* p = kb_.Ptr();
    llvm::Type* i64 = kb_.I64();
    auto* st = llvm::StructType::get(kb_.context(),
                                     {p, p, p, p, p, p, p, p, p, i64, i64, i64, i64, i64, kb_.F32(), kb_.I32()});
    const char* names[] = {"ql", "qp", "kv", "pe", "keys", "mask", "z", "o", "scratch",
                           "heads", "n", "dr", "begin", "end", "scale", "phase"};
    llvm::Value** fields[] = {&a_.ql, &a_.qp, &a_.kv, &a_.pe, &a_.keys, &a_.mask, &a_.z, &a_.o, &a_.scratch,
                              &a_.heads, &a_.n, &a_.dr, &a_.begin, &a_.end, &a_.scale, &a_.phase};
    for (unsigned i = 0; i < 16; ++i) *fields[i] = kb_.LoadField(st, args, i, names[i]);
    groups_ = ir_.CreateSDiv(Add(a_.heads, kLanes - 1), kb_.Int(kLanes), "groups");
    padded_ = Mul(groups_, kLanes);
    kb_.If(ir_.CreateICmpEQ(a_.phase, ir_.getInt32(0)), [&] { Scores(); });
    kb_.If(ir_.CreateICmpEQ(a_.phase, ir_.getInt32(1)), [&] { Softmax(); });
    kb_.If(ir_.CreateICmpEQ(a_.phase, ir_.getInt32(2)), [&] { Values(); });
    ir_.CreateRetVoid();
  }

 private:
  llvm::Value* F(float v) { return llvm::ConstantFP::get(kb_.F32(), v); }
  llvm::Value* Load(llvm::Type* type, llvm::Value* base, llvm::Value* index, unsigned align = 4) {
    return ir_.CreateAlignedLoad(type, kb_.Gep(type->getScalarType(), base, index), llvm::Align(align));
  }
  llvm::Value* LoadV(llvm::Value* base, llvm::Value* index) { return Load(v16_, base, index); }
  void StoreV(llvm::Value* value, llvm::Value* base, llvm::Value* index) {
    ir_.CreateAlignedStore(value, kb_.Gep(kb_.F32(), base, index), llvm::Align(4));
  }
  llvm::Value* Key(llvm::Value* i) { return Load(kb_.I64(), a_.keys, i, 8); }
  llvm::Value* Add(llvm::Value* a, int64_t b) { return ir_.CreateAdd(a, kb_.Int(b)); }
  llvm::Value* Mul(llvm::Value* a, int64_t b) { return ir_.CreateMul(a, kb_.Int(b)); }
  llvm::Value* Row(llvm::Value* i) { return ir_.CreateMul(i, padded_); }  // z's row i
  llvm::Value* Min(llvm::Value* a, llvm::Value* b) { return ir_.CreateSelect(ir_.CreateICmpSLT(a, b), a, b); }

  // Phase 0: keys [begin, end) in blocks of four, then one at a time.
  void Scores() {
    llvm::Value* blocks_end = ir_.CreateAdd(
        a_.begin,
        Mul(ir_.CreateSDiv(ir_.CreateSub(a_.end, a_.begin), kb_.Int(kDecodeKeys)), kDecodeKeys));
    kb_.For(a_.begin, blocks_end, kDecodeKeys, "keys",
            [&](llvm::Value* i0) { ScoreKeys(i0, kDecodeKeys); });
    kb_.For(blocks_end, a_.end, 1, "key", [&](llvm::Value* i) { ScoreKeys(i, 1); });
  }

  void ScoreKeys(llvm::Value* i0, int count) {
    std::vector<llvm::Value*> kv_row(count), pe_row(count);
    for (int l = 0; l < count; ++l) {
      llvm::Value* key = Key(Add(i0, l));
      kv_row[l] = kb_.Gep(kb_.F32(), a_.kv, Mul(key, rank_));
      pe_row[l] = kb_.Gep(kb_.F32(), a_.pe, ir_.CreateMul(key, a_.dr));
    }
    if (count == kDecodeKeys) PrefetchNextKeys(i0);
    llvm::Constant* zero = kb_.SplatF(kLanes, 0.0f);
    kb_.For(kb_.Int(0), groups_, 1, "group", [&](llvm::Value* g) {
      // Σ_c q[c] · row[c] per lane, c increasing, for `count` rows of `cols` columns.
      auto dots = [&](llvm::Value* q, llvm::Value* cols, const std::vector<llvm::Value*>& rows, const char* name) {
        std::vector<llvm::AllocaInst*> sum(count);
        for (llvm::AllocaInst*& s : sum) s = kb_.Var(v16_, zero, name);
        kb_.For(kb_.Int(0), cols, 1, name, [&](llvm::Value* c) {
          llvm::Value* qv = LoadV(q, Mul(ir_.CreateAdd(ir_.CreateMul(g, cols), c), kLanes));
          for (int l = 0; l < count; ++l) {
            llvm::Value* x = ir_.CreateLoad(kb_.F32(), kb_.Gep(kb_.F32(), rows[l], c));
            llvm::Value* product = ir_.CreateFMul(qv, kb_.Splat(kLanes, x));
            ir_.CreateStore(ir_.CreateFAdd(ir_.CreateLoad(v16_, sum[l]), product), sum[l]);
          }
        });
        return sum;
      };
      std::vector<llvm::AllocaInst*> latent = dots(a_.ql, kb_.Int(rank_), kv_row, "latent");
      std::vector<llvm::AllocaInst*> rope = dots(a_.qp, a_.dr, pe_row, "rope");
      for (int l = 0; l < count; ++l) {
        llvm::Value* i = Add(i0, l);
        // mask[key] or +0: the reference adds either (a −0 score becomes +0 both ways).
        llvm::AllocaInst* m = kb_.Var(kb_.F32(), F(0.0f), "m");
        kb_.If(ir_.CreateIsNotNull(a_.mask),
               [&] { ir_.CreateStore(Load(kb_.F32(), a_.mask, Key(i)), m); });
        llvm::Value* sum = ir_.CreateFAdd(ir_.CreateLoad(v16_, latent[l]), ir_.CreateLoad(v16_, rope[l]));
        llvm::Value* score = ir_.CreateFAdd(ir_.CreateFMul(kb_.Splat(kLanes, a_.scale), sum),
                                            kb_.Splat(kLanes, ir_.CreateLoad(kb_.F32(), m)));
        StoreV(score, a_.z, ir_.CreateAdd(Row(i), Mul(g, kLanes)));
      }
    });
  }

  // The next block's rows (gathered keys: no hardware prefetcher sees them coming), so their
  // misses overlap this block's arithmetic.
  void PrefetchNextKeys(llvm::Value* i0) {
    llvm::Value* stop = Min(Add(i0, 2 * kDecodeKeys), a_.end);
    kb_.For(Add(i0, kDecodeKeys), stop, 1, "ahead", [&](llvm::Value* i) {
      llvm::Value* key = Key(i);
      for (int64_t c = 0; c < rank_; c += kLanes) {
        kb_.Prefetch(kb_.Gep(kb_.F32(), a_.kv, Add(Mul(key, rank_), c)), KernelBuilder::CacheLevel::kL1);
      }
      llvm::Value* pe_row = kb_.Gep(kb_.F32(), a_.pe, ir_.CreateMul(key, a_.dr));
      kb_.For(kb_.Int(0), a_.dr, kLanes, "pe_ahead", [&](llvm::Value* c) {
        kb_.Prefetch(kb_.Gep(kb_.F32(), pe_row, c), KernelBuilder::CacheLevel::kL1);
      });
    });
  }

  // Phase 1: head groups [begin, end).
  void Softmax() {
    kb_.For(a_.begin, a_.end, 1, "group", [&](llvm::Value* g) {
      llvm::Value* zg = kb_.Gep(kb_.F32(), a_.z, Mul(g, kLanes));
      const float inf = std::numeric_limits<float>::infinity();
      llvm::AllocaInst* zmax = kb_.Var(v16_, kb_.SplatF(kLanes, -inf), "zmax");
      kb_.For(kb_.Int(0), a_.n, 1, "max", [&](llvm::Value* i) {
        llvm::Value* v = LoadV(zg, Row(i));
        llvm::Value* m = ir_.CreateLoad(v16_, zmax);
        ir_.CreateStore(ir_.CreateSelect(ir_.CreateFCmpOLT(m, v), v, m), zmax);  // max(m, v) as std::max
      });
      llvm::Value* shift = ir_.CreateLoad(v16_, zmax);
      kb_.For(kb_.Int(0), a_.n, 1, "exp", [&](llvm::Value* i) {
        llvm::Value* in = LoadV(zg, Row(i));
        StoreV(EmitExpShifted(kb_, in, shift), zg, Row(i));
      });
      llvm::AllocaInst* sum = kb_.Var(v16_, kb_.SplatF(kLanes, 0.0f), "sum");
      kb_.For(kb_.Int(0), a_.n, 1, "sum", [&](llvm::Value* i) {
        ir_.CreateStore(ir_.CreateFAdd(ir_.CreateLoad(v16_, sum), LoadV(zg, Row(i))), sum);
      });
      llvm::Value* total = ir_.CreateLoad(v16_, sum);
      kb_.For(kb_.Int(0), a_.n, 1, "divide", [&](llvm::Value* i) {
        StoreV(ir_.CreateFDiv(LoadV(zg, Row(i)), total), zg, Row(i));
      });
    });
  }

  // Phase 2: columns [begin, end), begin a multiple of 16.
  void Values() {
    llvm::Value* strip = a_.scratch;
    llvm::Value* weights = kb_.Gep(kb_.F32(), a_.scratch, kb_.Int(kKeyBlock * kStripVectors * kLanes));
    // [begin, vector_end): whole vectors; the rest (rank % 16 columns) one at a time.
    llvm::Value* vector_end =
        ir_.CreateAdd(a_.begin, Mul(ir_.CreateSDiv(ir_.CreateSub(a_.end, a_.begin), kb_.Int(kLanes)), kLanes));
    llvm::Value* wide_end = ir_.CreateAdd(
        a_.begin, Mul(ir_.CreateSDiv(ir_.CreateSub(vector_end, a_.begin), kb_.Int(kStripVectors * kLanes)),
                      kStripVectors * kLanes));
    kb_.For(kb_.Int(0), a_.n, kKeyBlock, "block", [&](llvm::Value* i0) {
      llvm::Value* i1 = Min(Add(i0, kKeyBlock), a_.n);
      PackWeights(i0, i1, weights);
      kb_.For(a_.begin, wide_end, kStripVectors * kLanes, "wide",
              [&](llvm::Value* c) { Strip(i0, i1, c, kStripVectors, strip, weights); });
      kb_.For(wide_end, vector_end, kLanes, "narrow", [&](llvm::Value* c) { Strip(i0, i1, c, 1, strip, weights); });
    });
    kb_.For(vector_end, a_.end, 1, "column", [&](llvm::Value* c) {
      kb_.For(kb_.Int(0), a_.heads, 1, "head", [&](llvm::Value* h) {
        llvm::AllocaInst* sum = kb_.Var(kb_.F32(), F(0.0f), "sum");
        kb_.For(kb_.Int(0), a_.n, 1, "key", [&](llvm::Value* i) {
          llvm::Value* p = Load(kb_.F32(), a_.z, ir_.CreateAdd(Row(i), h));
          llvm::Value* v = Load(kb_.F32(), a_.kv, ir_.CreateAdd(Mul(Key(i), rank_), c));
          ir_.CreateStore(ir_.CreateFAdd(ir_.CreateLoad(kb_.F32(), sum), ir_.CreateFMul(p, v)), sum);
        });
        ir_.CreateStore(ir_.CreateLoad(kb_.F32(), sum), kb_.Gep(kb_.F32(), a_.o, ir_.CreateAdd(Mul(h, rank_), c)));
      });
    });
  }

  // weights[tile][i − i0][hh] = p[i][min(4·tile + hh, heads − 1)] for the block's keys: a tile's
  // probabilities side by side instead of a z row (padded·4 bytes) apart.
  void PackWeights(llvm::Value* i0, llvm::Value* i1, llvm::Value* weights) {
    kb_.For(i0, i1, 1, "pack", [&](llvm::Value* i) {
      llvm::Value* row = Row(i);
      llvm::Value* local = ir_.CreateSub(i, i0);
      llvm::Value* tiles = ir_.CreateSDiv(Add(a_.heads, kTileHeads - 1), kb_.Int(kTileHeads));
      llvm::Value* last = Add(a_.heads, -1);
      kb_.For(kb_.Int(0), tiles, 1, "pack_tile", [&](llvm::Value* tile) {
        llvm::Value* out =
            kb_.Gep(kb_.F32(), weights, ir_.CreateAdd(Mul(local, kTileHeads), Mul(tile, kKeyBlock * kTileHeads)));
        for (int hh = 0; hh < kTileHeads; ++hh) {
          llvm::Value* h = Min(Add(Mul(tile, kTileHeads), hh), last);
          ir_.CreateStore(Load(kb_.F32(), a_.z, ir_.CreateAdd(row, h)), kb_.Gep(kb_.F32(), out, kb_.Int(hh)));
        }
      });
    });
  }

  // Columns [c, c + 16·vectors) of every head over keys [i0, i1): the rows copied into `strip`,
  // then 4-head tiles accumulated in registers on top of the earlier blocks' sums in o.
  void Strip(llvm::Value* i0, llvm::Value* i1, llvm::Value* c, int vectors, llvm::Value* strip,
             llvm::Value* weights) {
    kb_.For(i0, i1, 1, "copy", [&](llvm::Value* i) {
      llvm::Value* from = ir_.CreateAdd(Mul(Key(i), rank_), c);
      llvm::Value* to = Mul(ir_.CreateSub(i, i0), vectors * kLanes);
      for (int v = 0; v < vectors; ++v) StoreV(LoadV(a_.kv, Add(from, v * kLanes)), strip, Add(to, v * kLanes));
    });
    llvm::Value* full_tiles = ir_.CreateSDiv(a_.heads, kb_.Int(kTileHeads));
    kb_.For(kb_.Int(0), full_tiles, 1, "tile",
            [&](llvm::Value* tile) { Tile(tile, kTileHeads, i0, i1, c, vectors, strip, weights); });
    llvm::Value* rest = ir_.CreateSRem(a_.heads, kb_.Int(kTileHeads));
    for (int heads = 1; heads < kTileHeads; ++heads) {
      kb_.If(ir_.CreateICmpEQ(rest, kb_.Int(heads)),
             [&] { Tile(full_tiles, heads, i0, i1, c, vectors, strip, weights); });
    }
  }

  void Tile(llvm::Value* tile, int tile_heads, llvm::Value* i0, llvm::Value* i1, llvm::Value* c, int vectors,
            llvm::Value* strip, llvm::Value* weights) {
    llvm::Value* h0 = Mul(tile, kTileHeads);
    std::vector<std::vector<llvm::AllocaInst*>> acc(tile_heads, std::vector<llvm::AllocaInst*>(vectors));
    auto o_index = [&](int hh, int v) { return ir_.CreateAdd(Mul(Add(h0, hh), rank_), Add(c, v * kLanes)); };
    for (int hh = 0; hh < tile_heads; ++hh) {
      for (int v = 0; v < vectors; ++v) acc[hh][v] = kb_.Var(v16_, kb_.SplatF(kLanes, 0.0f), "acc");
    }
    kb_.If(ir_.CreateICmpSGT(i0, kb_.Int(0)), [&] {  // the earlier blocks' partial sums
      for (int hh = 0; hh < tile_heads; ++hh) {
        for (int v = 0; v < vectors; ++v) ir_.CreateStore(LoadV(a_.o, o_index(hh, v)), acc[hh][v]);
      }
    });
    llvm::Value* tile_weights = kb_.Gep(kb_.F32(), weights, Mul(tile, kKeyBlock * kTileHeads));
    kb_.For(i0, i1, 1, "key", [&](llvm::Value* i) {
      llvm::Value* local = ir_.CreateSub(i, i0);
      std::vector<llvm::Value*> r(vectors);
      for (int v = 0; v < vectors; ++v) r[v] = LoadV(strip, Add(Mul(local, vectors * kLanes), v * kLanes));
      for (int hh = 0; hh < tile_heads; ++hh) {
        llvm::Value* w = kb_.Splat(kLanes, Load(kb_.F32(), tile_weights, Add(Mul(local, kTileHeads), hh)));
        for (int v = 0; v < vectors; ++v) {
          ir_.CreateStore(ir_.CreateFAdd(ir_.CreateLoad(v16_, acc[hh][v]), ir_.CreateFMul(w, r[v])), acc[hh][v]);
        }
      }
    });
    for (int hh = 0; hh < tile_heads; ++hh) {
      for (int v = 0; v < vectors; ++v) StoreV(ir_.CreateLoad(v16_, acc[hh][v]), a_.o, o_index(hh, v));
    }
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& ir_;
  const int64_t rank_;
  llvm::FixedVectorType* v16_;
  llvm::Value* groups_ = nullptr;  // ⌈heads / 16⌉
  llvm::Value* padded_ = nullptr;  // groups · 16: z's row length
  Args a_{};
};

}  // namespace

dsc_kernel_info EmitMlaAttention(KernelBuilder& kb, const LinearKernelSpec& spec) {
  MlaEmitter emitter(kb, spec.k);
  emitter.Emit(spec.Name());
  return NonLinearInfo(DSC_KERNEL_MLA_ATTENTION, spec.k, spec.k);
}

}  // namespace dsc::codegen
