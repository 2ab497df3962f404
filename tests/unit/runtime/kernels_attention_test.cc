// Tests of the MLA attention kernels (model.md §7) against a double-precision formula that
// materializes per-head keys and values from the latent and applies explicit masks.
#include "runtime/interp/kernels_attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/interp/kernels_linear.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime::ref {
namespace {

using testing::RandomVector;
using testing::RelL2;

constexpr MlaDims kDims{
    .n_heads = 3, .qk_nope_dim = 8, .qk_rope_dim = 6, .v_head_dim = 5, .kv_lora_rank = 12};
constexpr float kScale = 0.37f;
using Selection = const std::vector<int32_t>*;

struct Inputs {
  int64_t end_pos;
  std::vector<float> latent, k_pe, w_kvb, q;  // [T,R], [T,d_r], [H(dn+dv),R], [S,H,dqk]
};

Inputs MakeInputs(int64_t s, int64_t end_pos, uint32_t seed) {
  const int64_t rows = kDims.n_heads * (kDims.qk_nope_dim + kDims.v_head_dim);
  return Inputs{end_pos, RandomVector(end_pos * kDims.kv_lora_rank, seed),
                RandomVector(end_pos * kDims.qk_rope_dim, seed + 1),
                RandomVector(rows * kDims.kv_lora_rank, seed + 2),
                RandomVector(s * kDims.n_heads * kDims.qk_head_dim(), seed + 3, -2, 2)};
}

// o[s,h] from keys k[t,h] = (W_UK[h]·c_t, pe_t), values W_UV[h]·c_t, allowed(s,t) masks.
std::vector<double> NaiveAttention(const Inputs& in, const std::vector<int64_t>& positions,
                                   const std::vector<std::vector<bool>>& allowed) {
  const int64_t H = kDims.n_heads, dn = kDims.qk_nope_dim, dr = kDims.qk_rope_dim;
  const int64_t dv = kDims.v_head_dim, R = kDims.kv_lora_rank, dqk = kDims.qk_head_dim();
  const int64_t S = static_cast<int64_t>(positions.size()), T = in.end_pos;
  auto project = [&](int64_t h, int64_t row, int64_t t) {  // row of W_kvb block h times c_t
    double sum = 0;
    for (int64_t c = 0; c < R; ++c)
      sum += double{in.w_kvb[(h * (dn + dv) + row) * R + c]} * in.latent[t * R + c];
    return sum;
  };
  std::vector<double> out(S * H * dv, 0.0);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t h = 0; h < H; ++h) {
      std::vector<double> z(T, -std::numeric_limits<double>::infinity());
      double max = -std::numeric_limits<double>::infinity();
      for (int64_t t = 0; t < T; ++t) {
        if (t > positions[s] || !allowed[s][t]) continue;
        double dot = 0;
        for (int64_t j = 0; j < dn; ++j) dot += in.q[(s * H + h) * dqk + j] * project(h, j, t);
        for (int64_t j = 0; j < dr; ++j) {
          dot += double{in.q[(s * H + h) * dqk + dn + j]} * in.k_pe[t * dr + j];
        }
        z[t] = kScale * dot;
        max = std::max(max, z[t]);
      }
      double total = 0;
      for (int64_t t = 0; t < T; ++t) total += std::exp(z[t] - max);
      for (int64_t t = 0; t < T; ++t) {
        const double p = std::exp(z[t] - max) / total;
        if (p == 0) continue;
        for (int64_t j = 0; j < dv; ++j) out[(s * H + h) * dv + j] += p * project(h, dn + j, t);
      }
    }
  }
  return out;
}

// A selection of `k` slots per row with some future positions, duplicates and −1 slots.
std::vector<int32_t> RandomSelection(int64_t s, int64_t k, int64_t end_pos, uint32_t seed) {
  const std::vector<float> r = RandomVector(s * k, seed, 0.0f, 1.0f);
  std::vector<int32_t> sel(s * k);
  for (int64_t i = 0; i < s * k; ++i) {
    sel[i] = r[i] < 0.1f ? -1 : static_cast<int32_t>(r[i] * static_cast<float>(end_pos));
  }
  return sel;
}

std::vector<std::vector<bool>> Allowed(const std::vector<int32_t>* sel, int64_t s, int64_t k,
                                       int64_t end_pos) {
  std::vector<std::vector<bool>> allowed(s, std::vector<bool>(end_pos, sel == nullptr));
  if (sel == nullptr) return allowed;
  for (int64_t i = 0; i < s * k; ++i) {
    if ((*sel)[i] >= 0) allowed[i / k][(*sel)[i]] = true;
  }
  return allowed;
}

TEST(MlaAttentionTest, PrefillFormMatchesFormula) {
  const int64_t S = 11, k = 4;
  const Inputs in = MakeInputs(S, S, 100);
  const int64_t kvb_cols = kDims.n_heads * (kDims.qk_nope_dim + kDims.v_head_dim);
  std::vector<float> kvb(S * kvb_cols);
  Linear(in.latent.data(), in.w_kvb.data(), S, kDims.kv_lora_rank, kvb_cols, kvb.data());
  std::vector<int64_t> positions(S);
  for (int64_t s = 0; s < S; ++s) positions[s] = s;
  std::vector<int32_t> sel = RandomSelection(S, k, S, 7);
  for (int64_t s = 0; s < S; ++s) sel[s * k] = static_cast<int32_t>(s);  // never empty
  for (Selection selection : {Selection{nullptr}, Selection{&sel}}) {
    std::vector<float> o(S * kDims.n_heads * kDims.v_head_dim);
    MlaPrefillAttention(in.q.data(), kvb.data(), in.k_pe.data(), S, kDims, kScale,
                        {selection ? selection->data() : nullptr, k}, o.data());
    EXPECT_LT(RelL2(o, NaiveAttention(in, positions, Allowed(selection, S, k, S))), 1e-5)
        << (selection ? "sparse" : "dense");
  }
}

TEST(MlaAttentionTest, AbsorbedChunkMatchesFormulaAndTokenByToken) {
  const int64_t S = 5, end_pos = 19, P = end_pos - S, k = 6;
  const Inputs in = MakeInputs(S, end_pos, 200);
  std::vector<int64_t> positions(S);
  for (int64_t s = 0; s < S; ++s) positions[s] = P + s;
  std::vector<int32_t> sel = RandomSelection(S, k, end_pos, 9);
  for (int64_t s = 0; s < S; ++s) sel[s * k] = static_cast<int32_t>(positions[s]);  // non-empty
  const int64_t out_size = S * kDims.n_heads * kDims.v_head_dim;
  for (Selection selection : {Selection{nullptr}, Selection{&sel}}) {
    const KeySelection key_sel{selection ? selection->data() : nullptr, k};
    std::vector<float> o(out_size);
    MlaDecodeAttention(in.q.data(), in.w_kvb.data(), in.latent.data(), in.k_pe.data(),
                       positions.data(), S, end_pos, kDims, kScale, key_sel, o.data());
    EXPECT_LT(RelL2(o, NaiveAttention(in, positions, Allowed(selection, S, k, end_pos))), 1e-5);
    // §7.7: a chunk equals feeding its rows one at a time (each seeing keys <= its position).
    const int64_t row_out = kDims.n_heads * kDims.v_head_dim;
    const int64_t row_q = kDims.n_heads * kDims.qk_head_dim();
    for (int64_t s = 0; s < S; ++s) {
      std::vector<float> one(row_out);
      const KeySelection row_sel{selection ? selection->data() + s * k : nullptr, k};
      MlaDecodeAttention(in.q.data() + s * row_q, in.w_kvb.data(), in.latent.data(), in.k_pe.data(),
                         &positions[s], 1, positions[s] + 1, kDims, kScale, row_sel, one.data());
      for (int64_t j = 0; j < row_out; ++j) EXPECT_EQ(one[j], o[s * row_out + j]);
    }
  }
}

TEST(MlaAttentionTest, AbsorptionPiecesMatchExplicitProducts) {
  const int64_t S = 2, H = kDims.n_heads, R = kDims.kv_lora_rank;
  const int64_t dn = kDims.qk_nope_dim, dv = kDims.v_head_dim, dqk = kDims.qk_head_dim();
  const Inputs in = MakeInputs(S, 1, 300);
  std::vector<float> q_latent(S * H * R), o(S * H * dv);
  MlaAbsorbQuery(in.q.data(), in.w_kvb.data(), S, kDims, q_latent.data());
  const std::vector<float> o_latent = RandomVector(S * H * R, 301);
  MlaUnabsorbValue(o_latent.data(), in.w_kvb.data(), S, kDims, o.data());
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t c = 0; c < R; ++c) {
        double expected = 0;
        for (int64_t j = 0; j < dn; ++j) {
          expected += double{in.q[(s * H + h) * dqk + j]} * in.w_kvb[(h * (dn + dv) + j) * R + c];
        }
        EXPECT_NEAR(q_latent[(s * H + h) * R + c], expected, 1e-5);
      }
      for (int64_t j = 0; j < dv; ++j) {
        double expected = 0;
        for (int64_t c = 0; c < R; ++c) {
          expected +=
              double{in.w_kvb[(h * (dn + dv) + dn + j) * R + c]} * o_latent[(s * H + h) * R + c];
        }
        EXPECT_NEAR(o[(s * H + h) * dv + j], expected, 1e-5);
      }
    }
  }
}

}  // namespace
}  // namespace dsc::runtime::ref
