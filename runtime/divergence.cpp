#include "runtime/divergence.h"

#include "runtime/errors.h"
#include "runtime/model.h"

#include <cmath>
#include <cstdio>

namespace nnc::runtime {
namespace {

std::string show(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

}  // namespace

DivergencePolicy divergence_policy(const nnc_train_config& c) {
    require(c.on_divergence == NNC_DIVERGENCE_STOP || c.on_divergence == NNC_DIVERGENCE_ROLLBACK,
            "nnc_train: on_divergence must be 0 (stop) or 1 (rollback), got " + std::to_string(c.on_divergence));
    require(c.divergence_factor == 0 || (c.divergence_factor > 0 && c.divergence_factor < 1),
            "nnc_train: divergence_factor must be in (0, 1) (0: 0.3), got " + show(c.divergence_factor));
    require(c.divergence_retries >= 0,
            "nnc_train: divergence_retries must be >= 0 (0: 3), got " + std::to_string(c.divergence_retries));
    require(c.explode_factor == 0 || (std::isfinite(c.explode_factor) && c.explode_factor > 1),
            "nnc_train: explode_factor must be greater than 1 (0: 1e3), got " + show(c.explode_factor));
    DivergencePolicy p;
    p.rollback = c.on_divergence == NNC_DIVERGENCE_ROLLBACK;
    if (c.divergence_factor > 0) p.factor = c.divergence_factor;
    if (c.divergence_retries > 0) p.retries = c.divergence_retries;
    if (c.explode_factor > 0) p.explode_factor = c.explode_factor;
    return p;
}

std::string loss_divergence(double loss, double reference, double explode_factor) {
    if (std::isnan(loss)) return "loss became NaN";
    if (std::isinf(loss)) return "loss became infinite";
    if (reference > 0 && loss > explode_factor * reference)
        return "loss exploded to " + show(loss) + ", over " + show(explode_factor) +
               " times the first epoch's lowest running mean " + show(reference);
    return "";
}

std::string norm_divergence(double norm) {
    if (std::isnan(norm)) return "gradient norm became NaN";
    if (std::isinf(norm)) return "gradient norm became infinite";
    return "";
}

void RollbackPoint::take(const nnc_model& model) {
    const float* params = model.params.host_read();
    params_.assign(params, params + model.arena_size);
    optimizer_ = model.optimizer.host_read().save_state();
    step_counter_ = model.step_counter;
    state_ = model.train_state;
    valid_ = true;
}

bool RollbackPoint::restore(nnc_model& model) const {
    if (!valid_) return false;
    std::copy(params_.begin(), params_.end(), model.params.host_overwrite());
    model.optimizer.host_overwrite().load_state(optimizer_.data(), optimizer_.size(), "the rollback point");
    model.step_counter = step_counter_;
    model.train_state = state_;
    return true;
}

}  // namespace nnc::runtime
