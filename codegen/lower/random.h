// Counter-based random numbers for random layers (dropout): each element's number is a pure
// function of (step seed, node salt, element index), so a step is reproducible from its seed, the
// backward recomputes exactly the forward's mask, and no schedule can change what is drawn (no
// generator state, no ordering). Different seeds, nodes or elements give independent streams.
#pragma once
#include <Halide.h>

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/lower/tensor.h"

namespace nnc::codegen::rng {

// FNV-1a of the node name: a salt fixed at compile time, so two dropout layers with the same
// seed draw different masks.
inline uint32_t salt_of(const std::string& name) {
    uint32_t h = 2166136261u;
    for (unsigned char c : name) {
        h ^= c;
        h *= 16777619u;
    }
    return h;
}

// lowbias32 (C. Wellons, "hash prospector"): a bijective uint32 mixer with near-ideal avalanche.
// Halide's uint32 arithmetic wraps, as the mixer needs.
inline Halide::Expr mix32(Halide::Expr x) {
    using Halide::Expr;
    x = x ^ (x >> 16);
    x = x * Expr(uint32_t(0x7feb352du));
    x = x ^ (x >> 15);
    x = x * Expr(uint32_t(0x846ca68bu));
    return x ^ (x >> 16);
}

// A uint32 hash of (seed, salt, index). For one key the map index -> hash is a bijection (no two
// elements of a tensor below 2^32 elements share a number); the second mix after adding the key
// decorrelates keys (a single mix of index ^ key would make one key's stream a permutation of
// another's).
inline Halide::Expr hash(const Halide::Expr& seed, uint32_t salt, const Halide::Expr& index) {
    using Halide::Expr;
    using Halide::UInt;
    Expr key = mix32(Halide::cast(UInt(32), seed) ^ mix32(Expr(salt)));
    return mix32(mix32(Halide::cast(UInt(32), index) ^ key) + key);
}

// Uniform in [0, 1) with 24 random bits: k / 2^24 is exact in float32 and float64, and never 1.
inline Halide::Expr uniform(Halide::Type type, const Halide::Expr& seed, uint32_t salt, const Halide::Expr& index) {
    return Halide::cast(type, hash(seed, salt, index) >> 8) * Halide::cast(type, Halide::Expr(1.0 / 16777216.0));
}

// The row-major flat index (batch outermost) of element `v` of a batched tensor, as uint32
// (wrapping past 2^32 elements, which only repeats numbers, never breaks them).
// v: Halide coordinates, innermost first, batch last.
inline Halide::Expr flat_index(const Tensor& t, const std::vector<Halide::Expr>& v) {
    using Halide::Expr;
    const int per_sample = static_cast<int>(t.shape.dims.size());
    Expr idx = Halide::cast(Halide::UInt(32), v.back());  // n
    for (int d = per_sample - 1; d >= 0; --d)
        idx = idx * Expr(uint32_t(t.extent(d))) + Halide::cast(Halide::UInt(32), v[static_cast<size_t>(d)]);
    return idx;
}

}  // namespace nnc::codegen::rng
