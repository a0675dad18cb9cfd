#include "onnx/onnx_tensor.h"

#include <limits>

#include "core/error.h"
#include "onnx/onnx_external_data.h"

namespace sinter::onnx_io {

namespace {

using onnx::TensorProto;

// ONNX's 4-bit element types (opset 21), newer than the protobuf classes sinter builds against.
constexpr int kOnnxUint4 = 21;
constexpr int kOnnxInt4 = 22;

bool is_4bit(DType t) { return t == DType::kInt4 || t == DType::kUint4; }

// Bytes a tensor of `numel` elements takes in a file: 4-bit values are packed two per byte.
uint64_t file_bytes(DType t, uint64_t numel) {
  return is_4bit(t) ? (numel + 1) / 2 : numel * dtype_size(t);
}

// Unpacks 4-bit values (the first in the low nibble), sign-extending int4, one per byte.
void unpack_4bit(const uint8_t* packed, Tensor& t) {
  auto* dst = static_cast<int8_t*>(t.raw());
  const bool is_signed = t.dtype() == DType::kInt4;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int nibble = (packed[i / 2] >> (4 * (i % 2))) & 0xf;
    dst[i] = static_cast<int8_t>(is_signed && nibble >= 8 ? nibble - 16 : nibble);
  }
}

const char* onnx_type_name(int elem_type) {
  if (elem_type == kOnnxUint4) return "UINT4";
  if (elem_type == kOnnxInt4) return "INT4";
  return TensorProto::DataType_IsValid(elem_type)
             ? TensorProto::DataType_Name(static_cast<TensorProto::DataType>(elem_type)).c_str()
             : "unknown";
}

// Copies a typed repeated field into the tensor, narrowing to the tensor's element type.
// ONNX stores int8/uint8/int16/bool/float16 widened in int32_data (float16 as its bit pattern).
template <class Dst, class Field>
void copy_field(const Field& src, Tensor& t) {
  auto* dst = static_cast<Dst*>(t.raw());
  for (int i = 0; i < src.size(); ++i) dst[i] = static_cast<Dst>(src.Get(i));
}

// Narrow integers stored widened: a value outside the element type's range (a uint8 zero point
// of 300) is a malformed file, not a value to wrap.
template <class Dst, class Field>
void copy_narrow_integers(const Field& src, Tensor& t, const std::string& what) {
  auto* dst = static_cast<Dst*>(t.raw());
  for (int i = 0; i < src.size(); ++i) {
    const auto v = src.Get(i);
    if (v < std::numeric_limits<Dst>::min() || v > std::numeric_limits<Dst>::max())
      throw ModelError(cat(what, ": value ", v, " at ", i, " is outside the range of its type [",
                           int64_t{std::numeric_limits<Dst>::min()}, ", ",
                           int64_t{std::numeric_limits<Dst>::max()}, "]"));
    dst[i] = static_cast<Dst>(v);
  }
}

template <class Field>
void check_count(const Field& src, const Tensor& t, const char* field, const std::string& what) {
  if (static_cast<uint64_t>(src.size()) != static_cast<uint64_t>(t.numel()))
    throw ModelError(cat(what, ": ", field, " holds ", src.size(), " values but dims ",
                         shape_str(t.shape()), " need ", t.numel()));
}

void decode_typed(const TensorProto& p, Tensor& t, const std::string& what) {
  switch (t.dtype()) {
    case DType::kFloat32:
      check_count(p.float_data(), t, "float_data", what);
      return copy_field<float>(p.float_data(), t);
    case DType::kFloat64:
      check_count(p.double_data(), t, "double_data", what);
      return copy_field<double>(p.double_data(), t);
    case DType::kInt64:
      check_count(p.int64_data(), t, "int64_data", what);
      return copy_field<int64_t>(p.int64_data(), t);
    case DType::kInt32:
      check_count(p.int32_data(), t, "int32_data", what);
      return copy_field<int32_t>(p.int32_data(), t);
    case DType::kInt16:
      check_count(p.int32_data(), t, "int32_data", what);
      return copy_narrow_integers<int16_t>(p.int32_data(), t, what);
    case DType::kFloat16:
      check_count(p.int32_data(), t, "int32_data", what);
      return copy_field<uint16_t>(p.int32_data(), t);
    case DType::kInt8:
      check_count(p.int32_data(), t, "int32_data", what);
      return copy_narrow_integers<int8_t>(p.int32_data(), t, what);
    case DType::kUint8:
      check_count(p.int32_data(), t, "int32_data", what);
      return copy_narrow_integers<uint8_t>(p.int32_data(), t, what);
    case DType::kBool: {
      check_count(p.int32_data(), t, "int32_data", what);
      auto* dst = static_cast<uint8_t*>(t.raw());
      for (int i = 0; i < p.int32_data_size(); ++i) dst[i] = p.int32_data(i) != 0;
      return;
    }
    case DType::kInt4:
    case DType::kUint4: {
      // int32_data holds the packed bytes, one per entry.
      if (static_cast<uint64_t>(p.int32_data_size()) != file_bytes(t.dtype(), t.numel()))
        throw ModelError(cat(what, ": int32_data holds ", p.int32_data_size(),
                             " packed bytes but dims ", shape_str(t.shape()), " need ",
                             file_bytes(t.dtype(), t.numel())));
      Tensor bytes(DType::kUint8, {p.int32_data_size()});
      copy_narrow_integers<uint8_t>(p.int32_data(), bytes, what);
      return unpack_4bit(bytes.data<uint8_t>(), t);
    }
  }
}

// Bytes other than 0/1 in a bool tensor would be undefined behaviour when read as bool.
void normalize_bools(Tensor& t) {
  if (t.dtype() != DType::kBool) return;
  auto* p = static_cast<uint8_t*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = p[i] != 0;
}

}  // namespace

DType dtype_from_onnx(int elem_type, const std::string& what) {
  switch (elem_type) {
    case TensorProto::FLOAT:
      return DType::kFloat32;
    case TensorProto::DOUBLE:
      return DType::kFloat64;
    case TensorProto::FLOAT16:
      return DType::kFloat16;
    case TensorProto::INT8:
      return DType::kInt8;
    case TensorProto::UINT8:
      return DType::kUint8;
    case TensorProto::INT16:
      return DType::kInt16;
    case TensorProto::INT32:
      return DType::kInt32;
    case TensorProto::INT64:
      return DType::kInt64;
    case TensorProto::BOOL:
      return DType::kBool;
    case kOnnxInt4:
      return DType::kInt4;
    case kOnnxUint4:
      return DType::kUint4;
    default:
      break;
  }
  throw UnsupportedError(cat(what, ": element type ", onnx_type_name(elem_type), " (", elem_type,
                             ") is not supported"));
}

int dtype_to_onnx(DType t) {
  switch (t) {
    case DType::kFloat32:
      return TensorProto::FLOAT;
    case DType::kFloat64:
      return TensorProto::DOUBLE;
    case DType::kFloat16:
      return TensorProto::FLOAT16;
    case DType::kInt8:
      return TensorProto::INT8;
    case DType::kUint8:
      return TensorProto::UINT8;
    case DType::kInt16:
      return TensorProto::INT16;
    case DType::kInt32:
      return TensorProto::INT32;
    case DType::kInt64:
      return TensorProto::INT64;
    case DType::kBool:
      return TensorProto::BOOL;
    case DType::kInt4:
      return kOnnxInt4;
    case DType::kUint4:
      return kOnnxUint4;
  }
  return TensorProto::UNDEFINED;
}

Shape checked_dims(const google::protobuf::RepeatedField<int64_t>& dims, DType dtype,
                   const std::string& what) {
  if (dims.size() > kMaxRank)
    throw ModelError(cat(what, ": rank ", dims.size(), " exceeds the limit of ", kMaxRank));
  const int64_t max_elems = kMaxTensorBytes / static_cast<int64_t>(dtype_size(dtype));
  Shape shape(dims.begin(), dims.end());
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw ModelError(cat(what, ": negative dimension in ", shape_str(shape)));
    // Each dim is bounded too, so a zero elsewhere cannot hide an absurd one.
    if (d > max_elems || (d > 0 && numel > max_elems / d))
      throw ModelError(cat(what, ": dims of ", dims.size(), " values describe more than ",
                           kMaxTensorBytes, " bytes"));
    numel *= d;
  }
  return shape;
}

Tensor tensor_from_proto(TensorProto& p, const std::string& base_dir, const std::string& what) {
  if (p.has_segment()) throw UnsupportedError(cat(what, ": segmented tensors are not supported"));
  DType dtype = dtype_from_onnx(p.data_type(), what);
  Shape shape = checked_dims(p.dims(), dtype, what);
  // Sizes are validated before allocating so a lying header cannot make us reserve gigabytes.
  const uint64_t nbytes = file_bytes(dtype, static_cast<uint64_t>(shape_numel(shape)));
  if (p.data_location() == TensorProto::EXTERNAL) {
    ExternalData ref = locate_external_data(p, base_dir, what, nbytes);
    Tensor t(dtype, shape);
    if (is_4bit(dtype)) {
      std::vector<uint8_t> packed(nbytes);
      read_external_data(ref, what, packed.data());
      unpack_4bit(packed.data(), t);
    } else {
      read_external_data(ref, what, t.raw());
    }
    normalize_bools(t);
    return t;
  }
  if (p.has_raw_data()) {
    if (p.raw_data().size() != nbytes)
      throw ModelError(cat(what, ": raw_data holds ", p.raw_data().size(), " bytes but ",
                           dtype_name(dtype), " dims ", shape_str(shape), " need ", nbytes));
    Tensor t(dtype, shape);
    if (is_4bit(dtype))
      unpack_4bit(reinterpret_cast<const uint8_t*>(p.raw_data().data()), t);
    else if (nbytes)
      std::memcpy(t.raw(), p.raw_data().data(), nbytes);
    std::string().swap(*p.mutable_raw_data());
    normalize_bools(t);
    return t;
  }
  // Checked before allocation: typed fields hold at most as many values as the file has bytes.
  const uint64_t numel = is_4bit(dtype) ? nbytes : static_cast<uint64_t>(shape_numel(shape));
  const uint64_t available = static_cast<uint64_t>(p.float_data_size()) + p.int32_data_size() +
                             p.int64_data_size() + p.double_data_size() + p.uint64_data_size();
  if (numel > available)
    throw ModelError(cat(what, ": dims ", shape_str(shape), " need ", numel,
                         " values but the "
                         "tensor holds ",
                         available));
  Tensor t(dtype, shape);
  decode_typed(p, t, what);
  return t;
}

void tensor_to_proto(const Tensor& t, const std::string& name, TensorProto* p) {
  p->set_name(name);
  p->set_data_type(dtype_to_onnx(t.dtype()));
  for (int64_t d : t.shape()) p->add_dims(d);
  if (!is_4bit(t.dtype())) {
    p->set_raw_data(t.raw(), t.nbytes());
    return;
  }
  std::string packed(file_bytes(t.dtype(), t.numel()), '\0');
  // Held sign- or zero-extended in bytes; the low nibble is the value either way.
  const auto* v = static_cast<const uint8_t*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i)
    packed[i / 2] = static_cast<char>(packed[i / 2] | ((v[i] & 0xf) << (4 * (i % 2))));
  p->set_raw_data(packed);
}

}  // namespace sinter::onnx_io
