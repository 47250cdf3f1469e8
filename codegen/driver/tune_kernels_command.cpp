// nnc tune-kernels model.nn...: the tuner (codegen/tune/) over models' layers, into the tuning
// cache that `nnc model.nn -o model.so` reads, with a report of each layer: its time with the
// template defaults and tuned, the ratio with its spread, and the knobs that made the gain.
#include <cstdio>
#include <map>
#include <stdexcept>

#include "codegen/driver/commands.h"
#include "codegen/tune/autotune.h"
#include "codegen/tune/shipped_tunings.h"

namespace nnc::driver {
namespace {

std::string ms(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g ms", seconds * 1e3);
    return buf;
}

// Where the gain is: the changed knobs by the Func they schedule ("fwd: rows=4; d_weight:
// parallel=0"), or "-" when the defaults stayed.
std::string where_text(const codegen::KnobValues& knobs) {
    std::map<std::string, std::string> by_func;
    for (const auto& [name, value] : knobs) {
        const size_t dot = name.find('.');
        const std::string func = dot == std::string::npos ? "" : name.substr(0, dot);
        std::string& s = by_func[func];
        s += (s.empty() ? "" : " ") + name.substr(dot + 1) + "=" + std::to_string(value);
    }
    std::string out;
    for (const auto& [func, text] : by_func)
        out += (out.empty() ? "" : "; ") + (func.empty() ? "" : func + ": ") + text;
    return out.empty() ? "-" : out;
}

void print_report(const codegen::ModelTuning& t) {
    std::fprintf(stderr, "  %-40s %10s %10s %15s  %-9s %s\n", "layer", "default", "tuned", "ratio", "from",
                 "where it saved");
    for (const codegen::LayerTuning& l : t.layers) {
        if (!l.tuned) {
            std::fprintf(stderr, "  %-40s %10s %10s %15s  %-9s %s\n", l.label.c_str(), "-", "-", "-", "untuned",
                         "the budget ran out before it");
            continue;
        }
        const codegen::TunedLayer& u = *l.tuned;
        char ratio[48];
        std::snprintf(ratio, sizeof ratio, "%.2fx +-%.2f", u.ratio, u.spread);
        const std::string from = l.measured ? "measured" : l.source == "this machine's" ? "cache" : "shipped";
        std::fprintf(stderr, "  %-40s %10s %10s %15s  %-9s %s%s\n", l.label.c_str(), ms(u.default_seconds).c_str(),
                     ms(u.seconds).c_str(), ratio, from.c_str(), where_text(u.knobs).c_str(),
                     u.complete ? "" : " (search cut short by the budget)");
    }
}

// This machine's entries for `t`'s layers into DIR/<CPU model>.json (created or merged).
void save_shipped(const std::string& dir, const codegen::MachineKey& machine, const codegen::TuningCache& cache,
                  const std::vector<codegen::LayerTuning>& layers) {
    const std::string path = dir + "/" + codegen::tuning_file_name(machine.cpu_model);
    codegen::TuningCache shipped = codegen::TuningCache::load(path);
    int written = 0;
    for (const codegen::LayerTuning& l : layers)
        if (const auto mine = cache.find(machine, l.signature)) {
            shipped.put(machine, l.signature, *mine);
            ++written;
        }
    shipped.save();
    std::fprintf(stderr, "nnc: %d signature(s) written to the shipped tuning %s (schedules/README.md)\n", written,
                 path.c_str());
}

}  // namespace

int run_tune_kernels(const TuneKernelsOptions& o) {
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
        std::vector<codegen::LayerTuning> all_layers;
        for (const std::string& input : o.inputs) {
            const auto model = load_checked_model(input);
            if (!model) return 1;
            std::fprintf(stderr, "nnc: tuning %s on %s (batch %lld, %s)\n", input.c_str(), machine.cpu_model.c_str(),
                         static_cast<long long>(model->train.batch), o.mode.c_str());
            const codegen::ModelTuning t = codegen::tune_model(
                *model, *mode, cache, machine,
                [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); }, o.budget_seconds);
            print_report(t);
            all_layers.insert(all_layers.end(), t.layers.begin(), t.layers.end());
        }
        std::fprintf(stderr, "nnc: saved in %s\n", path.c_str());
        if (!o.save_shipped.empty()) save_shipped(o.save_shipped, machine, cache, all_layers);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc: error: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace nnc::driver
