// The knob values in effect for the build in progress, by node name: what the tuner
// (codegen/tune/) chose for each node's layer signature. A layer's schedule reads its node's
// (tuned_knobs); a node without any keeps every template default, so a build with none in effect
// schedules exactly as the hand templates do.
#pragma once
#include <map>
#include <string>

#include "codegen/schedule/template_knobs.h"

namespace nnc::codegen {

// The node's knob values in effect (empty: the defaults). Safe to call from scheduling threads.
KnobValues tuned_knobs(const std::string& node);

// Puts `by_node` in effect while it lives (builds run one at a time per process); the previous
// values come back when it ends.
class TunedKnobsScope {
public:
    explicit TunedKnobsScope(std::map<std::string, KnobValues> by_node);
    ~TunedKnobsScope();
    TunedKnobsScope(const TunedKnobsScope&) = delete;
    TunedKnobsScope& operator=(const TunedKnobsScope&) = delete;

private:
    std::map<std::string, KnobValues> previous_;
};

}  // namespace nnc::codegen
