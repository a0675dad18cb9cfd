#pragma once
// Which entries of a weight tensor survive pruning: the output of every pruning projection and
// what masked retraining multiplies the weights by after each step.
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace sinter {

class Mask {
 public:
  // `keep` holds one 0 or 1 per element of `shape`, row-major. Throws InputError otherwise.
  Mask(Shape shape, std::vector<uint8_t> keep);
  // Keeps exactly the nonzero entries of `w` (float32): the mask of an already pruned tensor.
  static Mask of_nonzeros(const Tensor& w);

  const Shape& shape() const { return values_.shape(); }
  int64_t numel() const { return values_.numel(); }
  // A uint8 tensor of 0/1 with the weight's shape. Masks never change after construction, so
  // sharing this buffer is safe.
  const Tensor& values() const { return values_; }
  bool kept(int64_t i) const { return values_.data<uint8_t>()[i] != 0; }
  int64_t count_kept() const { return count_kept_; }
  // The pruned fraction, 0 for an empty mask.
  double sparsity() const;

  // w *= mask in place. Throws InputError unless `w` is float32 of the mask's shape.
  void apply(Tensor& w) const;
  // A pruned copy of `w`; `w` is untouched (the projection itself, for ADMM's Z update).
  Tensor applied_to(const Tensor& w) const;

 private:
  Tensor values_;
  int64_t count_kept_ = 0;
};

}  // namespace sinter
