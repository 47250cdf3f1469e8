// A diagnosis of a training run, printed to stderr ("nnc: warning: ... [code]" and its advice)
// and logged as a {"type": "diagnosis"} line of the run's metrics.jsonl, which nnc report reads.
#pragma once
#include "codegen/driver/run_folder.h"
#include "runtime/diagnostics/finding.h"

namespace nnc::driver {

void print_and_log(const nnc::diagnostics::Finding& finding, RunFolder& folder);

}  // namespace nnc::driver
