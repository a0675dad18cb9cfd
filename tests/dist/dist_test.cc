// Distributed training's tests, run as several MPI ranks (tests/dist/run_ranks.sh): every rank
// runs every test, rank 0 prints, and the run fails when any rank's test fails.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "data/data_loader.h"
#include "dist/communicator.h"
#include "dist/data_parallel.h"
#include "dist/ring_allreduce.h"
#include "one_process_reference.h"
#include "random_dataset.h"
#include "train/model_zoo.h"
#include "train/trainer.h"
#include "world.h"

namespace sinter {
namespace {

Communicator* world = nullptr;

// Rank r's input: the same on every rank that asks for it, so each can check the sum itself.
std::vector<float> rank_data(int r, int64_t count) {
  std::mt19937 rng(static_cast<uint32_t>(1000 + r));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = u(rng);
  return v;
}

std::vector<int64_t> counts() {
  const int64_t p = world->size();
  return {0, 1, p - 1, p, p + 1, 1000, (int64_t{1} << 18) + 3};
}

// The same bits on every rank: rank 0's copy sent to all and compared.
void expect_same_on_every_rank(const std::vector<float>& v) {
  std::vector<float> root = v;
  world->broadcast(root.data(), root.size() * sizeof(float), 0, "test broadcast");
  EXPECT_EQ(0, std::memcmp(root.data(), v.data(), v.size() * sizeof(float)));
}

TEST(RingAllreduce, RankOrderEqualsOneProcessSummingInOrder) {
  for (int64_t n : counts()) {
    std::vector<float> data = rank_data(world->rank(), n);
    ring_allreduce_sum(*world, data.data(), n, ReductionOrder::kRankOrder);
    std::vector<float> sum = rank_data(0, n);
    for (int r = 1; r < world->size(); ++r) {
      const std::vector<float> part = rank_data(r, n);
      for (int64_t i = 0; i < n; ++i) sum[i] += part[i];
    }
    ASSERT_EQ(0, std::memcmp(sum.data(), data.data(), sum.size() * sizeof(float))) << n;
  }
}

TEST(RingAllreduce, RingMatchesMpiAllreduce) {
  for (int64_t n : counts()) {
    std::vector<float> ring = rank_data(world->rank(), n), mpi = ring;
    ring_allreduce_sum(*world, ring.data(), n, ReductionOrder::kRing);
    world->allreduce_sum(mpi.data(), n, "test all-reduce");
    // Sums of P values in [-1, 1] in two orders.
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(ring[i], mpi[i], 1e-5f) << n << " at " << i;
    expect_same_on_every_rank(ring);
  }
}

TEST(RingAllreduce, ReduceScatterLeavesEachRankItsChunk) {
  const int64_t n = 1001;
  const int p = world->size(), r = world->rank();
  std::vector<float> data = rank_data(r, n), sum = rank_data(0, n);
  for (int q = 1; q < p; ++q) {
    const std::vector<float> part = rank_data(q, n);
    for (int64_t i = 0; i < n; ++i) sum[i] += part[i];
  }
  reduce_scatter_sum(*world, data.data(), n, ReductionOrder::kRing);
  for (int64_t i = chunk_begin(n, p, r); i < chunk_begin(n, p, r + 1); ++i)
    ASSERT_NEAR(data[i], sum[i], 1e-5f) << i;
}

TEST(Communicator, CountsTheBytesItSends) {
  const int64_t before = world->bytes_sent(), n = 4000;
  std::vector<float> data = rank_data(world->rank(), n);
  ring_allreduce_sum(*world, data.data(), n);
  const int p = world->size();
  // Chunks of 1000 floats: P - 1 of them each way.
  EXPECT_EQ(world->bytes_sent() - before, 2 * (p - 1) * (n / p) * 4);
}

TEST(Communicator, RefusesRanksThatDoNotExist) {
  float x = 0;
  Communicator local(world->timeout());  // MPI stays up: `world` holds it
  EXPECT_THROW(local.send(world->size(), &x, sizeof x, "test"), CommError);
}

// 100 steps on every rank with the rank-order reduction, then rank 0 trains a model of its own
// with the ranks' batches accumulated in one process: the parameters must match bit for bit.
void expect_equivalent_training(const std::string& model, int64_t image, int64_t steps,
                                bool overlap) {
  const int p = world->size();
  const int64_t batch = 4;
  ModelZooOptions zoo;
  zoo.image_size = image;
  const Graph g = build_zoo_model(model, zoo);
  TrainerOptions options;
  options.batch_size = batch;
  options.lr = 0.02f;
  options.total_steps = steps;
  const Dataset data = random_dataset(batch * p * 25, image);
  auto loader_options = [&](int shard) { return shard_options(batch, 3, shard, p); };

  Trainer ranked(g, options);
  DataParallelOptions parallel;
  parallel.reduction = GradientReduction::kRankOrder;
  parallel.overlap = overlap;
  parallel.bucket_bytes = 16 << 10;  // several buckets, reduced while backward runs
  DataParallel dp(*world, ranked, parallel);
  if (overlap) EXPECT_GT(dp.buckets(), 2);
  DataLoader loader(data, loader_options(world->rank()));
  Batch b;
  for (int64_t step = 0, epoch = 0; step < steps; ++epoch) {
    loader.start_epoch(epoch);
    for (; step < steps && loader.next(b); ++step) ranked.step(b);
  }
  if (world->rank() != 0) return;

  const Graph a = ranked.model(), s = train_one_process(g, options, data, loader_options, p, steps);
  for (const auto& [name, value] : s.initializers) {
    const Tensor& other = a.initializers.at(name);
    ASSERT_EQ(value.nbytes(), other.nbytes()) << name;
    EXPECT_EQ(0, std::memcmp(value.raw(), other.raw(), value.nbytes())) << model << ": " << name;
  }
}

TEST(DataParallel, Lenet5MatchesOneProcessAccumulatingBitForBit) {
  expect_equivalent_training("lenet5", 28, 100, true);
  expect_equivalent_training("lenet5", 28, 100, false);
}

TEST(DataParallel, VggSmallMatchesOneProcessAccumulatingBitForBit) {
  expect_equivalent_training("vgg-small", 28, 100, true);
}

TEST(DataParallel, ShardsCoverAnEpochOnce) {
  const int p = world->size();
  Dataset data = random_dataset(50, 4);
  for (int64_t i = 0; i < 50; ++i) data.labels.data<int64_t>()[i] = i % 10;
  // Each image's first pixel tells it apart.
  for (int64_t i = 0; i < 50; ++i) data.images.data<float>()[i * 16] = static_cast<float>(i);
  std::vector<int> seen(50, 0);
  for (int q = 0; q < p; ++q) {
    DataLoaderOptions o;
    o.batch_size = 3;
    o.seed = 5;
    o.drop_last = true;
    o.shard = q;
    o.shards = p;
    DataLoader loader(data, o);
    loader.start_epoch(0);
    Batch b;
    while (loader.next(b))
      for (int64_t i = 0; i < b.size; ++i)
        ++seen[static_cast<size_t>(b.images.data<float>()[i * 16])];
  }
  int total = 0;
  for (int s : seen) {
    EXPECT_LE(s, 1);
    total += s;
  }
  EXPECT_EQ(total, 50 / (3 * p) * 3 * p);
}

TEST(DataParallel, RefusesRanksWithAnotherModel) {
  if (world->size() < 2) GTEST_SKIP() << "needs two ranks";
  ModelZooOptions zoo;
  const Graph g = build_zoo_model(world->rank() == 1 ? "mlp" : "lenet5", zoo);
  TrainerOptions options;
  options.batch_size = 2;
  Trainer trainer(g, options);
  try {
    DataParallel dp(*world, trainer);
    ADD_FAILURE() << "expected a refusal";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("another sinter version or model"), std::string::npos)
        << e.what();
  }
}

}  // namespace

Communicator& test_world() { return *world; }

}  // namespace sinter

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sinter::Communicator world(60.0);
  sinter::world = &world;
  if (world.rank() != 0) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  float failed = RUN_ALL_TESTS() != 0 ? 1.0f : 0.0f;
  world.allreduce_sum(&failed, 1, "test results");
  if (world.rank() == 0 && failed > 0)
    std::fprintf(stderr, "%d of %d ranks had failing tests\n", static_cast<int>(failed),
                 world.size());
  return failed > 0 ? 1 : 0;
}
