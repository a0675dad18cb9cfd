#pragma once
// Gradient compression with error feedback for data-parallel training. One interface: a
// compressor turns each rank's gradients into a small payload, runs the collective that payload
// needs (a sparse all-gather for top-k, DGC and SIDCo; an all-reduce of the shared positions'
// values for random-k; all-reduces of two thin factors for PowerSGD; an all-gather of quantized
// values for QSGD and sign), and leaves in every rank's gradients the same average of what the
// ranks sent. What a rank did not send stays in its residual memory and is added to the next
// step's gradient (error feedback), so nothing is lost, only delayed.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/named_tensors.h"
#include "dist/communicator.h"

namespace sinter {

// One parameter's gradient, reduced in place.
struct GradientView {
  std::string name;
  Shape shape;  // the parameter's: PowerSGD reshapes it to a matrix
  float* data = nullptr;
  int64_t size = 0;
};

class Compressor {
 public:
  virtual ~Compressor() = default;
  // The spec it was made from, e.g. "topk:0.01".
  virtual std::string name() const = 0;
  // Replaces every rank's gradients with the average over the ranks of what each sent, the
  // same bits on every rank; keeps what this rank did not send for the next step. `step` counts
  // from 0 (warm-ups and controllers use it). Every rank calls it with the same shapes.
  virtual void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) = 0;
  // Bytes this rank sent in the last reduce(), payload and indices.
  virtual int64_t last_bytes_sent() const = 0;
  // The share of the gradients' values this rank sent in the last reduce() (1 for dense).
  virtual double last_density() const = 0;
  // State a checkpoint must hold to resume bit for bit (residuals, momenta, warm-start factors,
  // controller state), as named tensors; load_state() takes back what state() gave.
  virtual NamedTensors state() const = 0;
  virtual void load_state(const NamedTensors& state) = 0;
};

// Makes a compressor from a spec: "topk:R", "randomk:R", "dgc:R", "sidco:R" (R the share of
// values sent, in (0, 1]), "powersgd:RANK", "qsgd:LEVELS", "sign", "accordion:topk" or
// "accordion:powersgd". `seed` seeds the random choices (random-k, QSGD's rounding), the same on
// every rank. Throws InputError naming the spec for anything else.
// DGC takes over the optimizer's momentum and gradient clipping (train with both at 0 then):
// `training` gives it the run's.
struct CompressorTraining {
  double momentum = 0.9;
  double clip_norm = 0;
};
std::unique_ptr<Compressor> make_compressor(const std::string& spec, uint64_t seed,
                                            const CompressorTraining& training = {});
// Whether the spec's compressor takes over the momentum and clipping (DGC).
bool takes_over_momentum(const std::string& spec);

}  // namespace sinter
