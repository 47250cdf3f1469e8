#include "codegen/schedule/template_knobs.h"

namespace nnc::codegen {

int knob_value(const KnobValues& values, const std::string& prefix, const std::string& name, int fallback) {
    auto it = values.find(prefix + name);
    return it == values.end() ? fallback : it->second;
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
        {"parallel", &K::parallel, {1, 0}, "tiles in parallel (0: on one thread)"},
    };
    return rows;
}

const std::vector<Knob<WindowProductKnobs>>& WindowProductKnobs::table() {
    using K = WindowProductKnobs;
    static const std::vector<Knob<K>> rows{
        {"col_vectors", &K::col_vectors, {1, 2}, "register tile: vectors of x"},
        {"rows", &K::rows, {2, 4, 6, 8}, "register tile: rows"},
        {"chans", &K::chans, {2, 4, 8}, "register tile: channels"},
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

}  // namespace nnc::codegen
