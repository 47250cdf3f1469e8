// Built with -march=native (tests/bench/CMakeLists.txt): the loop uses the widest FMA this CPU has.
#include "tests/bench/fma_loop.h"

#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

namespace {

// Independent accumulators: enough to cover the FMA latency times the FMA ports (4 cycles x 2 on
// current x86 cores), and few enough to stay in registers.
#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16, kAccumulators = 16;
inline Vec splat(float v) { return _mm512_set1_ps(v); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float lane0(Vec v) { return _mm512_cvtss_f32(v); }
#elif defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8, kAccumulators = 12;
inline Vec splat(float v) { return _mm256_set1_ps(v); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float lane0(Vec v) { return _mm256_cvtss_f32(v); }
#else
// No vector FMA on this target: the scalar rate, which understates the machine.
using Vec = float;
constexpr int kLanes = 1, kAccumulators = 8;
inline Vec splat(float v) { return v; }
inline Vec fmadd(Vec a, Vec b, Vec c) { return std::fma(a, b, c); }
inline float lane0(Vec v) { return v; }
#endif

constexpr long kChunk = 1 << 16;  // iterations between looks at the clock (well under a millisecond)

// One thread's loop until `deadline`: the chunks it ran. acc converges to 1 (acc * m + a with
// m < 1), so no value overflows or turns denormal.
long run_until(std::chrono::steady_clock::time_point deadline, std::atomic<float>* sink) {
    Vec acc[kAccumulators];
    for (int k = 0; k < kAccumulators; ++k) acc[k] = splat(1.0f + 0.001f * static_cast<float>(k));
    const Vec m = splat(0.999999f), a = splat(1e-6f);
    long chunks = 0;
    do {
        for (long i = 0; i < kChunk; ++i) {
#pragma GCC unroll 16
            for (int k = 0; k < kAccumulators; ++k) acc[k] = fmadd(acc[k], m, a);
        }
        ++chunks;
    } while (std::chrono::steady_clock::now() < deadline);
    float s = 0;
    for (int k = 0; k < kAccumulators; ++k) s += lane0(acc[k]);
    sink->store(s, std::memory_order_relaxed);  // keeps the loop's results alive
    return chunks;
}

}  // namespace

double fma_flops(double seconds, int threads, double* elapsed) {
    if (threads < 1) threads = 1;
    std::atomic<float> sink{0};
    std::vector<long> chunks(static_cast<size_t>(threads), 0);
    const auto t0 = std::chrono::steady_clock::now();
    const auto deadline =
        t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
        pool.emplace_back([&, t] { chunks[static_cast<size_t>(t)] = run_until(deadline, &sink); });
    chunks[0] = run_until(deadline, &sink);
    for (std::thread& th : pool) th.join();
    *elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double total = 0;
    for (long c : chunks) total += static_cast<double>(c);
    return total * kChunk * kAccumulators * kLanes * 2.0;
}
