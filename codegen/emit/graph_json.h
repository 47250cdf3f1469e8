// The checked graph as JSON: nodes with ops, inputs, typed attributes (defaults filled in), shapes,
// the input's dtype, and parameters in ABI order, each marked trainable or state. Peers (the
// PyTorch equivalence tests, tools) rebuild the same network from it.
#pragma once
#include <string>

#include "dsl/model.h"

namespace nnc::codegen {

std::string graph_to_json(const dsl::CheckedModel& model);

}  // namespace nnc::codegen
