#pragma once
// A labelled image dataset held in memory, the unit every loader returns and DataLoader batches.
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace sinter {

struct Dataset {
  Tensor images;  // float32 [N, C, H, W]
  Tensor labels;  // int64 [N], each in [0, num_classes)
  int64_t num_classes = 0;
  std::string name;  // for messages: where the data came from

  int64_t size() const { return labels.rank() == 0 ? 0 : labels.dim(0); }
};

// Checks the invariants above; throws InputError naming the dataset when one fails. Loaders call
// it on what they build, and DataLoader on what it is given.
void validate(const Dataset& dataset);

// Maps every pixel x to (x - mean) / std in place. The images' buffer may be shared with copies
// of the Dataset (Tensor copies are shallow); they all see the change. Throws InputError when
// std is not positive and finite.
void normalize(Dataset& dataset, float mean, float std);

}  // namespace sinter
