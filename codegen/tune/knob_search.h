// The search over a layer's knobs: coordinate descent from the defaults (each knob in turn
// takes each of its candidates while the others hold their best values), then a longer
// re-timing of the winner against the defaults. Timing every combination of a dense layer's
// twelve knobs would be 110,592 compiles; one pass of coordinate descent times at most 24.
#pragma once
#include <functional>
#include <optional>
#include <vector>

#include "codegen/schedule/template_knobs.h"

namespace nnc::codegen {

// Seconds per run of the candidate `knobs`, measured for about `seconds`; nullopt refuses it (its
// outputs differ from the defaults', or it failed to compile).
using CandidateTimer = std::function<std::optional<double>(const KnobValues& knobs, double seconds)>;

struct SearchBudget {
    double slice_seconds = 0.05;  // measuring time per candidate; the final re-timing takes 4x
    int passes = 1;               // passes over the knobs (a pass that improves nothing ends it)
    double wall_seconds = 30;     // no candidate is started after this (the final re-timing still runs)
    double min_gain = 0.03;       // a candidate must be this much faster to replace the best
};

struct SearchResult {
    KnobValues best;             // every knob of the space
    double best_seconds = 0;     // per run, from the final re-timing
    double default_seconds = 0;  // the same for the defaults
    int candidates_timed = 0;    // timer calls, re-timings included
    bool out_of_budget = false;  // the wall-clock budget stopped the descent early
};

// `clock` (seconds, monotonic) defaults to the steady clock; tests inject one. Throws
// std::runtime_error when the defaults themselves are refused.
SearchResult search_knobs(const std::vector<KnobRange>& space, const CandidateTimer& timer, const SearchBudget& budget,
                          std::function<double()> clock = {});

}  // namespace nnc::codegen
