#pragma once
// MaxPool on channel-blocked tensors (blocked_layout.h): each 16-channel block a vector, the
// window's maximum taken tap by tap, with MaxPool's NaN rule (a NaN in a window gives NaN).
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/blocked/blocked_layout.h"
#include "kernels/isa_tables.h"
#include "kernels/pool/pool2d.h"

namespace sinter::kernels {

// The kernels of one ISA tier: output row `oh` of one block, x the block's plane [in_h][in_w][16],
// y the row [out_w][16].
struct BlockedPoolKernels {
  void (*max_pool_row)(const Pool2dParams& p, const float* x, int64_t oh, float* y);
};
const IsaTables<BlockedPoolKernels>& blocked_pool_kernels();

namespace detail {
const BlockedPoolKernels& blocked_pool_kernels_portable();
const BlockedPoolKernels& blocked_pool_kernels_avx512();
}  // namespace detail

// x [batch, Cb, in_h, in_w, 16] -> y [batch, Cb, out_h, out_w, 16], Cb = channel_blocks(channels);
// padded lanes give padded lanes (finite in, finite out).
void max_pool_blocked(const Pool2dParams& p, const float* x, float* y, ThreadPool* pool = nullptr,
                      const BlockedPoolKernels& tier = blocked_pool_kernels().active());

}  // namespace sinter::kernels
