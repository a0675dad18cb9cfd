#pragma once
// Helpers shared by the math op tests: build a node, run it through evaluate_node or through
// one named kernel implementation, and compare float tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ops/fused_activation.h"
#include "ops/infer_graph.h"
#include "ops/op_registry.h"

namespace sinter::testing {

inline Node make_node(const std::string& op, size_t num_inputs,
                      std::map<std::string, Attribute> attrs = {}, size_t num_outputs = 1,
                      const std::string& domain = "") {
  Node n;
  n.name = "n0";
  n.op_type = op;
  n.domain = domain;
  for (size_t i = 0; i < num_inputs; ++i) n.inputs.push_back("in" + std::to_string(i));
  for (size_t i = 0; i < num_outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  n.attrs = std::move(attrs);
  return n;
}

inline Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& x : v) x = dist(gen);
  return Tensor::from_vector<float>(std::move(shape), v);
}

inline std::vector<const Tensor*> ptrs(const std::vector<Tensor>& ts) {
  std::vector<const Tensor*> p;
  for (const Tensor& t : ts) p.push_back(&t);
  return p;
}

inline Tensor run1(const Node& node, int64_t opset, const std::vector<const Tensor*>& inputs) {
  return evaluate_node(node, opset, inputs).at(0);
}

// Runs the implementation named `impl` (when empty: the op's reference oracle, or its last
// implementation if it has none) with `threads` threads; `constants` marks which inputs the
// kernel may treat as plan-time constants.
inline Tensor run_impl(const Node& node, int64_t opset, const std::vector<const Tensor*>& inputs,
                       const std::string& impl = "", int threads = 1, bool constants = true) {
  const OpDef& def = op_for(node, opset);
  InferContext ic{node, opset, {}, inputs, {}, {}};
  for (const Tensor* t : inputs)
    ic.inputs.push_back(t ? ValueType{t->dtype(), t->shape(), true} : ValueType{});
  ic.output_values.resize(node.outputs.size());
  def.infer(ic);
  std::vector<Tensor> outs;
  for (const auto& t : ic.outputs) outs.emplace_back(t.dtype, t.shape);
  std::vector<const Tensor*> consts =
      constants ? inputs : std::vector<const Tensor*>(inputs.size());
  KernelInfo ki{node, opset, ic.inputs, ic.outputs, consts, threads};
  const KernelImpl* chosen =
      impl.empty() ? (def.reference ? &*def.reference : &def.impls.back()) : find_kernel(def, impl);
  if (!chosen) {
    ADD_FAILURE() << "no implementation " << impl;
    return Tensor();
  }
  EXPECT_TRUE(!chosen->applicable || chosen->applicable(ki)) << chosen->name << " not applicable";
  auto kernel = chosen->create(ki);
  ThreadPool pool(threads);
  KernelContext kc;
  kc.inputs = inputs;
  for (auto& o : outs) kc.outputs.push_back(&o);
  kc.pool = &pool;
  kernel->run(kc);
  return outs.at(0);
}

inline void expect_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < t.numel(); ++i)
    EXPECT_NEAR(t.value_as_double(i), want[i], tol * std::max(1.0, std::abs(want[i])))
        << "at " << i;
}

inline void expect_close(const Tensor& got, const Tensor& want, double tol = 1e-4) {
  ASSERT_EQ(shape_str(got.shape()), shape_str(want.shape()));
  double worst = 0;
  int64_t where = -1;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double a = got.value_as_double(i), b = want.value_as_double(i);
    double err = std::abs(a - b) / std::max(1.0, std::abs(b));
    if (!(err <= worst)) {
      worst = err;
      where = i;
    }
  }
  EXPECT_LE(worst, tol) << "worst at " << where << ": " << got.value_as_double(where) << " vs "
                        << want.value_as_double(where);
}

}  // namespace sinter::testing
