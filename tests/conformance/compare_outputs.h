#pragma once
// Output comparison for the ONNX backend conformance tests.
#include <string>

#include "core/tensor.h"

namespace sinter::conformance {

// ONNX's backend test runner uses numpy.testing.assert_allclose(rtol=1e-3, atol=1e-7).
struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-7;
};

// Compares `got` with `want` the way ONNX's backend tests do: dtype and shape must match
// exactly; floats within |got - want| <= atol + rtol * |want| with NaN equal to NaN and
// infinities equal when their signs agree; integers and bools exactly. Returns an empty string
// on a match, else a one-line description of the first mismatch and the error spread.
std::string compare_tensors(const Tensor& got, const Tensor& want, const Tolerance& tol);

}  // namespace sinter::conformance
