// nnc_dataset: labelled samples in memory, row-major, with one or more targets per sample (one
// per model target, in the model's order: multi-task models have several).
#pragma once
#include <nnc/nnc.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

struct DatasetTarget {
    nnc_target_kind kind = NNC_TARGET_CLASSES;
    int64_t size = 1;              // values per sample; classes: labels per sample (T, or 1)
    std::vector<int32_t> classes;  // (count, size), kind == CLASSES
    std::vector<float> values;     // (count, size), kind == REAL
    int32_t max_class = -1;        // largest class index, for checks against a model
    // Where the classes came from, for messages: a file of one byte per label after a header of
    // `header` bytes (IDX), classes[0] being its label `first`. Empty: no such file.
    std::string source;
    int64_t header = 0, first = 0;

    const void* row(int64_t i) const {
        return kind == NNC_TARGET_CLASSES ? static_cast<const void*>(classes.data() + i * size)
                                          : values.data() + i * size;
    }
};

}  // namespace nnc::runtime

struct nnc_dataset {
    int64_t count = 0;
    int64_t sample_size = 0;     // floats per sample (token ids are stored as floats)
    std::vector<float> samples;  // (count, sample_size)
    std::vector<nnc::runtime::DatasetTarget> targets;

    const float* sample(int64_t i) const { return samples.data() + i * sample_size; }
};
