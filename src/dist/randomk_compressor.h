#pragma once
// Random-k sparsification with error feedback: per tensor, k = ceil(R n) positions drawn from a
// generator seeded by (seed, step, tensor), the same on every rank. Since the ranks' positions
// coincide, the k values need no indices and a dense all-reduce of them suffices (sinter's ring
// in rank order: 2 (P - 1)/P of 4 k bytes a rank), the cheapest collective any sparsifier gets.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dist/compressor.h"
#include "dist/gradient_memory.h"

namespace sinter {

class RandomKCompressor final : public Compressor {
 public:
  RandomKCompressor(std::string name, double density, uint64_t seed);

  std::string name() const override { return name_; }
  void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) override;
  int64_t last_bytes_sent() const override { return last_bytes_; }
  double last_density() const override { return last_density_; }
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

 private:
  std::string name_;
  double density_;
  uint64_t seed_;
  GradientMemory residual_{"residual"};
  int64_t last_bytes_ = 0;
  double last_density_ = 0;
};

}  // namespace sinter
