#include "dist/parameter_server.h"

#include "dist/model_agreement.h"
#include "dist/ring_allreduce.h"
#include "train/lr_schedule.h"

namespace sinter {

namespace {

int64_t parameter_floats(const Trainer& trainer) {
  int64_t n = 0;
  for (const Parameter& p : trainer.parameters()) n += p.value->numel();
  return n;
}

// The flag after each pushed chunk: another step follows, or the workers are done.
constexpr float kStep = 1.0f, kDone = 0.0f;

}  // namespace

ParameterServerLayout::ParameterServerLayout(int world_size, int servers, int64_t floats)
    : workers(world_size - servers), servers(servers), floats(floats) {
  if (servers < 1 || workers < 1)
    throw InputError(cat("--dist ps:", servers, " needs at least one server and one worker; ",
                         world_size, " rank(s) give ", std::max(workers, 0), " worker(s)"));
}

int64_t ParameterServerLayout::chunk_begin(int s) const {
  return sinter::chunk_begin(floats, servers, s);
}

int64_t ParameterServerLayout::worker_bytes_per_step() const {
  return (floats + servers) * static_cast<int64_t>(sizeof(float));
}

int64_t ParameterServerLayout::server_bytes_per_step(int s) const {
  return workers * (chunk_begin(s + 1) - chunk_begin(s)) * static_cast<int64_t>(sizeof(float));
}

ParameterServerWorker::ParameterServerWorker(Communicator& comm, Trainer& trainer, int servers)
    : comm_(comm), trainer_(trainer), layout_(comm.size(), servers, parameter_floats(trainer)) {
  if (trainer.options().clip_norm > 0)
    throw InputError(
        "--clip-norm needs every gradient in one place; a parameter server has them "
        "in chunks");
  agree_on_model(comm_, trainer);
  flat_.resize(static_cast<size_t>(layout_.floats + layout_.servers));
  trainer.update_elsewhere = [this](Trainer& t, float) { push_and_pull(t, true); };
}

void ParameterServerWorker::finish() {
  if (finished_) return;
  finished_ = true;
  push_and_pull(trainer_, false);
}

void ParameterServerWorker::push_and_pull(Trainer& trainer, bool more) {
  const auto& params = trainer.parameters();
  // Chunk s and its flag sit at [chunk_begin(s) + s, chunk_begin(s + 1) + s]: value i of the
  // flattened parameters sits at i + (its server), found by walking the chunks in order.
  auto for_each_value = [&](auto&& visit) {
    int64_t i = 0;
    int s = 0;
    for (const Parameter& p : params)
      for (int64_t k = 0; k < p.value->numel(); ++k, ++i) {
        while (s + 1 < layout_.servers && layout_.chunk_begin(s + 1) <= i) ++s;
        visit(p, k, static_cast<size_t>(i + s));
      }
  };
  for_each_value(
      [&](const Parameter& p, int64_t k, size_t at) { flat_[at] = p.grad->data<float>()[k]; });
  std::vector<Communicator::Message> sends, receives;
  for (int s = 0; s < layout_.servers; ++s) {
    const int64_t c0 = layout_.chunk_begin(s), c1 = layout_.chunk_begin(s + 1);
    float* chunk = flat_.data() + c0 + s;
    chunk[c1 - c0] = more ? kStep : kDone;
    sends.push_back({layout_.workers + s, chunk, static_cast<size_t>(c1 - c0 + 1) * sizeof(float)});
    if (more)
      receives.push_back(
          {layout_.workers + s, chunk, static_cast<size_t>(c1 - c0) * sizeof(float)});
  }
  // The pushed gradients leave before the pulled parameters overwrite them: the sends complete
  // first (a server answers only after every worker's push).
  comm_.transfer(sends, {}, "parameter push");
  if (!more) return;
  comm_.transfer({}, receives, "parameter pull");
  for_each_value(
      [&](const Parameter& p, int64_t k, size_t at) { p.value->data<float>()[k] = flat_[at]; });
}

int64_t serve_parameters(Communicator& comm, Trainer& trainer, int servers) {
  const ParameterServerLayout layout(comm.size(), servers, parameter_floats(trainer));
  agree_on_model(comm, trainer);
  const int s = comm.rank() - layout.workers;
  const int64_t c0 = layout.chunk_begin(s), n = layout.chunk_begin(s + 1) - c0;

  // This server's chunk of the parameters, as one parameter for the optimizer: its updates are
  // element by element, so a chunk gets what the whole tensors would.
  Tensor value(DType::kFloat32, {n}), grad(DType::kFloat32, {n});
  int64_t i = 0;
  for (const Parameter& p : trainer.parameters()) {
    const float* v = p.value->data<float>();
    for (int64_t k = 0; k < p.value->numel(); ++k, ++i)
      if (i >= c0 && i < c0 + n) value.data<float>()[i - c0] = v[k];
  }
  const TrainerOptions& o = trainer.options();
  std::unique_ptr<Optimizer> optimizer = make_optimizer(o, {{"chunk", &value, &grad}});
  std::unique_ptr<LrSchedule> schedule =
      make_schedule(o.schedule, o.lr, o.total_steps, o.warmup_steps);

  const int w = layout.workers;
  std::vector<float> pushed(static_cast<size_t>(w * (n + 1)));
  for (;;) {
    std::vector<Communicator::Message> receives;
    for (int k = 0; k < w; ++k)
      receives.push_back(
          {k, pushed.data() + k * (n + 1), static_cast<size_t>(n + 1) * sizeof(float)});
    comm.transfer({}, receives, "parameter push");
    int done = 0;
    for (int k = 0; k < w; ++k) done += pushed[static_cast<size_t>(k * (n + 1) + n)] == kDone;
    if (done == w) return optimizer->steps();
    if (done > 0)
      throw CommError(cat("rank ", comm.rank(), ": ", done, " of ", w,
                          " workers stopped while the others went on (desynchronized)"));
    // In worker order, then scaled: the data-parallel rank-order reduction's arithmetic.
    float* g = grad.data<float>();
    for (int64_t e = 0; e < n; ++e) {
      float sum = pushed[static_cast<size_t>(e)];
      for (int k = 1; k < w; ++k) sum += pushed[static_cast<size_t>(k * (n + 1) + e)];
      g[e] = sum;
    }
    const float scale = 1.0f / static_cast<float>(w);
    for (int64_t e = 0; e < n; ++e) g[e] *= scale;
    optimizer->step(schedule->lr(optimizer->steps()));
    std::vector<Communicator::Message> sends;
    for (int k = 0; k < w; ++k)
      sends.push_back({k, value.data<float>(), static_cast<size_t>(n) * sizeof(float)});
    comm.transfer(sends, {}, "parameter pull");
  }
}

}  // namespace sinter
