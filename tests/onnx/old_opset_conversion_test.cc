// Models at opsets 1 to 6 are rewritten to opset 7 on import: legacy broadcasting and a
// per-channel PRelu slope compute what the old operators did; what cannot be rewritten is
// refused naming the node and why.
#include "onnx/old_opset_conversion.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "onnx/onnx_import.h"
#include "onnx_test_util.h"
#include "runtime/session.h"

namespace sinter {
namespace {

Graph parse(const onnx::ModelProto& m) {
  const std::string bytes = m.SerializeAsString();
  return parse_onnx(bytes.data(), bytes.size(), "", "old.onnx");
}

onnx::TensorProto* add_floats(onnx::GraphProto* g, const std::string& name,
                              const std::vector<int64_t>& dims, const std::vector<float>& v) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float f : v) t->add_float_data(f);
  return t;
}

void add_int_attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

// x[2,3,2] -> Add(x, b[3], broadcast=1, axis=1) -> PRelu(slope[3]) -> y, at opset 6: both
// operands of C values apply per channel, as before opset 7.
onnx::ModelProto legacy_channel_model() {
  onnx::ModelProto m = testing::empty_model(6);
  auto* g = m.mutable_graph();
  testing::set_tensor_type(g->add_input(), "x", onnx::TensorProto::FLOAT, {2, 3, 2});
  testing::set_tensor_type(g->add_output(), "y", onnx::TensorProto::FLOAT, {2, 3, 2});
  add_floats(g, "b", {3}, {10, 20, 30});
  add_floats(g, "slope", {3}, {0.5f, 0.25f, 0.125f});
  auto* add = g->add_node();
  add->set_op_type("Add");
  add->add_input("x");
  add->add_input("b");
  add->add_output("s");
  add_int_attr(add, "broadcast", 1);
  add_int_attr(add, "axis", 1);
  auto* prelu = g->add_node();
  prelu->set_op_type("PRelu");
  prelu->add_input("s");
  prelu->add_input("slope");
  prelu->add_output("y");
  return m;
}

TEST(OldOpsetConversion, LegacyBroadcastAndPReluApplyPerChannel) {
  Graph g = parse(legacy_channel_model());
  EXPECT_EQ(g.opset, 7);
  Session session(g, {});
  Tensor x =
      Tensor::from_vector<float>({2, 3, 2}, {-40, 1, -40, 2, -40, 3, 4, -50, 5, -50, 6, -50});
  const Tensor y = session.run({{"x", x}})[0];
  ASSERT_EQ(y.shape(), (Shape{2, 3, 2}));
  const std::vector<float> want = {-15, 11, -5, 22, -1.25f, 33, 14, -20, 25, -7.5f, 36, -2.5f};
  for (int64_t i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(y.data<float>()[i], want[i]) << i;
}

TEST(OldOpsetConversion, EveryOldOpsetIsRead) {
  for (int64_t v = 1; v <= 6; ++v) EXPECT_EQ(parse(testing::empty_model(v)).opset, 7) << v;
}

// x[2] -> op(x, x) -> y at opset 6.
onnx::ModelProto binary_model(const std::string& op) {
  onnx::ModelProto m = testing::empty_model(6);
  auto* g = m.mutable_graph();
  testing::set_tensor_type(g->add_input(), "x", onnx::TensorProto::FLOAT, {2});
  auto* n = g->add_node();
  n->set_op_type(op);
  n->add_input("x");
  n->add_input("x");
  n->add_output("y");
  return m;
}

template <class E>
void expect_refused(const onnx::ModelProto& m, const std::string& message) {
  try {
    parse(m);
    FAIL() << "converted";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(OldOpsetConversion, WhatCannotBeConvertedIsRefusedNamingWhy) {
  expect_refused<UnsupportedError>(
      binary_model("Upsample"),
      "old.onnx: Upsample node 'Upsample_0' at opset 6: the experimental Upsample");
  // B lined up from axis 1 needs A's rank, which nothing states here.
  onnx::ModelProto unknown = binary_model("Add");
  unknown.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  auto* broadcast = unknown.mutable_graph()->mutable_node(0)->add_attribute();
  broadcast->set_name("broadcast");
  broadcast->set_type(onnx::AttributeProto::INT);
  broadcast->set_i(1);
  auto* axis = unknown.mutable_graph()->mutable_node(0)->add_attribute();
  *axis = *broadcast;
  axis->set_name("axis");
  expect_refused<UnsupportedError>(unknown, "a broadcast from an axis over values of unknown rank");
  // An axis past A's rank.
  onnx::ModelProto past = unknown;
  testing::set_tensor_type(past.mutable_graph()->mutable_input(0), "x", onnx::TensorProto::FLOAT,
                           {2});
  past.mutable_graph()->mutable_node(0)->mutable_attribute(1)->set_i(2);
  expect_refused<ModelError>(past, "broadcast axis 2 does not fit ranks 1 and 1");
}

}  // namespace
}  // namespace sinter
