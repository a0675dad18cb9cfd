#pragma once
// A training run's per-epoch log: CSV rows that a checkpoint carries (so a resumed run continues
// its log), written beside the model with a PNG of the loss and accuracy curves.
#include <string>

#include "train/fit.h"

namespace sinter::cli {

inline constexpr const char* kTrainingLogHeader =
    "epoch,steps,lr,train_loss,train_accuracy,test_loss,test_accuracy,images_per_s,seconds";

// One CSV row (no newline) for an epoch; epochs are numbered from 1 in the log.
std::string training_log_row(const EpochSummary& e);

// Writes `rows` (newline-terminated) under the header to `csv_path` atomically, then plots them to
// `png_path` with gnuplot, under `title`. Returns false, having written the CSV, when gnuplot is
// not installed or fails; throws InputError when the CSV cannot be written.
bool write_training_log(const std::string& rows, const std::string& csv_path,
                        const std::string& png_path, const std::string& title);

}  // namespace sinter::cli
