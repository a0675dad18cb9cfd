#pragma once
// Deep Gradient Compression (Lin et al., ICLR 2018): top-k of a momentum-corrected accumulation.
// Sparsifying plain gradients under momentum SGD loses the momentum of the values left behind, so
// DGC moves the momentum into the compressor: each rank keeps a velocity u = m u + g and an
// accumulation v += u, sends the top-k of v, and clears u and v where it sent (momentum factor
// masking, so stale momentum does not push a value twice). The optimizer then applies the
// average plainly: train with the optimizer's momentum at 0 and DGC's here.
// Local gradient clipping bounds each rank's gradient norm by clip_norm / sqrt(ranks) before it
// is accumulated (the ranks' sum then obeys clip_norm), and a warm-up starts at 25 % density and
// decays it exponentially to the target, so the first, fast-changing steps lose less.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dist/compressor.h"
#include "dist/gradient_memory.h"

namespace sinter {

struct DgcOptions {
  double density = 0.001;  // the target share of values sent
  double momentum = 0.9;
  // The global gradient-norm bound the training would clip to; 0 clips nothing.
  double clip_norm = 0;
  // Steps from the warm-up density (25 %) to the target. The paper warms up over 4 of 90-164
  // epochs; 200 steps are about one Fashion-MNIST epoch at 4 ranks of batch 64.
  int64_t warmup_steps = 200;
};

class DgcCompressor final : public Compressor {
 public:
  DgcCompressor(std::string name, const DgcOptions& options);

  std::string name() const override { return name_; }
  void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) override;
  int64_t last_bytes_sent() const override { return last_bytes_; }
  double last_density() const override { return last_density_; }
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

  // The density at `step`: 0.25 (target / 0.25)^(step / warmup_steps) during the warm-up, then
  // the target (a target of 25 % or more has no warm-up).
  double density_at(int64_t step) const;

 private:
  std::string name_;
  DgcOptions options_;
  GradientMemory velocity_{"velocity"};          // u
  GradientMemory accumulation_{"accumulation"};  // v: the residual
  std::vector<float> scratch_;
  int64_t last_bytes_ = 0;
  double last_density_ = 0;
};

}  // namespace sinter
