#include "codegen/lower/staged_lowering.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>

#include "codegen/layers/layer_registry.h"
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
        if (mode_ == StageMode::Train)
            for (size_t s = segs.size(); s-- > 0;) backward_stage(segs[s], s, s + 1 == segs.size());
        return std::move(result_);
    }

private:
    // One stage being built: a lowering core of its own (its own ImageParams and saved Funcs),
    // whose imports receive what earlier stages computed. Built in place: the imports hold it.
    struct Stage {
        Builder b;
        LoweredStage out;
        std::vector<int> output_slots;
        std::set<std::string> emitted;  // values that are their own stage results
        Stage(const dsl::CheckedModel& m, Type t, int be) : b(m, t, be) {}
        Stage(const Stage&) = delete;
    };

    void begin(Stage& st, const std::string& name) {
        st.b.import_value = [this, &st](int id) { receive_value(st, id); };
        st.b.import_gradient = [this, &st](int id) { receive_gradient(st, id); };
        st.b.declare_arguments(/*with_targets=*/mode_ != StageMode::Forward, /*training=*/mode_ == StageMode::Train);
        st.out.name = name;
        st.out.batch = st.b.result.batch;
        st.out.records = st.b.result.records;
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
    }

    ImageParam receive(Stage& st, const std::string& name, const dsl::Shape& shape, int slot) {
        ImageParam ip(type_, static_cast<int>(shape.dims.size()) + 1, name);
        constrain_batched(ip, shape, batch_estimate_);
        st.out.arguments.push_back(ip);
        st.out.images.push_back(ip);
        st.out.slots.push_back(slot);
        return ip;
    }

    // A node's value that an earlier stage computed.
    void receive_value(Stage& st, int id) {
        const dsl::Node& n = model_.node(id);
        const int slot = value_slot_[static_cast<size_t>(id)];
        if (slot < 0) throw std::logic_error("internal error: staged lowering: no value for node '" + n.name + "'");
        st.b.values[static_cast<size_t>(id)] = {Func(receive(st, "v__" + func_safe(n.name), n.shape, slot)), n.shape,
                                                true};
    }

    // The partial sum of a node's gradient that later backward stages computed, if any.
    void receive_gradient(Stage& st, int id) {
        const int slot = grad_slot_[static_cast<size_t>(id)];
        if (slot < 0) return;
        const dsl::Node& n = model_.node(id);
        st.b.grads[static_cast<size_t>(id)] = Func(receive(st, "g__" + func_safe(n.name), n.shape, slot));
    }

    void emit(Stage& st, const Tensor& t, int slot) {
        st.out.outputs.push_back(t);
        st.output_slots.push_back(slot);
    }

    // Results in consecutive slots from `first`.
    void emit_all(Stage& st, const std::vector<Tensor>& ts, int first) {
        for (size_t i = 0; i < ts.size(); ++i) emit(st, ts[i], first + static_cast<int>(i));
    }

    int new_slot(const std::string& name, const dsl::Shape& shape) {
        result_.slots.push_back({name, shape, true});
        return ext_.count + static_cast<int>(result_.slots.size()) - 1;
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

    void forward_stage(const std::vector<int>& seg, size_t index, bool last) {
        Stage st(model_, type_, batch_estimate_);
        begin(st, "f" + std::to_string(index));
        for (int id : seg) st.b.forward_node(model_.node(id));
        // New running statistics, in the parameter order of train_step's results.
        for (size_t p = 0; p < params_.size() && mode_ == StageMode::Train; ++p)
            if (!params_[p].spec.trainable &&
                segment_of_[static_cast<size_t>(params_[p].node)] == static_cast<int>(index))
                emit(st, st.b.param_result(p), ext_.param_results + static_cast<int>(p));
        // The last inference stage ends with the pipeline's results: predictions (and losses).
        if (last && mode_ == StageMode::Evaluate) emit_all(st, st.b.loss_outputs(st.b.loss_values()), ext_.loss);
        if (last && mode_ != StageMode::Train) emit_all(st, st.b.predict_outputs(), ext_.outputs);
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

    // Backward through a node, with the gradients of its parameters as this stage's results.
    void backward_node(Stage& st, int id) {
        st.b.backward_node(model_.node(id));
        for (size_t p = 0; p < params_.size(); ++p)
            if (params_[p].node == id && params_[p].spec.trainable)
                emit(st, st.b.param_result(p), ext_.param_results + static_cast<int>(p));
    }

    // The last backward stage starts at the losses: their values, the loss and prediction
    // results, and their gradient seeds.
    void backward_stage(const std::vector<int>& seg, size_t index, bool last) {
        Stage st(model_, type_, batch_estimate_);
        begin(st, "b" + std::to_string(index));
        if (last) {
            emit_all(st, st.b.loss_outputs(st.b.loss_values()), ext_.loss);
            emit_all(st, st.b.prediction_outputs(), ext_.outputs);
            st.b.seed_loss_gradients();
            for (auto it = model_.losses.rbegin(); it != model_.losses.rend(); ++it) backward_node(st, *it);
        }
        for (auto it = seg.rbegin(); it != seg.rend(); ++it) backward_node(st, *it);
        // Partial gradients of earlier nodes go on to the next (earlier) backward stage.
        for (size_t id = 0; id < model_.nodes.size(); ++id) {
            if (!st.b.gained[id] || std::find(seg.begin(), seg.end(), static_cast<int>(id)) != seg.end()) continue;
            const dsl::Node& n = model_.node(static_cast<int>(id));
            const int slot = new_slot("d " + n.name, n.shape);
            grad_slot_[id] = slot;
            emit(st, {copy_of(st.b.grads[id], "g_out__" + func_safe(n.name)), n.shape, true}, slot);
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
