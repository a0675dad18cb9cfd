#include "compress/prune_scheme.h"

#include <cmath>
#include <vector>

#include "compress/pattern_set.h"
#include "compress/prune_checks.h"
#include "core/error.h"

namespace sinter {

namespace {

constexpr const char* kKnown =
    "unstructured, filter, channel, balanced:B, block:B, nm:N:M, pattern";

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == sep)
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

// A positive integer field of a scheme's text; InputError otherwise.
int64_t positive_field(const std::string& field, const std::string& text) {
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(field, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (field.empty() || used != field.size() || v < 1)
    throw InputError(cat("pruning scheme '", text, "': '", field, "' is not a positive integer"));
  return v;
}

}  // namespace

PruneScheme parse_prune_scheme(const std::string& text) {
  const std::vector<std::string> parts = split(text, ':');
  const std::string& name = parts[0];
  PruneScheme s;
  auto expect_fields = [&](size_t count, const char* form) {
    if (parts.size() != count + 1)
      throw InputError(cat("pruning scheme '", text, "' should be written ", form));
  };
  if (name == "unstructured" || name == "filter" || name == "channel" || name == "pattern") {
    expect_fields(0, name.c_str());
    s.kind = name == "unstructured" ? PruneKind::kUnstructured
             : name == "filter"     ? PruneKind::kFilter
             : name == "channel"    ? PruneKind::kChannel
                                    : PruneKind::kPattern;
  } else if (name == "balanced") {
    expect_fields(1, "balanced:B (B: the block length, e.g. balanced:32)");
    s.kind = PruneKind::kBalanced;
    s.block = positive_field(parts[1], text);
  } else if (name == "block") {
    expect_fields(1, "block:B (B: the outputs a block, e.g. block:4)");
    s.kind = PruneKind::kOutputBlocks;
    s.block = positive_field(parts[1], text);
  } else if (name == "nm") {
    expect_fields(2, "nm:N:M (at most N nonzeros in every M weights, e.g. nm:2:4)");
    s.kind = PruneKind::kNOfM;
    s.n = positive_field(parts[1], text);
    s.m = positive_field(parts[2], text);
  } else {
    throw InputError(cat("unknown pruning scheme '", text, "' (known: ", kKnown, ")"));
  }
  return s;
}

std::string scheme_name(const PruneScheme& s) {
  switch (s.kind) {
    case PruneKind::kUnstructured:
      return "unstructured";
    case PruneKind::kFilter:
      return "filter";
    case PruneKind::kChannel:
      return "channel";
    case PruneKind::kBalanced:
      return cat("balanced:", s.block);
    case PruneKind::kOutputBlocks:
      return cat("block:", s.block);
    case PruneKind::kNOfM:
      return cat("nm:", s.n, ":", s.m);
    case PruneKind::kPattern:
      return "pattern";
  }
  return "?";
}

void validate_prune_scheme(const PruneScheme& s) {
  if (!(s.sparsity >= 0.0 && s.sparsity < 1.0))
    throw InputError(
        cat("sparsity must be in [0, 1) (the pruned fraction), got ", short_number(s.sparsity)));
  if (s.kind == PruneKind::kBalanced && s.block < 1)
    throw InputError(cat("balanced pruning needs a block length >= 1, got ", s.block));
  if (s.kind == PruneKind::kOutputBlocks && s.block < 1)
    throw InputError(cat("block pruning needs a block size >= 1, got ", s.block));
  if (s.kind == PruneKind::kNOfM && !(s.n >= 1 && s.n <= s.m))
    throw InputError(cat("N:M pruning needs 1 <= N <= M, got ", s.n, ":", s.m));
  if (s.kind == PruneKind::kPattern) {
    if (s.pattern_count < 1 || s.pattern_count > kCandidatePatternCount)
      throw InputError(cat("the pattern count must be between 1 and ", kCandidatePatternCount,
                           " (the 4-tap patterns of a 3x3 kernel that keep its center), got ",
                           s.pattern_count));
    if (!(s.connectivity >= 1.0) || !std::isfinite(s.connectivity))
      throw InputError(cat("the connectivity rate must be >= 1 (keep 1/rate of the kernels), got ",
                           short_number(s.connectivity)));
  }
}

bool has_free_sparsity(const PruneScheme& s) {
  return s.kind != PruneKind::kNOfM && s.kind != PruneKind::kPattern;
}

}  // namespace sinter
