// The data a command reads, through the model library's own loaders: a Fashion-MNIST IDX folder,
// a CSV file (named target and feature columns) or .npy files (inputs, plus one file per target).
#pragma once
#include <nnc/nnc.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/cli/loaded_model.h"

namespace nnc::driver {

// Owns a dataset of the loaded library.
struct Dataset {
    const LoadedModel* lib = nullptr;
    nnc_dataset* ptr = nullptr;
    Dataset(const LoadedModel& l, nnc_dataset* p) : lib(&l), ptr(p) {}
    Dataset(const Dataset&) = delete;
    ~Dataset() {
        if (ptr) lib->nnc_dataset_destroy(ptr);
    }
    int64_t size() const { return lib->nnc_dataset_size(ptr); }
};

struct DataSpec {
    std::string path;                   // a folder (IDX), file.csv or file.npy
    std::vector<std::string> targets;   // CSV: column names; .npy: target files; IDX: unused
    std::vector<std::string> features;  // CSV: feature columns (empty: every non-target column)
};

enum class DataFormat { idx, csv, npy };
// By the path: a folder is IDX, then the extension; throws std::runtime_error for anything else.
DataFormat data_format(const std::string& path);

// `idx_split` picks the IDX files: "train" or "t10k". With `need_targets` false (prediction),
// CSV and .npy data may come without targets.
std::unique_ptr<Dataset> load_data(const LoadedModel& lib, const nnc_model* model, const DataSpec& spec,
                                   const std::string& idx_split, bool need_targets);
std::unique_ptr<Dataset> slice(const LoadedModel& lib, const Dataset& d, int64_t begin, int64_t count);

// "a,b , c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& text);
// As split_list, but a comma inside a file's name is kept: pieces that name a file together
// ("x,1.npy") are one path. For lists of files and of CSV columns alike (no column is a file).
std::vector<std::string> split_paths(const std::string& text);

}  // namespace nnc::driver
