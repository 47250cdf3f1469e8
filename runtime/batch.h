// A batch as the pipelines take it: samples gathered from a dataset in a given order into
// contiguous input and target buffers, standardized with the model's statistics (datasets stay in
// the user's units); token-id inputs become int32 here (datasets store every sample as floats).
#pragma once
#include <nnc/model_desc.h>
#include <nnc/nnc.h>

#include <cstdint>
#include <vector>

#include "runtime/dataset.h"

struct nnc_model;

namespace nnc::runtime {

struct Batch {
    std::vector<float> input;                   // (n, sample_size)
    std::vector<int32_t> tokens;                // (n, sample_size), token-id models only
    std::vector<std::vector<float>> values;     // per real target: (n, target size)
    std::vector<std::vector<int32_t>> classes;  // per class target: (n)
    std::vector<const void*> target_ptrs;       // per target, for the pipelines

    // Samples order[0..n) of `data`.
    void gather(const nnc_model& model, const nnc_dataset& data, const int64_t* order, int64_t n);
    const void* model_input(const nnc_model& model) const;
};

// Throws unless `data` can feed `model` (sizes, target kinds, class ranges); `what` names the data.
void check_compatible(const nnc_model& model, const nnc_dataset& data, const char* what);

// The loss whose output accuracy is measured: the first softmax cross-entropy (class targets);
// -1 when the model has none.
int accuracy_loss(const nnc_model& model);

// Correct predictions and the labels counted (ignored ones left out): per position for a
// sequence target, whose `width` scores per sample are T rows of its classes.
struct Hits {
    int64_t correct = 0, counted = 0;
    Hits& operator+=(const Hits& o) {
        correct += o.correct;
        counted += o.counted;
        return *this;
    }
};
Hits count_correct(const float* scores, int64_t width, const int32_t* classes, int64_t batch,
                   const nnc_target_desc& target);

// Mean total loss, accuracy (NaN without a softmax cross-entropy loss) and per-loss means (may be
// null), in inference mode (the evaluate pipeline: running statistics, no dropout).
void evaluate(nnc_model& model, const nnc_dataset& data, int64_t batch, double* loss, double* accuracy,
              double* task_losses);

}  // namespace nnc::runtime
