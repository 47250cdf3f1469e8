#include "codegen/tune/autotune.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>

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

std::string layer_label(const dsl::CheckedModel& model, const dsl::Node& node) {
    std::string in;
    for (int id : node.inputs) in += (in.empty() ? "" : ",") + model.node(id).shape.str();
    return node.op + " " + in + "->" + node.shape.str() + " (" + node.name + ")";
}

// "dense [1024]->[2048] (fc1): 9 candidates (2 cut short, 12 skipped), 1.8 ms -> 1.2 ms
// (0.67x +-0.04): {fwd.rows=4}".
std::string search_line(const std::string& label, const SearchResult& r, const KnobValues& changed) {
    std::string s = label + ": " + std::to_string(r.candidates) +
                    (r.candidates == 1 ? " candidate (" : " candidates (") + std::to_string(r.dropped_early) +
                    " cut short, " + std::to_string(r.skipped) + " skipped";
    if (r.refused) s += ", " + std::to_string(r.refused) + " refused";
    s += "), ";
    if (changed.empty()) {
        s += ms(r.default_seconds) + ": the defaults kept";
    } else {
        char ratio[64];
        std::snprintf(ratio, sizeof ratio, " (%.2fx +-%.2f): ", r.ratio, r.spread);
        s += ms(r.default_seconds) + " -> " + ms(r.best_seconds) + ratio + knobs_text(changed);
    }
    return s + (r.out_of_budget ? " (the budget ran out)" : "");
}

bool needs_measuring(AutotuneMode mode, const std::string& signature, const TuningCache& cache,
                     const MachineKey& machine, const TuningSource* shipped) {
    if (mode == AutotuneMode::Thorough) return true;
    const std::optional<TunedLayer> mine = cache.find(machine, signature);
    if (mode == AutotuneMode::Quick) return !mine || !mine->complete;
    return !mine && !(shipped && shipped->cache && shipped->cache->find(shipped->machine, signature));
}

// A layer ready to search: its bench, with the defaults compiled (the bench's reference) and
// timed.
struct Prepared {
    const TunableLayer* layer = nullptr;
    std::string label;
    std::vector<KnobRange> space;
    std::unique_ptr<LayerBench> bench;
    SliceRunner defaults;
    double default_seconds = 0;
    double compile_seconds = 0;  // the defaults' compile: what a candidate's will take, about
};

// The tuning of the model's layers in progress: the model's budget, the cache, the log.
struct LayerTuner {
    LayerTuner(const dsl::CheckedModel& m, AutotuneMode mo, TuningCache& c, const MachineKey& ma, const TuneLog& l,
               double seconds)
        : model(m), mode(mo), cache(c), machine(ma), log(l), model_seconds(seconds) {}
    const dsl::CheckedModel& model;
    AutotuneMode mode;
    TuningCache& cache;
    const MachineKey& machine;
    const TuneLog& log;
    double model_seconds;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::set<std::string> measured;

    double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
    double left() const { return model_seconds - elapsed(); }
    void say(const std::string& line) const {
        if (log) log(line);
    }
    void keep(const std::string& signature, const TunedLayer& tuned) {
        cache.put(machine, signature, tuned);
        cache.save();  // each layer as it is done: an interrupted tuning keeps what it measured
        measured.insert(signature);
    }

    // Each layer's defaults compiled and timed, while the budget lasts. A layer that cannot be
    // measured is cached as the defaults: measuring it again would fail again, on every build.
    std::vector<Prepared> prepare(const std::vector<TunableLayer>& todo) {
        std::vector<Prepared> ready;
        const SearchBudget budget = autotune_budget(mode);
        for (size_t i = 0; i < todo.size(); ++i) {
            if (left() <= 0 && model_seconds > 0) {
                say("the budget is spent: " + std::to_string(todo.size() - i) +
                    " signature(s) keep the defaults, untuned (a later build tunes them)");
                break;
            }
            Prepared p;
            p.layer = &todo[i];
            p.label = layer_label(model, *todo[i].node);
            p.space = layer_knob_space(model, *todo[i].node);
            try {
                p.bench = std::make_unique<LayerBench>(model, *todo[i].node, tuning_batch(model));
                const double compile_start = elapsed();
                std::optional<SliceRunner> defaults = p.bench->compile(default_knobs(p.space));
                p.compile_seconds = elapsed() - compile_start;
                if (!defaults) throw std::runtime_error("the template defaults did not compile");
                p.defaults = *defaults;
                std::vector<double> t;
                for (int k = 0; k < 3; ++k) t.push_back(p.defaults(budget.slice_seconds));
                std::sort(t.begin(), t.end());
                p.default_seconds = t[1];
                ready.push_back(std::move(p));
            } catch (const std::runtime_error& e) {
                say(p.label + ": not tuned (the defaults kept): " + e.what());
                keep(todo[i].signature, TunedLayer{{}, 0, 0, autotune_mode_name(mode)});
            }
        }
        return ready;
    }

    // The layers, slowest first, each searched within its share of what is left of the budget,
    // in proportion to its time (a layer of 0.02 ms has little to give).
    void search(std::vector<Prepared>& ready) {
        std::sort(ready.begin(), ready.end(),
                  [](const Prepared& a, const Prepared& b) { return a.default_seconds > b.default_seconds; });
        double weight_left = 0;
        for (const Prepared& p : ready) weight_left += p.default_seconds;
        for (Prepared& p : ready) {
            SearchBudget budget = autotune_budget(mode);
            const double share = weight_left > 0 ? p.default_seconds / weight_left : 1.0;
            weight_left -= p.default_seconds;
            budget.wall_seconds = std::min(budget.wall_seconds, std::max(0.0, left()) * share);
            budget.expected_compile_seconds = p.compile_seconds;
            const SearchResult r = search_knobs(
                p.space, [&](const KnobValues& k) { return p.bench->compile(k); }, budget, {}, &p.defaults);
            const TunedLayer tuned{non_default(r.best, p.space),
                                   r.best_seconds,
                                   r.default_seconds,
                                   autotune_mode_name(mode),
                                   r.ratio,
                                   r.spread,
                                   r.candidates,
                                   !r.out_of_budget};
            keep(p.layer->signature, tuned);
            say(search_line(p.label, r, tuned.knobs));
        }
    }
};

// Searches each of `todo` within the model's budget, saving the cache after each; returns the
// signatures measured.
std::set<std::string> measure_layers(const dsl::CheckedModel& model, const std::vector<TunableLayer>& todo,
                                     AutotuneMode mode, TuningCache& cache, const MachineKey& machine,
                                     const TuneLog& log, double budget_seconds) {
    if (todo.empty()) return {};
    LayerTuner tuner{model,   mode, cache,
                     machine, log,  budget_seconds >= 0 ? budget_seconds : model_budget_seconds(mode)};
    tuner.say("tuning " + std::to_string(todo.size()) + " layer signature(s) on " + machine.cpu_model + " (" +
              autotune_mode_name(mode) + ", at most " + std::to_string(static_cast<int>(tuner.model_seconds)) +
              " s; --autotune=off skips, NNC_AUTOTUNE sets the default)");
    std::vector<Prepared> ready = tuner.prepare(todo);
    tuner.search(ready);
    return tuner.measured;
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
        b.slice_seconds = 0.03;
        b.early_pairs = 5;
        b.pairs = 15;
        b.final_pairs = 31;
        b.passes = 3;
        b.wall_seconds = 300;
        b.give_up_ratio = 1.05;  // walks on past a value that is about as fast
    } else {
        b.slice_seconds = 0.01;
        b.early_pairs = 3;
        b.pairs = 7;
        b.final_pairs = 15;
        b.passes = 1;
        b.wall_seconds = 20;
        b.give_up_ratio = 1.0;
    }
    return b;
}

double model_budget_seconds(AutotuneMode mode) {
    switch (mode) {
        case AutotuneMode::Off: return 0;
        case AutotuneMode::Cached:
        case AutotuneMode::Quick: return 45;
        case AutotuneMode::Thorough: return 1800;
    }
    return 0;
}

ModelTuning applied_tuning(const dsl::CheckedModel& model, const std::vector<TuningSource>& sources) {
    ModelTuning t;
    const int batch = tuning_batch(model);
    std::map<std::string, size_t> source_of;  // signature -> index in `sources`
    for (const TunableLayer& layer : tunable_layers(model, batch)) {
        LayerTuning l{layer.signature, layer_label(model, *layer.node), std::nullopt, "", false};
        for (size_t i = 0; i < sources.size() && !l.tuned; ++i) {
            if (!sources[i].cache) continue;
            l.tuned = sources[i].cache->find(sources[i].machine, layer.signature);
            if (l.tuned) {
                l.source = sources[i].label;
                source_of[layer.signature] = i;
            }
        }
        t.layers.push_back(std::move(l));
    }
    std::vector<int> nodes_from(sources.size(), 0);
    for (const auto& [node, signature] : node_signatures(model, batch)) {
        ++t.nodes;
        const auto from = source_of.find(signature);
        if (from == source_of.end()) continue;
        ++nodes_from[from->second];
        const auto l = std::find_if(t.layers.begin(), t.layers.end(),
                                    [&](const LayerTuning& x) { return x.signature == signature; });
        if (l->tuned->knobs.empty()) continue;
        t.by_node[node] = l->tuned->knobs;
        t.fingerprint += node + ": " + signature + " " + knobs_text(l->tuned->knobs) + "\n";
    }
    for (size_t i = 0; i < sources.size(); ++i)
        if (nodes_from[i] > 0)
            t.summary += (t.summary.empty() ? "" : "; ") + sources[i].label + " (" + sources[i].cache->path().string() +
                         "), " + std::to_string(nodes_from[i]) + " of " + std::to_string(t.nodes) + " layers";
    return t;
}

ModelTuning cached_tuning(const dsl::CheckedModel& model, const TuningCache& cache, const MachineKey& machine) {
    return applied_tuning(model, {{&cache, machine, "this machine's"}});
}

ModelTuning tune_model(const dsl::CheckedModel& model, AutotuneMode mode, TuningCache& cache, const MachineKey& machine,
                       const TuneLog& log, double budget_seconds, const TuningSource* shipped) {
    if (mode == AutotuneMode::Off) return {};
    std::vector<TunableLayer> todo;
    for (TunableLayer& layer : tunable_layers(model, tuning_batch(model)))
        if (needs_measuring(mode, layer.signature, cache, machine, shipped)) todo.push_back(layer);
    const std::set<std::string> measured = measure_layers(model, todo, mode, cache, machine, log, budget_seconds);
    std::vector<TuningSource> sources = {{&cache, machine, "this machine's"}};
    if (shipped) sources.push_back(*shipped);
    ModelTuning t = applied_tuning(model, sources);
    for (LayerTuning& l : t.layers) l.measured = measured.count(l.signature) > 0;
    return t;
}

}  // namespace nnc::codegen
