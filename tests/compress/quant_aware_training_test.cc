// Quantization-aware training: the trainer's weights are always the exported model's quantized
// ones, the gradient taken at them updates the latent float weights unchanged (straight through),
// zeros stay zero, and a 4-bit model recovers what post-training quantization lost.
#include "compress/quant_aware_training.h"

#include <gtest/gtest.h>

#include "compress/qdq_export.h"
#include "compress_test_util.h"
#include "prune_training_util.h"
#include "train/evaluate.h"
#include "train/fit.h"

namespace sinter {
namespace {

using test::values_of;

const std::vector<QuantAwareWeight> kMlpWeights = {
    {"fc1.weight", 0}, {"fc2.weight", 0}, {"fc3.weight", 0}};

QuantScheme int4(QuantGranularity g) {
  QuantScheme s;
  s.bits = 4;
  s.granularity = g;
  s.vector_size = 16;
  return s;
}

TrainerOptions plain_sgd() {
  TrainerOptions o = test::small_trainer(4);
  o.momentum = 0.0f;
  o.weight_decay = 0.0f;
  o.schedule = "constant";
  o.lr = 0.1f;
  return o;
}

const Tensor& param(const Trainer& trainer, const std::string& name) {
  for (const Parameter& p : trainer.parameters())
    if (p.name == name) return *p.value;
  throw std::runtime_error("no parameter " + name);
}

TEST(QuantAwareTraining, WeightsAreTheExportedOnesAndUpdatesPassStraightThrough) {
  for (QuantGranularity g :
       {QuantGranularity::kTensor, QuantGranularity::kChannel, QuantGranularity::kVector}) {
    const Graph model = test::small_model("mlp");
    const QuantScheme scheme = int4(g);
    const Batch batch = test::first_batch(test::squares(32, 4));
    // The reference: a plain trainer that starts from the quantized weights.
    Graph quantized = model;
    for (const QuantAwareWeight& w : kMlpWeights)
      quantized.initializers[w.weight] =
          exported_weight(model.initializers.at(w.weight), 0, scheme, w.weight);
    Trainer plain(quantized, plain_sgd()), qat_trainer(model, plain_sgd());
    QuantAwareTraining qat(qat_trainer, kMlpWeights, scheme);
    for (size_t i = 0; i < kMlpWeights.size(); ++i)
      EXPECT_EQ(values_of(param(qat_trainer, kMlpWeights[i].weight)),
                values_of(quantized.initializers.at(kMlpWeights[i].weight)));

    plain.step(batch);
    qat_trainer.step(batch);
    for (size_t i = 0; i < kMlpWeights.size(); ++i) {
      const std::string& name = kMlpWeights[i].weight;
      const float* w0 = model.initializers.at(name).data<float>();
      const float* q0 = quantized.initializers.at(name).data<float>();
      const float* stepped = param(plain, name).data<float>();
      const float* latent = qat.latent(i).data<float>();
      for (int64_t k = 0; k < qat.latent(i).numel(); ++k)
        ASSERT_NEAR(latent[k] - w0[k], stepped[k] - q0[k], 1e-6f) << name << " at " << k;
      EXPECT_EQ(values_of(param(qat_trainer, name)),
                values_of(exported_weight(qat.latent(i), 0, scheme, name)))
          << name << ": the trainer holds Q(latent) after the update";
    }
  }
}

TEST(QuantAwareTraining, ZerosStayZero) {
  Graph model = test::small_model("mlp");
  float* w = model.initializers.at("fc1.weight").data<float>();
  for (int64_t k = 0; k < model.initializers.at("fc1.weight").numel(); k += 3) w[k] = 0.0f;
  const Dataset data = test::squares(64, 5);
  Trainer trainer(model, test::small_trainer(8));
  QuantAwareTraining qat(trainer, kMlpWeights, int4(QuantGranularity::kChannel));
  for (int s = 0; s < 4; ++s) trainer.step(test::first_batch(data, s));
  const Tensor& trained = param(trainer, "fc1.weight");
  for (int64_t k = 0; k < trained.numel(); k += 3) {
    ASSERT_EQ(trained.data<float>()[k], 0.0f) << k;
    ASSERT_EQ(qat.latent(0).data<float>()[k], 0.0f) << k;
  }
}

TEST(QuantAwareTraining, LowersTheLossPostTrainingQuantizationLeft) {
  // A model trained part way, quantized per tensor to 4 bits, then fine-tuned through the
  // quantizer: the loss must go on falling although every weight stays on its grid.
  const Dataset data = test::squares(192, 6);
  const Dataset test_data = test::squares(96, 7);
  TrainerOptions warmup = test::small_trainer(12);
  warmup.lr = 0.005f;
  Trainer dense(test::small_model("mlp"), warmup);
  DataLoader loader(data, test::small_loader());
  FitOptions fo;
  fo.epochs = 1;
  fit(dense, loader, fo);
  const QuantScheme scheme = int4(QuantGranularity::kTensor);
  const Graph trained = dense.model();
  Graph ptq = trained;
  for (const QuantAwareWeight& w : kMlpWeights)
    ptq.initializers[w.weight] =
        exported_weight(trained.initializers.at(w.weight), 0, scheme, w.weight);
  const double ptq_loss = evaluate(ptq, test_data, 32, 1).loss;

  TrainerOptions o = test::small_trainer(2 * 12);
  o.lr = 0.01f;
  Trainer trainer(trained, o);
  QuantAwareTraining qat(trainer, kMlpWeights, scheme);
  fo.epochs = 2;
  fit(trainer, loader, fo);
  const Graph tuned = trainer.model();
  for (const QuantAwareWeight& w : kMlpWeights)
    EXPECT_EQ(values_of(tuned.initializers.at(w.weight)),
              values_of(exported_weight(tuned.initializers.at(w.weight), 0, scheme, w.weight)))
        << w.weight << " lies on its grid";
  EXPECT_LT(evaluate(tuned, test_data, 32, 1).loss, 0.8 * ptq_loss);
}

TEST(QuantAwareTraining, RefusesAWeightTheTrainerDoesNotTrain) {
  Trainer trainer(test::small_model("mlp"), test::small_trainer(1));
  test::expect_error<InputError>(
      [&] {
        QuantAwareTraining(trainer, {{"nope", 0}}, int4(QuantGranularity::kChannel));
      },
      {"weight 'nope' is not among"});
}

}  // namespace
}  // namespace sinter
