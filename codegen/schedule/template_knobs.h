// The parameters of the CPU schedule templates (codegen/schedule/cpu_templates.h), each with the
// hand-chosen value as its default and the values a search may try (codegen/tune/). A template
// given default knobs schedules exactly as it did before it had knobs.
//
// A template's knobs are one struct of ints whose initializers are the defaults, and one table
// (template_knobs.cpp) with a row per knob: its name, its member, the candidates and what it
// does. space() and from() are the same for every struct (KnobTable).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace nnc::codegen {

// One knob of a template: its name, its default and the candidate values a search tries.
struct KnobRange {
    std::string name;
    int default_value = 0;
    std::vector<int> candidates;  // includes the default
    std::string what;
};

// Knob values by name ("fwd.rows"); a name not present takes its default.
using KnobValues = std::map<std::string, int>;

// The value of knob `prefix + name` in `values`, or `fallback` when it is absent.
int knob_value(const KnobValues& values, const std::string& prefix, const std::string& name, int fallback);

// `space` with every name prefixed (a layer with several products names each one's knobs).
std::vector<KnobRange> prefixed(const std::string& prefix, std::vector<KnobRange> space);

// A row of K's table: the knob's name, the member of K that holds it (whose initializer is its
// default), the values a search tries and what it does.
template <class K>
struct Knob {
    const char* name;
    int K::*member;
    std::vector<int> candidates;
    const char* what;
};

// space() and from() of a knob struct K that lists its knobs in `static const
// std::vector<Knob<K>>& table()`.
template <class K>
struct KnobTable {
    // Every knob with its default (K's initializer) and candidates.
    static std::vector<KnobRange> space() {
        const K defaults{};
        std::vector<KnobRange> out;
        for (const Knob<K>& k : K::table()) out.push_back({k.name, defaults.*k.member, k.candidates, k.what});
        return out;
    }
    // The knobs named `prefix + name` in `values`; defaults for the rest.
    static K from(const KnobValues& values, const std::string& prefix) {
        K out{};
        for (const Knob<K>& k : K::table()) out.*k.member = knob_value(values, prefix, k.name, out.*k.member);
        return out;
    }
};

// A parallel grain: the least work a parallel task is given, in thousands (of multiply-adds for
// the products, of elements for the default schedule), so that a small loop does not pay the
// thread pool's per-task cost more often than its work repays it. 0: every iteration of the
// parallel loop is a task, whatever its work; a grain over the loop's whole work runs it on one
// thread.
const std::vector<int>& grain_candidates();
// The hand-chosen grains, set in template_knobs.cpp beside the knobs' rows.
extern const int kProductGrain;  // products and convolutions: thousand multiply-adds
extern const int kDefaultGrain;  // the default schedule: thousand elements

// schedule_product: out(a, b) += lhs(.., b) * rhs(a, ..).
struct ProductKnobs : KnobTable<ProductKnobs> {
    int col_vectors = 2;        // register tile: vectors of `a`
    int rows = 8;               // register tile: rows of `b` (col_vectors x rows accumulators)
    int columns_outer = 0;      // 1: each block of columns runs every row tile (its rhs columns stay
                                // in cache across the rows), in parallel over the columns
    int grain = kProductGrain;  // the parallel grain (parallel_with_grain): at least this many thousand
                                // multiply-adds per parallel task
    static const std::vector<Knob<ProductKnobs>>& table();
};

// schedule_window_product: f(x, y, ch, n) += over taps and channels.
struct WindowProductKnobs : KnobTable<WindowProductKnobs> {
    int col_vectors = 1;        // register tile: vectors of x
    int rows = 4;               // register tile: rows of y
    int chans = 4;              // register tile: channels
    int grain = kProductGrain;  // the parallel grain (parallel_with_grain), in thousand multiply-adds
    static const std::vector<Knob<WindowProductKnobs>>& table();
};

// schedule_transposed_weight_gradient: dwt(f, kx, ky, c) += over the output positions.
struct WeightGradientKnobs : KnobTable<WeightGradientKnobs> {
    int filter_vectors = 2;  // register tile: vectors of filters (fewer when the filters are fewer)
    int accumulators = 28;   // at most this many vector accumulators: sets the tile's channels
    int batch_block = 0;     // > 0: sum per block of this many samples first (rfactor), in parallel
                             // over the blocks, so that a block's data stays in cache across tiles
    static const std::vector<Knob<WeightGradientKnobs>>& table();
};

// schedule_recurrent_scan: the scan's update over blocks of samples.
struct RecurrentScanKnobs : KnobTable<RecurrentScanKnobs> {
    int samples_per_block = 8;  // the samples that share each chunk's recurrent weights in registers
    static const std::vector<Knob<RecurrentScanKnobs>>& table();
};

// schedule_lane_sum: batch norm's per-channel partial sums on (C, H, W) inputs.
struct LaneSumKnobs : KnobTable<LaneSumKnobs> {
    int channels_per_task = 1;  // channels each parallel task sums
    static const std::vector<Knob<LaneSumKnobs>>& table();
};

// schedule_batch_sum: batch norm's per-feature sums over the batch on [F] inputs.
struct BatchSumKnobs : KnobTable<BatchSumKnobs> {
    int vectors = 1;  // features each parallel task sums, in vectors
    static const std::vector<Knob<BatchSumKnobs>>& table();
};

// schedule_window_reduction: a reduction over each pooling window (max-pool's argmax).
struct WindowReductionKnobs : KnobTable<WindowReductionKnobs> {
    int unroll_kernel = 3;      // the taps are unrolled for kernels up to this
    int parallel_channels = 0;  // 1: in parallel over (channels, batch) rather than the batch
    static const std::vector<Knob<WindowReductionKnobs>>& table();
};

// schedule_tiled_window_gather: a pooling input gradient whose windows tile the input.
struct WindowGatherKnobs : KnobTable<WindowGatherKnobs> {
    int parallel_channels = 0;  // 1: in parallel over (channels, batch) rather than the batch
    static const std::vector<Knob<WindowGatherKnobs>>& table();
};

// default_schedule: every Func no layer's template claims, with the knobs of the node that made
// it ("default." in the node's values).
struct DefaultKnobs : KnobTable<DefaultKnobs> {
    int vectors = 1;            // the innermost dimension's vectors, in natural vectors
    int grain = kDefaultGrain;  // the parallel grain (parallel_with_grain), in thousand elements
    static const std::vector<Knob<DefaultKnobs>>& table();
};

}  // namespace nnc::codegen
