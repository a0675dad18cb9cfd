#pragma once
// Turns an inference model into one training step's graph: BatchNormalization normalizes with
// the batch's own statistics (one fused op, BatchNormTraining, with a fused gradient) and
// reports updated running statistics; Dropout multiplies by a mask the trainer feeds; a
// loss (softmax cross-entropy or mean squared error) is appended; parameters become graph inputs;
// and the backward pass is appended by autodiff. One Session then runs a whole forward + backward
// step.
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace sinter {

enum class Loss {
  kCrossEntropy,      // softmax cross-entropy against (possibly smoothed) target distributions
  kMeanSquaredError,  // mean over every element of (logits - targets)^2, as torch's MSELoss
  // The model is the front part of a larger one whose rest runs elsewhere (Stanza's conv
  // workers): the "labels" input holds d(loss)/d(output), found by the rest, and the loss is
  // sum(output * labels), so the backward pass propagates exactly that gradient.
  kOutputGradient,
};

struct TrainingGraph {
  Graph graph;
  std::string image;   // input: float32 [batch, ...] as the model's input
  std::string labels;  // input: float32 [batch, classes], one-hot (or smoothed) targets
  std::vector<std::string> parameters;  // graph inputs holding the trainable tensors
  std::vector<std::string> gradients;   // outputs, d(loss)/d(parameter), in the same order
  // (running statistic, output holding its value after this step) for each BatchNormalization.
  std::vector<std::pair<std::string, std::string>> running_stats;
  // Inputs the trainer fills for each Dropout: 0 for dropped elements, 1/(1-ratio) for kept.
  std::vector<std::pair<std::string, float>> dropout_masks;  // (input name, ratio)
  std::string loss = "loss";                                 // output: the batch's mean loss
  std::string logits;  // output: the model's output for the batch (its own name)
  // Output d(loss)/d(image) when asked for (the back part of a split model), else "".
  std::string input_gradient;
};

// `model`: one float32 input [N, ...] (N may be dynamic) and one output of logits [N, classes].
// Trainable parameters are its float initializers other than BatchNormalization's running
// statistics. With `input_gradient`, the step also outputs d(loss)/d(input), after the parameters'
// gradients. Outputs: the loss, the logits, the gradients, the input's gradient if asked for, then
// the updated running statistics. Throws InputError / UnsupportedError (naming the node) for what
// it cannot train.
TrainingGraph make_training_graph(const Graph& model, int64_t batch,
                                  Loss loss = Loss::kCrossEntropy, bool input_gradient = false);

}  // namespace sinter
