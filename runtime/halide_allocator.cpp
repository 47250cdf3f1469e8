#include "runtime/halide_allocator.h"

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace nnc::runtime {
namespace {

constexpr size_t kAlign = 128;
constexpr size_t kHeader = kAlign;  // keeps the user pointer aligned

struct Header {
    size_t size_class;  // usable bytes after the header
};

// Smallest class >= bytes: multiples of a quarter of the enclosing power of two (min 128 bytes).
size_t size_class_of(size_t bytes) {
    if (bytes <= kAlign) return kAlign;
    const size_t power = std::bit_floor(bytes - 1);  // bytes - 1 < 2 * power
    const size_t step = power >= 4 * kAlign ? power / 4 : kAlign;
    return (bytes + step - 1) / step * step;
}

class Cache {
public:
    void* allocate(size_t bytes) {
        const size_t cls = size_class_of(bytes);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = free_.find(cls);
            if (it != free_.end() && !it->second.empty()) {
                void* block = it->second.back();
                it->second.pop_back();
                cached_ -= cls;
                return static_cast<char*>(block) + kHeader;
            }
        }
        void* block = std::aligned_alloc(kAlign, cls + kHeader);
        if (!block) return nullptr;
        static_cast<Header*>(block)->size_class = cls;
        return static_cast<char*>(block) + kHeader;
    }

    void release(void* ptr) {
        if (!ptr) return;
        void* block = static_cast<char*>(ptr) - kHeader;
        const size_t cls = static_cast<Header*>(block)->size_class;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (cached_ + cls <= kMaxCachedBytes) {
                free_[cls].push_back(block);
                cached_ += cls;
                return;
            }
        }
        std::free(block);
    }

    size_t cached() {
        std::lock_guard<std::mutex> lock(mutex_);
        return cached_;
    }

    void trim() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [cls, blocks] : free_) {
            for (void* block : blocks) std::free(block);
        }
        // Swapped with a fresh map rather than cleared, so that the bucket array goes too.
        std::unordered_map<size_t, std::vector<void*>>().swap(free_);
        cached_ = 0;
    }

private:
    std::mutex mutex_;
    std::unordered_map<size_t, std::vector<void*>> free_;
    size_t cached_ = 0;
};

Cache& cache() {
    // Never destroyed: Halide worker threads may still free blocks during process exit. Built in
    // static storage, not on the heap, so that nothing of it outlives an unloaded library.
    alignas(Cache) static unsigned char storage[sizeof(Cache)];
    static Cache* instance = new (storage) Cache();
    return *instance;
}

// When the model library is unloaded (dlclose) or the process exits, the cached blocks go back
// to the system: after a dlclose nothing would point at them any more (a leak, and one that
// LeakSanitizer reports in every program that loads and unloads a model).
__attribute__((destructor)) void release_cached_blocks() { cache().trim(); }

}  // namespace

void* halide_cached_malloc(void*, size_t bytes) {
    try {
        return cache().allocate(bytes);
    } catch (...) {
        return nullptr;  // Halide reports a failed allocation as an error code
    }
}

void halide_cached_free(void*, void* ptr) {
    try {
        cache().release(ptr);
    } catch (...) {
        std::free(static_cast<char*>(ptr) - kHeader);
    }
}

size_t halide_cached_bytes() { return cache().cached(); }

void halide_cache_trim() { cache().trim(); }

}  // namespace nnc::runtime
