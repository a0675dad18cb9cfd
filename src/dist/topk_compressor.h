#pragma once
// Top-k sparsification with error feedback: per tensor, the k = ceil(R n) values of largest
// magnitude in gradient + residual are sent (a sparse all-gather, then every rank adds the ranks'
// pairs in rank order), the rest stays in the residual.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dist/compressor.h"
#include "dist/gradient_memory.h"

namespace sinter {

// How many of `n` values a share `density` sends: ceil(density n), at most n.
int64_t values_to_send(double density, int64_t n);

// Appends to `indices` the positions of the k values of largest magnitude among x[0, n), in
// increasing order; of equal magnitudes at the boundary the earliest win. NaN counts as the
// largest magnitude, so a broken gradient is sent rather than hidden. `scratch` is reused memory.
void select_top_k(const float* x, int64_t n, int64_t k, std::vector<float>& scratch,
                  std::vector<uint32_t>& indices);

class TopKCompressor final : public Compressor {
 public:
  TopKCompressor(std::string name, double density);

  std::string name() const override { return name_; }
  void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) override;
  int64_t last_bytes_sent() const override { return last_bytes_; }
  double last_density() const override { return last_density_; }
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

  // Accordion's lever: one density per gradient tensor from the next reduce() on (an empty list
  // returns to the one density it was made with).
  void set_densities(std::vector<double> per_tensor) { densities_ = std::move(per_tensor); }

 private:
  std::string name_;
  double density_;
  std::vector<double> densities_;
  GradientMemory residual_{"residual"};
  std::vector<float> scratch_;
  int64_t last_bytes_ = 0;
  double last_density_ = 0;
};

}  // namespace sinter
