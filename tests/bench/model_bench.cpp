// Training-step and inference speed of compiled model libraries (Google Benchmark).
//   model_bench [--threads=N] [--benchmark_filter=...] [LIBRARY.so ...]
// With no library arguments it measures the libraries built into the build tree
// (fashion_mlp with the template schedule and with Mullapudi2016). Each library is dlopen'ed
// (RTLD_LOCAL), so several models with the same ABI run side by side in one process.
// --threads=N runs the generated code (Halide's pool, HL_NUM_THREADS) and the runtime's workers
// (the optimizer update) on N threads; without it both use every core.
// Inputs are uniform in [0, 1) (token ids below the vocabulary for int32 inputs), class targets
// uniform: the speed does not depend on the values.
#include <benchmark/benchmark.h>
#include <nnc/nnc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tests/bench/model_library.h"

namespace {

int g_threads = 0;  // 0: the library's default (every core)

// The benchmarks' label: the file name without .so.
std::string label_of(const ModelLibrary& lib) { return std::filesystem::path(lib.path).stem().string(); }

enum class Mode { TrainStep, Gradients, Forward };

void run(benchmark::State& state, ModelLibrary lib, Mode mode) {
    const int64_t batch = state.range(0);
    nnc_model* m = nullptr;
    if (lib.create(&m) != NNC_OK || lib.init(m, 1) != NNC_OK || lib.set_threads(m, g_threads) != NNC_OK) {
        state.SkipWithError(lib.last_error());
        return;
    }
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    const size_t count = static_cast<size_t>(batch * lib.input_size(m));
    std::vector<float> x(count);
    std::vector<int32_t> tokens(count);
    for (float& v : x) v = u(rng);
    if (lib.input_dtype(m) == NNC_DTYPE_INT32) {
        // Token ids below the smallest embedding vocabulary (its weight is [vocab, dim]).
        int64_t vocab = 2;
        for (int p = 0, n = lib.num_params(m); p < n; ++p) {
            const char* name = nullptr;
            int rank = 0;
            const int64_t* dims = nullptr;
            lib.param_info(m, p, &name, &rank, &dims);
            if (std::strstr(name, "embed") && rank == 2) vocab = vocab == 2 ? dims[0] : std::min(vocab, dims[0]);
        }
        for (int32_t& t : tokens) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab));
    }
    const void* input = lib.input_dtype(m) == NNC_DTYPE_INT32 ? static_cast<const void*>(tokens.data()) : x.data();
    std::vector<int32_t> y(static_cast<size_t>(batch));
    for (int32_t& v : y) v = static_cast<int32_t>(rng() % static_cast<uint32_t>(lib.num_classes(m)));
    std::vector<float> out(static_cast<size_t>(batch * lib.output_size(m)));
    float loss = 0;
    for (auto _ : state) {
        nnc_status s = mode == Mode::TrainStep   ? lib.train_step(m, input, y.data(), batch, &loss, nullptr)
                       : mode == Mode::Gradients ? lib.compute_gradients(m, input, y.data(), batch, &loss, nullptr)
                                                 : lib.forward(m, input, batch, out.data());
        if (s != NNC_OK) {
            state.SkipWithError(lib.last_error());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["samples/s"] = benchmark::Counter(double(state.iterations() * batch), benchmark::Counter::kIsRate);
    lib.destroy(m);
}

}  // namespace

int main(int argc, char** argv) {
    // --threads=N, taken out before Google Benchmark sees the flags. HL_NUM_THREADS is read when
    // Halide's pool starts (the first parallel loop), so setting it here governs every library.
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--threads=", 10) == 0) {
            g_threads = std::atoi(argv[i] + 10);
            if (g_threads < 1) {
                std::fprintf(stderr, "model_bench: --threads must be >= 1, got '%s'\n", argv[i] + 10);
                return 2;
            }
            setenv("HL_NUM_THREADS", argv[i] + 10, 1);
            for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
            --argc;
            --i;
        }
    }
    benchmark::Initialize(&argc, argv);
    std::vector<std::string> paths(argv + 1, argv + argc);
    if (paths.empty()) paths = {NNC_BENCH_DEFAULT_LIBRARIES};
    for (const std::string& p : paths) {
        ModelLibrary lib;
        if (!open_model_library(p, "model_bench", &lib)) return 1;
        if (!lib.create || !lib.train_step || !lib.forward || !lib.input_dtype || !lib.set_threads) {
            std::fprintf(stderr, "model_bench: %s is not an nnc model library of ABI 3 or later\n", p.c_str());
            return 1;
        }
        benchmark::RegisterBenchmark((label_of(lib) + "/train_step").c_str(), run, lib, Mode::TrainStep)
            ->Arg(1)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
        benchmark::RegisterBenchmark((label_of(lib) + "/gradients").c_str(), run, lib, Mode::Gradients)
            ->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
        benchmark::RegisterBenchmark((label_of(lib) + "/forward").c_str(), run, lib, Mode::Forward)
            ->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
