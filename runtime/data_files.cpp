// Datasets from files the user has (CSV, NumPy .npy) for a given model, and arrays written back
// (nnc_write_array, for predictions). The model says how the target columns/files map to its
// targets: a class target is one column of whole numbers per position, a real target as many
// values as it has.
// Every error names the file and the line and column (CSV) or the byte offset (.npy).
#include "runtime/class_labels.h"
#include "runtime/csv_reader.h"
#include "runtime/dataset.h"
#include "runtime/errors.h"
#include "runtime/model.h"
#include "runtime/npy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nnc::runtime {
namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// "'y' (classes, 10), 'z' (3 values)": the model's targets, for messages.
std::string describe_targets(const nnc_model& m) {
    std::string out;
    for (int t = 0; t < m.desc->num_targets; ++t) {
        const nnc_target_desc& d = m.desc->targets[t];
        out += (t ? ", " : "") + quoted(d.tensor.name) +
               (d.kind == NNC_TARGET_CLASSES
                    ? " (" + std::to_string(d.num_classes) + " classes" +
                          (m.target_sizes[static_cast<size_t>(t)] > 1
                               ? ", " + std::to_string(m.target_sizes[static_cast<size_t>(t)]) + " positions)"
                               : ")")
                    : " (" + std::to_string(m.target_sizes[static_cast<size_t>(t)]) + " values)");
    }
    return out;
}

int64_t target_columns(const nnc_model& m) {
    int64_t n = 0;
    for (int64_t s : m.target_sizes) n += s;
    return n;
}

std::string join(const std::vector<std::string>& names, size_t first, size_t count) {
    std::string out;
    for (size_t i = first; i < first + count && i < names.size(); ++i)
        out += (i > first ? ", " : "") + quoted(names[i]);
    return out;
}

std::vector<std::string> strings(const char* const* list, int n, const char* function, const char* what) {
    require(n >= 0, std::string(function) + ": " + what + " count must be >= 0, got " + std::to_string(n));
    require(n == 0 || list != nullptr,
            std::string(function) + ": " + what + " is NULL but its count is " + std::to_string(n));
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        require(list[i] != nullptr, std::string(function) + ": " + what + "[" + std::to_string(i) + "] is NULL");
        out.emplace_back(list[i]);
    }
    return out;
}

// A class target of `positions` labels per sample: checks every label against the model's
// classes (its ignored label allowed); `where(i)` places label i (sample i / positions).
DatasetTarget class_target(std::vector<int32_t> labels, const nnc_target_desc& d, int64_t positions,
                           const std::function<std::string(int64_t)>& where) {
    DatasetTarget t;
    t.kind = NNC_TARGET_CLASSES;
    t.size = positions;
    for (size_t i = 0; i < labels.size(); ++i) {
        if (!valid_label(d, labels[i])) {
            throw Error(NNC_ERR_FORMAT,
                        where(static_cast<int64_t>(i)) + "class " + std::to_string(labels[i]) + " of target " +
                            quoted(d.tensor.name) +
                            (positions > 1 ? " at " + label_place(static_cast<int64_t>(i), positions) : std::string()) +
                            " is out of range: the model has " + label_range(d));
        }
        t.max_class = std::max(t.max_class, labels[i]);
    }
    t.classes = std::move(labels);
    return t;
}

// A class target's labels from `size` columns from `column` on (one per position).
DatasetTarget csv_classes(const CsvTable& table, const nnc_target_desc& d, int64_t column, int64_t size) {
    const int64_t nt = static_cast<int64_t>(table.target_names.size());
    std::vector<int32_t> labels(static_cast<size_t>(table.rows * size));
    for (int64_t i = 0; i < table.rows * size; ++i) {
        const int64_t j = column + i % size;
        const double v = table.targets[static_cast<size_t>((i / size) * nt + j)];
        if (!(d.has_ignore_index && v == static_cast<double>(d.ignore_index)) &&
            (!(v >= 0 && v < 2147483648.0) || v != std::floor(v))) {
            char text[32];
            std::snprintf(text, sizeof text, "%.9g", v);
            throw Error(NNC_ERR_FORMAT, table.where_target(i / size, j) + "column " +
                                            quoted(table.target_names[static_cast<size_t>(j)]) + " holds " + text +
                                            ", not a class index (a whole number >= 0) for the class target " +
                                            quoted(d.tensor.name));
        }
        labels[static_cast<size_t>(i)] = static_cast<int32_t>(v);
    }
    return class_target(std::move(labels), d, size,
                        [&](int64_t i) { return table.where_target(i / size, column + i % size); });
}

std::unique_ptr<nnc_dataset> load_csv(const nnc_model& m, const std::string& path,
                                      const std::vector<std::string>& targets,
                                      const std::vector<std::string>& features) {
    const std::string model = quoted(m.desc->model_name);
    if (!targets.empty() && static_cast<int64_t>(targets.size()) != target_columns(m)) {
        throw Error(NNC_ERR_INVALID_ARGUMENT,
                    quoted(path) + ": " + std::to_string(targets.size()) + " target column(s) named (" +
                        join(targets, 0, targets.size()) + ") but model " + model + " has targets " +
                        describe_targets(m) + ": name " + std::to_string(target_columns(m)) +
                        " column(s), one per class target and one per value of a real target, in that order");
    }
    CsvTable table = read_csv(path, CsvOptions{targets, features});
    const int64_t nf = static_cast<int64_t>(table.feature_names.size());
    if (nf != m.input_size) {
        throw Error(NNC_ERR_INVALID_ARGUMENT,
                    quoted(path) + ": " + std::to_string(nf) + " feature column(s) (" +
                        join(table.feature_names, 0, 8) + (nf > 8 ? ", ..." : "") + ") but model " + model +
                        " takes inputs of " + std::to_string(m.input_size) +
                        " values; name the input columns (features, --features) or the target columns (--target)");
    }
    auto data = std::make_unique<nnc_dataset>();
    data->count = table.rows;
    data->sample_size = nf;
    data->samples = std::move(table.features);
    const int64_t nt = static_cast<int64_t>(table.target_names.size());
    int64_t column = 0;
    for (int t = 0; !targets.empty() && t < m.desc->num_targets; ++t) {
        const nnc_target_desc& d = m.desc->targets[t];
        const int64_t size = m.target_sizes[static_cast<size_t>(t)];
        if (d.kind == NNC_TARGET_CLASSES) {
            data->targets.push_back(csv_classes(table, d, column, size));
        } else {
            DatasetTarget target;
            target.kind = NNC_TARGET_REAL;
            target.size = size;
            target.values.resize(static_cast<size_t>(table.rows * size));
            for (int64_t i = 0; i < table.rows; ++i)
                for (int64_t k = 0; k < size; ++k)
                    target.values[static_cast<size_t>(i * size + k)] =
                        table.targets[static_cast<size_t>(i * nt + column + k)];
            data->targets.push_back(std::move(target));
        }
        column += size;
    }
    return data;
}

// Throws at the first element that is NaN or infinite (features and values must be numbers).
void require_finite(const NpyArray& a, const std::vector<float>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values[i])) {
            throw Error(NNC_ERR_FORMAT,
                        a.source + " at byte offset " +
                            std::to_string(a.data_offset + static_cast<int64_t>(i) * npy_item_size(a.dtype)) +
                            ": element " + std::to_string(i) + " is " + (std::isnan(values[i]) ? "NaN" : "infinite") +
                            "; remove or fill missing values first");
        }
    }
}

int64_t per_sample(const NpyArray& a) {
    int64_t n = 1;
    for (size_t i = 1; i < a.shape.size(); ++i) n *= a.shape[i];
    return n;
}

std::unique_ptr<nnc_dataset> load_npy(const nnc_model& m, const std::string& inputs_path,
                                      const std::vector<std::string>& target_paths) {
    const std::string model = quoted(m.desc->model_name);
    if (!target_paths.empty() && static_cast<int>(target_paths.size()) != m.desc->num_targets) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, std::to_string(target_paths.size()) + " target file(s) given but model " +
                                                  model + " has " + std::to_string(m.desc->num_targets) +
                                                  " target(s): " + describe_targets(m) +
                                                  "; pass one .npy file per target, in that order");
    }
    const NpyArray x = read_npy(inputs_path);
    if (x.shape.empty() || x.shape[0] == 0 || per_sample(x) != m.input_size) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, x.source + " has shape " + x.shape_text() + " but model " + model +
                                                  " takes inputs of " + std::to_string(m.input_size) +
                                                  " values: pass (N, ...) with that many values per sample, N >= 1");
    }
    auto data = std::make_unique<nnc_dataset>();
    data->count = x.shape[0];
    data->sample_size = m.input_size;
    data->samples = x.to_floats();
    require_finite(x, data->samples);
    for (int t = 0; t < static_cast<int>(target_paths.size()); ++t) {
        const nnc_target_desc& d = m.desc->targets[t];
        const NpyArray y = read_npy(target_paths[static_cast<size_t>(t)]);
        const int64_t size = m.target_sizes[static_cast<size_t>(t)];
        if (y.shape.empty() || y.shape[0] != data->count) {
            throw Error(NNC_ERR_INVALID_ARGUMENT, y.source + " has shape " + y.shape_text() + " but " + x.source +
                                                      " holds " + std::to_string(data->count) +
                                                      " samples; pass one target row per sample");
        }
        if (per_sample(y) != size) {
            throw Error(
                NNC_ERR_INVALID_ARGUMENT,
                y.source + " has shape " + y.shape_text() + " but target " + quoted(d.tensor.name) + " of model " +
                    model +
                    (d.kind == NNC_TARGET_CLASSES
                         ? (size == 1 ? std::string(" is one class index per sample: pass (N,) or (N, 1)")
                                      : " is one class index per position: pass (N, " + std::to_string(size) + ")")
                         : " has " + std::to_string(size) + " values per sample"));
        }
        if (d.kind == NNC_TARGET_CLASSES) {
            const int64_t* ignore = d.has_ignore_index ? &d.ignore_index : nullptr;
            data->targets.push_back(class_target(y.to_classes(ignore), d, size, [&](int64_t i) {
                return y.source + " at byte offset " + std::to_string(y.data_offset + i * npy_item_size(y.dtype)) +
                       " (element " + std::to_string(i) + "): ";
            }));
        } else {
            DatasetTarget target;
            target.kind = NNC_TARGET_REAL;
            target.size = size;
            target.values = y.to_floats();
            require_finite(y, target.values);
            data->targets.push_back(std::move(target));
        }
    }
    return data;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace
}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_dataset_load_csv(const nnc_model* model, const char* path, const char* const* targets, int num_targets,
                                const char* const* features, int num_features, nnc_dataset** out) {
    return guarded("nnc_dataset_load_csv", [&] {
        require(out != nullptr, "nnc_dataset_load_csv: out is NULL");
        *out = nullptr;
        const nnc_model& m = require_model(model, "nnc_dataset_load_csv");
        require(path != nullptr && *path, "nnc_dataset_load_csv: path is NULL or empty");
        *out = load_csv(m, path, strings(targets, num_targets, "nnc_dataset_load_csv", "targets"),
                        strings(features, num_features, "nnc_dataset_load_csv", "features"))
                   .release();
        return NNC_OK;
    });
}

nnc_status nnc_dataset_load_npy(const nnc_model* model, const char* inputs_path, const char* const* target_paths,
                                int num_targets, nnc_dataset** out) {
    return guarded("nnc_dataset_load_npy", [&] {
        require(out != nullptr, "nnc_dataset_load_npy: out is NULL");
        *out = nullptr;
        const nnc_model& m = require_model(model, "nnc_dataset_load_npy");
        require(inputs_path != nullptr && *inputs_path, "nnc_dataset_load_npy: inputs_path is NULL or empty");
        *out = load_npy(m, inputs_path, strings(target_paths, num_targets, "nnc_dataset_load_npy", "target_paths"))
                   .release();
        return NNC_OK;
    });
}

nnc_status nnc_write_array(const char* path, const float* values, int64_t rows, int64_t cols,
                           const char* const* names) {
    return guarded("nnc_write_array", [&] {
        require(path != nullptr && *path, "nnc_write_array: path is NULL or empty");
        require(values != nullptr, "nnc_write_array: values is NULL");
        require(rows >= 0 && cols > 0, "nnc_write_array: rows must be >= 0 and cols > 0, got " + std::to_string(rows) +
                                           " x " + std::to_string(cols));
        const std::string p = path;
        if (ends_with(p, ".npy")) {
            write_npy(p, make_npy({rows, cols}, values));
        } else if (ends_with(p, ".csv")) {
            std::vector<std::string> header;
            for (int64_t j = 0; j < cols; ++j) header.push_back(names && names[j] ? names[j] : "c" + std::to_string(j));
            write_csv(p, header, values, rows);
        } else {
            throw Error(NNC_ERR_INVALID_ARGUMENT, "nnc_write_array: '" + p + "' must end in .npy or .csv");
        }
        return NNC_OK;
    });
}

}  // extern "C"
