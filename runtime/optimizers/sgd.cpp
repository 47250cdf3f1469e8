// SGD as torch.optim.SGD (dampening 0, maximize off), per element in float32:
//   d = g + wd * p                         (if weight_decay)
//   b = d on the first step, else momentum * b + d
//   d = d + momentum * b  (nesterov)  or  d = b
//   p = p + (-lr) * d
#include "runtime/optimizers/optimizer.h"

#include <algorithm>
#include <vector>

namespace nnc::runtime {

struct SgdScalars {
    float wd, momentum, carry, neg_lr;  // carry: momentum, or 0 on the first step
};

namespace {

template <bool kMomentum, bool kNesterov>
[[gnu::always_inline]] inline void sgd_loop(float* __restrict p, const float* __restrict g, float* __restrict buf,
                                            int64_t n, SgdScalars s) {
    for (int64_t i = 0; i < n; ++i) {
        float d = g[i];
        d = d + s.wd * p[i];  // wd = 0 adds exactly 0
        if constexpr (kMomentum) {
            const float b = buf[i] * s.carry + d;
            buf[i] = b;
            d = kNesterov ? d + s.momentum * b : b;
        }
        p[i] = p[i] + s.neg_lr * d;
    }
}

}  // namespace

// The loops, one per variant, each compiled for every vector width.
NNC_VECTOR_CLONES void sgd_plain(float* p, const float* g, int64_t n, SgdScalars s) {
    sgd_loop<false, false>(p, g, nullptr, n, s);
}
NNC_VECTOR_CLONES void sgd_momentum(float* p, const float* g, float* buf, int64_t n, SgdScalars s) {
    sgd_loop<true, false>(p, g, buf, n, s);
}
NNC_VECTOR_CLONES void sgd_nesterov(float* p, const float* g, float* buf, int64_t n, SgdScalars s) {
    sgd_loop<true, true>(p, g, buf, n, s);
}

namespace {

class Sgd final : public Optimizer {
public:
    Sgd(const OptimizerConfig& config, int64_t count) : Optimizer(config, count) {
        if (config.momentum != 0) buffer_.assign(static_cast<size_t>(count), 0.0f);
    }

    // torch clones d into the buffer on the first step: b = 0 * momentum + d is the same.
    SgdScalars scalars() const {
        return {static_cast<float>(config_.weight_decay), static_cast<float>(config_.momentum),
                started_ ? static_cast<float>(config_.momentum) : 0.0f, static_cast<float>(-config_.lr)};
    }

    DeviceUpdate device_update() override {
        const SgdScalars s = scalars();
        started_ = true;
        return {DeviceKernel::Sgd,
                {1.0f, kNoClip, s.wd, s.momentum, s.carry, 1.0f, s.neg_lr, config_.momentum != 0 ? 1.0f : 0.0f,
                 config_.nesterov ? 1.0f : 0.0f}};
    }

    void step(float* params, const float* grads) override {
        const SgdScalars s = scalars();
        float* buf = buffer_.data();
        for_chunks([&](int64_t b, int64_t e) {
            if (config_.momentum == 0)
                sgd_plain(params + b, grads + b, e - b, s);
            else if (config_.nesterov)
                sgd_nesterov(params + b, grads + b, buf + b, e - b, s);
            else
                sgd_momentum(params + b, grads + b, buf + b, e - b, s);
        });
        started_ = true;
    }

    void reset() override {
        std::fill(buffer_.begin(), buffer_.end(), 0.0f);
        started_ = false;
    }

    void visit_state(OptimizerStateFields& f) override {
        f.flag("started", started_);
        f.buffer("momentum_buffer", buffer_);
    }

private:
    std::vector<float> buffer_;
    bool started_ = false;
};

}  // namespace

std::unique_ptr<Optimizer> make_sgd(const OptimizerConfig& config, int64_t count) {
    return std::make_unique<Sgd>(config, count);
}

}  // namespace nnc::runtime
