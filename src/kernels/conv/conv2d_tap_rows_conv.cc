#include "kernels/conv/conv2d_tap_rows_conv.h"

namespace sinter {

std::vector<float> pack_tap_rows_conv_weights(int64_t rows, int64_t taps, const float* w) {
  const int64_t slivers = (rows + 5) / 6;
  std::vector<float> packed(static_cast<size_t>(slivers * taps * 6), 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < taps; ++t)
      packed[static_cast<size_t>((r / 6 * taps + t) * 6 + r % 6)] = w[r * taps + t];
  return packed;
}

}  // namespace sinter
