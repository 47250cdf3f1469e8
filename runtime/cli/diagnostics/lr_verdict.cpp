#include "runtime/cli/diagnostics/lr_verdict.h"

#include <algorithm>

namespace nnc::diagnostics {
namespace {

int weight(const std::string& code) {
    if (code == "divergence") return 3;
    if (code == "update-ratio-high" || code == "update-ratio-low") return 1;
    return lr_direction(code) == LrDirection::none ? 0 : 2;
}

const char* reading(int w) { return w == 3 ? "the divergence" : w == 2 ? "the loss curve" : "the update ratios"; }

const char* verb(LrDirection d) {
    switch (d) {
        case LrDirection::lower: return "lower it";
        case LrDirection::raise: return "raise it";
        case LrDirection::decay: return "decay it late";
        case LrDirection::keep: return "keep it";
        case LrDirection::none: break;
    }
    return "";
}

std::string named(const Finding& f) {
    std::string s = f.code;
    if (!f.subject.empty())
        s += " (" + f.subject + (f.epoch > 0 ? ", epoch " + std::to_string(f.epoch) : "") + ")";
    else if (f.epoch > 0)
        s += " (epoch " + std::to_string(f.epoch) + ")";
    return s;
}

// Tensors whose update ratios disagree, with nothing heavier to settle it.
Finding spread(const Finding& high, const Finding& low) {
    Finding f;
    f.code = "update-ratio-spread";
    f.severity = Severity::warning;
    f.message =
        "the layers learn at different speeds: " + high.message + "; yet " + low.message + ". No single lr suits both";
    f.advice =
        "keep the lr and even out the layers: standardize the inputs (--standardize inputs), batch norm between the "
        "layers or he_normal initialization; an adaptive optimizer (adam) scales each tensor's step by itself";
    return f;
}

}  // namespace

LrDirection lr_direction(const std::string& code) {
    if (code == "divergence" || code == "lr-too-high-early" || code == "update-ratio-high") return LrDirection::lower;
    if (code == "lr-too-low" || code == "update-ratio-low") return LrDirection::raise;
    if (code == "lr-too-high-late") return LrDirection::decay;
    if (code == "curve-good") return LrDirection::keep;
    return LrDirection::none;
}

void LrVerdict::add(const Finding& f) {
    if (lr_direction(f.code) == LrDirection::none) return;
    const bool seen = std::any_of(evidence_.begin(), evidence_.end(),
                                  [&](const Finding& e) { return e.code == f.code && e.subject == f.subject; });
    if (seen && f.code != "divergence") return;
    evidence_.push_back(f);
}

MaybeFinding LrVerdict::verdict() const {
    if (evidence_.empty()) return std::nullopt;
    int top = 0;
    for (const Finding& e : evidence_) top = std::max(top, weight(e.code));
    // The heaviest reading; of several divergences the last (its lr is the one the run went on with).
    const Finding* win = nullptr;
    const Finding* against = nullptr;
    for (const Finding& e : evidence_) {
        if (weight(e.code) != top) continue;
        if (!win || e.code == win->code)
            win = &e;
        else if (lr_direction(e.code) != lr_direction(win->code))
            against = &e;
    }
    Finding f = *win;
    if (against) {
        const bool high_first = lr_direction(win->code) == LrDirection::lower;
        f = spread(high_first ? *win : *against, high_first ? *against : *win);
    }
    const LrDirection dir = lr_direction(f.code);
    std::string agree, outweighed;
    for (const Finding& e : evidence_) {
        if (&e == win || &e == against || e.code == "divergence") continue;
        if (lr_direction(e.code) == dir) {
            agree += (agree.empty() ? "" : ", ") + named(e);
            if (!e.advice.empty() && e.advice != f.advice) f.advice += "; " + e.code + ": " + e.advice;
        } else {
            outweighed += (outweighed.empty() ? "" : "; ") + named(e) + " says " + verb(lr_direction(e.code));
        }
    }
    if (!agree.empty()) f.message += "; agreeing: " + agree;
    if (!outweighed.empty()) f.message += "; outweighed by " + std::string(reading(top)) + ": " + outweighed;
    if (f.code == "divergence") {
        const auto times =
            std::count_if(evidence_.begin(), evidence_.end(), [](const Finding& e) { return e.code == "divergence"; });
        f.message = "the loss diverged " + std::string(times == 1 ? "once" : std::to_string(times) + " times") +
                    ", the lr was too high for this run (the last: " + win->message + ")" +
                    f.message.substr(win->message.size());
        f.subject.clear();
    }
    f.epoch = 0;
    return f;
}

LrDirection LrVerdict::direction() const {
    const MaybeFinding v = verdict();
    if (!v) return LrDirection::none;
    return v->code == "update-ratio-spread" ? LrDirection::keep : lr_direction(v->code);
}

}  // namespace nnc::diagnostics
