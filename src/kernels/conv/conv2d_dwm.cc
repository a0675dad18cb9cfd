#include "kernels/conv/conv2d_dwm.h"

#include <algorithm>

#include "kernels/conv/conv2d_winograd.h"
#include "kernels/thread_scratch.h"

namespace sinter {

bool Conv2dDwm::supports(const Conv2dShape& s) {
  return s.stride_h == 1 && s.stride_w == 1 && s.dilation_h == 1 && s.dilation_w == 1 &&
         s.group == 1 && (s.KH > 3 || s.KW > 3) && s.KH <= 9 && s.KW <= 9 && s.OH() > 0 &&
         s.OW() > 0;
}

Conv2dDwm::Conv2dDwm(const Conv2dShape& s, const float* w) : s_(s) {
  const int64_t ph = (s.KH + 2) / 3;
  pieces_w_ = (s.KW + 2) / 3;
  piece_shape_ = s;
  piece_shape_.H = s.OH() + 2;
  piece_shape_.W = s.OW() + 2;
  piece_shape_.KH = piece_shape_.KW = 3;
  piece_shape_.pad_top = piece_shape_.pad_left = piece_shape_.pad_bottom = piece_shape_.pad_right =
      0;
  std::vector<float> piece(static_cast<size_t>(s.M * s.C * 9));
  for (int64_t a = 0; a < ph; ++a)
    for (int64_t b = 0; b < pieces_w_; ++b) {
      std::fill(piece.begin(), piece.end(), 0.0f);
      for (int64_t mc = 0; mc < s.M * s.C; ++mc)
        for (int64_t i = 0; i < 3 && 3 * a + i < s.KH; ++i)
          for (int64_t j = 0; j < 3 && 3 * b + j < s.KW; ++j)
            piece[mc * 9 + i * 3 + j] = w[(mc * s.KH + 3 * a + i) * s.KW + 3 * b + j];
      pieces_.push_back(std::make_unique<Conv2dWinograd>(piece_shape_, piece.data()));
    }
}

Conv2dDwm::~Conv2dDwm() = default;

void Conv2dDwm::run(const float* x, float* y, const float* bias, const float* residual,
                    const Activation& act, ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t hp = piece_shape_.H, wp = piece_shape_.W;
  const int64_t in_plane = s.H * s.W, piece_plane = hp * wp;
  // One piece's input: rows [3a - pad_top, ...) and columns [3b - pad_left, ...) of the image,
  // zero outside it.
  float* window = kernels::thread_scratch<Conv2dDwm>(s.N * s.C * piece_plane);
  for (size_t p = 0; p < pieces_.size(); ++p) {
    const int64_t top = 3 * static_cast<int64_t>(p / pieces_w_) - s.pad_top;
    const int64_t left = 3 * static_cast<int64_t>(p % pieces_w_) - s.pad_left;
    for (int64_t nc = 0; nc < s.N * s.C; ++nc) {
      float* dst = window + nc * piece_plane;
      const float* src = x + nc * in_plane;
      for (int64_t r = 0; r < hp; ++r) {
        float* row = dst + r * wp;
        const int64_t iy = top + r;
        if (iy < 0 || iy >= s.H) {
          std::fill(row, row + wp, 0.0f);
          continue;
        }
        const int64_t c0 = std::clamp<int64_t>(-left, 0, wp);
        const int64_t c1 = std::clamp<int64_t>(s.W - left, c0, wp);
        std::fill(row, row + c0, 0.0f);
        std::copy(src + iy * s.W + left + c0, src + iy * s.W + left + c1, row + c0);
        std::fill(row + c1, row + wp, 0.0f);
      }
    }
    const bool first = p == 0, last = p + 1 == pieces_.size();
    pieces_[p]->run(window, y, last ? bias : nullptr, first ? residual : y,
                    last ? act : Activation{}, pool);
  }
}

}  // namespace sinter
