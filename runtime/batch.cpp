#include "runtime/batch.h"

#include "runtime/class_labels.h"
#include "runtime/errors.h"
#include "runtime/model.h"
#include "runtime/standardize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace nnc::runtime {

namespace {

// The first label of `have` the model's target does not take, with its file and place where known.
[[noreturn]] void out_of_range(const DatasetTarget& have, const nnc_target_desc& want, const std::string& prefix,
                               const std::string& which, const std::string& model) {
    const auto bad =
        std::find_if(have.classes.begin(), have.classes.end(), [&](int32_t c) { return !valid_label(want, c); });
    const int64_t i = bad - have.classes.begin();
    const std::string range = "the model '" + model + "' has " + label_range(want);
    if (!have.source.empty())
        throw Error(NNC_ERR_INVALID_ARGUMENT,
                    "'" + have.source + "' at byte offset " + std::to_string(have.header + have.first + i) +
                        " of its uncompressed contents (label " + std::to_string(have.first + i) + "): class " +
                        std::to_string(*bad) + " of " + which + " is out of range: " + range +
                        "; pass the labels this model was written for");
    throw Error(NNC_ERR_INVALID_ARGUMENT, prefix + "has class " + std::to_string(*bad) + " at " +
                                              label_place(i, have.size) + " for " + which + ", out of range: " + range);
}

}  // namespace

void check_compatible(const nnc_model& model, const nnc_dataset& data, const char* what) {
    const std::string prefix = std::string(what) + " ";
    const std::string name = model.desc->model_name;
    require(data.sample_size == model.input_size, prefix + "samples have " + std::to_string(data.sample_size) +
                                                      " values but model '" + name + "' takes inputs of " +
                                                      std::to_string(model.input_size));
    require(static_cast<int>(data.targets.size()) == model.desc->num_targets,
            prefix + "has " + std::to_string(data.targets.size()) + " target(s) per sample but model '" + name +
                "' has " + std::to_string(model.desc->num_targets) +
                "; add one per model target (nnc_dataset_add_target)");
    for (int t = 0; t < model.desc->num_targets; ++t) {
        const DatasetTarget& have = data.targets[static_cast<size_t>(t)];
        const nnc_target_desc& want = model.desc->targets[t];
        const std::string which = "target '" + std::string(want.tensor.name) + "'";
        require(static_cast<int>(have.kind) == want.kind,
                prefix + "has " + (have.kind == NNC_TARGET_CLASSES ? "class" : "real") + " values for " + which +
                    " of model '" + name + "', which expects " + (want.kind == NNC_TARGET_CLASSES ? "class" : "real") +
                    " targets");
        if (have.kind == NNC_TARGET_CLASSES) {
            require(have.size == model.target_sizes[static_cast<size_t>(t)],
                    prefix + "has " + std::to_string(have.size) + " label(s) per sample for " + which + " but model '" +
                        name + "' takes " + std::to_string(model.target_sizes[static_cast<size_t>(t)]) +
                        " (one per position)");
            if (!std::all_of(have.classes.begin(), have.classes.end(), [&](int32_t c) { return valid_label(want, c); }))
                out_of_range(have, want, prefix, which, name);
        } else {
            require(have.size == model.target_sizes[static_cast<size_t>(t)],
                    prefix + "has " + std::to_string(have.size) + " values per sample for " + which + " but model '" +
                        name + "' predicts " + std::to_string(model.target_sizes[static_cast<size_t>(t)]));
        }
    }
}

namespace {

int64_t argmax(const float* row, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; ++j) {
        if (row[j] > row[best]) best = j;
    }
    return best;
}

}  // namespace

Hits count_correct(const float* scores, int64_t width, const int32_t* classes, int64_t batch,
                   const nnc_target_desc& target) {
    // A sequence target's scores are (batch, T, C): one row of C per position, T = width / C.
    const int64_t c = target.num_classes > 0 && width % target.num_classes == 0 ? target.num_classes : width;
    Hits hits;
    for (int64_t i = 0; i < batch * (width / c); ++i) {
        if (ignored_label(target, classes[i])) continue;
        ++hits.counted;
        hits.correct += argmax(scores + i * c, c) == classes[i];
    }
    return hits;
}

int accuracy_loss(const nnc_model& model) {
    for (int l = 0; l < model.desc->num_losses; ++l)
        if (model.desc->losses[l].kind == NNC_LOSS_SOFTMAX_CROSS_ENTROPY) return l;
    return -1;
}

void Batch::gather(const nnc_model& model, const nnc_dataset& data, const int64_t* order, int64_t n) {
    input.resize(static_cast<size_t>(n * data.sample_size));
    for (int64_t i = 0; i < n; ++i) {
        std::copy_n(data.sample(order[i]), data.sample_size, input.data() + i * data.sample_size);
    }
    const DatasetStandardization& z = model.standardization;
    if (!z.inputs.empty()) standardize(z.inputs, input.data(), n);
    if (model.desc->input_dtype == NNC_DTYPE_INT32) {
        tokens.resize(input.size());
        for (size_t i = 0; i < input.size(); ++i) tokens[i] = static_cast<int32_t>(std::lround(input[i]));
    }
    const size_t nt = data.targets.size();
    values.resize(nt);
    classes.resize(nt);
    target_ptrs.resize(nt);
    for (size_t t = 0; t < nt; ++t) {
        const DatasetTarget& from = data.targets[t];
        if (from.kind == NNC_TARGET_CLASSES) {
            classes[t].resize(static_cast<size_t>(n * from.size));
            for (int64_t i = 0; i < n; ++i)
                std::copy_n(from.classes.data() + order[i] * from.size, from.size, classes[t].data() + i * from.size);
            target_ptrs[t] = classes[t].data();
        } else {
            values[t].resize(static_cast<size_t>(n * from.size));
            for (int64_t i = 0; i < n; ++i) {
                std::copy_n(from.values.data() + order[i] * from.size, from.size, values[t].data() + i * from.size);
            }
            if (t < z.targets.size() && !z.targets[t].empty()) standardize(z.targets[t], values[t].data(), n);
            target_ptrs[t] = values[t].data();
        }
    }
}
const void* Batch::model_input(const nnc_model& model) const {
    return model.desc->input_dtype == NNC_DTYPE_INT32 ? static_cast<const void*>(tokens.data()) : input.data();
}

void evaluate(nnc_model& model, const nnc_dataset& data, int64_t batch, double* loss, double* accuracy,
              double* task_losses) {
    check_compatible(model, data, "the evaluation dataset");
    const int acc = accuracy_loss(model);
    const int nl = model.desc->num_losses;
    std::vector<float> output(static_cast<size_t>(std::min(batch, data.count) *
                                                  (acc >= 0 ? model.loss_output_size[static_cast<size_t>(acc)] : 1)));
    std::vector<float*> outputs(static_cast<size_t>(nl), nullptr);
    if (acc >= 0) outputs[static_cast<size_t>(acc)] = output.data();
    std::vector<float> batch_losses(static_cast<size_t>(nl));
    std::vector<double> sums(static_cast<size_t>(nl), 0.0);
    std::vector<int64_t> order(static_cast<size_t>(std::min(batch, data.count)));
    Batch b;
    double total = 0.0;
    Hits hits;
    for (int64_t first = 0; first < data.count; first += batch) {
        const int64_t n = std::min(batch, data.count - first);
        std::iota(order.begin(), order.begin() + n, first);
        b.gather(model, data, order.data(), n);
        const float l =
            run_evaluate(model, b.model_input(model), b.target_ptrs.data(), n, batch_losses.data(), outputs.data());
        total += static_cast<double>(l) * static_cast<double>(n);
        for (int k = 0; k < nl; ++k)
            sums[static_cast<size_t>(k)] +=
                static_cast<double>(batch_losses[static_cast<size_t>(k)]) * static_cast<double>(n);
        if (acc >= 0) {
            const int t = model.desc->losses[acc].target;
            hits += count_correct(output.data(), model.loss_output_size[static_cast<size_t>(acc)],
                                  b.classes[static_cast<size_t>(t)].data(), n, model.desc->targets[t]);
        }
    }
    const double count = static_cast<double>(data.count);
    *loss = total / count;
    *accuracy = acc >= 0 && hits.counted > 0 ? static_cast<double>(hits.correct) / static_cast<double>(hits.counted)
                                             : std::numeric_limits<double>::quiet_NaN();
    if (task_losses)
        for (int k = 0; k < nl; ++k) task_losses[k] = sums[static_cast<size_t>(k)] / count;
}

}  // namespace nnc::runtime
