// The training loop (nnc_train) and evaluation (nnc_evaluate).
//
// Each epoch visits the training set in a fresh order: a Fisher–Yates shuffle driven by
// Rng(stream_seed(config->seed, "shuffle/<epoch>")), so a seed reproduces a run exactly. Batches
// hold config->batch samples; the last one holds the remainder. The loss reported is the mean over
// samples (each batch's mean loss weighted by its size).
#include "runtime/dataset.h"
#include "runtime/errors.h"
#include "runtime/initializers.h"
#include "runtime/model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace nnc::runtime {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Throws unless `data` can feed `model` (sizes, target kind, class range).
void check_compatible(const nnc_model& model, const nnc_dataset& data, const char* what) {
    const std::string prefix = std::string(what) + " ";
    require(data.sample_size == model.input_size,
            prefix + "samples have " + std::to_string(data.sample_size) + " values but model '" +
                model.desc->model_name + "' takes inputs of " + std::to_string(model.input_size));
    require(static_cast<int>(data.kind) == model.desc->target_kind,
            prefix + "has " + (data.kind == NNC_TARGET_CLASSES ? "class" : "real") + " targets but model '" +
                model.desc->model_name + "' expects " +
                (model.desc->target_kind == NNC_TARGET_CLASSES ? "class" : "real") + " targets");
    if (data.kind == NNC_TARGET_CLASSES) {
        require(data.max_class < model.desc->num_classes,
                prefix + "has labels up to " + std::to_string(data.max_class) + " but model '" + model.desc->model_name +
                    "' has " + std::to_string(model.desc->num_classes) + " classes");
    } else {
        require(data.target_size == model.target_size,
                prefix + "targets have " + std::to_string(data.target_size) + " values but model '" +
                    model.desc->model_name + "' predicts " + std::to_string(model.target_size));
    }
}

int64_t argmax(const float* row, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; ++j) {
        if (row[j] > row[best]) best = j;
    }
    return best;
}

// Correct predictions among `batch` rows of `width` scores against class targets.
int64_t count_correct(const float* scores, int64_t width, const int32_t* classes, int64_t batch) {
    int64_t correct = 0;
    for (int64_t i = 0; i < batch; ++i) correct += argmax(scores + i * width, width) == classes[i];
    return correct;
}

// Gathers samples `order[first..first+n)` into contiguous input and target buffers.
struct Batch {
    std::vector<float> input, values;
    std::vector<int32_t> classes;

    void gather(const nnc_dataset& data, const int64_t* order, int64_t n) {
        input.resize(static_cast<size_t>(n * data.sample_size));
        for (int64_t i = 0; i < n; ++i) {
            std::copy_n(data.sample(order[i]), data.sample_size, input.data() + i * data.sample_size);
        }
        if (data.kind == NNC_TARGET_CLASSES) {
            classes.resize(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) classes[i] = data.classes[order[i]];
        } else {
            values.resize(static_cast<size_t>(n * data.target_size));
            for (int64_t i = 0; i < n; ++i) {
                std::copy_n(data.values.data() + order[i] * data.target_size, data.target_size,
                            values.data() + i * data.target_size);
            }
        }
    }
    const void* target(const nnc_dataset& data) const {
        return data.kind == NNC_TARGET_CLASSES ? static_cast<const void*>(classes.data()) : values.data();
    }
};

void evaluate(nnc_model& model, const nnc_dataset& data, int64_t batch, double* loss, double* accuracy) {
    check_compatible(model, data, "the evaluation dataset");
    const bool classes = data.kind == NNC_TARGET_CLASSES;
    const int64_t width = model.output_size;
    std::vector<float> output(static_cast<size_t>(std::min(batch, data.count) * width));
    double total = 0.0;
    int64_t correct = 0;
    for (int64_t first = 0; first < data.count; first += batch) {
        const int64_t n = std::min(batch, data.count - first);
        run_forward(model, data.sample(first), n, output.data());
        if (classes) {
            // forward returns probabilities: cross-entropy is -log p[label], clamped.
            const int32_t* labels = data.classes.data() + first;
            for (int64_t i = 0; i < n; ++i) {
                total -= std::log(std::max(static_cast<double>(output[i * width + labels[i]]), 1e-12));
            }
            correct += count_correct(output.data(), width, labels, n);
        } else {
            // Mean squared error over every element (torch.nn.MSELoss, reduction "mean").
            const float* target = data.values.data() + first * data.target_size;
            double sum = 0.0;
            for (int64_t i = 0; i < n * width; ++i) {
                const double e = static_cast<double>(output[i]) - target[i];
                sum += e * e;
            }
            total += sum / static_cast<double>(width);
        }
    }
    *loss = total / static_cast<double>(data.count);
    *accuracy = classes ? static_cast<double>(correct) / static_cast<double>(data.count) : kNaN;
}

}  // namespace
}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_evaluate(nnc_model* model, const nnc_dataset* data, int64_t batch, double* loss, double* accuracy) {
    return guarded("nnc_evaluate", [&] {
        nnc_model& m = require_model(model, "nnc_evaluate");
        require(data != nullptr, "nnc_evaluate: data is NULL");
        require(batch > 0, "nnc_evaluate: batch must be > 0, got " + std::to_string(batch));
        require(m.output_size == (data->kind == NNC_TARGET_CLASSES ? m.desc->num_classes : data->target_size),
                "nnc_evaluate: model '" + std::string(m.desc->model_name) + "' outputs " + std::to_string(m.output_size) +
                    " values per sample, which cannot be scored against these targets");
        double l = 0, a = 0;
        evaluate(m, *data, batch, &l, &a);
        if (loss) *loss = l;
        if (accuracy) *accuracy = a;
        return NNC_OK;
    });
}

nnc_status nnc_train(nnc_model* model, const nnc_dataset* train, const nnc_dataset* validation,
                     const nnc_train_config* config) {
    return guarded("nnc_train", [&]() -> nnc_status {
        nnc_model& m = require_model(model, "nnc_train");
        require(train != nullptr, "nnc_train: train is NULL");
        require(config != nullptr, "nnc_train: config is NULL; start from nnc_model_default_train_config");
        require(config->epochs > 0, "nnc_train: epochs must be > 0, got " + std::to_string(config->epochs));
        require(config->batch > 0, "nnc_train: batch must be > 0, got " + std::to_string(config->batch));
        check_compatible(m, *train, "the training set");
        if (validation) check_compatible(m, *validation, "the validation set");

        const bool classes = train->kind == NNC_TARGET_CLASSES;
        const int64_t width = m.prediction_size;
        std::vector<int64_t> order(static_cast<size_t>(train->count));
        std::vector<float> prediction(static_cast<size_t>(std::min(config->batch, train->count) * width));
        Batch batch;

        for (int64_t epoch = 1; epoch <= config->epochs; ++epoch) {
            const Clock::time_point start = Clock::now();
            std::iota(order.begin(), order.end(), int64_t{0});
            Rng rng(stream_seed(config->seed, "shuffle/" + std::to_string(epoch)));
            for (int64_t i = train->count - 1; i > 0; --i) {
                std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
            }

            double loss_sum = 0.0;
            int64_t correct = 0, done = 0, step = 0;
            for (int64_t first = 0; first < train->count; first += config->batch) {
                const int64_t n = std::min(config->batch, train->count - first);
                ++step;
                batch.gather(*train, order.data() + first, n);
                const float loss = run_gradients(m, batch.input.data(), batch.target(*train), n, prediction.data());
                if (!std::isfinite(loss)) {
                    throw Error(NNC_ERR_NUMERIC, std::string("loss became ") + (std::isnan(loss) ? "NaN" : "infinite") +
                                                     " at epoch " + std::to_string(epoch) + " step " + std::to_string(step) +
                                                     " (lr=" + std::to_string(m.optimizer_config.lr) +
                                                     "); lower the learning rate");
                }
                m.optimizer->step(m.params.get(), m.grads.get());
                loss_sum += static_cast<double>(loss) * static_cast<double>(n);
                if (classes) correct += count_correct(prediction.data(), width, batch.classes.data(), n);
                done += n;

                if (config->on_batch) {
                    const double elapsed = seconds_since(start);
                    nnc_progress progress{};
                    progress.epoch = epoch;
                    progress.epochs = config->epochs;
                    progress.samples_done = done;
                    progress.samples_total = train->count;
                    progress.loss = loss_sum / static_cast<double>(done);
                    progress.accuracy = classes ? static_cast<double>(correct) / static_cast<double>(done) : kNaN;
                    progress.samples_per_second = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
                    progress.elapsed_seconds = elapsed;
                    if (config->on_batch(config->user, &progress) != 0) return NNC_OK;
                }
            }

            const double seconds = seconds_since(start);  // training only, before validation
            nnc_epoch_stats stats{};
            stats.epoch = epoch;
            stats.epochs = config->epochs;
            stats.train_loss = loss_sum / static_cast<double>(done);
            stats.train_accuracy = classes ? static_cast<double>(correct) / static_cast<double>(done) : kNaN;
            stats.val_loss = kNaN;
            stats.val_accuracy = kNaN;
            if (validation) evaluate(m, *validation, config->batch, &stats.val_loss, &stats.val_accuracy);
            stats.samples_per_second = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
            stats.seconds = seconds;
            stats.lr = m.optimizer_config.lr;
            if (config->on_epoch && config->on_epoch(config->user, &stats) != 0) return NNC_OK;
        }
        return NNC_OK;
    });
}

}  // extern "C"
