#pragma once
// The calibration run: the float model applied to calibration images, with the values that will
// be quantized made extra graph outputs so that one ordinary Session returns them beside the
// logits, each fed to its own RangeObserver.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compress/quant_observer.h"
#include "ir/graph.h"

namespace sinter {

// Observes every value named in `values` (graph inputs or intermediates of `model`, which has
// one input) over `images` [N, ...], run in batches of at most `batch` on `threads` threads.
// Throws InputError when the images do not fit the model's input (naming both shapes), when
// there are none, or when a value is not in the model; NumericError when a value goes NaN/Inf.
std::map<std::string, RangeObserver> observe_activations(const Graph& model,
                                                         const std::vector<std::string>& values,
                                                         const Tensor& images, int64_t batch = 256,
                                                         int threads = 1);

}  // namespace sinter
