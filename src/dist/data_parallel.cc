#include "dist/data_parallel.h"

#include <xxhash.h>

#include <string>

#include "core/version.h"

namespace sinter {

namespace {

// What every rank must agree on: sinter's version, the parameters' names and shapes, the batch.
uint64_t fingerprint(const Trainer& trainer) {
  std::string text = cat(sinter_version(), " batch ", trainer.options().batch_size);
  for (const Parameter& p : trainer.parameters())
    text += cat(" ", p.name, " ", shape_str(p.value->shape()));
  return XXH3_64bits(text.data(), text.size());
}

// Adds grads[i] into sum[i] for every parameter, or copies when `first`.
void add_gradients(const Trainer& trainer, std::vector<std::vector<float>>& sum, bool first) {
  const auto& params = trainer.parameters();
  sum.resize(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const float* g = params[i].grad->data<float>();
    const auto n = static_cast<size_t>(params[i].grad->numel());
    if (first) {
      sum[i].assign(g, g + n);
    } else {
      for (size_t k = 0; k < n; ++k) sum[i][k] += g[k];
    }
  }
}

}  // namespace

DataParallel::DataParallel(Communicator& comm, Trainer& trainer, GradientReduction reduction)
    : comm_(comm), reduction_(reduction) {
  uint64_t mine = fingerprint(trainer), root = mine;
  comm_.broadcast(&root, sizeof root, 0, "model check");
  float differs = mine != root ? 1.0f : 0.0f;
  comm_.allreduce_sum(&differs, 1, "model check");
  if (differs > 0)
    throw InputError(cat("rank ", comm_.rank(), ": ", static_cast<int>(differs), " of ",
                         comm_.size(), " ranks run another sinter version or model than rank 0",
                         mine != root ? " (this one among them)" : ""));
  for (const Parameter& p : trainer.parameters())
    comm_.broadcast(p.value->raw(), p.value->nbytes(), 0, cat("parameter '", p.name, "'"));
  int64_t floats = 0;
  for (const Parameter& p : trainer.parameters()) floats += p.grad->numel();
  bucket_.resize(static_cast<size_t>(floats));
  trainer.on_gradients = [this](Trainer& t) { average_gradients(t); };
}

int64_t DataParallel::bytes_per_step() const {
  const int p = comm_.size();
  return 2 * (p - 1) * static_cast<int64_t>(bucket_.size() * sizeof(float)) / p;
}

void DataParallel::average_gradients(Trainer& trainer) {
  if (comm_.size() == 1) return;
  const auto& params = trainer.parameters();
  float* at = bucket_.data();
  for (auto p = params.rbegin(); p != params.rend(); ++p) {
    const float* g = p->grad->data<float>();
    at = std::copy(g, g + p->grad->numel(), at);
  }
  const auto n = static_cast<int64_t>(bucket_.size());
  switch (reduction_) {
    case GradientReduction::kMpi:
      comm_.allreduce_sum(bucket_.data(), n, "gradient all-reduce");
      break;
    case GradientReduction::kRing:
      ring_allreduce_sum(comm_, bucket_.data(), n, ReductionOrder::kRing);
      break;
    case GradientReduction::kRankOrder:
      ring_allreduce_sum(comm_, bucket_.data(), n, ReductionOrder::kRankOrder);
      break;
  }
  const float scale = 1.0f / static_cast<float>(comm_.size());
  const float* from = bucket_.data();
  for (auto p = params.rbegin(); p != params.rend(); ++p) {
    float* g = p->grad->data<float>();
    for (int64_t k = 0; k < p->grad->numel(); ++k) g[k] = *from++ * scale;
  }
}

StepResult accumulated_step(Trainer& trainer, const std::vector<Batch>& batches) {
  SINTER_CHECK(!batches.empty(), "accumulated_step needs a batch");
  std::vector<std::vector<float>> sum;
  StepResult r;
  double loss = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    const StepResult part = trainer.compute_gradients(batches[b], b == 0);
    loss += part.loss;
    r.correct += part.correct;
    add_gradients(trainer, sum, b == 0);
  }
  const float scale = 1.0f / static_cast<float>(batches.size());
  const auto& params = trainer.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    float* g = params[i].grad->data<float>();
    for (size_t k = 0; k < sum[i].size(); ++k) g[k] = sum[i][k] * scale;
  }
  r.loss = static_cast<float>(loss / static_cast<double>(batches.size()));
  r.lr = trainer.apply_gradients();
  return r;
}

}  // namespace sinter
