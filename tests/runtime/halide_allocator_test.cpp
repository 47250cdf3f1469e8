// The caching allocator handed to the Halide runtime.
#include "runtime/halide_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

using nnc::runtime::halide_cached_bytes;
using nnc::runtime::halide_cached_free;
using nnc::runtime::halide_cached_malloc;

TEST(HalideAllocator, ReusesFreedBlocksOfTheSameClass) {
    nnc::runtime::halide_cache_trim();
    void* a = halide_cached_malloc(nullptr, 1 << 20);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 128, 0u);
    std::memset(a, 1, 1 << 20);
    halide_cached_free(nullptr, a);
    EXPECT_GE(halide_cached_bytes(), size_t{1} << 20);
    void* b = halide_cached_malloc(nullptr, (1 << 20) - 100);  // same size class
    EXPECT_EQ(a, b);
    EXPECT_EQ(halide_cached_bytes(), 0u);
    halide_cached_free(nullptr, b);
    nnc::runtime::halide_cache_trim();
    EXPECT_EQ(halide_cached_bytes(), 0u);
}

TEST(HalideAllocator, SmallAndOddSizesAreAlignedAndUsable) {
    for (size_t bytes : {size_t{1}, size_t{100}, size_t{129}, size_t{4097}, size_t{3} << 20}) {
        auto* p = static_cast<unsigned char*>(halide_cached_malloc(nullptr, bytes));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 128, 0u);
        std::memset(p, 0xAB, bytes);
        halide_cached_free(nullptr, p);
    }
    halide_cached_free(nullptr, nullptr);
}

TEST(HalideAllocator, IsBounded) {
    nnc::runtime::halide_cache_trim();
    std::vector<void*> blocks;
    const size_t block = size_t{64} << 20;
    for (size_t i = 0; i < nnc::runtime::kMaxCachedBytes / block + 4; ++i)
        blocks.push_back(halide_cached_malloc(nullptr, block));
    for (void* p : blocks) halide_cached_free(nullptr, p);
    EXPECT_LE(halide_cached_bytes(), nnc::runtime::kMaxCachedBytes);
    nnc::runtime::halide_cache_trim();
}

TEST(HalideAllocator, IsThreadSafe) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([t] {
            for (int i = 0; i < 2000; ++i) {
                const size_t bytes = 1000 + static_cast<size_t>((i * 7919 + t * 104729) % 200000);
                auto* p = static_cast<unsigned char*>(halide_cached_malloc(nullptr, bytes));
                ASSERT_NE(p, nullptr);
                p[0] = p[bytes - 1] = static_cast<unsigned char>(t);
                halide_cached_free(nullptr, p);
            }
        });
    }
    for (auto& th : threads) th.join();
    nnc::runtime::halide_cache_trim();
}

}  // namespace
