// Adadelta as torch.optim.Adadelta (maximize off), per element in float32:
//   g = g + wd * p                                       (L2 weight decay)
//   v = rho * v + ((1 - rho) * g) * g
//   delta = (sqrt(u + eps) / sqrt(v + eps)) * g
//   u = rho * u + ((1 - rho) * delta) * delta
//   p = p + (-lr) * delta
#include "runtime/optimizers/optimizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nnc::runtime {

struct AdadeltaScalars {
    float wd, rho, one_minus_rho, eps, neg_lr;
};

NNC_VECTOR_CLONES void adadelta_update(float* __restrict p, const float* __restrict g, float* __restrict v,
                                       float* __restrict u, int64_t n, AdadeltaScalars s) {
    for (int64_t i = 0; i < n; ++i) {
        const float grad = g[i] + s.wd * p[i];
        v[i] = v[i] * s.rho + s.one_minus_rho * grad * grad;
        const float std_ = std::sqrt(v[i] + s.eps);
        const float delta = std::sqrt(u[i] + s.eps) / std_ * grad;
        u[i] = u[i] * s.rho + s.one_minus_rho * delta * delta;
        p[i] = p[i] + s.neg_lr * delta;
    }
}

namespace {

class Adadelta final : public Optimizer {
public:
    Adadelta(const OptimizerConfig& config, int64_t count)
        : Optimizer(config, count), v_(static_cast<size_t>(count), 0.0f), u_(static_cast<size_t>(count), 0.0f) {}

    AdadeltaScalars scalars() const {
        return {static_cast<float>(config_.weight_decay), static_cast<float>(config_.rho),
                static_cast<float>(1.0 - config_.rho), static_cast<float>(config_.eps),
                static_cast<float>(-config_.lr)};
    }

    DeviceUpdate device_update() override {
        const AdadeltaScalars s = scalars();
        return {DeviceKernel::Adadelta, {1.0f, kNoClip, s.wd, s.rho, s.one_minus_rho, s.eps, s.neg_lr}};
    }

    void step(float* params, const float* grads) override {
        const AdadeltaScalars s = scalars();
        float* v = v_.data();
        float* u = u_.data();
        for_chunks([&](int64_t b, int64_t e) { adadelta_update(params + b, grads + b, v + b, u + b, e - b, s); });
    }

    void reset() override {
        std::fill(v_.begin(), v_.end(), 0.0f);
        std::fill(u_.begin(), u_.end(), 0.0f);
    }

    void visit_state(OptimizerStateFields& f) override {
        f.buffer("square_avg", v_);
        f.buffer("acc_delta", u_);
    }

private:
    std::vector<float> v_, u_;  // square_avg, acc_delta
};

}  // namespace

std::unique_ptr<Optimizer> make_adadelta(const OptimizerConfig& config, int64_t count) {
    return std::make_unique<Adadelta>(config, count);
}

}  // namespace nnc::runtime
