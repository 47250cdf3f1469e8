// The interface every layer (and loss) implements: its spec (attribute schema, shape rule,
// parameters — what the checker sees), its forward and its backward. One layer, one file, under
// codegen/layers/, registered with one line at the bottom of that file.
#pragma once
#include <Halide.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "codegen/lower/tensor.h"
#include "codegen/schedule/cpu_templates.h"
#include "codegen/schedule/layer_records.h"
#include "dsl/op_spec.h"

namespace nnc::codegen {

struct LayerContext {
    Halide::Type type = Halide::Float(32);  // Float(64) in gradient checks
    Halide::Expr batch;                     // N, the batch extent of this call
    // Training pipeline (train_step, gradient checks): batch norm uses batch statistics,
    // dropout drops. Inference pipeline: running statistics, dropout is the identity.
    bool training = false;
    // Training only: a UInt(32) scalar that changes every step (the runtime's step seed).
    // Random layers hash (seed, node, element) so that a step is reproducible from its seed.
    Halide::Expr seed;
    // Training only: the pipeline's dropout_rates argument (float32, one per dropout node) and
    // each dropout node's index into it (codegen/lower/dropout_rates.h).
    Halide::Func dropout_rates;
    std::map<std::string, int> dropout_index;
    // Prefix for Func names, from the node name ("fc1" -> "fc1__fwd", "fc1__d_weight").
    std::string func_name(const dsl::Node& node, const std::string& what) const {
        return func_safe(node.name) + "__" + what;
    }

    // The node's record of type R (codegen/schedule/layer_records.h) in this lowering: the Funcs
    // its forward and backward built and the algorithm form they chose, for its backward (the
    // Funcs a backward reuses instead of recomputing them: max-pool's argmax, conv's padded
    // input) and for its schedule (ScheduleContext::record). Created empty on first use and shared
    // by forward, backward and state_update.
    template <class R>
    std::shared_ptr<R> record(const dsl::Node& node) const {
        return records->get<R>(node.name);
    }

    // Every node's record in this lowering (copies of the context share them); the lowering hands
    // them on with its pipeline (LoweredPipeline::records).
    std::shared_ptr<LayerRecords> records = std::make_shared<LayerRecords>();
};

struct Gradients {
    std::vector<Halide::Func> d_inputs;  // one per input; an undefined Func where none flows (targets)
    std::vector<Halide::Func> d_params;  // one per trainable parameter (spec order, state skipped), same dims
};

class Layer {
public:
    virtual ~Layer() = default;
    virtual const dsl::OpSpec& spec() const = 0;

    // Algorithm only; no schedule. `params` are in the order spec().params returns them, state
    // parameters (ParamSpec::trainable == false) included.
    // A loss returns a 0-dimensional Func: the mean loss over the batch.
    virtual Halide::Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& inputs,
                                 const std::vector<Tensor>& params) const = 0;

    // d_output has the output's dims (0-d for a loss: the loss weight).
    virtual Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& inputs,
                               const std::vector<Tensor>& params, const Tensor& output,
                               const Halide::Func& d_output) const = 0;

    // Layers with state parameters only, training only: the new value of each state parameter
    // after this step (batch norm: the running statistics moved toward the batch's), in spec
    // order of the state parameters. Called after forward with the same arguments.
    virtual std::vector<Halide::Func> state_update(const LayerContext& ctx, const dsl::Node& node,
                                                   const std::vector<Tensor>& inputs,
                                                   const std::vector<Tensor>& params) const {
        (void)ctx;
        (void)node;
        (void)inputs;
        (void)params;
        return {};
    }

    // Schedule template: schedules (and claims) the Funcs this layer made for `node`, as its
    // record holds them (ctx.record). Funcs left unclaimed get default_schedule.
    virtual void schedule(ScheduleContext& ctx, const dsl::Node& node,
                          const std::vector<dsl::Shape>& input_shapes) const {
        (void)ctx;
        (void)node;
        (void)input_shapes;
    }

    // The same for a GPU target: Funcs this layer claims get its GPU schedule, the rest the
    // generic GPU template (codegen/schedule/gpu_templates.h). Only layers whose Funcs the template
    // schedules badly (the recurrent scans) need one.
    virtual void schedule_gpu(ScheduleContext& ctx, const dsl::Node& node,
                              const std::vector<dsl::Shape>& input_shapes) const {
        (void)ctx;
        (void)node;
        (void)input_shapes;
    }

    // Losses only: what inference returns for the prediction (softmax cross-entropy: the
    // probabilities). Layers never call this.
    virtual Halide::Func predict(const LayerContext& ctx, const dsl::Node& node, const Tensor& prediction) const {
        (void)ctx;
        (void)node;
        return prediction.func;
    }
};

}  // namespace nnc::codegen
