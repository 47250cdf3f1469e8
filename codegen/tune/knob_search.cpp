#include "codegen/tune/knob_search.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "codegen/tune/knob_space.h"

namespace nnc::codegen {
namespace {

double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The value at fraction `p` of the sorted `v`, interpolated between neighbours.
double quantile(const std::vector<double>& v, double p) {
    const double at = p * static_cast<double>(v.size() - 1);
    const size_t lo = static_cast<size_t>(at);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return quantile(v, 0.5);
}

// Pairs of slices, timed a few at a time (a candidate may be dropped after the first few).
class PairedTiming {
public:
    PairedTiming(const SliceRunner& incumbent, const SliceRunner& candidate, double slice_seconds)
        : incumbent_(incumbent), candidate_(candidate), slice_(slice_seconds) {}

    void add(int pairs) {
        for (int i = 0; i < pairs; ++i) {
            double a = 0, b = 0;
            if (ratios_.size() % 2 == 0) {
                a = incumbent_(slice_);
                b = candidate_(slice_);
            } else {
                b = candidate_(slice_);
                a = incumbent_(slice_);
            }
            a_.push_back(a);
            b_.push_back(b);
            ratios_.push_back(a > 0 ? b / a : 1.0);
        }
    }

    Comparison result() const {
        Comparison c;
        c.pairs = static_cast<int>(ratios_.size());
        if (ratios_.empty()) return c;
        std::vector<double> sorted = ratios_;
        std::sort(sorted.begin(), sorted.end());
        c.ratio = quantile(sorted, 0.5);
        c.spread = (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2;
        c.incumbent_seconds = median(a_);
        c.candidate_seconds = median(b_);
        return c;
    }

private:
    const SliceRunner& incumbent_;
    const SliceRunner& candidate_;
    double slice_;
    std::vector<double> a_, b_, ratios_;
};

enum class Verdict {
    Faster,        // beyond the spread: the new incumbent
    Inconclusive,  // not faster beyond the spread, but not slow enough to end the direction
    Slower,        // ends the walk in its direction
    Refused,       // its outputs differ or it did not compile: the walk goes past it
    OutOfBudget,   // not compiled: the wall-clock budget is spent
};

// The coordinate descent's state: the incumbent, its compiled code, what was compiled.
struct Descent {
    const CandidateCompiler& compile;
    const SearchBudget& budget;
    const std::function<double()>& clock;
    double deadline;
    SearchResult& result;
    KnobValues best;
    SliceRunner best_runner;
    std::set<KnobValues> tried;
    double longest_compile = 0;

    std::optional<SliceRunner> compile_timed(const KnobValues& knobs) {
        const double start = clock();
        std::optional<SliceRunner> runner = compile(knobs);
        longest_compile = std::max(longest_compile, clock() - start);
        return runner;
    }

    Verdict try_candidate(const KnobValues& trial) {
        // A compile that would end past the deadline is not started: the budget is a promise.
        if (clock() + longest_compile >= deadline) {
            result.out_of_budget = true;
            return Verdict::OutOfBudget;
        }
        tried.insert(trial);
        ++result.candidates;
        const std::optional<SliceRunner> runner = compile_timed(trial);
        if (!runner) {
            ++result.refused;
            return Verdict::Refused;
        }
        PairedTiming timing(best_runner, *runner, budget.slice_seconds);
        timing.add(std::min(budget.early_pairs, budget.pairs));
        if (timing.result().ratio >= 1) {
            ++result.dropped_early;
            return timing.result().ratio >= budget.give_up_ratio ? Verdict::Slower : Verdict::Inconclusive;
        }
        timing.add(budget.pairs - std::min(budget.early_pairs, budget.pairs));
        const Comparison c = timing.result();
        if (c.faster(budget.min_gain)) {
            best = trial;
            best_runner = *runner;
            return Verdict::Faster;
        }
        return c.ratio >= budget.give_up_ratio ? Verdict::Slower : Verdict::Inconclusive;
    }

    // The values of `knob` past `from` in direction `dir` (+1 larger, -1 smaller), nearest first.
    static std::vector<int> path(const KnobRange& knob, int from, int dir) {
        std::vector<int> values(knob.candidates);
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        std::vector<int> out;
        for (int v : values)
            if ((dir > 0 && v > from) || (dir < 0 && v < from)) out.push_back(v);
        if (dir < 0) std::reverse(out.begin(), out.end());
        return out;
    }

    // Walks one knob outward from its value; true when the incumbent changed. Once a direction
    // gains, the other is not tried (the walk assumes one best value along a knob).
    bool try_knob(const KnobRange& knob) {
        const KnobValues start = best;
        const int from = start.at(knob.name);
        bool improved = false, stopped_by_budget = false;
        for (int dir : {+1, -1}) {
            for (int value : path(knob, from, dir)) {
                KnobValues trial = best;
                trial[knob.name] = value;
                if (tried.count(trial)) continue;
                const Verdict v = try_candidate(trial);
                if (v == Verdict::OutOfBudget) stopped_by_budget = true;
                if (v == Verdict::Faster) improved = true;
                if (v == Verdict::Slower || v == Verdict::OutOfBudget) break;
            }
            if (improved || stopped_by_budget) break;
        }
        if (!stopped_by_budget) {
            // What the pruning saved: the values of this walk never compiled.
            for (int value : knob.candidates) {
                KnobValues trial = start;
                trial[knob.name] = value;
                if (value != from && !tried.count(trial)) ++result.skipped;
            }
        }
        return improved;
    }
};

// The knobs in the order the descent visits them: round robin over the Funcs they schedule (the
// prefix before the first '.'), each Func's in their own order. A budget that ends the pass early
// has then tried the first knobs of every Func rather than all of the forward's.
std::vector<KnobRange> round_robin_by_func(const std::vector<KnobRange>& space) {
    std::vector<std::string> funcs;
    std::map<std::string, std::vector<const KnobRange*>> by_func;
    for (const KnobRange& k : space) {
        const std::string func = k.name.substr(0, k.name.find('.') == std::string::npos ? 0 : k.name.find('.'));
        if (!by_func.count(func)) funcs.push_back(func);
        by_func[func].push_back(&k);
    }
    std::vector<KnobRange> out;
    for (size_t i = 0; out.size() < space.size(); ++i)
        for (const std::string& f : funcs)
            if (i < by_func[f].size()) out.push_back(*by_func[f][i]);
    return out;
}

// The defaults alone, for a layer whose search kept them: the median of `slices` slices.
double median_slice(const SliceRunner& runner, int slices, double slice_seconds) {
    std::vector<double> t;
    for (int i = 0; i < std::max(1, slices); ++i) t.push_back(runner(slice_seconds));
    return median(t);
}

}  // namespace

Comparison compare_interleaved(const SliceRunner& incumbent, const SliceRunner& candidate, int pairs,
                               double slice_seconds) {
    PairedTiming timing(incumbent, candidate, slice_seconds);
    timing.add(pairs);
    return timing.result();
}

SearchResult search_knobs(const std::vector<KnobRange>& space, const CandidateCompiler& compile,
                          const SearchBudget& budget, std::function<double()> clock,
                          const SliceRunner* compiled_defaults) {
    if (!clock) clock = steady_seconds;
    SearchResult result;
    const KnobValues defaults = default_knobs(space);
    Descent d{compile,  budget, clock,      clock() + budget.wall_seconds,  result,
              defaults, {},     {defaults}, budget.expected_compile_seconds};
    const std::optional<SliceRunner> default_runner =
        compiled_defaults ? std::optional<SliceRunner>(*compiled_defaults) : d.compile_timed(defaults);
    if (!default_runner) throw std::runtime_error("internal error: the default schedule was refused by its own check");
    d.best_runner = *default_runner;

    const std::vector<KnobRange> order = round_robin_by_func(space);
    for (int pass = 0; pass < budget.passes && !result.out_of_budget; ++pass) {
        bool improved = false;
        for (const KnobRange& knob : order) {
            improved = d.try_knob(knob) || improved;
            if (result.out_of_budget) break;
        }
        if (!improved) break;
    }

    // Each step beat the one before; the winner must also beat the defaults, side by side, or
    // the defaults stay.
    result.best = defaults;
    if (d.best != defaults) {
        const Comparison c =
            compare_interleaved(*default_runner, d.best_runner, budget.final_pairs, budget.slice_seconds);
        result.default_seconds = result.best_seconds = c.incumbent_seconds;
        if (c.faster(budget.min_gain)) {
            result.best = d.best;
            result.best_seconds = c.candidate_seconds;
            result.ratio = c.ratio;
            result.spread = c.spread;
        }
    } else {
        result.default_seconds = result.best_seconds =
            median_slice(*default_runner, budget.early_pairs, budget.slice_seconds);
    }
    return result;
}

}  // namespace nnc::codegen
