#include "dist/topk_compressor.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "dist/sparse_allgather.h"

namespace sinter {

namespace {

float magnitude(float v) {
  return std::isnan(v) ? std::numeric_limits<float>::infinity() : std::fabs(v);
}

}  // namespace

int64_t values_to_send(double density, int64_t n) {
  return std::min(n, static_cast<int64_t>(std::ceil(density * static_cast<double>(n))));
}

void select_top_k(const float* x, int64_t n, int64_t k, std::vector<float>& scratch,
                  std::vector<uint32_t>& indices) {
  if (k <= 0) return;
  if (k >= n) {
    for (int64_t i = 0; i < n; ++i) indices.push_back(static_cast<uint32_t>(i));
    return;
  }
  scratch.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) scratch[static_cast<size_t>(i)] = magnitude(x[i]);
  // The k-th largest magnitude: everything above it is sent, then ties in index order.
  std::nth_element(scratch.begin(), scratch.begin() + (k - 1), scratch.end(), std::greater<>());
  const float kth = scratch[static_cast<size_t>(k - 1)];
  int64_t above = 0;
  for (int64_t i = 0; i < n; ++i) above += magnitude(x[i]) > kth;
  int64_t ties = k - above;
  for (int64_t i = 0; i < n; ++i) {
    const float m = magnitude(x[i]);
    if (m > kth || (m == kth && ties-- > 0)) indices.push_back(static_cast<uint32_t>(i));
  }
}

TopKCompressor::TopKCompressor(std::string name, double density)
    : name_(std::move(name)), density_(density) {}

void TopKCompressor::reduce(Communicator& comm, std::vector<GradientView>& gradients,
                            int64_t /*step*/) {
  residual_.bind(gradients);
  SINTER_CHECK(densities_.empty() || densities_.size() == gradients.size(), name_, ": ",
               densities_.size(), " densities for ", gradients.size(), " gradients");
  const std::vector<int64_t> offsets = gradient_offsets(gradients);
  std::vector<SparseEntry> entries;
  std::vector<uint32_t> chosen;
  for (size_t t = 0; t < gradients.size(); ++t) {
    float* acc = residual_.accumulate(t, gradients[t]);
    const double density = densities_.empty() ? density_ : densities_[t];
    chosen.clear();
    select_top_k(acc, gradients[t].size, values_to_send(density, gradients[t].size), scratch_,
                 chosen);
    for (uint32_t i : chosen) {
      entries.push_back({static_cast<uint32_t>(offsets[t] + i), acc[i]});
      acc[i] = 0;  // sent: what stays is exactly gradient + old residual - sent
    }
  }
  const SparseStep sent = send_sparse(comm, entries, gradients, offsets.back());
  last_bytes_ = sent.bytes;
  last_density_ = sent.density;
}

NamedTensors TopKCompressor::state() const {
  NamedTensors s;
  residual_.append_state(s);
  return s;
}

void TopKCompressor::load_state(const NamedTensors& state) {
  residual_.load_state(state);
}

}  // namespace sinter
