#include "runtime/checkpoint.h"

#include "runtime/errors.h"
#include "runtime/model.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

static_assert(std::endian::native == std::endian::little, "checkpoints are little-endian; add byte swapping");

namespace nnc::runtime {
namespace {

constexpr char kMagic[8] = {'N', 'N', 'C', 'C', 'K', 'P', 'T', '\0'};
constexpr uint32_t kMaxNameLength = 1 << 16;

std::string shape_text(const int64_t* dims, int rank) {
    std::string s = "[";
    for (int i = 0; i < rank; ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

std::string io_error(const std::string& what, const std::string& path) {
    return "cannot " + what + " '" + path + "': " + std::strerror(errno);
}

class Writer {
public:
    void bytes(const void* p, size_t n) {
        if (n == 0) return;
        const size_t at = out_.size();
        out_.resize(at + n);
        std::memcpy(out_.data() + at, p, n);
    }
    void u32(uint32_t v) { bytes(&v, 4); }
    void i64(int64_t v) { bytes(&v, 8); }
    void string(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        bytes(s.data(), s.size());
    }
    std::vector<uint8_t>& data() { return out_; }

private:
    std::vector<uint8_t> out_;
};

// A bounds-checked cursor over the file's bytes; every failure names the offset.
class Reader {
public:
    Reader(const std::vector<uint8_t>& data, const std::string& path) : data_(data), path_(path) {}

    size_t offset() const { return pos_; }
    std::string where(size_t offset) const {
        return "checkpoint '" + path_ + "' at byte offset " + std::to_string(offset) + ": ";
    }

    const uint8_t* take(size_t n, const std::string& what) {
        if (n > data_.size() - pos_) {
            throw Error(NNC_ERR_FORMAT, where(pos_) + "the file ends in the middle of " + what + " (" +
                                            std::to_string(n - (data_.size() - pos_)) +
                                            " bytes missing); it is truncated or corrupt — save it again or use "
                                            "another checkpoint");
        }
        const uint8_t* p = data_.data() + pos_;
        pos_ += n;
        return p;
    }
    uint32_t u32(const std::string& what) {
        uint32_t v;
        std::memcpy(&v, take(4, what), 4);
        return v;
    }
    int64_t i64(const std::string& what) {
        int64_t v;
        std::memcpy(&v, take(8, what), 8);
        return v;
    }
    std::string string(const std::string& what) {
        const size_t at = pos_;
        const uint32_t n = u32("the length of " + what);
        if (n > kMaxNameLength) {
            throw Error(NNC_ERR_FORMAT, where(at) + "the length of " + what + " is " + std::to_string(n) +
                                            ", which is implausible; the file is corrupt");
        }
        const uint8_t* p = take(n, what);
        return std::string(reinterpret_cast<const char*>(p), n);
    }

private:
    const std::vector<uint8_t>& data_;
    std::string path_;
    size_t pos_ = 0;
};

struct StoredParam {
    std::string name;
    int rank = 0;
    int64_t dims[NNC_MAX_RANK] = {};
    int64_t count = 1;
    const uint8_t* data = nullptr;
};

std::vector<uint8_t> read_file(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(NNC_ERR_IO, io_error("open checkpoint", path));
    std::vector<uint8_t> data;
    uint8_t chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) data.insert(data.end(), chunk, chunk + n);
    const bool failed = std::ferror(f);
    std::fclose(f);
    if (failed) throw Error(NNC_ERR_IO, io_error("read checkpoint", path));
    return data;
}

void write_all(int fd, const std::vector<uint8_t>& data) {
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::system_error(errno ? errno : EIO, std::generic_category());
        done += static_cast<size_t>(n);
    }
}

}  // namespace

void save_checkpoint(const nnc_model& model, const std::string& path) {
    const nnc_model_desc& d = *model.desc;
    Writer w;
    w.bytes(kMagic, sizeof kMagic);
    w.u32(kCheckpointVersion);
    w.string(d.model_name);
    w.string(d.source_hash ? d.source_hash : "");
    w.u32(static_cast<uint32_t>(d.num_params));
    for (int p = 0; p < d.num_params; ++p) {
        w.string(d.params[p].name);
        w.u32(static_cast<uint32_t>(d.params[p].rank));
        for (int i = 0; i < d.params[p].rank; ++i) w.i64(d.params[p].dims[i]);
        w.bytes(model.params.get() + model.offset[p], static_cast<size_t>(model.count[p]) * sizeof(float));
    }
    w.u32(static_cast<uint32_t>(crc32_z(0, w.data().data(), w.data().size())));

    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(NNC_ERR_IO, io_error("create", tmp) + "; check that the folder exists and is writable");
    try {
        write_all(fd, w.data());
        if (::fsync(fd) != 0) throw std::system_error(errno, std::generic_category());
    } catch (const std::system_error& e) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw Error(NNC_ERR_IO, "cannot write '" + tmp + "': " + e.code().message() + "; is the disk full?");
    }
    if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string message = io_error("write", path);
        ::unlink(tmp.c_str());
        throw Error(NNC_ERR_IO, message);
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

void load_checkpoint(nnc_model& model, const std::string& path) {
    const std::vector<uint8_t> file = read_file(path);
    Reader r(file, path);
    if (file.empty()) throw Error(NNC_ERR_FORMAT, "checkpoint '" + path + "' is empty; save it again");
    if (std::memcmp(file.data(), kMagic, std::min(file.size(), sizeof kMagic)) != 0) {
        throw Error(NNC_ERR_FORMAT, r.where(0) + "not an nnc checkpoint (the file does not start with \"NNCCKPT\")");
    }
    r.take(sizeof kMagic, "the magic number");
    const uint32_t version = r.u32("the format version");
    if (version != kCheckpointVersion) {
        throw Error(NNC_ERR_FORMAT, r.where(8) + "checkpoint format version " + std::to_string(version) +
                                        " is not supported (this runtime reads version " +
                                        std::to_string(kCheckpointVersion) + "); use the nnc that wrote it");
    }
    const std::string saved_model = r.string("the model name");
    r.string("the source hash");
    const size_t count_at = r.offset();
    const uint32_t num_params = r.u32("the parameter count");
    std::vector<StoredParam> stored;
    for (uint32_t p = 0; p < num_params; ++p) {
        StoredParam s;
        const std::string what = "parameter " + std::to_string(p);
        s.name = r.string("the name of " + what);
        const size_t rank_at = r.offset();
        const uint32_t rank = r.u32("the rank of '" + s.name + "'");
        if (rank > NNC_MAX_RANK) {
            throw Error(NNC_ERR_FORMAT, r.where(rank_at) + "parameter '" + s.name + "' has rank " +
                                            std::to_string(rank) + " (at most " + std::to_string(NNC_MAX_RANK) +
                                            "); the file is corrupt");
        }
        s.rank = static_cast<int>(rank);
        for (int i = 0; i < s.rank; ++i) {
            const size_t dim_at = r.offset();
            s.dims[i] = r.i64("the dimensions of '" + s.name + "'");
            const int64_t max_count = static_cast<int64_t>(file.size() / sizeof(float));
            if (s.dims[i] <= 0 || __builtin_mul_overflow(s.count, s.dims[i], &s.count) || s.count > max_count) {
                throw Error(NNC_ERR_FORMAT, r.where(dim_at) + "parameter '" + s.name + "' has dimension " +
                                                std::to_string(s.dims[i]) + ", more than the file's " + std::to_string(file.size()) +
                                                " bytes hold; it is truncated or corrupt");
            }
        }
        s.data = r.take(static_cast<size_t>(s.count) * sizeof(float), "the data of '" + s.name + "'");
        stored.push_back(std::move(s));
    }
    const size_t crc_at = r.offset();
    uint32_t stored_crc = r.u32("the CRC-32");
    if (r.offset() != file.size()) {
        throw Error(NNC_ERR_FORMAT, r.where(r.offset()) + std::to_string(file.size() - r.offset()) +
                                        " unexpected bytes after the CRC-32; the file is corrupt");
    }
    const uint32_t crc = static_cast<uint32_t>(crc32_z(0, file.data(), crc_at));
    if (crc != stored_crc) {
        throw Error(NNC_ERR_FORMAT, r.where(crc_at) + "CRC-32 mismatch (stored " + std::to_string(stored_crc) +
                                        ", computed " + std::to_string(crc) +
                                        "); the file is corrupt — use another checkpoint");
    }

    // The file is sound; does it fit this model?
    const nnc_model_desc& d = *model.desc;
    const std::string mismatch = "checkpoint '" + path + "' (saved from model '" + saved_model +
                                 "') does not fit model '" + d.model_name + "': ";
    if (static_cast<int>(num_params) != d.num_params) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, mismatch + "it has " + std::to_string(num_params) + " parameters, the model " +
                                                  std::to_string(d.num_params) + " (offset " + std::to_string(count_at) + ")");
    }
    for (int p = 0; p < d.num_params; ++p) {
        const nnc_param_desc& want = d.params[p];
        const StoredParam& got = stored[static_cast<size_t>(p)];
        const bool same_shape = got.rank == want.rank && std::equal(got.dims, got.dims + got.rank, want.dims);
        if (got.name != want.name || !same_shape) {
            throw Error(NNC_ERR_INVALID_ARGUMENT, mismatch + "parameter " + std::to_string(p) + " is '" + want.name + "' " +
                                                      shape_text(want.dims, want.rank) + " in the model but '" + got.name +
                                                      "' " + shape_text(got.dims, got.rank) + " in the checkpoint");
        }
    }
    for (int p = 0; p < d.num_params; ++p) {
        std::memcpy(model.params.get() + model.offset[p], stored[static_cast<size_t>(p)].data,
                    static_cast<size_t>(model.count[p]) * sizeof(float));
    }
    model.optimizer->reset();
}

}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_model_save(const nnc_model* model, const char* path) {
    return guarded("nnc_model_save", [&] {
        const nnc_model& m = require_model(model, "nnc_model_save");
        require(path != nullptr && *path != '\0', "nnc_model_save: path is NULL or empty");
        save_checkpoint(m, path);
        return NNC_OK;
    });
}

nnc_status nnc_model_load(nnc_model* model, const char* path) {
    return guarded("nnc_model_load", [&] {
        nnc_model& m = require_model(model, "nnc_model_load");
        require(path != nullptr && *path != '\0', "nnc_model_load: path is NULL or empty");
        load_checkpoint(m, path);
        return NNC_OK;
    });
}

}  // extern "C"
