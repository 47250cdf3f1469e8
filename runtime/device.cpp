#include "runtime/device.h"

#include "runtime/errors.h"
#include "runtime/halide_hooks.h"

#include <HalideRuntimeCuda.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdint>

#include <mutex>

// Weak: resolved by the Halide runtime object of a CUDA model.so, null elsewhere.
extern "C" {
#pragma weak halide_cuda_device_interface
#pragma weak halide_cuda_wrap_device_ptr
#pragma weak halide_cuda_detach_device_ptr
#pragma weak halide_cuda_get_device_ptr
#pragma weak halide_device_malloc
#pragma weak halide_device_free
#pragma weak halide_copy_to_host
#pragma weak halide_copy_to_device
#pragma weak halide_reuse_device_allocations
}

namespace nnc::runtime {
namespace {

std::string halide_detail() {
    const std::string detail = last_halide_error();
    return detail.empty() ? "no detail from the Halide runtime" : detail;
}

[[noreturn]] void no_device(const nnc_model_desc& desc, const std::string& why) {
    throw Error(NNC_ERR_RUNTIME, "no CUDA device: " + why + ". Model '" + std::string(desc.model_name) +
                                     "' was compiled for " + (desc.target ? desc.target : "a CUDA target") +
                                     "; run it on a machine with an NVIDIA GPU and its driver, or rebuild it for "
                                     "the CPU with nnc --target host");
}

// Halide's CUDA module looks for cuInit in the process before it opens "libcuda.so", a name
// that only the driver's development package provides; the driver itself always installs
// libcuda.so.1. Loading that globally first lets Halide find the driver either way.
void load_driver(const nnc_model_desc& desc) {
    static std::once_flag once;
    static std::string failure;
    std::call_once(once, [] {
        if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL) || dlopen("libcuda.so", RTLD_NOW | RTLD_GLOBAL)) return;
        const char* why = dlerror();
        failure = "the NVIDIA driver library libcuda.so.1 cannot be loaded (" + std::string(why ? why : "not found") + ")";
    });
    if (!failure.empty()) no_device(desc, failure);
}

// A one-float device allocation: proves the driver initializes, a device exists and a context
// can be made, before any pipeline would fail on it halfway.
void probe_device(const nnc_model_desc& desc) {
    if (!halide_cuda_device_interface || !halide_device_malloc || !halide_cuda_wrap_device_ptr)
        no_device(desc, "internal error: this model.so lacks Halide's CUDA runtime; rebuild it with this nnc");
    load_driver(desc);
    float one = 0.0f;
    halide_dimension_t dim{0, 1, 1, 0};
    halide_buffer_t probe{};
    probe.host = reinterpret_cast<uint8_t*>(&one);
    probe.type = halide_type_t(halide_type_float, 32);
    probe.dimensions = 1;
    probe.dim = &dim;
    clear_halide_error();
    if (halide_device_malloc(nullptr, &probe, halide_cuda_device_interface()) != 0)
        no_device(desc, "the CUDA driver reports: " + halide_detail());
    halide_device_free(nullptr, &probe);
    // Pipelines allocate their intermediates and the batch on every call: keep freed device
    // memory in Halide's cache instead of returning it to the driver each time.
    halide_reuse_device_allocations(nullptr, true);
}

void check(int result, const char* what) {
    if (result != 0)
        throw Error(NNC_ERR_RUNTIME, std::string("the CUDA runtime failed to ") + what + " (Halide error " +
                                         std::to_string(result) + "): " + halide_detail());
}

void init_arena(halide_buffer_t& arena, halide_dimension_t& dim, float* host, int64_t size) {
    dim = halide_dimension_t{0, static_cast<int32_t>(size), 1, 0};
    arena.host = reinterpret_cast<uint8_t*>(host);
    arena.type = halide_type_t(halide_type_float, 32);
    arena.dimensions = 1;
    arena.dim = &dim;
}

}  // namespace

const char* device_name(const nnc_model_desc& desc) { return desc.device == NNC_DEVICE_CUDA ? "CUDA" : "CPU"; }

DeviceState::DeviceState(const nnc_model_desc& desc, float* params, float* grads, const std::vector<int64_t>& offset,
                         int64_t arena_size)
    : desc_(desc), offset_(offset) {
    probe_device(desc);
    if (arena_size > INT32_MAX) throw Error(NNC_ERR_RUNTIME, "the parameters exceed Halide's 32-bit indexing on the GPU");
    // An empty arena still gets one element: Halide cannot allocate zero bytes.
    init_arena(params_arena_, params_dim_, params, std::max<int64_t>(arena_size, 1));
    init_arena(grads_arena_, grads_dim_, grads, std::max<int64_t>(arena_size, 1));
    try {
        check(halide_device_malloc(nullptr, &params_arena_, halide_cuda_device_interface()), "allocate the parameters");
        check(halide_device_malloc(nullptr, &grads_arena_, halide_cuda_device_interface()), "allocate the gradients");
        // The padding between parameters is never written by a pipeline but comes down with
        // every gradient copy: it starts as the host's zeros.
        grads_arena_.set_host_dirty(true);
        check(halide_copy_to_device(nullptr, &grads_arena_, halide_cuda_device_interface()), "clear the gradients");
        make_windows(params_, params_arena_, params);
        make_windows(grads_, grads_arena_, grads);
    } catch (...) {
        release();
        throw;
    }
}

void DeviceState::make_windows(std::vector<TensorView>& windows, halide_buffer_t& arena, float* host) {
    windows.reserve(static_cast<size_t>(desc_.num_params));  // raw() pointers stay valid: no reallocation
    const uintptr_t base = halide_cuda_get_device_ptr(nullptr, &arena);
    for (int p = 0; p < desc_.num_params; ++p) {
        const nnc_param_desc& param = desc_.params[p];
        windows.emplace_back(host + offset_[static_cast<size_t>(p)], halide_type_t(halide_type_float, 32),
                             std::span<const int64_t>(param.dims, static_cast<size_t>(param.rank)), kNoBatch, param.name);
        const uint64_t at = base + static_cast<uint64_t>(offset_[static_cast<size_t>(p)]) * sizeof(float);
        check(halide_cuda_wrap_device_ptr(nullptr, windows.back().raw(), at), "map a parameter window");
    }
}

void DeviceState::release() {
    for (auto* windows : {&params_, &grads_})
        for (TensorView& w : *windows)
            if (w.raw()->device) halide_cuda_detach_device_ptr(nullptr, w.raw());
    if (params_arena_.device) halide_device_free(nullptr, &params_arena_);
    if (grads_arena_.device) halide_device_free(nullptr, &grads_arena_);
}

DeviceState::~DeviceState() { release(); }

void DeviceState::upload_params() {
    params_arena_.set_host_dirty(true);
    check(halide_copy_to_device(nullptr, &params_arena_, halide_cuda_device_interface()), "copy the parameters to the GPU");
}

void DeviceState::finish_call(std::span<halide_buffer_t* const> temporaries, bool grads_written) {
    int failed = 0;
    std::string failure;
    for (halide_buffer_t* t : temporaries) {
        if (t->device_dirty() && failed == 0) failed = halide_copy_to_host(nullptr, t);
        if (failed != 0 && failure.empty()) failure = halide_detail();
        if (t->device) halide_device_free(nullptr, t);  // freed even after a failure: nothing leaks
    }
    if (failed != 0)
        throw Error(NNC_ERR_RUNTIME, "the CUDA runtime failed to copy a result to the host (Halide error " +
                                         std::to_string(failed) + "): " + failure);
    if (!grads_written) return;
    // The windows share the arena's memory: one copy brings every gradient and new state down,
    // unless a pipeline stage wrote one on the host (an autoscheduler may leave one there).
    bool host_written = false;
    for (TensorView& w : grads_) host_written |= w.raw()->host_dirty();
    if (!host_written) {
        grads_arena_.set_device_dirty(true);
        check(halide_copy_to_host(nullptr, &grads_arena_), "copy the gradients to the host");
    }
    for (TensorView& w : grads_) {
        halide_buffer_t* b = w.raw();
        if (host_written && b->device_dirty()) check(halide_copy_to_host(nullptr, b), "copy a gradient to the host");
        b->set_device_dirty(false);
        b->set_host_dirty(false);
    }
}

}  // namespace nnc::runtime
