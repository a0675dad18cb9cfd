#include "dist/qsgd_compressor.h"

#include <algorithm>
#include <cmath>

#include "core/seeded_random.h"
#include "dist/bit_packing.h"
#include "dist/sparse_allgather.h"

namespace sinter {

namespace {

// What a level stands for: the sender's residual and every receiver use this one expression.
float dequantize(float norm, uint32_t level, int levels, bool negative) {
  const float v = norm * static_cast<float>(level) / static_cast<float>(levels);
  return negative ? -v : v;
}

}  // namespace

QsgdCompressor::QsgdCompressor(std::string name, int levels, uint64_t seed)
    : name_(std::move(name)), levels_(levels), seed_(seed) {}

int QsgdCompressor::bits_per_value(int levels) {
  int bits = 0;
  while ((int64_t{1} << bits) < int64_t{levels} + 1) ++bits;
  return bits + 1;
}

int64_t QsgdCompressor::payload_bytes(int64_t n, int levels) {
  return 4 * ((n + kBucket - 1) / kBucket) + (n * bits_per_value(levels) + 7) / 8;
}

void QsgdCompressor::reduce(Communicator& comm, std::vector<GradientView>& gradients,
                            int64_t step) {
  residual_.bind(gradients);
  const int level_bits = bits_per_value(levels_) - 1;
  std::vector<uint8_t> payload;
  BitWriter writer(payload);
  for (size_t t = 0; t < gradients.size(); ++t) {
    const int64_t n = gradients[t].size;
    float* acc = residual_.accumulate(t, gradients[t]);
    std::mt19937_64 rng(mix_seed(
        mix_seed(mix_seed(seed_, static_cast<uint64_t>(comm.rank())), static_cast<uint64_t>(step)),
        t));
    float norm = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (i % kBucket == 0) {
        double squares = 0;
        for (int64_t k = i; k < std::min(n, i + kBucket); ++k)
          squares += static_cast<double>(acc[k]) * acc[k];
        norm = static_cast<float>(std::sqrt(squares));
        writer.put_float(norm);
      }
      uint32_t level = 0;
      if (norm > 0) {
        const float scaled = std::fabs(acc[i]) / norm * static_cast<float>(levels_);
        const float below = std::floor(scaled);
        const float uniform = static_cast<float>(rng() >> 40) * 0x1.0p-24f;
        level = std::min(static_cast<uint32_t>(below) + (uniform < scaled - below ? 1u : 0u),
                         static_cast<uint32_t>(levels_));
      }
      const bool negative = std::signbit(acc[i]);
      writer.put(level, level_bits);
      writer.put(negative ? 1 : 0, 1);
      acc[i] -= dequantize(norm, level, levels_, negative);
    }
    writer.align();
  }
  const int64_t before = comm.bytes_sent();
  const auto all = all_gather_same_size(comm, payload, "QSGD all-gather");
  last_bytes_ = comm.bytes_sent() - before;

  for (GradientView& g : gradients) std::fill(g.data, g.data + g.size, 0.0f);
  for (const std::vector<uint8_t>& from : all) {
    BitReader reader(from.data(), from.size());
    for (GradientView& g : gradients) {
      float norm = 0;
      for (int64_t i = 0; i < g.size; ++i) {
        if (i % kBucket == 0) norm = reader.get_float();
        const uint32_t level = reader.get(level_bits);
        g.data[i] += dequantize(norm, level, levels_, reader.get(1) != 0);
      }
      reader.align();
    }
  }
  const float scale = 1.0f / static_cast<float>(comm.size());
  for (GradientView& g : gradients)
    for (int64_t i = 0; i < g.size; ++i) g.data[i] *= scale;
}

NamedTensors QsgdCompressor::state() const {
  NamedTensors s;
  residual_.append_state(s);
  return s;
}

void QsgdCompressor::load_state(const NamedTensors& state) {
  residual_.load_state(state);
}

}  // namespace sinter
