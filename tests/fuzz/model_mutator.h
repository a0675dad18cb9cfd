#pragma once
// A structure-aware mutator for ONNX models: it edits a parsed ModelProto (attribute values, input
// dims, initializer values, dtypes and dims, op types, wiring, opset) with values chosen to break
// size arithmetic (0, -1, 2^31 - 1, 2^32, 2^62, INT64_MIN, NaN, ...), so the mutated bytes still
// parse and reach verification, planning and the kernels instead of dying in the protobuf parser.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <random>

namespace sinter::fuzz {

// Applies one to three random edits to `model`.
void mutate_model(onnx::ModelProto& model, std::mt19937_64& rng);

}  // namespace sinter::fuzz
