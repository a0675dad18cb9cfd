#pragma once
// All-gathers of payloads whose size differs per rank, on sinter's ring: what the sparse
// compressors (top-k, DGC, SIDCo) exchange, and the quantized payloads of QSGD and sign. Unlike a
// dense chunk, a sparse payload cannot be summed on its way round the ring (the ranks' indices
// differ), so every rank receives every other rank's pairs and adds them up itself, in rank
// order, which gives every rank the same bits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "dist/compressor.h"

namespace sinter {

// Rank q's block of bytes: on rank q it is read, on every other rank it is written.
struct GatherBlock {
  void* data = nullptr;
  size_t bytes = 0;
};

// Gives every rank every block: blocks[q] travels the ring from rank q (P - 1 steps, one
// message each way a step), so rank r sends every block but its successor's. Every rank must
// already know every block's size.
void ring_all_gather_blocks(Communicator& comm, const std::vector<GatherBlock>& blocks,
                            const std::string& what);

// Every rank's payload, [q] from rank q, where every rank's is as long as `mine` (quantized
// payloads, whose size the shapes fix). Rank r sends (P - 1) payloads.
std::vector<std::vector<uint8_t>> all_gather_same_size(Communicator& comm,
                                                       const std::vector<uint8_t>& mine,
                                                       const std::string& what);

// One sent value: its position in the gradients laid end to end (GradientView order), and the
// value.
struct SparseEntry {
  uint32_t index = 0;
  float value = 0;
};

// Entries on the wire, in increasing index order: each index as its distance from the one before
// (from 0 for the first) in 2 bytes, or 2 bytes of 0xFFFF and 4 for a distance of 65535 or more,
// then the value's 4 bytes. At a density of 1 % distances are about 100: 6 bytes an entry, not
// 8. The entries must be in strictly increasing index order (every sparsifier makes them so).
std::vector<uint8_t> pack_entries(const std::vector<SparseEntry>& entries);
// The entries again; CommError for bytes that are not a packing (a peer out of step).
std::vector<SparseEntry> unpack_entries(const std::vector<uint8_t>& bytes);

// Every rank's entries, [q] from rank q: the packings' sizes first (a ring all-gather of 8 bytes
// each), then the packings. Rank r sends 8 (P - 1) bytes of sizes and the packing of every rank's
// entries but its ring successor's, (r + 1) mod P. `values` bounds the entries a rank can send (the
// gradients' values), and so the size a peer may announce.
std::vector<std::vector<SparseEntry>> sparse_all_gather(Communicator& comm,
                                                        const std::vector<SparseEntry>& mine,
                                                        int64_t values);

// The index space of `gradients` laid end to end: the first index of each, and the total last.
// Throws InputError when the total does not fit a 32-bit index.
std::vector<int64_t> gradient_offsets(const std::vector<GradientView>& gradients);

// Overwrites `gradients` with the sum of every rank's entries, added in rank order 0, 1, ...,
// P - 1 onto zeros, times 1/P. An index out of range means the ranks disagree on the
// gradients: a CommError.
void average_sparse(const std::vector<std::vector<SparseEntry>>& entries,
                    std::vector<GradientView>& gradients);

// What a sparsifying compressor's step sent.
struct SparseStep {
  int64_t bytes = 0;   // this rank's, counts and entries
  double density = 0;  // the share of the gradients' values it chose
};
// The step every sparsifying compressor ends with: gathers every rank's chosen `entries` (in
// strictly increasing index order) and writes their average into `gradients` (of `values` in
// all).
SparseStep send_sparse(Communicator& comm, const std::vector<SparseEntry>& entries,
                       std::vector<GradientView>& gradients, int64_t values);

}  // namespace sinter
