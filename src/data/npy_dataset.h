#pragma once
// A dataset from two .npy files, the simplest way to bring data prepared in Python.
#include <string>

#include "data/dataset.h"

namespace sinter {

// Reads images and labels saved with numpy.save. Images: float32 [N,C,H,W] or [N,H,W] (given
// C = 1), or uint8 of either shape, scaled by 1/255 to [0,1]; float images must be finite.
// Labels: int64 or int32 [N], non-negative; num_classes is the largest label + 1. Throws
// InputError naming the file (both files, with their shapes, when the counts differ).
Dataset load_npy_dataset(const std::string& images_path, const std::string& labels_path);

}  // namespace sinter
