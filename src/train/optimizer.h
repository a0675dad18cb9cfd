#pragma once
// The optimizer interface for training: a list of parameters with their gradients, an update
// rule applied by step(lr), and per-parameter state that checkpoints can save and restore exactly.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/named_tensors.h"

namespace sinter {

// A trainable tensor and its gradient: both float32 and of the same shape. The optimizer does not
// own them; the trainer keeps them alive and fills `grad` before each step().
struct Parameter {
  std::string name;
  Tensor* value = nullptr;
  Tensor* grad = nullptr;
};

// Named state entries: "<param>.<slot>" float32 tensors shaped like the parameter, plus "steps"
// (an int64 scalar).
using OptimizerState = NamedTensors;

class Optimizer {
 public:
  // Throws InputError when a parameter is not float32, its gradient's shape differs, a pointer is
  // null or two parameters share a name.
  explicit Optimizer(std::vector<Parameter> params);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter from its gradient with learning rate `lr`.
  virtual void step(float lr) = 0;

  const std::vector<Parameter>& parameters() const { return params_; }
  // Completed step() calls, and steps made elsewhere.
  int64_t steps() const { return steps_; }
  // Counts a step whose update another rank made (a parameter server), so schedules and
  // checkpoints see the same count.
  void count_step_made_elsewhere() { ++steps_; }

  // Deep copies of the state, so a saved checkpoint does not change as training goes on. Slots
  // appear only once allocated (after the first step).
  OptimizerState state() const;
  // Replaces the whole state with `state` (copied). All or nothing: on InputError (an unknown,
  // duplicate, mis-shaped or missing entry, named in the message) nothing changes.
  void load_state(const OptimizerState& state);

 protected:
  // The per-parameter slots this optimizer keeps, such as {"momentum"}; empty for none.
  virtual std::vector<std::string> slot_names() const = 0;
  // Whether parameter `p`'s slots exist yet. State is lazy so a plain SGD keeps none, and so
  // "first step" rules (SGD's buf = d_p) can tell a fresh slot from a zero one.
  bool has_slots(size_t p) const { return allocated_[p]; }
  // Slot `s` of parameter `p`, allocating all of p's slots zero-filled on first use.
  Tensor& slot(size_t p, size_t s);
  // Derived step() implementations call this once per completed step.
  void count_step() { ++steps_; }

 private:
  std::vector<Parameter> params_;
  std::vector<std::vector<Tensor>> slots_;  // [param][slot]
  std::vector<bool> allocated_;
  int64_t steps_ = 0;
};

}  // namespace sinter
