// nnc check: the model summary (as Keras' model.summary()): each node, its output shape, its
// parameter count and its inputs, then the totals and the training defaults.
#include <cstdio>
#include <string>
#include <vector>

#include "codegen/driver/commands.h"
#include "codegen/layer_registry.h"
#include "codegen/model_params.h"

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

}  // namespace

int run_check(const std::string& path) {
    auto model = load_checked_model(path);
    if (!model) return 1;
    const auto params = codegen::collect_params(*model, codegen::layer_catalog());

    struct Row { std::string layer, shape, params, inputs; };
    std::vector<Row> rows;
    int64_t total = 0;
    for (const dsl::Node& n : model->nodes) {
        int64_t count = 0;
        for (const auto& p : params)
            if (p.node == n.id) count += p.spec.shape.elements();
        total += count;
        std::string inputs;
        for (int id : n.inputs) inputs += (inputs.empty() ? "" : ", ") + model->node(id).name;
        std::string kind = n.kind == dsl::NodeKind::Input ? "input" : n.kind == dsl::NodeKind::Target ? "target" : n.op;
        std::string shape = n.shape.str();
        if (n.kind == dsl::NodeKind::Target && n.target_kind == dsl::TargetKind::Classes)
            shape = "classes(" + std::to_string(n.num_classes) + ")";
        rows.push_back({n.name + " (" + kind + ")", shape, with_commas(count), inputs});
    }
    size_t w0 = 5, w1 = 12, w2 = 7;
    for (const Row& r : rows) {
        w0 = std::max(w0, r.layer.size());
        w1 = std::max(w1, r.shape.size());
        w2 = std::max(w2, r.params.size());
    }
    const std::string rule(w0 + w1 + w2 + 6 + 20, '-');
    std::printf("Model: %s (%s)\n%s\n", model->name.c_str(), path.c_str(), rule.c_str());
    std::printf("%-*s  %-*s  %*s  %s\n%s\n", (int)w0, "Layer", (int)w1, "Output shape", (int)w2, "Params", "Inputs",
                rule.c_str());
    for (const Row& r : rows)
        std::printf("%-*s  %-*s  %*s  %s\n", (int)w0, r.layer.c_str(), (int)w1, r.shape.c_str(), (int)w2,
                    r.params.c_str(), r.inputs.c_str());
    std::printf("%s\nTotal params: %s (%s, float32)\n", rule.c_str(), with_commas(total).c_str(),
                total * 4 >= 1024 * 1024 ? (std::to_string(total * 4 / (1024 * 1024)) + "." +
                                            std::to_string((total * 4 % (1024 * 1024)) * 10 / (1024 * 1024)) + " MiB").c_str()
                                         : (std::to_string(total * 4 / 1024) + " KiB").c_str());
    std::printf("Parameter tensors: %zu\n", params.size());
    const auto& t = model->train;
    std::printf("Training: %s lr=%g, batch %lld, epochs %lld, seed %llu, validation %lld\n",
                t.optimizer.name.c_str(), t.optimizer.lr, (long long)t.batch, (long long)t.epochs,
                (unsigned long long)t.seed, (long long)t.validation);
    return 0;
}

}  // namespace nnc::driver
