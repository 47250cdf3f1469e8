#include "runtime/device.h"

#include "runtime/errors.h"
#include "runtime/halide_hooks.h"
#include "runtime/model.h"
#include "runtime/optimizers/optimizer.h"

#include <HalideRuntimeCuda.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

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
#pragma weak halide_buffer_copy
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
        failure =
            "the NVIDIA driver library libcuda.so.1 cannot be loaded (" + std::string(why ? why : "not found") + ")";
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

void clear_flags(halide_buffer_t& b) {
    b.set_host_dirty(false);
    b.set_device_dirty(false);
}

// The optimizer's state buffers in visit_state order: the device slots' order.
struct StateBuffers final : OptimizerStateFields {
    std::vector<std::vector<float>*> list;
    void counter(const char*, int64_t&) override {}
    void flag(const char*, bool&) override {}
    void buffer(const char*, std::vector<float>& v) override { list.push_back(&v); }
};

}  // namespace

static_assert(kSumsqChunk == kArenaAlignFloats, "no sums-of-squares chunk may span two parameters");

const char* device_name(const nnc_model_desc& desc) { return desc.device == NNC_DEVICE_CUDA ? "CUDA" : "CPU"; }

DeviceState::DeviceState(const nnc_model_desc& desc, Arena& model_params, Arena& model_grads,
                         MirroredOptimizer& model_optimizer, const std::vector<int64_t>& offset, int64_t arena_size,
                         int64_t trainable_size)
    : desc_(desc),
      model_params_(model_params),
      model_grads_(model_grads),
      model_optimizer_(model_optimizer),
      offset_(offset),
      arena_size_(arena_size),
      trainable_size_(trainable_size) {
    probe_device(desc);
    if (arena_size > INT32_MAX)
        throw Error(NNC_ERR_RUNTIME, "the parameters exceed Halide's 32-bit indexing on the GPU");
    params_copies_.arena = &params_arena_;
    params_copies_.up = "copy the parameters to the GPU";
    params_copies_.down = "copy the parameters to the host";
    grads_copies_.arena = &grads_arena_;
    grads_copies_.up = "copy the gradients to the GPU";
    grads_copies_.down = "copy the gradients to the host";
    state_copies_.device = this;
    // The host holds the initial parameters and optimizer state; the device's gradients start as
    // the host's zeros. Nothing reads or writes the arenas before the buffers below are bound.
    float* const params = model_params.attach_device(&params_copies_, Fresh::Host);
    float* const grads = model_grads.attach_device(&grads_copies_, Fresh::Both);
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
        make_prefix(params_trainable_, params_trainable_dim_, params_arena_, 0, trainable_size_);
        make_prefix(grads_trainable_, grads_trainable_dim_, grads_arena_, 0, trainable_size_);
        make_prefix(params_states_, params_states_dim_, params_arena_, trainable_size_, arena_size_ - trainable_size_);
        make_prefix(grads_states_, grads_states_dim_, grads_arena_, trainable_size_, arena_size_ - trainable_size_);
        if (has_grad_sumsq()) {
            // Tensor t's chunks: [offset[t], offset[t+1]) / kSumsqChunk; the last ends the prefix.
            for (int t = 0; t < desc_.num_trainable; ++t)
                chunk_begin_.push_back(static_cast<int32_t>(offset_[static_cast<size_t>(t)] / kSumsqChunk));
            chunk_begin_.push_back(static_cast<int32_t>(trainable_size_ / kSumsqChunk));
            for (size_t t = 0; t + 1 < chunk_begin_.size(); ++t)
                max_chunks_ = std::max(max_chunks_, chunk_begin_[t + 1] - chunk_begin_[t]);
            chunk_begin_dim_ = halide_dimension_t{0, static_cast<int32_t>(chunk_begin_.size()), 1, 0};
            chunk_begin_buffer_.host = reinterpret_cast<uint8_t*>(chunk_begin_.data());
            chunk_begin_buffer_.type = halide_type_t(halide_type_int, 32);
            chunk_begin_buffer_.dimensions = 1;
            chunk_begin_buffer_.dim = &chunk_begin_dim_;
            chunk_begin_buffer_.set_host_dirty(true);
            check(halide_copy_to_device(nullptr, &chunk_begin_buffer_, halide_cuda_device_interface()),
                  "copy the gradient norms' segment table to the GPU");
        }
    } catch (...) {
        detach();
        release();
        throw;
    }
    model_optimizer_.attach_device(&state_copies_, Fresh::Host);
}

void DeviceState::make_windows(std::vector<TensorView>& windows, halide_buffer_t& arena, float* host) {
    windows.reserve(static_cast<size_t>(desc_.num_params));  // raw() pointers stay valid: no reallocation
    const uintptr_t base = halide_cuda_get_device_ptr(nullptr, &arena);
    for (int p = 0; p < desc_.num_params; ++p) {
        const nnc_param_desc& param = desc_.params[p];
        windows.emplace_back(host + offset_[static_cast<size_t>(p)], halide_type_t(halide_type_float, 32),
                             std::span<const int64_t>(param.dims, static_cast<size_t>(param.rank)), kNoBatch,
                             param.name);
        const uint64_t at = base + static_cast<uint64_t>(offset_[static_cast<size_t>(p)]) * sizeof(float);
        check(halide_cuda_wrap_device_ptr(nullptr, windows.back().raw(), at), "map a parameter window");
    }
}

// A 1-D window of `size` floats from `begin` of `arena` (nothing when size is 0).
void DeviceState::make_prefix(halide_buffer_t& window, halide_dimension_t& dim, halide_buffer_t& arena, int64_t begin,
                              int64_t size) {
    if (size <= 0) return;
    init_arena(window, dim, reinterpret_cast<float*>(arena.host) + begin, size);
    const uint64_t at = halide_cuda_get_device_ptr(nullptr, &arena) + static_cast<uint64_t>(begin) * sizeof(float);
    check(halide_cuda_wrap_device_ptr(nullptr, &window, at), "map an arena window");
}

void DeviceState::release() {
    for (auto* windows : {&params_, &grads_})
        for (TensorView& w : *windows)
            if (w.raw()->device) halide_cuda_detach_device_ptr(nullptr, w.raw());
    for (halide_buffer_t* w : {&params_trainable_, &grads_trainable_, &params_states_, &grads_states_})
        if (w->device) halide_cuda_detach_device_ptr(nullptr, w);
    for (halide_buffer_t& slot : slots_)
        if (slot.device) halide_device_free(nullptr, &slot);
    if (chunk_begin_buffer_.device) halide_device_free(nullptr, &chunk_begin_buffer_);
    if (params_arena_.device) halide_device_free(nullptr, &params_arena_);
    if (grads_arena_.device) halide_device_free(nullptr, &grads_arena_);
}

void DeviceState::detach() {
    model_params_.detach_device();
    model_grads_.detach_device();
    model_optimizer_.detach_device();
}

DeviceState::~DeviceState() {
    detach();
    release();
}

void DeviceState::ArenaCopies::to_device() {
    arena->set_host_dirty(true);
    check(halide_copy_to_device(nullptr, arena, halide_cuda_device_interface()), up);
}

void DeviceState::ArenaCopies::to_host() {
    arena->set_device_dirty(true);
    check(halide_copy_to_host(nullptr, arena), down);
}

void DeviceState::copy_states_to_params() {
    if (arena_size_ == trainable_size_) return;
    model_params_.device_write();
    check(halide_buffer_copy(nullptr, &grads_states_, halide_cuda_device_interface(), &params_states_),
          "copy the new batch statistics into the parameters");
    clear_flags(grads_states_);
    clear_flags(params_states_);
}

bool DeviceState::can_step() const {
    DeviceKernel k;
    return trainable_size_ > 0 && device_kernel_of(model_optimizer_.name(), k) &&
           desc_.device_kernels.optimizers[static_cast<int>(k)];
}

void DeviceState::state_to_host(Optimizer& o) {
    if (state_owner_ != o.id()) return;
    StateBuffers buffers;
    o.visit_state(buffers);
    for (size_t k = 0; k < buffers.list.size() && k < slots_.size(); ++k) {
        std::vector<float>& v = *buffers.list[k];
        if (v.empty()) continue;  // a variant without this buffer: the slot is unused
        if (static_cast<int64_t>(v.size()) != trainable_size_)
            throw Error(NNC_ERR_RUNTIME, "internal error: an optimizer state buffer does not match the parameters");
        slots_[k].host = reinterpret_cast<uint8_t*>(v.data());
        slots_[k].set_device_dirty(true);
        const int result = halide_copy_to_host(nullptr, &slots_[k]);
        slots_[k].host = nullptr;
        clear_flags(slots_[k]);
        check(result, "copy the optimizer state to the host");
    }
}

void DeviceState::state_to_device(Optimizer& o) {
    StateBuffers buffers;
    o.visit_state(buffers);
    for (size_t k = 0; k < buffers.list.size() && k < slots_.size(); ++k) {
        std::vector<float>& v = *buffers.list[k];
        if (v.empty()) continue;
        if (static_cast<int64_t>(v.size()) != trainable_size_)
            throw Error(NNC_ERR_RUNTIME, "internal error: an optimizer state buffer does not match the parameters");
        slots_[k].host = reinterpret_cast<uint8_t*>(v.data());
        slots_[k].set_host_dirty(true);
        const int result = halide_copy_to_device(nullptr, &slots_[k], halide_cuda_device_interface());
        slots_[k].host = nullptr;
        clear_flags(slots_[k]);
        check(result, "copy the optimizer state to the GPU");
    }
    state_owner_ = o.id();
}

void DeviceState::step(float grad_scale, float clip_value) {
    DeviceKernel kernel = DeviceKernel::Sgd;
    device_kernel_of(model_optimizer_.name(), kernel);
    const DeviceKernelInfo& info = device_kernel_info(kernel);
    // Written or not, the device copies are the ones to trust once the kernel has run.
    model_params_.device_write();
    model_grads_.device_read();
    if (slots_.size() != static_cast<size_t>(info.num_states)) {
        // Another family's slots: new ones, zeroed (a slot the optimizer leaves empty is copied
        // through by the kernel and must hold numbers).
        for (halide_buffer_t& slot : slots_)
            if (slot.device) halide_device_free(nullptr, &slot);
        slot_dims_.assign(static_cast<size_t>(info.num_states),
                          halide_dimension_t{0, static_cast<int32_t>(trainable_size_), 1, 0});
        slots_.assign(static_cast<size_t>(info.num_states), halide_buffer_t{});
        std::vector<float> zeros(static_cast<size_t>(trainable_size_), 0.0f);
        for (size_t k = 0; k < slots_.size(); ++k) {
            halide_buffer_t& slot = slots_[k];
            slot.type = halide_type_t(halide_type_float, 32);
            slot.dimensions = 1;
            slot.dim = &slot_dims_[k];
            check(halide_device_malloc(nullptr, &slot, halide_cuda_device_interface()), "allocate the optimizer state");
            slot.host = reinterpret_cast<uint8_t*>(zeros.data());
            slot.set_host_dirty(true);
            const int result = halide_copy_to_device(nullptr, &slot, halide_cuda_device_interface());
            slot.host = nullptr;
            check(result, "clear the optimizer state");
        }
        state_owner_ = 0;
    }
    // Slots that hold none of this optimizer's state (new, or another optimizer's): the host's
    // copy is the current one.
    if (state_owner_ != model_optimizer_.id()) model_optimizer_.host_overwrite();
    DeviceUpdate u = model_optimizer_.device_step();
    u.scalars[0] = grad_scale;
    u.scalars[1] = clip_value;
    // argv (device_kernels.h): params, grads, states, scalars, then new params and states, in place.
    std::vector<void*> argv{&params_trainable_, &grads_trainable_};
    for (halide_buffer_t& slot : slots_) argv.push_back(&slot);
    for (float& s : u.scalars) argv.push_back(&s);
    argv.push_back(&params_trainable_);
    for (halide_buffer_t& slot : slots_) argv.push_back(&slot);
    clear_halide_error();
    const int result = desc_.device_kernels.optimizers[static_cast<int>(kernel)](argv.data());
    clear_flags(params_trainable_);
    clear_flags(grads_trainable_);
    for (halide_buffer_t& slot : slots_) clear_flags(slot);
    if (result != 0)
        throw Error(NNC_ERR_RUNTIME, std::string("the generated device_") + info.name +
                                         " optimizer kernel failed (Halide error " + std::to_string(result) +
                                         "): " + halide_detail());
}

double DeviceState::grad_norms(std::vector<double>& sq) {
    model_grads_.device_read();
    const int n = desc_.num_trainable;
    sq.assign(static_cast<size_t>(n), 0.0);
    halide_dimension_t dim{0, n, 1, 0};
    halide_buffer_t out{};
    out.host = reinterpret_cast<uint8_t*>(sq.data());
    out.type = halide_type_t(halide_type_float, 64);
    out.dimensions = 1;
    out.dim = &dim;
    std::vector<void*> argv{&grads_trainable_, &chunk_begin_buffer_, &max_chunks_, &out};
    clear_halide_error();
    int result = desc_.device_kernels.grad_sumsq(argv.data());
    std::string failure = result != 0 ? halide_detail() : "";
    if (result == 0 && out.device_dirty()) {
        result = halide_copy_to_host(nullptr, &out);
        if (result != 0) failure = halide_detail();
    }
    if (out.device) halide_device_free(nullptr, &out);
    clear_flags(grads_trainable_);
    clear_flags(chunk_begin_buffer_);
    if (result != 0)
        throw Error(NNC_ERR_RUNTIME, "the generated device_grad_sumsq kernel failed (Halide error " +
                                         std::to_string(result) + "): " + failure);
    double total = 0;
    for (double s : sq) total += s;
    return std::sqrt(total);
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
    // The windows share the arena's memory: the gradients and new states stay there, unless a
    // pipeline stage wrote one on the host (an autoscheduler may leave one there): then the
    // others come down and the host holds the step.
    bool host_written = false;
    for (TensorView& w : grads_) host_written |= w.raw()->host_dirty();
    for (TensorView& w : grads_) {
        halide_buffer_t* b = w.raw();
        if (host_written && b->device_dirty()) check(halide_copy_to_host(nullptr, b), "copy a gradient to the host");
        clear_flags(*b);
    }
    if (host_written)
        model_grads_.host_overwrite();
    else
        model_grads_.device_overwrite();
}

}  // namespace nnc::runtime
