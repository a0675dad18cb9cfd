// Moving a graph from opset 13 to 21: the reductions' axes become an input and equal Splits say
// how many parts they make, and the moved graph computes exactly what the old one did, also
// after saving and loading.
#include "onnx/opset_upgrade.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "ir/graph_builder.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"
#include "onnx_test_util.h"
#include "runtime/session.h"

namespace sinter {
namespace {

// x [2, 6, 4] -> ReduceMean(axes [2], keepdims) and ReduceMax(axes [1, 2]) -> Split into two
// equal parts on axis 1 -> Concat of the parts and the max.
Graph reductions_and_split() {
  GraphBuilder b(13);
  const auto x = b.input("x", DType::kFloat32, {2, 6, 4});
  const auto mean = b.node("ReduceMean", {x}, {{"axes", std::vector<int64_t>{2}}});
  const auto max = b.node("ReduceMax", {x}, {{"axes", std::vector<int64_t>{1, 2}}});
  b.node("Split", {mean}, {{"axis", int64_t{1}}}, 2);
  const std::vector<std::string> parts = b.last_outputs();
  b.output(b.node("Concat", {parts[1], parts[0], max}, {{"axis", int64_t{1}}}));
  return b.build();
}

Tensor run(const Graph& g, const Tensor& x) {
  Session s(g, SessionOptions{1});
  return s.run({{"x", x}})[0];
}

TEST(OpsetUpgrade, Opset21GraphComputesWhatTheOpset13OneDid) {
  const Graph old = reductions_and_split();
  Graph moved = old;
  upgrade_opset(moved, 21);
  EXPECT_EQ(moved.opset, 21);
  for (const Node& n : moved.nodes) {
    if (n.op_type == "ReduceMean" || n.op_type == "ReduceMax") {
      EXPECT_FALSE(n.has_attr("axes")) << n.op_type;
      ASSERT_EQ(n.inputs.size(), 2u) << n.op_type;
      EXPECT_TRUE(moved.is_initializer(n.inputs[1]));
    }
    if (n.op_type == "Split") {
      EXPECT_EQ(n.attr_int("num_outputs", 0), 2);
    }
  }
  Tensor x(DType::kFloat32, {2, 6, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>((i * 7) % 11);
  const Tensor want = run(old, x);
  testing::TempDir dir;
  save_onnx(moved, dir.file("m.onnx"));
  for (const Graph& g : {moved, load_onnx(dir.file("m.onnx"))}) {
    const Tensor got = run(g, x);
    ASSERT_EQ(got.shape(), want.shape());
    EXPECT_EQ(std::memcmp(got.raw(), want.raw(), got.nbytes()), 0);
  }
}

TEST(OpsetUpgrade, RefusesWhatItCannotMove) {
  Graph g = reductions_and_split();
  EXPECT_THROW(upgrade_opset(g, 22), InputError);
  EXPECT_THROW(upgrade_opset(g, 12), InputError);
  g.opset = 11;
  EXPECT_THROW(upgrade_opset(g, 21), InputError);
}

}  // namespace
}  // namespace sinter
