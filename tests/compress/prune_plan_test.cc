// Which weights a pruning plan takes and how: the scheme's spelling and checks, the rule that
// keeps biases, the stem and the classifier dense, patterns for 3x3 convs only, and projections
// that respect a Gemm's stored layout.
#include "compress/prune_plan.h"

#include <gtest/gtest.h>

#include "compress/structured_prune.h"
#include "compress/unstructured_prune.h"
#include "compress_test_util.h"
#include "ir/graph_builder.h"
#include "train/model_zoo.h"

namespace sinter {
namespace {

using test::expect_error;
using test::flags;
using test::random_weights;

Graph zoo(const std::string& name) {
  ModelZooOptions o;
  o.image_size = 28;
  return build_zoo_model(name, o);
}

std::vector<std::string> target_names(const PrunePlan& plan) {
  std::vector<std::string> names;
  for (const PruneTarget& t : plan.targets()) names.push_back(t.weight);
  return names;
}

PruneScheme unstructured(double sparsity) {
  PruneScheme s;
  s.sparsity = sparsity;
  return s;
}

TEST(PruneScheme, ParsesAndNamesEveryScheme) {
  for (const char* text :
       {"unstructured", "filter", "channel", "balanced:32", "block:4", "nm:2:4", "pattern"})
    EXPECT_EQ(scheme_name(parse_prune_scheme(text)), text);
  const PruneScheme nm = parse_prune_scheme("nm:2:4");
  EXPECT_EQ(nm.kind, PruneKind::kNOfM);
  EXPECT_EQ(nm.n, 2);
  EXPECT_EQ(nm.m, 4);
  EXPECT_EQ(parse_prune_scheme("balanced:16").block, 16);
  EXPECT_TRUE(has_free_sparsity(parse_prune_scheme("balanced:16")));
  EXPECT_EQ(parse_prune_scheme("block:4").kind, PruneKind::kOutputBlocks);
  EXPECT_EQ(parse_prune_scheme("block:4").block, 4);
  EXPECT_TRUE(has_free_sparsity(parse_prune_scheme("block:4")));
  EXPECT_FALSE(has_free_sparsity(nm));
  EXPECT_FALSE(has_free_sparsity(parse_prune_scheme("pattern")));
}

TEST(PruneScheme, RejectsBadSpellingsAndNumbers) {
  expect_error([] { parse_prune_scheme("sparse"); }, {"unknown pruning scheme 'sparse'", "nm:N:M"});
  expect_error([] { parse_prune_scheme("balanced"); }, {"balanced:B"});
  expect_error([] { parse_prune_scheme("nm:2"); }, {"nm:N:M"});
  expect_error([] { parse_prune_scheme("nm:2:x"); }, {"'x' is not a positive integer"});
  expect_error([] { parse_prune_scheme("balanced:0"); }, {"'0' is not a positive integer"});
  expect_error([] { parse_prune_scheme("block"); }, {"block:B"});
  expect_error([] { parse_prune_scheme("filter:3"); }, {"written filter"});
  expect_error([] { validate_prune_scheme(unstructured(1.0)); }, {"[0, 1)", "got 1"});
  expect_error([] { validate_prune_scheme(unstructured(-0.1)); }, {"got -0.1"});
  PruneScheme nm = parse_prune_scheme("nm:4:2");
  expect_error([&] { validate_prune_scheme(nm); }, {"1 <= N <= M", "4:2"});
  PruneScheme pattern = parse_prune_scheme("pattern");
  pattern.pattern_count = 57;
  expect_error([&] { validate_prune_scheme(pattern); }, {"between 1 and 56", "got 57"});
  pattern.pattern_count = 8;
  pattern.connectivity = 0.5;
  expect_error([&] { validate_prune_scheme(pattern); }, {"connectivity rate", "got 0.5"});
}

TEST(PrunePlan, LeavesBiasesStemAndClassifierDense) {
  const Graph lenet = zoo("lenet5");
  const PrunePlan plan(lenet, unstructured(0.5));
  EXPECT_EQ(target_names(plan),
            (std::vector<std::string>{"conv2.weight", "fc1.weight", "fc2.weight"}));
  EXPECT_EQ(plan.left_dense(),
            (std::vector<std::string>{"conv1.weight (stem)", "fc3.weight (classifier)"}));

  const PrunePlan all(lenet, unstructured(0.5), {.prune_ends = true, .layer_sparsity = {}});
  EXPECT_EQ(all.targets().size(), 5u);
  // Filter pruning of the classifier would remove classes.
  PruneScheme filter = parse_prune_scheme("filter");
  filter.sparsity = 0.5;
  const PrunePlan filters(lenet, filter, {.prune_ends = true, .layer_sparsity = {}});
  EXPECT_EQ(target_names(filters).back(), "fc2.weight");
}

TEST(PrunePlan, FilterPruningTakesEachFiltersBiasAndBatchNormAlong) {
  PruneScheme filter = parse_prune_scheme("filter");
  filter.sparsity = 0.5;
  const PrunePlan vgg(zoo("vgg-small"), filter);
  ASSERT_EQ(vgg.targets().size(), 4u);  // conv2-4 and fc1
  EXPECT_EQ(vgg.targets()[0].channel_params, (std::vector<std::string>{"bn2.weight", "bn2.bias"}));
  EXPECT_EQ(vgg.targets()[3].channel_params, (std::vector<std::string>{"fc1.bias"}));
  // Unstructured pruning leaves them alone.
  const PrunePlan unstructured_plan(zoo("vgg-small"), unstructured(0.5));
  for (const PruneTarget& t : unstructured_plan.targets())
    EXPECT_TRUE(t.channel_params.empty()) << t.weight;
}

TEST(PrunePlan, LayersTakeTheirOwnSparsityWhenNamed) {
  const Graph lenet = zoo("lenet5");
  const PrunePlan plan(
      lenet, unstructured(0.5),
      {.layer_sparsity = {{"conv1.weight", 0.25}, {"fc1.weight", 0.9}, {"fc2.weight", 0.0}}});
  EXPECT_EQ(target_names(plan),
            (std::vector<std::string>{"conv1.weight", "conv2.weight", "fc1.weight"}));
  EXPECT_EQ(plan.left_dense(), (std::vector<std::string>{"fc2.weight (its sparsity is 0)",
                                                         "fc3.weight (classifier)"}));
  const std::vector<double> expected = {0.25, 0.5, 0.9};
  for (size_t t = 0; t < plan.targets().size(); ++t) {
    EXPECT_EQ(plan.targets()[t].sparsity, expected[t]);
    EXPECT_NEAR(plan.project(t, lenet.initializers.at(plan.targets()[t].weight)).sparsity(),
                expected[t], 0.01)
        << plan.targets()[t].weight;
  }
  expect_error(
      [&] {
        PrunePlan(lenet, unstructured(0.5), {.layer_sparsity = {{"fc9", 0.5}}});
      },
      {"'fc9'", "no prunable"});
  expect_error(
      [&] {
        PrunePlan(lenet, unstructured(0.5), {.layer_sparsity = {{"fc1.weight", 1.0}}});
      },
      {"'fc1.weight'", "[0, 1)"});
  expect_error(
      [&] {
        PrunePlan(lenet, parse_prune_scheme("nm:2:4"), {.layer_sparsity = {{"fc1.weight", 0.5}}});
      },
      {"fixes its own sparsity"});
}

TEST(PrunePlan, PatternsFor3x3ConvsAndUnstructuredOrDenseElsewhere) {
  const Graph vgg = zoo("vgg-small");
  PruneScheme pattern = parse_prune_scheme("pattern");
  pattern.pattern_count = 6;
  const PrunePlan plan(vgg, pattern);
  EXPECT_EQ(target_names(plan),
            (std::vector<std::string>{"conv2.weight", "conv3.weight", "conv4.weight"}));
  for (const PruneTarget& t : plan.targets()) EXPECT_TRUE(t.pattern);
  EXPECT_EQ(plan.pattern_set().size(), 6u);
  const Mask m = plan.project(0, vgg.initializers.at("conv2.weight"));
  EXPECT_NEAR(m.sparsity(), 5.0 / 9.0, 1e-9);

  pattern.sparsity = 0.7;
  const PrunePlan with_fc(vgg, pattern);
  ASSERT_EQ(with_fc.targets().size(), 4u);
  EXPECT_EQ(with_fc.targets().back().weight, "fc1.weight");
  EXPECT_FALSE(with_fc.targets().back().pattern);
  EXPECT_NEAR(with_fc.project(3, vgg.initializers.at("fc1.weight")).sparsity(), 0.7, 1e-4);
}

TEST(PrunePlan, SaysWhyNothingIsPrunable) {
  // lenet5's convs are 5x5: the pattern scheme alone finds nothing.
  expect_error([] { PrunePlan(zoo("lenet5"), parse_prune_scheme("pattern")); },
               {"nothing to prune", "lenet5", "not 3x3"});
  GraphBuilder b;
  const std::string x = b.input("x", DType::kFloat32, {1, 4});
  b.output(b.node("Gemm",
                  {x, b.weight("w", random_weights({3, 4}, 1, false)),
                   b.weight("bias", random_weights({3}, 2, false))},
                  {{"transB", int64_t{1}}}));
  const Graph classifier_only = b.build();
  expect_error([&] { PrunePlan(classifier_only, unstructured(0.5)); },
               {"nothing to prune", "w (classifier)"});
  EXPECT_NO_THROW(
      PrunePlan(classifier_only, unstructured(0.5), {.prune_ends = true, .layer_sparsity = {}}));
  GraphBuilder r;
  r.output(r.node("Relu", {r.input("x", DType::kFloat32, {1, 4})}));
  expect_error([&] { PrunePlan(r.build(), unstructured(0.5)); }, {"no Conv or Gemm weights"});
  expect_error([&] { PrunePlan(classifier_only, unstructured(1.0)); }, {"sparsity"});
}

TEST(PrunePlan, ProjectsGemmWeightsInTheirOutputByInputView) {
  // Gemm with transB = 0 stores B as [in, out]; a filter (output) is a column there.
  GraphBuilder b;
  const std::string x = b.input("x", DType::kFloat32, {1, 6});
  const Tensor w = random_weights({6, 8}, 3, false);
  const std::string h = b.node("Gemm", {x, b.weight("w", w)});
  b.output(b.node("Gemm", {h, b.weight("head", random_weights({8, 2}, 4, false))}));
  PruneScheme filter = parse_prune_scheme("filter");
  filter.sparsity = 0.5;
  const PrunePlan plan(b.build(), filter);
  ASSERT_EQ(plan.targets().size(), 1u);
  EXPECT_TRUE(plan.targets()[0].transposed);
  const Mask m = plan.project(0, w);
  const std::vector<uint8_t> keep = flags(m);
  for (int64_t out = 0; out < 8; ++out)
    for (int64_t in = 1; in < 6; ++in)
      EXPECT_EQ(keep[in * 8 + out], keep[out]) << "column " << out << " is not kept whole";
  EXPECT_NEAR(m.sparsity(), 0.5, 1e-9);
  // Unstructured pruning does not care about the layout; the ramp's sparsity overrides.
  const PrunePlan any(b.build(), unstructured(0.5));
  EXPECT_EQ(flags(any.project(0, w, 0.25)), flags(unstructured_mask(w, 0.25)));
}

}  // namespace
}  // namespace sinter
