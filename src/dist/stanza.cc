#include "dist/stanza.h"

#include <algorithm>

namespace sinter {

namespace {

// The flag ending a worker's message.
constexpr float kDone = 0.0f, kStep = 1.0f, kFetchClassifier = 2.0f;

// The float initializers of `g` (the classifier's parameters and running statistics), by name:
// the order its state travels in.
std::vector<std::string> state_names(const Graph& g) {
  std::vector<std::string> names;
  for (const auto& [name, t] : g.initializers)
    if (t.dtype() == DType::kFloat32) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

int64_t state_floats(const Graph& g) {
  int64_t n = 0;
  for (const std::string& name : state_names(g)) n += g.initializers.at(name).numel();
  return n;
}

size_t bytes(int64_t floats) { return static_cast<size_t>(floats) * sizeof(float); }

}  // namespace

StanzaLayout::StanzaLayout(int world_size, int fc_ranks, int64_t batch, int64_t features)
    : workers(world_size - fc_ranks), fc_ranks(fc_ranks), batch(batch), features(features) {
  if (fc_ranks < 1 || workers < 1)
    throw InputError(cat("--dist stanza:", fc_ranks,
                         " needs at least one fully connected rank and one conv worker; ",
                         world_size, " rank(s) give ", std::max(workers, 0), " conv worker(s)"));
  if (workers % fc_ranks != 0)
    throw InputError(cat("--dist stanza:", fc_ranks,
                         " needs the same number of conv workers for "
                         "every fully connected rank; ",
                         world_size, " ranks give ", workers, " workers for ", fc_ranks));
}

std::vector<int> StanzaLayout::workers_of(int fc_rank) const {
  std::vector<int> ranks;
  for (int w = fc_rank - workers; w < workers; w += fc_ranks) ranks.push_back(w);
  return ranks;
}

std::vector<int> StanzaLayout::worker_ranks() const {
  std::vector<int> ranks(static_cast<size_t>(workers));
  for (int w = 0; w < workers; ++w) ranks[static_cast<size_t>(w)] = w;
  return ranks;
}

std::vector<int> StanzaLayout::fc_rank_list() const {
  std::vector<int> ranks;
  for (int f = 0; f < fc_ranks; ++f) ranks.push_back(workers + f);
  return ranks;
}

int64_t StanzaLayout::worker_bytes_per_step() const {
  return message_floats() * static_cast<int64_t>(sizeof(float));
}

int64_t StanzaLayout::fc_link_bytes_per_step() const {
  return workers_per_fc() * worker_bytes_per_step();
}

StanzaWorker::StanzaWorker(Communicator& world, Trainer& trainer, const StanzaLayout& layout,
                           const Graph& model, const ClassifierSplit& split)
    : world_(world),
      trainer_(trainer),
      layout_(layout),
      model_(model),
      classifier_(split.classifier),
      fc_rank_(layout.fc_rank_of(world.rank())),
      message_(static_cast<size_t>(layout.message_floats())),
      answer_(static_cast<size_t>(layout.answer_floats())) {
  trainer.output_gradient = [this](const Batch& batch, const Tensor& features, Tensor& gradient) {
    return exchange(batch, features, gradient);
  };
}

StepResult StanzaWorker::exchange(const Batch& batch, const Tensor& features, Tensor& gradient) {
  const int64_t n = layout_.batch * layout_.features;
  SINTER_CHECK(features.numel() == n && gradient.numel() == n && batch.size == layout_.batch,
               "Stanza features of an unexpected size");
  const float* f = features.data<float>();
  std::copy(f, f + n, message_.begin());
  const int64_t* labels = batch.labels.data<int64_t>();
  for (int64_t i = 0; i < batch.size; ++i)
    message_[static_cast<size_t>(n + i)] = static_cast<float>(labels[i]);
  message_.back() = kStep;
  world_.send(fc_rank_, message_.data(), bytes(layout_.message_floats()), "stanza features");
  world_.recv(fc_rank_, answer_.data(), bytes(layout_.answer_floats()), "stanza feature gradients");
  if (answer_[static_cast<size_t>(n + 1)] < 0)
    throw Error(cat("rank ", world_.rank(), ": the fully connected rank ", fc_rank_,
                    " failed in step ", trainer_.steps() + 1, " (its own line says why)"));
  std::copy(answer_.begin(), answer_.begin() + n, gradient.data<float>());
  StepResult r;
  r.loss = answer_[static_cast<size_t>(n)];
  r.correct = static_cast<int64_t>(answer_[static_cast<size_t>(n + 1)]);
  return r;
}

Graph StanzaWorker::model() {
  SINTER_CHECK(!finished_, "the Stanza classifier is gone after finish()");
  if (fetched_at_step_ == trainer_.steps())
    return join_parts(model_, trainer_.model(), classifier_);
  fetched_at_step_ = trainer_.steps();
  message_.back() = kFetchClassifier;
  world_.send(fc_rank_, message_.data(), bytes(layout_.message_floats()), "stanza features");
  std::vector<float> state(static_cast<size_t>(state_floats(classifier_)));
  world_.recv(fc_rank_, state.data(), bytes(static_cast<int64_t>(state.size())),
              "stanza classifier");
  const float* at = state.data();
  for (const std::string& name : state_names(classifier_)) {
    Tensor t = classifier_.initializers.at(name).clone();
    std::copy(at, at + t.numel(), t.data<float>());
    at += t.numel();
    classifier_.initializers[name] = std::move(t);
  }
  return join_parts(model_, trainer_.model(), classifier_);
}

void StanzaWorker::finish() {
  if (finished_) return;
  finished_ = true;
  message_.back() = kDone;
  world_.send(fc_rank_, message_.data(), bytes(layout_.message_floats()), "stanza features");
}

int64_t serve_classifier(Communicator& world, Trainer& trainer, const StanzaLayout& layout) {
  const std::vector<int> served = layout.workers_of(world.rank());
  const auto m = static_cast<int64_t>(served.size());
  const int64_t b = layout.batch, k = layout.features, n = b * k;
  const int64_t in = layout.message_floats(), out = layout.answer_floats();
  std::vector<float> messages(static_cast<size_t>(m * in)), answers(static_cast<size_t>(m * out));
  Batch batch{Tensor(DType::kFloat32, {m * b, k}), Tensor(DType::kInt64, {m * b}), m * b};
  int64_t steps = 0;
  for (;;) {
    // Every worker's next message; one asking for the classifier is answered, and that worker
    // then sends its step.
    std::vector<bool> got(static_cast<size_t>(m), false);
    while (std::find(got.begin(), got.end(), false) != got.end()) {
      std::vector<Communicator::Message> receives;
      for (int64_t w = 0; w < m; ++w)
        if (!got[static_cast<size_t>(w)])
          receives.push_back({served[static_cast<size_t>(w)], messages.data() + w * in, bytes(in)});
      world.transfer({}, receives, "stanza features");
      for (int64_t w = 0; w < m; ++w) {
        if (got[static_cast<size_t>(w)]) continue;
        if (messages[static_cast<size_t>(w * in + in - 1)] != kFetchClassifier) {
          got[static_cast<size_t>(w)] = true;
          continue;
        }
        const Graph model = trainer.model();
        std::vector<float> state;
        for (const std::string& name : state_names(model)) {
          const Tensor& t = model.initializers.at(name);
          state.insert(state.end(), t.data<float>(), t.data<float>() + t.numel());
        }
        world.send(served[static_cast<size_t>(w)], state.data(),
                   bytes(static_cast<int64_t>(state.size())), "stanza classifier");
      }
    }
    int64_t done = 0;
    for (int64_t w = 0; w < m; ++w) done += messages[static_cast<size_t>(w * in + in - 1)] == kDone;
    if (done == m) return steps;
    if (done > 0)
      throw CommError(cat("rank ", world.rank(), ": ", done, " of ", m,
                          " conv workers stopped while the others went on (desynchronized)"));

    float* features = batch.images.data<float>();
    int64_t* labels = batch.labels.data<int64_t>();
    for (int64_t w = 0; w < m; ++w) {
      const float* message = messages.data() + w * in;
      std::copy(message, message + n, features + w * n);
      for (int64_t i = 0; i < b; ++i) labels[w * b + i] = static_cast<int64_t>(message[n + i]);
    }
    StepResult r;
    try {
      r = trainer.step(batch);
    } catch (const Error&) {
      // The workers wait for their answers: they learn of the failure before this rank reports it.
      std::vector<Communicator::Message> failed;
      for (int64_t w = 0; w < m; ++w) {
        answers[static_cast<size_t>(w * out + n + 1)] = -1;
        failed.push_back({served[static_cast<size_t>(w)], answers.data() + w * out, bytes(out)});
      }
      world.transfer(failed, {}, "stanza feature gradients");
      throw;
    }
    ++steps;
    // Each worker gets the gradient of its own batch's mean loss: the classifier's loss is the
    // mean over m batches, so its input gradient is scaled by m.
    const float* gradient = trainer.input_gradient().data<float>();
    const float* logits = trainer.output().data<float>();
    const int64_t classes = trainer.output().shape()[1];
    const auto scale = static_cast<float>(m);
    std::vector<Communicator::Message> sends;
    for (int64_t w = 0; w < m; ++w) {
      float* answer = answers.data() + w * out;
      for (int64_t i = 0; i < n; ++i) answer[i] = gradient[w * n + i] * scale;
      int64_t correct = 0;
      for (int64_t i = w * b; i < (w + 1) * b; ++i) {
        const float* row = logits + i * classes;
        correct += std::max_element(row, row + classes) - row == labels[i];
      }
      answer[n] = r.loss;
      answer[n + 1] = static_cast<float>(correct);
      sends.push_back({served[static_cast<size_t>(w)], answer, bytes(out)});
    }
    world.transfer(sends, {}, "stanza feature gradients");
  }
}

}  // namespace sinter
