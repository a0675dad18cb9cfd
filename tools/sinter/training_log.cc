#include "training_log.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli.h"
#include "core/atomic_file.h"

namespace sinter::cli {

namespace {

// gnuplot reads the script on stdin; the PNG goes to a temporary name first so a failed plot
// never leaves a partial image.
std::string plot_script(const std::string& csv, const std::string& png, std::string title) {
  std::replace(title.begin(), title.end(), '\'', ' ');  // the title sits in gnuplot quotes
  return "set terminal pngcairo size 1000,420 font ',10'\n"
         "set output '" +
         png +
         "'\n"
         "set datafile separator ','\n"
         "set key autotitle columnhead\n"
         "set multiplot layout 1,2 title '" +
         title +
         "'\n"
         "set xlabel 'epoch'\nset grid\n"
         "set ylabel 'loss'\n"
         "plot '" +
         csv +
         "' using 1:4 with linespoints title 'train loss', "
         "'' using 1:6 with linespoints title 'test loss'\n"
         "set ylabel 'accuracy (%)'\n"
         "plot '" +
         csv +
         "' using 1:($5*100) with linespoints title 'train', "
         "'' using 1:($7*100) with linespoints title 'test'\n"
         "unset multiplot\n";
}

}  // namespace

std::string training_log_row(const EpochSummary& e, const DistributedColumns& d) {
  char buf[320];
  std::snprintf(
      buf, sizeof buf, "%lld,%lld,%.6g,%.6f,%.6f,%s,%s,%.1f,%.2f,%d,%lld,%.3f",
      static_cast<long long>(e.epoch + 1), static_cast<long long>(e.steps), e.lr, e.train_loss,
      e.train_accuracy, e.evaluated ? format("%.6f", e.test_loss).c_str() : "",
      e.evaluated ? format("%.6f", e.test_accuracy).c_str() : "", e.images_per_s * d.ranks,
      e.seconds, d.ranks, static_cast<long long>(d.bytes_sent_per_step), d.emulated_seconds);
  return buf;
}

bool write_training_log(const std::string& rows, const std::string& csv_path,
                        const std::string& png_path, const std::string& title) {
  write_file_atomically(csv_path, std::string(kTrainingLogHeader) + "\n" + rows);
  const std::string tmp = png_path + ".tmp";
  FILE* gnuplot = popen("gnuplot 2>/dev/null", "w");
  if (!gnuplot) return false;
  const std::string script = plot_script(csv_path, tmp, title);
  std::fwrite(script.data(), 1, script.size(), gnuplot);
  const bool ok = pclose(gnuplot) == 0 && std::filesystem::exists(tmp);
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, png_path, ec);
  if (!ok || ec) std::filesystem::remove(tmp, ec);
  return ok && !ec;
}

}  // namespace sinter::cli
