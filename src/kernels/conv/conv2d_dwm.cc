#include "kernels/conv/conv2d_dwm.h"

#include <algorithm>

#include "kernels/conv/conv2d_winograd.h"
#include "kernels/thread_scratch.h"

namespace sinter {
namespace {

// How many c >= 0 have c * step < end.
int64_t count_below(int64_t end, int64_t step) { return end <= 0 ? 0 : (end + step - 1) / step; }

// Taps of a window of k at `stride` that phase p holds (k_p = ceil((k - p) / stride); none when
// a 1-wide window is strided).
int64_t phase_taps(int64_t k, int64_t stride, int64_t p) { return count_below(k - p, stride); }

// Calls f(p, q, a, b) for every piece: phase (p, q), 3x3 block (a, b) of its sub-kernel.
template <class F>
void for_each_piece(const Conv2dShape& s, F f) {
  for (int64_t p = 0; p < s.stride_h; ++p)
    for (int64_t q = 0; q < s.stride_w; ++q)
      for (int64_t a = 0; 3 * a < phase_taps(s.KH, s.stride_h, p); ++a)
        for (int64_t b = 0; 3 * b < phase_taps(s.KW, s.stride_w, q); ++b) f(p, q, a, b);
}

}  // namespace

bool Conv2dDwm::supports(const Conv2dShape& s) {
  const bool strided = s.stride_h == 2 || s.stride_w == 2;
  return s.stride_h >= 1 && s.stride_h <= 2 && s.stride_w >= 1 && s.stride_w <= 2 &&
         s.dilation_h == 1 && s.dilation_w == 1 && s.group == 1 &&
         std::max(s.KH, s.KW) >= (strided ? 3 : 4) && s.KH <= 9 && s.KW <= 9 && s.OH() > 0 &&
         s.OW() > 0;
}

int64_t Conv2dDwm::pieces(const Conv2dShape& s) {
  int64_t n = 0;
  for_each_piece(s, [&](int64_t, int64_t, int64_t, int64_t) { ++n; });
  return n;
}

bool Conv2dDwm::pays(const Conv2dShape& s) {
  // Measured against choose()'s other algorithms (docs/PERFORMANCE.md, "DWM"): DWM's time goes
  // with its pieces, theirs with the window's taps. At stride 2, one thread, DWM is 1.23x faster
  // on 5x5 128 -> 256 @28 (4 pieces for 25 taps) and 1.86x on 6x6, but only 1.02-1.07x on 7x7
  // (9 for 49) and 0.84x on 4x4. Below 128 input channels the transforms are shared by too few
  // (5x5 64 -> 128 @56 1.06x, 32 -> 64 @112 0.81x); below 16 tiles each piece's transformed
  // weights, 4x the raw ones, are streamed for too little work (256 -> 512 @14, 4 tiles: 0.37x).
  const int64_t tiles = (s.OH() + 3) / 4 * ((s.OW() + 3) / 4);
  return supports(s) && s.stride_h == 2 && s.stride_w == 2 && 6 * pieces(s) <= s.KH * s.KW &&
         s.C >= 128 && s.M >= 64 && tiles >= 16;
}

Conv2dDwm::Conv2dDwm(const Conv2dShape& s, const float* w) : s_(s) {
  piece_shape_ = s;
  piece_shape_.H = s.OH() + 2;
  piece_shape_.W = s.OW() + 2;
  piece_shape_.KH = piece_shape_.KW = 3;
  piece_shape_.stride_h = piece_shape_.stride_w = 1;
  piece_shape_.pad_top = piece_shape_.pad_left = piece_shape_.pad_bottom = piece_shape_.pad_right =
      0;
  const int64_t sh = s.stride_h, sw = s.stride_w;
  std::vector<float> piece(static_cast<size_t>(s.M * s.C * 9));
  for_each_piece(s, [&](int64_t p, int64_t q, int64_t a, int64_t b) {
    // Tap (i, j) of the piece is tap (3a + i, 3b + j) of the phase's sub-kernel, zero past it.
    std::fill(piece.begin(), piece.end(), 0.0f);
    for (int64_t mc = 0; mc < s.M * s.C; ++mc)
      for (int64_t i = 0, kh = p + sh * 3 * a; i < 3 && kh < s.KH; ++i, kh += sh)
        for (int64_t j = 0, kw = q + sw * 3 * b; j < 3 && kw < s.KW; ++j, kw += sw)
          piece[mc * 9 + i * 3 + j] = w[(mc * s.KH + kh) * s.KW + kw];
    pieces_.push_back({p + sh * 3 * a - s.pad_top, q + sw * 3 * b - s.pad_left,
                       std::make_unique<Conv2dWinograd>(piece_shape_, piece.data())});
  });
}

Conv2dDwm::~Conv2dDwm() = default;

void Conv2dDwm::run(const float* x, float* y, const float* bias, const float* residual,
                    const Activation& act, ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t hp = piece_shape_.H, wp = piece_shape_.W, sh = s.stride_h, sw = s.stride_w;
  const int64_t in_plane = s.H * s.W, piece_plane = hp * wp;
  // One piece's input: every stride-th row from `top` and column from `left` of the image, zero
  // outside it.
  float* window = kernels::thread_scratch<Conv2dDwm>(s.N * s.C * piece_plane);
  for (size_t k = 0; k < pieces_.size(); ++k) {
    const Piece& piece = pieces_[k];
    // Window columns [c0, c1) fall inside the image's width.
    const int64_t c0 = std::min(count_below(-piece.left, sw), wp);
    const int64_t c1 = std::clamp(count_below(s.W - piece.left, sw), c0, wp);
    for (int64_t nc = 0; nc < s.N * s.C; ++nc) {
      float* dst = window + nc * piece_plane;
      const float* src = x + nc * in_plane;
      for (int64_t r = 0; r < hp; ++r) {
        float* row = dst + r * wp;
        const int64_t iy = piece.top + sh * r;
        if (iy < 0 || iy >= s.H) {
          std::fill(row, row + wp, 0.0f);
          continue;
        }
        const float* in = src + iy * s.W;
        std::fill(row, row + c0, 0.0f);
        if (sw == 1) {
          // Offsets summed first: in + left alone can point before x.
          std::copy(in + (piece.left + c0), in + (piece.left + c1), row + c0);
        } else {
          for (int64_t c = c0; c < c1; ++c) row[c] = in[piece.left + sw * c];
        }
        std::fill(row + c1, row + wp, 0.0f);
      }
    }
    const bool first = k == 0, last = k + 1 == pieces_.size();
    piece.conv->run(window, y, last ? bias : nullptr, first ? residual : y,
                    last ? act : Activation{}, pool);
  }
}

}  // namespace sinter
