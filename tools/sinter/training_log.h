#pragma once
// A training run's per-epoch log: CSV rows that a checkpoint carries (so a resumed run continues
// its log), written beside the model with a PNG of the loss and accuracy curves.
#include <string>

#include "train/fit.h"

namespace sinter::cli {

inline constexpr const char* kTrainingLogHeader =
    "epoch,steps,lr,train_loss,train_accuracy,test_loss,test_accuracy,images_per_s,seconds,"
    "ranks,bytes_sent_per_step,emulated_seconds";

// What a distributed run adds to an epoch's row: images_per_s then counts every rank's images;
// emulated_seconds is the run's emulated time at the epoch's end (0 without emulated links).
struct DistributedColumns {
  int ranks = 1;
  int64_t bytes_sent_per_step = 0;
  double emulated_seconds = 0;
};

// One CSV row (no newline) for an epoch; epochs are numbered from 1 in the log.
std::string training_log_row(const EpochSummary& e, const DistributedColumns& d = {});

// Writes `rows` (newline-terminated) under the header to `csv_path` atomically, then plots them to
// `png_path` with gnuplot, under `title`. Returns false, having written the CSV, when gnuplot is
// not installed or fails; throws InputError when the CSV cannot be written.
bool write_training_log(const std::string& rows, const std::string& csv_path,
                        const std::string& png_path, const std::string& title);

}  // namespace sinter::cli
