#include "codegen/tune/knob_search.h"

#include <chrono>
#include <map>
#include <stdexcept>

#include "codegen/tune/knob_space.h"

namespace nnc::codegen {
namespace {

double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The coordinate descent's state: the best so far and every candidate's first timing.
struct Descent {
    const CandidateTimer& timer;
    const SearchBudget& budget;
    std::map<KnobValues, std::optional<double>> timed;
    KnobValues best;
    double best_seconds = 0;
    int calls = 0;

    std::optional<double> time(const KnobValues& k, double seconds) {
        ++calls;
        return timer(k, seconds);
    }

    // One knob through its candidates; true when one of them became the best.
    bool try_knob(const KnobRange& knob) {
        bool improved = false;
        const int start = best.at(knob.name);
        for (int value : knob.candidates) {
            if (value == start) continue;
            KnobValues trial = best;
            trial[knob.name] = value;
            if (timed.count(trial)) continue;
            const std::optional<double> t = time(trial, budget.slice_seconds);
            timed[trial] = t;
            if (t && *t < best_seconds * (1 - budget.min_gain)) {
                best = trial;
                best_seconds = *t;
                improved = true;
            }
        }
        return improved;
    }
};

}  // namespace

SearchResult search_knobs(const std::vector<KnobRange>& space, const CandidateTimer& timer, const SearchBudget& budget,
                          std::function<double()> clock) {
    if (!clock) clock = steady_seconds;
    const double deadline = clock() + budget.wall_seconds;
    const KnobValues defaults = default_knobs(space);
    Descent d{timer, budget, {}, defaults};
    const std::optional<double> first = d.time(defaults, budget.slice_seconds);
    if (!first) throw std::runtime_error("internal error: the default schedule was refused by its own check");
    d.best_seconds = *first;
    d.timed[defaults] = first;

    SearchResult result;
    for (int pass = 0; pass < budget.passes && !result.out_of_budget; ++pass) {
        bool improved = false;
        for (const KnobRange& knob : space) {
            if (clock() >= deadline) {
                result.out_of_budget = true;
                break;
            }
            improved = d.try_knob(knob) || improved;
        }
        if (!improved) break;
    }

    // The first timings were short and the machine is noisy: the winner must beat the defaults
    // again, each timed longer, or the defaults stay.
    result.best = defaults;
    if (d.best != defaults) {
        const std::optional<double> again = d.time(d.best, 4 * budget.slice_seconds);
        const std::optional<double> base = d.time(defaults, 4 * budget.slice_seconds);
        result.default_seconds = base ? *base : *first;
        result.best_seconds = result.default_seconds;
        if (again && base && *again < *base * (1 - budget.min_gain)) {
            result.best = d.best;
            result.best_seconds = *again;
        }
    } else {
        result.default_seconds = result.best_seconds = *first;
    }
    result.candidates_timed = d.calls;
    return result;
}

}  // namespace nnc::codegen
