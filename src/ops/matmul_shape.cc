#include "ops/matmul_shape.h"

#include <algorithm>

#include "core/error.h"

namespace sinter {

MatMulShape matmul_shape(const Node& node, const Shape& a, const Shape& b) {
  if (a.empty() || b.empty())
    throw ModelError(cat(node.describe(), ": operands must have rank >= 1"));
  MatMulShape s;
  s.M = a.size() == 1 ? 1 : a[a.size() - 2];
  s.K = a.back();
  const int64_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  s.N = b.size() == 1 ? 1 : b.back();
  if (s.K >= 0 && kb >= 0 && s.K != kb)
    throw ModelError(
        cat(node.describe(), ": inner dimensions differ: ", shape_str(a), " x ", shape_str(b)));
  s.batch_a.assign(a.begin(), a.end() - std::min<size_t>(a.size(), 2));
  s.batch_b.assign(b.begin(), b.end() - std::min<size_t>(b.size(), 2));
  try {
    s.batch = broadcast_shapes(s.batch_a, s.batch_b);
  } catch (const InputError& e) {
    throw ModelError(cat(node.describe(), ": batch dims do not broadcast: ", e.what()));
  }
  s.out = s.batch;
  if (a.size() > 1) s.out.push_back(s.M);
  if (b.size() > 1) s.out.push_back(s.N);
  return s;
}

std::vector<std::pair<int64_t, int64_t>> batch_offsets(const MatMulShape& s) {
  const int64_t n = shape_numel(s.batch);
  const size_t rank = s.batch.size();
  auto strides = [&](const Shape& part) {
    std::vector<int64_t> st(rank, 0);
    auto own = shape_strides(part);
    for (size_t d = 0; d < part.size(); ++d)
      if (part[d] != 1) st[d + rank - part.size()] = own[d];
    return st;
  };
  const auto sa = strides(s.batch_a), sb = strides(s.batch_b);
  const auto so = shape_strides(s.batch);
  std::vector<std::pair<int64_t, int64_t>> off(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < rank; ++d) {
      int64_t idx = (i / so[d]) % s.batch[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    off[i] = {oa, ob};
  }
  return off;
}

}  // namespace sinter
