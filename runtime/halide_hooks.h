// Hooks the runtime installs into the Halide runtime linked beside it in model.so: the caching
// allocator, an error handler that keeps Halide's message for nnc_last_error instead of
// printing it, and the parallel loops, run on the model's Workers inside its pipeline calls
// (runtime/workers.h). The Halide symbols are weak references, so programs without a Halide runtime (the
// runtime's unit tests) link and simply skip the installation.
#pragma once
#include <string>

namespace nnc::runtime {

// Idempotent and thread-safe.
void install_halide_hooks();

// The last Halide error message, process-wide ("" if none), and its reset.
std::string last_halide_error();
void clear_halide_error();

}  // namespace nnc::runtime
