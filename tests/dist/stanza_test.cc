// Stanza on 4 ranks (3 conv workers and 1 fully connected rank, or 2 and 2) the same training
// as one process accumulating the workers' batches, up to the order of the additions; its bytes
// against the formula; bad layouts and models.
#include "dist/stanza.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include "data/data_loader.h"
#include "dist/data_parallel.h"
#include "one_process_reference.h"
#include "random_dataset.h"
#include "train/model_zoo.h"
#include "world.h"

namespace sinter {
namespace {

TrainerOptions options_for(int64_t batch, int64_t steps) {
  TrainerOptions o;
  o.batch_size = batch;
  o.lr = 0.02f;
  o.total_steps = steps;
  return o;
}

TEST(StanzaLayout, RanksBytesAndRefusals) {
  EXPECT_THROW(StanzaLayout(2, 2, 8, 10), InputError);  // no conv worker
  EXPECT_THROW(StanzaLayout(5, 2, 8, 10), InputError);  // 3 workers for 2 FC ranks
  const StanzaLayout l(6, 2, 8, 100);
  EXPECT_EQ(l.workers, 4);
  EXPECT_EQ(l.fc_rank_of(3), 5);
  EXPECT_EQ(l.workers_of(4), (std::vector<int>{0, 2}));
  EXPECT_EQ(l.worker_bytes_per_step(), (8 * 100 + 8 + 1) * 4);
  EXPECT_EQ(l.fc_link_bytes_per_step(), 2 * (8 * 100 + 8 + 1) * 4);
}

// 4 ranks as `fc_ranks` FC ranks and the rest conv workers, against one process accumulating the
// workers' batches.
void expect_stanza_matches_one_process(int fc_ranks) {
  Communicator& world = test_world();
  if (world.size() < 2 || (world.size() - fc_ranks) % fc_ranks != 0 || fc_ranks >= world.size())
    GTEST_SKIP() << "needs a world that " << fc_ranks << " FC rank(s) divide";
  const int64_t steps = 12, batch = 4;
  const Graph model = build_zoo_model("lenet5", {});
  const ClassifierSplit split = split_at_classifier(model);
  const StanzaLayout layout(world.size(), fc_ranks, batch,
                            split.classifier.types.at(split.cut).shape[1]);
  const int workers = layout.workers;
  const Dataset data = random_dataset(batch * workers * steps, 28, 5);
  auto loader_options = [&](int shard) { return shard_options(batch, 9, shard, workers); };
  const bool fc = layout.is_fc(world.rank());
  std::unique_ptr<Communicator> group =
      world.subgroup(fc ? layout.fc_rank_list() : layout.worker_ranks());
  TrainerOptions o = options_for(batch, steps);
  if (fc) {
    o.batch_size = batch * layout.workers_per_fc();
    o.input_gradient = true;
    Trainer trainer(split.classifier, o);
    DataParallel parallel(*group, trainer);
    const int64_t before = world.bytes_sent();
    EXPECT_EQ(serve_classifier(world, trainer, layout), steps);
    // The answers, and rank 0's fetch of the classifier from FC rank 0.
    const int64_t answers = steps * layout.workers_per_fc() * layout.answer_floats() * 4;
    int64_t classifier = 0;
    for (const auto& [name, t] : split.classifier.initializers) classifier += t.numel() * 4;
    EXPECT_EQ(world.bytes_sent() - before,
              answers + (world.rank() == layout.workers ? classifier : 0));
    return;
  }
  o.loss = Loss::kOutputGradient;
  Trainer trainer(split.features, o);
  DataParallel parallel(*group, trainer);
  StanzaWorker worker(world, trainer, layout, model, split);
  DataLoader loader(data, loader_options(world.rank()));
  loader.start_epoch(0);
  Batch b;
  for (int64_t step = 0; step < steps && loader.next(b); ++step) {
    const int64_t before = world.bytes_sent();
    trainer.step(b);
    EXPECT_EQ(world.bytes_sent() - before, layout.worker_bytes_per_step());
  }
  const Graph trained = world.rank() == 0 ? worker.model() : Graph();
  worker.finish();
  if (world.rank() != 0) return;

  const Graph s =
      train_one_process(model, options_for(batch, steps), data, loader_options, workers, steps);
  for (const auto& [name, value] : s.initializers) {
    if (value.dtype() != DType::kFloat32) continue;
    const Tensor& got = trained.initializers.at(name);
    float worst = 0;
    for (int64_t i = 0; i < value.numel(); ++i)
      worst = std::max(worst, std::abs(got.data<float>()[i] - value.data<float>()[i]));
    EXPECT_LT(worst, 1e-5f) << name;
  }
}

TEST(Stanza, OneFcRankMatchesOneProcessAccumulating) { expect_stanza_matches_one_process(1); }

TEST(Stanza, TwoFcRanksMatchOneProcessAccumulating) { expect_stanza_matches_one_process(2); }

// A label the classifier has no class for (the data set claims 20 classes, the model has 10) fails
// the FC rank's step, and it tells its workers: each fails in the same step with a line naming it,
// instead of waiting for the deadline.
TEST(Stanza, AnFcRanksFailureFailsItsWorkersAtOnce) {
  Communicator& world = test_world();
  if (world.size() < 2) GTEST_SKIP() << "needs two ranks";
  const int64_t batch = 4;
  const Graph model = build_zoo_model("lenet5", {});
  const ClassifierSplit split = split_at_classifier(model);
  const StanzaLayout layout(world.size(), 1, batch, split.classifier.types.at(split.cut).shape[1]);
  Dataset data = random_dataset(batch * layout.workers, 28, 5);
  data.num_classes = 20;
  for (int64_t i = 0; i < data.labels.numel(); ++i) data.labels.data<int64_t>()[i] = 12;
  const bool fc = layout.is_fc(world.rank());
  std::unique_ptr<Communicator> group =
      world.subgroup(fc ? layout.fc_rank_list() : layout.worker_ranks());
  TrainerOptions o = options_for(batch, 1);
  if (fc) {
    o.batch_size = batch * layout.workers_per_fc();
    o.input_gradient = true;
    Trainer trainer(split.classifier, o);
    EXPECT_THROW(serve_classifier(world, trainer, layout), InputError);
    return;
  }
  o.loss = Loss::kOutputGradient;
  Trainer trainer(split.features, o);
  StanzaWorker worker(world, trainer, layout, model, split);
  DataLoader loader(data, shard_options(batch, 9, world.rank(), layout.workers));
  loader.start_epoch(0);
  Batch b;
  ASSERT_TRUE(loader.next(b));
  const auto start = std::chrono::steady_clock::now();
  try {
    trainer.step(b);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(cat("fully connected rank ", layout.workers, " failed")),
              std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace sinter
