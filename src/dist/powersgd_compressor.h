#pragma once
// PowerSGD (Vogels et al., NeurIPS 2019): a rank-r approximation of each gradient by one step of
// power iteration, with error feedback. A gradient of shape [n, ...] is the n x m matrix M
// (gradient + residual); with the right factor Q (m x r) kept from the last step (warm start,
// so the iteration continues across steps), every rank computes P = M Q, the ranks all-reduce P,
// orthonormalize it, compute Q = M^T P and all-reduce Q; P Q^T / ranks is the average they
// apply. A rank's residual is M - P Q_mine^T, what its own share did not carry. Two all-reduces
// of (n + m) r values replace one of n m. Biases and matrices with a side of r or less gain
// nothing and go dense in the first all-reduce. All-reduces are sinter's ring in rank order.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dist/compressor.h"
#include "dist/gradient_memory.h"

namespace sinter {

class PowerSgdCompressor final : public Compressor {
 public:
  // `seed` draws the first right factors, the same on every rank.
  PowerSgdCompressor(std::string name, int rank, uint64_t seed);

  std::string name() const override { return name_; }
  void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) override;
  int64_t last_bytes_sent() const override { return last_bytes_; }
  double last_density() const override { return last_density_; }
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

  // Accordion's lever: one rank per gradient tensor from the next reduce() on (an empty list
  // returns to the rank it was made with). A factor that grows keeps its columns and draws new
  // ones; one that shrinks keeps its first columns.
  void set_ranks(std::vector<int> per_tensor) { ranks_ = std::move(per_tensor); }

  // Whether a gradient of `shape` is approximated at `rank` (else it is sent dense).
  static bool compresses(const Shape& shape, int rank);

 private:
  // Tensor t's right factor at `rank` (cols x rank, row-major), drawn or resized as needed.
  std::vector<float>& right_factor(const GradientView& g, size_t t, int rank, int64_t step);
  // Keeps tensor t's averaged Q (cols x rank) as the next step's start.
  void keep_warm_start(const float* q, int64_t cols, int rank, const GradientView& g, size_t t,
                       int64_t step);

  std::string name_;
  int rank_;
  uint64_t seed_;
  std::vector<int> ranks_;
  GradientMemory residual_{"residual"};
  // The warm start: every compressed gradient's last averaged Q, by gradient name.
  std::map<std::string, std::vector<float>> right_;
  int64_t last_bytes_ = 0;
  double last_density_ = 0;
};

}  // namespace sinter
