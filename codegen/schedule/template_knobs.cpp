#include "codegen/schedule/template_knobs.h"

namespace nnc::codegen {

int knob_value(const KnobValues& values, const std::string& prefix, const std::string& name, int fallback) {
    auto it = values.find(prefix + name);
    return it == values.end() ? fallback : it->second;
}

// A parallel task costs the thread pool about a microsecond; 32 thousand multiply-adds or 16
// thousand elements copied take a few. Every iteration a task made fashion_mlp's batch-1 step
// run ~2,000 tasks (one per row of each weight gradient's copy, 8 rows of each product), slower
// on 2 threads than on 1; at batch 64 and above a product's row block is over the grain alone.
const int kProductGrain = 32;
const int kDefaultGrain = 16;

const std::vector<int>& grain_candidates() {
    static const std::vector<int> g{0, 8, 32, 128, 1 << 20};
    return g;
}

std::vector<KnobRange> prefixed(const std::string& prefix, std::vector<KnobRange> space) {
    for (KnobRange& k : space) k.name = prefix + k.name;
    return space;
}

// Register tiles stay within 24 of the 32 AVX-512 vector registers (16 on AVX2: the search
// measures the spills away).
const std::vector<Knob<ProductKnobs>>& ProductKnobs::table() {
    using K = ProductKnobs;
    static const std::vector<Knob<K>> rows{
        {"col_vectors", &K::col_vectors, {1, 2, 3}, "register tile columns, in vectors"},
        {"rows", &K::rows, {4, 6, 8, 12}, "register tile rows"},
        {"columns_outer", &K::columns_outer, {0, 1}, "column blocks outside the row tiles"},
        {"grain", &K::grain, grain_candidates(), "thousand multiply-adds per parallel task at least"},
    };
    return rows;
}

const std::vector<Knob<WindowProductKnobs>>& WindowProductKnobs::table() {
    using K = WindowProductKnobs;
    static const std::vector<Knob<K>> rows{
        {"col_vectors", &K::col_vectors, {1, 2}, "register tile: vectors of x"},
        {"rows", &K::rows, {2, 4, 6, 8}, "register tile: rows"},
        {"chans", &K::chans, {2, 4, 8}, "register tile: channels"},
        {"grain", &K::grain, grain_candidates(), "thousand multiply-adds per parallel task at least"},
    };
    return rows;
}

const std::vector<Knob<WeightGradientKnobs>>& WeightGradientKnobs::table() {
    using K = WeightGradientKnobs;
    static const std::vector<Knob<K>> rows{
        {"filter_vectors", &K::filter_vectors, {1, 2, 3}, "register tile: vectors of filters"},
        {"accumulators", &K::accumulators, {9, 12, 18, 20, 24, 28}, "most vector accumulators per tile"},
        {"batch_block", &K::batch_block, {0, 1, 2, 4}, "samples per partial sum (0: one sum over all)"},
    };
    return rows;
}

const std::vector<Knob<RecurrentScanKnobs>>& RecurrentScanKnobs::table() {
    using K = RecurrentScanKnobs;
    static const std::vector<Knob<K>> rows{
        {"samples_per_block", &K::samples_per_block, {2, 4, 8, 16}, "samples sharing the loaded weights"},
    };
    return rows;
}

const std::vector<Knob<LaneSumKnobs>>& LaneSumKnobs::table() {
    using K = LaneSumKnobs;
    static const std::vector<Knob<K>> rows{
        {"channels_per_task", &K::channels_per_task, {1, 2, 4, 8}, "channels per parallel task"},
    };
    return rows;
}

const std::vector<Knob<BatchSumKnobs>>& BatchSumKnobs::table() {
    using K = BatchSumKnobs;
    static const std::vector<Knob<K>> rows{
        {"vectors", &K::vectors, {1, 2, 4}, "features per parallel task, in vectors"},
    };
    return rows;
}

const std::vector<Knob<WindowReductionKnobs>>& WindowReductionKnobs::table() {
    using K = WindowReductionKnobs;
    static const std::vector<Knob<K>> rows{
        {"unroll_kernel", &K::unroll_kernel, {0, 3, 5}, "largest kernel whose taps are unrolled"},
        {"parallel_channels", &K::parallel_channels, {0, 1}, "parallel over (channels, batch)"},
    };
    return rows;
}

const std::vector<Knob<WindowGatherKnobs>>& WindowGatherKnobs::table() {
    using K = WindowGatherKnobs;
    static const std::vector<Knob<K>> rows{
        {"parallel_channels", &K::parallel_channels, {0, 1}, "parallel over (channels, batch)"},
    };
    return rows;
}

const std::vector<Knob<DefaultKnobs>>& DefaultKnobs::table() {
    using K = DefaultKnobs;
    static const std::vector<Knob<K>> rows{
        {"vectors", &K::vectors, {1, 2, 4}, "innermost dimension's vector, in natural vectors"},
        {"grain", &K::grain, grain_candidates(), "thousand elements per parallel task at least"},
    };
    return rows;
}

}  // namespace nnc::codegen
