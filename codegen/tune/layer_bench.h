// The measurement: one layer alone (a model of one input, the layer and an MSE loss), its
// training step (forward, backward, the input's gradient) lowered, scheduled with given knobs,
// JIT-compiled for this machine and run on random buffers at the tuning batch.
#pragma once
#include <Halide.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codegen/schedule/template_knobs.h"
#include "codegen/tune/knob_search.h"
#include "dsl/model.h"

namespace nnc::codegen {

class LayerBench {
public:
    // `node` is a single-input layer of `model`.
    LayerBench(const dsl::CheckedModel& model, const dsl::Node& node, int batch);

    // The layer's training step with `knobs`, compiled, checked and warmed up: a runner of
    // timing slices (codegen/tune/knob_search.h). The first call's outputs (call it with the
    // defaults) are the reference: a later candidate whose outputs differ from them is refused
    // (nullopt), as is one that fails to compile.
    std::optional<SliceRunner> compile(const KnobValues& knobs);

    // compile(knobs), then one slice of about `seconds`: its fastest run's seconds.
    std::optional<double> time(const KnobValues& knobs, double seconds);

    // The model the layer runs in (tests run it through the gradient check).
    const dsl::CheckedModel& model() const { return alone_; }

private:
    struct Compiled;
    static void run_once(Halide::Pipeline& p, std::vector<Halide::Buffer<float>>& outs);
    static double fastest_run(Compiled& c, double seconds);

    dsl::CheckedModel alone_;
    std::string node_;
    int batch_;
    Halide::Buffer<float> input_, target_;
    std::vector<Halide::Buffer<float>> params_;
    std::vector<Halide::Buffer<float>> reference_;
};

// A model of one float input shaped like `node`'s input, `node` and an MSE loss against a
// target shaped like its output.
dsl::CheckedModel layer_alone(const dsl::CheckedModel& model, const dsl::Node& node);

}  // namespace nnc::codegen
