// One verdict on the learning rate per run. Several readings speak about the lr — a divergence,
// the shape of the loss curve (loss_curve.h), each weight tensor's update ratio
// (gradient_health.h) — and alone they can contradict each other: one tensor's ratio says lower,
// another's says raise, the curve says it was fine. The readings are collected as evidence and
// weighed; the run gets one finding: the heaviest reading's (its code, message and advice), with the
// others named as agreeing or outweighed.
//   weight 3  divergence          the loss blew up: lower, whatever else was seen
//   weight 2  the loss curve      lr-too-high-early (lower), lr-too-high-late (decay), lr-too-low
//                                 (raise), curve-good (keep): the direct reading of the lr
//   weight 1  update-ratio-high/low   one tensor's step against its size: indirect
// Equal weights pointing opposite ways (one tensor's ratio high, another's low, no curve to settle
// it) are update-ratio-spread: the layers learn at different speeds, and no single lr suits both.
#pragma once
#include <string>
#include <vector>

#include "runtime/cli/diagnostics/finding.h"

namespace nnc::diagnostics {

enum class LrDirection { none, lower, raise, decay, keep };

// What a finding says about the lr, by its code (none: it is not a reading of the lr).
LrDirection lr_direction(const std::string& code);

class LrVerdict {
public:
    // Keeps a reading of the lr (the first of each code and subject; every divergence); ignores
    // other findings.
    void add(const Finding& f);
    // The one finding on the lr (epoch 0: the whole run), or nothing without readings.
    MaybeFinding verdict() const;
    // The verdict's direction (none without readings).
    LrDirection direction() const;

private:
    std::vector<Finding> evidence_;
};

}  // namespace nnc::diagnostics
