#include "runtime/train_state.h"

#include "runtime/errors.h"

#include <cstring>

namespace nnc::runtime {
namespace {

template <class T>
void put(std::vector<uint8_t>& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &v, sizeof(T));
}

class Cursor {
public:
    Cursor(const uint8_t* d, size_t n, const std::string& what, size_t base) : d_(d), n_(n), what_(what), base_(base) {}
    template <class T>
    T get() {
        T v;
        std::memcpy(&v, take(sizeof(T)), sizeof(T));
        return v;
    }
    const uint8_t* take(size_t k) {
        if (k > n_ - pos_) {
            throw Error(NNC_ERR_FORMAT, what_ + " at byte offset " + std::to_string(base_ + pos_) +
                                            ": the training state ends early; the file is truncated or corrupt");
        }
        pos_ += k;
        return d_ + pos_ - k;
    }
    size_t left() const { return n_ - pos_; }
    size_t at() const { return base_ + pos_; }

private:
    const uint8_t* d_;
    size_t n_;
    const std::string& what_;
    size_t base_, pos_ = 0;
};

}  // namespace

std::vector<uint8_t> serialize_train_state(const TrainState& s) {
    std::vector<uint8_t> out;
    put<uint8_t>(out, s.valid ? 1 : 0);
    put<uint64_t>(out, s.seed);
    put<int64_t>(out, s.epochs_done);
    put<int64_t>(out, s.updates);
    put<double>(out, s.schedule.plateau_lr);
    put<double>(out, s.schedule.best);
    put<int64_t>(out, s.schedule.bad_epochs);
    put<int64_t>(out, s.schedule.cooldown_left);
    put<double>(out, s.early_stopping.best);
    put<int64_t>(out, s.early_stopping.best_epoch);
    put<int64_t>(out, s.early_stopping.wait);
    const std::vector<float>& best = s.early_stopping.best_params;
    put<uint64_t>(out, best.size());
    const size_t at = out.size();
    out.resize(at + best.size() * sizeof(float));
    if (!best.empty()) std::memcpy(out.data() + at, best.data(), best.size() * sizeof(float));
    put<int64_t>(out, s.batches_done);
    put<int64_t>(out, s.samples_done);
    put<int64_t>(out, s.correct);
    put<int64_t>(out, s.epoch_updates);
    put<double>(out, s.loss_sum);
    put<double>(out, s.norm_sum);
    put<double>(out, s.lr);
    put<double>(out, s.seconds);
    put<uint64_t>(out, s.task_sums.size());
    for (double v : s.task_sums) put<double>(out, v);
    put<int64_t>(out, s.pending);
    put<int64_t>(out, s.micro);
    const size_t m = s.micro > 0 ? s.accumulated.size() : 0;
    put<uint64_t>(out, m);
    const size_t acc_at = out.size();
    out.resize(acc_at + m * sizeof(float));
    if (m) std::memcpy(out.data() + acc_at, s.accumulated.data(), m * sizeof(float));
    put<uint32_t>(out, 1);  // extension 1
    put<double>(out, s.lr_scale);
    put<int64_t>(out, s.rollbacks);
    put<double>(out, s.loss_reference);
    put<uint64_t>(out, s.param_norm_sums.size());
    for (double v : s.param_norm_sums) put<double>(out, v);
    put<uint32_t>(out, 2);  // extension 2
    put<int64_t>(out, s.counted);
    return out;
}

TrainState deserialize_train_state(const uint8_t* data, size_t size, const std::string& what, size_t base) {
    Cursor c(data, size, what, base);
    TrainState s;
    s.valid = c.get<uint8_t>() != 0;
    s.seed = c.get<uint64_t>();
    s.epochs_done = c.get<int64_t>();
    s.updates = c.get<int64_t>();
    s.schedule.plateau_lr = c.get<double>();
    s.schedule.best = c.get<double>();
    s.schedule.bad_epochs = c.get<int64_t>();
    s.schedule.cooldown_left = c.get<int64_t>();
    s.early_stopping.best = c.get<double>();
    s.early_stopping.best_epoch = c.get<int64_t>();
    s.early_stopping.wait = c.get<int64_t>();
    const size_t n_at = c.at();
    const uint64_t n = c.get<uint64_t>();
    if (n > c.left() / sizeof(float)) {
        throw Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(n_at) +
                                        ": the early-stopping weights claim " + std::to_string(n) +
                                        " values, more than the file holds; it is truncated or corrupt");
    }
    s.early_stopping.best_params.resize(n);
    if (n) std::memcpy(s.early_stopping.best_params.data(), c.take(n * sizeof(float)), n * sizeof(float));
    s.batches_done = c.get<int64_t>();
    s.samples_done = c.get<int64_t>();
    s.correct = c.get<int64_t>();
    s.epoch_updates = c.get<int64_t>();
    s.loss_sum = c.get<double>();
    s.norm_sum = c.get<double>();
    s.lr = c.get<double>();
    s.seconds = c.get<double>();
    const size_t k_at = c.at();
    const uint64_t k = c.get<uint64_t>();
    if (k > NNC_MAX_LOSSES) {
        throw Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(k_at) + ": the training state has " +
                                        std::to_string(k) + " per-loss sums (at most " +
                                        std::to_string(NNC_MAX_LOSSES) + "); the file is corrupt");
    }
    for (uint64_t i = 0; i < k; ++i) s.task_sums.push_back(c.get<double>());
    s.pending = c.get<int64_t>();
    s.micro = c.get<int64_t>();
    const size_t m_at = c.at();
    const uint64_t m = c.get<uint64_t>();
    if (m > c.left() / sizeof(float)) {
        throw Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(m_at) +
                                        ": the accumulated gradients claim " + std::to_string(m) +
                                        " values, more than the file holds; it is truncated or corrupt");
    }
    s.accumulated.resize(m);
    if (m) std::memcpy(s.accumulated.data(), c.take(m * sizeof(float)), m * sizeof(float));
    if (c.left() != 0) {  // extension 1 (files from before the divergence policy end here)
        const size_t ext_at = c.at();
        const uint32_t ext = c.get<uint32_t>();
        if (ext != 1) {
            throw Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(ext_at) +
                                            ": unknown training-state extension " + std::to_string(ext) +
                                            "; the file is corrupt or from a newer nnc");
        }
        s.lr_scale = c.get<double>();
        s.rollbacks = c.get<int64_t>();
        s.loss_reference = c.get<double>();
        const size_t p_at = c.at();
        const uint64_t p = c.get<uint64_t>();
        if (p > c.left() / sizeof(double)) {
            throw Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(p_at) +
                                            ": the gradient-norm sums claim " + std::to_string(p) +
                                            " values, more than the file holds; it is truncated or corrupt");
        }
        for (uint64_t i = 0; i < p; ++i) s.param_norm_sums.push_back(c.get<double>());
        if (!(s.lr_scale > 0 && s.lr_scale <= 1) || s.rollbacks < 0 || !(s.loss_reference >= 0)) {
            throw Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(ext_at) +
                                            ": the divergence state is out of range; the file is corrupt");
        }
    }
    // Extension 2: the labels behind `correct`. Files from before it could only train one label per
    // sample, so there it is the samples done.
    s.counted = s.samples_done;
    if (c.left() != 0) {
        const size_t ext_at = c.at();
        if (const uint32_t ext = c.get<uint32_t>(); ext != 2) {
            throw Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(ext_at) +
                                            ": unknown training-state extension " + std::to_string(ext) +
                                            "; the file is corrupt or from a newer nnc");
        }
        s.counted = c.get<int64_t>();
    }
    if (c.left() != 0) {
        throw Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(c.at()) + ": " +
                                        std::to_string(c.left()) +
                                        " unexpected bytes after the training state; the file is corrupt");
    }
    if (s.epochs_done < 0 || s.updates < 0 || s.batches_done < 0 || s.samples_done < 0 || s.correct < 0 ||
        s.counted < 0 || s.epoch_updates < 0 || s.pending < 0 || s.micro < 0 || (s.micro > 0) != (m > 0)) {
        throw Error(NNC_ERR_FORMAT,
                    what + " at byte offset " + std::to_string(base) +
                        ": the training state has a negative or inconsistent count; the file is corrupt");
    }
    return s;
}

}  // namespace nnc::runtime
