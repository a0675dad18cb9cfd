#pragma once
// ONNX model export: sinter Graph -> ModelProto file.
#include <string>

#include "ir/graph.h"

namespace sinter {

// Writes `g` as an ONNX model (IR version 8, weights as raw_data, known types as value_info,
// metadata as metadata_props). The file appears atomically: written to `path + ".tmp"` and
// renamed; on failure the temporary is removed and the error thrown. load_onnx of the result
// gives back an identical graph.
void save_onnx(const Graph& g, const std::string& path);

// The serialized ModelProto that save_onnx writes (`what` names the model in errors).
std::string onnx_bytes(const Graph& g, const std::string& what);

}  // namespace sinter
