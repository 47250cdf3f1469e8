// Graph helpers shared by the lint rules.
#include "dsl/lint/graph.h"

#include <set>
#include <vector>

namespace nnc::dsl::lint {
namespace {

bool keeps_activation_ahead(const std::string& op) {
    static const std::set<std::string> ops = {"batchnorm",      "dropout", "maxpool2d", "avgpool2d",
                                              "global_avgpool", "flatten", "reshape"};
    return ops.count(op) != 0;
}

// "relu" for relu-like, "saturating" for tanh/sigmoid, empty for anything else.
std::string family(const std::string& op) {
    if (op == "relu" || op == "leaky_relu") return "relu";
    if (op == "tanh" || op == "sigmoid") return "saturating";
    return {};
}

}  // namespace

bool is_activation(const std::string& op) {
    return op == "relu" || op == "leaky_relu" || op == "tanh" || op == "sigmoid" || op == "softmax";
}

bool is_weight_layer(const std::string& op) { return op == "dense" || op == "conv2d"; }

bool is_loss(const Context& ctx, int id) { return ctx.node(id).kind == NodeKind::Loss; }

std::optional<int> activation_after(const Context& ctx, int id) {
    std::optional<int> found;
    std::string kind;
    std::vector<int> work(ctx.users(id).begin(), ctx.users(id).end());
    std::set<int> visited;
    if (work.empty()) return std::nullopt;
    while (!work.empty()) {
        const int u = work.back();
        work.pop_back();
        if (!visited.insert(u).second) continue;
        const std::string& op = ctx.node(u).op;
        if (keeps_activation_ahead(op)) {
            if (ctx.users(u).empty()) return std::nullopt;
            work.insert(work.end(), ctx.users(u).begin(), ctx.users(u).end());
            continue;
        }
        const std::string f = family(op);
        if (f.empty() || ctx.node(u).kind != NodeKind::Layer) return std::nullopt;
        if (!kind.empty() && kind != f) return std::nullopt;
        kind = f;
        if (!found) found = u;
    }
    return found;
}

int producer_through_passthrough(const Context& ctx, int id) {
    for (;;) {
        const Node& n = ctx.node(id);
        if (n.kind != NodeKind::Layer || n.inputs.size() != 1) return id;
        if (n.op != "dropout" && n.op != "flatten" && n.op != "reshape" && n.op != "linear") return id;
        id = n.inputs[0];
    }
}

}  // namespace nnc::dsl::lint
