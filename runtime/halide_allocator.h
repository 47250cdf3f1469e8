// A caching allocator for the Halide runtime. Generated pipelines allocate their large
// intermediates on every call; with glibc each one is an mmap/munmap pair, and that alone made
// training about 4x slower. Freed blocks are kept per size class and handed out again.
//
// Size classes: 4 per power of two (at most 25% slack); blocks are 128-byte aligned and carry a
// 128-byte header recording their class. Thread-safe (Halide's worker threads allocate too).
// Bounded: at most kMaxCachedBytes are kept; beyond that blocks go back to the system.
#pragma once
#include <cstddef>

namespace nnc::runtime {

inline constexpr size_t kMaxCachedBytes = size_t{1} << 30;

// The halide_malloc_t / halide_free_t signatures; user_context is unused.
void* halide_cached_malloc(void* user_context, size_t bytes);
void halide_cached_free(void* user_context, void* ptr);

// Bytes currently held in the cache (for tests and diagnostics).
size_t halide_cached_bytes();
// Returns every cached block to the system.
void halide_cache_trim();

}  // namespace nnc::runtime
