#include "runtime/cli/run_folder_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace nnc::driver {
namespace {

struct flock whole_file(short type) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file, however long
    return lock;
}

}  // namespace

RunFolderLock RunFolderLock::take(const std::string& folder, Writer writer) {
    const std::string path = folder + "/lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error("cannot open '" + path + "' to lock the run folder: " + std::strerror(errno) +
                                 "; check that the folder is writable");
    // The holder may end between a refused F_SETLK and F_GETLK: then try again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        struct flock lock = whole_file(F_WRLCK);
        if (::fcntl(fd, F_SETLK, &lock) == 0) return RunFolderLock(fd);
        if (errno != EACCES && errno != EAGAIN) {
            const std::string reason = std::strerror(errno);
            ::close(fd);
            throw std::runtime_error("cannot lock '" + path + "': " + reason);
        }
        struct flock holder = whole_file(F_WRLCK);
        if (::fcntl(fd, F_GETLK, &holder) != 0 || holder.l_type == F_UNLCK) continue;
        ::close(fd);
        throw std::runtime_error(in_use(folder, holder.l_pid, writer));
    }
    ::close(fd);
    throw std::runtime_error("cannot lock '" + path + "': another process keeps taking it; try again");
}

RunFolderLock RunFolderLock::create_and_take(const std::string& folder, Writer writer) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw std::runtime_error("cannot create '" + folder + "': " + ec.message());
    return take(folder, writer);
}

long RunFolderLock::holder(const std::string& folder) {
    const int fd = ::open((folder + "/lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct flock lock = whole_file(F_WRLCK);
    const bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
    ::close(fd);
    return held ? lock.l_pid : 0;
}

std::string RunFolderLock::in_use(const std::string& folder, long pid, Writer writer) {
    const std::string p = std::to_string(pid);
    if (writer == Writer::results)
        return "'" + folder + "' is in use by another process (pid " + p +
               "), which writes there; one process at a time writes a folder: wait for it to end, or give "
               "another --out";
    return "'" + folder + "' is in use by another process (pid " + p +
           "), and a run folder takes one process at a time; wait for it to end (kill -INT " + p +
           " stops it and saves last.ckpt), then continue the run with nnc train --resume " + folder +
           ", or give another --out";
}

RunFolderLock::~RunFolderLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace nnc::driver
