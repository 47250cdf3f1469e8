// Graph questions several lint rules ask: which ops carry weights, which only pass values on, and
// which activation a layer's output goes through.
#pragma once
#include <optional>
#include <string>

#include "dsl/lint/context.h"

namespace nnc::dsl::lint {

bool is_activation(const std::string& op);    // relu, leaky_relu, tanh, sigmoid, softmax
bool is_weight_layer(const std::string& op);  // dense, conv2d: the layers a plain stack counts
bool is_loss(const Context& ctx, int id);

// The activation a layer's output reaches through ops that keep its scale or only reshape or
// pool it (batchnorm, dropout, pooling, flatten, reshape): relu/leaky_relu/tanh/sigmoid's node id,
// when every path leads to the same kind ("relu" family or "tanh/sigmoid" family); nullopt when
// a path reaches anything else first (a loss, another layer, add, concat, softmax, linear).
std::optional<int> activation_after(const Context& ctx, int id);

// Walks back from `id` through ops that do not change values (dropout, flatten, reshape, linear).
int producer_through_passthrough(const Context& ctx, int id);

}  // namespace nnc::dsl::lint
