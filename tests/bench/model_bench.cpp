// Training-step and inference speed of compiled model libraries (Google Benchmark).
//   model_bench [--benchmark_filter=...] [LIBRARY.so ...]
// With no library arguments it measures the libraries built into the build tree
// (fashion_mlp with the template schedule and with Mullapudi2016). Each library is dlopen'ed
// (RTLD_LOCAL), so several models with the same ABI run side by side in one process.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <nnc/nnc.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

struct Library {
    std::string label;
    decltype(&nnc_model_create) create;
    decltype(&nnc_model_destroy) destroy;
    decltype(&nnc_model_init) init;
    decltype(&nnc_model_input_size) input_size;
    decltype(&nnc_model_output_size) output_size;
    decltype(&nnc_model_num_classes) num_classes;
    decltype(&nnc_model_train_step) train_step;
    decltype(&nnc_model_compute_gradients) compute_gradients;
    decltype(&nnc_model_forward) forward;
    decltype(&nnc_last_error) last_error;
};

bool open_library(const std::string& path, Library* lib) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        std::fprintf(stderr, "model_bench: %s\n", dlerror());
        return false;
    }
#define NNC_SYM(field, name) lib->field = reinterpret_cast<decltype(lib->field)>(dlsym(h, #name))
    NNC_SYM(create, nnc_model_create);
    NNC_SYM(destroy, nnc_model_destroy);
    NNC_SYM(init, nnc_model_init);
    NNC_SYM(input_size, nnc_model_input_size);
    NNC_SYM(output_size, nnc_model_output_size);
    NNC_SYM(num_classes, nnc_model_num_classes);
    NNC_SYM(train_step, nnc_model_train_step);
    NNC_SYM(compute_gradients, nnc_model_compute_gradients);
    NNC_SYM(forward, nnc_model_forward);
    NNC_SYM(last_error, nnc_last_error);
#undef NNC_SYM
    lib->label = std::filesystem::path(path).stem().string();
    return lib->create && lib->train_step && lib->forward;
}

enum class Mode { TrainStep, Gradients, Forward };

void run(benchmark::State& state, Library lib, Mode mode) {
    const int64_t batch = state.range(0);
    nnc_model* m = nullptr;
    if (lib.create(&m) != NNC_OK || lib.init(m, 1) != NNC_OK) {
        state.SkipWithError(lib.last_error());
        return;
    }
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::vector<float> x(static_cast<size_t>(batch * lib.input_size(m)));
    for (float& v : x) v = u(rng);
    std::vector<int32_t> y(static_cast<size_t>(batch));
    for (int32_t& v : y) v = static_cast<int32_t>(rng() % static_cast<uint32_t>(lib.num_classes(m)));
    std::vector<float> out(static_cast<size_t>(batch * lib.output_size(m)));
    float loss = 0;
    for (auto _ : state) {
        nnc_status s = mode == Mode::TrainStep   ? lib.train_step(m, x.data(), y.data(), batch, &loss, nullptr)
                       : mode == Mode::Gradients ? lib.compute_gradients(m, x.data(), y.data(), batch, &loss, nullptr)
                                                 : lib.forward(m, x.data(), batch, out.data());
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
    benchmark::Initialize(&argc, argv);
    std::vector<std::string> paths(argv + 1, argv + argc);
    if (paths.empty()) paths = {NNC_BENCH_DEFAULT_LIBRARIES};
    for (const std::string& p : paths) {
        Library lib;
        if (!open_library(p, &lib)) return 1;
        benchmark::RegisterBenchmark((lib.label + "/train_step").c_str(), run, lib, Mode::TrainStep)
            ->Arg(1)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
        benchmark::RegisterBenchmark((lib.label + "/gradients").c_str(), run, lib, Mode::Gradients)
            ->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
        benchmark::RegisterBenchmark((lib.label + "/forward").c_str(), run, lib, Mode::Forward)
            ->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
