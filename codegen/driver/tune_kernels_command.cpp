// nnc tune-kernels model.nn: the tuner (codegen/tune/) over a model's layers, into the tuning
// cache that `nnc model.nn -o model.so` reads.
#include <cstdio>
#include <stdexcept>

#include "codegen/driver/commands.h"
#include "codegen/tune/autotune.h"

namespace nnc::driver {

int run_tune_kernels(const TuneKernelsOptions& o) {
    const auto model = load_checked_model(o.input);
    if (!model) return 1;
    const std::optional<codegen::AutotuneMode> mode = codegen::parse_autotune_mode(o.mode);
    if (!mode || *mode == codegen::AutotuneMode::Off || *mode == codegen::AutotuneMode::Cached) {
        std::fprintf(stderr, "nnc: error: --mode %s: tune-kernels measures; use quick or thorough\n", o.mode.c_str());
        return 2;
    }
    try {
        const codegen::MachineKey machine = codegen::this_machine();
        const std::string path =
            o.tuning_cache.empty() ? codegen::default_tuning_cache_path(machine).string() : o.tuning_cache;
        codegen::TuningCache cache = codegen::TuningCache::load(path);
        std::fprintf(stderr, "nnc: tuning %s on %s (batch %lld, %s)\n", o.input.c_str(), machine.cpu_model.c_str(),
                     static_cast<long long>(model->train.batch), o.mode.c_str());
        const codegen::ModelTuning t = codegen::tune_model(
            *model, *mode, cache, machine,
            [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); }, o.budget_seconds);
        std::fprintf(stderr, "nnc: %zu layer(s) with tuned knobs; saved in %s\n", t.by_node.size(), path.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc: error: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace nnc::driver
