#include "dist/data_parallel.h"

#include <optional>
#include <string>

#include "dist/model_agreement.h"

namespace sinter {

namespace {

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

DataParallel::DataParallel(Communicator& comm, Trainer& trainer, DataParallelOptions options)
    : comm_(comm), options_(options) {
  if (options_.bucket_bytes < 1)
    throw InputError(cat("the bucket size must be positive, got ", options_.bucket_bytes));
  agree_on_model(comm_, trainer);
  const auto& params = trainer.parameters();
  const size_t n = params.size();
  // Rank 0's order for all: plans (and so the order) may differ between unlike machines, and the
  // buckets must not.
  const std::vector<size_t> mine = trainer.gradient_order();
  std::vector<int64_t> order(mine.begin(), mine.end());
  order.resize(n, -1);  // a short order fails below, on every rank
  comm_.broadcast(order.data(), order.size() * sizeof(int64_t), 0, "gradient order");
  std::vector<bool> seen(n, false);
  for (const int64_t k : order) {
    if (k < 0 || k >= static_cast<int64_t>(n) || seen[static_cast<size_t>(k)])
      throw CommError(cat("rank ", comm_.rank(), ": rank 0's backward pass does not report every ",
                          "gradient once (gradient order)"));
    seen[static_cast<size_t>(k)] = true;
  }
  offset_.resize(n);
  bucket_of_.resize(n);
  parameter_size_.resize(n);
  int64_t at = 0;
  for (const int64_t index : order) {  // in the order the backward pass produces them
    const auto k = static_cast<size_t>(index);
    const int64_t size = params[k].grad->numel();
    if (buckets_.empty() || buckets_.back().size * int64_t{sizeof(float)} >= options_.bucket_bytes)
      buckets_.push_back({at, 0, 0});
    buckets_.back().size += size;
    buckets_.back().waiting += 1;
    offset_[k] = at;
    bucket_of_[k] = static_cast<int>(buckets_.size()) - 1;
    parameter_size_[k] = size;
    at += size;
  }
  flat_.resize(static_cast<size_t>(at));
  trainer.on_gradients = [this](Trainer& t) { finish_step(t); };
  if (options_.overlap && !options_.compressor && comm_.size() > 1) {
    thread_ = std::make_unique<ReductionThread>();
    trainer.on_gradient_ready = [this](size_t k, const Tensor& g) { gradient_ready(k, g); };
  }
}

int64_t DataParallel::bytes_per_step() const {
  if (steps_ > 0) return bytes_sent_ / steps_;
  const int p = comm_.size();
  return 2 * (p - 1) * static_cast<int64_t>(flat_.size() * sizeof(float)) / p;
}

void DataParallel::gradient_ready(size_t parameter, const Tensor& gradient) {
  std::lock_guard lock(mutex_);
  const float* g = gradient.data<float>();
  std::copy(g, g + parameter_size_[parameter], flat_.data() + offset_[parameter]);
  --buckets_[static_cast<size_t>(bucket_of_[parameter])].waiting;
  // In bucket order on every rank, whatever order the gradients came in.
  while (next_bucket_ < static_cast<int>(buckets_.size()) && buckets_[next_bucket_].waiting == 0) {
    const Bucket bucket = buckets_[static_cast<size_t>(next_bucket_++)];
    LinkEmulator* emulator = comm_.emulator();
    const double queued = emulator ? emulator->now() : 0;
    thread_->enqueue([this, bucket, emulator, queued] {
      std::optional<LinkEmulator::Background> timeline;
      if (emulator) timeline.emplace(*emulator, queued);
      reduce(bucket);
    });
  }
}

void DataParallel::reduce(const Bucket& bucket) {
  const int64_t sent_before = comm_.bytes_sent();
  float* data = flat_.data() + bucket.offset;
  switch (options_.reduction) {
    case GradientReduction::kMpi:
      comm_.allreduce_sum(data, bucket.size, "gradient all-reduce");
      break;
    case GradientReduction::kRing:
      ring_allreduce_sum(comm_, data, bucket.size, ReductionOrder::kRing);
      break;
    case GradientReduction::kRankOrder:
      ring_allreduce_sum(comm_, data, bucket.size, ReductionOrder::kRankOrder);
      break;
  }
  bytes_sent_ += comm_.bytes_sent() - sent_before;
}

void DataParallel::finish_step(Trainer& trainer) {
  if (comm_.size() == 1) return;
  const int64_t sent_before = comm_.bytes_sent();
  const auto& params = trainer.parameters();
  if (options_.compressor) {
    std::vector<GradientView> views;
    for (const Parameter& p : params)
      views.push_back({p.name, p.grad->shape(), p.grad->data<float>(), p.grad->numel()});
    options_.compressor->reduce(comm_, views, trainer.steps());
    bytes_sent_ += comm_.bytes_sent() - sent_before;
    ++steps_;
    return;
  }
  if (thread_) {
    thread_->wait();
    if (LinkEmulator* emulator = comm_.emulator()) emulator->wait_for_background();
    SINTER_CHECK(next_bucket_ == static_cast<int>(buckets_.size()),
                 "a gradient was not reported ready in the backward pass");
  } else {
    for (size_t k = 0; k < params.size(); ++k) {
      const float* g = params[k].grad->data<float>();
      std::copy(g, g + parameter_size_[k], flat_.data() + offset_[k]);
    }
    for (const Bucket& b : buckets_) reduce(b);
  }
  const float scale = 1.0f / static_cast<float>(comm_.size());
  for (size_t k = 0; k < params.size(); ++k) {
    float* g = params[k].grad->data<float>();
    const float* sum = flat_.data() + offset_[k];
    for (int64_t i = 0; i < parameter_size_[k]; ++i) g[i] = sum[i] * scale;
  }
  for (size_t k = 0; k < params.size(); ++k) ++buckets_[static_cast<size_t>(bucket_of_[k])].waiting;
  next_bucket_ = 0;
  ++steps_;
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
