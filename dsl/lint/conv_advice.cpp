// kernel-size, filter-count, first-conv-filters: the field guide's advice on convolutions —
// 3x3 kernels, filter counts that are powers of two, and a first layer wide enough to learn the
// low-level features everything after it is built from. 1x1 kernels are projections
// (Inception, ResNet shortcuts), not a choice of receptive field, so they pass.
#include "dsl/lint/rules.h"

namespace nnc::dsl::lint {
namespace {

bool power_of_two(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

// The first layer wide enough, as the guide asks ("not too few").
constexpr int64_t kFirstConvFilters = 16;

}  // namespace

void check_kernel_size(Context& ctx, const std::string& rule) {
    for (const Node& n : ctx.model().nodes) {
        if (n.kind != NodeKind::Layer || n.op != "conv2d") continue;
        const int64_t k = n.attrs.get_int("kernel");
        if (k == 1 || k == 3) continue;
        const std::string kk = std::to_string(k) + "x" + std::to_string(k);
        Diagnostic& d = ctx.warn(rule, n.id, ctx.attr_span(n.id, "kernel").value_or(ctx.node_span(n.id)),
                                 "'" + n.name + "' has a " + kk + " kernel; 3x3 is the usual choice");
        if (k > 3)
            d.help("stacked 3x3 convolutions see the same " + kk +
                   " field with fewer parameters and more "
                   "nonlinearity (" +
                   std::to_string((k - 1) / 2) +
                   " of them); a deliberate choice can say so with "
                   "`# nnc: allow(kernel-size)`");
        else
            d.help("use kernel=3 (or kernel=1 for a channel projection)");
    }
}

void check_filter_count(Context& ctx, const std::string& rule) {
    for (const Node& n : ctx.model().nodes) {
        if (n.kind != NodeKind::Layer || n.op != "conv2d") continue;
        const int64_t f = n.attrs.get_int("filters");
        if (power_of_two(f)) continue;
        int64_t below = 1;
        while (below * 2 < f) below *= 2;
        ctx.warn(rule, n.id, ctx.attr_span(n.id, "filters").value_or(ctx.node_span(n.id)),
                 "'" + n.name + "' has " + std::to_string(f) + " filters, not a power of two")
            .help("use " + std::to_string(below) + " or " + std::to_string(below * 2));
    }
}

void check_first_conv_filters(Context& ctx, const std::string& rule) {
    const auto& nodes = ctx.model().nodes;
    std::vector<bool> after_conv(nodes.size(), false);  // a convolution lies on some path before the node
    for (const Node& n : nodes) {
        const size_t i = static_cast<size_t>(n.id);
        bool before = false;
        for (int in : n.inputs) before = before || after_conv[static_cast<size_t>(in)];
        const bool conv = n.kind == NodeKind::Layer && n.op == "conv2d";
        after_conv[i] = before || conv;
        if (!conv || before) continue;
        const int64_t f = n.attrs.get_int("filters");
        if (f >= kFirstConvFilters) continue;
        ctx.warn(rule, n.id, ctx.attr_span(n.id, "filters").value_or(ctx.node_span(n.id)),
                 "the first convolution '" + n.name + "' has only " + std::to_string(f) +
                     " filters: every later layer builds on the low-level features it learns")
            .help("use at least " + std::to_string(kFirstConvFilters) + " (32 is common)");
    }
}

}  // namespace nnc::dsl::lint
