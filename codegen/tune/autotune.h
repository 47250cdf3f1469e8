// Tuning a model's layers: each tunable signature (codegen/tune/layer_signature.h) looked up in
// this machine's tuning cache, then in the tuning nnc ships for this CPU
// (codegen/tune/shipped_tunings.h), and measured (codegen/tune/layer_bench.h, knob_search.h)
// when the mode says so; the result is the knob values for a build
// (ScheduleOptions::knobs) and a fingerprint for the build cache's key.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codegen/schedule/template_knobs.h"
#include "codegen/tune/knob_search.h"
#include "codegen/tune/tuning_cache.h"
#include "dsl/model.h"

namespace nnc::codegen {

// off: the template defaults. cached (the default): what the tunings hold for this machine, and
// the signatures they lack measured within the quick budget (a second build measures nothing).
// quick: measures every signature this machine's cache lacks, or whose search the budget cut
// short (a shipped tuning is measured again here), within the quick budget. thorough: every
// signature, again, longer.
enum class AutotuneMode { Off, Cached, Quick, Thorough };

std::optional<AutotuneMode> parse_autotune_mode(const std::string& name);  // "off", "cached", ...
const char* autotune_mode_name(AutotuneMode mode);

// One layer's search: quick judges each candidate on 7 interleaved pairs of 10 ms slices and
// makes one pass over the knobs; thorough 15 pairs of 30 ms, up to three passes.
SearchBudget autotune_budget(AutotuneMode mode);

// The whole model's wall clock for searching (cached and quick: 45 s, so that a reference model
// tunes from an empty cache within a minute; thorough: 30 minutes).
double model_budget_seconds(AutotuneMode mode);

// A file of tunings and the machine in it whose entries a build reads.
struct TuningSource {
    const TuningCache* cache = nullptr;
    MachineKey machine;
    std::string label;  // "this machine's", "shipped for AMD EPYC 9B14"
};

// One tunable signature of the model.
struct LayerTuning {
    std::string signature;
    std::string label;                // "dense [1024]->[2048] (fc1)": the op, its shapes and its first node
    std::optional<TunedLayer> tuned;  // what applies; none: the defaults, never tuned
    std::string source;               // the label of the source it came from
    bool measured = false;            // measured by this call
};

struct ModelTuning {
    std::map<std::string, KnobValues> by_node;  // nodes with tuned knobs; the rest keep the defaults
    // "node: signature {knobs}" lines of the applied tunings; empty when none applies, so an
    // untuned build's cache key is unchanged.
    std::string fingerprint;
    std::vector<LayerTuning> layers;  // per signature, in model order
    int nodes = 0;                    // tunable nodes
    // "this machine's (~/.cache/nnc/tuning/X.json), 3 of 4 layers; shipped for X (...), 1 of 4
    // layers"; empty when no source holds any of the model's layers.
    std::string summary;
};

// Progress lines for the user ("dense [1024]->[2048] (fc1): 9 candidates, 1.8 ms -> 1.2 ms
// (0.67x +-0.04)").
using TuneLog = std::function<void(const std::string&)>;

// The tunings `sources` hold for `model`'s layers (the first source holding a signature wins);
// measures nothing.
ModelTuning applied_tuning(const dsl::CheckedModel& model, const std::vector<TuningSource>& sources);

// This machine's cache alone (no shipped tuning), measuring nothing.
ModelTuning cached_tuning(const dsl::CheckedModel& model, const TuningCache& cache, const MachineKey& machine);

// The knobs for `model`'s build at its training batch, measuring what `mode` says (see
// AutotuneMode) into `cache`, which is saved when anything was measured. `shipped`, when given,
// is read after the cache. `budget_seconds` bounds the whole model's search (negative: the
// mode's); at 0 only the defaults are timed. A signature the budget never reached is not cached.
ModelTuning tune_model(const dsl::CheckedModel& model, AutotuneMode mode, TuningCache& cache, const MachineKey& machine,
                       const TuneLog& log = {}, double budget_seconds = -1, const TuningSource* shipped = nullptr);

}  // namespace nnc::codegen
