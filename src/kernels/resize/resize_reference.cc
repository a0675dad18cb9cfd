// The resize by definition: each output element is the sum, over every combination of its axes'
// taps, of the input there times the product of the taps' weights; the extrapolation value where
// any axis maps outside the input. Its gradient adds each output's gradient back along the same
// terms.
#include "kernels/resize/resize.h"

namespace sinter::kernels {
namespace {

int64_t count(const std::vector<AxisGeometry>& axes, int64_t AxisGeometry::*size) {
  int64_t n = 1;
  for (const AxisGeometry& a : axes) n *= a.*size;
  return n;
}

// Calls term(i, offset, w) for every output element i and every combination of its axes' taps:
// input element `offset` with weight w; outside(i) instead where an axis maps outside.
template <class Term, class Outside>
void for_each_term(const ResizeOptions& opt, const std::vector<AxisGeometry>& axes, Term&& term,
                   Outside&& outside) {
  const size_t rank = axes.size();
  std::vector<std::vector<AxisSample>> samples(rank);
  std::vector<int64_t> in_stride(rank, 1);
  for (size_t d = rank; d-- > 0;) {
    for (int64_t o = 0; o < axes[d].out; ++o) samples[d].push_back(sample_axis(opt, axes[d], o));
    if (d + 1 < rank) in_stride[d] = in_stride[d + 1] * axes[d + 1].in;
  }
  std::vector<int64_t> at(rank, 0);  // the output element's coordinates
  const int64_t out_count = count(axes, &AxisGeometry::out);
  for (int64_t i = 0; i < out_count; ++i) {
    std::vector<const AxisSample*> s(rank);
    bool is_outside = false;
    for (size_t d = 0; d < rank; ++d) {
      s[d] = &samples[d][at[d]];
      is_outside = is_outside || s[d]->outside;
    }
    if (is_outside) {
      outside(i);
    } else {
      std::vector<size_t> tap(rank, 0);  // one tap per axis, counted like an odometer
      for (bool more = true; more;) {
        double w = 1;
        int64_t offset = 0;
        for (size_t d = 0; d < rank; ++d) {
          w *= s[d]->weight[tap[d]];
          offset += s[d]->index[tap[d]] * in_stride[d];
        }
        term(i, offset, w);
        more = false;
        for (size_t d = rank; d-- > 0;) {
          if (++tap[d] < s[d]->index.size()) {
            more = true;
            break;
          }
          tap[d] = 0;
        }
      }
    }
    for (size_t d = rank; d-- > 0;) {
      if (++at[d] < axes[d].out) break;
      at[d] = 0;
    }
  }
}

}  // namespace

void resize_reference(const ResizeOptions& opt, const std::vector<AxisGeometry>& axes,
                      const float* x, float* y) {
  std::vector<double> sum(static_cast<size_t>(count(axes, &AxisGeometry::out)), 0.0);
  for_each_term(
      opt, axes, [&](int64_t i, int64_t offset, double w) { sum[i] += w * x[offset]; },
      [&](int64_t i) { sum[i] = opt.extrapolation_value; });
  for (size_t i = 0; i < sum.size(); ++i) y[i] = static_cast<float>(sum[i]);
}

void resize_backward_reference(const ResizeOptions& opt, const std::vector<AxisGeometry>& axes,
                               const float* dy, float* dx) {
  std::vector<double> sum(static_cast<size_t>(count(axes, &AxisGeometry::in)), 0.0);
  for_each_term(
      opt, axes, [&](int64_t i, int64_t offset, double w) { sum[offset] += w * dy[i]; },
      [](int64_t) {});
  for (size_t i = 0; i < sum.size(); ++i) dx[i] = static_cast<float>(sum[i]);
}

}  // namespace sinter::kernels
