#pragma once
// Classification quality of a model on a labelled dataset: accuracy, mean cross-entropy and the
// confusion matrix, with the model run for inference (BatchNormalization on running statistics,
// Dropout off) by an ordinary Session.
#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "ir/graph.h"
#include "runtime/session.h"

namespace sinter {

struct Evaluation {
  int64_t samples = 0;
  int64_t correct = 0;
  double accuracy = 0.0;  // correct / samples
  double loss = 0.0;      // mean softmax cross-entropy of the logits
  int64_t num_classes = 0;
  // confusion[true_class * num_classes + predicted_class]: sample counts.
  std::vector<int64_t> confusion;
  // Every sample's logits [samples, num_classes], when asked for.
  std::vector<float> logits;
  double seconds = 0.0;  // wall time of the inference runs
};

// Runs `model` (one float input [N, ...], one output of logits [N, classes]) over `data` in
// batches of `batch` on `threads` threads. Every batch has the same shape (the last is padded
// and the padding ignored), so one plan serves them all. Throws InputError when the model's
// input does not fit the dataset's images or its class count is smaller than the dataset's, and
// NumericError naming the first sample whose logits are not finite. `integer_layers`: run a QDQ
// model's quantized layers on integer kernels (false: in float, as the file's ops are written).
Evaluation evaluate(const Graph& model, const Dataset& data, int64_t batch = 256, int threads = 1,
                    bool keep_logits = false, bool integer_layers = true);

// The same on a session made already (a plan file's, say) whose one input `input` takes images
// in batches of `batch`.
Evaluation evaluate(Session& session, const std::string& input, int64_t batch, const Dataset& data,
                    bool keep_logits = false);

}  // namespace sinter
