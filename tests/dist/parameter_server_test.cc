// The parameter server on 4 ranks (2 workers, 2 servers): the same training as one process
// accumulating the workers' batches, bit for bit; its bytes against the formula; bad layouts.
#include "dist/parameter_server.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>

#include "data/data_loader.h"
#include "dist/data_parallel.h"
#include "one_process_reference.h"
#include "random_dataset.h"
#include "train/model_zoo.h"
#include "world.h"

namespace sinter {
namespace {

TEST(ParameterServer, MatchesOneProcessAccumulatingBitForBit) {
  Communicator& world = test_world();
  if (world.size() < 2) GTEST_SKIP() << "needs two ranks";
  const int servers = world.size() / 2, workers = world.size() - servers;
  const int64_t steps = 30, batch = 4;
  const Graph g = build_zoo_model("lenet5", {});
  TrainerOptions options;
  options.batch_size = batch;
  options.lr = 0.02f;
  options.total_steps = steps;
  const Dataset data = random_dataset(batch * workers * steps, 28, 11);
  auto loader_options = [&](int shard) { return shard_options(batch, 4, shard, workers); };
  Trainer trainer(g, options);
  int64_t floats = 0;
  for (const Parameter& p : trainer.parameters()) floats += p.value->numel();
  const ParameterServerLayout layout(world.size(), servers, floats);
  if (layout.is_server(world.rank())) {
    EXPECT_EQ(serve_parameters(world, trainer, servers), steps);
    return;
  }
  ParameterServerWorker worker(world, trainer, servers);
  DataLoader loader(data, loader_options(world.rank()));
  loader.start_epoch(0);
  Batch b;
  for (int64_t step = 0; step < steps && loader.next(b); ++step) {
    const int64_t before = world.bytes_sent();
    trainer.step(b);
    EXPECT_EQ(world.bytes_sent() - before, layout.worker_bytes_per_step());
  }
  worker.finish();
  if (world.rank() != 0) return;

  const Graph a = trainer.model(),
              s = train_one_process(g, options, data, loader_options, workers, steps);
  for (const auto& [name, value] : s.initializers)
    EXPECT_EQ(0, std::memcmp(value.raw(), a.initializers.at(name).raw(), value.nbytes())) << name;
}

TEST(ParameterServer, LayoutAndBytes) {
  const ParameterServerLayout layout(5, 2, 1001);
  EXPECT_EQ(layout.workers, 3);
  EXPECT_FALSE(layout.is_server(2));
  EXPECT_TRUE(layout.is_server(3));
  EXPECT_EQ(layout.chunk_begin(1), 500);
  EXPECT_EQ(layout.worker_bytes_per_step(), (1001 + 2) * 4);
  EXPECT_EQ(layout.server_bytes_per_step(1), 3 * 501 * 4);
  EXPECT_THROW(ParameterServerLayout(2, 2, 10), InputError);  // no worker
  EXPECT_THROW(ParameterServerLayout(2, 0, 10), InputError);  // no server
}

}  // namespace
}  // namespace sinter
