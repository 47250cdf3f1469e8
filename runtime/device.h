// The GPU side of a model compiled for CUDA (descriptor device == NNC_DEVICE_CUDA): a check that
// a device is there, and the parameter and gradient arenas and the optimizer's state resident on it.
//
// Each of the three (parameters, gradients, optimizer state) has a host copy and a device copy;
// their coherence is the model's (runtime/mirrored.h): this class attaches itself as their device
// side, supplies the copies, and declares its own reads and writes the same way. Nothing is copied
// until a side needs it: a pipeline call uploads the parameters only when the host changed them; a
// training step leaves its gradients (and the batch-norm states, copied on the device into the
// parameters) on the device; the optimizer kernel (runtime/include/nnc/device_kernels.h) updates
// parameters and state in place there. So per training step only the batch and targets go up and
// the loss, predictions and the per-tensor gradient sums of squares come down.
//
// Each parameter's buffer is a window into the device arena (halide_cuda_wrap_device_ptr), so
// pipelines read parameters straight from device memory. The caller's tensors (batch, targets,
// loss, outputs) are temporary views: Halide uploads them, the results come back to the host
// and their device memory returns to Halide's allocation cache after each call.
//
// The Halide runtime entry points are weak references, as in halide_hooks.cpp: the runtime's
// unit tests link without a Halide runtime and never build a DeviceState.
#pragma once
#include <HalideRuntime.h>
#include <nnc/model_desc.h>

#include <nnc/device_kernels.h>
#include "runtime/mirrored.h"
#include "runtime/tensor_buffer.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct nnc_model;

namespace nnc::runtime {

class DeviceState {
public:
    // Checks for a usable CUDA device (throws Error "no CUDA device: ..." with what to do
    // otherwise), allocates both arenas on it and becomes the device side of `params`, `grads`
    // and `optimizer`, which must outlive it. `offset[p]` is parameter p's place in the arenas
    // (floats).
    DeviceState(const nnc_model_desc& desc, Arena& params, Arena& grads, MirroredOptimizer& optimizer,
                const std::vector<int64_t>& offset, int64_t arena_size, int64_t trainable_size);
    ~DeviceState();
    DeviceState(const DeviceState&) = delete;
    DeviceState& operator=(const DeviceState&) = delete;

    // Parameter p's buffer in the parameter or the gradient arena, for a pipeline's argv.
    halide_buffer_t* param(int p) { return params_[static_cast<size_t>(p)].raw(); }
    halide_buffer_t* grad(int p) { return grads_[static_cast<size_t>(p)].raw(); }

    // After a pipeline call: every temporary that the pipeline wrote on the device back to the
    // host, then all temporaries' device memory released; with `grads_written`, the gradient
    // arena is current on the device (not copied). Throws Error naming the copy that failed.
    void finish_call(std::span<halide_buffer_t* const> temporaries, bool grads_written);

    // After a training step with a finite loss, when its gradients are current on the device:
    // the states' new values (the grads arena past the trainable prefix) into the parameters there.
    void copy_states_to_params();

    // Whether this model.so carries the device kernel for the optimizer's family, and the sums of
    // squares.
    bool can_step() const;
    bool has_grad_sumsq() const { return desc_.device_kernels.grad_sumsq && trainable_size_ > 0; }
    // One optimizer step on the device: the gradients multiplied by `grad_scale` and clamped to
    // [-clip_value, clip_value] first (kNoClip: not clamped); the optimizer's step count advances
    // as its host step() would. Requires can_step().
    void step(float grad_scale, float clip_value = kNoClip);
    // sq[p] = trainable tensor p's gradient sum of squares (in double) for the gradients on the
    // device; returns the global L2 norm, as tensor_grad_norms (param_stats.h) does on the host.
    double grad_norms(std::vector<double>& sq);

private:
    void make_windows(std::vector<TensorView>& windows, halide_buffer_t& arena, float* host);
    void make_prefix(halide_buffer_t& prefix, halide_dimension_t& dim, halide_buffer_t& arena, int64_t begin,
                     int64_t size);
    void release();
    // The state slots' copies, for the optimizer's coherence.
    void state_to_host(Optimizer& o);
    void state_to_device(Optimizer& o);
    void detach();

    // The copies each mirrored object's coherence calls for (mirrored.h).
    struct ArenaCopies final : DeviceCopies {
        halide_buffer_t* arena = nullptr;
        const char* up = "";
        const char* down = "";
        void to_host() override;
        void to_device() override;
    };
    struct StateCopies final : OptimizerCopies {
        DeviceState* device = nullptr;
        void to_host(Optimizer& o) override { device->state_to_host(o); }
        void to_device(Optimizer& o) override { device->state_to_device(o); }
    };

    const nnc_model_desc& desc_;
    Arena& model_params_;
    Arena& model_grads_;
    MirroredOptimizer& model_optimizer_;
    ArenaCopies params_copies_, grads_copies_;
    StateCopies state_copies_;
    std::vector<int64_t> offset_;
    int64_t arena_size_ = 0, trainable_size_ = 0;
    halide_dimension_t params_dim_{}, grads_dim_{};
    halide_buffer_t params_arena_{}, grads_arena_{};  // 1-D, the whole arena
    std::vector<TensorView> params_, grads_;          // per parameter, windows into the arenas
    // Windows over the arenas for the optimizer kernels (the trainable prefix) and the states'
    // copy (the rest); 1-D.
    halide_dimension_t params_trainable_dim_{}, grads_trainable_dim_{}, params_states_dim_{}, grads_states_dim_{};
    halide_buffer_t params_trainable_{}, grads_trainable_{}, params_states_{}, grads_states_{};
    // The optimizer's state on the device: slot k is the k-th buffer its visit_state lists, over
    // the trainable prefix; `state_owner_` is the Optimizer::id whose state the slots hold.
    std::vector<halide_dimension_t> slot_dims_;
    std::vector<halide_buffer_t> slots_;
    uint64_t state_owner_ = 0;
    // The sums-of-squares kernel's segment table (resident: uploaded once).
    std::vector<int32_t> chunk_begin_;
    int32_t max_chunks_ = 0;
    halide_dimension_t chunk_begin_dim_{};
    halide_buffer_t chunk_begin_buffer_{};
};

// The descriptor's device, in words ("CPU", "CUDA").
const char* device_name(const nnc_model_desc& desc);

}  // namespace nnc::runtime
