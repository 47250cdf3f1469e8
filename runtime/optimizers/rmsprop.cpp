// RMSprop as torch.optim.RMSprop (maximize off), per element in float32:
//   g = g + wd * p                                       (L2 weight decay)
//   v = alpha * v + ((1 - alpha) * g) * g
//   centered:  a = alpha * a + (1 - alpha) * g;  avg = sqrt(v + (-a) * a) + eps
//   else:      avg = sqrt(v) + eps
//   momentum:  b = momentum * b + g / avg;  p = p + (-lr) * b
//   else:      p = p + (-lr * g) / avg
#include "runtime/optimizers/optimizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nnc::runtime {

struct RmspropScalars {
    float wd, alpha, one_minus_alpha, eps, momentum, neg_lr;
};

namespace {

template <bool kCentered, bool kMomentum>
[[gnu::always_inline]] inline void rmsprop_loop(float* __restrict p, const float* __restrict g, float* __restrict v,
                                                float* __restrict a, float* __restrict b, int64_t n, RmspropScalars s) {
    for (int64_t i = 0; i < n; ++i) {
        const float grad = g[i] + s.wd * p[i];
        v[i] = v[i] * s.alpha + s.one_minus_alpha * grad * grad;
        float avg;
        if constexpr (kCentered) {
            a[i] = a[i] * s.alpha + s.one_minus_alpha * grad;
            avg = std::sqrt(v[i] + -a[i] * a[i]) + s.eps;
        } else {
            avg = std::sqrt(v[i]) + s.eps;
        }
        if constexpr (kMomentum) {
            b[i] = b[i] * s.momentum + grad / avg;
            p[i] = p[i] + s.neg_lr * b[i];
        } else {
            p[i] = p[i] + s.neg_lr * grad / avg;
        }
    }
}

}  // namespace

NNC_VECTOR_CLONES void rmsprop_plain(float* p, const float* g, float* v, int64_t n, RmspropScalars s) {
    rmsprop_loop<false, false>(p, g, v, nullptr, nullptr, n, s);
}
NNC_VECTOR_CLONES void rmsprop_centered(float* p, const float* g, float* v, float* a, int64_t n, RmspropScalars s) {
    rmsprop_loop<true, false>(p, g, v, a, nullptr, n, s);
}
NNC_VECTOR_CLONES void rmsprop_momentum(float* p, const float* g, float* v, float* b, int64_t n, RmspropScalars s) {
    rmsprop_loop<false, true>(p, g, v, nullptr, b, n, s);
}
NNC_VECTOR_CLONES void rmsprop_centered_momentum(float* p, const float* g, float* v, float* a, float* b, int64_t n,
                                                 RmspropScalars s) {
    rmsprop_loop<true, true>(p, g, v, a, b, n, s);
}

namespace {

class Rmsprop final : public Optimizer {
public:
    Rmsprop(const OptimizerConfig& config, int64_t count) : Optimizer(config, count) {
        v_.assign(static_cast<size_t>(count), 0.0f);
        if (config.centered) a_.assign(static_cast<size_t>(count), 0.0f);
        if (config.momentum > 0) b_.assign(static_cast<size_t>(count), 0.0f);
    }

    RmspropScalars scalars() const {
        return {static_cast<float>(config_.weight_decay), static_cast<float>(config_.alpha),
                static_cast<float>(1.0 - config_.alpha),  static_cast<float>(config_.eps),
                static_cast<float>(config_.momentum),     static_cast<float>(-config_.lr)};
    }

    DeviceUpdate device_update() override {
        const RmspropScalars s = scalars();
        return {DeviceKernel::Rmsprop,
                {1.0f, kNoClip, s.wd, s.alpha, s.one_minus_alpha, s.eps, s.momentum, s.neg_lr,
                 config_.centered ? 1.0f : 0.0f, config_.momentum > 0 ? 1.0f : 0.0f}};
    }

    void step(float* params, const float* grads) override {
        const RmspropScalars s = scalars();
        float *v = v_.data(), *a = a_.data(), *b = b_.data();
        const bool centered = config_.centered, momentum = config_.momentum > 0;
        for_chunks([&](int64_t lo, int64_t hi) {
            float *p = params + lo, *vv = v + lo;
            const float* g = grads + lo;
            const int64_t n = hi - lo;
            if (centered && momentum)
                rmsprop_centered_momentum(p, g, vv, a + lo, b + lo, n, s);
            else if (centered)
                rmsprop_centered(p, g, vv, a + lo, n, s);
            else if (momentum)
                rmsprop_momentum(p, g, vv, b + lo, n, s);
            else
                rmsprop_plain(p, g, vv, n, s);
        });
    }

    void reset() override {
        std::fill(v_.begin(), v_.end(), 0.0f);
        std::fill(a_.begin(), a_.end(), 0.0f);
        std::fill(b_.begin(), b_.end(), 0.0f);
    }

    void visit_state(OptimizerStateFields& f) override {
        f.buffer("square_avg", v_);
        f.buffer("grad_avg", a_);
        f.buffer("momentum_buffer", b_);
    }

private:
    std::vector<float> v_, a_, b_;  // square_avg, grad_avg (centered), momentum buffer
};

}  // namespace

std::unique_ptr<Optimizer> make_rmsprop(const OptimizerConfig& config, int64_t count) {
    return std::make_unique<Rmsprop>(config, count);
}

}  // namespace nnc::runtime
