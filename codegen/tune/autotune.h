// Tuning a model's layers: each tunable signature (codegen/tune/layer_signature.h) looked up in
// the tuning cache, and with quick or thorough measured (codegen/tune/layer_bench.h,
// knob_search.h) when the cache lacks it; the result is the knob values for a build
// (ScheduleOptions::knobs) and a fingerprint for the build cache's key.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "codegen/schedule/template_knobs.h"
#include "codegen/tune/knob_search.h"
#include "codegen/tune/tuning_cache.h"
#include "dsl/model.h"

namespace nnc::codegen {

// off: the template defaults. cached: what the tuning cache holds for this machine, defaults for
// the rest; it measures nothing (a cached build stays as fast as an untuned one). quick and
// thorough: measure the signatures the cache lacks (thorough: every signature, again), within
// the mode's budget, and save what they find.
enum class AutotuneMode { Off, Cached, Quick, Thorough };

std::optional<AutotuneMode> parse_autotune_mode(const std::string& name);  // "off", "cached", ...
const char* autotune_mode_name(AutotuneMode mode);

// quick: one short pass per layer, the whole model in about a minute; thorough: three passes,
// each candidate timed longer.
SearchBudget autotune_budget(AutotuneMode mode);

struct ModelTuning {
    std::map<std::string, KnobValues> by_node;  // nodes with tuned knobs; the rest keep the defaults
    // "node: signature {knobs}" lines of the applied tunings; empty when none applies, so an
    // untuned build's cache key is unchanged.
    std::string fingerprint;
};

// Progress lines for the user ("dense 1024->2048: 9 candidates, 1.8 ms -> 1.2 ms").
using TuneLog = std::function<void(const std::string&)>;

// The knobs for `model`'s build at its training batch. quick and thorough save the cache.
// `budget_seconds` bounds the whole model's search (negative: the mode's, 50 s for quick); at 0
// only the defaults are timed.
ModelTuning tune_model(const dsl::CheckedModel& model, AutotuneMode mode, TuningCache& cache, const MachineKey& machine,
                       const TuneLog& log = {}, double budget_seconds = -1);

// The tunings of `model` found in the cache (cached mode, without measuring).
ModelTuning cached_tuning(const dsl::CheckedModel& model, const TuningCache& cache, const MachineKey& machine);

}  // namespace nnc::codegen
