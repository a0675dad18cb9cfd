// The tuner and its database: every layer with alternatives is measured and recorded under the
// key a later plan looks up; compiling with the database takes the recorded kernels (and a plan
// file keeps them); a database that does not hold a tuning database, or an entry naming a kernel
// the node cannot take, is refused with the file's name; a budget must be positive.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "../kernels/sparse_test_util.h"
#include "core/error.h"
#include "ir/graph_builder.h"
#include "onnx/onnx_export.h"
#include "runtime/session.h"
#include "tune/compile_model.h"

namespace sinter::testing {
namespace {

Tensor tensor_of(Shape shape, const std::vector<float>& v) {
  return Tensor::from_vector<float>(std::move(shape), v);
}

// Two 3x3 convs (64 channels, 14x14) and a fully connected layer: alternatives for each.
Graph model() {
  std::mt19937 rng(3);
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 64, 14, 14});
  const auto pads = std::vector<int64_t>{1, 1, 1, 1};
  auto c = b.node(
      "Relu",
      {b.node("Conv",
              {x, b.weight("w1", tensor_of({64, 64, 3, 3}, random_floats(rng, 64 * 64 * 9)))},
              {{"pads", pads}})});
  c = b.node(
      "Conv",
      {c, b.weight("w2", tensor_of({64, 64, 3, 3}, random_pattern_weights(rng, 64 * 64, 0.3, 0)))},
      {{"pads", pads}});
  auto flat = b.node("Flatten", {c});
  b.output(b.node(
      "Gemm",
      {flat, b.weight("fc", tensor_of({64 * 196, 10}, random_sparse(rng, 64 * 196 * 10, 0.1)))}));
  return b.build();
}

std::unordered_map<std::string, Tensor> inputs() {
  std::mt19937 rng(9);
  return {{"x", tensor_of({1, 64, 14, 14}, random_floats(rng, 64 * 196))}};
}

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid())))
      .string();
}

TEST(TuneGraph, MeasuresLayersWithAlternativesAndCompilesFromTheDatabase) {
  const Graph g = model();
  Session probe(g, {});
  probe.prepare(inputs());
  TuningDb db;
  const TuneReport r = tune_graph(probe.compiled_graph(), db, {30, 1, true, {}});
  EXPECT_FALSE(r.budget_exhausted);
  EXPECT_GE(r.layers.size(), 2u);  // the convs (and the Gemm: dense or CSR)
  EXPECT_EQ(r.candidates_measured, r.candidates_total);
  EXPECT_EQ(db.size(), r.layers.size());
  for (const TunedLayer& l : r.layers) {
    EXPECT_GT(l.candidates, 1) << l.node;
    EXPECT_GT(l.chosen_ms, 0) << l.node;
  }
  // Saved and read back, the database steers a plan to what it recorded.
  const std::string path = temp("tuning.json");
  db.save(path);
  auto read = std::make_shared<TuningDb>(TuningDb::load(path));
  EXPECT_EQ(read->size(), db.size());
  SessionOptions options;
  options.kernel_choice = kernel_chooser(read, path);
  Session tuned(g, options);
  const Tensor y = tuned.run(inputs())[0], expected = Session(g, {}).run(inputs())[0];
  for (int64_t i = 0; i < y.numel(); ++i)
    ASSERT_NEAR(y.data<float>()[i], expected.data<float>()[i],
                1e-3f * (1 + std::abs(expected.data<float>()[i])));
  for (const TunedLayer& l : r.layers)
    for (const PlanStep& step : tuned.plan().steps())
      if (step.node_name == l.node) {
        EXPECT_EQ(step.variant.empty() ? step.impl_name : step.impl_name + "/" + step.variant,
                  l.chosen_kernel);
      }
  std::filesystem::remove(path);
}

TEST(TuneGraph, CompileModelTunesAndKeepsTheChoicesInThePlan) {
  const std::string onnx = temp("tune_model.onnx"), plan = temp("tune_model.splan"),
                    db = temp("tune_db.json");
  save_onnx(model(), onnx);
  CompileRequest request;
  request.model = onnx;
  request.output = plan;
  request.tuning_db = db;
  request.tune_seconds = 30;
  const CompileResult c = compile_model(request);
  ASSERT_TRUE(c.tuning.has_value());
  EXPECT_GE(c.tuned_steps, 2);
  EXPECT_TRUE(std::filesystem::exists(db));
  auto loaded = load_plan_file(plan);
  const Tensor a = c.session->run(inputs())[0], b = loaded->run(inputs())[0];
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0);
  // A later compile reuses the database without tuning.
  request.tune_seconds = 0;
  EXPECT_EQ(compile_model(request).tuned_steps, c.tuned_steps);
  request.tune_seconds = -1;
  EXPECT_THROW(compile_model(request), InputError);
  for (const auto& p : {onnx, plan, db}) std::filesystem::remove(p);
}

TEST(TuneGraph, BadDatabasesAndBudgetsAreRefused) {
  const std::string path = temp("bad_tuning.json");
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  auto error_of = [&] {
    try {
      TuningDb::load(path);
      return std::string();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
  };
  write("{not json");
  EXPECT_EQ(error_of().find(path + ": not a sinter tuning database"), 0u) << error_of();
  write(R"({"format": 9, "entries": []})");
  EXPECT_NE(error_of().find("format 9"), std::string::npos) << error_of();
  write(R"({"format": 1, "entries": [{"key": "k"}]})");
  EXPECT_NE(error_of().find("not a sinter tuning database"), std::string::npos) << error_of();
  EXPECT_EQ(TuningDb::load(temp("no_such_db.json")).size(), 0u);

  // An entry for the node that names a kernel the node cannot take.
  const Graph g = model();
  Session probe(g, {});
  probe.prepare(inputs());
  TuningDb db;
  tune_graph(probe.compiled_graph(), db, {30, 1, true, {}});
  db.save(path);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* impl : {"\"conv2d\"", "\"conv2d_pattern\"", "\"conv2d_csr\""})
    for (size_t at = text.find(impl); at != std::string::npos; at = text.find(impl, at + 1))
      text.replace(at, std::strlen(impl), "\"depthwise\"");
  write(text);
  SessionOptions options;
  options.kernel_choice = kernel_chooser(std::make_shared<TuningDb>(TuningDb::load(path)), path);
  try {
    Session(g, options).run(inputs());
    ADD_FAILURE() << "a wrong entry was taken";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": the entry for"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'depthwise"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tune_graph(probe.compiled_graph(), db, {0, 1, true, {}}), InputError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sinter::testing
