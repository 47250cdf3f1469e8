// nnc_dataset: labelled samples in memory, row-major, one target per sample.
#pragma once
#include <nnc/nnc.h>

#include <cstdint>
#include <vector>

struct nnc_dataset {
    int64_t count = 0;
    int64_t sample_size = 0;           // floats per sample
    nnc_target_kind kind = NNC_TARGET_CLASSES;
    int64_t target_size = 1;           // 1 for classes
    std::vector<float> samples;        // (count, sample_size)
    std::vector<int32_t> classes;      // (count), kind == CLASSES
    std::vector<float> values;         // (count, target_size), kind == REAL
    int32_t max_class = -1;            // largest class index, for checks against a model

    const float* sample(int64_t i) const { return samples.data() + i * sample_size; }
};
