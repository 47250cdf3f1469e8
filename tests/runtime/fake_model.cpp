#include "tests/runtime/fake_model.h"

#include <HalideRuntime.h>
#include <nnc/model_desc.h>
#include <nnc/nnc.h>

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

constexpr int kIn = 4;
FakeModel current = FakeModel::classifier;
int failures_left = 0;
std::vector<float> seen_rates;

template <FakeModel M>
constexpr int outputs() {
    return M == FakeModel::classifier ? 3 : 2;
}

// Checks one buffer against the convention: `extents` innermost first, dense strides, the type.
bool conforms(const halide_buffer_t* b, std::vector<int> extents, halide_type_code_t code) {
    if (!b || !b->host || b->type.code != code || b->type.bits != 32 || b->type.lanes != 1) return false;
    if (b->dimensions != static_cast<int>(extents.size())) return false;
    int stride = 1;
    for (size_t i = 0; i < extents.size(); ++i) {
        const halide_dimension_t& d = b->dim[i];
        if (d.min != 0 || d.extent != extents[i] || d.stride != stride) return false;
        stride *= extents[i];
    }
    return true;
}

// Element (i0 innermost, i1) of a 1-d or 2-d float buffer, through its strides.
float& at(halide_buffer_t* b, int i0, int i1 = 0) {
    float* p = reinterpret_cast<float*>(b->host);
    return p[i0 * b->dim[0].stride + (b->dimensions > 1 ? i1 * b->dim[1].stride : 0)];
}

bool should_fail() {
    if (failures_left <= 0) return false;
    --failures_left;
    return true;
}

// logits(n, o) = sum_i x(n, i) * w(i, o) + b(o)
template <FakeModel M>
void dense(halide_buffer_t* x, halide_buffer_t* w, halide_buffer_t* bias, int n, halide_buffer_t* out) {
    for (int o = 0; o < outputs<M>(); ++o) {
        double s = at(bias, o);
        for (int i = 0; i < kIn; ++i) s += static_cast<double>(at(x, i, n)) * at(w, o, i);
        at(out, o, n) = static_cast<float>(s);
    }
}

// forward(args): input (N, 4), weight [4, O], bias [O], output (N, O)
template <FakeModel M>
int fake_forward(void** args) {
    auto** b = reinterpret_cast<halide_buffer_t**>(args);
    if (should_fail()) return -1;
    const int O = outputs<M>();
    if (!conforms(b[0], {kIn, b[0]->dimensions == 2 ? b[0]->dim[1].extent : -1}, halide_type_float)) return -2;
    const int N = b[0]->dim[1].extent;
    if (!conforms(b[1], {O, kIn}, halide_type_float) || !conforms(b[2], {O}, halide_type_float) ||
        !conforms(b[3], {O, N}, halide_type_float)) {
        return -2;
    }
    for (int n = 0; n < N; ++n) {
        dense<M>(b[0], b[1], b[2], n, b[3]);
        if (M == FakeModel::classifier) {  // softmax probabilities
            double m = at(b[3], 0, n), sum = 0;
            for (int o = 1; o < O; ++o) m = std::max(m, static_cast<double>(at(b[3], o, n)));
            for (int o = 0; o < O; ++o) sum += std::exp(at(b[3], o, n) - m);
            for (int o = 0; o < O; ++o) at(b[3], o, n) = static_cast<float>(std::exp(at(b[3], o, n) - m) / sum);
        }
    }
    return 0;
}

// Mean loss over the batch; the prediction (logits) into `pred`; gradients into dw/db if given.
template <FakeModel M>
double loss_and_grads(halide_buffer_t* x, halide_buffer_t* target, halide_buffer_t* w, halide_buffer_t* bias, int N,
                      halide_buffer_t* pred, halide_buffer_t* dw_out, halide_buffer_t* db_out) {
    const int O = outputs<M>();
    const bool classes = M == FakeModel::classifier;
    std::vector<double> dw(kIn * O, 0.0), db(O, 0.0);
    double loss = 0;
    for (int n = 0; n < N; ++n) {
        dense<M>(x, w, bias, n, pred);
        std::vector<double> d_logit(O);  // d(sample loss) / d(prediction)
        if (classes) {
            const int y = reinterpret_cast<const int32_t*>(target->host)[n * target->dim[0].stride];
            double m = at(pred, 0, n), sum = 0;
            for (int o = 1; o < O; ++o) m = std::max(m, static_cast<double>(at(pred, o, n)));
            for (int o = 0; o < O; ++o) sum += std::exp(at(pred, o, n) - m);
            loss += std::log(sum) + m - at(pred, y, n);
            for (int o = 0; o < O; ++o) d_logit[o] = std::exp(at(pred, o, n) - m) / sum - (o == y ? 1.0 : 0.0);
        } else {
            for (int o = 0; o < O; ++o) {
                const double e = static_cast<double>(at(pred, o, n)) - at(target, o, n);
                loss += e * e / O;
                d_logit[o] = 2.0 * e / O;
            }
        }
        for (int o = 0; o < O; ++o) {
            db[o] += d_logit[o];
            for (int i = 0; i < kIn; ++i) dw[i * O + o] += d_logit[o] * at(x, i, n);
        }
    }
    if (dw_out && db_out) {
        for (int o = 0; o < O; ++o) {
            at(db_out, o) = static_cast<float>(db[o] / N);
            for (int i = 0; i < kIn; ++i) at(dw_out, o, i) = static_cast<float>(dw[i * O + o] / N);
        }
    }
    return loss / N;
}

template <FakeModel M>
bool inputs_conform(halide_buffer_t** b, int* N) {
    const int O = outputs<M>();
    if (!conforms(b[0], {kIn, b[0]->dimensions == 2 ? b[0]->dim[1].extent : -1}, halide_type_float)) return false;
    *N = b[0]->dim[1].extent;
    const bool target_ok =
        M == FakeModel::classifier ? conforms(b[1], {*N}, halide_type_int) : conforms(b[1], {O, *N}, halide_type_float);
    return target_ok && conforms(b[2], {O, kIn}, halide_type_float) && conforms(b[3], {O}, halide_type_float);
}

// train_step(args): input (N, 4), target (N) int32 | (N, 2) float, weight, bias, seed (uint32*),
//                   dropout_rates [max(1, dropouts)], loss (0-d), loss_0 (0-d), prediction_0 (N, O),
//                   d_weight [4, O], d_bias [O]
template <FakeModel M>
int fake_train_step(void** args) {
    auto** b = reinterpret_cast<halide_buffer_t**>(args);
    if (should_fail()) return -1;
    const int O = outputs<M>();
    int N = 0;
    const int rates = M == FakeModel::classifier ? 2 : 1;
    if (!inputs_conform<M>(b, &N) || args[4] == nullptr || !conforms(b[5], {rates}, halide_type_float) ||
        !conforms(b[6], {}, halide_type_float) || !conforms(b[7], {}, halide_type_float) ||
        !conforms(b[8], {O, N}, halide_type_float) || !conforms(b[9], {O, kIn}, halide_type_float) ||
        !conforms(b[10], {O}, halide_type_float)) {
        return -2;
    }
    const float* r = reinterpret_cast<const float*>(b[5]->host);
    seen_rates.assign(r, r + rates);
    const double loss = loss_and_grads<M>(b[0], b[1], b[2], b[3], N, b[8], b[9], b[10]);
    *reinterpret_cast<float*>(b[6]->host) = static_cast<float>(loss);
    *reinterpret_cast<float*>(b[7]->host) = static_cast<float>(loss);
    return 0;
}

// evaluate(args): input, target, weight, bias, loss (0-d), loss_0 (0-d), output_0 (N, O)
template <FakeModel M>
int fake_evaluate(void** args) {
    auto** b = reinterpret_cast<halide_buffer_t**>(args);
    if (should_fail()) return -1;
    const int O = outputs<M>();
    int N = 0;
    if (!inputs_conform<M>(b, &N) || !conforms(b[4], {}, halide_type_float) || !conforms(b[5], {}, halide_type_float) ||
        !conforms(b[6], {O, N}, halide_type_float)) {
        return -2;
    }
    const double loss = loss_and_grads<M>(b[0], b[1], b[2], b[3], N, b[6], nullptr, nullptr);
    *reinterpret_cast<float*>(b[4]->host) = static_cast<float>(loss);
    *reinterpret_cast<float*>(b[5]->host) = static_cast<float>(loss);
    if (M == FakeModel::classifier) {  // the output is the probabilities, as forward's
        for (int n = 0; n < N; ++n) {
            double m = at(b[6], 0, n), sum = 0;
            for (int o = 1; o < O; ++o) m = std::max(m, static_cast<double>(at(b[6], o, n)));
            for (int o = 0; o < O; ++o) sum += std::exp(at(b[6], o, n) - m);
            for (int o = 0; o < O; ++o) at(b[6], o, n) = static_cast<float>(std::exp(at(b[6], o, n) - m) / sum);
        }
    }
    return 0;
}

nnc_model_desc make_descriptor(FakeModel which) {
    static nnc_param_desc classifier_params[2] = {
        {"fc.weight", 2, {4, 3}, NNC_INIT_HE_NORMAL, 0.0, 4, 3, 0.0, 1, 0},
        {"fc.bias", 1, {3}, NNC_INIT_ZEROS, 0.0, 4, 3, 0.0, 1, 0},
    };
    static nnc_param_desc regressor_params[2] = {
        {"fc.weight", 2, {4, 2}, NNC_INIT_XAVIER_UNIFORM, 0.0, 4, 2, 0.0, 1, 0},
        {"fc.bias", 1, {2}, NNC_INIT_ZEROS, 0.0, 4, 2, 0.0, 1, 0},
    };
    static nnc_param_desc constrained_params[2] = {
        {"fc.weight", 2, {4, 3}, NNC_INIT_HE_NORMAL, 0.0, 4, 3, 0.5, 1, 0},
        {"fc.bias", 1, {3}, NNC_INIT_ZEROS, 0.0, 4, 3, 0.0, 1, 0},
    };
    static const nnc_target_desc class_target = {{"y", 0, {}}, NNC_TARGET_CLASSES, 3, 1, -100};
    static const nnc_target_desc real_target = {{"y", 1, {2}}, NNC_TARGET_REAL, 0, 0, 0};
    static const nnc_loss_desc class_loss = {"loss", NNC_LOSS_SOFTMAX_CROSS_ENTROPY, 1.0, 0, {"fc", 1, {3}}};
    static const nnc_loss_desc real_loss = {"loss", NNC_LOSS_MSE, 1.0, 0, {"fc", 1, {2}}};
    const bool classes = which != FakeModel::regressor;
    nnc_model_desc d{};
    d.abi_version = NNC_ABI_VERSION;
    d.model_name = classes ? "fake_classifier" : "fake_regressor";
    d.nnc_version = "test";
    d.source_hash = classes ? "hash-classifier" : "hash-regressor";
    d.num_params = 2;
    d.num_trainable = 2;
    d.params = which == FakeModel::classifier  ? classifier_params
               : which == FakeModel::regressor ? regressor_params
                                               : constrained_params;
    d.input = {"x", 1, {kIn}};
    d.input_dtype = NNC_DTYPE_FLOAT32;
    d.num_targets = 1;
    d.targets = classes ? &class_target : &real_target;
    d.num_losses = 1;
    d.losses = classes ? &class_loss : &real_loss;
    d.forward = classes ? &fake_forward<FakeModel::classifier> : &fake_forward<FakeModel::regressor>;
    d.evaluate = classes ? &fake_evaluate<FakeModel::classifier> : &fake_evaluate<FakeModel::regressor>;
    d.train_step = classes ? &fake_train_step<FakeModel::classifier> : &fake_train_step<FakeModel::regressor>;
    d.optimizer = "sgd";
    d.lr = 0.1;
    d.momentum = 0.9;
    d.beta1 = 0.9;
    d.beta2 = 0.999;
    d.eps = 1e-8;
    d.batch = 16;
    d.epochs = 3;
    d.validation = 100;
    d.seed = 42;
    static const nnc_dropout_desc dropouts[2] = {{"drop_a", 0.5}, {"drop_b", 0.25}};
    if (classes) {  // the constrained model shares the classifier's pipelines
        d.num_dropouts = 2;
        d.dropouts = dropouts;
    }
    return d;
}

}  // namespace

void use_fake_model(FakeModel which) { current = which; }

void fail_next_pipeline_calls(int n) { failures_left = n; }

std::vector<float> last_dropout_rates() { return seen_rates; }

extern "C" const nnc_model_desc* nnc_model_descriptor(void) {
    static const nnc_model_desc classifier = make_descriptor(FakeModel::classifier);
    static const nnc_model_desc regressor = make_descriptor(FakeModel::regressor);
    static const nnc_model_desc constrained = make_descriptor(FakeModel::constrained);
    return current == FakeModel::classifier ? &classifier : current == FakeModel::regressor ? &regressor : &constrained;
}
