#pragma once
// Conversions between ONNX TensorProto / element types and sinter's Tensor / DType, shared by the
// importer and the exporter. Internal to src/onnx: it exposes the protobuf classes.
#include <onnx/onnx_pb.h>

#include <string>

#include "core/tensor.h"

namespace sinter::onnx_io {

// Largest tensor a model may declare. Anything bigger is a corrupt size field, not a real weight.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 34;
// Rank bound that keeps shape arithmetic cheap and catches garbage dims lists.
constexpr int kMaxRank = 64;

// ONNX elem_type -> sinter DType; UnsupportedError naming `what` for types sinter does not store.
DType dtype_from_onnx(int elem_type, const std::string& what);
int dtype_to_onnx(DType t);

// Validates ONNX dims (non-negative, bounded rank/element count); ModelError naming `what`.
Shape checked_dims(const google::protobuf::RepeatedField<int64_t>& dims, DType dtype,
                   const std::string& what);

// Decodes a TensorProto from raw_data, the typed fields, or an external data file located
// relative to `base_dir` (empty: external data is refused, as when parsing bytes in memory).
// `what` names the tensor in error messages. Releases the proto's raw_data to bound peak memory.
Tensor tensor_from_proto(onnx::TensorProto& proto, const std::string& base_dir,
                         const std::string& what);

// Encodes a tensor with raw_data (little-endian, as ONNX specifies).
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* proto);

}  // namespace sinter::onnx_io
