// Conv2dDirect: weight packing, the padded phase-split copy of each image, and the split of
// output rows over threads. The arithmetic is in the tier files (conv2d_direct_avx2.cc).
#include "kernels/conv/conv2d_direct.h"

#include <algorithm>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/thread_scratch.h"

namespace sinter {

namespace {
constexpr int64_t kBlock = 4;  // output channels per register block
}

const kernels::IsaTables<DirectConvKernels>& direct_conv_kernels() {
  static const DirectConvKernels none{nullptr};
  static const kernels::IsaTables<DirectConvKernels> t{&none, &detail::direct_conv_kernels_avx2(),
                                                       &detail::direct_conv_kernels_avx512()};
  return t;
}

bool Conv2dDirect::supports(const Conv2dShape& s) {
  return direct_conv_kernels().active().rows && s.group == 1 && s.C <= 4 && s.dilation_h == 1 &&
         s.dilation_w == 1 && (s.stride_w == 1 || s.stride_w == 2) && s.OH() > 0 && s.OW() > 0 &&
         s.padded_copy_is_small();
}

Conv2dDirect::Conv2dDirect(const Conv2dShape& s, const float* weights)
    : s_(s), rows_(direct_conv_kernels().active().rows) {
  SINTER_CHECK(rows_, "Conv2dDirect: no direct kernel at ISA tier ", isa_name(active_isa()));
  DirectConvLayout& l = layout_;
  const int64_t OH = s.OH(), OW = s.OW();
  l.phases = s.stride_w;
  l.hp = std::max(s.H + s.pad_top + s.pad_bottom, (OH - 1) * s.stride_h + s.KH);
  // Whole vectors of the widest tier read every row without running past the copy.
  l.wq = (OW + 15) / 16 * 16 + (s.KW - 1) / s.stride_w;
  l.blocks = (s.M + kBlock - 1) / kBlock;
  l.row_step = s.stride_h * l.phases * l.wq;
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t ky = 0; ky < s.KH; ++ky)
      for (int64_t kx = 0; kx < s.KW; ++kx)
        l.tap_offset.push_back(((c * l.hp + ky) * l.phases + kx % l.phases) * l.wq + kx / l.phases);
  const int64_t taps = s.C * s.KH * s.KW;
  packed_w_.assign(static_cast<size_t>(l.blocks * taps * kBlock), 0.0f);
  for (int64_t m = 0; m < s.M; ++m)
    for (int64_t t = 0; t < taps; ++t)
      packed_w_[static_cast<size_t>(((m / kBlock) * taps + t) * kBlock + m % kBlock)] =
          weights[m * taps + t];
}

void Conv2dDirect::copy_rows(const float* x, float* padded, int64_t r0, int64_t r1) const {
  const Conv2dShape& s = s_;
  const DirectConvLayout& l = layout_;
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t r = r0; r < r1; ++r) {
      float* dst = padded + (c * l.hp + r) * l.phases * l.wq;
      const int64_t iy = r - s.pad_top;
      if (iy < 0 || iy >= s.H) {
        std::fill(dst, dst + l.phases * l.wq, 0.0f);
        continue;
      }
      const float* src = x + (c * s.H + iy) * s.W;
      for (int64_t ph = 0; ph < l.phases; ++ph, dst += l.wq) {
        // Padded column j * phases + ph is image column j * phases + ph - pad_left.
        const int64_t first = ph - s.pad_left;
        const int64_t j0 = std::min(l.wq, first >= 0 ? 0 : (-first + l.phases - 1) / l.phases);
        const int64_t j1 = std::max(j0, std::min(l.wq, (s.W - first + l.phases - 1) / l.phases));
        std::fill(dst, dst + j0, 0.0f);
        if (l.phases == 1) {
          std::copy(src + first + j0, src + first + j1, dst + j0);
        } else {
          for (int64_t j = j0; j < j1; ++j) dst[j] = src[first + 2 * j];
        }
        std::fill(dst + j1, dst + l.wq, 0.0f);
      }
    }
}

void Conv2dDirect::run_rows(const float* x, float* y, int64_t plane, int64_t oy0, int64_t oy1,
                            const float* bias, const float* residual, const Activation& act) const {
  const Conv2dShape& s = s_;
  const DirectConvLayout& l = layout_;
  // The padded rows these output rows read go into the calling thread's own copy: the copy is
  // split with the work, and the kernel reads what its own core wrote.
  float* image = kernels::thread_scratch<Conv2dDirect>(s.C * l.hp * l.phases * l.wq);
  copy_rows(x, image, oy0 * s.stride_h, std::min(l.hp, (oy1 - 1) * s.stride_h + s.KH));
  rows_(s, l, image, packed_w_.data(), bias, residual, act, y, plane, oy0, oy1);
}

void Conv2dDirect::run(const float* x, float* y, const float* bias, const float* residual,
                       const Activation& act, ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t OH = s.OH(), out_image = s.M * OH * s.OW();
  const int threads = pool ? pool->num_threads() : 1;
  for (int64_t n = 0; n < s.N; ++n) {
    const float* xn = x + n * s.C * s.H * s.W;
    float* yn = y + n * out_image;
    const float* rn = residual ? residual + n * out_image : nullptr;
    auto rows = [&](int64_t b, int64_t e, int) {
      run_rows(xn, yn + b * s.OW(), OH * s.OW(), b, e, bias, rn ? rn + b * s.OW() : nullptr, act);
    };
    // A few rows per task at 1-2 threads' scale: enough to balance, few enough to stay cheap.
    if (threads > 1 && OH > 1) {
      pool->parallel_range(OH, 1, rows, 4);
    } else {
      rows(0, OH, 0);
    }
  }
}

}  // namespace sinter
