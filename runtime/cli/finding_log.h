// A diagnosis of a training run, printed to stderr ("nnc: warning: ... [code]" and its advice)
// and logged as a {"type": "diagnosis"} line of the run's metrics.jsonl (metrics_schema.h), which
// nnc report reads.
#pragma once
#include "runtime/cli/diagnostics/finding.h"
#include "runtime/cli/run_folder.h"

namespace nnc::driver {

void print_and_log(const nnc::diagnostics::Finding& finding, RunFolder& folder);

}  // namespace nnc::driver
