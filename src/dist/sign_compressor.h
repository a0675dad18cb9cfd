#pragma once
// Sign compression with error feedback (EF-SignSGD, Karimireddy et al., ICML 2019): each tensor
// sent as one bit a value, its sign, and one scale, the mean |value| of gradient + residual, so
// the sent tensor scale * sign(x) has the l1 norm of x; the residual keeps x minus it, which is
// what makes signSGD converge like SGD. The ranks all-gather the packed payloads (4 + ceil(n/8)
// bytes a tensor) and each adds the P decoded ones in rank order. Zero counts as positive.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dist/compressor.h"
#include "dist/gradient_memory.h"

namespace sinter {

class SignCompressor final : public Compressor {
 public:
  explicit SignCompressor(std::string name) : name_(std::move(name)) {}

  std::string name() const override { return name_; }
  void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) override;
  int64_t last_bytes_sent() const override { return last_bytes_; }
  double last_density() const override { return 1.0; }  // every value, in one bit
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

  // Bytes a tensor of n values takes on the wire.
  static int64_t payload_bytes(int64_t n) { return 4 + (n + 7) / 8; }

 private:
  std::string name_;
  GradientMemory residual_{"residual"};
  int64_t last_bytes_ = 0;
};

}  // namespace sinter
