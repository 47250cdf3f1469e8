// Reproducible parameter initialization. The generator is fixed and documented so that a seed
// gives the same weights with any compiler and standard library:
//   - xoshiro256** (Blackman & Vigna), its 256-bit state filled by splitmix64;
//   - uniform doubles in [0, 1) from the top 53 bits;
//   - normals by the Box–Muller transform (both outputs used), never std::normal_distribution,
//     whose output differs between standard libraries.
// Each parameter draws from its own stream keyed by (seed, parameter name): adding or removing a
// layer leaves every other parameter's values unchanged.
#pragma once
#include <nnc/model_desc.h>

#include <cstdint>
#include <string_view>

namespace nnc::runtime {

// The splitmix64 step: advances `state` and returns the next output.
uint64_t splitmix64(uint64_t& state);

class Rng {
public:
    explicit Rng(uint64_t seed);
    uint64_t next();                 // xoshiro256**
    double uniform();                // [0, 1)
    double normal();                 // standard normal, Box–Muller
    uint64_t below(uint64_t bound);  // uniform integer in [0, bound), bound > 0, unbiased

private:
    uint64_t s_[4];
    double spare_ = 0.0;
    bool has_spare_ = false;
};

// The seed of the stream for one parameter (or any other named consumer, e.g. "shuffle").
uint64_t stream_seed(uint64_t seed, std::string_view name);

// Fills `count` elements of `dst` per `param`'s initializer, from stream_seed(seed, param.name).
void initialize_param(const nnc_param_desc& param, uint64_t seed, float* dst, int64_t count);

}  // namespace nnc::runtime
