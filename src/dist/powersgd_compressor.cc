#include "dist/powersgd_compressor.h"

#include <algorithm>

#include "core/seeded_random.h"
#include "dist/gram_schmidt.h"
#include "dist/ring_allreduce.h"

namespace sinter {

namespace {

const char kRightFactorKind[] = "powersgd_q/";

// How one gradient goes in a step: its rank, whether it is approximated, its matrix's sides
// (rows = all values when dense), and where its parts lie in the two all-reduced buffers.
struct Layout {
  int rank = 1;
  bool low_rank = false;
  int64_t rows = 0, cols = 0;
  size_t left_at = 0, right_at = 0;
};

// P = M Q for M rows x cols, Q cols x r, P rows x r (zeros on entry), all row-major.
void multiply(const float* m, const float* q, const Layout& l, float* p) {
  const int r = l.rank;
  for (int64_t i = 0; i < l.rows; ++i)
    for (int64_t k = 0; k < l.cols; ++k)
      for (int j = 0; j < r; ++j) p[i * r + j] += m[i * l.cols + k] * q[k * r + j];
}

// Q = M^T P (Q zeros on entry).
void multiply_transposed(const float* m, const float* p, const Layout& l, float* q) {
  const int r = l.rank;
  for (int64_t i = 0; i < l.rows; ++i)
    for (int64_t k = 0; k < l.cols; ++k)
      for (int j = 0; j < r; ++j) q[k * r + j] += m[i * l.cols + k] * p[i * r + j];
}

// Entry (i, k) of P Q^T, summed in column order: the residual and the average use this one
// expression.
float low_rank_entry(const float* p, const float* q, int64_t i, int64_t k, int r) {
  float s = 0;
  for (int j = 0; j < r; ++j) s += p[i * r + j] * q[k * r + j];
  return s;
}

void subtract_low_rank(const float* p, const float* q, const Layout& l, float* m) {
  for (int64_t i = 0; i < l.rows; ++i)
    for (int64_t k = 0; k < l.cols; ++k) m[i * l.cols + k] -= low_rank_entry(p, q, i, k, l.rank);
}

void write_low_rank(const float* p, const float* q, const Layout& l, float* out) {
  for (int64_t i = 0; i < l.rows; ++i)
    for (int64_t k = 0; k < l.cols; ++k) out[i * l.cols + k] = low_rank_entry(p, q, i, k, l.rank);
}

// Draws column `c` of the cols x r factor `q` uniformly in [-1, 1), from (seed, step, tensor,
// column): the same on every rank.
void draw_column(std::vector<float>& q, int64_t cols, int r, int c, uint64_t seed, int64_t step,
                 size_t t) {
  std::mt19937_64 rng(
      mix_seed(mix_seed(mix_seed(seed, static_cast<uint64_t>(step)), t), static_cast<uint64_t>(c)));
  for (int64_t k = 0; k < cols; ++k)
    q[static_cast<size_t>(k * r + c)] =
        static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-52 - 1.0);
}

}  // namespace

PowerSgdCompressor::PowerSgdCompressor(std::string name, int rank, uint64_t seed)
    : name_(std::move(name)), rank_(rank), seed_(seed) {}

bool PowerSgdCompressor::compresses(const Shape& shape, int rank) {
  if (shape.size() < 2) return false;
  const int64_t rows = shape[0], cols = shape_numel(shape) / std::max<int64_t>(rows, 1);
  return std::min(rows, cols) > rank;
}

std::vector<float>& PowerSgdCompressor::right_factor(const GradientView& g, size_t t, int rank,
                                                     int64_t step) {
  const int64_t cols = g.size / g.shape[0];
  std::vector<float>& q = right_[g.name];
  if (static_cast<int64_t>(q.size()) % cols != 0)
    throw InputError(cat(name_, ": the state's right factor of '", g.name, "' holds ", q.size(),
                         " values, not a multiple of its ", cols, " columns"));
  const int old_rank = q.empty() ? 0 : static_cast<int>(static_cast<int64_t>(q.size()) / cols);
  if (old_rank == rank) return q;
  std::vector<float> resized(static_cast<size_t>(cols * rank));
  for (int64_t k = 0; k < cols; ++k)
    for (int c = 0; c < std::min(rank, old_rank); ++c)
      resized[static_cast<size_t>(k * rank + c)] = q[static_cast<size_t>(k * old_rank + c)];
  for (int c = old_rank; c < rank; ++c) draw_column(resized, cols, rank, c, seed_, step, t);
  q = std::move(resized);
  return q;
}

void PowerSgdCompressor::reduce(Communicator& comm, std::vector<GradientView>& gradients,
                                int64_t step) {
  residual_.bind(gradients);
  SINTER_CHECK(ranks_.empty() || ranks_.size() == gradients.size(), name_, ": ", ranks_.size(),
               " ranks for ", gradients.size(), " gradients");
  std::vector<Layout> layouts;
  std::vector<float> left, right;  // the two all-reduced buffers
  int64_t total = 0, sent = 0;
  for (size_t t = 0; t < gradients.size(); ++t) {
    const GradientView& g = gradients[t];
    SINTER_CHECK(g.shape.empty() || shape_numel(g.shape) == g.size, name_, ": gradient '", g.name,
                 "' of shape ", shape_str(g.shape), " holds ", g.size, " values");
    Layout l;
    l.rank = ranks_.empty() ? rank_ : ranks_[t];
    l.low_rank = compresses(g.shape, l.rank);
    l.rows = l.low_rank ? g.shape[0] : g.size;
    l.cols = l.low_rank ? g.size / l.rows : 1;
    l.left_at = left.size();
    float* m = residual_.accumulate(t, g);
    total += g.size;
    if (l.low_rank) {
      left.resize(left.size() + static_cast<size_t>(l.rows * l.rank), 0.0f);
      multiply(m, right_factor(g, t, l.rank, step).data(), l, left.data() + l.left_at);
      sent += (l.rows + l.cols) * l.rank;
    } else {  // dense: sent whole, nothing left behind
      left.insert(left.end(), m, m + g.size);
      std::fill(m, m + g.size, 0.0f);
      sent += g.size;
    }
    layouts.push_back(l);
  }
  const int64_t before = comm.bytes_sent();
  ring_allreduce_sum(comm, left.data(), static_cast<int64_t>(left.size()),
                     ReductionOrder::kRankOrder);
  for (size_t t = 0; t < layouts.size(); ++t) {
    Layout& l = layouts[t];
    if (!l.low_rank) continue;
    float* p = left.data() + l.left_at;
    orthonormalize_columns(p, l.rows, l.rank);
    l.right_at = right.size();
    right.resize(right.size() + static_cast<size_t>(l.cols * l.rank), 0.0f);
    float* q = right.data() + l.right_at;
    float* m = residual_.values(t);
    multiply_transposed(m, p, l, q);
    subtract_low_rank(p, q, l, m);  // this rank's share: what it did not carry stays
  }
  ring_allreduce_sum(comm, right.data(), static_cast<int64_t>(right.size()),
                     ReductionOrder::kRankOrder);
  last_bytes_ = comm.bytes_sent() - before;
  last_density_ = total > 0 ? static_cast<double>(sent) / static_cast<double>(total) : 0.0;

  const float scale = 1.0f / static_cast<float>(comm.size());
  for (float& v : right) v *= scale;
  for (size_t t = 0; t < layouts.size(); ++t) {
    const Layout& l = layouts[t];
    const float* p = left.data() + l.left_at;
    if (!l.low_rank) {
      for (int64_t i = 0; i < gradients[t].size; ++i) gradients[t].data[i] = p[i] * scale;
      continue;
    }
    const float* q = right.data() + l.right_at;
    write_low_rank(p, q, l, gradients[t].data);
    keep_warm_start(q, l.cols, l.rank, gradients[t], t, step);
  }
}

void PowerSgdCompressor::keep_warm_start(const float* q, int64_t cols, int rank,
                                         const GradientView& g, size_t t, int64_t step) {
  std::vector<float>& warm = right_[g.name];
  warm.assign(q, q + cols * rank);
  // A column the ranks' gradients left all zero would stay zero for good (the next steps' P and
  // Q inherit it), so it is drawn afresh.
  for (int c = 0; c < rank; ++c) {
    bool zero = true;
    for (int64_t k = 0; k < cols && zero; ++k) zero = warm[static_cast<size_t>(k * rank + c)] == 0;
    if (zero) draw_column(warm, cols, rank, c, seed_, step + 1, t);
  }
}

NamedTensors PowerSgdCompressor::state() const {
  NamedTensors s;
  residual_.append_state(s);
  for (const auto& [name, q] : right_)
    s.emplace_back(kRightFactorKind + name,
                   Tensor::from_vector<float>({static_cast<int64_t>(q.size())}, q));
  return s;
}

void PowerSgdCompressor::load_state(const NamedTensors& state) {
  residual_.load_state(state);
  right_.clear();
  const std::string prefix = kRightFactorKind;
  for (const auto& [name, tensor] : state) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    if (tensor.dtype() != DType::kFloat32)
      throw InputError(
          cat("compressor state '", name, "' holds ", dtype_name(tensor.dtype()), ", not float32"));
    const float* v = tensor.data<float>();
    right_[name.substr(prefix.size())].assign(v, v + tensor.numel());
  }
}

}  // namespace sinter
