#include "dist/randomk_compressor.h"

#include <algorithm>

#include "core/seeded_random.h"
#include "dist/ring_allreduce.h"
#include "dist/topk_compressor.h"

namespace sinter {

namespace {

// k distinct positions of [0, n) by Floyd's algorithm (k draws whatever k is), in increasing
// order for the memory's sake; `taken` is reused memory.
void draw_positions(std::mt19937_64& rng, int64_t n, int64_t k, std::vector<char>& taken,
                    std::vector<uint32_t>& positions) {
  taken.assign(static_cast<size_t>(n), 0);
  for (int64_t j = n - k; j < n; ++j) {
    auto pick = static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(j + 1)));
    if (taken[static_cast<size_t>(pick)]) pick = j;
    taken[static_cast<size_t>(pick)] = 1;
  }
  for (int64_t i = 0; i < n; ++i)
    if (taken[static_cast<size_t>(i)]) positions.push_back(static_cast<uint32_t>(i));
}

}  // namespace

RandomKCompressor::RandomKCompressor(std::string name, double density, uint64_t seed)
    : name_(std::move(name)), density_(density), seed_(seed) {}

void RandomKCompressor::reduce(Communicator& comm, std::vector<GradientView>& gradients,
                               int64_t step) {
  residual_.bind(gradients);
  std::vector<std::vector<uint32_t>> positions(gradients.size());
  std::vector<float> values;
  std::vector<char> taken;
  for (size_t t = 0; t < gradients.size(); ++t) {
    float* acc = residual_.accumulate(t, gradients[t]);
    std::mt19937_64 rng(mix_seed(mix_seed(seed_, static_cast<uint64_t>(step)), t));
    draw_positions(rng, gradients[t].size, values_to_send(density_, gradients[t].size), taken,
                   positions[t]);
    for (uint32_t i : positions[t]) {
      values.push_back(acc[i]);
      acc[i] = 0;
    }
  }
  const int64_t before = comm.bytes_sent();
  ring_allreduce_sum(comm, values.data(), static_cast<int64_t>(values.size()),
                     ReductionOrder::kRankOrder);
  last_bytes_ = comm.bytes_sent() - before;
  const float scale = 1.0f / static_cast<float>(comm.size());
  const float* sum = values.data();
  int64_t total = 0;
  for (size_t t = 0; t < gradients.size(); ++t) {
    std::fill(gradients[t].data, gradients[t].data + gradients[t].size, 0.0f);
    for (uint32_t i : positions[t]) gradients[t].data[i] = *sum++ * scale;
    total += gradients[t].size;
  }
  last_density_ = total > 0 ? static_cast<double>(values.size()) / static_cast<double>(total) : 0;
}

NamedTensors RandomKCompressor::state() const {
  NamedTensors s;
  residual_.append_state(s);
  return s;
}

void RandomKCompressor::load_state(const NamedTensors& state) {
  residual_.load_state(state);
}

}  // namespace sinter
