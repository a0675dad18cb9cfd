#include "ir/verifier.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace sinter {
namespace {

Node flatten(const std::string& name, const std::string& in, const std::string& out) {
  Node n;
  n.name = name;
  n.op_type = "Flatten";
  n.inputs = {in};
  n.outputs = {out};
  return n;
}

// x -> a -> b -> y, with an initializer w that nothing uses.
Graph chain() {
  Graph g;
  g.inputs = {"x"};
  g.outputs = {"y"};
  g.initializers["w"] = Tensor(DType::kFloat32, {2});
  g.nodes = {flatten("a", "x", "m"), flatten("b", "m", "y")};
  return g;
}

void expect_error(const Graph& g, const std::string& fragment) {
  try {
    verify_graph(g);
    FAIL() << "expected ModelError containing '" << fragment << "'";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Verifier, AcceptsWellFormedGraphs) {
  EXPECT_NO_THROW(verify_graph(chain()));
  Graph g = chain();
  g.outputs.push_back("x");  // graph inputs and initializers may be outputs directly
  g.outputs.push_back("w");
  g.nodes[0].inputs.push_back("");  // omitted optional input
  g.nodes[0].outputs.push_back("");
  EXPECT_NO_THROW(verify_graph(g));
}

TEST(Verifier, UndefinedInputNamesTheNode) {
  Graph g = chain();
  g.nodes[1].inputs[0] = "nowhere";
  expect_error(g, "Flatten node 'b': input 'nowhere' is not produced");
}

TEST(Verifier, UseBeforeDefinition) {
  Graph g = chain();
  std::swap(g.nodes[0], g.nodes[1]);
  expect_error(g, "Flatten node 'b': input 'm' is used before");
}

TEST(Verifier, ValueProducedTwice) {
  Graph g = chain();
  g.nodes.push_back(flatten("c", "x", "m"));
  expect_error(g, "Flatten node 'c': output 'm' is already produced by Flatten node 'a'");
  Graph shadow = chain();
  shadow.nodes[0].outputs[0] = "w";
  shadow.nodes[1].inputs[0] = "w";
  expect_error(shadow, "output 'w' is already produced by initializer");
  Graph both = chain();
  both.inputs.push_back("w");
  expect_error(both, "'w' is both a graph input and an initializer");
}

TEST(Verifier, GraphOutputNothingProduces) {
  Graph g = chain();
  g.outputs.push_back("ghost");
  expect_error(g, "graph output 'ghost'");
}

TEST(Verifier, DuplicateGraphInputs) {
  Graph g = chain();
  g.inputs.push_back("x");
  expect_error(g, "graph input 'x' is listed twice");
}

TEST(Verifier, EmptyOpType) {
  Graph g = chain();
  g.nodes[1].op_type.clear();
  expect_error(g, "node 'b' has an empty op_type");
}

// Found by the loader fuzzer: a Shape node whose output field was corrupted away.
TEST(Verifier, NodeWithoutOutputs) {
  Graph g = chain();
  g.outputs = {"m"};
  g.nodes[1].outputs.clear();
  expect_error(g, "'b' has no outputs");
}

TEST(Verifier, UnknownOpIsUnsupported) {
  Graph g = chain();
  g.nodes[1].op_type = "Frobnicate";
  try {
    verify_graph(g);
    FAIL();
  } catch (const UnsupportedError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("Frobnicate"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'b'"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace sinter
