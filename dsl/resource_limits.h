// Limits that keep a model from being killed by the machine instead of refused with a message:
// every tensor must be indexable by Halide's 32-bit integers, and training must fit in memory.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "dsl/diagnostics.h"
#include "dsl/model.h"
#include "dsl/op_spec.h"

namespace nnc::dsl {

// Halide indexes buffers with int32: at most this many elements in one per-sample tensor or
// parameter.
inline constexpr int64_t kMaxTensorElements = (int64_t{1} << 31) - 1;

// The shape's element count, or nullopt when it exceeds kMaxTensorElements (or overflows).
std::optional<int64_t> tensor_elements(const Shape& shape);

// What a training run holds at once, in bytes (float32): parameters and states, gradients,
// the optimizer's per-parameter buffers, and the activations of one batch (forward values and
// their gradients).
struct MemoryEstimate {
    double params = 0, gradients = 0, optimizer = 0, activations = 0;
    double total() const { return params + gradients + optimizer + activations; }
};
MemoryEstimate estimate_training_memory(const CheckedModel& model, const OpCatalog& ops);

// Physical memory, or the cgroup's limit when lower; NNC_MEMORY_LIMIT (bytes, or with a K/M/G/T
// suffix) overrides both, to plan for a smaller machine. 0 if unknown.
double available_memory_bytes();

// "48.0 GiB"
std::string format_bytes(double bytes);

// Reports an error at `at` when the estimate exceeds the available memory.
void check_memory(const CheckedModel& model, const OpCatalog& ops, const SourceFile& file, Span at, Diagnostics& diags);

}  // namespace nnc::dsl
