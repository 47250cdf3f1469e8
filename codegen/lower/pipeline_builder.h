// The lowering core that the single-pipeline and the staged lowerings share: one pipeline's
// arguments (input, targets, parameters, seed, dropout rates) and the per-node steps of a model —
// forward, the losses and their gradient seeds, backward, the state updates — with the outputs
// made of them (losses, predictions, parameter gradients, new states).
// The single pipeline (lowering.cpp) walks every node with one Builder. The staged lowering
// (staged_lowering.cpp) walks each segment with a Builder of its own and, through the import
// hooks, supplies the values and gradients that cross its stage boundaries.
// Internal to codegen/lower.
#pragma once
#include <Halide.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "codegen/layers/layer.h"
#include "codegen/lower/lowering.h"
#include "codegen/lower/model_params.h"

namespace nnc::codegen::lowering_detail {

const Layer& layer_of(const dsl::Node& node);

// Static per-sample dims are fixed; the batch (outermost) dim starts at 0 and is estimated.
void constrain_batched(Halide::OutputImageParam p, const dsl::Shape& shape, int batch_estimate);

// A fresh Func equal to `f`: pipeline outputs must be Funcs of their own, never also read by
// other stages under a different schedule.
Halide::Func copy_of(const Halide::Func& f, const std::string& name);

class Builder {
public:
    const dsl::CheckedModel& model;
    const Halide::Type type;
    const int batch_estimate;
    LoweredPipeline result;           // arguments and (where the caller adds them) outputs
    std::vector<ModelParam> params;   // collect_params order
    std::vector<Tensor> values;       // by node id: its value, as far as known in this pipeline
    std::vector<Halide::Func> grads;  // by node id: d total loss / d its value, as far as known
    std::vector<bool> gained;         // by node id: grads[id] gained a term in this pipeline
    bool input_gradient = false;      // backward also into the model input (gradient checks)
    LayerContext ctx;
    // Called where this pipeline lacks a node's value or gradient, to set values[id] or grads[id]:
    // the staged lowering receives them from other stages. Unset in a single pipeline, which
    // computes every value and gradient itself.
    std::function<void(int)> import_value, import_gradient;

    Builder(const dsl::CheckedModel& model, Halide::Type type, int batch_estimate);

    // The pipeline's arguments: the input, the targets (`with_targets`), the parameters, and in
    // training the seed and the dropout rates.
    void declare_arguments(bool with_targets, bool training);

    // Per node, in graph order forward and in reverse backward.
    void forward_node(const dsl::Node& node);  // a layer's value
    void forward_layers();                     // every layer's (not the losses)
    std::vector<Halide::Func> loss_values();   // every loss's (0-d, unweighted), in model.losses order
    void seed_loss_gradients();                // each loss's incoming gradient: its weight in the total
    // Where a gradient reaches `node`: adds its inputs' terms to grads (accumulating where a value
    // feeds several nodes) and records its parameters' gradients.
    void backward_node(const dsl::Node& node);

    // Outputs.
    // loss = sum of weight * loss_l, then each loss_l.
    std::vector<Tensor> loss_outputs(const std::vector<Halide::Func>& losses);
    // Inference: what each loss's predict returns (probabilities for the classifiers).
    std::vector<Tensor> predict_outputs();
    // train_step: each loss's prediction as it is.
    std::vector<Tensor> prediction_outputs();
    // train_step: params[p]'s result, its gradient (after its node's backward) or a state's new value.
    Tensor param_result(size_t p);
    // d loss / d input (with input_gradient).
    Tensor input_gradient_output();
    void add_outputs(const std::vector<Tensor>& outputs);

    const Tensor& value(int id);
    Halide::Func& gradient(int id);
    std::vector<Tensor> inputs_of(const dsl::Node& node);
    std::vector<Tensor> params_of(int node_id) const;

private:
    void declare_dropout_rates();
    std::vector<Halide::Func> param_grads_;                   // by parameter, once its node's backward ran
    std::map<int, std::vector<Halide::Func>> state_updates_;  // node id -> its layer's state_update
};

}  // namespace nnc::codegen::lowering_detail
