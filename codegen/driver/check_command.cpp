// nnc check: the model summary (as Keras' model.summary()): each node, its output shape, its
// parameter count, its forward multiply-accumulates per sample (OpSpec::macs) and its inputs,
// then the totals, the cost of a forward pass and of a training step, and the training defaults.
#include <cstdio>
#include <string>
#include <vector>

#include "codegen/driver/commands.h"
#include "codegen/layers/layer_registry.h"
#include "codegen/lower/model_params.h"

namespace nnc::driver {
namespace {

std::string with_commas(int64_t v) {
    std::string s = std::to_string(v), out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i && (s.size() - i) % 3 == 0) out += ',';
        out += s[i];
    }
    return out;
}

// 950, 12.3 K, 1.2 M, 3.4 G, 5.6 T
std::string human(double v) {
    static const char* units[] = {"K", "M", "G", "T"};
    if (v < 1000) return std::to_string(static_cast<int64_t>(v));
    int u = -1;
    while (v >= 1000 && u < 3) {
        v /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

// The op's forward multiply-accumulates per sample; -1 where the op does not say.
int64_t macs_of(const dsl::CheckedModel& model, const dsl::Node& n) {
    if (n.kind != dsl::NodeKind::Layer && n.kind != dsl::NodeKind::Loss) return 0;
    const dsl::OpSpec* spec = codegen::layer_catalog().find(n.op);
    if (!spec || !spec->macs) return -1;
    std::vector<dsl::Shape> inputs;
    for (int id : n.inputs) inputs.push_back(model.node(id).shape);
    return spec->macs(inputs, n.shape, n.attrs);
}

}  // namespace

int run_check(const std::string& path) {
    std::string text;
    auto model = load_checked_model(path, &text);
    if (!model) return 1;
    print_lint_findings(path, text, *model, {});  // warnings only: check still succeeds
    const auto params = codegen::collect_params(*model, codegen::layer_catalog());

    struct Row {
        std::string layer, shape, params, macs, inputs;
    };
    std::vector<Row> rows;
    int64_t total = 0, total_macs = 0;
    std::vector<std::string> unknown_macs;  // ops that do not give their cost
    for (const dsl::Node& n : model->nodes) {
        const int64_t macs = macs_of(*model, n);
        if (macs >= 0)
            total_macs += macs;
        else
            unknown_macs.push_back(n.name);
        const bool computes = n.kind == dsl::NodeKind::Layer || n.kind == dsl::NodeKind::Loss;
        int64_t count = 0;
        for (const auto& p : params)
            if (p.node == n.id) count += p.spec.shape.elements();
        total += count;
        std::string inputs;
        for (int id : n.inputs) inputs += (inputs.empty() ? "" : ", ") + model->node(id).name;
        std::string kind = n.kind == dsl::NodeKind::Input ? "input" : n.kind == dsl::NodeKind::Target ? "target" : n.op;
        std::string shape = n.shape.str();
        if (n.kind == dsl::NodeKind::Target && n.target_kind == dsl::TargetKind::Classes)
            shape =
                "classes(" + std::to_string(n.num_classes) + (n.shape.dims.empty() ? "" : ", " + n.shape.str()) + ")";
        rows.push_back({n.name + " (" + kind + ")", shape, with_commas(count),
                        !computes  ? ""
                        : macs < 0 ? "?"
                                   : with_commas(macs),
                        inputs});
    }
    size_t w0 = 5, w1 = 12, w2 = 7, w3 = 4;
    for (const Row& r : rows) {
        w0 = std::max(w0, r.layer.size());
        w1 = std::max(w1, r.shape.size());
        w2 = std::max(w2, r.params.size());
        w3 = std::max(w3, r.macs.size());
    }
    const std::string rule(w0 + w1 + w2 + w3 + 8 + 20, '-');
    std::printf("Model: %s (%s)\n%s\n", model->name.c_str(), path.c_str(), rule.c_str());
    std::printf("%-*s  %-*s  %*s  %*s  %s\n%s\n", (int)w0, "Layer", (int)w1, "Output shape", (int)w2, "Params", (int)w3,
                "MACs", "Inputs", rule.c_str());
    for (const Row& r : rows)
        std::printf("%-*s  %-*s  %*s  %*s  %s\n", (int)w0, r.layer.c_str(), (int)w1, r.shape.c_str(), (int)w2,
                    r.params.c_str(), (int)w3, r.macs.c_str(), r.inputs.c_str());
    std::printf("%s\nTotal params: %s (%s, float32)\n", rule.c_str(), with_commas(total).c_str(),
                total * 4 >= 1024 * 1024 ? (std::to_string(total * 4 / (1024 * 1024)) + "." +
                                            std::to_string((total * 4 % (1024 * 1024)) * 10 / (1024 * 1024)) + " MiB")
                                               .c_str()
                                         : (std::to_string(total * 4 / 1024) + " KiB").c_str());
    std::printf("Parameter tensors: %zu\n", params.size());
    // A training step runs the forward, then for each product both an input gradient and a
    // weight gradient of the same size: about 3x the forward.
    const std::string lower_bound = unknown_macs.empty() ? ""
                                                         : " (at least: no count for " + unknown_macs[0] +
                                                               (unknown_macs.size() > 1 ? " and others)" : ")");
    std::printf("Total MACs: %s (%s) per sample, forward%s\n", with_commas(total_macs).c_str(),
                human(static_cast<double>(total_macs)).c_str(), lower_bound.c_str());
    std::printf("Training step: ~%s MACs per sample (about 3x the forward: forward, input and weight gradients)\n",
                human(3.0 * static_cast<double>(total_macs)).c_str());
    const auto& t = model->train;
    if (t.batch > 0)
        std::printf("Per batch of %lld: %s MACs forward, ~%s per training step\n", (long long)t.batch,
                    human(static_cast<double>(total_macs) * static_cast<double>(t.batch)).c_str(),
                    human(3.0 * static_cast<double>(total_macs) * static_cast<double>(t.batch)).c_str());
    std::printf("Training: %s lr=%g, batch %lld, epochs %lld, seed %llu, validation %lld\n", t.optimizer.name.c_str(),
                t.optimizer.lr, (long long)t.batch, (long long)t.epochs, (unsigned long long)t.seed,
                (long long)t.validation);
    return 0;
}

}  // namespace nnc::driver
