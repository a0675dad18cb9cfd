// libFuzzer target for the model loader: parse -> verify -> shape inference on arbitrary bytes,
// and the training-checkpoint reading of the same graph.
// Every rejection must be a sinter::Error; any other exception, crash or sanitizer report is a
// finding.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "ir/verifier.h"
#include "onnx/onnx_import.h"
#include "ops/infer_graph.h"
#include "train/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    // No base directory: the fuzzer must never make the loader read files.
    sinter::Graph g = sinter::parse_onnx(data, size, "", "fuzz.onnx");
    sinter::verify_graph(g);
    sinter::Graph copy = g;
    sinter::infer_graph(g);
    try {
      sinter::checkpoint_from_graph(std::move(copy), "fuzz.onnx");
    } catch (const sinter::Error&) {
    }
  } catch (const sinter::Error&) {
  }
  return 0;
}
