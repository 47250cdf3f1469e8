#include "codegen/lower/lowering.h"

#include "codegen/lower/pipeline_builder.h"

namespace nnc::codegen {

using namespace Halide;
using namespace lowering_detail;

std::vector<Func> LoweredPipeline::output_funcs() const {
    std::vector<Func> fs;
    for (const Tensor& t : outputs) fs.push_back(t.func);
    return fs;
}

std::vector<Argument> LoweredPipeline::arguments() const {
    std::vector<Argument> args{input};
    for (const ImageParam& t : targets) args.push_back(t);
    for (const ImageParam& p : params) args.push_back(p);
    if (has_seed) {
        args.push_back(seed);
        args.push_back(dropout_rates);
    }
    return args;
}

LoweredPipeline lower_inference(const dsl::CheckedModel& model, Type type, int batch_estimate) {
    Builder b(model, type, batch_estimate);
    b.declare_arguments(/*with_targets=*/false, /*training=*/false);
    b.forward_layers();
    b.add_outputs(b.predict_outputs());
    return b.result;
}

LoweredPipeline lower_evaluation(const dsl::CheckedModel& model, Type type, int batch_estimate) {
    Builder b(model, type, batch_estimate);
    b.declare_arguments(/*with_targets=*/true, /*training=*/false);
    b.forward_layers();
    b.add_outputs(b.loss_outputs(b.loss_values()));
    b.add_outputs(b.predict_outputs());
    return b.result;
}

LoweredPipeline lower_training(const dsl::CheckedModel& model, Type type, int batch_estimate, bool input_gradient) {
    Builder b(model, type, batch_estimate);
    b.input_gradient = input_gradient;
    b.declare_arguments(/*with_targets=*/true, /*training=*/true);
    b.forward_layers();
    const std::vector<Func> losses = b.loss_values();
    b.seed_loss_gradients();
    for (auto it = model.nodes.rbegin(); it != model.nodes.rend(); ++it)
        if (it->kind == dsl::NodeKind::Layer || it->kind == dsl::NodeKind::Loss) b.backward_node(*it);
    b.add_outputs(b.loss_outputs(losses));
    b.add_outputs(b.prediction_outputs());
    for (size_t p = 0; p < b.params.size(); ++p) b.add_outputs({b.param_result(p)});
    if (input_gradient) b.add_outputs({b.input_gradient_output()});
    return b.result;
}

}  // namespace nnc::codegen
