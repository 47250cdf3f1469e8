// The GPU side of a model compiled for CUDA (descriptor device == NNC_DEVICE_CUDA): a check that
// a device is there, and the parameter and gradient arenas mirrored on it.
//
// The host arenas stay the source of truth (the optimizer, checkpoints, get/set and the
// safeguards work on them): before each pipeline call the parameter arena goes up in one copy,
// after a training step the gradient arena (gradients and new states) comes down in one copy.
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

#include "runtime/tensor_buffer.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nnc::runtime {

class DeviceState {
public:
    // Checks for a usable CUDA device (throws Error "no CUDA device: ..." with what to do
    // otherwise) and allocates both arenas on it. `offset[p]` is parameter p's place in the
    // arenas (floats); the arenas must outlive this object.
    DeviceState(const nnc_model_desc& desc, float* params, float* grads, const std::vector<int64_t>& offset,
                int64_t arena_size);
    ~DeviceState();
    DeviceState(const DeviceState&) = delete;
    DeviceState& operator=(const DeviceState&) = delete;

    // Parameter p's buffer in the parameter or the gradient arena, for a pipeline's argv.
    halide_buffer_t* param(int p) { return params_[static_cast<size_t>(p)].raw(); }
    halide_buffer_t* grad(int p) { return grads_[static_cast<size_t>(p)].raw(); }

    // Before a pipeline call: the host parameter arena to the device.
    void upload_params();
    // After a pipeline call: every temporary that the pipeline wrote on the device back to the
    // host, then all temporaries' device memory released; with `grads_written`, the gradient
    // arena back to the host. Throws Error naming the copy that failed.
    void finish_call(std::span<halide_buffer_t* const> temporaries, bool grads_written);

private:
    void make_windows(std::vector<TensorView>& windows, halide_buffer_t& arena, float* host);
    void release();

    const nnc_model_desc& desc_;
    std::vector<int64_t> offset_;
    halide_dimension_t params_dim_{}, grads_dim_{};
    halide_buffer_t params_arena_{}, grads_arena_{};  // 1-D, the whole arena
    std::vector<TensorView> params_, grads_;           // per parameter, windows into the arenas
};

// The descriptor's device, in words ("CPU", "CUDA").
const char* device_name(const nnc_model_desc& desc);

}  // namespace nnc::runtime
