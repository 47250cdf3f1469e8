// Estimates and bounds of pipeline outputs, for the autoschedulers and for bounds checks.
// Kept apart from the algorithm (lowering.cpp) and from the schedule (scheduler.cpp).
#pragma once
#include "codegen/lower/lowering.h"

namespace nnc::codegen {

// Every output dimension gets an estimate (the batch one from `batch_estimate`) and its output
// buffer exact bounds for static dims, so Halide can drop checks and specialize.
void set_output_estimates(std::vector<Tensor>& outputs, int batch_estimate);
inline void set_output_estimates(LoweredPipeline& pipeline, int batch_estimate) {
    set_output_estimates(pipeline.outputs, batch_estimate);
}

}  // namespace nnc::codegen
