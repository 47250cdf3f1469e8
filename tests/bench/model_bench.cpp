// Training-step and inference speed of compiled model libraries (Google Benchmark).
//   model_bench [--threads=N] [--benchmark_filter=...] [LIBRARY.so ...]
// With no library arguments it measures the libraries built into the build tree
// (fashion_mlp with the template schedule and with Mullapudi2016). Each library is dlopen'ed
// (RTLD_LOCAL), so several models with the same ABI run side by side in one process.
// --threads=N runs the generated code and the optimizer update on N threads (the model's one
// pool, nnc_model_set_threads; HL_NUM_THREADS too, for libraries built before the pipelines ran
// on it); without it every core.
// Inputs are uniform in [0, 1) (token ids below the vocabulary for int32 inputs), class targets
// uniform: the speed does not depend on the values. Each row's model takes 5 untimed warm-up
// steps first, like the PyTorch peer; tests/bench/compare.sh then asks for 20 repetitions and
// reports their median.
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

#include "tests/bench/model_inputs.h"
#include "tests/bench/model_library.h"

namespace {

int g_threads = 0;  // 0: the library's default (every core)

// The benchmarks' label: the file name without .so.
std::string label_of(const ModelLibrary& lib) { return std::filesystem::path(lib.path).stem().string(); }

enum class Mode { TrainStep, Gradients, Forward };

// One model with its inputs, created and warmed up once per (library, mode, batch) and kept
// across Google Benchmark's calls for that row (its estimate run and every repetition): a fresh
// model's first steps fault in its arena and Halide's buffers (12-16 us per page on this VM),
// several times the cost of a warm step, so timing them would measure the page tables.
struct WarmModel {
    std::string key;
    ModelLibrary lib;
    nnc_model* m = nullptr;
    ModelInputs in;
};
WarmModel g_warm;                // the row being measured; rows run one after another
constexpr int kWarmupSteps = 5;  // as tests/bench/torch_peer.py

void release_warm() {
    if (g_warm.m) g_warm.lib.destroy(g_warm.m);
    g_warm = WarmModel{};
}

nnc_status step(WarmModel& w, Mode mode, int64_t batch, float* loss) {
    ModelInputs& in = w.in;
    return mode == Mode::TrainStep   ? w.lib.train_step(w.m, in.input, in.y.data(), batch, loss, nullptr)
           : mode == Mode::Gradients ? w.lib.compute_gradients(w.m, in.input, in.y.data(), batch, loss, nullptr)
                                     : w.lib.forward(w.m, in.input, batch, in.out.data());
}

// The warm model for this row, or null after SkipWithError.
WarmModel* warm_model(benchmark::State& state, const ModelLibrary& lib, Mode mode, int64_t batch) {
    const std::string key = lib.path + "|" + std::to_string(static_cast<int>(mode)) + "|" + std::to_string(batch);
    if (g_warm.m && g_warm.key == key) return &g_warm;
    release_warm();
    WarmModel& w = g_warm;
    w.key = key;
    w.lib = lib;
    if (lib.create(&w.m) != NNC_OK || lib.init(w.m, 1) != NNC_OK || lib.set_threads(w.m, g_threads) != NNC_OK) {
        state.SkipWithError(lib.last_error());
        release_warm();
        return nullptr;
    }
    fill_model_inputs(lib, w.m, batch, &w.in);
    float loss = 0;
    for (int i = 0; i < kWarmupSteps; ++i) {
        if (step(w, mode, batch, &loss) != NNC_OK) {
            state.SkipWithError(lib.last_error());
            release_warm();
            return nullptr;
        }
    }
    return &w;
}

void run(benchmark::State& state, ModelLibrary lib, Mode mode) {
    const int64_t batch = state.range(0);
    WarmModel* w = warm_model(state, lib, mode, batch);
    if (!w) return;
    float loss = 0;
    for (auto _ : state) {
        if (step(*w, mode, batch, &loss) != NNC_OK) {
            state.SkipWithError(lib.last_error());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["samples/s"] = benchmark::Counter(double(state.iterations() * batch), benchmark::Counter::kIsRate);
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
            ->Arg(1)
            ->Arg(64)
            ->Arg(256)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
        benchmark::RegisterBenchmark((label_of(lib) + "/gradients").c_str(), run, lib, Mode::Gradients)
            ->Arg(64)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
        benchmark::RegisterBenchmark((label_of(lib) + "/forward").c_str(), run, lib, Mode::Forward)
            ->Arg(1)
            ->Arg(64)
            ->Arg(256)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
    benchmark::RunSpecifiedBenchmarks();
    release_warm();
    benchmark::Shutdown();
    return 0;
}
