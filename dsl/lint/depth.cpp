// deep-plain-stack and deep-cnn-activation: depth without the things that make depth trainable
// (the field guide: residual blocks let a network go deeper; batch norm fights vanishing and
// exploding gradients; relu in the hidden layers instead of sigmoid/tanh, especially in CNNs).
#include <algorithm>
#include <vector>

#include "dsl/lint/graph.h"
#include "dsl/lint/rules.h"

namespace nnc::dsl::lint {
namespace {

// Weight layers in a row, along any path, with no batchnorm or residual add between them, from
// which a stack counts as deep. VGG-style plain nets of this depth stop improving with depth
// (He et al. 2016, figure 1).
constexpr int kPlainDepth = 8;
// Convolutions along a path from which a CNN counts as deep for the activation rule.
constexpr int kDeepCnn = 4;

}  // namespace

void check_deep_plain_stack(Context& ctx, const std::string& rule) {
    const auto& nodes = ctx.model().nodes;
    std::vector<int> depth(nodes.size(), 0), start(nodes.size(), -1);
    for (const Node& n : nodes) {  // topological order: inputs first
        const size_t i = static_cast<size_t>(n.id);
        for (int in : n.inputs) {  // the deepest plain run reaching this node
            const size_t j = static_cast<size_t>(in);
            if (depth[j] > depth[i]) depth[i] = depth[j], start[i] = start[j];
        }
        if (n.kind != NodeKind::Layer) continue;
        if (n.op == "batchnorm" || n.op == "add") {
            depth[i] = 0, start[i] = -1;
        } else if (is_weight_layer(n.op)) {
            if (depth[i]++ == 0) start[i] = n.id;
            if (depth[i] == kPlainDepth) {
                Diagnostic& d = ctx.warn(rule, n.id, ctx.node_span(n.id),
                                         "'" + n.name + "' is the " + std::to_string(kPlainDepth) +
                                             "th weight layer in a row with no batch normalization or residual "
                                             "connection: deep plain stacks train slowly or not at all");
                d.note(ctx.node_span(start[i]), "the plain stack starts at '" + ctx.node(start[i]).name + "'");
                d.help("add batchnorm after the dense/conv layers, or residual connections (s = add(f(x), x))");
            }
        }
    }
}

void check_deep_cnn_activation(Context& ctx, const std::string& rule) {
    const auto& nodes = ctx.model().nodes;
    std::vector<int> convs(nodes.size(), 0);
    int deepest = 0;
    for (const Node& n : nodes) {
        const size_t i = static_cast<size_t>(n.id);
        for (int in : n.inputs) convs[i] = std::max(convs[i], convs[static_cast<size_t>(in)]);
        if (n.kind == NodeKind::Layer && n.op == "conv2d") ++convs[i];
        deepest = std::max(deepest, convs[i]);
    }
    if (deepest < kDeepCnn) return;
    for (const Node& n : nodes) {
        if (n.kind != NodeKind::Layer || (n.op != "sigmoid" && n.op != "tanh")) continue;
        bool output = !ctx.users(n.id).empty();
        for (int u : ctx.users(n.id)) output = output && is_loss(ctx, u);
        if (output) continue;
        ctx.warn(rule, n.id, ctx.node_span(n.id),
                 n.op + " as a hidden activation in a CNN " + std::to_string(deepest) +
                     " convolutions deep: its gradient vanishes wherever it saturates")
            .help("use relu in hidden layers; keep sigmoid/tanh for outputs and gates");
    }
}

}  // namespace nnc::dsl::lint
