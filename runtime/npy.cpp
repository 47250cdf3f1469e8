#include "runtime/npy.h"

#include "runtime/atomic_file.h"
#include "runtime/errors.h"

#include <bit>
#include <cmath>
#include <cstring>

static_assert(std::endian::native == std::endian::little, ".npy data is read as little-endian; add byte swapping");

namespace nnc::runtime {
namespace {

constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
constexpr const char* kSupported = "'<f4', '<f8', '<i4', '<i8' or '|u1'";

// A cursor over the header's dict literal; messages carry absolute byte offsets.
class HeaderParser {
public:
    HeaderParser(const std::string& text, int64_t base, const std::string& what) : s_(text), base_(base), what_(what) {}

    [[noreturn]] void fail(const std::string& message) const { fail_at(pos_, message); }
    [[noreturn]] void fail_at(size_t pos, const std::string& message) const {
        throw Error(NNC_ERR_FORMAT,
                    what_ + " at byte offset " + std::to_string(base_ + static_cast<int64_t>(pos)) + ": " + message);
    }
    size_t pos() const { return pos_; }

    void spaces() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    bool eat(char c) {
        spaces();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c, const std::string& context) {
        if (!eat(c)) fail(std::string("expected '") + c + "' " + context + " in the header " + found());
    }
    std::string found() const {
        if (pos_ >= s_.size()) return "(the header ends)";
        return "(found '" + s_.substr(pos_, 12) + "')";
    }
    std::string string_literal() {
        spaces();
        if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
            fail("expected a quoted string in the header " + found());
        const char quote = s_[pos_++];
        const size_t end = s_.find(quote, pos_);
        if (end == std::string::npos) fail("a string in the header is never closed");
        std::string out = s_.substr(pos_, end - pos_);
        pos_ = end + 1;
        return out;
    }
    bool boolean() {
        spaces();
        for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
            if (s_.compare(pos_, std::strlen(word), word) == 0) {
                pos_ += std::strlen(word);
                return value;
            }
        }
        fail("expected True or False for 'fortran_order' " + found());
    }
    std::vector<int64_t> tuple() {
        expect('(', "to start 'shape'");
        std::vector<int64_t> dims;
        while (!eat(')')) {
            spaces();
            const size_t at = pos_;
            int64_t v = 0;
            bool any = false;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s_[pos_] - '0', &v)) {
                    fail_at(at, "a dimension of 'shape' is too large");
                }
                ++pos_;
                any = true;
            }
            if (!any) fail("expected a non-negative integer in 'shape' " + found());
            if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 longs
            dims.push_back(v);
            if (!eat(',')) {
                expect(')', "to close 'shape'");
                break;
            }
        }
        return dims;
    }

private:
    const std::string& s_;
    int64_t base_;
    const std::string& what_;
    size_t pos_ = 0;
};

bool dtype_of(const std::string& descr, NpyDtype& out) {
    static const std::pair<const char*, NpyDtype> known[] = {{"<f4", NpyDtype::F4}, {"<f8", NpyDtype::F8},
                                                             {"<i4", NpyDtype::I4}, {"<i8", NpyDtype::I8},
                                                             {"|u1", NpyDtype::U1}, {"<u1", NpyDtype::U1}};
    for (const auto& [name, dtype] : known) {
        if (descr == name) {
            out = dtype;
            return true;
        }
    }
    return false;
}

template <class T>
T element(const NpyArray& a, int64_t i) {
    T v;
    std::memcpy(&v, a.data.data() + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return v;
}

std::string header_text(const NpyArray& a) {
    std::string shape = "(";
    for (size_t i = 0; i < a.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape[i]);
    if (a.shape.size() == 1) shape += ",";
    shape += ")";
    return std::string("{'descr': '") + npy_descr(a.dtype) + "', 'fortran_order': False, 'shape': " + shape + ", }";
}

}  // namespace

const char* npy_descr(NpyDtype dtype) {
    switch (dtype) {
        case NpyDtype::F4: return "<f4";
        case NpyDtype::F8: return "<f8";
        case NpyDtype::I4: return "<i4";
        case NpyDtype::I8: return "<i8";
        case NpyDtype::U1: return "|u1";
    }
    return "?";
}

int npy_item_size(NpyDtype dtype) {
    switch (dtype) {
        case NpyDtype::F4:
        case NpyDtype::I4: return 4;
        case NpyDtype::F8:
        case NpyDtype::I8: return 8;
        case NpyDtype::U1: return 1;
    }
    return 1;
}

int64_t NpyArray::count() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string NpyArray::shape_text() const {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

std::vector<float> NpyArray::to_floats() const {
    const int64_t n = count();
    std::vector<float> out(static_cast<size_t>(n));
    switch (dtype) {
        case NpyDtype::F4:
            if (n > 0) std::memcpy(out.data(), data.data(), static_cast<size_t>(n) * 4);
            break;
        case NpyDtype::F8:
            for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(element<double>(*this, i));
            break;
        case NpyDtype::I4:
            for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(element<int32_t>(*this, i));
            break;
        case NpyDtype::I8:
            for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(element<int64_t>(*this, i));
            break;
        case NpyDtype::U1:
            for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(data[static_cast<size_t>(i)]);
            break;
    }
    return out;
}

std::vector<int32_t> NpyArray::to_classes(const int64_t* also) const {
    const int64_t n = count();
    std::vector<int32_t> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        double v = 0;
        switch (dtype) {
            case NpyDtype::F4: v = element<float>(*this, i); break;
            case NpyDtype::F8: v = element<double>(*this, i); break;
            case NpyDtype::I4: v = element<int32_t>(*this, i); break;
            case NpyDtype::I8: v = static_cast<double>(element<int64_t>(*this, i)); break;
            case NpyDtype::U1: v = data[static_cast<size_t>(i)]; break;
        }
        const bool skipped = also && v == static_cast<double>(*also);
        if (!skipped && (!(v >= 0 && v < 2147483648.0) || v != std::floor(v))) {
            char text[32];
            std::snprintf(text, sizeof text, "%.9g", v);
            throw Error(NNC_ERR_FORMAT, source + " at byte offset " +
                                            std::to_string(data_offset + i * npy_item_size(dtype)) + ": element " +
                                            std::to_string(i) + " is " + text +
                                            ", not a class index (a whole number >= 0)");
        }
        out[static_cast<size_t>(i)] = static_cast<int32_t>(v);
    }
    return out;
}

NpyArray parse_npy(const uint8_t* bytes, size_t size, const std::string& what) {
    const auto fail = [&](int64_t offset, const std::string& message) -> Error {
        return Error(NNC_ERR_FORMAT, what + " at byte offset " + std::to_string(offset) + ": " + message);
    };
    if (size < sizeof kMagic || std::memcmp(bytes, kMagic, sizeof kMagic) != 0) {
        if (size == 0) throw Error(NNC_ERR_FORMAT, what + " is empty; expected a NumPy .npy file");
        throw fail(0, "not a NumPy .npy file (it does not start with \"\\x93NUMPY\"); save it with numpy.save");
    }
    if (size < 8) throw fail(static_cast<int64_t>(size), "the file ends inside the version number; it is truncated");
    const int major = bytes[6], minor = bytes[7];
    if (major < 1 || major > 3 || minor != 0) {
        throw fail(6, "format version " + std::to_string(major) + "." + std::to_string(minor) +
                          " is not supported (1.0, 2.0 and 3.0 are)");
    }
    const size_t length_size = major == 1 ? 2 : 4;
    if (size < 8 + length_size)
        throw fail(static_cast<int64_t>(size), "the file ends inside the header length; it is truncated");
    uint32_t header_length = 0;
    for (size_t i = 0; i < length_size; ++i) header_length |= uint32_t{bytes[8 + i]} << (8 * i);
    const size_t header_start = 8 + length_size;
    if (header_length > size - header_start) {
        throw fail(8, "the header length is " + std::to_string(header_length) + " bytes but only " +
                          std::to_string(size - header_start) + " follow; the file is truncated");
    }
    const std::string header(reinterpret_cast<const char*>(bytes) + header_start, header_length);
    HeaderParser p(header, static_cast<int64_t>(header_start), what);

    NpyArray out;
    out.source = what;
    bool have_descr = false, have_order = false, have_shape = false, fortran = false;
    size_t descr_at = 0;
    std::string descr;
    p.expect('{', "to start");
    while (!p.eat('}')) {
        p.spaces();
        const size_t key_at = p.pos();
        const std::string key = p.string_literal();
        p.expect(':', "after '" + key + "'");
        if (key == "descr") {
            p.spaces();
            descr_at = p.pos();
            descr = p.string_literal();
            have_descr = true;
        } else if (key == "fortran_order") {
            fortran = p.boolean();
            have_order = true;
        } else if (key == "shape") {
            out.shape = p.tuple();
            have_shape = true;
        } else {
            p.fail_at(key_at, "unknown header key '" + key + "' (expected 'descr', 'fortran_order' and 'shape')");
        }
        if (!p.eat(',')) {
            p.expect('}', "after a header entry");
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape) {
        p.fail_at(0, std::string("the header lacks '") +
                         (!have_descr   ? "descr"
                          : !have_order ? "fortran_order"
                                        : "shape") +
                         "'");
    }
    if (!dtype_of(descr, out.dtype)) {
        std::string hint = "; convert it with arr.astype('<f4')";
        if (!descr.empty() && descr[0] == '>')
            hint = "; it is big-endian: convert it with arr.astype('<f4') (or '<i4')";
        p.fail_at(descr_at, "element type '" + descr + "' is not supported (" + kSupported + ")" + hint);
    }
    if (fortran) {
        p.fail_at(0,
                  "the array is in Fortran (column-major) order; nnc reads C order: save "
                  "numpy.ascontiguousarray(arr) instead");
    }

    const size_t data_start = header_start + header_length;
    int64_t count = 1;
    const int64_t max_bytes = static_cast<int64_t>(size - data_start);
    for (int64_t d : out.shape) {
        if (__builtin_mul_overflow(count, d, &count) || count > max_bytes) {
            count = -1;
            break;
        }
    }
    const int64_t item = npy_item_size(out.dtype);
    const int64_t want = count < 0 ? -1 : count * item;
    if (want < 0 || want > max_bytes) {
        throw fail(static_cast<int64_t>(size), "the data ends early: shape " + out.shape_text() + " of " + descr +
                                                   " needs " + (want < 0 ? std::string("more") : std::to_string(want)) +
                                                   " bytes from offset " + std::to_string(data_start) + " but " +
                                                   std::to_string(max_bytes) + " follow; the file is truncated");
    }
    if (want < max_bytes) {
        throw fail(static_cast<int64_t>(data_start) + want,
                   std::to_string(max_bytes - want) + " unexpected bytes after the data of shape " + out.shape_text() +
                       "; the header does not match the file");
    }
    out.data.assign(bytes + data_start, bytes + data_start + want);
    out.data_offset = static_cast<int64_t>(data_start);
    return out;
}

NpyArray read_npy(const std::string& path) {
    const std::vector<uint8_t> bytes = read_whole_file(path, ".npy file");
    return parse_npy(bytes.data(), bytes.size(), "'" + path + "'");
}

NpyArray make_npy(std::vector<int64_t> shape, const float* values) {
    NpyArray a;
    a.dtype = NpyDtype::F4;
    a.shape = std::move(shape);
    const auto* p = reinterpret_cast<const uint8_t*>(values);
    a.data.assign(p, p + a.count() * 4);
    return a;
}

NpyArray make_npy(std::vector<int64_t> shape, const int32_t* values) {
    NpyArray a;
    a.dtype = NpyDtype::I4;
    a.shape = std::move(shape);
    const auto* p = reinterpret_cast<const uint8_t*>(values);
    a.data.assign(p, p + a.count() * 4);
    return a;
}

std::vector<uint8_t> npy_bytes(const NpyArray& array) {
    std::string header = header_text(array);
    // Pad with spaces and end with '\n' so the data starts at a multiple of 64 bytes, as numpy does.
    const bool v2 = header.size() + 1 + 10 > 65535;
    const size_t prefix = v2 ? 12 : 10;
    const size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
    header.append(total - prefix - header.size() - 1, ' ');
    header += '\n';
    std::vector<uint8_t> out(kMagic, kMagic + sizeof kMagic);
    out.push_back(v2 ? 2 : 1);
    out.push_back(0);
    const uint32_t n = static_cast<uint32_t>(header.size());
    for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), array.data.begin(), array.data.end());
    return out;
}

void write_npy(const std::string& path, const NpyArray& array) { write_file_atomically(path, npy_bytes(array)); }

}  // namespace nnc::runtime
