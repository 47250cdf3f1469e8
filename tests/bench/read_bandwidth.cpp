// How fast one core can read an array that stays in cache: the bound on inference
// at batch 1, where every weight is read once per sample and nothing is reused
// (tests/bench/RESULTS.md). Sizes: 512 KiB (in L2), fashion_mlp's weights (669,706 floats,
// in L3), 64 MiB (DRAM). The sum keeps 8 independent vector accumulators.
//   read_bandwidth [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>

namespace {

constexpr int kLanes = 16, kChains = 8;
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));  // one AVX-512 register

float sum(const float* a, size_t n) {
    Vec acc[kChains] = {};
    for (size_t i = 0; i + kChains * kLanes <= n; i += kChains * kLanes)
        for (int c = 0; c < kChains; ++c) acc[c] += *reinterpret_cast<const Vec*>(a + i + c * kLanes);
    float total = 0;
    for (const Vec& v : acc)
        for (int l = 0; l < kLanes; ++l) total += v[l];
    return total;
}

void Read(benchmark::State& state) {
    const size_t floats = static_cast<size_t>(state.range(0)) / sizeof(float);
    // 64-byte aligned, so every load is one aligned vector (aligned_alloc wants a multiple of 64).
    const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    std::unique_ptr<float, decltype(&std::free)> a(static_cast<float*>(std::aligned_alloc(64, bytes)), &std::free);
    std::fill(a.get(), a.get() + floats, 1.0f);
    for (auto _ : state) benchmark::DoNotOptimize(sum(a.get(), floats));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(floats * sizeof(float)));
}

}  // namespace

BENCHMARK(Read)->Arg(512 << 10)->Arg(669706 * 4)->Arg(64 << 20)->UseRealTime();
BENCHMARK_MAIN();
