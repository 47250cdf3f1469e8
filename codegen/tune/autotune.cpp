#include "codegen/tune/autotune.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "codegen/tune/knob_space.h"
#include "codegen/tune/layer_bench.h"
#include "codegen/tune/layer_signature.h"

namespace nnc::codegen {
namespace {

std::string knobs_text(const KnobValues& k) {
    std::string s = "{";
    for (const auto& [name, value] : k) s += (s.size() > 1 ? " " : "") + name + "=" + std::to_string(value);
    return s + "}";
}

// Only the knobs that differ from the defaults: an entry equal to the defaults changes nothing.
KnobValues non_default(const KnobValues& knobs, const std::vector<KnobRange>& space) {
    KnobValues out;
    for (const KnobRange& r : space)
        if (auto it = knobs.find(r.name); it != knobs.end() && it->second != r.default_value) out[r.name] = it->second;
    return out;
}

int tuning_batch(const dsl::CheckedModel& model) { return static_cast<int>(model.train.batch); }

std::string ms(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g ms", seconds * 1e3);
    return buf;
}

}  // namespace

std::optional<AutotuneMode> parse_autotune_mode(const std::string& name) {
    if (name == "off") return AutotuneMode::Off;
    if (name == "cached") return AutotuneMode::Cached;
    if (name == "quick") return AutotuneMode::Quick;
    if (name == "thorough") return AutotuneMode::Thorough;
    return std::nullopt;
}

const char* autotune_mode_name(AutotuneMode mode) {
    switch (mode) {
        case AutotuneMode::Off: return "off";
        case AutotuneMode::Cached: return "cached";
        case AutotuneMode::Quick: return "quick";
        case AutotuneMode::Thorough: return "thorough";
    }
    return "off";
}

SearchBudget autotune_budget(AutotuneMode mode) {
    SearchBudget b;
    if (mode == AutotuneMode::Thorough) {
        b.slice_seconds = 0.2;
        b.passes = 3;
        b.wall_seconds = 300;
    } else {
        b.slice_seconds = 0.03;
        b.passes = 1;
        b.wall_seconds = 20;
    }
    return b;
}

ModelTuning cached_tuning(const dsl::CheckedModel& model, const TuningCache& cache, const MachineKey& machine) {
    ModelTuning t;
    for (const auto& [node, signature] : node_signatures(model, tuning_batch(model))) {
        const std::optional<TunedLayer> found = cache.find(machine, signature);
        if (!found || found->knobs.empty()) continue;
        t.by_node[node] = found->knobs;
        t.fingerprint += node + ": " + signature + " " + knobs_text(found->knobs) + "\n";
    }
    return t;
}

ModelTuning tune_model(const dsl::CheckedModel& model, AutotuneMode mode, TuningCache& cache, const MachineKey& machine,
                       const TuneLog& log, double budget_seconds) {
    if (mode == AutotuneMode::Off) return {};
    if (mode == AutotuneMode::Cached) return cached_tuning(model, cache, machine);
    const int batch = tuning_batch(model);
    std::vector<TunableLayer> todo;
    for (TunableLayer& layer : tunable_layers(model, batch))
        if (mode == AutotuneMode::Thorough || !cache.find(machine, layer.signature)) todo.push_back(layer);
    // The model's budget is shared out among the layers still to tune.
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    const double model_seconds = budget_seconds >= 0 ? budget_seconds : mode == AutotuneMode::Quick ? 50 : 1800;
    bool changed = false;
    for (size_t i = 0; i < todo.size(); ++i) {
        const TunableLayer& layer = todo[i];
        SearchBudget budget = autotune_budget(mode);
        const double left = model_seconds - std::chrono::duration<double>(Clock::now() - start).count();
        budget.wall_seconds = std::min(budget.wall_seconds, std::max(0.0, left) / static_cast<double>(todo.size() - i));
        const std::vector<KnobRange> space = layer_knob_space(model, *layer.node);
        LayerBench bench(model, *layer.node, batch);
        const SearchResult r = search_knobs(
            space, [&](const KnobValues& k, double s) { return bench.time(k, s); }, budget);
        TunedLayer tuned{non_default(r.best, space), r.best_seconds, r.default_seconds, autotune_mode_name(mode)};
        cache.put(machine, layer.signature, tuned);
        changed = true;
        if (log)
            log(layer.signature + ": " + std::to_string(r.candidates_timed) + " timings, " + ms(r.default_seconds) +
                " (defaults) -> " + ms(r.best_seconds) + " " + knobs_text(tuned.knobs) +
                (r.out_of_budget ? " (budget ran out)" : ""));
    }
    if (changed) cache.save();
    return cached_tuning(model, cache, machine);
}

}  // namespace nnc::codegen
