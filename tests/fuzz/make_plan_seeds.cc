// Writes the seed corpus of the plan fuzz target: plans of small models that reach the kernels
// whose packed weights plan files keep (GEMM-packed and Winograd convolutions, a fully connected
// layer) and the sparse ones (unstructured 10 %: the CSR conv and GEMM), and one whose
// inter-operator schedule runs two branches side by side, each small enough for the fuzzer to
// mutate quickly.
// usage: make_plan_seeds OUT_DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "ir/graph_builder.h"
#include "runtime/plan_file.h"

namespace {

using namespace sinter;

Tensor random_tensor(Shape shape, std::mt19937& rng, double density = 1.0) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::uniform_real_distribution<float> value(-1, 1), keep(0, 1);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = keep(rng) < density ? value(rng) : 0.0f;
  return t;
}

Graph conv_net(int64_t channels, int64_t size, double density) {
  std::mt19937 rng(7);
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 3, size, size});
  auto pads = std::vector<int64_t>{1, 1, 1, 1};
  auto c = b.node("Relu", {b.node("Conv",
                                  {x, b.weight("w0", random_tensor({channels, 3, 3, 3}, rng)),
                                   b.weight("b0", random_tensor({channels}, rng))},
                                  {{"pads", pads}})});
  c = b.node("Conv", {c, b.weight("w1", random_tensor({channels, channels, 3, 3}, rng, density))},
             {{"pads", pads}});
  c = b.node("Conv",
             {b.node("Relu", {c}), b.weight("w2", random_tensor({8, channels, 1, 1}, rng))});
  auto flat = b.node("Flatten", {c});
  b.output(
      b.node("Gemm", {flat, b.weight("fc", random_tensor({8 * size * size, 4}, rng, density))}));
  return b.build();
}

// Two copies on one thread each (Pad's kernel is serial, so IOS puts them side by side), then a
// convolution and an Add.
Graph branches() {
  std::mt19937 rng(9);
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 8, 48, 48});
  Tensor pads(DType::kInt64, {8});
  const int64_t p[] = {0, 0, 1, 1, 0, 0, 1, 1};
  std::copy(p, p + 8, pads.data<int64_t>());
  auto w = b.weight("pads", pads);
  auto left = b.node("Pad", {x, w});
  auto right = b.node("Pad", {b.node("Neg", {x}), w});
  auto conv = b.node("Conv", {left, b.weight("w", random_tensor({8, 8, 1, 1}, rng))});
  b.output(b.node("Add", {conv, right}));
  return b.build();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_plan_seeds OUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  struct Seed {
    const char* name;
    Graph graph;
  };
  const Seed seeds[] = {{"dense_gemm", conv_net(16, 8, 1.0)},
                        {"winograd", conv_net(64, 12, 1.0)},
                        {"sparse", conv_net(32, 8, 0.1)}};
  for (const Seed& s : seeds) {
    Tensor x(DType::kFloat32,
             {1, 3, s.graph.type_of("x")->shape[2], s.graph.type_of("x")->shape[3]});
    compile_plan_file(s.graph, {{"x", x}}, {}, s.name,
                      (out / (std::string(s.name) + ".splan")).string());
  }
  SessionOptions scheduled;
  scheduled.threads = 2;
  scheduled.schedule = InterOpScheduling::kIos;
  const Graph g = branches();
  compile_plan_file(g, {{"x", Tensor(DType::kFloat32, g.type_of("x")->shape)}}, scheduled,
                    "branches", (out / "branches.splan").string());
  return 0;
}
