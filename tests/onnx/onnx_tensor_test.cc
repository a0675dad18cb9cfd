// Initializer decoding: raw_data and typed fields must agree, and every size is validated.
#include "onnx/onnx_tensor.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "onnx/onnx_import.h"
#include "onnx_test_util.h"

namespace sinter {
namespace {

using onnx::TensorProto;
using testing::empty_model;

Graph parse(const onnx::ModelProto& m) {
  std::string bytes = m.SerializeAsString();
  return parse_onnx(bytes.data(), bytes.size(), "", "mem.onnx");
}

// A model whose only content is initializer `t` (also the graph output).
onnx::ModelProto model_with(const TensorProto& t) {
  onnx::ModelProto m = empty_model();
  *m.mutable_graph()->add_initializer() = t;
  m.mutable_graph()->add_output()->set_name(t.name());
  return m;
}

TensorProto header(const std::string& name, int type, std::vector<int64_t> dims) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  return t;
}

template <class T>
TensorProto raw(int type, const std::vector<T>& v) {
  TensorProto t = header("t", type, {static_cast<int64_t>(v.size())});
  t.set_raw_data(v.data(), v.size() * sizeof(T));
  return t;
}

void expect_same_bytes(const TensorProto& a, const TensorProto& b, DType want) {
  Graph ga = parse(model_with(a));
  Graph gb = parse(model_with(b));
  const Tensor& ta = ga.initializers.at("t");
  const Tensor& tb = gb.initializers.at("t");
  EXPECT_EQ(ta.dtype(), want);
  EXPECT_EQ(tb.dtype(), want);
  EXPECT_EQ(ta.shape(), tb.shape());
  ASSERT_EQ(ta.nbytes(), tb.nbytes());
  EXPECT_EQ(0, std::memcmp(ta.raw(), tb.raw(), ta.nbytes())) << dtype_name(want);
  EXPECT_EQ(ga.types.at("t").shape, ta.shape());
}

TEST(OnnxTensor, RawAndTypedFieldsAgreeForEveryDtype) {
  {
    TensorProto typed = header("t", TensorProto::FLOAT, {3});
    for (float f : {1.5f, -2.f, 3.25f}) typed.add_float_data(f);
    expect_same_bytes(raw<float>(TensorProto::FLOAT, {1.5f, -2.f, 3.25f}), typed, DType::kFloat32);
  }
  {
    TensorProto typed = header("t", TensorProto::DOUBLE, {2});
    for (double d : {1e300, -0.5}) typed.add_double_data(d);
    expect_same_bytes(raw<double>(TensorProto::DOUBLE, {1e300, -0.5}), typed, DType::kFloat64);
  }
  {
    TensorProto typed = header("t", TensorProto::INT64, {2});
    for (int64_t v : {int64_t{1} << 40, int64_t{-7}}) typed.add_int64_data(v);
    expect_same_bytes(raw<int64_t>(TensorProto::INT64, {int64_t{1} << 40, -7}), typed,
                      DType::kInt64);
  }
  // int32_data carries every narrower type, widened.
  auto via_int32 = [](int type, std::vector<int32_t> values) {
    TensorProto typed = header("t", type, {static_cast<int64_t>(values.size())});
    for (int32_t v : values) typed.add_int32_data(v);
    return typed;
  };
  expect_same_bytes(raw<int32_t>(TensorProto::INT32, {-5, 1 << 30}),
                    via_int32(TensorProto::INT32, {-5, 1 << 30}), DType::kInt32);
  expect_same_bytes(raw<int16_t>(TensorProto::INT16, {-300, 300}),
                    via_int32(TensorProto::INT16, {-300, 300}), DType::kInt16);
  expect_same_bytes(raw<int8_t>(TensorProto::INT8, {-128, 127}),
                    via_int32(TensorProto::INT8, {-128, 127}), DType::kInt8);
  expect_same_bytes(raw<uint8_t>(TensorProto::UINT8, {0, 255}),
                    via_int32(TensorProto::UINT8, {0, 255}), DType::kUint8);
  expect_same_bytes(raw<uint8_t>(TensorProto::BOOL, {1, 0, 1}),
                    via_int32(TensorProto::BOOL, {1, 0, 1}), DType::kBool);
  // float16 travels as its bit pattern: 1.0 = 0x3c00, -2.0 = 0xc000.
  expect_same_bytes(raw<uint16_t>(TensorProto::FLOAT16, {0x3c00, 0xc000}),
                    via_int32(TensorProto::FLOAT16, {0x3c00, 0xc000}), DType::kFloat16);
}

// A narrow integer stored widened outside its type's range (a uint8 zero point of 300) is refused,
// naming the initializer, not wrapped.
TEST(OnnxTensor, NarrowIntegersOutsideTheirRangeAreRefused) {
  for (auto [type, value] : {std::pair{TensorProto::UINT8, 300}, std::pair{TensorProto::UINT8, -1},
                             std::pair{TensorProto::INT8, 128}, std::pair{TensorProto::INT8, -129},
                             std::pair{TensorProto::INT16, 40000}}) {
    TensorProto typed = header("zero_point", type, {2});
    typed.add_int32_data(0);
    typed.add_int32_data(value);
    try {
      parse(model_with(typed));
      ADD_FAILURE() << "value " << value << " of type " << type << " was accepted";
    } catch (const ModelError& e) {
      EXPECT_NE(std::string(e.what()).find("zero_point"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("outside the range"), std::string::npos) << e.what();
    }
  }
}

TEST(OnnxTensor, ScalarAndEmptyTensors) {
  TensorProto scalar = header("t", TensorProto::INT64, {});
  scalar.add_int64_data(42);
  Graph g = parse(model_with(scalar));
  EXPECT_EQ(g.initializers.at("t").shape(), Shape{});
  EXPECT_EQ(g.initializers.at("t").data<int64_t>()[0], 42);

  Graph e = parse(model_with(header("t", TensorProto::FLOAT, {0, 5})));
  EXPECT_EQ(e.initializers.at("t").numel(), 0);
  EXPECT_EQ(e.initializers.at("t").shape(), (Shape{0, 5}));
}

TEST(OnnxTensor, BoolBytesAreNormalized) {
  Graph g = parse(model_with(raw<uint8_t>(TensorProto::BOOL, {0, 7, 255})));
  const auto* p = static_cast<const uint8_t*>(g.initializers.at("t").raw());
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[1], 1);
  EXPECT_EQ(p[2], 1);
}

void expect_model_error(const TensorProto& t, const std::string& fragment) {
  try {
    parse(model_with(t));
    FAIL() << "expected ModelError containing '" << fragment << "'";
  } catch (const ModelError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("initializer 't'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  }
}

TEST(OnnxTensor, SizesFromTheFileAreValidated) {
  TensorProto short_raw = raw<float>(TensorProto::FLOAT, {1, 2, 3});
  short_raw.set_dims(0, 4);
  expect_model_error(short_raw, "raw_data holds 12 bytes");

  TensorProto long_raw = raw<float>(TensorProto::FLOAT, {1, 2, 3});
  long_raw.set_dims(0, 2);
  expect_model_error(long_raw, "raw_data holds 12 bytes");

  TensorProto few = header("t", TensorProto::FLOAT, {3});
  few.add_float_data(1);
  expect_model_error(few, "need 3 values");

  TensorProto many = header("t", TensorProto::INT64, {1});
  many.add_int64_data(1);
  many.add_int64_data(2);
  expect_model_error(many, "int64_data holds 2 values");

  // Values in the wrong typed field do not count.
  TensorProto wrong_field = header("t", TensorProto::FLOAT, {2});
  wrong_field.add_int64_data(1);
  wrong_field.add_int64_data(2);
  expect_model_error(wrong_field, "float_data holds 0 values");

  expect_model_error(header("t", TensorProto::FLOAT, {2, -1}), "negative dimension");
  // Overflowing and absurd dims are refused before anything is allocated.
  expect_model_error(header("t", TensorProto::FLOAT, {int64_t{1} << 40, int64_t{1} << 40}),
                     "more than");
  expect_model_error(header("t", TensorProto::FLOAT, {int64_t{1} << 33}), "more than");
  expect_model_error(header("t", TensorProto::FLOAT, {0, int64_t{1} << 62}), "more than");
  expect_model_error(header("t", TensorProto::FLOAT, {1 << 20, 1 << 10}), "need 1073741824");
  expect_model_error(header("t", TensorProto::FLOAT, std::vector<int64_t>(65, 1)), "rank 65");
}

// ONNX's opset 21 4-bit types, packed two a byte with the first value in the low nibble.
constexpr int kUint4 = 21;
constexpr int kInt4 = 22;

TEST(OnnxTensor, FourBitValuesUnpackOneAByteAndPackBack) {
  // int4 values 7, -8, -1, 3, -5: nibbles 0x7, 0x8, 0xf, 0x3, 0xb.
  TensorProto packed = header("t", kInt4, {5});
  packed.set_raw_data(std::string("\x87\x3f\x0b", 3));
  TensorProto typed = header("t", kInt4, {5});
  for (int byte : {0x87, 0x3f, 0x0b}) typed.add_int32_data(byte);
  for (const TensorProto* p : {&packed, &typed}) {
    Graph g = parse(model_with(*p));
    const Tensor& t = g.initializers.at("t");
    ASSERT_EQ(t.dtype(), DType::kInt4);
    EXPECT_EQ(std::vector<int8_t>(t.data<int8_t>(), t.data<int8_t>() + 5),
              std::vector<int8_t>({7, -8, -1, 3, -5}));
    TensorProto back;
    onnx_io::tensor_to_proto(t, "t", &back);
    EXPECT_EQ(back.data_type(), kInt4);
    EXPECT_EQ(back.raw_data(), packed.raw_data());
  }
  TensorProto unsigned_raw = header("t", kUint4, {2, 2});
  unsigned_raw.set_raw_data(std::string("\xf0\x9a", 2));
  const Tensor u = parse(model_with(unsigned_raw)).initializers.at("t");
  ASSERT_EQ(u.dtype(), DType::kUint4);
  EXPECT_EQ(std::vector<uint8_t>(u.data<uint8_t>(), u.data<uint8_t>() + 4),
            std::vector<uint8_t>({0, 15, 10, 9}));
  TensorProto unsigned_back;
  onnx_io::tensor_to_proto(u, "t", &unsigned_back);
  EXPECT_EQ(unsigned_back.raw_data(), unsigned_raw.raw_data());
  // Sizes are counted in packed bytes.
  TensorProto short_raw = header("t", kInt4, {5});
  short_raw.set_raw_data(std::string(2, '\0'));
  expect_model_error(short_raw, "raw_data holds 2 bytes but int4 dims [5] need 3");
  TensorProto short_typed = header("t", kUint4, {3});
  short_typed.add_int32_data(0);
  expect_model_error(short_typed, "dims [3] need 2 values but the tensor holds 1");
  TensorProto wide = header("t", kUint4, {2});
  wide.add_int32_data(256);
  expect_model_error(wide, "value 256 at 0 is outside the range");
}

TEST(OnnxTensor, UnsupportedDtypesAreNamed) {
  for (int type : std::vector<int>{TensorProto::STRING, TensorProto::BFLOAT16, TensorProto::UINT16,
                                   TensorProto::UINT64, TensorProto::COMPLEX64, 99}) {
    try {
      parse(model_with(header("t", type, {1})));
      FAIL() << "type " << type << " accepted";
    } catch (const UnsupportedError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("initializer 't'"), std::string::npos) << msg;
      EXPECT_NE(msg.find("element type"), std::string::npos) << msg;
    }
  }
  onnx::ModelProto m = empty_model();
  testing::set_tensor_type(m.mutable_graph()->add_input(), "x", TensorProto::BFLOAT16, {1});
  m.mutable_graph()->add_output()->set_name("x");
  try {
    parse(m);
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("value 'x'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("BFLOAT16"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sinter
