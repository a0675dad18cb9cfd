// A model cut at its classifier (Stanza's split) trains as the whole model does: the front's
// step with Loss::kOutputGradient, fed the back's input gradient, gives every parameter the whole
// model's gradient, bit for bit.
#include <gtest/gtest.h>

#include <cstring>

#include "../dist/random_dataset.h"
#include "data/data_loader.h"
#include "dist/classifier_split.h"
#include "train/model_zoo.h"
#include "train/trainer.h"

namespace sinter {
namespace {

TrainerOptions options_for(int64_t batch) {
  TrainerOptions o;
  o.batch_size = batch;
  o.lr = 0.02f;
  return o;
}

// The front's step with the back's gradient gives every parameter the whole model's gradient.
void expect_split_step_equals_whole(const std::string& model_name) {
  const Graph model = build_zoo_model(model_name, {});
  const ClassifierSplit split = split_at_classifier(model);
  const int64_t batch = 6;
  const Dataset data = random_dataset(batch, 28, 3);
  DataLoaderOptions lo;
  lo.batch_size = batch;
  DataLoader loader(data, lo);
  loader.start_epoch(0);
  Batch b;
  ASSERT_TRUE(loader.next(b));

  Trainer whole(model, options_for(batch));
  const StepResult expected = whole.compute_gradients(b);
  TrainerOptions back_options = options_for(batch), front_options = options_for(batch);
  back_options.input_gradient = true;
  front_options.loss = Loss::kOutputGradient;
  Trainer back(split.classifier, back_options), front(split.features, front_options);
  front.output_gradient = [&](const Batch& batch, const Tensor& features, Tensor& gradient) {
    const StepResult r = back.compute_gradients({features.clone(), batch.labels, batch.size});
    std::memcpy(gradient.raw(), back.input_gradient().raw(), gradient.nbytes());
    return r;
  };
  const StepResult got = front.compute_gradients(b);
  EXPECT_EQ(got.loss, expected.loss);
  EXPECT_EQ(got.correct, expected.correct);
  size_t matched = 0;
  for (const Parameter& p : whole.parameters())
    for (const Trainer* part : {&front, &back})
      for (const Parameter& q : part->parameters())
        if (q.name == p.name) {
          ++matched;
          EXPECT_EQ(0, std::memcmp(p.grad->raw(), q.grad->raw(), p.grad->nbytes())) << p.name;
        }
  EXPECT_EQ(matched, whole.parameters().size());
}

TEST(ClassifierSplit, Lenet5PartsGiveTheWholeModelsGradients) {
  expect_split_step_equals_whole("lenet5");
}

TEST(ClassifierSplit, VggSmallPartsGiveTheWholeModelsGradients) {
  expect_split_step_equals_whole("vgg-small");
}

TEST(ClassifierSplit, CutsAtTheFlattenedFeaturesAndJoinsBack) {
  const Graph model = build_zoo_model("vgg-small", {});
  const ClassifierSplit split = split_at_classifier(model);
  EXPECT_EQ(split.features.outputs, std::vector<std::string>{split.cut});
  EXPECT_EQ(split.classifier.inputs, std::vector<std::string>{split.cut});
  EXPECT_EQ(split.classifier.types.at(split.cut).shape, (Shape{-1, 64 * 7 * 7}));
  EXPECT_EQ(split.features.initializers.size() + split.classifier.initializers.size(),
            model.initializers.size());
  const Graph joined = join_parts(model, split.features, split.classifier);
  EXPECT_EQ(joined.initializers.size(), model.initializers.size());
}

TEST(ClassifierSplit, RefusesAModelWithoutFullyConnectedLayers) {
  Graph g;
  g.name = "relu-only";
  g.inputs = {"x"};
  g.outputs = {"y"};
  g.types["x"] = {DType::kFloat32, {1, 4}, true};
  Node relu;
  relu.op_type = "Relu";
  relu.inputs = {"x"};
  relu.outputs = {"y"};
  g.nodes.push_back(relu);
  try {
    split_at_classifier(g);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("has none"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sinter
