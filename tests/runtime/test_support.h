// Small helpers shared by the runtime tests.
#pragma once
#include <nnc/nnc.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "nnc_runtime_test.XXXXXX").string();
        path_ = mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline std::vector<unsigned char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

struct ModelDeleter {
    void operator()(nnc_model* m) const { nnc_model_destroy(m); }
};
struct DatasetDeleter {
    void operator()(nnc_dataset* d) const { nnc_dataset_destroy(d); }
};
using ModelPtr = std::unique_ptr<nnc_model, ModelDeleter>;
using DatasetPtr = std::unique_ptr<nnc_dataset, DatasetDeleter>;

inline ModelPtr create_model() {
    nnc_model* m = nullptr;
    EXPECT_EQ(nnc_model_create(&m), NNC_OK) << nnc_last_error();
    return ModelPtr(m);
}

inline std::vector<float> get_param(const nnc_model* m, int index) {
    std::vector<float> v(static_cast<size_t>(nnc_model_param_count(m, index)));
    EXPECT_EQ(nnc_model_get_param(m, index, v.data(), static_cast<int64_t>(v.size())), NNC_OK) << nnc_last_error();
    return v;
}

inline std::vector<float> get_grad(const nnc_model* m, int index) {
    std::vector<float> v(static_cast<size_t>(nnc_model_param_count(m, index)));
    EXPECT_EQ(nnc_model_get_grad(m, index, v.data(), static_cast<int64_t>(v.size())), NNC_OK) << nnc_last_error();
    return v;
}

// The last error contains `text`.
#define EXPECT_ERROR_MENTIONS(text) \
    EXPECT_NE(std::string(nnc_last_error()).find(text), std::string::npos) << "message: " << nnc_last_error()
