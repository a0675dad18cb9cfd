#pragma once
// One fuzz case of the whole pipeline: an ONNX model is parsed, verified, planned and run on small
// deterministic inputs. Initializers that are also listed as graph inputs are the values fed to
// those inputs (ONNX's meaning of such initializers: an input's default), so a case carries real
// input data (a Reshape's shape, a Slice's bounds); other inputs get values made from their types.
// Every rejection must be a sinter::Error; anything else — another exception, a crash, a sanitizer
// report, a hang — is a finding.
#include <cstddef>
#include <cstdint>

namespace sinter::fuzz {

// Memory limit applied to a case: enough for every node test, small enough that a case which
// allocates up to it still runs in well under a second under ASan.
inline constexpr int64_t kCaseMemoryLimit = int64_t{64} << 20;

void run_model_case(const uint8_t* data, size_t size);

}  // namespace sinter::fuzz
