#pragma once
// Fashion-MNIST (Zalando): 28x28 grayscale images of 10 clothing classes, 60000 for training and
// 10000 for testing, in the four IDX files of the original distribution.
#include <string>

#include "data/dataset.h"

namespace sinter {

// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Pixel mean and standard deviation of the training set after scaling to [0, 1], the values
// training recipes pass to normalize().
inline constexpr float kFashionMnistMean = 0.2860f;
inline constexpr float kFashionMnistStd = 0.3530f;

// Loads train-{images-idx3,labels-idx1}-ubyte.gz (or t10k-* when !train) from `dir`, falling back
// to the unpacked names without .gz. Images become float32 [N,1,28,28] in [0,1] (byte / 255, as
// torchvision's ToTensor), labels int64 [N] in [0,10). Throws InputError naming the file when one
// is missing or malformed, the dims are not 28x28, the counts differ or a label is 10 or more.
Dataset load_fashion_mnist(const std::string& dir, bool train);

}  // namespace sinter
