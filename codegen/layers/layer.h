// The interface every layer (and loss) implements: its spec (attribute schema, shape rule,
// parameters — what the checker sees), its forward and its backward. One layer, one file, under
// codegen/layers/, registered with one line at the bottom of that file.
#pragma once
#include <Halide.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codegen/lower/tensor.h"
#include "codegen/schedule/cpu_templates.h"
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

    // Funcs a forward keeps for its backward (max-pool's argmax, conv's padded input), so the
    // backward reuses the very values the forward computed instead of recomputing them.
    void save(const dsl::Node& node, const std::string& what, const Halide::Func& f) const {
        (*saved)[node.name + "/" + what] = f;
    }
    Halide::Func saved_or(const dsl::Node& node, const std::string& what,
                          const std::function<Halide::Func()>& make) const {
        auto it = saved->find(node.name + "/" + what);
        if (it != saved->end()) return it->second;
        Halide::Func f = make();
        save(node, what, f);
        return f;
    }
    std::shared_ptr<std::map<std::string, Halide::Func>> saved =
        std::make_shared<std::map<std::string, Halide::Func>>();
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

    // Schedule template: schedules (and claims) the Funcs this layer made for `node`, found by
    // name in ctx. Funcs left unclaimed get default_schedule.
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
