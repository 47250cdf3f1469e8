// Writing a whole file so that readers see the old file or the new one, never a part: a temporary
// beside it (`<path>.tmp.<pid>`, which remove_dead_temporaries cleans up after a crash), fsync,
// rename. On failure the temporary is removed and the old file, if any, is left as it was.
#pragma once
#include <string>

namespace nnc::driver {

// Throws std::runtime_error naming `path` and the system's reason.
void write_atomically(const std::string& path, const std::string& bytes);

}  // namespace nnc::driver
