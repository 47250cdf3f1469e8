// The inputs a benchmark feeds a model's steps: uniform in [0, 1) (token ids below the smallest
// embedding vocabulary for int32 inputs), class targets uniform. The speed does not depend on the
// values; a fixed seed makes every run see the same ones.
#pragma once
#include <nnc/nnc.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "tests/bench/model_library.h"

struct ModelInputs {
    std::vector<float> x;            // (N, input_size), float inputs
    std::vector<int32_t> tokens, y;  // (N, input_size) token ids; (N) classes
    std::vector<float> out;          // (N, output_size), what forward writes
    const void* input = nullptr;     // x or tokens, by the model's input dtype
};

// Token ids must stay below the smallest embedding vocabulary (its weight is [vocab, dim]).
inline int64_t smallest_vocabulary(const ModelLibrary& lib, nnc_model* m) {
    int64_t vocab = 2;
    for (int p = 0, n = lib.num_params(m); p < n; ++p) {
        const char* name = nullptr;
        int rank = 0;
        const int64_t* dims = nullptr;
        lib.param_info(m, p, &name, &rank, &dims);
        if (std::strstr(name, "embed") && rank == 2) vocab = vocab == 2 ? dims[0] : std::min(vocab, dims[0]);
    }
    return vocab;
}

inline void fill_model_inputs(const ModelLibrary& lib, nnc_model* m, int64_t batch, ModelInputs* in) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    const size_t count = static_cast<size_t>(batch * lib.input_size(m));
    in->x.resize(count);
    in->tokens.resize(count);
    for (float& v : in->x) v = u(rng);
    if (lib.input_dtype(m) == NNC_DTYPE_INT32) {
        const auto vocab = static_cast<uint32_t>(smallest_vocabulary(lib, m));
        for (int32_t& t : in->tokens) t = static_cast<int32_t>(rng() % vocab);
    }
    in->input = lib.input_dtype(m) == NNC_DTYPE_INT32 ? static_cast<const void*>(in->tokens.data()) : in->x.data();
    in->y.resize(static_cast<size_t>(batch));
    for (int32_t& v : in->y) v = static_cast<int32_t>(rng() % static_cast<uint32_t>(lib.num_classes(m)));
    in->out.resize(static_cast<size_t>(batch * lib.output_size(m)));
}
