// make_compressor: the spec grammar of --compress, "name" or "name:argument".
#include <cmath>

#include "core/parse_number.h"
#include "dist/accordion.h"
#include "dist/compressor.h"
#include "dist/dgc_compressor.h"
#include "dist/powersgd_compressor.h"
#include "dist/qsgd_compressor.h"
#include "dist/randomk_compressor.h"
#include "dist/sidco_compressor.h"
#include "dist/sign_compressor.h"
#include "dist/topk_compressor.h"

namespace sinter {

namespace {

const char kSpecs[] =
    "topk:R, randomk:R, dgc:R, sidco:R (R in (0, 1]), powersgd:RANK, qsgd:LEVELS, sign, "
    "accordion:topk or accordion:powersgd";

// A rank beyond this would send more than the dense gradient for any layer sinter trains.
constexpr int kMaxPowerSgdRank = 1024;

InputError bad_spec(const std::string& spec, const std::string& why) {
  return InputError(cat("compression spec '", spec, "': ", why));
}

double ratio_of(const std::string& spec, const std::string& argument) {
  const std::optional<double> r = parse_double(argument);
  if (!r || !(*r > 0 && *r <= 1))
    throw bad_spec(spec, "the share of values sent must be a number in (0, 1], e.g. 0.01");
  return *r;
}

int integer_of(const std::string& spec, const std::string& argument, const char* what, int most) {
  const std::optional<double> v = parse_double(argument);
  if (!v || *v < 1 || *v > most || std::floor(*v) != *v)
    throw bad_spec(spec, cat(what, " must be an integer from 1 to ", most));
  return static_cast<int>(*v);
}

}  // namespace

bool takes_over_momentum(const std::string& spec) { return spec.rfind("dgc:", 0) == 0; }

std::unique_ptr<Compressor> make_compressor(const std::string& spec, uint64_t seed,
                                            const CompressorTraining& training) {
  const size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string argument = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "sign") {
    if (colon != std::string::npos) throw bad_spec(spec, "'sign' takes no argument");
    return std::make_unique<SignCompressor>(spec);
  }
  if (colon == std::string::npos) throw bad_spec(spec, cat("expected one of ", kSpecs));
  if (kind == "topk") return std::make_unique<TopKCompressor>(spec, ratio_of(spec, argument));
  if (kind == "randomk")
    return std::make_unique<RandomKCompressor>(spec, ratio_of(spec, argument), seed);
  if (kind == "dgc") {
    DgcOptions options;
    options.density = ratio_of(spec, argument);
    options.momentum = training.momentum;
    options.clip_norm = training.clip_norm;
    return std::make_unique<DgcCompressor>(spec, options);
  }
  if (kind == "sidco") {
    SidcoOptions options;
    options.density = ratio_of(spec, argument);
    return std::make_unique<SidcoCompressor>(spec, options);
  }
  if (kind == "powersgd")
    return std::make_unique<PowerSgdCompressor>(
        spec, integer_of(spec, argument, "the rank", kMaxPowerSgdRank), seed);
  if (kind == "qsgd")
    return std::make_unique<QsgdCompressor>(
        spec, integer_of(spec, argument, "the levels", QsgdCompressor::kMaxLevels), seed);
  if (kind == "accordion") {
    AccordionOptions options;
    if (argument == "topk") {
      options.base = AccordionBase::kTopK;
    } else if (argument == "powersgd") {
      options.base = AccordionBase::kPowerSgd;
    } else {
      throw bad_spec(spec, "Accordion controls 'topk' or 'powersgd'");
    }
    return std::make_unique<AccordionCompressor>(spec, options, seed);
  }
  throw bad_spec(spec, cat("unknown compressor; expected one of ", kSpecs));
}

}  // namespace sinter
