// Builds small checked models in code for gradient checks, using the real op specs for shapes,
// attribute defaults and parameters — the same information the checker uses.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "codegen/layers/layer_registry.h"
#include "dsl/model.h"

namespace nnc::test {

class GraphBuilder {
public:
    explicit GraphBuilder(std::string name = "test") { model_.name = std::move(name); }

    int input(const std::string& name, std::vector<int64_t> dims) {
        dsl::Node n = base(name, dsl::NodeKind::Input, "input");
        n.shape.dims = std::move(dims);
        model_.inputs.push_back(n.id);
        return push(n);
    }

    // An int32 token-id input (for embedding); gradient checks draw ids in
    // [0, gradcheck::Harness::token_range).
    int tokens(const std::string& name, std::vector<int64_t> dims) {
        int id = input(name, std::move(dims));
        model_.nodes[static_cast<size_t>(id)].dtype = dsl::DType::Int32;
        return id;
    }

    int classes(const std::string& name, int64_t c) {
        dsl::Node n = base(name, dsl::NodeKind::Target, "target");
        n.target_kind = dsl::TargetKind::Classes;
        n.num_classes = c;
        model_.targets.push_back(n.id);
        return push(n);
    }

    // classes(c, [dims]): one class index per position (a sequence's next-token labels).
    int sequence_classes(const std::string& name, int64_t c, std::vector<int64_t> dims) {
        int id = classes(name, c);
        model_.nodes[static_cast<size_t>(id)].shape.dims = std::move(dims);
        return id;
    }

    int real_target(const std::string& name, std::vector<int64_t> dims) {
        dsl::Node n = base(name, dsl::NodeKind::Target, "target");
        n.target_kind = dsl::TargetKind::Real;
        n.shape.dims = std::move(dims);
        model_.targets.push_back(n.id);
        return push(n);
    }

    // Attributes given here override the schema defaults.
    int layer(const std::string& name, const std::string& op, std::vector<int> inputs,
              std::map<std::string, dsl::AttrValue> attrs = {}) {
        const dsl::OpSpec* spec = codegen::layer_catalog().find(op);
        if (!spec) throw std::runtime_error("no op " + op);
        dsl::Node n = base(name, spec->kind == dsl::OpKind::Loss ? dsl::NodeKind::Loss : dsl::NodeKind::Layer, op);
        n.inputs = std::move(inputs);
        for (const auto& a : spec->attrs)
            if (a.default_value) n.attrs.values[a.name] = *a.default_value;
        for (auto& [k, v] : attrs) n.attrs.values[k] = v;
        std::vector<dsl::Shape> shapes;
        for (int id : n.inputs) shapes.push_back(model_.node(id).shape);
        if (spec->kind == dsl::OpKind::Loss) {
            const dsl::Node& t = model_.node(n.inputs.at(1));
            n.attrs.values["target_kind"] = std::string(t.target_kind == dsl::TargetKind::Classes ? "classes" : "real");
            n.attrs.values["num_classes"] = int64_t(t.num_classes);
        }
        dsl::ShapeResult r = spec->shape(shapes, n.attrs);
        if (!r.error.empty()) throw std::runtime_error(name + ": " + r.error);
        n.shape = r.shape;
        if (spec->kind == dsl::OpKind::Loss) model_.losses.push_back(n.id);
        return push(n);
    }

    const dsl::CheckedModel& model() const { return model_; }

private:
    dsl::Node base(const std::string& name, dsl::NodeKind kind, const std::string& op) {
        dsl::Node n;
        n.id = static_cast<int>(model_.nodes.size());
        n.kind = kind;
        n.name = name;
        n.op = op;
        return n;
    }
    int push(dsl::Node n) {
        model_.nodes.push_back(std::move(n));
        return model_.nodes.back().id;
    }
    dsl::CheckedModel model_;
};

}  // namespace nnc::test
