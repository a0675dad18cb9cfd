#pragma once
// One core's fp32 multiply-add peak at an ISA tier, measured by a loop of independent FMAs on
// registers (no memory traffic): the ceiling `bench --profile` reports each layer's share of.
#include <cstdint>

#include "core/isa.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

struct FmaPeakKernels {
  // Runs `iterations` rounds of register-only multiply-adds; returns the flops done.
  double (*run)(int64_t iterations);
};
const IsaTables<FmaPeakKernels>& fma_peak_kernels();

// GFLOP/s of one core at `isa` (best of a few ~20 ms runs; about 0.1 s in all).
double measure_fp32_peak_gflops(Isa isa);

namespace detail {
const FmaPeakKernels& fma_peak_kernels_portable();
const FmaPeakKernels& fma_peak_kernels_avx2();
const FmaPeakKernels& fma_peak_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
