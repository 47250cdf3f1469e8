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
std::vector<KnobRange> ProductKnobs::space() {
    const ProductKnobs d;
    return {{"col_vectors", d.col_vectors, {1, 2, 3}, "register tile columns, in vectors"},
            {"rows", d.rows, {4, 6, 8, 12}, "register tile rows"},
            {"columns_outer", d.columns_outer, {0, 1}, "column blocks outside the row tiles"},
            {"parallel", d.parallel, {1, 0}, "tiles in parallel (0: on one thread)"}};
}

ProductKnobs ProductKnobs::from(const KnobValues& values, const std::string& prefix) {
    ProductKnobs k;
    k.col_vectors = knob_value(values, prefix, "col_vectors", k.col_vectors);
    k.rows = knob_value(values, prefix, "rows", k.rows);
    k.columns_outer = knob_value(values, prefix, "columns_outer", k.columns_outer);
    k.parallel = knob_value(values, prefix, "parallel", k.parallel);
    return k;
}

std::vector<KnobRange> WindowProductKnobs::space() {
    const WindowProductKnobs d;
    return {{"col_vectors", d.col_vectors, {1, 2}, "register tile: vectors of x"},
            {"rows", d.rows, {2, 4, 6, 8}, "register tile: rows"},
            {"chans", d.chans, {2, 4, 8}, "register tile: channels"}};
}

WindowProductKnobs WindowProductKnobs::from(const KnobValues& values, const std::string& prefix) {
    WindowProductKnobs k;
    k.col_vectors = knob_value(values, prefix, "col_vectors", k.col_vectors);
    k.rows = knob_value(values, prefix, "rows", k.rows);
    k.chans = knob_value(values, prefix, "chans", k.chans);
    return k;
}

std::vector<KnobRange> WeightGradientKnobs::space() {
    const WeightGradientKnobs d;
    return {{"filter_vectors", d.filter_vectors, {1, 2, 3}, "register tile: vectors of filters"},
            {"accumulators", d.accumulators, {9, 12, 18, 20, 24, 28}, "most vector accumulators per tile"},
            {"batch_block", d.batch_block, {0, 1, 2, 4}, "samples per partial sum (0: one sum over all)"}};
}

WeightGradientKnobs WeightGradientKnobs::from(const KnobValues& values, const std::string& prefix) {
    WeightGradientKnobs k;
    k.filter_vectors = knob_value(values, prefix, "filter_vectors", k.filter_vectors);
    k.accumulators = knob_value(values, prefix, "accumulators", k.accumulators);
    k.batch_block = knob_value(values, prefix, "batch_block", k.batch_block);
    return k;
}

std::vector<KnobRange> RecurrentScanKnobs::space() {
    const RecurrentScanKnobs d;
    return {{"samples_per_block", d.samples_per_block, {2, 4, 8, 16}, "samples sharing the loaded weights"}};
}

RecurrentScanKnobs RecurrentScanKnobs::from(const KnobValues& values, const std::string& prefix) {
    RecurrentScanKnobs k;
    k.samples_per_block = knob_value(values, prefix, "samples_per_block", k.samples_per_block);
    return k;
}

}  // namespace nnc::codegen
