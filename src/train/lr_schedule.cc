#include "train/lr_schedule.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <vector>

#include "core/error.h"
#include "core/parse_number.h"

namespace sinter {

LrSchedule::~LrSchedule() = default;

float ConstantLr::lr(int64_t) const { return base_lr_; }

StepDecayLr::StepDecayLr(float base_lr, int64_t every, float gamma)
    : base_lr_(base_lr), every_(every), gamma_(gamma) {
  SINTER_CHECK(every_ >= 1, "step decay interval must be >= 1, got ", every_);
}

float StepDecayLr::lr(int64_t step) const {
  const int64_t k = std::max<int64_t>(step, 0) / every_;
  return static_cast<float>(base_lr_ * std::pow(static_cast<double>(gamma_), k));
}

CosineLr::CosineLr(float base_lr, int64_t total_steps, float min_lr)
    : base_lr_(base_lr), total_steps_(total_steps), min_lr_(min_lr) {
  SINTER_CHECK(total_steps_ >= 1, "cosine schedule needs total_steps >= 1, got ", total_steps_);
}

float CosineLr::lr(int64_t step) const {
  const double t = static_cast<double>(std::clamp<int64_t>(step, 0, total_steps_));
  const double c = (1.0 + std::cos(std::numbers::pi * t / static_cast<double>(total_steps_))) / 2;
  return static_cast<float>(min_lr_ + (static_cast<double>(base_lr_) - min_lr_) * c);
}

OneCycleLr::OneCycleLr(float max_lr, int64_t total_steps, double pct_start, double div_factor,
                       double final_div_factor)
    : max_lr_(max_lr),
      initial_lr_(max_lr / div_factor),
      min_lr_(initial_lr_ / final_div_factor),
      warm_end_(pct_start * static_cast<double>(total_steps) - 1.0),
      total_steps_(total_steps) {
  // torch divides by (end_step - start_step) in both phases; these keep both non-zero.
  SINTER_CHECK(warm_end_ > 0.0 && warm_end_ < static_cast<double>(total_steps - 1),
               "one-cycle schedule needs more steps, got ", total_steps);
}

float OneCycleLr::lr(int64_t step) const {
  // torch's _annealing_cos: end + (start - end) / 2 * (cos(pi * pct) + 1).
  auto anneal = [](double start, double end, double pct) {
    return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
  };
  const double s = static_cast<double>(std::clamp<int64_t>(step, 0, total_steps_ - 1));
  if (s <= warm_end_) return static_cast<float>(anneal(initial_lr_, max_lr_, s / warm_end_));
  const double end = static_cast<double>(total_steps_ - 1);
  return static_cast<float>(anneal(max_lr_, min_lr_, (s - warm_end_) / (end - warm_end_)));
}

WarmupLr::WarmupLr(std::unique_ptr<LrSchedule> inner, int64_t warmup_steps)
    : inner_(std::move(inner)), warmup_steps_(warmup_steps) {
  SINTER_CHECK(inner_ != nullptr && warmup_steps_ >= 1, "bad warm-up of ", warmup_steps_, " steps");
}

float WarmupLr::lr(int64_t step) const {
  if (step >= warmup_steps_) return inner_->lr(step - warmup_steps_);
  const double frac = static_cast<double>(std::max<int64_t>(step, 0) + 1) / warmup_steps_;
  return static_cast<float>(inner_->lr(0) * frac);
}

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// Whole-string numeric parses; nullopt-like failure is reported by the caller with the spec.
bool parse_int(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  out = v;
  return true;
}

bool parse_float(const std::string& s, float& out) {
  const std::optional<double> v = parse_double(s);
  if (v) out = static_cast<float>(*v);
  return v.has_value();
}

}  // namespace

std::unique_ptr<LrSchedule> make_schedule(const std::string& spec, float base_lr,
                                          int64_t total_steps, int64_t warmup_steps) {
  auto bad = [&](const std::string& why) {
    return InputError(cat("learning-rate schedule '", spec, "': ", why));
  };
  if (!std::isfinite(base_lr) || base_lr <= 0.0f)
    throw bad(cat("base learning rate must be finite and > 0, got ", base_lr));
  if (warmup_steps < 0) throw bad(cat("warm-up steps must be >= 0, got ", warmup_steps));
  if (total_steps <= warmup_steps)
    throw bad(
        cat("total steps (", total_steps, ") must exceed warm-up steps (", warmup_steps, ")"));
  const int64_t steps = total_steps - warmup_steps;

  const std::vector<std::string> parts = split(spec, ':');
  const std::string& kind = parts[0];
  std::unique_ptr<LrSchedule> s;
  if (kind == "constant" && parts.size() == 1) {
    s = std::make_unique<ConstantLr>(base_lr);
  } else if (kind == "step") {
    int64_t every = 0;
    float gamma = 0.0f;
    if (parts.size() != 3 || !parse_int(parts[1], every) || !parse_float(parts[2], gamma))
      throw bad("expected step:N:gamma");
    if (every < 1) throw bad("N must be >= 1");
    if (gamma <= 0.0f) throw bad("gamma must be > 0");
    s = std::make_unique<StepDecayLr>(base_lr, every, gamma);
  } else if (kind == "cosine" && parts.size() <= 2) {
    float min_lr = 0.0f;
    if (parts.size() == 2 && !parse_float(parts[1], min_lr)) throw bad("expected cosine:MIN_LR");
    if (min_lr < 0.0f || min_lr > base_lr) throw bad("MIN_LR must be in [0, base_lr]");
    s = std::make_unique<CosineLr>(base_lr, steps, min_lr);
  } else if (kind == "onecycle" && parts.size() == 1) {
    // Both phases must span at least one step: 0.3 * steps - 1 > 0 and < steps - 1.
    if (0.3 * static_cast<double>(steps) - 1.0 <= 0.0)
      throw bad(cat("one-cycle needs at least 4 steps after warm-up, got ", steps));
    s = std::make_unique<OneCycleLr>(base_lr, steps);
  } else {
    throw bad("expected constant, step:N:gamma, cosine[:MIN_LR] or onecycle");
  }
  if (warmup_steps > 0) s = std::make_unique<WarmupLr>(std::move(s), warmup_steps);
  return s;
}

}  // namespace sinter
