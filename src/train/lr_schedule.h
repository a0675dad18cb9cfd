#pragma once
// Learning-rate schedules evaluated per optimizer step (0-based), not per epoch.
#include <cstdint>
#include <memory>
#include <string>

namespace sinter {

class LrSchedule {
 public:
  virtual ~LrSchedule();
  // The learning rate for step `step` (0-based). Steps past the horizon keep the final value.
  virtual float lr(int64_t step) const = 0;
};

// base_lr throughout.
class ConstantLr : public LrSchedule {
 public:
  explicit ConstantLr(float base_lr) : base_lr_(base_lr) {}
  float lr(int64_t step) const override;

 private:
  float base_lr_;
};

// base_lr * gamma^floor(step / every) (torch StepLR, counted in steps).
class StepDecayLr : public LrSchedule {
 public:
  StepDecayLr(float base_lr, int64_t every, float gamma);
  float lr(int64_t step) const override;

 private:
  float base_lr_;
  int64_t every_;
  float gamma_;
};

// min_lr + (base_lr - min_lr) * (1 + cos(pi * step / total_steps)) / 2, reaching min_lr at step
// total_steps (torch CosineAnnealingLR's closed form with T_max = total_steps).
class CosineLr : public LrSchedule {
 public:
  CosineLr(float base_lr, int64_t total_steps, float min_lr);
  float lr(int64_t step) const override;

 private:
  float base_lr_;
  int64_t total_steps_;
  float min_lr_;
};

// torch OneCycleLR with its defaults (anneal_strategy "cos", three_phase false): rises from
// max_lr/div_factor to max_lr over the first pct_start of the steps, then falls to
// initial/final_div_factor at step total_steps - 1. base_lr is max_lr.
class OneCycleLr : public LrSchedule {
 public:
  OneCycleLr(float max_lr, int64_t total_steps, double pct_start = 0.3, double div_factor = 25.0,
             double final_div_factor = 1e4);
  float lr(int64_t step) const override;

 private:
  double max_lr_, initial_lr_, min_lr_;
  double warm_end_;  // torch's float(pct_start * total_steps) - 1
  int64_t total_steps_;
};

// Linear warm-up in front of another schedule. For step < warmup_steps the rate is
// inner.lr(0) * (step + 1) / warmup_steps: it starts above zero (a zero-rate step would be wasted)
// and reaches the inner schedule's starting rate at step warmup_steps - 1. After that the inner
// schedule runs shifted: lr(step) = inner.lr(step - warmup_steps), so it should be built for
// total_steps - warmup_steps steps.
class WarmupLr : public LrSchedule {
 public:
  WarmupLr(std::unique_ptr<LrSchedule> inner, int64_t warmup_steps);
  float lr(int64_t step) const override;

 private:
  std::unique_ptr<LrSchedule> inner_;
  int64_t warmup_steps_;
};

// Builds a schedule from `spec`: "constant", "step:N:gamma", "cosine" (to 0), "cosine:MIN_LR",
// "onecycle". With warmup_steps > 0 the schedule is wrapped in WarmupLr and spans the remaining
// total_steps - warmup_steps steps. Throws InputError naming the spec when it is malformed, or
// when base_lr, total_steps or warmup_steps are out of range.
std::unique_ptr<LrSchedule> make_schedule(const std::string& spec, float base_lr,
                                          int64_t total_steps, int64_t warmup_steps = 0);

}  // namespace sinter
