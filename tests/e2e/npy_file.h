// .npy files as numpy.save writes them (version 1.0, little-endian, C order), for the data tests.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include "tests/e2e/text_file.h"

namespace nnc::test {

// The bytes of an .npy file of `shape` holding `values` (int32 or float32).
template <class T>
std::string npy_bytes(const std::vector<int64_t>& shape, const std::vector<T>& values) {
    static_assert(std::is_same_v<T, int32_t> || std::is_same_v<T, float>);
    const std::string descr = std::is_same_v<T, float> ? "<f4" : "<i4";
    std::string dims;
    for (int64_t d : shape) dims += std::to_string(d) + ", ";
    dims.resize(dims.size() - (shape.size() > 1 ? 2 : 1));  // "(2, 3)", "(4,)"
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    const uint16_t len = static_cast<uint16_t>(header.size());
    out.append(reinterpret_cast<const char*>(&len), 2);
    out += header;
    out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
    return out;
}

template <class T>
void write_npy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const std::vector<T>& values) {
    write_text(path, npy_bytes(shape, values));
}

}  // namespace nnc::test
