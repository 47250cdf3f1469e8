// The search over a layer's knobs, made to decide right on a machine whose speed swings ±15%
// from one second to the next. A candidate is compared with the incumbent interleaved (short
// slices: incumbent, candidate, candidate, incumbent, ...), and judged on the median of the
// per-pair ratios and their spread: it replaces the incumbent only when it is faster beyond the
// spread. Coordinate descent from the defaults, with pruning: each knob walks outward from its
// value along its sorted candidates, a direction ends at the first value that is not faster (the
// values past it are never compiled), and a candidate whose first few pairs show no gain is
// dropped without the rest. The knobs are visited round robin over the Funcs they schedule
// (fwd.col_vectors, d_input.col_vectors, d_weight.col_vectors, fwd.rows, ...), so that a budget
// cut short has tried some of each. Timing every combination of a dense layer's twelve knobs
// would be 110,592 compiles; a pass here compiles at most 21.
#pragma once
#include <functional>
#include <optional>
#include <vector>

#include "codegen/schedule/template_knobs.h"

namespace nnc::codegen {

// One compiled candidate: runs it for about `seconds` (at least once) and returns the seconds
// of its fastest run in that slice.
using SliceRunner = std::function<double(double seconds)>;

// Compiles the candidate `knobs` for timing; nullopt refuses it (its outputs differ from the
// defaults', or it failed to compile).
using CandidateCompiler = std::function<std::optional<SliceRunner>(const KnobValues& knobs)>;

struct SearchBudget {
    double slice_seconds = 0.01;          // each side of an interleaved pair runs this long
    int early_pairs = 3;                  // after these, a candidate not faster at the median is dropped
    int pairs = 7;                        // pairs that judge a candidate against the incumbent
    int final_pairs = 15;                 // pairs of the winner against the defaults, at the end
    int passes = 1;                       // passes over the knobs (a pass that improves nothing ends it)
    double wall_seconds = 30;             // no candidate is compiled after this (the final comparison still runs)
    double min_gain = 0.01;               // beyond its spread, a candidate must also be this much faster
    double give_up_ratio = 1.0;           // a candidate at least this slow (median ratio) ends its direction
    double expected_compile_seconds = 0;  // one compile, until one is timed (the defaults compiled before)
};

// An interleaved comparison of `candidate` against `incumbent`.
struct Comparison {
    double ratio = 1;              // median of the per-pair ratios candidate / incumbent
    double spread = 0;             // half the interquartile range of those ratios
    int pairs = 0;                 // pairs timed
    double incumbent_seconds = 0;  // median of the incumbent's slices (seconds per run)
    double candidate_seconds = 0;  // the same for the candidate
    // Faster beyond the spread: ratio + spread < 1 - min_gain.
    bool faster(double min_gain) const { return ratio + spread < 1 - min_gain; }
};

// Times `pairs` interleaved pairs, alternating which side runs first so that neither is always
// the one that follows the other (caches, turbo).
Comparison compare_interleaved(const SliceRunner& incumbent, const SliceRunner& candidate, int pairs,
                               double slice_seconds);

struct SearchResult {
    KnobValues best;             // every knob of the space
    double best_seconds = 0;     // per run: median of its slices in the final comparison
    double default_seconds = 0;  // the same for the defaults
    double ratio = 1;            // best / defaults, from the final comparison (1: the defaults kept)
    double spread = 0;           // that ratio's spread
    int candidates = 0;          // candidates compiled, the defaults excluded
    int refused = 0;             // of those, refused by the compiler (outputs differ, or no code)
    int dropped_early = 0;       // of those, dropped after `early_pairs` pairs
    int skipped = 0;             // never compiled: past a value that was not faster along their knob
    bool out_of_budget = false;  // the wall-clock budget stopped the descent early
};

// `clock` (seconds, monotonic) defaults to the steady clock; tests inject one. The defaults are
// compiled first, unless `compiled_defaults` already holds them. Throws std::runtime_error when
// the defaults themselves are refused.
SearchResult search_knobs(const std::vector<KnobRange>& space, const CandidateCompiler& compile,
                          const SearchBudget& budget, std::function<double()> clock = {},
                          const SliceRunner* compiled_defaults = nullptr);

}  // namespace nnc::codegen
