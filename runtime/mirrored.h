// Host/device coherence by construction: the model's parameter and gradient arenas and its
// optimizer's state each have a host copy and, on a CUDA model, a device copy (device.h). Every
// access names its side and its intent, and the copies follow from that:
//
//   host_read()       the host copy is brought up to date first (downloaded if the device wrote it)
//   host_write()      the same, then the device copy counts as stale (a read-modify-write)
//   host_overwrite()  nothing is downloaded; the device copy counts as stale (every value replaced)
//   device_read/write/overwrite   the same from the device's side (uploads when the host wrote)
//
// So no caller places a copy by hand, and nothing copies unless a side is stale: a training step
// on the GPU moves only its batch, targets, loss and the per-tensor norms. On a CPU model there is
// no device side and every access is plain memory.
#pragma once
#include "runtime/optimizers/optimizer.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

namespace nnc::runtime {

inline constexpr int64_t kArenaAlignFloats = 32;  // 128 bytes

struct FreeDeleter {
    void operator()(float* p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], FreeDeleter>;

// Zeroed, 128-byte aligned storage for `count` floats (count may be 0).
AlignedFloats make_aligned_floats(int64_t count);

// Which copy holds the current values.
enum class Fresh { Both, Host, Device };

// The device side of one mirrored object: the two copies between its memory and the host's.
// DeviceState implements them for a CUDA model; the tests use a fake whose memory is a vector.
class DeviceCopies {
public:
    virtual ~DeviceCopies() = default;
    virtual void to_host() = 0;
    virtual void to_device() = 0;
};

// Which side is current, and the copy each kind of access needs. Without a device side every
// access is a no-op.
class Coherence {
public:
    void attach(DeviceCopies* device, Fresh fresh) {
        device_ = device;
        fresh_ = fresh;
    }
    void detach() { attach(nullptr, Fresh::Both); }
    Fresh fresh() const { return fresh_; }

    void host_read() const;
    void host_write();
    void host_overwrite();
    void device_read() const;
    void device_write();
    void device_overwrite();

private:
    DeviceCopies* device_ = nullptr;
    mutable Fresh fresh_ = Fresh::Both;  // a read that copies makes both current
};

// A parameter-sized arena of floats (parameters or gradients) with its coherence.
class Arena {
public:
    Arena() = default;
    explicit Arena(int64_t size) : host_(make_aligned_floats(size)), size_(size) {}

    int64_t size() const { return size_; }
    const float* host_read() const {
        coherence_.host_read();
        return host_.get();
    }
    float* host_write() {
        coherence_.host_write();
        return host_.get();
    }
    float* host_overwrite() {
        coherence_.host_overwrite();
        return host_.get();
    }
    void device_read() const { coherence_.device_read(); }
    void device_write() { coherence_.device_write(); }
    void device_overwrite() { coherence_.device_overwrite(); }
    Fresh fresh() const { return coherence_.fresh(); }

    // Attaches the device side, whose copies the coherence calls from now on, and hands it where
    // the host copy lives: the device side alone binds its buffers to it and moves data through
    // it, in to_host/to_device. Everyone else goes through the accessors above.
    [[nodiscard]] float* attach_device(DeviceCopies* device, Fresh fresh) {
        coherence_.attach(device, fresh);
        return host_.get();
    }
    void detach_device() { coherence_.detach(); }

private:
    AlignedFloats host_;
    int64_t size_ = 0;
    Coherence coherence_;
};

// The device side of an optimizer's state: the copies between the device's state buffers and
// the optimizer's (Optimizer::visit_state), which MirroredOptimizer hands it when its coherence
// calls for them.
class OptimizerCopies {
public:
    virtual ~OptimizerCopies() = default;
    virtual void to_host(Optimizer& state) = 0;
    virtual void to_device(Optimizer& state) = 0;
};

// The model's optimizer, whose state (moment buffers) may live on the device. Its settings and
// step counters are always current on the host: the getters and setters below reach them without
// a copy; the state goes through the access functions.
class MirroredOptimizer {
public:
    MirroredOptimizer() = default;
    MirroredOptimizer(const MirroredOptimizer&) = delete;  // copies_ points back here
    MirroredOptimizer& operator=(const MirroredOptimizer&) = delete;

    // Settings, never the state buffers.
    const std::string& name() const { return optimizer_->name(); }
    int64_t count() const { return optimizer_->count(); }
    uint64_t id() const { return optimizer_->id(); }
    // The learning rate of the next steps (schedules change it between steps).
    void set_lr(double lr) { optimizer_->set_lr(lr); }
    // Where its large host updates run; null: on the calling thread.
    void set_workers(Workers* workers) { optimizer_->set_workers(workers); }

    Optimizer& host_read() const {
        coherence_.host_read();
        return *optimizer_;
    }
    Optimizer& host_write() {
        coherence_.host_write();
        return *optimizer_;
    }
    Optimizer& host_overwrite() {
        coherence_.host_overwrite();
        return *optimizer_;
    }
    // Another optimizer (its state on the host).
    void replace(std::unique_ptr<Optimizer> optimizer) {
        optimizer_ = std::move(optimizer);
        coherence_.host_overwrite();
    }
    void device_read() const { coherence_.device_read(); }
    void device_write() { coherence_.device_write(); }
    // One step on the device: the state there is written, and the host's step counters advance
    // (Optimizer::device_update).
    DeviceUpdate device_step() {
        coherence_.device_write();
        return optimizer_->device_update();
    }
    Fresh fresh() const { return coherence_.fresh(); }
    explicit operator bool() const { return optimizer_ != nullptr; }

    void attach_device(OptimizerCopies* device, Fresh fresh) {
        copies_.device = device;
        coherence_.attach(&copies_, fresh);
    }
    void detach_device() {
        coherence_.detach();
        copies_.device = nullptr;
    }

private:
    // The coherence's copies, handing the device side the current optimizer.
    struct Copies final : DeviceCopies {
        MirroredOptimizer* self;
        OptimizerCopies* device = nullptr;
        explicit Copies(MirroredOptimizer* s) : self(s) {}
        void to_host() override { device->to_host(*self->optimizer_); }
        void to_device() override { device->to_device(*self->optimizer_); }
    };

    std::unique_ptr<Optimizer> optimizer_;
    Copies copies_{this};
    Coherence coherence_;
};

}  // namespace nnc::runtime
