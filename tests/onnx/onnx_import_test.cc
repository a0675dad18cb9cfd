// Model structure import: opsets, graph inputs/outputs, types, attributes, names, metadata.
#include "onnx/onnx_import.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "onnx_test_util.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

using onnx::AttributeProto;
using onnx::TensorProto;
using testing::TempDir;

Graph parse(const onnx::ModelProto& m) {
  std::string bytes = m.SerializeAsString();
  return parse_onnx(bytes.data(), bytes.size(), "", "mem.onnx");
}

TEST(OnnxImport, LoadsASmallModel) {
  TempDir dir;
  testing::write_model(testing::flatten_model(), dir.file("m.onnx"));
  Graph g = load_onnx(dir.file("m.onnx"));
  EXPECT_EQ(g.name, "test");
  EXPECT_EQ(g.opset, 13);
  EXPECT_EQ(g.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "flat");
  EXPECT_EQ(g.nodes[0].op_type, "Flatten");
  EXPECT_EQ(g.nodes[0].attr_int("axis", -5), 1);
  EXPECT_EQ(g.types.at("x").shape, (Shape{2, 3, 4}));
  EXPECT_TRUE(g.types.at("x").has_shape);
  EXPECT_EQ(g.types.at("y").shape, (Shape{2, 12}));
  EXPECT_EQ(g.initializers.at("w").data<float>()[0], 1.5f);
}

TEST(OnnxImport, OpsetRange) {
  // Opsets 1 to 6 are converted to 7 (old_opset_conversion_test.cc).
  for (int64_t v : {7, 17, 18, 21}) EXPECT_EQ(parse(testing::empty_model(v)).opset, v);
  for (int64_t v : {0, 22, 100}) {
    try {
      parse(testing::empty_model(v));
      FAIL() << "opset " << v << " accepted";
    } catch (const UnsupportedError& e) {
      EXPECT_NE(std::string(e.what()).find("opset " + std::to_string(v)), std::string::npos)
          << e.what();
    }
  }
  // Without a default-domain import only nodes of other domains are allowed.
  onnx::ModelProto none = testing::empty_model();
  none.clear_opset_import();
  EXPECT_NO_THROW(parse(none));
  none.mutable_graph()->add_node()->set_op_type("Relu");
  EXPECT_THROW(parse(none), ModelError);

  onnx::ModelProto more = testing::empty_model(11);
  auto* ms = more.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  auto* alias = more.add_opset_import();
  alias->set_domain("ai.onnx");
  alias->set_version(11);
  Graph g = parse(more);
  EXPECT_EQ(g.opset, 11);
  EXPECT_EQ(g.metadata.at(std::string(kOpsetMetadataPrefix) + "com.microsoft"), "1");
}

TEST(OnnxImport, InitializersListedAsInputsAreNotRuntimeInputs) {
  onnx::ModelProto m = testing::flatten_model();
  // IR < 4 style: the initializer also appears among the inputs, here with a wrong type that
  // must not override the tensor's own.
  testing::set_tensor_type(m.mutable_graph()->add_input(), "w", TensorProto::INT64, {7});
  Graph g = parse(m);
  EXPECT_EQ(g.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g.types.at("w").dtype, DType::kFloat32);
  EXPECT_EQ(g.types.at("w").shape, Shape{2});
}

TEST(OnnxImport, ValueTypes) {
  onnx::ModelProto m = testing::flatten_model();
  auto* g = m.mutable_graph();
  g->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_param("batch");
  g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim();
  testing::set_tensor_type(g->add_value_info(), "mid", TensorProto::INT8, {3});
  auto* no_shape = g->add_value_info();
  no_shape->set_name("rankless");
  no_shape->mutable_type()->mutable_tensor_type()->set_elem_type(TensorProto::BOOL);
  g->add_value_info()->set_name("untyped");
  Graph graph = parse(m);
  EXPECT_EQ(graph.types.at("x").shape, (Shape{-1, 3, 4, -1}));
  EXPECT_EQ(graph.types.at("mid").dtype, DType::kInt8);
  EXPECT_FALSE(graph.types.at("rankless").has_shape);
  EXPECT_EQ(graph.types.at("rankless").dtype, DType::kBool);
  EXPECT_EQ(graph.types.count("untyped"), 0u);

  onnx::ModelProto neg = testing::flatten_model();
  neg.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(1)
      ->set_dim_value(-3);
  EXPECT_THROW(parse(neg), ModelError);
  onnx::ModelProto huge = testing::flatten_model();
  for (int i = 0; i < 3; ++i)
    huge.mutable_graph()
        ->mutable_input(0)
        ->mutable_type()
        ->mutable_tensor_type()
        ->mutable_shape()
        ->mutable_dim(i)
        ->set_dim_value(int64_t{1} << 30);
  EXPECT_THROW(parse(huge), ModelError);
  onnx::ModelProto seq = testing::flatten_model();
  seq.mutable_graph()->mutable_output(0)->mutable_type()->mutable_sequence_type();
  EXPECT_THROW(parse(seq), UnsupportedError);
}

AttributeProto* add_attr(onnx::NodeProto* n, const std::string& name, int type) {
  auto* a = n->add_attribute();
  a->set_name(name);
  if (type != AttributeProto::UNDEFINED)
    a->set_type(static_cast<AttributeProto::AttributeType>(type));
  return a;
}

TEST(OnnxImport, AttributesOfEveryKind) {
  onnx::ModelProto m = testing::flatten_model();
  auto* n = m.mutable_graph()->mutable_node(0);
  add_attr(n, "f", AttributeProto::FLOAT)->set_f(0.25f);
  add_attr(n, "s", AttributeProto::STRING)->set_s("NOTSET");
  auto* ints = add_attr(n, "ints", AttributeProto::INTS);
  ints->add_ints(1);
  ints->add_ints(-2);
  auto* floats = add_attr(n, "floats", AttributeProto::FLOATS);
  floats->add_floats(1.5f);
  auto* strings = add_attr(n, "strings", AttributeProto::STRINGS);
  strings->add_strings("a");
  strings->add_strings("b");
  add_attr(n, "empty_ints", AttributeProto::INTS);
  auto* t = add_attr(n, "t", AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(TensorProto::INT64);
  t->add_dims(2);
  t->add_int64_data(3);
  t->add_int64_data(4);
  // Old exporters omit `type`; the populated field decides.
  add_attr(n, "legacy_int", AttributeProto::UNDEFINED)->set_i(9);
  add_attr(n, "legacy_floats", AttributeProto::UNDEFINED)->add_floats(2.f);
  Graph g = parse(m);
  const Node& node = g.nodes[0];
  EXPECT_EQ(node.attr_float("f", 0), 0.25f);
  EXPECT_EQ(node.attr_string("s", ""), "NOTSET");
  EXPECT_EQ(node.attr_ints("ints"), (std::vector<int64_t>{1, -2}));
  EXPECT_EQ(node.attr_floats("floats"), std::vector<float>{1.5f});
  EXPECT_EQ(std::get<std::vector<std::string>>(node.attrs.at("strings")),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(node.has_attr("empty_ints"));
  EXPECT_TRUE(node.attr_ints("empty_ints", {7}).empty());
  EXPECT_EQ(node.attr_tensor("t").to_int64_vector(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(node.attr_int("legacy_int", 0), 9);
  EXPECT_EQ(node.attr_floats("legacy_floats"), std::vector<float>{2.f});
}

TEST(OnnxImport, UnsupportedAndMalformedAttributesNameTheNode) {
  onnx::ModelProto m = testing::flatten_model();
  auto* body = add_attr(m.mutable_graph()->mutable_node(0), "then_branch", AttributeProto::GRAPH);
  body->mutable_g()->set_name("sub");
  try {
    parse(m);
    FAIL();
  } catch (const UnsupportedError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("Flatten node 'flat'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("then_branch"), std::string::npos) << msg;
  }
  onnx::ModelProto dup = testing::flatten_model();
  add_attr(dup.mutable_graph()->mutable_node(0), "axis", AttributeProto::INT)->set_i(2);
  EXPECT_THROW(parse(dup), ModelError);
  onnx::ModelProto empty = testing::flatten_model();
  add_attr(empty.mutable_graph()->mutable_node(0), "nothing", AttributeProto::UNDEFINED);
  EXPECT_THROW(parse(empty), ModelError);
  onnx::ModelProto bad_tensor = testing::flatten_model();
  auto* t = add_attr(bad_tensor.mutable_graph()->mutable_node(0), "t", AttributeProto::TENSOR)
                ->mutable_t();
  t->set_data_type(TensorProto::FLOAT);
  t->add_dims(3);
  try {
    parse(bad_tensor);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("Flatten node 'flat'"), std::string::npos) << e.what();
  }
}

TEST(OnnxImport, ConstantNodeTensor) {
  onnx::ModelProto m = testing::empty_model();
  auto* n = m.mutable_graph()->add_node();
  n->set_op_type("Constant");
  n->add_output("c");
  auto* t = add_attr(n, "value", AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(TensorProto::FLOAT);
  t->add_dims(2);
  std::vector<float> v = {3.f, 4.f};
  t->set_raw_data(v.data(), 8);
  m.mutable_graph()->add_output()->set_name("c");
  Graph g = parse(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  const Tensor& c = g.nodes[0].attr_tensor("value");
  EXPECT_EQ(c.shape(), Shape{2});
  EXPECT_EQ(c.data<float>()[1], 4.f);
}

TEST(OnnxImport, UnnamedNodesGetStableUniqueNames) {
  onnx::ModelProto m = testing::flatten_model();
  auto* g = m.mutable_graph();
  g->mutable_node(0)->clear_name();
  for (int i = 0; i < 2; ++i) {
    auto* n = g->add_node();
    n->set_op_type("Flatten");
    n->add_input(i == 0 ? "y" : "z");
    n->add_output(i == 0 ? "z" : "u");
  }
  g->mutable_node(1)->set_name("Flatten_0");  // collides with the generated name of node 0
  Graph a = parse(m);
  Graph b = parse(m);
  ASSERT_EQ(a.nodes.size(), 3u);
  EXPECT_EQ(a.nodes[0].name, "Flatten_0_");
  EXPECT_EQ(a.nodes[1].name, "Flatten_0");
  EXPECT_EQ(a.nodes[2].name, "Flatten_2");
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(a.nodes[i].name, b.nodes[i].name);
}

TEST(OnnxImport, NodesAreSortedTopologically) {
  onnx::ModelProto m = testing::flatten_model();
  auto* g = m.mutable_graph();
  auto* first = g->add_node();  // consumes y, listed after its producer... then swapped
  first->set_name("second");
  first->set_op_type("Flatten");
  first->add_input("y");
  first->add_output("z");
  g->mutable_node()->SwapElements(0, 1);
  Graph graph = parse(m);
  EXPECT_EQ(graph.nodes[0].name, "flat");
  EXPECT_EQ(graph.nodes[1].name, "second");
}

TEST(OnnxImport, MetadataAndDomains) {
  onnx::ModelProto m = testing::flatten_model();
  auto* kv = m.add_metadata_props();
  kv->set_key("author");
  kv->set_value("me");
  m.mutable_graph()->mutable_node(0)->set_domain("ai.onnx");
  Graph g = parse(m);
  EXPECT_EQ(g.metadata.at("author"), "me");
  EXPECT_EQ(g.nodes[0].domain, "");
}

// A real model from Debian's libonnx-testdata (ONNX's own backend test, ir_version 6, opset 11).
TEST(OnnxImport, RealConvModel) {
  const std::string path =
      "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "libonnx-testdata not installed";
  std::string bytes = testing::read_bytes(path);
  Graph g = parse_onnx(bytes.data(), bytes.size(), "", path);
  EXPECT_EQ(g.opset, 11);
  EXPECT_EQ(g.inputs, (std::vector<std::string>{"x", "W"}));
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  ASSERT_EQ(g.nodes.size(), 1u);
  const Node& conv = g.nodes[0];
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(conv.name, "Conv_0");
  EXPECT_EQ(conv.inputs, (std::vector<std::string>{"x", "W"}));
  EXPECT_EQ(conv.attr_ints("kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(conv.attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(conv.attr_ints("strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(g.types.at("x").shape, (Shape{1, 1, 7, 5}));
  EXPECT_EQ(g.types.at("W").shape, (Shape{1, 1, 3, 3}));
  EXPECT_EQ(g.types.at("y").shape, (Shape{1, 1, 4, 3}));
  EXPECT_TRUE(g.initializers.empty());
  // load_onnx also verifies, which needs a Conv operator to be registered.
  if (OpRegistry::global().find("", "Conv")) {
    EXPECT_NO_THROW(load_onnx(path));
  } else {
    EXPECT_THROW(load_onnx(path), UnsupportedError);
  }
}

}  // namespace
}  // namespace sinter
