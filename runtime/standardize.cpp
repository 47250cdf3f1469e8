#include "runtime/standardize.h"

#include "runtime/dataset.h"
#include "runtime/errors.h"

#include <cmath>
#include <cstring>

namespace nnc::runtime {

Standardization fit_standardization(const float* values, int64_t rows, int64_t cols) {
    require(rows > 0 && cols > 0, "standardization needs at least one row and one column");
    std::vector<double> sum(static_cast<size_t>(cols), 0.0), sq(static_cast<size_t>(cols), 0.0);
    for (int64_t i = 0; i < rows; ++i) {
        const float* row = values + i * cols;
        for (int64_t j = 0; j < cols; ++j) sum[j] += row[j];
    }
    for (int64_t j = 0; j < cols; ++j) sum[j] /= static_cast<double>(rows);  // now the mean
    for (int64_t i = 0; i < rows; ++i) {
        const float* row = values + i * cols;
        for (int64_t j = 0; j < cols; ++j) {
            const double d = row[j] - sum[j];
            sq[j] += d * d;
        }
    }
    Standardization s;
    s.mean.resize(static_cast<size_t>(cols));
    s.scale.resize(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j) {
        const double sd = std::sqrt(sq[j] / static_cast<double>(rows));
        s.mean[j] = static_cast<float>(sum[j]);
        s.scale[j] = sd > 0 && std::isfinite(sd) && static_cast<float>(sd) > 0 ? static_cast<float>(sd) : 1.0f;
    }
    return s;
}

void standardize(const Standardization& s, float* values, int64_t rows) {
    const int64_t cols = s.columns();
    for (int64_t i = 0; i < rows; ++i) {
        float* row = values + i * cols;
        for (int64_t j = 0; j < cols; ++j) row[j] = (row[j] - s.mean[j]) / s.scale[j];
    }
}

void unstandardize(const Standardization& s, float* values, int64_t rows) {
    const int64_t cols = s.columns();
    for (int64_t i = 0; i < rows; ++i) {
        float* row = values + i * cols;
        for (int64_t j = 0; j < cols; ++j) row[j] = row[j] * s.scale[j] + s.mean[j];
    }
}

DatasetStandardization fit_dataset_standardization(const nnc_dataset& train, bool inputs, bool targets) {
    DatasetStandardization s;
    if (inputs) s.inputs = fit_standardization(train.samples.data(), train.count, train.sample_size);
    s.targets.resize(train.targets.size());
    for (size_t t = 0; targets && t < train.targets.size(); ++t) {
        const DatasetTarget& target = train.targets[t];
        if (target.kind == NNC_TARGET_REAL)
            s.targets[t] = fit_standardization(target.values.data(), train.count, target.size);
    }
    return s;
}

void apply_standardization(const DatasetStandardization& s, nnc_dataset& data) {
    if (!s.inputs.empty()) {
        require(s.inputs.columns() == data.sample_size,
                "the input statistics have " + std::to_string(s.inputs.columns()) +
                    " columns but the dataset's samples have " + std::to_string(data.sample_size) + " values");
        standardize(s.inputs, data.samples.data(), data.count);
    }
    for (size_t t = 0; t < s.targets.size(); ++t) {
        if (s.targets[t].empty()) continue;
        require(t < data.targets.size() && data.targets[t].kind == NNC_TARGET_REAL &&
                    s.targets[t].columns() == data.targets[t].size,
                "the statistics of target " + std::to_string(t) + " have " + std::to_string(s.targets[t].columns()) +
                    " columns, which do not fit the dataset's targets");
        standardize(s.targets[t], data.targets[t].values.data(), data.count);
    }
}

std::vector<uint8_t> serialize_standardization(const Standardization& s) {
    const uint64_t n = s.mean.size();
    std::vector<uint8_t> out(8 + n * 8);
    std::memcpy(out.data(), &n, 8);
    if (n == 0) return out;  // empty vectors' data() may be null, which memcpy must not get
    std::memcpy(out.data() + 8, s.mean.data(), n * 4);
    std::memcpy(out.data() + 8 + n * 4, s.scale.data(), n * 4);
    return out;
}

Standardization deserialize_standardization(const uint8_t* data, size_t size, size_t& offset, const std::string& what) {
    const auto fail = [&](size_t at, const std::string& message) {
        return Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(at) + ": " + message);
    };
    if (offset > size || size - offset < 8)
        throw fail(offset, "the file ends inside the standardization statistics; it is truncated");
    uint64_t n = 0;
    std::memcpy(&n, data + offset, 8);
    if (n > (size - offset - 8) / 8) {
        throw fail(offset, "the standardization statistics claim " + std::to_string(n) +
                               " columns, more than the file holds; it is truncated or corrupt");
    }
    Standardization s;
    s.mean.resize(n);
    s.scale.resize(n);
    if (n > 0) {
        std::memcpy(s.mean.data(), data + offset + 8, n * 4);
        std::memcpy(s.scale.data(), data + offset + 8 + n * 4, n * 4);
    }
    for (uint64_t j = 0; j < n; ++j) {
        if (!(s.scale[j] > 0) || !std::isfinite(s.scale[j]) || !std::isfinite(s.mean[j])) {
            throw fail(offset + 8 + n * 4 + j * 4,
                       "standardization column " + std::to_string(j) +
                           " has a scale that is not a positive finite number; the file is corrupt");
        }
    }
    offset += 8 + n * 8;
    return s;
}

}  // namespace nnc::runtime
