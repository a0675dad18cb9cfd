#pragma once
// Helpers for ONNX tests: models are built in code with the protobuf classes and written to a
// per-test temporary directory.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace sinter::testing {

// A fresh directory removed when the fixture ends.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            (std::string("sinter_") + info->test_suite_name() + "_" + info->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_model(const onnx::ModelProto& m, const std::string& path) {
  write_bytes(path, m.SerializeAsString());
}

// An empty model with the given default-domain opset.
inline onnx::ModelProto empty_model(int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  m.mutable_graph()->set_name("test");
  return m;
}

inline void set_tensor_type(onnx::ValueInfoProto* vi, const std::string& name, int elem_type,
                            const std::vector<int64_t>& dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    if (d >= 0)
      shape->add_dim()->set_dim_value(d);
    else
      shape->add_dim()->set_dim_param("N");
  }
}

// x[2,3,4] -> Flatten(axis=1) -> y, plus an unused float initializer "w" with raw data.
inline onnx::ModelProto flatten_model() {
  onnx::ModelProto m = empty_model();
  auto* g = m.mutable_graph();
  set_tensor_type(g->add_input(), "x", onnx::TensorProto::FLOAT, {2, 3, 4});
  set_tensor_type(g->add_output(), "y", onnx::TensorProto::FLOAT, {2, 12});
  auto* n = g->add_node();
  n->set_name("flat");
  n->set_op_type("Flatten");
  n->add_input("x");
  n->add_output("y");
  auto* a = n->add_attribute();
  a->set_name("axis");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(1);
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  std::vector<float> v = {1.5f, -2.f};
  w->set_raw_data(v.data(), v.size() * sizeof(float));
  return m;
}

// Field-by-field equality with readable failures.
inline void expect_same_graph(const Graph& a, const Graph& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.opset, b.opset);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_EQ(a.metadata, b.metadata);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node& x = a.nodes[i];
    const Node& y = b.nodes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op_type, y.op_type);
    EXPECT_EQ(x.domain, y.domain);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    ASSERT_EQ(x.attrs.size(), y.attrs.size()) << x.name;
    for (const auto& attr : x.attrs) {
      // Named copies: lambdas may not capture structured bindings before C++20 (clang refuses).
      const std::string& key = attr.first;
      const Attribute& value = attr.second;
      ASSERT_TRUE(y.attrs.count(key)) << x.name << "." << key;
      const Attribute& other = y.attrs.at(key);
      ASSERT_EQ(value.index(), other.index()) << x.name << "." << key;
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            const T& w = std::get<T>(other);
            if constexpr (std::is_same_v<T, Tensor>) {
              EXPECT_EQ(v.dtype(), w.dtype());
              EXPECT_EQ(v.shape(), w.shape());
              EXPECT_EQ(0, std::memcmp(v.raw(), w.raw(), v.nbytes()));
            } else {
              EXPECT_EQ(v, w) << x.name << "." << key;
            }
          },
          value);
    }
  }
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (const auto& [name, t] : a.initializers) {
    ASSERT_TRUE(b.initializers.count(name)) << name;
    const Tensor& u = b.initializers.at(name);
    EXPECT_EQ(t.dtype(), u.dtype()) << name;
    EXPECT_EQ(t.shape(), u.shape()) << name;
    EXPECT_EQ(0, std::memcmp(t.raw(), u.raw(), t.nbytes())) << name;
  }
  ASSERT_EQ(a.types.size(), b.types.size());
  for (const auto& [name, t] : a.types) {
    ASSERT_TRUE(b.types.count(name)) << name;
    const ValueType& u = b.types.at(name);
    EXPECT_EQ(t.dtype, u.dtype) << name;
    EXPECT_EQ(t.has_shape, u.has_shape) << name;
    EXPECT_EQ(t.shape, u.shape) << name;
  }
}

}  // namespace sinter::testing
