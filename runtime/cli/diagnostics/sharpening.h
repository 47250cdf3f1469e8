// not-sharpening: a classifier whose predictions stay near uniform on the probe after several
// epochs has not started to learn (or learns far too slowly).
#pragma once
#include "runtime/cli/diagnostics/finding.h"
#include "runtime/cli/diagnostics/probe.h"

namespace nnc::diagnostics {

constexpr int64_t kSharpeningEpochs = 3;         // the probe gets this many epochs to sharpen
constexpr double kSharpeningEntropyShare = 0.9;  // of ln C

// `probe`: after epoch `epoch`. From epoch kSharpeningEpochs on: a warning when the probe's mean
// entropy is still above 0.9 ln C (the top class's mean probability is then near 1/C). Silent
// before that, and for C < 2.
MaybeFinding check_not_sharpening(const ProbeStats& probe, int64_t epoch);

}  // namespace nnc::diagnostics
