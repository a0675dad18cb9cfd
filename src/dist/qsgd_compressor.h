#pragma once
// QSGD (Alistarh et al., NeurIPS 2017): each bucket of kBucket values sent as its norm and, per
// value, a sign and one of `levels` + 1 levels of |x| / norm, rounded up or down at random so that
// the rounding is unbiased: E[sent] = x, with E|sent - x|^2 <= min(n / s^2, sqrt(n) / s) |x|^2 (s
// the levels, n a bucket's values). Quantized payloads cannot be summed on the way, so the ranks
// all-gather them and each adds the P decoded payloads in rank order. The packed size is 32 bits a
// bucket for the norm and ceil(log2(s + 1)) + 1 bits a value. What the rounding took or added stays
// in the residual like every compressor's here (QSGD needs no error feedback, being unbiased; it
// costs nothing and keeps one contract).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dist/compressor.h"
#include "dist/gradient_memory.h"

namespace sinter {

class QsgdCompressor final : public Compressor {
 public:
  static constexpr int kMaxLevels = 65535;
  // Values that share a norm, as in the paper's experiments: one norm over a whole layer (48 000
  // values in LeNet-5's) put 16 levels a step of some 14 typical values apart, and training
  // diverged.
  static constexpr int64_t kBucket = 512;

  // `seed` seeds the rounding, with this rank, the step and the tensor mixed in, so the ranks'
  // roundings are independent and a run repeats.
  QsgdCompressor(std::string name, int levels, uint64_t seed);

  std::string name() const override { return name_; }
  void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) override;
  int64_t last_bytes_sent() const override { return last_bytes_; }
  double last_density() const override { return 1.0; }  // every value, in fewer bits
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

  // Bits a value takes: the level's and the sign's.
  static int bits_per_value(int levels);
  // Bytes a tensor of n values takes on the wire.
  static int64_t payload_bytes(int64_t n, int levels);

 private:
  std::string name_;
  int levels_;
  uint64_t seed_;
  GradientMemory residual_{"residual"};
  int64_t last_bytes_ = 0;
};

}  // namespace sinter
