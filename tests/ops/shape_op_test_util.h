#pragma once
// Small helpers for op tests: build a node, run it through evaluate_node, compare values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "ops/infer_graph.h"
#include "ops/op_registry.h"

namespace sinter::test {

// A node named "node_under_test" with inputs "in0".. ("" where `present` is false) and outputs
// "out0"...
inline Node make_node(const std::string& op, size_t inputs, size_t outputs = 1,
                      std::map<std::string, Attribute> attrs = {}, std::vector<bool> present = {}) {
  Node n;
  n.name = "node_under_test";
  n.op_type = op;
  for (size_t i = 0; i < inputs; ++i)
    n.inputs.push_back(i < present.size() && !present[i] ? "" : "in" + std::to_string(i));
  for (size_t i = 0; i < outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  n.attrs = std::move(attrs);
  return n;
}

// Runs the node; inputs whose name is empty are passed as omitted.
inline std::vector<Tensor> run(const Node& n, int64_t opset, const std::vector<Tensor>& inputs) {
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) ptrs.push_back(n.has_input(i) ? &inputs[i] : nullptr);
  return evaluate_node(n, opset, ptrs);
}

// Shape inference only, with the given input types and (optional) known values.
inline std::vector<ValueType> infer(const Node& n, int64_t opset,
                                    const std::vector<ValueType>& types,
                                    const std::vector<const Tensor*>& values = {}) {
  InferContext ic{n, opset, types, values, {}, {}};
  ic.values.resize(types.size(), nullptr);
  ic.output_values.resize(n.outputs.size());
  op_for(n, opset).infer(ic);
  return ic.outputs;
}

inline ValueType vt(DType d, Shape s) { return {d, std::move(s), true}; }

template <class T>
Tensor t(Shape shape, std::vector<T> v) {
  if constexpr (std::is_same_v<T, bool>) {
    // std::vector<bool> has no data(): fill element by element.
    Tensor x(DType::kBool, std::move(shape));
    for (size_t i = 0; i < v.size(); ++i) x.data<bool>()[i] = v[i];
    return x;
  } else {
    return Tensor::from_vector<T>(std::move(shape), v);
  }
}
inline Tensor b1(bool v) { return t<bool>({}, {v}); }
inline Tensor i64(std::vector<int64_t> v) {
  int64_t n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<int64_t>({n}, v);
}
// 0, 1, 2, ... as float32.
inline Tensor iota_f(Shape shape) {
  Tensor x(DType::kFloat32, shape);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i);
  return x;
}

template <class T>
void expect_tensor(const Tensor& got, const Shape& shape, const std::vector<T>& values) {
  ASSERT_EQ(got.dtype(), dtype_of<T>()) << dtype_name(got.dtype());
  ASSERT_EQ(got.shape(), shape) << shape_str(got.shape());
  ASSERT_EQ(got.numel(), static_cast<int64_t>(values.size()));
  const T* p = static_cast<const T*>(got.raw());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(p[i], values[i]) << "at " << i;
}

// Expects `fn` to throw a sinter::Error whose message names the node under test.
template <class F>
void expect_node_error(F&& fn, const std::string& fragment = "") {
  try {
    fn();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("node_under_test"), std::string::npos) << msg;
    if (!fragment.empty()) {
      EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
    }
  }
}

// Expects `fn` to throw an E of one line that names the node (`node` is its name) and holds every
// fragment: how tests check that a bad attribute or input is reported by name.
template <class E, class F>
void expect_error(F&& fn, const std::vector<std::string>& fragments,
                  const std::string& node = "node_under_test") {
  try {
    fn();
    ADD_FAILURE() << "expected an error naming " << ::testing::PrintToString(fragments);
  } catch (const E& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("node '" + node + "'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const std::string& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "an error of the wrong type: " << e.what();
  }
}

}  // namespace sinter::test
