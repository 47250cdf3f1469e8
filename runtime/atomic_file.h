// Writing a whole file so that readers see either the old file or the complete new one, never a
// part: the bytes go to `path.tmp.<pid>`, which is fsynced, renamed over `path`, and then the
// folder is fsynced so the rename itself survives a crash. On any failure the temporary file is
// removed and `path` is untouched.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::runtime {

// Throws Error(NNC_ERR_IO) naming the file and the system's reason.
void write_file_atomically(const std::string& path, const void* data, size_t size);
inline void write_file_atomically(const std::string& path, const std::vector<uint8_t>& data) {
    write_file_atomically(path, data.data(), data.size());
}
inline void write_file_atomically(const std::string& path, std::string_view text) {
    write_file_atomically(path, text.data(), text.size());
}

// The whole file; throws Error(NNC_ERR_IO) "cannot open/read '<path>' (<what>): <reason>".
std::vector<uint8_t> read_whole_file(const std::string& path, const std::string& what);

}  // namespace nnc::runtime
