// The contract between the optimizer update kernels nnc generates for a GPU target
// (codegen/emit/device_optimizers.h builds them) and the runtime that calls them (runtime/device.h).
// Plain C++, no Halide: both sides include it.
//
// One kernel per optimizer family, over the flat trainable arena (n floats). Its argv:
//   params (n), grads (n), states[0..k) (n each), scalars (one float each, in the order below),
//   then the outputs: new params, new states[0..k)
// The runtime passes the same buffers as inputs and outputs: the update is in place, each
// element read and written by one thread. The states are the optimizer's visit_state buffers
// in the order it visits them; one the host optimizer leaves empty (no momentum) still has a
// device slot, copied through unchanged.
//
// Scalar 0 of every kernel is grad_scale: the gradient is multiplied by it before anything else
// (how clip_norm is applied without a pass of its own; 1 leaves it exact). Scalar 1 is
// clip_value: the scaled gradient is then clamped to [-clip_value, clip_value] (clip_value,
// applied after clip_norm as on the host; kNoClip leaves it exact). The rest are each
// optimizer's per-step scalars, computed on the host by Optimizer::device_update exactly as its
// step() computes them; the 0/1 flags choose a variant with select().
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "nnc/train_vocabulary.h"

namespace nnc::runtime {

enum class DeviceKernel { Sgd = 0, Adam = 1, Adagrad = 2, Adadelta = 3, Rmsprop = 4 };
inline constexpr int kDeviceKernelCount = 5;

struct DeviceKernelInfo {
    const char* name;  // the pipeline's name: device_<name>
    int num_states;
    const char* const* scalars;  // grad_scale, clip_value first
    int num_scalars;
};

// clip_value when gradients are not clamped.
inline constexpr float kNoClip = std::numeric_limits<float>::infinity();

namespace device_kernel_detail {
// sgd (torch.optim.SGD): d = g*grad_scale + wd*p; b = buf*carry + dampening_keep*d;
// d = nesterov ? d + momentum*b : b (use_momentum), p = p + neg_lr*d. carry is 0 on the first
// step (torch clones d), dampening_keep is 1 - dampening after it (nnc's dampening is 0: 1).
inline constexpr const char* kSgd[] = {"grad_scale",     "clip_value", "wd",           "momentum", "carry",
                                       "dampening_keep", "neg_lr",     "use_momentum", "nesterov"};
inline constexpr const char* kAdam[] = {"grad_scale",
                                        "clip_value",
                                        "keep",
                                        "wd",
                                        "beta1",
                                        "one_minus_beta1",
                                        "beta2",
                                        "one_minus_beta2",
                                        "neg_step_size",
                                        "bias_correction2_sqrt",
                                        "eps"};
inline constexpr const char* kAdagrad[] = {"grad_scale", "clip_value", "wd", "neg_clr", "eps"};
inline constexpr const char* kAdadelta[] = {"grad_scale", "clip_value", "wd", "rho", "one_minus_rho", "eps", "neg_lr"};
inline constexpr const char* kRmsprop[] = {"grad_scale", "clip_value", "wd",     "alpha",    "one_minus_alpha",
                                           "eps",        "momentum",   "neg_lr", "centered", "use_momentum"};
template <size_t N>
constexpr int count(const char* const (&)[N]) {
    return static_cast<int>(N);
}
}  // namespace device_kernel_detail

inline const DeviceKernelInfo& device_kernel_info(DeviceKernel k) {
    using namespace device_kernel_detail;
    static const DeviceKernelInfo infos[kDeviceKernelCount] = {
        {"sgd", 1, kSgd, count(kSgd)},
        {"adam", 2, kAdam, count(kAdam)},
        {"adagrad", 1, kAdagrad, count(kAdagrad)},
        {"adadelta", 2, kAdadelta, count(kAdadelta)},
        {"rmsprop", 3, kRmsprop, count(kRmsprop)},
    };
    return infos[static_cast<int>(k)];
}

// The kernel family of an optimizer name ("adamw": Adam), as its row of the vocabulary gives it;
// false for a name without one.
inline bool device_kernel_of(const std::string& optimizer, DeviceKernel& out) {
    const vocab::Callable* c = vocab::find(vocab::kOptimizers, optimizer);
    if (!c || c->value < 0 || c->value >= kDeviceKernelCount) return false;
    out = static_cast<DeviceKernel>(c->value);
    return true;
}

// The per-tensor gradient sums of squares (device_grad_sumsq). The arena is read in chunks of
// kSumsqChunk floats: parameter offsets are multiples of it and the padding is zero, so no
// chunk spans two tensors. argv:
//   grads (trainable arena, float), chunk_begin (int32, num_trainable + 1: tensor t's chunks are
//   [chunk_begin[t], chunk_begin[t+1])), max_chunks (int32 scalar: the most chunks of one tensor),
//   then the output: sumsq (float64, num_trainable), each squared element summed in double.
inline constexpr int64_t kSumsqChunk = 32;

}  // namespace nnc::runtime
