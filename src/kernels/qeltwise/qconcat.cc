#include "kernels/qeltwise/qconcat.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sinter::kernels {

RequantTable requant_table(float x_scale, int32_t x_zero_point, float y_scale,
                           int32_t y_zero_point) {
  RequantTable t;
  const float multiplier = x_scale / y_scale;
  for (int32_t v = 0; v < 256; ++v) {
    float r = static_cast<float>(v - x_zero_point) * multiplier;
    r = std::clamp(r, static_cast<float>(-y_zero_point), static_cast<float>(255 - y_zero_point));
    t[static_cast<size_t>(v)] =
        static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(r)) + y_zero_point);
  }
  return t;
}

void qconcat_channels(const std::vector<QConcatInput>& inputs, int64_t pixels, uint8_t* y,
                      ThreadPool* pool) {
  int64_t width = 0;
  for (const QConcatInput& in : inputs) width += in.channels;
  auto range = [&](int64_t begin, int64_t end, int) {
    for (int64_t p = begin; p < end; ++p) {
      uint8_t* out = y + p * width;
      for (const QConcatInput& in : inputs) {
        const uint8_t* x = in.x + p * in.channels;
        if (in.table) {
          for (int64_t c = 0; c < in.channels; ++c) out[c] = (*in.table)[x[c]];
        } else {
          std::memcpy(out, x, static_cast<size_t>(in.channels));
        }
        out += in.channels;
      }
    }
  };
  if (pool) {
    pool->parallel_range(pixels, 64, range);
  } else {
    range(0, pixels, 0);
  }
}

}  // namespace sinter::kernels
