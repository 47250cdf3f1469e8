#include "runtime/atomic_file.h"

#include "runtime/errors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace nnc::runtime {

void write_file_atomically(const std::string& path, const void* data, size_t size) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw Error(NNC_ERR_IO, "cannot create '" + tmp + "': " + std::strerror(errno) +
                                    "; check that the folder exists and is writable");
    }
    const auto fail = [&](const std::string& what) {
        const std::string reason = std::strerror(errno ? errno : EIO);
        ::close(fd);
        ::unlink(tmp.c_str());
        throw Error(NNC_ERR_IO, "cannot " + what + " '" + tmp + "': " + reason + "; is the disk full?");
    };
    const char* bytes = static_cast<const char*>(data);
    size_t done = 0;
    while (done < size) {
        errno = 0;
        const ssize_t n = ::write(fd, bytes + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("write");
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) fail("sync");
    if (::close(fd) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw Error(NNC_ERR_IO, "cannot write '" + tmp + "': " + reason);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw Error(NNC_ERR_IO, "cannot rename '" + tmp + "' to '" + path + "': " + reason);
    }
    // Make the rename itself durable.
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

std::vector<uint8_t> read_whole_file(const std::string& path, const std::string& what) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(NNC_ERR_IO, "cannot open " + what + " '" + path + "': " + std::strerror(errno));
    std::vector<uint8_t> data;
    uint8_t chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) data.insert(data.end(), chunk, chunk + n);
    const bool failed = std::ferror(f);
    const int err = errno;
    std::fclose(f);
    if (failed) throw Error(NNC_ERR_IO, "cannot read " + what + " '" + path + "': " + std::strerror(err));
    return data;
}

}  // namespace nnc::runtime
