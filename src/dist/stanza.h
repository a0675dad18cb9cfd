#pragma once
// Stanza (`--dist stanza:F`): the convolutions train data-parallel on the conv workers (ranks
// [0, workers)), the fully connected layers on F dedicated ranks (the last F), so what crosses the
// network is the flattened features and their gradients, not the classifier's parameters.
// Each step, every conv worker computes the features of its batch and sends them with the labels
// to its FC rank (worker w's is workers + w % F). The FC rank trains the classifier on its
// workers' batches as one batch and returns to each worker the gradient of that worker's mean
// loss with respect to its features. The workers finish their backward passes and average the
// convolutions' gradients among themselves, the FC ranks the classifier's among theirs (each
// group by DataParallel on its own Communicator::subgroup). So a step is the data-parallel step
// of the whole model, up to the order of the additions; BatchNorm and Dropout in the classifier see
// an FC rank's whole batch.
#include <cstdint>
#include <vector>

#include "dist/classifier_split.h"
#include "dist/communicator.h"
#include "train/trainer.h"

namespace sinter {

struct StanzaLayout {
  int workers = 0;
  int fc_ranks = 0;
  int64_t batch = 0;     // a worker's
  int64_t features = 0;  // floats a sample crosses the cut with
  // Throws InputError (the same on every rank) unless there is a worker, an FC rank, and the
  // same number of workers for every FC rank.
  StanzaLayout(int world_size, int fc_ranks, int64_t batch, int64_t features);
  bool is_fc(int rank) const { return rank >= workers; }
  int fc_rank_of(int worker) const { return workers + worker % fc_ranks; }
  int workers_per_fc() const { return workers / fc_ranks; }
  std::vector<int> workers_of(int fc_rank) const;
  std::vector<int> worker_ranks() const;
  std::vector<int> fc_rank_list() const;
  // Floats of a worker's message (features, labels, a flag) and of an FC rank's answer
  // (the features' gradient, the loss, the correct count, which is -1 when the FC rank failed).
  int64_t message_floats() const { return batch * features + batch + 1; }
  int64_t answer_floats() const { return batch * features + 2; }
  // Bytes a step: what a worker sends its FC rank, and what an FC rank's link carries in (its
  // workers' messages; their answers, a little less, go out).
  int64_t worker_bytes_per_step() const;
  int64_t fc_link_bytes_per_step() const;
};

// A conv worker's side: its trainer trains `split.features` with Loss::kOutputGradient;
// this sets the trainer's output_gradient to the exchange with its FC rank. Call finish() after
// the last step, so the FC ranks stop.
class StanzaWorker {
 public:
  StanzaWorker(Communicator& world, Trainer& trainer, const StanzaLayout& layout,
               const Graph& model, const ClassifierSplit& split);
  // The whole model: this worker's feature extractor and the classifier fetched from its FC rank
  // (once a step: evaluation and the checkpoint after it share the fetch).
  Graph model();
  void finish();

 private:
  StepResult exchange(const Batch& batch, const Tensor& features, Tensor& gradient);

  Communicator& world_;
  Trainer& trainer_;
  StanzaLayout layout_;
  Graph model_;
  Graph classifier_;
  int64_t fetched_at_step_ = -1;
  int fc_rank_ = 0;
  std::vector<float> message_, answer_;
  bool finished_ = false;
};

// An FC rank's side, with a trainer of `split.classifier` at batch layout.batch x
// workers_per_fc() with TrainerOptions::input_gradient: trains on its workers' features until
// they finish, and returns the steps it made. The trainer's on_gradients may average the
// classifier's gradients with the other FC ranks. When its step fails it tells its workers, which
// then fail too, before it throws.
int64_t serve_classifier(Communicator& world, Trainer& trainer, const StanzaLayout& layout);

}  // namespace sinter
