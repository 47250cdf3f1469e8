// The parameter update alone: each optimizer over a 1M-float arena (the model's padded arena in
// miniature), single-threaded and on a Workers pool. Memory-bound: the figure to compare is
// bytes moved per second (params, grads and the state arrays, read and written).
#include <benchmark/benchmark.h>

#include "runtime/optimizers/optimizer.h"
#include "runtime/workers.h"

#include <string>
#include <vector>

namespace {

constexpr int64_t kCount = 1 << 20;

// Bytes each update reads and writes per parameter: p (r+w), g (r), and the state arrays (r+w).
int64_t bytes_per_param(const nnc::runtime::OptimizerConfig& c) {
    int state = 0;
    if (c.name == "sgd")
        state = c.momentum > 0 ? 1 : 0;
    else if (c.name == "adagrad")
        state = 1;
    else if (c.name == "rmsprop")
        state = 1 + (c.centered ? 1 : 0) + (c.momentum > 0 ? 1 : 0);
    else
        state = 2;  // adam, adamw, adadelta
    return 4 * (3 + 2 * state);
}

void update(benchmark::State& state, nnc::runtime::OptimizerConfig config) {
    const int threads = static_cast<int>(state.range(0));
    nnc::runtime::Workers workers(threads);
    std::vector<float> params(kCount, 0.5f), grads(kCount, 0.01f);
    auto opt = nnc::runtime::make_optimizer(config, kCount);
    opt->set_workers(&workers);
    for (auto _ : state) {
        opt->step(params.data(), grads.data());
        benchmark::DoNotOptimize(params.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * kCount * bytes_per_param(config));
    state.SetItemsProcessed(state.iterations() * kCount);
}

nnc::runtime::OptimizerConfig with(const char* name, void (*tweak)(nnc::runtime::OptimizerConfig&) = nullptr) {
    nnc::runtime::OptimizerConfig c = nnc::runtime::optimizer_defaults(name);
    if (tweak) tweak(c);
    return c;
}

}  // namespace

#define NNC_OPT_BENCH(label, config) \
    BENCHMARK_CAPTURE(update, label, config)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime()

NNC_OPT_BENCH(sgd, with("sgd"));
NNC_OPT_BENCH(sgd_momentum, with("sgd", [](auto& c) { c.momentum = 0.9; }));
NNC_OPT_BENCH(sgd_nesterov, with("sgd", [](auto& c) { c.momentum = 0.9, c.nesterov = true; }));
NNC_OPT_BENCH(adam, with("adam"));
NNC_OPT_BENCH(adamw, with("adamw"));
NNC_OPT_BENCH(adagrad, with("adagrad"));
NNC_OPT_BENCH(adadelta, with("adadelta"));
NNC_OPT_BENCH(rmsprop, with("rmsprop"));
NNC_OPT_BENCH(rmsprop_centered_momentum, with("rmsprop", [](auto& c) { c.centered = true, c.momentum = 0.9; }));

BENCHMARK_MAIN();
