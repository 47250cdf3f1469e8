// A count with its noun for messages: "1 epoch", "2 epochs", "1 diagnosis", "3 diagnoses".
#pragma once
#include <cstdint>
#include <string>

namespace nnc::driver {

// `plural` defaults to `singular` + "s".
inline std::string counted(int64_t n, const std::string& singular, const std::string& plural = "") {
    return std::to_string(n) + " " + (n == 1 ? singular : plural.empty() ? singular + "s" : plural);
}

}  // namespace nnc::driver
