#pragma once
// ONNX external data: tensor bytes kept in a side file next to the model (required for models
// over 2 GB, common for large ones). Internal to src/onnx.
#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace sinter::onnx_io {

struct ExternalData {
  std::string file;
  uint64_t offset = 0;
  size_t nbytes = 0;
};

// Resolves and validates `proto`'s external data before anything is allocated for it: the
// location must be a relative path that stays inside `base_dir`, the file must exist and hold
// offset + `nbytes` bytes, and a stated length must equal `nbytes`. ModelError naming `what`.
ExternalData locate_external_data(const onnx::TensorProto& proto, const std::string& base_dir,
                                  const std::string& what, size_t nbytes);

// Reads the located bytes into `dst` (which holds ref.nbytes bytes).
void read_external_data(const ExternalData& ref, const std::string& what, void* dst);

}  // namespace sinter::onnx_io
