// The training loop end to end on a small vgg-small (BatchNorm, Dropout, max-pooling) over
// synthetic 8x8 images: it learns, repeats bit for bit, resumes from a checkpoint to the same
// weights as an uninterrupted run, names where values went non-finite, and evaluates.
#include "train/trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"
#include "runtime/session.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/fit.h"
#include "train/model_zoo.h"

namespace sinter {
namespace {

constexpr int64_t kClasses = 3;
constexpr int64_t kSize = 8;

// Class c is a bright 3x3 square at one of three places, under noise.
Dataset synthetic(int64_t n, uint64_t seed) {
  Dataset d;
  d.name = "synthetic";
  d.num_classes = kClasses;
  d.images = Tensor(DType::kFloat32, {n, 1, kSize, kSize});
  d.labels = Tensor(DType::kInt64, {n});
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> noise(0.0f, 0.3f);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % kClasses;
    d.labels.data<int64_t>()[i] = c;
    float* img = d.images.data<float>() + i * kSize * kSize;
    for (int64_t p = 0; p < kSize * kSize; ++p) img[p] = noise(rng);
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t x = 0; x < 3; ++x) img[(1 + y + c * 2) * kSize + 1 + x + c * 2] += 2.0f;
  }
  return d;
}

Graph small_vgg() {
  ModelZooOptions o;
  o.num_classes = kClasses;
  o.image_size = kSize;
  return build_zoo_model("vgg-small", o);
}

TrainerOptions options(int64_t total_steps) {
  TrainerOptions o;
  o.batch_size = 16;
  o.threads = 2;
  o.lr = 0.05f;
  o.total_steps = total_steps;
  return o;
}

DataLoaderOptions loader_options() {
  DataLoaderOptions o;
  o.batch_size = 16;
  o.seed = 7;
  o.drop_last = true;
  o.crop_padding = 1;
  return o;
}

std::vector<float> loss_curve(const Graph& model, const Dataset& data, int steps) {
  Trainer trainer(model, options(steps));
  DataLoader loader(data, loader_options());
  std::vector<float> losses;
  for (int64_t epoch = 0; static_cast<int>(losses.size()) < steps; ++epoch) {
    loader.start_epoch(epoch);
    Batch b;
    while (static_cast<int>(losses.size()) < steps && loader.next(b))
      losses.push_back(trainer.step(b).loss);
  }
  return losses;
}

// A scratch directory of this process: ctest runs the suite twice at once (native and portable).
std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(Trainer, LearnsAndRepeatsBitForBit) {
  const Dataset data = synthetic(96, 1);
  const std::vector<float> a = loss_curve(small_vgg(), data, 24);
  const std::vector<float> b = loss_curve(small_vgg(), data, 24);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(std::memcmp(&a[i], &b[i], sizeof(float)), 0)
        << "step " << i << ": " << a[i] << " vs " << b[i];
  EXPECT_NEAR(a.front(), std::log(3.0f), 0.5f);
  EXPECT_LT((a[21] + a[22] + a[23]) / 3, 0.5f * a.front());
}

TEST(Trainer, ResumedRunEndsWhereTheUninterruptedOneDoes) {
  const std::filesystem::path dir = scratch_dir("sinter_trainer_resume_test");
  const std::string ckpt = (dir / "run.ckpt.onnx").string();
  const Dataset data = synthetic(64, 2);
  const int64_t epochs = 3, steps = epochs * 4;

  Trainer whole(small_vgg(), options(steps));
  DataLoader whole_loader(data, loader_options());
  FitOptions fo;
  fo.epochs = epochs;
  fit(whole, whole_loader, fo);

  // Stop mid-epoch, then continue in a new trainer from the checkpoint alone.
  {
    Trainer first(small_vgg(), options(steps));
    DataLoader loader(data, loader_options());
    FitOptions part = fo;
    part.max_steps = 6;
    part.checkpoint_path = ckpt;
    part.settings["note"] = "kept";
    FitCallbacks callbacks;
    callbacks.on_checkpoint = [](Checkpoint& c) {
      c.run_state.emplace_back("other/state", Tensor::from_vector<double>({2}, {1.5, -2.0}));
    };
    const FitResult r = fit(first, loader, part, callbacks);
    EXPECT_TRUE(r.stopped_early);
    EXPECT_EQ(r.end.epoch, 1);
    EXPECT_EQ(r.end.batch, 2);
  }
  const Checkpoint c = load_checkpoint(ckpt);
  EXPECT_EQ(c.settings.at("note"), "kept");
  ASSERT_EQ(c.run_state.size(), 1u);  // the run's own state travels apart from the model's
  EXPECT_EQ(c.run_state[0].first, "other/state");
  EXPECT_EQ(c.run_state[0].second.data<double>()[1], -2.0);
  EXPECT_EQ(c.model.initializers.count("other/state"), 0u);
  Trainer resumed(c.model, options(steps));
  resumed.load_optimizer_state(c.optimizer);
  EXPECT_EQ(resumed.steps(), 6);
  DataLoader loader(data, loader_options());
  FitOptions rest = fo;
  rest.start = c.position;
  fit(resumed, loader, rest);

  const Graph a = whole.model(), b = resumed.model();
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (const auto& [name, t] : a.initializers)
    EXPECT_TRUE(same_bits(t, b.initializers.at(name))) << name;
  std::filesystem::remove_all(dir);
}

// Data parallelism buckets the gradients in this order, so it must be the order the backward pass
// reports them in: not the parameters' (name) order, as BatchNorm's come between the convolutions'.
TEST(Trainer, GradientOrderIsTheOrderTheBackwardPassReportsThem) {
  TrainerOptions o = options(1);
  o.threads = 1;
  Trainer trainer(small_vgg(), o);
  const std::vector<size_t> order = trainer.gradient_order();
  std::vector<size_t> reported;
  trainer.on_gradient_ready = [&](size_t parameter, const Tensor&) {
    reported.push_back(parameter);
  };
  DataLoader loader(synthetic(16, 1), loader_options());
  loader.start_epoch(0);
  Batch b;
  ASSERT_TRUE(loader.next(b));
  trainer.compute_gradients(b);
  EXPECT_EQ(order, reported);
  std::vector<size_t> last_first(order.size());
  for (size_t i = 0; i < order.size(); ++i) last_first[i] = order.size() - 1 - i;
  EXPECT_NE(order, last_first);
  const std::string& last = trainer.parameters()[order.back()].name;
  EXPECT_TRUE(last.rfind("conv1.", 0) == 0 || last.rfind("bn1.", 0) == 0) << last;
}

TEST(Trainer, NamesTheFirstNodeWhoseOutputWentNonFinite) {
  TrainerOptions o = options(10);
  o.lr = 1e30f;  // the first update sends the weights far past float range in the next step
  Trainer trainer(small_vgg(), o);
  DataLoader loader(synthetic(64, 3), loader_options());
  loader.start_epoch(0);
  Batch b;
  try {
    for (int i = 0; i < 4 && loader.next(b); ++i) trainer.step(b);
    FAIL() << "no NumericError";
  } catch (const NumericError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("training step "), std::string::npos) << m;
    EXPECT_NE(m.find("from node '"), std::string::npos) << m;
  }
}

TEST(Trainer, RejectsBadOptionsAndBatches) {
  TrainerOptions o = options(10);
  o.optimizer = "rmsprop";
  EXPECT_THROW(Trainer(small_vgg(), o), InputError);
  o = options(10);
  o.label_smoothing = 1.0f;
  EXPECT_THROW(Trainer(small_vgg(), o), InputError);
  o = options(10);
  o.schedule = "sometimes";
  EXPECT_THROW(Trainer(small_vgg(), o), InputError);
  Trainer trainer(small_vgg(), options(10));
  Batch small;
  small.size = 4;
  small.images = Tensor(DType::kFloat32, {4, 1, kSize, kSize});
  small.labels = Tensor(DType::kInt64, {4});
  EXPECT_THROW(trainer.step(small), InputError);
}

TEST(Trainer, MseLossAndLabelSmoothingLearnToo) {
  for (const bool mse : {false, true}) {
    TrainerOptions o = options(24);
    if (mse) {
      o.loss = Loss::kMeanSquaredError;
      o.lr = 0.02f;
    } else {
      o.label_smoothing = 0.1f;
    }
    Trainer trainer(small_vgg(), o);
    const Dataset data = synthetic(96, 4);
    DataLoader loader(data, loader_options());
    FitOptions fo;
    fo.epochs = 4;
    fit(trainer, loader, fo);
    EXPECT_GT(evaluate(trainer.model(), data).accuracy, 0.8) << (mse ? "mse" : "label smoothing");
  }
}

// The step's loss against the formulas, from the same model's logits: with label smoothing e,
// -sum_c ((1-e)*[c==y] + e/K) * log_softmax_c (PyTorch's CrossEntropyLoss(label_smoothing=e)),
// and for MSE the mean over every element of (logit - one_hot)^2.
TEST(Trainer, LossesFollowTheirFormulas) {
  ModelZooOptions zoo;
  zoo.num_classes = kClasses;
  zoo.image_size = kSize;
  const Graph mlp = build_zoo_model("mlp", zoo);  // no BatchNorm or Dropout: logits as inference
  const Dataset data = synthetic(16, 6);
  Batch batch{data.images, data.labels, 16};
  const Tensor logits = Session(mlp, {1, false, false}).run({{"image", data.images}})[0];
  for (const bool mse : {false, true}) {
    TrainerOptions o = options(1);
    o.loss = mse ? Loss::kMeanSquaredError : Loss::kCrossEntropy;
    o.label_smoothing = mse ? 0.0f : 0.2f;
    Trainer trainer(mlp, o);
    double want = 0;
    for (int64_t i = 0; i < 16; ++i) {
      const float* z = logits.data<float>() + i * kClasses;
      const int64_t y = data.labels.data<int64_t>()[i];
      double max = z[0], sum = 0;
      for (int64_t c = 1; c < kClasses; ++c) max = std::max<double>(max, z[c]);
      for (int64_t c = 0; c < kClasses; ++c) sum += std::exp(z[c] - max);
      for (int64_t c = 0; c < kClasses; ++c) {
        const double hot = c == y ? 1.0 : 0.0;
        if (mse) {
          want += (z[c] - hot) * (z[c] - hot) / (16.0 * kClasses);
        } else {
          const double log_p = z[c] - max - std::log(sum);
          want -= ((1 - 0.2) * hot + 0.2 / kClasses) * log_p / 16.0;
        }
      }
    }
    EXPECT_NEAR(trainer.step(batch).loss, want, 1e-5 * std::max(1.0, want)) << (mse ? "mse" : "ce");
  }
}

TEST(Trainer, ExportedModelPredictsAsTheTrainerDoes) {
  Trainer trainer(small_vgg(), options(12));
  const Dataset data = synthetic(64, 5);
  DataLoader loader(data, loader_options());
  FitOptions fo;
  fo.epochs = 3;
  fit(trainer, loader, fo);
  const std::filesystem::path dir = scratch_dir("sinter_trainer_export_test");
  const std::string path = (dir / "model.onnx").string();
  save_onnx(trainer.model(), path);
  const Evaluation direct = evaluate(trainer.model(), data, 10);
  const Evaluation loaded = evaluate(load_onnx(path), data, 64, 2);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(direct.confusion, loaded.confusion);
  EXPECT_NEAR(direct.loss, loaded.loss, 1e-5);
  EXPECT_GT(direct.accuracy, 0.8);
  int64_t total = 0, trace = 0;
  for (int64_t t = 0; t < direct.num_classes; ++t)
    for (int64_t p = 0; p < direct.num_classes; ++p) {
      total += direct.confusion[static_cast<size_t>(t * direct.num_classes + p)];
      if (t == p) trace += direct.confusion[static_cast<size_t>(t * direct.num_classes + p)];
    }
  EXPECT_EQ(total, 64);
  EXPECT_EQ(trace, direct.correct);
}

TEST(Checkpoint, RejectsPlainModelsAndLeavesNothingOnAFailedWrite) {
  const std::filesystem::path dir = scratch_dir("sinter_checkpoint_test");
  const std::string plain = (dir / "plain.onnx").string();
  save_onnx(small_vgg(), plain);
  EXPECT_THROW(load_checkpoint(plain), InputError);
  const std::string missing_dir = (dir / "no_such_dir" / "c.onnx").string();
  EXPECT_THROW(save_checkpoint(missing_dir, {small_vgg(), {}, {}, {}}), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "no_such_dir"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sinter
