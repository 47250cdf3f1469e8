#include "runtime/idx_reader.h"

#include "runtime/errors.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace nnc::runtime {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr int64_t kMaxCount = int64_t{1} << 31;
constexpr int64_t kMaxSide = 1 << 16;

std::string hex32(uint32_t v) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", v);
    return text;
}

// A gzip (or plain) file read sequentially, tracking the uncompressed offset for messages.
class IdxFile {
public:
    explicit IdxFile(const std::string& path) : path_(path) {
        errno = 0;
        file_ = gzopen(path.c_str(), "rb");
        if (!file_) {
            const int err = errno;
            throw Error(NNC_ERR_IO, "cannot open '" + path + "': " + (err ? std::strerror(err) : "out of memory") +
                                        "; check the path (Fashion-MNIST files are named like "
                                        "train-images-idx3-ubyte.gz)");
        }
        gzbuffer(file_, 1 << 18);
    }
    ~IdxFile() {
        if (file_) gzclose(file_);
    }
    IdxFile(const IdxFile&) = delete;
    IdxFile& operator=(const IdxFile&) = delete;

    int64_t offset() const { return offset_; }

    // "'path' at byte offset N: " — the prefix of every format message.
    std::string where(int64_t offset) const {
        return "'" + path_ + "' at byte offset " + std::to_string(offset) + " (uncompressed): ";
    }

    // Reads up to `n` bytes; returns how many (fewer only at the end of the data).
    int64_t read_some(void* dst, int64_t n) {
        int64_t done = 0;
        while (done < n) {
            const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - done, 1 << 30));
            const int got = gzread(file_, static_cast<char*>(dst) + done, chunk);
            if (got < 0) fail_read();
            if (got == 0) {
                int err = Z_OK;
                gzerror(file_, &err);
                if (err != Z_OK && err != Z_BUF_ERROR) fail_read();
                break;
            }
            done += got;
            offset_ += got;
        }
        return done;
    }

    // Reads exactly `n` bytes of `what`, or throws a truncation error.
    void read_exact(void* dst, int64_t n, const std::string& what) {
        const int64_t start = offset_;
        const int64_t got = read_some(dst, n);
        if (got == n) return;
        if (start == 0 && got == 0) {
            throw Error(NNC_ERR_FORMAT, "'" + path_ + "' is empty; expected an IDX file; download it again");
        }
        throw Error(NNC_ERR_FORMAT, where(offset_) + "the file ends in the middle of " + what + " (" +
                                        std::to_string(n - got) +
                                        " more bytes expected); the file is truncated or "
                                        "the gzip stream is incomplete; download it again");
    }

    uint32_t read_u32(const std::string& what) {
        unsigned char b[4];
        read_exact(b, 4, what);
        return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
    }

    // Throws unless the data ends here.
    void expect_end(const std::string& after) {
        char extra;
        const int64_t at = offset_;
        if (read_some(&extra, 1) != 0) {
            throw Error(NNC_ERR_FORMAT, where(at) + "unexpected data after " + after +
                                            "; the header's count does not match the file size");
        }
    }

private:
    [[noreturn]] void fail_read() {
        int err = Z_OK;
        const char* message = gzerror(file_, &err);
        if (err == Z_ERRNO) {
            throw Error(NNC_ERR_IO, "cannot read '" + path_ + "' at byte offset " + std::to_string(offset_) + ": " +
                                        std::strerror(errno));
        }
        throw Error(NNC_ERR_FORMAT, where(offset_) + "corrupt gzip data (zlib: " + (message ? message : "?") +
                                        "); download the file again");
    }

    std::string path_;
    gzFile file_ = nullptr;
    int64_t offset_ = 0;
};

void check_magic(IdxFile& file, uint32_t magic, uint32_t expected, const char* kind) {
    if (magic == expected) return;
    std::string hint = "; is this the right file?";
    if (magic == kImagesMagic) hint = "; this is an images file: did you swap the images and labels paths?";
    if (magic == kLabelsMagic) hint = "; this is a labels file: did you swap the images and labels paths?";
    throw Error(NNC_ERR_FORMAT, file.where(0) + "not an IDX " + kind + " file: magic number " + hex32(magic) +
                                    ", expected " + hex32(expected) + hint);
}

void check_dim(IdxFile& file, int64_t offset, const char* name, int64_t value, int64_t max) {
    if (value <= 0 || value > max) {
        throw Error(NNC_ERR_FORMAT, file.where(offset) + name + " is " + std::to_string(value) + ", expected 1.." +
                                        std::to_string(max) + "; the header is corrupt");
    }
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
    IdxFile file(path);
    check_magic(file, file.read_u32("the magic number"), kImagesMagic, "images");
    IdxImages out;
    out.count = file.read_u32("the image count");
    out.rows = file.read_u32("the row count");
    out.cols = file.read_u32("the column count");
    check_dim(file, 4, "the image count", out.count, kMaxCount - 1);
    check_dim(file, 8, "the row count", out.rows, kMaxSide);
    check_dim(file, 12, "the column count", out.cols, kMaxSide);
    const int64_t sample = out.rows * out.cols;
    // Read at most 4 MiB at a time, across image boundaries: a corrupt header (a count, or one
    // 65536 x 65536 image) fails at the truncation, never by allocating what it claims up front.
    const int64_t total = out.count * sample;  // < 2^31 * 2^32: no overflow
    constexpr int64_t kChunk = int64_t{1} << 22;
    std::vector<unsigned char> bytes;
    for (int64_t first = 0; first < total; first += kChunk) {
        const int64_t n = std::min(kChunk, total - first);
        bytes.resize(static_cast<size_t>(n));
        const int64_t image = first / sample, last = (first + n - 1) / sample;
        file.read_exact(bytes.data(), n,
                        "the pixels of images " + std::to_string(image) + ".." + std::to_string(last) + " (" +
                            std::to_string(out.count) + " declared in the header)");
        const size_t base = out.pixels.size();
        out.pixels.resize(base + bytes.size());
        for (size_t i = 0; i < bytes.size(); ++i) out.pixels[base + i] = static_cast<float>(bytes[i]) / 255.0f;
    }
    file.expect_end("the last image");
    return out;
}

std::vector<int32_t> read_idx_labels(const std::string& path) {
    IdxFile file(path);
    check_magic(file, file.read_u32("the magic number"), kLabelsMagic, "labels");
    const int64_t count = file.read_u32("the label count");
    check_dim(file, 4, "the label count", count, kMaxCount - 1);
    std::vector<int32_t> labels;
    std::vector<unsigned char> bytes;
    constexpr int64_t kChunk = int64_t{1} << 20;
    for (int64_t first = 0; first < count; first += kChunk) {
        const int64_t n = std::min(kChunk, count - first);
        bytes.resize(static_cast<size_t>(n));
        file.read_exact(bytes.data(), n, "the labels (" + std::to_string(count) + " declared in the header)");
        labels.insert(labels.end(), bytes.begin(), bytes.end());
    }
    file.expect_end("the last label");
    return labels;
}

}  // namespace nnc::runtime
