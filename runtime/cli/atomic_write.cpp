#include "runtime/cli/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nnc::driver {

void write_atomically(const std::string& path, const std::string& bytes) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create '" + tmp + "': " + std::strerror(errno));
    bool ok = true;
    // write() may take less than asked (large files, signals): loop until all is written.
    for (size_t done = 0; ok && done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    int err = errno;
    if (::close(fd) != 0) {
        if (ok) err = errno;  // the first failure is the one to report
        ok = false;
    }
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        const int why = ok ? errno : err;
        ::unlink(tmp.c_str());
        throw std::runtime_error("cannot write '" + path + "': " + std::strerror(why));
    }
}

}  // namespace nnc::driver
