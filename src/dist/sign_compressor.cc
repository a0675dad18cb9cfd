#include "dist/sign_compressor.h"

#include <algorithm>
#include <cmath>

#include "dist/bit_packing.h"
#include "dist/sparse_allgather.h"

namespace sinter {

void SignCompressor::reduce(Communicator& comm, std::vector<GradientView>& gradients,
                            int64_t /*step*/) {
  residual_.bind(gradients);
  std::vector<uint8_t> payload;
  BitWriter writer(payload);
  for (size_t t = 0; t < gradients.size(); ++t) {
    const int64_t n = gradients[t].size;
    float* acc = residual_.accumulate(t, gradients[t]);
    double l1 = 0;
    for (int64_t i = 0; i < n; ++i) l1 += std::fabs(acc[i]);
    const auto scale = n > 0 ? static_cast<float>(l1 / static_cast<double>(n)) : 0.0f;
    writer.put_float(scale);
    for (int64_t i = 0; i < n; ++i) {
      const bool negative = acc[i] < 0;
      writer.put(negative ? 1 : 0, 1);
      acc[i] -= negative ? -scale : scale;
    }
    writer.align();
  }
  const int64_t before = comm.bytes_sent();
  const auto all = all_gather_same_size(comm, payload, "sign all-gather");
  last_bytes_ = comm.bytes_sent() - before;

  for (GradientView& g : gradients) std::fill(g.data, g.data + g.size, 0.0f);
  for (const std::vector<uint8_t>& from : all) {
    BitReader reader(from.data(), from.size());
    for (GradientView& g : gradients) {
      const float scale = reader.get_float();
      for (int64_t i = 0; i < g.size; ++i) g.data[i] += reader.get(1) != 0 ? -scale : scale;
      reader.align();
    }
  }
  const float inverse = 1.0f / static_cast<float>(comm.size());
  for (GradientView& g : gradients)
    for (int64_t i = 0; i < g.size; ++i) g.data[i] *= inverse;
}

NamedTensors SignCompressor::state() const {
  NamedTensors s;
  residual_.append_state(s);
  return s;
}

void SignCompressor::load_state(const NamedTensors& state) {
  residual_.load_state(state);
}

}  // namespace sinter
