// The measurement: one layer alone (a model of one input, the layer and an MSE loss), its
// training step (forward, backward, the input's gradient) lowered, scheduled with given knobs,
// JIT-compiled for this machine and run on random buffers at the tuning batch.
#pragma once
#include <Halide.h>

#include <optional>
#include <string>
#include <vector>

#include "codegen/schedule/template_knobs.h"
#include "dsl/model.h"

namespace nnc::codegen {

class LayerBench {
public:
    // `node` is a single-input layer of `model`.
    LayerBench(const dsl::CheckedModel& model, const dsl::Node& node, int batch);

    // The fastest run's seconds of the layer's training step with `knobs`, run for about
    // `seconds`. The first call's outputs (call it with the defaults) are the reference: a later
    // candidate whose outputs differ from them is refused (nullopt), as is one that fails to
    // compile.
    std::optional<double> time(const KnobValues& knobs, double seconds);

    // The model the layer runs in (tests run it through the gradient check).
    const dsl::CheckedModel& model() const { return alone_; }

private:
    std::vector<Halide::Buffer<float>> run_once(Halide::Pipeline& p, std::vector<Halide::Buffer<float>>& outs);

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
