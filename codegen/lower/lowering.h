// Graph -> Halide: the algorithm of the inference pipeline and of the training pipeline
// (loss and the gradient of every parameter), built from each node's layer. No schedule here.
#pragma once
#include <Halide.h>

#include <memory>
#include <vector>

#include "codegen/lower/model_params.h"
#include "codegen/lower/tensor.h"
#include "codegen/schedule/layer_records.h"
#include "dsl/model.h"

namespace nnc::codegen {

struct LoweredPipeline {
    // Arguments in ABI order (model_desc.h): forward: input, params; evaluate: input, targets,
    // params; train_step: input, targets, params, seed, dropout_rates.
    Halide::ImageParam input;                 // Float or Int(32) (token ids)
    std::vector<Halide::ImageParam> targets;  // empty for the inference pipeline
    std::vector<Halide::ImageParam> params;   // collect_params order: trainables, then states
    Halide::Param<uint32_t> seed{"seed"};     // training only: the per-step random seed
    // Training only, beside the seed: each dropout node's rate (codegen/lower/dropout_rates.h order),
    // read at run time so that a run can change it without recompiling. Bound (for JIT callers)
    // to the rates the .nn file declares; an AOT build takes it as an argument.
    Halide::ImageParam dropout_rates{Halide::Float(32), 1, "dropout_rates"};
    bool has_seed = false;
    // Outputs in ABI order: forward: outputs[L]; evaluate: loss, losses[L], outputs[L];
    // train_step: loss, losses[L], predictions[L], grads[trainable], new states[...].
    std::vector<Tensor> outputs;
    Halide::Expr batch;  // the batch extent, from the input's outermost dimension
    // What the layers recorded while building this pipeline, for its schedule (schedule_pipeline).
    std::shared_ptr<const LayerRecords> records;

    std::vector<Halide::Argument> arguments() const;
    std::vector<Halide::Func> output_funcs() const;
    Halide::Pipeline pipeline() const { return Halide::Pipeline(output_funcs()); }
};

// `type` is Float(32) for builds and Float(64) for gradient checks. `batch_estimate` feeds the
// autoscheduler; any batch size works at run time.
LoweredPipeline lower_inference(const dsl::CheckedModel& model, Halide::Type type, int batch_estimate);
// Inference mode with the losses (validation): loss, each loss, each output.
LoweredPipeline lower_evaluation(const dsl::CheckedModel& model, Halide::Type type, int batch_estimate);
// With `input_gradient`, the gradient of the loss w.r.t. the model input is appended as a last
// output (gradient checks use it; builds do not).
LoweredPipeline lower_training(const dsl::CheckedModel& model, Halide::Type type, int batch_estimate,
                               bool input_gradient = false);

}  // namespace nnc::codegen
