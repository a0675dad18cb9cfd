#include "runtime/schedule_trial.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace sinter {

ScheduleTrial time_schedule(const std::function<void()>& sequential,
                            const std::function<void()>& scheduled, double min_gain) {
  constexpr int kRounds = 9, kRuns = 5;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto round = [&](const std::function<void()>& run) {
    std::vector<double> ms;
    for (int r = 0; r < kRuns; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      run();
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return median(ms);
  };
  sequential();
  scheduled();
  std::vector<double> a, b;
  for (int r = 0; r < kRounds; ++r) {
    a.push_back(round(sequential));
    b.push_back(round(scheduled));
  }
  ScheduleTrial trial{median(a), median(b), false};
  trial.kept = trial.scheduled_ms <= trial.sequential_ms * (1 - min_gain);
  return trial;
}

}  // namespace sinter
