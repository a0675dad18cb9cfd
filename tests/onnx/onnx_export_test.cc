// Export: valid ONNX, atomic writes, and import -> export -> import is the identity.
#include "onnx/onnx_export.h"

#include <gtest/gtest.h>
#include <onnx/checker.h>

#include <filesystem>

#include "core/error.h"
#include "onnx/onnx_import.h"
#include "onnx_test_util.h"

namespace sinter {
namespace {

using onnx::TensorProto;
using testing::TempDir;

// A model touching every feature export must preserve.
onnx::ModelProto rich_model() {
  onnx::ModelProto m = testing::flatten_model();
  auto* ms = m.add_opset_import();
  ms->set_domain("com.example");
  ms->set_version(3);
  auto* kv = m.add_metadata_props();
  kv->set_key("author");
  kv->set_value("sinter tests");
  auto* g = m.mutable_graph();
  g->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_param("batch");
  testing::set_tensor_type(g->add_input(), "w", TensorProto::FLOAT, {2});  // IR < 4 style
  auto* n = g->add_node();
  n->set_op_type("Flatten");  // unnamed
  n->add_input("y");
  n->add_output("z");
  auto* a = n->add_attribute();
  a->set_name("axis");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(0);
  auto* f = n->add_attribute();
  f->set_name("fs");
  f->set_type(onnx::AttributeProto::FLOATS);
  f->add_floats(0.5f);
  auto* s = n->add_attribute();
  s->set_name("ss");
  s->set_type(onnx::AttributeProto::STRINGS);
  s->add_strings("x");
  auto* t = n->add_attribute();
  t->set_name("t");
  t->set_type(onnx::AttributeProto::TENSOR);
  t->mutable_t()->set_data_type(TensorProto::INT8);
  t->mutable_t()->add_dims(3);
  for (int v : {-1, 0, 1}) t->mutable_t()->add_int32_data(v);
  auto* i64 = g->add_initializer();
  i64->set_name("shape");
  i64->set_data_type(TensorProto::INT64);
  i64->add_dims(2);
  i64->add_int64_data(-1);
  i64->add_int64_data(6);
  auto* h = g->add_initializer();
  h->set_name("half");
  h->set_data_type(TensorProto::FLOAT16);
  h->add_int32_data(0x3c00);
  testing::set_tensor_type(g->add_value_info(), "z", TensorProto::FLOAT, {24});
  g->clear_output();
  testing::set_tensor_type(g->add_output(), "z", TensorProto::FLOAT, {24});
  g->add_output()->set_name("y");
  return m;
}

TEST(OnnxExport, RoundTripIsIdentity) {
  TempDir dir;
  testing::write_model(rich_model(), dir.file("in.onnx"));
  Graph a = load_onnx(dir.file("in.onnx"));
  save_onnx(a, dir.file("out.onnx"));
  Graph b = load_onnx(dir.file("out.onnx"));
  testing::expect_same_graph(a, b);
  EXPECT_EQ(b.metadata.at("author"), "sinter tests");
  EXPECT_EQ(b.types.at("x").shape, (Shape{-1, 3, 4}));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.onnx.tmp")));
  // Exporting again yields the same bytes.
  save_onnx(b, dir.file("again.onnx"));
  EXPECT_EQ(testing::read_bytes(dir.file("out.onnx")), testing::read_bytes(dir.file("again.onnx")));
}

TEST(OnnxExport, WritesValidOnnx) {
  TempDir dir;
  testing::write_model(testing::flatten_model(), dir.file("in.onnx"));
  save_onnx(load_onnx(dir.file("in.onnx")), dir.file("out.onnx"));
  onnx::ModelProto m;
  std::string bytes = testing::read_bytes(dir.file("out.onnx"));
  ASSERT_TRUE(m.ParseFromString(bytes));
  EXPECT_EQ(m.ir_version(), 8);
  EXPECT_EQ(m.opset_import(0).version(), 13);
  EXPECT_EQ(m.graph().initializer(0).raw_data().size(), 8u);
  EXPECT_NO_THROW(onnx::checker::check_model(m));
}

TEST(OnnxExport, FailureLeavesNoFile) {
  TempDir dir;
  testing::write_model(testing::flatten_model(), dir.file("in.onnx"));
  Graph g = load_onnx(dir.file("in.onnx"));
  const std::string target = dir.file("no/such/dir/out.onnx");
  EXPECT_THROW(save_onnx(g, target), Error);
  // A directory in the way of the rename: the temporary is cleaned up.
  std::filesystem::create_directories(dir.file("occupied.onnx") + "/child");
  EXPECT_THROW(save_onnx(g, dir.file("occupied.onnx")), Error);
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("")))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST(OnnxExport, ReplacesAnExistingFile) {
  TempDir dir;
  testing::write_bytes(dir.file("m.onnx"), "old contents");
  testing::write_model(testing::flatten_model(), dir.file("in.onnx"));
  save_onnx(load_onnx(dir.file("in.onnx")), dir.file("m.onnx"));
  EXPECT_EQ(load_onnx(dir.file("m.onnx")).nodes.size(), 1u);
}

TEST(OnnxExport, DomainsUsedByNodesGetAnOpsetImport) {
  Graph g;
  g.opset = 13;
  g.inputs = {"x"};
  g.outputs = {"y"};
  g.types["x"] = {DType::kFloat32, {2, 2}, true};
  Node n;
  n.name = "fused";
  n.op_type = "FusedThing";
  n.domain = "sinter";
  n.inputs = {"x"};
  n.outputs = {"y"};
  g.nodes.push_back(n);
  TempDir dir;
  save_onnx(g, dir.file("m.onnx"));
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(testing::read_bytes(dir.file("m.onnx"))));
  ASSERT_EQ(m.opset_import_size(), 2);
  EXPECT_EQ(m.opset_import(1).domain(), "sinter");
}

}  // namespace
}  // namespace sinter
