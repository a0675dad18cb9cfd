#pragma once
// Training checkpoints. A checkpoint is an ONNX model file: the model at that step (so `sinter
// eval` and ONNX Runtime read it like any model), plus the optimizer state as extra initializers
// under "sinter.optimizer/", and the trainer's position and settings as metadata. One file,
// written atomically: a crash or a full disk leaves the previous checkpoint intact.
#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"
#include "train/optimizer.h"

namespace sinter {

// Where a resumed run picks up: the epoch, and the first batch of it not yet trained on.
struct TrainingPosition {
  int64_t epoch = 0;
  int64_t batch = 0;
};

struct Checkpoint {
  Graph model;  // without the optimizer's initializers
  OptimizerState optimizer;
  TrainingPosition position;
  std::map<std::string, std::string> settings;  // what the run was started with
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

// Throws InputError when the file cannot be read or is not a checkpoint (naming it), and what
// load_onnx throws for a malformed file.
Checkpoint load_checkpoint(const std::string& path);

// The checkpoint held by an already loaded model (load_checkpoint = load_onnx + this); `what`
// names it in messages.
Checkpoint checkpoint_from_graph(Graph model, const std::string& what);

}  // namespace sinter
