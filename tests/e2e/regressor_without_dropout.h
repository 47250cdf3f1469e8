// The field guide's overfitting network: samples/dropout_regression.nn with its dropout off
// (1 -> 200 -> 200 -> 1), and the 20 noisy points of y = x + N(0, 1) in tests/e2e/data it
// trains on, validated on 400 fresh ones.
#pragma once
#include <filesystem>
#include <regex>
#include <string>

#include "tests/e2e/text_file.h"

namespace nnc::test {

// Writes the model as `folder`/no_dropout.nn and returns its path. Every test writes the same
// text, so the build cache compiles it once.
inline std::string write_regressor_without_dropout(const std::filesystem::path& folder) {
    const std::string text = read_text(std::string(NNC_SOURCE_DIR) + "/samples/dropout_regression.nn");
    const std::filesystem::path path = folder / "no_dropout.nn";
    write_text(path, std::regex_replace(text, std::regex(R"(dropout\((h[12]), 0\.5\))"), "dropout($1, 0.0)"));
    return path.string();
}

// The data options of nnc train for those points.
inline std::string regressor_data() {
    const std::string data = std::string(NNC_SOURCE_DIR) + "/tests/e2e/data/";
    return " --data " + data + "dropout_train.csv --target y --validation-data " + data + "dropout_test.csv";
}

}  // namespace nnc::test
