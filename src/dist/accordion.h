#pragma once
// Accordion (Agarwal et al., MLSys 2021): compress little in critical learning regimes and much
// outside them. A regime is critical while the gradients change fast: every `interval_steps`
// steps the controller compares, per gradient tensor, the norm of the reduced gradients summed
// over the interval with the previous interval's; a relative change of eta or more marks the
// tensor critical and it gets the low compression for the next interval (top-k at 10 % instead of
// 1 %, or PowerSGD at rank 4 instead of 1), else the high one. Training starts critical. The
// norms are those of the reduced gradients, the same bits on every rank, so the ranks decide
// alike without a message. The paper also switches to low compression when the learning rate
// decays; the compressor does not see the schedule, so that part is left to the caller.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dist/compressor.h"
#include "dist/gradient_memory.h"
#include "dist/powersgd_compressor.h"
#include "dist/topk_compressor.h"

namespace sinter {

enum class AccordionBase { kTopK, kPowerSgd };

struct AccordionOptions {
  AccordionBase base = AccordionBase::kTopK;
  double eta = 0.5;  // the paper's threshold on the relative change
  // The controller's "epoch": the paper decides once an epoch; 100 steps are about half a
  // Fashion-MNIST epoch at 4 ranks of batch 64, so short runs still see a few decisions.
  int64_t interval_steps = 100;
  double low_density = 0.1, high_density = 0.01;  // top-k
  int low_rank = 4, high_rank = 1;                // PowerSGD
};

class AccordionCompressor final : public Compressor {
 public:
  // `seed` seeds PowerSGD's first factors.
  AccordionCompressor(std::string name, const AccordionOptions& options, uint64_t seed);

  std::string name() const override { return name_; }
  void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) override;
  int64_t last_bytes_sent() const override { return inner().last_bytes_sent(); }
  double last_density() const override { return inner().last_density(); }
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

  // Per gradient tensor, whether the next reduce() treats it as critical (low compression).
  const std::vector<bool>& critical() const { return critical_; }

 private:
  const Compressor& inner() const;
  // Sets the base compressor's density or rank per tensor from critical_.
  void apply_levels();
  // The end of an interval: the critical regimes from the sums' norms.
  void decide();

  std::string name_;
  AccordionOptions options_;
  std::unique_ptr<TopKCompressor> topk_;
  std::unique_ptr<PowerSgdCompressor> powersgd_;
  GradientMemory sums_{"accordion_sum"};
  std::vector<bool> critical_;
  std::vector<double> previous_norms_;  // negative before the first interval ends
  int64_t steps_in_interval_ = 0;
};

}  // namespace sinter
