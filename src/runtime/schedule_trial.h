#pragma once
// Whether a schedule measurably wins: the scheduled plan and the sequential one timed taking turns
// (the host's load drifts over seconds, so both see the same drift), rounds of a few runs each,
// each one's median of its round medians compared. Sessions asking for IOS and `sinter compile`
// keep a schedule only when it wins here.
#include <functional>

namespace sinter {

// The share of the sequential time a schedule must save to be kept.
inline constexpr double kMinScheduleGain = 0.03;

struct ScheduleTrial {
  double sequential_ms = 0;
  double scheduled_ms = 0;
  bool kept = false;  // scheduled_ms at most (1 - min_gain) of sequential_ms
};

// `sequential` and `scheduled` each run the model once.
ScheduleTrial time_schedule(const std::function<void()>& sequential,
                            const std::function<void()>& scheduled, double min_gain);

}  // namespace sinter
