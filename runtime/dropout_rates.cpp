// The dropout rates behind the C ABI: train_step reads each dropout layer's rate from the model
// (nnc_model::dropout_rates) at every call, so a run may change it without recompiling
// (`nnc tune --dropout`, `nnc train --sanity` turning dropout off).
#include "runtime/errors.h"
#include "runtime/model.h"

#include <cmath>
#include <string>

using nnc::runtime::guarded;
using nnc::runtime::require;
using nnc::runtime::require_model;

namespace {

void check_dropout_index(const nnc_model& model, int index, const char* function) {
    const int n = model.desc->num_dropouts;
    require(index >= 0 && index < n, std::string(function) + ": dropout index " + std::to_string(index) +
                                         " is out of range; the model has " +
                                         (n == 0 ? std::string("no dropout layers")
                                                 : std::to_string(n) + " dropout layer" + (n == 1 ? "" : "s") +
                                                       " (0.." + std::to_string(n - 1) + ")"));
}

}  // namespace

extern "C" {

int nnc_model_num_dropouts(const nnc_model* model) {
    if (!model) {
        nnc::runtime::fail(NNC_ERR_INVALID_ARGUMENT,
                           "nnc_model_num_dropouts: model is NULL; create one with nnc_model_create");
        return 0;
    }
    return model->desc->num_dropouts;
}

nnc_status nnc_model_dropout_info(const nnc_model* model, int index, const char** name, double* rate,
                                  double* declared_rate) {
    return guarded("nnc_model_dropout_info", [&] {
        const nnc_model& m = require_model(model, "nnc_model_dropout_info");
        check_dropout_index(m, index, "nnc_model_dropout_info");
        if (name) *name = m.desc->dropouts[index].name;
        if (rate) *rate = m.dropout_rates[static_cast<size_t>(index)];
        if (declared_rate) *declared_rate = m.desc->dropouts[index].rate;
        return NNC_OK;
    });
}

nnc_status nnc_model_set_dropout_rate(nnc_model* model, int index, double rate) {
    return guarded("nnc_model_set_dropout_rate", [&] {
        nnc_model& m = require_model(model, "nnc_model_set_dropout_rate");
        check_dropout_index(m, index, "nnc_model_set_dropout_rate");
        // 1 would drop everything and scale by 1/0; the rate is stored as float32, as train_step reads it.
        require(rate >= 0.0 && rate < 1.0 && std::isfinite(rate),
                "nnc_model_set_dropout_rate: rate " + std::to_string(rate) + " for dropout '" +
                    m.desc->dropouts[index].name +
                    "' is outside [0, 1); it is the probability of dropping an element (0 turns the layer off)");
        m.dropout_rates[static_cast<size_t>(index)] = static_cast<float>(rate);
        return NNC_OK;
    });
}

}  // extern "C"
