/* nnc — a thin C++20 wrapper over the C ABI of nnc.h (header only; the model library exports only
 * the C functions). Every generated model.h carries it after the C declarations, with the model's
 * own shapes as constants (nnc::models::<name>::Spec) and nnc::models::<name>::Model.
 *
 * Errors: every failing call throws nnc::Error (a std::runtime_error holding the nnc_status and
 * nnc_last_error()'s message); nothing returns a status. Sizes are checked before the C call.
 * Ownership: Model and Dataset own their handles (move-only, destroyed with the object).
 * Buffers are std::span: row-major, batch first, as in nnc.h; nnc::Batch<T, N> views a buffer as
 * samples of N elements.
 */
#ifndef NNC_NNC_HPP
#define NNC_NNC_HPP

#include "nnc/nnc.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace nnc {

class Error : public std::runtime_error {
public:
    Error(nnc_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    nnc_status status() const noexcept { return status_; }

private:
    nnc_status status_;
};

inline void check(nnc_status status) {
    if (status != NNC_OK) throw Error(status, nnc_last_error());
}
inline void require(bool ok, const std::string& message) {
    if (!ok) throw Error(NNC_ERR_INVALID_ARGUMENT, message);
}

// A buffer of samples with N elements each: batch[i] is sample i as a fixed-size span.
template <class T, std::size_t N>
class Batch {
public:
    explicit Batch(std::span<T> data) : data_(data) {
        require(data.size() % N == 0, "a batch buffer of " + std::to_string(data.size()) +
                                          " elements is not a whole number of samples of " + std::to_string(N));
    }
    int64_t size() const noexcept { return static_cast<int64_t>(data_.size() / N); }
    std::span<T, N> operator[](int64_t i) const { return std::span<T, N>(data_.data() + i * N, N); }
    std::span<T> data() const noexcept { return data_; }

private:
    std::span<T> data_;
};

class Dataset {
public:
    static Dataset load_idx(const std::string& images, const std::string& labels) {
        nnc_dataset* d = nullptr;
        check(nnc_dataset_load_idx(images.c_str(), labels.c_str(), &d));
        return Dataset(d);
    }
    // Class targets: one label per sample.
    static Dataset from_memory(std::span<const float> samples, std::span<const int32_t> labels) {
        require(!labels.empty() && samples.size() % labels.size() == 0,
                "from_memory: " + std::to_string(samples.size()) + " sample values for " +
                    std::to_string(labels.size()) + " labels");
        nnc_dataset* d = nullptr;
        check(nnc_dataset_from_memory(samples.data(), labels.data(), static_cast<int64_t>(labels.size()),
                                      static_cast<int64_t>(samples.size() / labels.size()), NNC_TARGET_CLASSES, 1, &d));
        return Dataset(d);
    }
    Dataset slice(int64_t begin, int64_t count) const {
        nnc_dataset* d = nullptr;
        check(nnc_dataset_slice(d_, begin, count, &d));
        return Dataset(d);
    }
    int64_t size() const { return nnc_dataset_size(d_); }
    int64_t sample_size() const { return nnc_dataset_sample_size(d_); }
    const nnc_dataset* get() const noexcept { return d_; }

    Dataset(Dataset&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
    Dataset& operator=(Dataset&& o) noexcept {
        std::swap(d_, o.d_);
        return *this;
    }
    Dataset(const Dataset&) = delete;
    Dataset& operator=(const Dataset&) = delete;
    ~Dataset() { nnc_dataset_destroy(d_); }

private:
    explicit Dataset(nnc_dataset* d) : d_(d) {}
    nnc_dataset* d_ = nullptr;
};

// The C training configuration plus callbacks as std::function (return false to stop training).
struct TrainOptions {
    nnc_train_config config{};
    nnc_optimizer_config optimizer{};
    int64_t validation = 0;  // the model's own hold-out count (the caller slices the data)
    std::function<bool(const nnc_progress&)> on_batch;
    std::function<bool(const nnc_epoch_stats&)> on_epoch;

    // One train setting from its .nn text (nnc_train_config_set): set("schedule", "cosine(epochs=20)").
    TrainOptions& set(const std::string& key, const std::string& text) {
        check(nnc_train_config_set(&config, &optimizer, key.c_str(), text.c_str()));
        return *this;
    }
};

struct ParamInfo {
    std::string name;
    std::vector<int64_t> shape;
    int64_t count = 0;
    bool trainable = true;
};

struct DropoutInfo {
    std::string name;
    double rate = 0, declared_rate = 0;  // current, and the .nn file's
};

struct Evaluation {
    double loss = 0, accuracy = 0;  // accuracy is NaN without class targets
};

class Model {
public:
    Model() { check(nnc_model_create(&m_)); }
    Model(Model&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    Model& operator=(Model&& o) noexcept {
        std::swap(m_, o.m_);
        return *this;
    }
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;
    ~Model() { nnc_model_destroy(m_); }

    nnc_model* get() noexcept { return m_; }
    const nnc_model* get() const noexcept { return m_; }
    std::string name() const { return nnc_model_name(m_); }
    int64_t input_size() const { return nnc_model_input_size(m_); }
    int64_t output_size() const { return nnc_model_output_size(m_); }
    int64_t num_classes() const { return nnc_model_num_classes(m_); }

    int num_params() const { return nnc_model_num_params(m_); }
    ParamInfo param_info(int index) const {
        const char* name = nullptr;
        int rank = 0;
        const int64_t* dims = nullptr;
        check(nnc_model_param_info(m_, index, &name, &rank, &dims));
        return {name, std::vector<int64_t>(dims, dims + rank), nnc_model_param_count(m_, index),
                index < nnc_model_num_trainable_params(m_)};
    }
    std::vector<float> param(int index) const {
        std::vector<float> values(static_cast<size_t>(nnc_model_param_count(m_, index)));
        check(nnc_model_get_param(m_, index, values.data(), static_cast<int64_t>(values.size())));
        return values;
    }
    void set_param(int index, std::span<const float> values) {
        check(nnc_model_set_param(m_, index, values.data(), static_cast<int64_t>(values.size())));
    }

    void init(uint64_t seed) { check(nnc_model_init(m_, seed)); }

    // Inference on a whole batch: input is (batch, input_size) of float (or int32 token ids for an
    // int32 input); output receives (batch, output_size).
    template <class T>
    void forward(std::span<const T> input, std::span<float> output) {
        static_assert(std::is_same_v<T, float> || std::is_same_v<T, int32_t>, "inputs are float or int32_t");
        require((std::is_same_v<T, int32_t>) == (nnc_model_input_dtype(m_) == NNC_DTYPE_INT32),
                "forward: the model's input is " +
                    std::string(nnc_model_input_dtype(m_) == NNC_DTYPE_INT32 ? "int32" : "float") +
                    "; pass a span of that type");
        const int64_t batch = batch_of(input.size(), input_size(), "forward input");
        require(static_cast<int64_t>(output.size()) == batch * output_size(),
                "forward: output holds " + std::to_string(output.size()) + " floats, the batch needs " +
                    std::to_string(batch * output_size()));
        check(nnc_model_forward(m_, input.data(), batch, output.data()));
    }
    template <class T>
    std::vector<float> forward(std::span<const T> input) {
        std::vector<float> output(input.size() / static_cast<size_t>(input_size()) *
                                  static_cast<size_t>(output_size()));
        forward(input, std::span<float>(output));
        return output;
    }

    // One optimizer step on a batch with class labels; returns the mean loss.
    float train_step(std::span<const float> input, std::span<const int32_t> labels) {
        const int64_t batch = batch_of(input.size(), input_size(), "train_step input");
        require(static_cast<int64_t>(labels.size()) == batch,
                "train_step: " + std::to_string(labels.size()) + " labels for a batch of " + std::to_string(batch));
        float loss = 0;
        check(nnc_model_train_step(m_, input.data(), labels.data(), batch, &loss, nullptr));
        return loss;
    }

    void set_optimizer(const nnc_optimizer_config& config) { check(nnc_model_set_optimizer(m_, &config)); }

    // Dropout rates, read by every training step (0 turns a layer off; inference never drops).
    int num_dropouts() const { return nnc_model_num_dropouts(m_); }
    DropoutInfo dropout_info(int index) const {
        const char* name = nullptr;
        DropoutInfo d;
        check(nnc_model_dropout_info(m_, index, &name, &d.rate, &d.declared_rate));
        d.name = name;
        return d;
    }
    void set_dropout_rate(int index, double rate) { check(nnc_model_set_dropout_rate(m_, index, rate)); }

    // The .nn file's train section (the optimizer is also installed, as nnc train does).
    TrainOptions default_train_options() {
        TrainOptions o;
        check(nnc_model_default_train_config(m_, &o.config, &o.optimizer, &o.validation));
        set_optimizer(o.optimizer);
        return o;
    }
    // Trains with the model's current optimizer; validation may be null. Exceptions thrown by a
    // callback stop training and are rethrown here.
    void train(const Dataset& data, const Dataset* validation, const TrainOptions& options) {
        struct Hooks {
            const TrainOptions* o;
            std::exception_ptr error;
        } hooks{&options, nullptr};
        nnc_train_config config = options.config;
        config.user = &hooks;
        config.on_batch = options.on_batch ? +[](void* user, const nnc_progress* p) -> int {
            auto* h = static_cast<Hooks*>(user);
            try {
                return h->o->on_batch(*p) ? 0 : 1;
            } catch (...) {
                h->error = std::current_exception();
                return 1;
            }
        }
                                           : nullptr;
        config.on_epoch = options.on_epoch ? +[](void* user, const nnc_epoch_stats* s) -> int {
            auto* h = static_cast<Hooks*>(user);
            try {
                return h->o->on_epoch(*s) ? 0 : 1;
            } catch (...) {
                h->error = std::current_exception();
                return 1;
            }
        }
        : nullptr;
        const nnc_status status = nnc_train(m_, data.get(), validation ? validation->get() : nullptr, &config);
        if (hooks.error) std::rethrow_exception(hooks.error);
        check(status);
    }
    Evaluation evaluate(const Dataset& data, int64_t batch = 256) {
        Evaluation e;
        check(nnc_evaluate(m_, data.get(), batch, &e.loss, &e.accuracy));
        return e;
    }

    // Outputs in the user's units (nnc_predict) for every sample of `data`: (size, output_size).
    // Single-loss models; the C function takes one output buffer per loss.
    std::vector<float> predict(const Dataset& data, int64_t batch = 256) {
        require(nnc_model_num_losses(m_) == 1, "predict: the model has " + std::to_string(nnc_model_num_losses(m_)) +
                                                   " losses; call nnc_predict with one buffer per loss");
        std::vector<float> out(static_cast<size_t>(data.size() * output_size()));
        float* outputs[1] = {out.data()};
        check(nnc_predict(m_, data.get(), batch, outputs));
        return out;
    }

    void save(const std::string& path) const { check(nnc_model_save(m_, path.c_str())); }
    void load(const std::string& path) { check(nnc_model_load(m_, path.c_str())); }
    void export_npz(const std::string& path) const { check(nnc_model_export_npz(m_, path.c_str())); }
    void import_npz(const std::string& path) { check(nnc_model_import_npz(m_, path.c_str())); }

protected:
    static int64_t batch_of(size_t elements, int64_t per_sample, const char* what) {
        require(per_sample > 0 && elements > 0 && elements % static_cast<size_t>(per_sample) == 0,
                std::string(what) + ": " + std::to_string(elements) + " elements is not a whole number of samples of " +
                    std::to_string(per_sample));
        return static_cast<int64_t>(elements / static_cast<size_t>(per_sample));
    }

    nnc_model* m_ = nullptr;
};

// A model whose shapes are known at compile time (Spec comes from the generated header). The
// constructor checks that the linked library is the one the header was generated with.
template <class Spec>
class TypedModel : public Model {
public:
    using spec = Spec;
    using input_type = typename Spec::input_type;
    using Sample = std::span<const input_type, Spec::input_size>;  // one sample
    using Output = std::array<float, Spec::output_size>;           // its output
    using Inputs = Batch<const input_type, Spec::input_size>;      // a batch of samples
    using Outputs = Batch<float, Spec::output_size>;

    TypedModel() {
        require(input_size() == static_cast<int64_t>(Spec::input_size) &&
                    output_size() == static_cast<int64_t>(Spec::output_size) && num_params() == Spec::num_params &&
                    name() == Spec::name,
                "the linked model library (" + name() + ") does not match the header of " + Spec::name +
                    ": rebuild, or link the library that header came with");
    }

    Output predict(Sample sample) {
        Output out;
        Model::forward(std::span<const input_type>(sample), std::span<float>(out));
        return out;
    }
    using Model::predict;
    void forward(Inputs inputs, Outputs outputs) {
        require(inputs.size() == outputs.size(), "forward: " + std::to_string(inputs.size()) + " inputs but room for " +
                                                     std::to_string(outputs.size()) + " outputs");
        Model::forward(inputs.data(), outputs.data());
    }
    using Model::forward;

    // The most probable class of one sample (class models).
    int classify(Sample sample) requires(Spec::num_classes > 0) {
        const Output p = predict(sample);
        int best = 0;
        for (int c = 1; c < static_cast<int>(Spec::output_size); ++c)
            if (p[c] > p[best]) best = c;
        return best;
    }
};

}  // namespace nnc

#endif /* NNC_NNC_HPP */
