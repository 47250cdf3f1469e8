// The training loop's cost per step (nnc_train: batch gathering, gradients, norms, update, the
// loop's measurements), for comparing model libraries built against different runtimes in one
// run — e.g. the per-tensor gradient norms and update ratios of ABI 4 against an ABI 3 library:
//   train_loop_bench [--samples=N] [--batch=B] [--reps=R] LIBRARY.so [LIBRARY.so ...]
// Each library is dlopen'ed (RTLD_LOCAL) and trained for one epoch of N synthetic samples
// (inputs uniform in [0, 1), classes uniform) with its own optimizer, R times, the libraries
// interleaved so that the machine's load falls on all alike; prints the median and the best
// milliseconds per step. The config is zeroed beyond the fields every ABI >= 3 has, so an older
// library reads the prefix it knows.
#include <nnc/nnc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tests/bench/model_library.h"

namespace {

// Seconds for one epoch, or a negative number on failure.
double one_epoch(const ModelLibrary& lib, int64_t samples, int64_t batch) {
    nnc_model* m = nullptr;
    if (lib.create(&m) != NNC_OK) return -1;
    const int64_t in = lib.input_size(m), classes = lib.num_classes(m);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(samples * in));
    for (float& v : x) v = u(rng);
    std::vector<int32_t> y(static_cast<size_t>(samples));
    for (int32_t& c : y) c = static_cast<int32_t>(rng() % static_cast<uint32_t>(classes));
    nnc_dataset* d = nullptr;
    if (lib.dataset(x.data(), y.data(), samples, in, NNC_TARGET_CLASSES, 1, &d) != NNC_OK) return -1;
    nnc_train_config c;
    std::memset(&c, 0, sizeof c);
    c.epochs = 1;
    c.batch = batch;
    c.seed = 1;
    const auto t0 = std::chrono::steady_clock::now();
    const nnc_status s = lib.train(m, d, nullptr, &c);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s != NNC_OK) std::fprintf(stderr, "train_loop_bench: %s\n", lib.last_error());
    lib.dataset_destroy(d);
    lib.destroy(m);
    return s == NNC_OK ? seconds : -1;
}

}  // namespace

int main(int argc, char** argv) {
    int64_t samples = 6400, batch = 64;
    int reps = 7;
    std::vector<ModelLibrary> libs;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--samples=", 0) == 0)
            samples = std::atoll(a.c_str() + 10);
        else if (a.rfind("--batch=", 0) == 0)
            batch = std::atoll(a.c_str() + 8);
        else if (a.rfind("--reps=", 0) == 0)
            reps = std::atoi(a.c_str() + 7);
        else {
            ModelLibrary lib;
            if (!open_model_library(a, "train_loop_bench", &lib)) return 1;
            if (!lib.create || !lib.train || !lib.dataset || !lib.abi) {
                std::fprintf(stderr, "train_loop_bench: %s is not an nnc model library\n", a.c_str());
                return 1;
            }
            libs.push_back(lib);
        }
    }
    if (libs.empty()) {
        std::fprintf(stderr, "usage: train_loop_bench [--samples=N] [--batch=B] [--reps=R] LIBRARY.so ...\n");
        return 2;
    }
    std::vector<std::vector<double>> ms(libs.size());
    const double steps = static_cast<double>((samples + batch - 1) / batch);
    for (int r = 0; r < reps; ++r) {
        for (size_t l = 0; l < libs.size(); ++l) {
            const double s = one_epoch(libs[l], samples, batch);
            if (s < 0) return 1;
            ms[l].push_back(1e3 * s / steps);
        }
    }
    std::printf("%-60s %5s %12s %12s\n", "library", "ABI", "median ms", "best ms");
    for (size_t l = 0; l < libs.size(); ++l) {
        std::vector<double> v = ms[l];
        std::sort(v.begin(), v.end());
        std::printf("%-60s %5d %12.3f %12.3f\n", libs[l].path.c_str(), libs[l].abi(), v[v.size() / 2], v.front());
    }
    return 0;
}
