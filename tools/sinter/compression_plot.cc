#include "compression_plot.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli.h"

namespace sinter::cli {

namespace {

// Text inside gnuplot's single quotes, or a datablock's double quotes, cannot hold them.
std::string unquoted(std::string s) {
  std::replace(s.begin(), s.end(), '\'', ' ');
  std::replace(s.begin(), s.end(), '"', ' ');
  return s;
}

std::string plot_script(const std::vector<CompressionPoint>& points, double reference_accuracy,
                        const std::string& reference_label, const std::string& png,
                        const std::string& title) {
  double lo = points.front().compression, hi = lo;
  for (const CompressionPoint& p : points) {
    lo = std::min(lo, p.compression);
    hi = std::max(hi, p.compression);
  }
  // Room on a log axis for the labels of the outermost points, also when all points coincide.
  std::string s = "set terminal pngcairo size 900,600 font ',10'\nset output '" + png +
                  "'\nset title '" + unquoted(title) +
                  "'\nset logscale x\nset grid\nset key below\n"
                  "set xlabel 'compression: reference dense bytes / stored bytes (log scale)'\n"
                  "set ylabel 'test accuracy (%)'\n" +
                  format("set xrange [%.6g:", lo / 1.6) + format("%.6g]\n", hi * 1.6) +
                  "set offsets 0, 0, graph 0.15, graph 0.15\n$points << EOD\n";
  for (const CompressionPoint& p : points)
    s += format("%.6g ", p.compression) + format("%.4f \"", 100 * p.accuracy) + unquoted(p.label) +
         "\"\n";
  return s + "EOD\nplot $points using 1:2 with points pt 7 ps 1.5 lc rgb '#1f77b4' title " +
         "'models', '' using 1:2:3 with labels offset char 0,1.2 notitle, " +
         format("%.4f", 100 * reference_accuracy) +
         " with lines dt 2 lc rgb 'gray40' title 'reference: " + unquoted(reference_label) + "'\n";
}

}  // namespace

bool plot_compression(const std::vector<CompressionPoint>& points, double reference_accuracy,
                      const std::string& reference_label, const std::string& png_path,
                      const std::string& title) {
  if (points.empty()) return false;
  FILE* gnuplot = popen("gnuplot 2>/dev/null", "w");
  if (!gnuplot) return false;
  const std::string script =
      plot_script(points, reference_accuracy, reference_label, png_path, title);
  std::fwrite(script.data(), 1, script.size(), gnuplot);
  const bool ok = pclose(gnuplot) == 0 && std::filesystem::exists(png_path);
  std::error_code ec;
  if (!ok) std::filesystem::remove(png_path, ec);
  return ok;
}

}  // namespace sinter::cli
