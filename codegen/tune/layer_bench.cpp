#include "codegen/tune/layer_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>

#include "codegen/emit/host_target.h"
#include "codegen/layers/layer_registry.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/lower/model_params.h"
#include "codegen/schedule/scheduler.h"

namespace nnc::codegen {
namespace {

// Halide's order: innermost first, then the batch.
std::vector<int> halide_dims(const dsl::Shape& s, int batch) {
    std::vector<int> d(s.dims.rbegin(), s.dims.rend());
    if (batch > 0) d.push_back(batch);
    return d;
}

void fill_random(Halide::Buffer<float>& b, std::mt19937& rng, float scale) {
    std::normal_distribution<float> normal(0.0f, scale);
    b.for_each_value([&](float& v) { v = normal(rng); });
}

// Sums in another order round differently: each element may differ from the reference by a
// small fraction of the buffer's largest magnitude.
bool close_to(const Halide::Buffer<float>& got, const Halide::Buffer<float>& want) {
    const size_t n = want.number_of_elements();
    if (got.number_of_elements() != n) return false;
    const float* g = got.data();
    const float* w = want.data();
    float scale = 0;
    for (size_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(w[i]));
    for (size_t i = 0; i < n; ++i)
        if (!(std::abs(g[i] - w[i]) <= 1e-3f * std::max(scale, 1e-6f))) return false;
    return true;
}

}  // namespace

dsl::CheckedModel layer_alone(const dsl::CheckedModel& model, const dsl::Node& node) {
    if (node.inputs.size() != 1) throw std::runtime_error("internal error: the tuner measures single-input layers");
    dsl::CheckedModel m;
    m.name = "tune_" + model.name;
    m.train = model.train;
    dsl::Node in = model.node(node.inputs[0]);
    in.id = 0;
    in.kind = dsl::NodeKind::Input;
    in.op = "input";
    in.name = "tune_input";
    in.inputs.clear();
    in.dtype = dsl::DType::Float32;
    dsl::Node layer = node;
    layer.id = 1;
    layer.inputs = {0};
    dsl::Node target;
    target.id = 2;
    target.kind = dsl::NodeKind::Target;
    target.op = "target";
    target.name = "tune_target";
    target.target_kind = dsl::TargetKind::Real;
    target.shape = node.shape;
    dsl::Node loss;
    loss.id = 3;
    loss.kind = dsl::NodeKind::Loss;
    loss.op = "mse";
    loss.name = "tune_loss";
    loss.inputs = {1, 2};
    const dsl::OpSpec* spec = layer_catalog().find("mse");
    for (const auto& a : spec->attrs)
        if (a.default_value) loss.attrs.values[a.name] = *a.default_value;
    loss.attrs.values["target_kind"] = std::string("real");
    loss.attrs.values["num_classes"] = int64_t(0);
    dsl::ShapeResult shape = spec->shape({node.shape, node.shape}, loss.attrs);
    if (!shape.error.empty()) throw std::runtime_error("internal error: the tuner's loss: " + shape.error);
    loss.shape = shape.shape;
    m.nodes = {in, layer, target, loss};
    m.inputs = {0};
    m.targets = {2};
    m.losses = {3};
    return m;
}

LayerBench::LayerBench(const dsl::CheckedModel& model, const dsl::Node& node, int batch)
    : alone_(layer_alone(model, node)), node_(node.name), batch_(batch) {
    std::mt19937 rng(17);
    input_ = Halide::Buffer<float>(halide_dims(alone_.nodes[0].shape, batch));
    fill_random(input_, rng, 1.0f);
    target_ = Halide::Buffer<float>(halide_dims(node.shape, batch));
    fill_random(target_, rng, 1.0f);
    for (const ModelParam& p : collect_params(alone_, layer_catalog())) {
        Halide::Buffer<float> b(halide_dims(p.spec.shape, 0));
        fill_random(b, rng, 0.1f);
        if (!p.spec.trainable) b.for_each_value([](float& v) { v = std::abs(v) + 0.5f; });
        params_.push_back(b);
    }
}

void LayerBench::run_once(Halide::Pipeline& p, std::vector<Halide::Buffer<float>>& outs) {
    std::vector<Halide::Buffer<>> untyped(outs.begin(), outs.end());
    p.realize(Halide::Realization(untyped), host_target());
}

// A candidate's compiled training step with its arguments bound and its output buffers.
struct LayerBench::Compiled {
    LoweredPipeline lowered;
    Halide::Pipeline pipeline;
    std::vector<Halide::Buffer<float>> outs;
};

std::optional<SliceRunner> LayerBench::compile(const KnobValues& knobs) {
    try {
        auto c = std::make_shared<Compiled>();
        c->lowered = lower_training(alone_, Halide::Float(32), batch_, /*input_gradient=*/true);
        LoweredPipeline& lowered = c->lowered;
        set_output_estimates(lowered, batch_);  // as a build does: static extents bound
        Halide::Pipeline pipeline = lowered.pipeline();
        ScheduleOptions options;
        options.knobs = {{node_, knobs}};
        schedule_pipeline(pipeline, alone_, lowered.batch, *lowered.records, host_target(), options);
        pipeline.compile_jit(host_target());
        c->pipeline = pipeline;
        lowered.input.set(input_);
        lowered.targets[0].set(target_);
        for (size_t i = 0; i < params_.size(); ++i) lowered.params[i].set(params_[i]);
        lowered.seed.set(1);
        for (const Tensor& t : lowered.outputs)
            c->outs.push_back(t.shape.dims.empty() && !t.batched
                                  ? Halide::Buffer<float>::make_scalar()
                                  : Halide::Buffer<float>(halide_dims(t.shape, t.batched ? batch_ : 0)));
        // The check's run also warms the candidate up (its first run pays page faults).
        run_once(c->pipeline, c->outs);
        if (reference_.empty()) {
            for (const auto& b : c->outs) reference_.push_back(b.copy());
        } else {
            for (size_t i = 0; i < c->outs.size(); ++i)
                if (!close_to(c->outs[i], reference_[i])) return std::nullopt;
        }
        return SliceRunner([c](double seconds) { return fastest_run(*c, seconds); });
    } catch (const Halide::Error&) {
        return std::nullopt;  // a knob the template cannot honour at this shape
    } catch (const std::runtime_error&) {
        return std::nullopt;
    }
}

double LayerBench::fastest_run(Compiled& c, double seconds) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point end =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    double best = 1e30;
    for (int runs = 0; runs < 1 || Clock::now() < end; ++runs) {
        const Clock::time_point t0 = Clock::now();
        run_once(c.pipeline, c.outs);
        best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return best;
}

std::optional<double> LayerBench::time(const KnobValues& knobs, double seconds) {
    const std::optional<SliceRunner> runner = compile(knobs);
    if (!runner) return std::nullopt;
    return (*runner)(seconds);
}

}  // namespace nnc::codegen
