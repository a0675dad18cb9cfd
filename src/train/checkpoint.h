#pragma once
// Training checkpoints. A checkpoint is an ONNX model file: the model at that step (so `sinter
// eval` and ONNX Runtime read it like any model), plus the optimizer state as extra initializers
// under "sinter.optimizer/", state of the rest of the run (a distributed run's compressors, for
// instance) under "sinter.state/", and the trainer's position and settings as metadata. One file,
// written atomically: a crash or a full disk leaves the previous checkpoint intact.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/named_tensors.h"
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
  // Named tensors beyond the trainer's own, which a resumed run must restore to go on bit for bit.
  NamedTensors run_state;
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

// Throws InputError when the file cannot be read or is not a checkpoint (naming it), and what
// load_onnx throws for a malformed file.
Checkpoint load_checkpoint(const std::string& path);

// The checkpoint held by an already loaded model (load_checkpoint = load_onnx + this); `what`
// names it in messages.
Checkpoint checkpoint_from_graph(Graph model, const std::string& what);

}  // namespace sinter
