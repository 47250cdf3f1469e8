// A file's bytes as a string, and a string written as a file's bytes.
#pragma once
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nnc::test {

// "" when the file cannot be read.
inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

}  // namespace nnc::test
