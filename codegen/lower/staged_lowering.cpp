#include "codegen/lower/staged_lowering.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "codegen/lower/pipeline_builder.h"
#include "codegen/schedule/cpu_templates.h"

namespace nnc::codegen {

using namespace Halide;
using namespace lowering_detail;

namespace {

std::vector<std::vector<int>> segments_of(const dsl::CheckedModel& model, int layers_per_stage) {
    std::vector<int> layers;
    for (const dsl::Node& n : model.nodes)
        if (n.kind == dsl::NodeKind::Layer) layers.push_back(n.id);
    std::vector<std::vector<int>> segs;
    if (layers_per_stage <= 0 || static_cast<int>(layers.size()) <= layers_per_stage) {
        segs.push_back(layers);
        return segs;
    }
    // Even segments: ceil(n / k) of them, sizes differing by at most one.
    const size_t count =
        (layers.size() + static_cast<size_t>(layers_per_stage) - 1) / static_cast<size_t>(layers_per_stage);
    size_t at = 0;
    for (size_t s = 0; s < count; ++s) {
        const size_t size = layers.size() / count + (s < layers.size() % count ? 1 : 0);
        segs.emplace_back(layers.begin() + static_cast<std::ptrdiff_t>(at),
                          layers.begin() + static_cast<std::ptrdiff_t>(at + size));
        at += size;
    }
    return segs;
}

// A pipeline's own arguments (model_desc.h), by mode:
//   forward:    input, params, outputs
//   evaluate:   input, targets, params, loss, losses, outputs
//   train_step: input, targets, params, seed, dropout_rates, loss, losses, predictions, grads then
//               new states
// (-1: the mode has none).
struct ExternalSlots {
    int targets = -1, params = -1, seed = -1, dropout_rates = -1, loss = -1, losses = -1, outputs = -1,
        param_results = -1, count = 0;
    ExternalSlots(StageMode mode, int T, int P, int L) {
        int at = 1;
        if (mode != StageMode::Forward) targets = std::exchange(at, at + T);
        params = std::exchange(at, at + P);
        if (mode == StageMode::Train) {
            seed = at++;
            dropout_rates = at++;
        }
        arguments = at;
        if (mode != StageMode::Forward) {
            loss = at++;
            losses = std::exchange(at, at + L);
        }
        outputs = std::exchange(at, at + L);  // train_step: the predictions
        if (mode == StageMode::Train) param_results = std::exchange(at, at + P);
        count = at;
    }
    int arguments = 0;  // the inputs before the first result
};

class StagedLowering {
public:
    StagedLowering(const dsl::CheckedModel& model, Type type, int batch_estimate, StageMode mode)
        : model_(model),
          type_(type),
          batch_estimate_(batch_estimate),
          mode_(mode),
          params_(collect_params(model, LayerRegistry::instance())),
          ext_(mode, static_cast<int>(model.targets.size()), static_cast<int>(params_.size()),
               static_cast<int>(model.losses.size())),
          value_slot_(model.nodes.size(), -1),
          grad_slot_(model.nodes.size(), -1) {
        result_.external_slots = ext_.count;
    }

    StagedPipeline lower(const std::vector<std::vector<int>>& segs) {
        segment_of_.assign(model_.nodes.size(), -1);
        for (size_t s = 0; s < segs.size(); ++s)
            for (int id : segs[s]) segment_of_[static_cast<size_t>(id)] = static_cast<int>(s);
        for (size_t s = 0; s < segs.size(); ++s) forward_stage(segs[s], s, s + 1 == segs.size());
        if (mode_ != StageMode::Train) return std::move(result_);
        for (size_t s = segs.size(); s-- > 0;) backward_stage(segs[s], s, s + 1 == segs.size());
        for (size_t p = 0; p < params_.size(); ++p)
            if (params_[p].spec.trainable && !grad_done_.count(static_cast<int>(p)))
                throw std::logic_error("internal error: parameter '" + params_[p].full_name + "' gets no gradient");
        return std::move(result_);
    }

private:
    // One stage being built: a fresh graph walker (its own ImageParams and saved Funcs).
    struct Stage {
        Builder b;
        LoweredStage out;
        std::vector<int> output_slots;
        std::vector<Func> grad;         // d loss / d node output, by node id, as far as known here
        std::vector<bool> changed;      // grad[id] gained a term in this stage
        std::set<std::string> emitted;  // values that are their own stage results
        Stage(const dsl::CheckedModel& m, Type t, int be)
            : b(m, t, be), grad(m.nodes.size()), changed(m.nodes.size()) {}
    };

    Stage begin(const std::string& name) {
        Stage st(model_, type_, batch_estimate_);
        st.b.declare_arguments(/*with_targets=*/mode_ != StageMode::Forward, /*training=*/mode_ == StageMode::Train);
        st.out.name = name;
        st.out.batch = st.b.result.batch;
        st.out.arguments = st.b.result.arguments();
        st.out.images.push_back(st.b.result.input);
        for (const ImageParam& t : st.b.result.targets) st.out.images.push_back(t);
        for (const ImageParam& p : st.b.result.params) st.out.images.push_back(p);
        if (st.b.result.has_seed) {
            st.out.images.push_back(std::nullopt);
            st.out.seed = st.b.result.seed;
            st.out.images.push_back(st.b.result.dropout_rates);
        }
        for (int i = 0; i < ext_.arguments; ++i) st.out.slots.push_back(i);
        return st;
    }

    ImageParam receive(Stage& st, const std::string& name, const dsl::Shape& shape, int slot) {
        ImageParam ip(type_, static_cast<int>(shape.dims.size()) + 1, name);
        constrain_batched(ip, shape, batch_estimate_);
        st.out.arguments.push_back(ip);
        st.out.images.push_back(ip);
        st.out.slots.push_back(slot);
        return ip;
    }

    void emit(Stage& st, const Tensor& t, int slot) {
        st.out.outputs.push_back(t);
        st.output_slots.push_back(slot);
    }

    int new_slot(const std::string& name, const dsl::Shape& shape) {
        result_.slots.push_back({name, shape, true});
        return ext_.count + static_cast<int>(result_.slots.size()) - 1;
    }

    // A node's value in this stage: computed here, a model argument, or received.
    void need_value(Stage& st, int id) {
        Tensor& v = st.b.values[static_cast<size_t>(id)];
        if (v.func.defined()) return;
        const dsl::Node& n = model_.node(id);
        if (value_slot_[static_cast<size_t>(id)] < 0)
            throw std::logic_error("internal error: staged lowering: no value for node '" + n.name + "'");
        ImageParam ip = receive(st, "v__" + func_safe(n.name), n.shape, value_slot_[static_cast<size_t>(id)]);
        v = {Func(ip), n.shape, true};
    }

    // The gradient of a node known so far: this stage's terms, else a received partial sum.
    Func& grad_of(Stage& st, int id) {
        Func& g = st.grad[static_cast<size_t>(id)];
        if (!g.defined() && grad_slot_[static_cast<size_t>(id)] >= 0) {
            const dsl::Node& n = model_.node(id);
            g = Func(receive(st, "g__" + func_safe(n.name), n.shape, grad_slot_[static_cast<size_t>(id)]));
        }
        return g;
    }

    void finish(Stage& st) {
        for (int slot : st.output_slots) st.out.slots.push_back(slot);
        result_.stages.push_back(std::move(st.out));
    }

    // Inference needs a value after its segment only where a later segment or a loss reads it;
    // training keeps every value for the backward stages.
    bool exported(int id, size_t segment) const {
        if (mode_ == StageMode::Train) return true;
        for (const dsl::Node& n : model_.nodes) {
            if (std::find(n.inputs.begin(), n.inputs.end(), id) == n.inputs.end()) continue;
            if (n.kind == dsl::NodeKind::Loss || segment_of_[static_cast<size_t>(n.id)] > static_cast<int>(segment))
                return true;
        }
        return false;
    }

    // The last inference stage ends with the pipeline's results: predictions (and losses).
    void inference_results(Stage& st) {
        for (int id : model_.losses)
            for (int in : model_.node(id).inputs)
                if (model_.node(in).kind != dsl::NodeKind::Target) need_value(st, in);  // targets: arguments (evaluate)
        const size_t L = model_.losses.size();
        if (mode_ == StageMode::Evaluate) {
            st.b.add_loss_outputs(st.b.loss_values());
            emit(st, st.b.result.outputs[0], ext_.loss);
            for (size_t l = 0; l < L; ++l) emit(st, st.b.result.outputs[1 + l], ext_.losses + static_cast<int>(l));
        }
        const size_t first = st.b.result.outputs.size();
        st.b.add_predict_outputs();
        for (size_t l = 0; l < L; ++l) emit(st, st.b.result.outputs[first + l], ext_.outputs + static_cast<int>(l));
    }

    void forward_stage(const std::vector<int>& seg, size_t index, bool last) {
        Stage st = begin("f" + std::to_string(index));
        for (int id : seg) {
            const dsl::Node& node = model_.node(id);
            for (int in : node.inputs) need_value(st, in);
            Func f = layer_of(node).forward(st.b.ctx, node, st.b.inputs_of(node), st.b.params_of(id));
            st.b.values[static_cast<size_t>(id)] = {f, node.shape, true};
        }
        // New running statistics, in the parameter order of train_step's results.
        std::map<int, std::vector<Func>> updates;
        for (size_t p = 0; p < params_.size() && mode_ == StageMode::Train; ++p) {
            if (params_[p].spec.trainable) continue;
            const int id = params_[p].node;
            if (std::find(seg.begin(), seg.end(), id) == seg.end()) continue;
            if (!updates.count(id)) {
                const dsl::Node& node = model_.node(id);
                updates[id] = layer_of(node).state_update(st.b.ctx, node, st.b.inputs_of(node), st.b.params_of(id));
            }
            size_t k = 0;
            for (size_t q = 0; q < p; ++q)
                if (params_[q].node == id && !params_[q].spec.trainable) ++k;
            if (k >= updates[id].size())
                throw std::logic_error("internal error: layer '" + model_.node(id).op +
                                       "' returns no update for state '" + params_[p].full_name + "'");
            emit(st, {copy_of(updates[id][k], "state__" + params_[p].func_name), params_[p].spec.shape, false},
                 ext_.param_results + static_cast<int>(p));
        }
        if (last && mode_ != StageMode::Train) inference_results(st);
        for (int id : seg) {
            if (!exported(id, index)) continue;
            const dsl::Node& node = model_.node(id);
            const int slot = new_slot(node.name, node.shape);
            value_slot_[static_cast<size_t>(id)] = slot;
            emit(st, {exported_value(st, st.b.values[static_cast<size_t>(id)].func, node), node.shape, true}, slot);
        }
        finish(st);
    }

    // The Func that carries a node's value out of its stage: the value itself where it is a pure
    // Func of its own (activations, batch norm's output, pooling), which the default schedule
    // computes at root anyway, so that it is written once, straight into the stage's result;
    // a copy otherwise (a value with update definitions, whose template computes it in tiles;
    // a received input; a Func already emitted). The copy was a whole extra pass over every
    // activation of the forward: 8-11% of a CNN training step.
    Func exported_value(Stage& st, const Func& value, const dsl::Node& node) {
        const bool own =
            value.num_update_definitions() == 0 && !is_input_wrapper(value) && st.emitted.insert(value.name()).second;
        return own ? value : copy_of(value, "v_out__" + func_safe(node.name));
    }

    void backward_node(Stage& st, const dsl::Node& node) {
        Func dy = grad_of(st, node.id);
        if (!dy.defined()) return;  // nothing downstream reaches a loss
        need_value(st, node.id);
        for (int in : node.inputs) need_value(st, in);
        Gradients g = layer_of(node).backward(st.b.ctx, node, st.b.inputs_of(node), st.b.params_of(node.id),
                                              st.b.values[static_cast<size_t>(node.id)], dy);
        for (size_t i = 0; i < node.inputs.size() && i < g.d_inputs.size(); ++i) {
            if (!g.d_inputs[i].defined()) continue;
            const int src = node.inputs[i];
            const dsl::NodeKind kind = model_.node(src).kind;
            if (kind == dsl::NodeKind::Target || kind == dsl::NodeKind::Input) continue;
            accumulate_gradient(grad_of(st, src), g.d_inputs[i], model_.node(src), node.id);
            st.changed[static_cast<size_t>(src)] = true;
        }
        size_t k = 0;
        for (size_t p = 0; p < params_.size(); ++p) {
            if (params_[p].node != node.id || !params_[p].spec.trainable) continue;
            emit(st, {copy_of(g.d_params.at(k++), "grad__" + params_[p].func_name), params_[p].spec.shape, false},
                 ext_.param_results + static_cast<int>(p));
            grad_done_.insert(static_cast<int>(p));
        }
    }

    void backward_stage(const std::vector<int>& seg, size_t index, bool last) {
        Stage st = begin("b" + std::to_string(index));
        if (last) {
            for (int id : model_.losses)
                for (int in : model_.node(id).inputs) need_value(st, in);
            const std::vector<Func> losses = st.b.loss_values();
            st.b.add_loss_outputs(losses);
            emit(st, st.b.result.outputs[0], ext_.loss);
            for (size_t l = 0; l < losses.size(); ++l)
                emit(st, st.b.result.outputs[1 + l], ext_.losses + static_cast<int>(l));
            for (size_t l = 0; l < model_.losses.size(); ++l) {
                const dsl::Node& loss = model_.node(model_.losses[l]);
                const Tensor& pred = st.b.values[static_cast<size_t>(loss.inputs[0])];
                emit(st, {copy_of(pred.func, "prediction_" + std::to_string(l)), pred.shape, true},
                     ext_.outputs + static_cast<int>(l));
            }
            for (int id : model_.losses) {
                const dsl::Node& node = model_.node(id);
                Func seed(func_safe(node.name) + "__weight");
                seed() = cast(type_, Expr(node.loss_weight));
                st.grad[static_cast<size_t>(id)] = seed;
            }
            for (auto it = model_.losses.rbegin(); it != model_.losses.rend(); ++it)
                backward_node(st, model_.node(*it));
        }
        for (auto it = seg.rbegin(); it != seg.rend(); ++it) backward_node(st, model_.node(*it));
        // Partial gradients of earlier nodes go on to the next (earlier) backward stage.
        for (size_t id = 0; id < model_.nodes.size(); ++id) {
            if (!st.changed[id] || std::find(seg.begin(), seg.end(), static_cast<int>(id)) != seg.end()) continue;
            const dsl::Node& n = model_.node(static_cast<int>(id));
            const int slot = new_slot("d " + n.name, n.shape);
            grad_slot_[id] = slot;
            emit(st, {copy_of(st.grad[id], "g_out__" + func_safe(n.name)), n.shape, true}, slot);
        }
        finish(st);
    }

    const dsl::CheckedModel& model_;
    Type type_;
    int batch_estimate_;
    StageMode mode_;
    std::vector<int> segment_of_;  // by node id: its forward segment, -1 for non-layers
    std::vector<ModelParam> params_;
    ExternalSlots ext_;
    std::vector<int> value_slot_, grad_slot_;  // by node id: where its value / partial gradient lives
    std::set<int> grad_done_;
    StagedPipeline result_;
};

}  // namespace

Pipeline LoweredStage::pipeline() const {
    std::vector<Func> fs;
    for (const Tensor& t : outputs) fs.push_back(t.func);
    return Pipeline(fs);
}

int segment_count(const dsl::CheckedModel& model, int layers_per_stage) {
    return static_cast<int>(segments_of(model, layers_per_stage).size());
}

StagedPipeline lower_staged(const dsl::CheckedModel& model, StageMode mode, Type type, int batch_estimate,
                            int layers_per_stage) {
    if (model.inputs.size() != 1) throw std::logic_error("internal error: exactly one model input is supported");
    return StagedLowering(model, type, batch_estimate, mode).lower(segments_of(model, layers_per_stage));
}

}  // namespace nnc::codegen
