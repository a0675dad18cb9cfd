#pragma once
// The constraint set a pruning run aims for, as `sinter prune --scheme` spells it: the kind of
// sparsity and its numbers, checked before any training starts.
#include <cstdint>
#include <string>

namespace sinter {

enum class PruneKind {
  kUnstructured,  // any entries (k-sparsity)
  kFilter,        // whole output channels
  kChannel,       // whole input channels
  kBalanced,      // the same share of every block of `block` weights along the reduction axis
  kNOfM,          // at most n of every m consecutive weights along the reduction axis
  kOutputBlocks,  // whole blocks of `block` consecutive outputs at one reduction entry
  kPattern,       // 3x3 kernels on a pattern set, plus connectivity pruning of whole kernels
};

struct PruneScheme {
  PruneKind kind = PruneKind::kUnstructured;
  // The pruned fraction of each weight. Under kPattern it applies (unstructured) to the layers
  // patterns do not cover, which stay dense at 0; kNOfM fixes its own (1 - n/m) and ignores it.
  double sparsity = 0.0;
  int64_t block = 0;          // kBalanced, kOutputBlocks
  int64_t n = 0, m = 0;       // kNOfM
  int64_t pattern_count = 8;  // kPattern: the size of the pattern set
  double connectivity = 1.0;  // kPattern: keep 1/connectivity of the kernels (1: all)
};

// Parses "unstructured", "filter", "channel", "balanced:B", "block:B", "nm:N:M" or "pattern"; the
// numbers
// not in the text keep their defaults. Throws InputError naming the text and the known schemes.
PruneScheme parse_prune_scheme(const std::string& text);

// The text parse_prune_scheme reads back: "balanced:32", "nm:2:4", "pattern", ...
std::string scheme_name(const PruneScheme& scheme);

// Throws InputError, naming the bad number, unless the sparsity is in [0, 1), a balanced block
// is >= 1, 1 <= n <= m, the pattern count is in [1, 56] and the connectivity rate is finite and
// >= 1.
void validate_prune_scheme(const PruneScheme& scheme);

// Whether the scheme's sparsity is a free number that gradual pruning can ramp: kUnstructured,
// kFilter, kChannel, kBalanced, kOutputBlocks. N:M and patterns fix theirs.
bool has_free_sparsity(const PruneScheme& scheme);

}  // namespace sinter
