#pragma once
// One fuzz case of the whole pipeline: an ONNX model is parsed, verified, planned and run on small
// deterministic inputs. Initializers that are also listed as graph inputs are the values fed to
// those inputs (ONNX's meaning of such initializers: an input's default), so a case carries real
// input data (a Reshape's shape, a Slice's bounds); other inputs get values made from their types.
// Every rejection must be a sinter::Error; anything else — another exception, a crash, a sanitizer
// report, a hang — is a finding.
#include <cstddef>
#include <cstdint>
#include <random>

#include "ir/graph.h"

namespace sinter::fuzz {

// Memory limit applied to a case: enough for every node test, small enough that a case which
// allocates up to it still runs in well under a second under ASan.
inline constexpr int64_t kCaseMemoryLimit = int64_t{64} << 20;

// A case whose counted work passes this is skipped rather than run: it is legal, just slow.
inline constexpr double kMaxFlops = 2e8;

void run_model_case(const uint8_t* data, size_t size);

// Values of every dtype from a fixed seed: floats in [-2, 2), integers in [0, 4), so indices
// and shape values are mostly in range.
Tensor made_input(const ValueType& type, std::mt19937& rng);

// Whether an input of `type` is small enough to make (dynamic dims count as 2).
bool small_enough(const ValueType& type);

}  // namespace sinter::fuzz
