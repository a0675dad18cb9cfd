// The blocked max pool at every ISA tier with code of its own, on one and two threads, against
// max_pool2d_reference on the NCHW tensors: 3x3/2 with ceil_mode (squeezenet), 2x2/2, padded and
// dilated windows, channels not a multiple of 16, NaNs (which must win their windows).
#include "kernels/blocked/blocked_max_pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "family_tiers.h"

namespace sinter::kernels {
namespace {

Pool2dParams params(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t s, int64_t pad,
                    bool ceil_mode, int64_t dilation = 1) {
  Pool2dParams p;
  p.batch = n, p.channels = c, p.in_h = h, p.in_w = w;
  p.kernel_h = p.kernel_w = k, p.stride_h = p.stride_w = s;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.dilation_h = p.dilation_w = dilation;
  p.ceil_mode = ceil_mode;
  return p;
}

TEST(BlockedMaxPool, MatchesReferenceWithNaNs) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const std::vector<Pool2dParams> cases = {
      params(1, 64, 111, 111, 3, 2, 0, true), params(1, 128, 55, 55, 3, 2, 0, true),
      params(2, 40, 12, 12, 2, 2, 0, false),  params(1, 17, 9, 11, 3, 1, 1, false),
      params(1, 32, 14, 14, 3, 2, 1, true),   params(1, 16, 10, 10, 3, 1, 1, false, 2),
  };
  ThreadPool pool2(2);
  for (const Pool2dParams& p : cases) {
    const int64_t HW = p.in_h * p.in_w, OHW = p.out_h() * p.out_w();
    std::vector<float> x(static_cast<size_t>(p.batch * p.channels * HW));
    for (auto& v : x) v = rng() % 97 == 0 ? NAN : dist(rng);
    std::vector<float> want(static_cast<size_t>(p.batch * p.channels * OHW)), got(want.size());
    max_pool2d_reference(p, x.data(), want.data());
    std::vector<float> xb(
        static_cast<size_t>(p.batch * channel_blocks(p.channels) * HW * kChannelBlock));
    reorder_to_blocked(x.data(), p.batch, p.channels, HW, xb.data());
    std::vector<float> yb(
        static_cast<size_t>(p.batch * channel_blocks(p.channels) * OHW * kChannelBlock));
    for (Isa isa : family_tiers("blocked max pool", blocked_pool_kernels()))
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
        std::fill(yb.begin(), yb.end(), -777.0f);
        max_pool_blocked(p, xb.data(), yb.data(), pool, blocked_pool_kernels().at(isa));
        reorder_from_blocked(yb.data(), p.batch, p.channels, OHW, got.data());
        const std::string where = std::string(isa_name(isa)) + " C" + std::to_string(p.channels) +
                                  " " + std::to_string(p.in_h) + "x" + std::to_string(p.in_w);
        for (size_t i = 0; i < want.size(); ++i) {
          if (std::isnan(want[i])) {
            ASSERT_TRUE(std::isnan(got[i])) << where << " at " << i;
          } else {
            ASSERT_EQ(got[i], want[i]) << where << " at " << i;
          }
        }
      }
  }
}

}  // namespace
}  // namespace sinter::kernels
