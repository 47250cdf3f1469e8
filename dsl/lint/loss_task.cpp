// loss-task: the output layer and the loss fit the task (the field guide: softmax for classes,
// sigmoid for binary or multi-label, a linear output and L2 for regression). The fused losses
// apply softmax or sigmoid themselves, so an activation just before them is applied twice or
// squashes the logits; an activation before mse or l1 bounds what a regression can predict.
#include "dsl/lint/graph.h"
#include "dsl/lint/rules.h"

namespace nnc::dsl::lint {
namespace {

std::string target_words(const Node& t) {
    if (t.target_kind == TargetKind::Classes) return "a classes(" + std::to_string(t.num_classes) + ") target";
    return "a real target " + t.shape.str();
}

}  // namespace

void check_loss_task(Context& ctx, const std::string& rule) {
    for (int id : ctx.model().losses) {
        const Node& loss = ctx.node(id);
        if (loss.inputs.size() != 2) continue;
        const int act = producer_through_passthrough(ctx, loss.inputs[0]);
        const Node& a = ctx.node(act);
        if (a.kind != NodeKind::Layer || !is_activation(a.op)) continue;
        const Node& target = ctx.node(loss.inputs[1]);
        // What the activation is applied to: the logits the loss should get.
        const std::string bare = a.inputs.empty() ? std::string("logits") : ctx.node(a.inputs[0]).name;
        const std::string logits = "'" + bare + "'";
        const Span at = ctx.input_span(id, 0).value_or(ctx.node_span(id));

        std::string message, help;
        if (loss.op == "softmax_cross_entropy") {
            if (a.op == "softmax") {
                message = "softmax_cross_entropy applies softmax itself, and its input '" + a.name +
                          "' is already a softmax: the loss softmaxes twice and learns slowly";
            } else if (a.op == "sigmoid") {
                message = "a sigmoid output on " + target_words(target) +
                          ": softmax_cross_entropy expects raw logits (sigmoid is for binary or multi-label targets)";
            } else {
                message = "softmax_cross_entropy expects raw logits, and its input '" + a.name + "' is a " + a.op +
                          " that squashes them";
            }
            help = "pass the logits: softmax_cross_entropy(" + bare + ", " + target.name + ")";
        } else if (loss.op == "sigmoid_binary_cross_entropy") {
            if (a.op == "sigmoid") {
                message = "sigmoid_binary_cross_entropy applies the sigmoid itself, and its input '" + a.name +
                          "' is already a sigmoid: the loss squashes twice";
            } else if (a.op == "softmax") {
                message =
                    "a softmax output with sigmoid_binary_cross_entropy: softmax makes the outputs compete "
                    "(one class), sigmoid BCE scores each independently (multi-label)";
            } else {
                message = "sigmoid_binary_cross_entropy expects raw logits, and its input '" + a.name + "' is a " +
                          a.op + " that squashes them";
            }
            help = "pass the logits " + logits +
                   " (for one class out of C, use a classes(C) target and "
                   "softmax_cross_entropy)";
        } else {  // mse, l1: regression
            if (a.op == "softmax") {
                message = "softmax followed by " + loss.op +
                          ": a class distribution regressed with an L2/L1 loss trains poorly";
                help = "for classification use a classes(C) target and softmax_cross_entropy on the logits " + logits +
                       "; for regression, a linear output";
            } else if (a.op == "sigmoid") {
                message = "a sigmoid output with " + loss.op +
                          ": for binary or multi-label 0/1 targets the gradient vanishes as the sigmoid saturates";
                help = "for 0/1 targets use sigmoid_binary_cross_entropy on the logits " + logits +
                       "; for regression, a linear output";
            } else {
                message = "a regression output through " + a.op + " ('" + a.name + "'): predictions " +
                          (a.op == "tanh" ? "cannot leave (-1, 1)" : "are cut off below 0");
                help = "regression wants a linear output: " + loss.op + "(" + bare + ", " + target.name + ")";
            }
        }
        ctx.warn(rule, id, at, message).note(ctx.node_span(act), "'" + a.name + "' is " + a.op + " here").help(help);
    }
}

}  // namespace nnc::dsl::lint
