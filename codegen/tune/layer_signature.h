// What a tuned schedule is valid for: a layer's signature, the op with everything its Funcs'
// shapes depend on (attributes, input and output shapes, the batch, the element type). Two
// nodes with the same signature, in one model or in two, share one tuning.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "dsl/model.h"

namespace nnc::codegen {

// "dense in=[1024] out=[2048] bias=true ... batch=64 f32": the op, its attributes by name, its
// input shapes and output shape, the batch the tuning ran at and the element type.
std::string layer_signature(const dsl::CheckedModel& model, const dsl::Node& node, int batch);

// One tunable node (codegen/tune/knob_space.h) per distinct signature, in model order.
struct TunableLayer {
    const dsl::Node* node = nullptr;
    std::string signature;
};
std::vector<TunableLayer> tunable_layers(const dsl::CheckedModel& model, int batch);

// The nodes of each tunable signature (every node, not one per signature), by node name.
std::vector<std::pair<std::string, std::string>> node_signatures(const dsl::CheckedModel& model, int batch);

}  // namespace nnc::codegen
