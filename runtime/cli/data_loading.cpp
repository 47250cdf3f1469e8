#include "runtime/cli/data_loading.h"

#include <filesystem>
#include <stdexcept>

namespace nnc::driver {
namespace {

std::vector<const char*> c_strings(const std::vector<std::string>& v) {
    std::vector<const char*> out;
    for (const std::string& s : v) out.push_back(s.c_str());
    return out;
}

}  // namespace

DataFormat data_format(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return DataFormat::idx;
    if (path.ends_with(".csv")) return DataFormat::csv;
    if (path.ends_with(".npy")) return DataFormat::npy;
    if (!std::filesystem::exists(path, ec)) throw std::runtime_error("'" + path + "' does not exist");
    throw std::runtime_error("'" + path +
                             "': unknown data format; pass a folder of IDX files, a .csv file or a .npy file");
}

std::unique_ptr<Dataset> load_data(const LoadedModel& lib, const nnc_model* model, const DataSpec& spec,
                                   const std::string& idx_split, bool need_targets) {
    nnc_dataset* ds = nullptr;
    switch (data_format(spec.path)) {
        case DataFormat::idx: {
            const std::string images = spec.path + "/" + idx_split + "-images-idx3-ubyte.gz";
            const std::string labels = spec.path + "/" + idx_split + "-labels-idx1-ubyte.gz";
            lib.check(lib.nnc_dataset_load_idx(images.c_str(), labels.c_str(), &ds), "loading " + idx_split + " data");
            // Checked here, before a run folder exists, and named by its file.
            auto data = std::make_unique<Dataset>(lib, ds);
            const int64_t values = lib.nnc_dataset_sample_size(ds);
            if (model && values != lib.nnc_model_input_size(model)) {
                throw std::runtime_error("'" + images + "' holds images of " + std::to_string(values) +
                                         " values but model '" + lib.nnc_model_name(model) + "' takes inputs of " +
                                         std::to_string(lib.nnc_model_input_size(model)) +
                                         "; pass the data the model was written for");
            }
            return data;
        }
        case DataFormat::csv: {
            if (need_targets && spec.targets.empty()) {
                throw std::runtime_error("'" + spec.path + "': name the target column(s) with --target NAME[,NAME...]");
            }
            const auto targets = c_strings(spec.targets), features = c_strings(spec.features);
            lib.check(
                lib.nnc_dataset_load_csv(model, spec.path.c_str(), targets.data(), static_cast<int>(targets.size()),
                                         features.data(), static_cast<int>(features.size()), &ds),
                "loading " + spec.path);
            break;
        }
        case DataFormat::npy: {
            if (need_targets && spec.targets.empty()) {
                throw std::runtime_error("'" + spec.path +
                                         "': name the targets' .npy file(s) with --target FILE[,FILE...]");
            }
            if (!spec.features.empty()) throw std::runtime_error("--features applies to CSV data only");
            const auto targets = c_strings(spec.targets);
            lib.check(lib.nnc_dataset_load_npy(model, spec.path.c_str(), targets.data(),
                                               static_cast<int>(targets.size()), &ds),
                      "loading " + spec.path);
            break;
        }
    }
    return std::make_unique<Dataset>(lib, ds);
}

std::unique_ptr<Dataset> slice(const LoadedModel& lib, const Dataset& d, int64_t begin, int64_t count) {
    nnc_dataset* out = nullptr;
    lib.check(lib.nnc_dataset_slice(d.ptr, begin, count, &out), "splitting the data");
    return std::make_unique<Dataset>(lib, out);
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        std::string item = text.substr(start, end - start);
        const size_t a = item.find_first_not_of(' '), b = item.find_last_not_of(' ');
        if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
        start = end + 1;
    }
    return out;
}

std::vector<std::string> split_paths(const std::string& text) {
    std::vector<std::string> pieces;
    for (size_t start = 0;;) {
        const size_t end = text.find(',', start);
        pieces.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    const auto trim = [](const std::string& s) {
        const size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
        return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    std::vector<std::string> out;
    for (size_t i = 0; i < pieces.size();) {
        // The longest run of pieces from here that names a file is one path.
        size_t taken = 1;
        std::string item = pieces[i];
        std::string joined = pieces[i];
        for (size_t j = i + 1; j < pieces.size(); ++j) {
            joined += "," + pieces[j];
            std::error_code ec;
            if (std::filesystem::is_regular_file(trim(joined), ec)) {
                item = joined;
                taken = j - i + 1;
            }
        }
        if (!trim(item).empty()) out.push_back(trim(item));
        i += taken;
    }
    return out;
}

}  // namespace nnc::driver
