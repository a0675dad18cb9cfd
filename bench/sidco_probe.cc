// SIDCo's two claims on real gradients: the density it sends stays near its target, and its
// fitted threshold is cheaper than an exact top-k selection. Trains a built-in model on
// Fashion-MNIST in one process with SIDCo compressing every step (error feedback included, as a
// rank of a compressed run sees it), and at every step times, over the gradient tensors SIDCo
// fits (1024 values or more), the threshold fit (refined as the compressor refines it) plus the
// pass that picks the values above it against select_top_k at the same density. One CSV row a step
// on stdout; a summary on stderr.
//
// usage: sinter_sidco_probe [MODEL=vgg-small] [STEPS=300] [DENSITY=0.01]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "data/dataset_spec.h"
#include "dist/sidco_compressor.h"
#include "dist/topk_compressor.h"
#include "kernels/select/magnitude_passes.h"
#include "train/model_zoo.h"
#include "train/trainer.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sinter;
  const std::string model_name = argc > 1 ? argv[1] : "vgg-small";
  const int64_t steps = argc > 2 ? std::max(1, std::atoi(argv[2])) : 300;
  const double density = argc > 3 ? std::atof(argv[3]) : 0.01;
  Communicator comm;  // one rank
  Dataset train = load_dataset("fashion-mnist", true);
  ModelZooOptions zoo;
  zoo.num_classes = train.num_classes;
  zoo.in_channels = train.images.shape()[1];
  zoo.image_size = train.images.shape()[2];
  TrainerOptions to;
  to.batch_size = 64;
  to.total_steps = steps;
  Trainer trainer(build_zoo_model(model_name, zoo), to);
  DataLoaderOptions lo;
  lo.batch_size = to.batch_size;
  lo.drop_last = true;
  DataLoader loader(train, lo);
  SidcoCompressor sidco(cat("sidco:", density), {density, SidcoTailFit::kGeneralizedPareto});

  std::printf("step,density_over_target,stages,fit_ms,topk_ms\n");
  std::vector<double> speedups;
  int64_t within = 0;
  std::vector<float> scratch, copy;
  std::vector<uint32_t> chosen, positions;
  int64_t epoch = 0;
  loader.start_epoch(epoch);
  Batch batch;
  const auto start = Clock::now();
  for (int64_t step = 0; step < steps; ++step) {
    if (!loader.next(batch)) {
      loader.start_epoch(++epoch);
      loader.next(batch);
    }
    trainer.compute_gradients(batch);
    // The selections, timed on this step's gradients before SIDCo reduces them in place.
    double fit_ms = 0, topk_ms = 0;
    const int stages = sidco.stages();
    for (const Parameter& p : trainer.parameters()) {
      const int64_t n = p.grad->numel();
      if (n < SidcoCompressor::kMinFittedValues) continue;
      copy.assign(p.grad->data<float>(), p.grad->data<float>() + n);
      auto t0 = Clock::now();
      SidcoRefinement refine;
      const double threshold = sidco_threshold(copy.data(), n, density, stages,
                                               SidcoTailFit::kGeneralizedPareto, scratch, &refine);
      if (positions.size() < static_cast<size_t>(n)) positions.resize(static_cast<size_t>(n));
      kernels::indices_of_magnitudes_above(copy.data(), n, threshold, positions.data());
      fit_ms += ms_since(t0);
      t0 = Clock::now();
      chosen.clear();
      select_top_k(copy.data(), n, values_to_send(density, n), scratch, chosen);
      topk_ms += ms_since(t0);
    }
    std::vector<GradientView> views;
    for (const Parameter& p : trainer.parameters())
      views.push_back({p.name, p.grad->shape(), p.grad->data<float>(), p.grad->numel()});
    sidco.reduce(comm, views, step);
    trainer.apply_gradients();
    const double ratio = sidco.last_density() / density;
    within += std::fabs(ratio - 1) <= 0.2;
    speedups.push_back(topk_ms / fit_ms);
    std::printf("%lld,%.4f,%d,%.4f,%.4f\n", static_cast<long long>(step + 1), ratio, stages, fit_ms,
                topk_ms);
    if ((step + 1) % 50 == 0 || step + 1 == steps) {
      const double s = ms_since(start) / 1000;
      std::fprintf(stderr, "sidco probe: %lld/%lld steps, %.1f steps/s, ETA %.0f s\n",
                   static_cast<long long>(step + 1), static_cast<long long>(steps), (step + 1) / s,
                   (steps - step - 1) * s / (step + 1));
    }
  }
  std::fprintf(stderr,
               "sidco probe: %s, density %g: %.1f %% of %lld steps within +-20 %% of the target; "
               "threshold fit %.2fx faster than exact top-k (median over steps)\n",
               model_name.c_str(), density, 100.0 * within / steps, static_cast<long long>(steps),
               median(speedups));
  return 0;
}
