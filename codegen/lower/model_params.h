// The model's parameters in one ordered list: the trainable ones (node order, then each op's own
// order), then the states (batch norm's running statistics) in the same order.
// This order is the ABI order (nnc_model_param_info), the checkpoint order and the pipeline
// argument order.
#pragma once
#include <string>
#include <vector>

#include "dsl/model.h"
#include "dsl/op_spec.h"

namespace nnc::codegen {

struct ModelParam {
    int node = -1;          // owning node id
    dsl::ParamSpec spec;    // spec.name is the suffix ("weight")
    std::string full_name;  // "fc1.weight"
    std::string func_name;  // "fc1__weight" (Halide rejects '.')
};

std::vector<ModelParam> collect_params(const dsl::CheckedModel& model, const dsl::OpCatalog& catalog);

// The shapes of a node's inputs.
std::vector<dsl::Shape> input_shapes(const dsl::CheckedModel& model, const dsl::Node& node);

}  // namespace nnc::codegen
