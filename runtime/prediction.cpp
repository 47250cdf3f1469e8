// Standardization fitted into a model, and prediction in the user's units: inputs standardized
// with the model's statistics, the outputs of standardized regression targets brought back.
#include "runtime/dataset.h"
#include "runtime/errors.h"
#include "runtime/model.h"
#include "runtime/standardize.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace nnc::runtime {
namespace {

// Only targets every loss of which is mse or l1 are standardized: their outputs are values in
// the target's units. Class targets and binary cross-entropy targets (probabilities against
// 0/1 values) never are.
bool standardizable_target(const nnc_model& m, int target) {
    if (m.desc->targets[target].kind != NNC_TARGET_REAL) return false;
    bool used = false;
    for (int l = 0; l < m.desc->num_losses; ++l) {
        const nnc_loss_desc& loss = m.desc->losses[l];
        if (loss.target != target) continue;
        if (loss.kind != NNC_LOSS_MSE && loss.kind != NNC_LOSS_L1) return false;
        if (m.loss_output_size[static_cast<size_t>(l)] != m.target_sizes[static_cast<size_t>(target)]) return false;
        used = true;
    }
    return used;
}

// outputs[l] (batch rows) of each loss whose target is standardized, back in the target's units.
void unstandardize_outputs(const nnc_model& m, float* const* outputs, int64_t batch) {
    const DatasetStandardization& z = m.standardization;
    for (int l = 0; l < m.desc->num_losses; ++l) {
        const size_t t = static_cast<size_t>(m.desc->losses[l].target);
        if (outputs[l] && t < z.targets.size() && !z.targets[t].empty()) unstandardize(z.targets[t], outputs[l], batch);
    }
}

void check_outputs(const nnc_model& m, float* const* outputs, const char* function) {
    require(outputs != nullptr, std::string(function) + ": outputs must not be NULL");
    for (int l = 0; l < m.desc->num_losses; ++l)
        require(outputs[l] != nullptr, std::string(function) + ": outputs[" + std::to_string(l) + "] is NULL");
}

// Runs the inference pipeline on `batch` rows of float samples in the user's units; `tokens`
// is scratch for int32-input models.
void predict_rows(nnc_model& m, const float* samples, int64_t batch, std::vector<float>& scratch,
                  std::vector<int32_t>& tokens, float* const* outputs) {
    const int64_t values = batch * m.input_size;
    const float* input = samples;
    if (!m.standardization.inputs.empty()) {
        scratch.assign(samples, samples + values);
        standardize(m.standardization.inputs, scratch.data(), batch);
        input = scratch.data();
    }
    if (m.desc->input_dtype == NNC_DTYPE_INT32) {
        tokens.resize(static_cast<size_t>(values));
        for (int64_t i = 0; i < values; ++i)
            tokens[static_cast<size_t>(i)] = static_cast<int32_t>(std::lround(input[i]));
        run_forward(m, tokens.data(), batch, outputs);
    } else {
        run_forward(m, input, batch, outputs);
    }
    unstandardize_outputs(m, outputs, batch);
}

}  // namespace
}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_model_fit_standardization(nnc_model* model, const nnc_dataset* train, int inputs, int targets) {
    return guarded("nnc_model_fit_standardization", [&] {
        nnc_model& m = require_model(model, "nnc_model_fit_standardization");
        require(train != nullptr, "nnc_model_fit_standardization: train is NULL");
        if (!inputs && !targets) {
            m.standardization = {};
            return NNC_OK;
        }
        require(train->count > 0, "nnc_model_fit_standardization: the dataset is empty");
        require(train->sample_size == m.input_size, "nnc_model_fit_standardization: the samples have " +
                                                        std::to_string(train->sample_size) + " values but model '" +
                                                        m.desc->model_name + "' takes " + std::to_string(m.input_size));
        require(!inputs || m.desc->input_dtype == NNC_DTYPE_FLOAT32,
                "nnc_model_fit_standardization: model '" + std::string(m.desc->model_name) +
                    "' takes int32 token ids, which are never standardized; pass inputs = 0");
        require(!targets || static_cast<int>(train->targets.size()) == m.desc->num_targets,
                "nnc_model_fit_standardization: the dataset has " + std::to_string(train->targets.size()) +
                    " target(s) but the model " + std::to_string(m.desc->num_targets));
        DatasetStandardization z = fit_dataset_standardization(*train, inputs != 0, targets != 0);
        for (int t = 0; t < static_cast<int>(z.targets.size()); ++t) {
            // Inputs only (targets == 0): nothing was fitted for the targets.
            if (!targets || !standardizable_target(m, t))
                z.targets[static_cast<size_t>(t)] = {};
            else
                require(z.targets[static_cast<size_t>(t)].columns() == m.target_sizes[static_cast<size_t>(t)],
                        "nnc_model_fit_standardization: target " + std::to_string(t) + " of the dataset has " +
                            std::to_string(z.targets[static_cast<size_t>(t)].columns()) +
                            " values per sample, the model's " +
                            std::to_string(m.target_sizes[static_cast<size_t>(t)]));
        }
        if (std::all_of(z.targets.begin(), z.targets.end(), [](const Standardization& s) { return s.empty(); }))
            z.targets.clear();
        m.standardization = std::move(z);
        return NNC_OK;
    });
}

int nnc_model_standardization(const nnc_model* model) {
    if (!model) return 0;
    const DatasetStandardization& z = model->standardization;
    const bool targets =
        std::any_of(z.targets.begin(), z.targets.end(), [](const Standardization& s) { return !s.empty(); });
    return (z.inputs.empty() ? 0 : 1) | (targets ? 2 : 0);
}

nnc_status nnc_model_standardization_stats(const nnc_model* model, int target, int64_t* columns, const float** mean,
                                           const float** scale) {
    return guarded("nnc_model_standardization_stats", [&] {
        const nnc_model& m = require_model(model, "nnc_model_standardization_stats");
        require(target >= -1 && target < m.desc->num_targets,
                "nnc_model_standardization_stats: target " + std::to_string(target) +
                    " is out of range; pass -1 for the inputs or a target index below " +
                    std::to_string(m.desc->num_targets));
        const DatasetStandardization& z = m.standardization;
        static const Standardization none;
        const Standardization& s = target < 0 ? z.inputs
                                   : static_cast<size_t>(target) < z.targets.size()
                                       ? z.targets[static_cast<size_t>(target)]
                                       : none;
        if (columns) *columns = s.columns();
        if (mean) *mean = s.empty() ? nullptr : s.mean.data();
        if (scale) *scale = s.empty() ? nullptr : s.scale.data();
        return NNC_OK;
    });
}

nnc_status nnc_model_predict(nnc_model* model, const void* input, int64_t batch, float* const* outputs) {
    return guarded("nnc_model_predict", [&] {
        nnc_model& m = require_model(model, "nnc_model_predict");
        check_outputs(m, outputs, "nnc_model_predict");
        require(input != nullptr, "nnc_model_predict: input is NULL");
        require(batch > 0, "nnc_model_predict: batch must be > 0, got " + std::to_string(batch));
        if (m.standardization.inputs.empty()) {
            run_forward(m, input, batch, outputs);  // int32 ids or floats, as given
            unstandardize_outputs(m, outputs, batch);
            return NNC_OK;
        }
        std::vector<float> scratch;
        std::vector<int32_t> tokens;
        predict_rows(m, static_cast<const float*>(input), batch, scratch, tokens, outputs);
        return NNC_OK;
    });
}

nnc_status nnc_predict(nnc_model* model, const nnc_dataset* data, int64_t batch, float* const* outputs) {
    return guarded("nnc_predict", [&] {
        nnc_model& m = require_model(model, "nnc_predict");
        require(data != nullptr, "nnc_predict: data is NULL");
        check_outputs(m, outputs, "nnc_predict");
        require(batch > 0, "nnc_predict: batch must be > 0, got " + std::to_string(batch));
        require(data->sample_size == m.input_size,
                "nnc_predict: the samples have " + std::to_string(data->sample_size) + " values but model '" +
                    m.desc->model_name + "' takes inputs of " + std::to_string(m.input_size));
        const int nl = m.desc->num_losses;
        std::vector<float*> at(static_cast<size_t>(nl));
        std::vector<float> scratch;
        std::vector<int32_t> tokens;
        for (int64_t first = 0; first < data->count; first += batch) {
            const int64_t n = std::min(batch, data->count - first);
            for (int l = 0; l < nl; ++l)
                at[static_cast<size_t>(l)] = outputs[l] + first * m.loss_output_size[static_cast<size_t>(l)];
            predict_rows(m, data->sample(first), n, scratch, tokens, at.data());  // the rows are contiguous
        }
        return NNC_OK;
    });
}

}  // extern "C"
