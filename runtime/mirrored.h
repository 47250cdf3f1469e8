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

    // Where the host copy lives, for binding a device buffer to it; reading or writing through it
    // bypasses the coherence, so only the device side uses it.
    float* host_address() const { return host_.get(); }
    void attach_device(DeviceCopies* device, Fresh fresh) { coherence_.attach(device, fresh); }
    void detach_device() { coherence_.detach(); }

private:
    AlignedFloats host_;
    int64_t size_ = 0;
    Coherence coherence_;
};

// The model's optimizer, whose state (moment buffers) may live on the device. Its settings and
// step counters are always current on the host: settings() gives them without a copy; the state
// goes through the access functions.
class MirroredOptimizer {
public:
    // lr, name, count, id, workers, device_update(): never the state buffers.
    Optimizer& settings() const { return *optimizer_; }
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
    Fresh fresh() const { return coherence_.fresh(); }
    explicit operator bool() const { return optimizer_ != nullptr; }

    void attach_device(DeviceCopies* device, Fresh fresh) { coherence_.attach(device, fresh); }
    void detach_device() { coherence_.detach(); }

private:
    std::unique_ptr<Optimizer> optimizer_;
    Coherence coherence_;
};

}  // namespace nnc::runtime
