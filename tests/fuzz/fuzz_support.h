// Shared by the loader fuzz targets: the loaders take paths, so each input is written to one
// scratch file per process (in /dev/shm when it exists: no disk traffic per execution).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace nnc::fuzz {

inline std::string scratch_path(const char* suffix) {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/nnc_fuzz_" + std::to_string(getpid()) + suffix;
}

// Writes `data` to `path`, replacing it; aborts if it cannot (a broken harness, not a finding).
inline void write_scratch(const std::string& path, const uint8_t* data, size_t size) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::abort();
    }
}

}  // namespace nnc::fuzz
