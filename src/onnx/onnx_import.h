#pragma once
// ONNX model import: ModelProto bytes -> sinter Graph.
#include <cstddef>
#include <string>

#include "ir/graph.h"

namespace sinter {

// Graph::metadata keys under this prefix record opset versions of non-default domains
// ("onnx.opset_import.com.microsoft" -> "1"), so that export can write them back.
inline constexpr const char* kOpsetMetadataPrefix = "onnx.opset_import.";

// Reads, parses and verifies an ONNX model. External data files are resolved relative to the
// model's directory. Throws InputError when the file cannot be read, ModelError when it is
// malformed, UnsupportedError for what sinter cannot represent or run.
Graph load_onnx(const std::string& path);

// Parses a model held in memory without verifying it (load_onnx = read + parse_onnx +
// verify_graph). `base_dir_for_external_data` empty refuses external data; `what_for_messages`
// (usually the path) prefixes every error message. Never trusts a size or count from the bytes.
Graph parse_onnx(const void* data, size_t size, const std::string& base_dir_for_external_data,
                 const std::string& what_for_messages);

}  // namespace sinter
