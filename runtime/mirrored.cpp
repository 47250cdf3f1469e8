#include "runtime/mirrored.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace nnc::runtime {

AlignedFloats make_aligned_floats(int64_t count) {
    const size_t bytes = static_cast<size_t>(std::max<int64_t>(count, kArenaAlignFloats)) * sizeof(float);
    const size_t rounded = (bytes + 127) / 128 * 128;
    float* p = static_cast<float*>(std::aligned_alloc(128, rounded));
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, rounded);
    return AlignedFloats(p);
}

void Coherence::host_read() const {
    if (!device_ || fresh_ != Fresh::Device) return;
    device_->to_host();
    fresh_ = Fresh::Both;
}

void Coherence::host_write() {
    host_read();
    if (device_) fresh_ = Fresh::Host;
}

void Coherence::host_overwrite() {
    if (device_) fresh_ = Fresh::Host;
}

void Coherence::device_read() const {
    if (!device_ || fresh_ != Fresh::Host) return;
    device_->to_device();
    fresh_ = Fresh::Both;
}

void Coherence::device_write() {
    device_read();
    if (device_) fresh_ = Fresh::Device;
}

void Coherence::device_overwrite() {
    if (device_) fresh_ = Fresh::Device;
}

}  // namespace nnc::runtime
