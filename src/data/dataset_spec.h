#pragma once
// A dataset named by one string, as the CLI's --data and a library request spell it: which
// labelled images to use, loaded and normalized the same way everywhere, so a model is evaluated
// on data prepared as it was trained on.
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace sinter {

inline constexpr const char* kDatasetSpecHelp =
    "Dataset: 'fashion-mnist' (Debian's dataset-fashion-mnist files, normalized with the "
    "training set's mean and std), 'fashion-mnist:DIR' (the IDX files in DIR), or "
    "'npy:TRAIN_IMAGES.npy,TRAIN_LABELS.npy[,TEST_IMAGES.npy,TEST_LABELS.npy]' (used as they are)";

// The training (`train` true) or test split of `spec`. An npy spec without test files uses its
// training files for both. Throws InputError for a malformed spec or unreadable data.
Dataset load_dataset(const std::string& spec, bool train);

// Class names for printing: Fashion-MNIST's own, or the class numbers.
std::vector<std::string> class_names(const std::string& spec, int64_t num_classes);

// Keeps the first `limit` samples (all when limit is 0 or past the end).
void limit_dataset(Dataset& data, int64_t limit);

}  // namespace sinter
