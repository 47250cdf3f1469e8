// Standardization: per-column mean and standard deviation, fitted on the training split only, then
// applied to every split, so that each input feature (and, for regression, each target) has mean 0
// and standard deviation 1 on the training data. The target statistics travel with the model (in
// its checkpoint) and are undone on its predictions, so users only ever see outputs in their own
// units.
//
// Statistics are computed in double: the mean, then the population standard deviation (ddof 0,
// as numpy.std and sklearn's StandardScaler). A constant column has standard deviation 0 and is
// only centred (its scale is set to 1), as sklearn does.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct nnc_dataset;

namespace nnc::runtime {

struct Standardization {
    std::vector<float> mean, scale;  // per column; empty: no standardization

    bool empty() const { return mean.empty(); }
    int64_t columns() const { return static_cast<int64_t>(mean.size()); }
};

// Statistics of `rows` rows of `cols` values (row-major). rows must be > 0.
Standardization fit_standardization(const float* values, int64_t rows, int64_t cols);
// values = (values - mean) / scale, per column.
void standardize(const Standardization& s, float* values, int64_t rows);
// values = values * scale + mean, per column: the inverse of standardize.
void unstandardize(const Standardization& s, float* values, int64_t rows);

// A dataset's statistics: its inputs and each of its targets (empty for class targets, which
// are indices and never standardized).
struct DatasetStandardization {
    Standardization inputs;
    std::vector<Standardization> targets;  // per dataset target
};
// Fits the inputs and/or every real target of `train`.
DatasetStandardization fit_dataset_standardization(const nnc_dataset& train, bool inputs, bool targets);
// Applies the fitted statistics to a dataset in place (the training split, then validation, test).
// Throws Error (NNC_ERR_INVALID_ARGUMENT) when the column counts differ from the dataset's.
void apply_standardization(const DatasetStandardization& s, nnc_dataset& data);

// A compact binary form for checkpoints: u64 columns, f32 mean[columns], f32 scale[columns].
std::vector<uint8_t> serialize_standardization(const Standardization& s);
// Reads what serialize_standardization wrote at data[offset..); advances offset. Throws Error
// (NNC_ERR_FORMAT) naming `what` and the offset when the bytes run out or the scale is not positive.
Standardization deserialize_standardization(const uint8_t* data, size_t size, size_t& offset, const std::string& what);

}  // namespace nnc::runtime
