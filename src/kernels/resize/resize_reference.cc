// The resize by definition: each output element is the sum, over every combination of its axes'
// taps, of the input there times the product of the taps' weights; the extrapolation value where
// any axis maps outside the input.
#include "kernels/resize/resize.h"

namespace sinter::kernels {

void resize_reference(const ResizeOptions& opt, const std::vector<AxisGeometry>& axes,
                      const float* x, float* y) {
  const size_t rank = axes.size();
  std::vector<std::vector<AxisSample>> samples(rank);
  std::vector<int64_t> in_stride(rank, 1);
  int64_t out_count = 1;
  for (size_t d = rank; d-- > 0;) {
    for (int64_t o = 0; o < axes[d].out; ++o) samples[d].push_back(sample_axis(opt, axes[d], o));
    if (d + 1 < rank) in_stride[d] = in_stride[d + 1] * axes[d + 1].in;
    out_count *= axes[d].out;
  }
  std::vector<int64_t> at(rank, 0);  // the output element's coordinates
  for (int64_t i = 0; i < out_count; ++i) {
    std::vector<const AxisSample*> s(rank);
    bool outside = false;
    for (size_t d = 0; d < rank; ++d) {
      s[d] = &samples[d][at[d]];
      outside = outside || s[d]->outside;
    }
    if (outside) {
      y[i] = opt.extrapolation_value;
    } else {
      double sum = 0;
      std::vector<size_t> tap(rank, 0);  // one tap per axis, counted like an odometer
      for (bool more = true; more;) {
        double w = 1;
        int64_t offset = 0;
        for (size_t d = 0; d < rank; ++d) {
          w *= s[d]->weight[tap[d]];
          offset += s[d]->index[tap[d]] * in_stride[d];
        }
        sum += w * x[offset];
        more = false;
        for (size_t d = rank; d-- > 0;) {
          if (++tap[d] < s[d]->index.size()) {
            more = true;
            break;
          }
          tap[d] = 0;
        }
      }
      y[i] = static_cast<float>(sum);
    }
    for (size_t d = rank; d-- > 0;) {
      if (++at[d] < axes[d].out) break;
      at[d] = 0;
    }
  }
}

}  // namespace sinter::kernels
