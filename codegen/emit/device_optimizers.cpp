#include "codegen/emit/device_optimizers.h"

#include <map>
#include <stdexcept>

namespace nnc::codegen {
namespace {

using Halide::Expr;
using Halide::Func;
using Halide::ImageParam;
using Halide::Param;
using Halide::Var;
using runtime::DeviceKernel;

constexpr int kThreads = 256;  // per block

// A kernel's inputs: params, grads, states and scalars, by the names of device_kernels.h.
struct Inputs {
    ImageParam params{Halide::Float(32), 1, "params"}, grads{Halide::Float(32), 1, "grads"};
    std::vector<ImageParam> states;
    std::vector<Param<float>> scalar_params;
    std::map<std::string, Expr> scalars;

    explicit Inputs(const runtime::DeviceKernelInfo& info) {
        for (int k = 0; k < info.num_states; ++k)
            states.emplace_back(Halide::Float(32), 1, "state" + std::to_string(k));
        for (int k = 0; k < info.num_scalars; ++k) scalar_params.emplace_back(info.scalars[k]);
        for (const Param<float>& p : scalar_params) scalars[p.name()] = p;
    }
    Expr s(const std::string& name) const {
        auto it = scalars.find(name);
        if (it == scalars.end())
            throw std::logic_error("internal error: device kernel scalar '" + name + "' is not declared");
        return it->second;
    }
    std::vector<Halide::Argument> arguments() const {
        std::vector<Halide::Argument> out{params, grads};
        for (const ImageParam& st : states) out.push_back(st);
        for (const Param<float>& p : scalar_params) out.push_back(p);
        return out;
    }
};

Expr on(const Expr& flag) { return flag > 0.5f; }

// The gradient as the host optimizer sees it after safeguards.cpp's clip_norm (scale) and
// clip_value (clamp).
Expr gradient(const Inputs& in, const Var& x) {
    return Halide::clamp(in.grads(x) * in.s("grad_scale"), -in.s("clip_value"), in.s("clip_value"));
}

// Each formula below is its runtime/optimizers/<name>.cpp loop, op for op. `x` is the element.
std::vector<Expr> sgd(const Inputs& in, const Var& x) {
    const Expr p = in.params(x), buf = in.states[0](x);
    Expr d = gradient(in, x);
    d = d + in.s("wd") * p;
    const Expr b = buf * in.s("carry") + in.s("dampening_keep") * d;
    const Expr with_momentum = Halide::select(on(in.s("nesterov")), d + in.s("momentum") * b, b);
    const Expr momentum = on(in.s("use_momentum"));
    return {p + in.s("neg_lr") * Halide::select(momentum, with_momentum, d), Halide::select(momentum, b, buf)};
}

std::vector<Expr> adam(const Inputs& in, const Var& x) {
    const Expr param = in.params(x) * in.s("keep");
    const Expr grad = gradient(in, x) + in.s("wd") * param;
    const Expr m = in.states[0](x) * in.s("beta1") + in.s("one_minus_beta1") * grad;
    const Expr v = in.states[1](x) * in.s("beta2") + in.s("one_minus_beta2") * grad * grad;
    const Expr denom = Halide::sqrt(v) / in.s("bias_correction2_sqrt") + in.s("eps");
    return {param + in.s("neg_step_size") * m / denom, m, v};
}

std::vector<Expr> adagrad(const Inputs& in, const Var& x) {
    const Expr p = in.params(x);
    const Expr grad = gradient(in, x) + in.s("wd") * p;
    const Expr sum = in.states[0](x) + grad * grad;
    const Expr std_ = Halide::sqrt(sum) + in.s("eps");
    return {p + in.s("neg_clr") * grad / std_, sum};
}

std::vector<Expr> adadelta(const Inputs& in, const Var& x) {
    const Expr p = in.params(x);
    const Expr grad = gradient(in, x) + in.s("wd") * p;
    const Expr v = in.states[0](x) * in.s("rho") + in.s("one_minus_rho") * grad * grad;
    const Expr std_ = Halide::sqrt(v + in.s("eps"));
    const Expr delta = Halide::sqrt(in.states[1](x) + in.s("eps")) / std_ * grad;
    const Expr u = in.states[1](x) * in.s("rho") + in.s("one_minus_rho") * delta * delta;
    return {p + in.s("neg_lr") * delta, v, u};
}

std::vector<Expr> rmsprop(const Inputs& in, const Var& x) {
    const Expr p = in.params(x), a_old = in.states[1](x), b_old = in.states[2](x);
    const Expr grad = gradient(in, x) + in.s("wd") * p;
    const Expr v = in.states[0](x) * in.s("alpha") + in.s("one_minus_alpha") * grad * grad;
    const Expr centered = on(in.s("centered")), momentum = on(in.s("use_momentum"));
    const Expr a = a_old * in.s("alpha") + in.s("one_minus_alpha") * grad;
    const Expr avg = Halide::select(centered, Halide::sqrt(v + -a * a), Halide::sqrt(v)) + in.s("eps");
    const Expr b = b_old * in.s("momentum") + grad / avg;
    const Expr p_new = Halide::select(momentum, p + in.s("neg_lr") * b, p + in.s("neg_lr") * grad / avg);
    return {p_new, v, Halide::select(centered, a, a_old), Halide::select(momentum, b, b_old)};
}

}  // namespace

Halide::Target device_kernel_target(const Halide::Target& target) {
    return target.with_feature(Halide::Target::StrictFloat);
}

DeviceKernelPipeline device_optimizer_pipeline(DeviceKernel kernel, bool gpu) {
    const runtime::DeviceKernelInfo& info = runtime::device_kernel_info(kernel);
    Inputs in(info);
    Var x("x");
    std::vector<Expr> values;
    switch (kernel) {
        case DeviceKernel::Sgd: values = sgd(in, x); break;
        case DeviceKernel::Adam: values = adam(in, x); break;
        case DeviceKernel::Adagrad: values = adagrad(in, x); break;
        case DeviceKernel::Adadelta: values = adadelta(in, x); break;
        case DeviceKernel::Rmsprop: values = rmsprop(in, x); break;
    }
    Func update(std::string("device_") + info.name);
    update(x) = Halide::Tuple(values);
    // GuardWithIf, never ShiftInwards: the update runs in place, and an element computed twice
    // would be updated twice.
    if (gpu) {
        Var block("block"), thread("thread");
        update.gpu_tile(x, block, thread, kThreads, Halide::TailStrategy::GuardWithIf);
    } else {
        update.vectorize(x, 8, Halide::TailStrategy::GuardWithIf);
    }
    std::vector<ImageParam> images{in.params, in.grads};
    images.insert(images.end(), in.states.begin(), in.states.end());
    return {std::string("device_") + info.name, Halide::Pipeline(update), in.arguments(), images, in.scalar_params, {}};
}

DeviceKernelPipeline device_grad_sumsq_pipeline(bool gpu) {
    ImageParam grads(Halide::Float(32), 1, "grads"), chunk_begin(Halide::Int(32), 1, "chunk_begin");
    Param<int32_t> max_chunks("max_chunks");
    Var c("c"), k("k"), t("t");
    const int chunk = static_cast<int>(runtime::kSumsqChunk);
    // Stage 1, one thread per chunk: its sum of squares, in double.
    Halide::RDom j(0, chunk, "j");
    Func partial("chunk_sumsq");
    const Expr g = Halide::cast<double>(grads(c * chunk + j));
    partial(c) = Halide::sum(g * g, "chunk_sum");
    // Stage 2, one thread per (group of kGroup chunks, tensor): so a large tensor's chunks are
    // summed by many threads, not one.
    constexpr int kGroup = 64;
    const Expr chunks = grads.dim(0).extent() / chunk;
    Halide::RDom r(0, kGroup, "r");
    r.where(k * kGroup + r < chunk_begin(t + 1) - chunk_begin(t));
    Func group("group_sumsq");
    group(k, t) = Halide::sum(partial(Halide::clamp(chunk_begin(t) + k * kGroup + r, 0, chunks - 1)), "group_sum");
    // Stage 3, one thread per tensor: its groups' sum (a short loop: max_chunks / kGroup).
    Halide::RDom q(0, (max_chunks + kGroup - 1) / kGroup, "q");
    Func sumsq("grad_sumsq");
    sumsq(t) = Halide::sum(group(q, t), "tensor_sum");
    partial.compute_root();
    group.compute_root();
    if (gpu) {
        Var block("block"), thread("thread"), kt("kt");
        partial.gpu_tile(c, block, thread, kThreads, Halide::TailStrategy::GuardWithIf);
        group.fuse(k, t, kt).gpu_tile(kt, block, thread, kThreads, Halide::TailStrategy::GuardWithIf);
        sumsq.gpu_tile(t, block, thread, 64, Halide::TailStrategy::GuardWithIf);
    }
    return {"device_grad_sumsq", Halide::Pipeline(sumsq), {grads, chunk_begin, max_chunks}, {grads, chunk_begin}, {},
            {max_chunks}};
}

std::vector<DeviceKernelPipeline> device_kernel_pipelines(bool gpu) {
    std::vector<DeviceKernelPipeline> out;
    for (int k = 0; k < runtime::kDeviceKernelCount; ++k)
        out.push_back(device_optimizer_pipeline(static_cast<DeviceKernel>(k), gpu));
    out.push_back(device_grad_sumsq_pipeline(gpu));
    return out;
}

}  // namespace nnc::codegen
