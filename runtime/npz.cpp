#include "runtime/npz.h"

#include "runtime/atomic_file.h"
#include "runtime/errors.h"
#include "runtime/model.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <map>

namespace nnc::runtime {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;

class ZipReader {
public:
    ZipReader(const std::vector<uint8_t>& data, const std::string& path) : d_(data), path_(path) {}

    [[noreturn]] void fail(uint64_t offset, const std::string& message) const {
        throw Error(NNC_ERR_FORMAT, "'" + path_ + "' at byte offset " + std::to_string(offset) + ": " + message);
    }
    void need(uint64_t offset, uint64_t n, const std::string& what) const {
        if (offset > d_.size() || n > d_.size() - offset) {
            fail(offset, "the file ends inside " + what + "; the archive is truncated or corrupt");
        }
    }
    uint64_t le(uint64_t offset, int bytes, const std::string& what) const {
        need(offset, static_cast<uint64_t>(bytes), what);
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v |= uint64_t{d_[offset + static_cast<uint64_t>(i)]} << (8 * i);
        return v;
    }
    const uint8_t* at(uint64_t offset) const { return d_.data() + offset; }
    size_t size() const { return d_.size(); }

private:
    const std::vector<uint8_t>& d_;
    const std::string& path_;
};

struct Member {
    std::string name;
    uint64_t header_at = 0, compressed = 0, uncompressed = 0, local_offset = 0;
    uint32_t crc = 0;
    int method = 0, flags = 0;
};

// The end-of-central-directory record: where the directory is and how many entries it has.
void find_directory(const ZipReader& z, uint64_t& entries, uint64_t& dir_offset) {
    if (z.size() < 22) z.fail(0, "not a zip archive (too short); .npz files are written by numpy.savez");
    const uint64_t last = z.size() - 22;
    const uint64_t first = last > 65535 ? last - 65535 : 0;
    for (uint64_t p = last + 1; p-- > first;) {
        if (z.le(p, 4, "") != kEndSig) continue;
        entries = z.le(p + 10, 2, "the end record");
        dir_offset = z.le(p + 16, 4, "the end record");
        if ((entries == 0xFFFF || dir_offset == 0xFFFFFFFF) && p >= 20 && z.le(p - 20, 4, "") == kZip64LocatorSig) {
            const uint64_t end64 = z.le(p - 12, 8, "the zip64 locator");
            if (z.le(end64, 4, "the zip64 end record") != kZip64EndSig)
                z.fail(end64, "the zip64 end record is missing");
            entries = z.le(end64 + 32, 8, "the zip64 end record");
            dir_offset = z.le(end64 + 48, 8, "the zip64 end record");
        }
        return;
    }
    z.fail(0, "not a zip archive (no end-of-central-directory record); .npz files are written by numpy.savez");
}

std::vector<Member> read_directory(const ZipReader& z) {
    uint64_t entries = 0, p = 0;
    find_directory(z, entries, p);
    std::vector<Member> members;
    for (uint64_t i = 0; i < entries; ++i) {
        Member m;
        m.header_at = p;
        if (z.le(p, 4, "a directory entry") != kCentralSig)
            z.fail(p, "expected a central directory entry; the archive is corrupt");
        m.flags = static_cast<int>(z.le(p + 8, 2, "a directory entry"));
        m.method = static_cast<int>(z.le(p + 10, 2, "a directory entry"));
        m.crc = static_cast<uint32_t>(z.le(p + 16, 4, "a directory entry"));
        m.compressed = z.le(p + 20, 4, "a directory entry");
        m.uncompressed = z.le(p + 24, 4, "a directory entry");
        const uint64_t name_len = z.le(p + 28, 2, "a directory entry"),
                       extra_len = z.le(p + 30, 2, "a directory entry");
        const uint64_t comment_len = z.le(p + 32, 2, "a directory entry");
        m.local_offset = z.le(p + 42, 4, "a directory entry");
        z.need(p + 46, name_len + extra_len, "a member name");
        m.name.assign(reinterpret_cast<const char*>(z.at(p + 46)), name_len);
        // zip64: the fields saturated at 0xFFFFFFFF follow in the extra field 0x0001, in this order.
        for (uint64_t e = p + 46 + name_len; e + 4 <= p + 46 + name_len + extra_len;) {
            const uint64_t id = z.le(e, 2, "an extra field"), len = z.le(e + 2, 2, "an extra field");
            if (id == 0x0001) {
                uint64_t q = e + 4;
                for (uint64_t* field : {&m.uncompressed, &m.compressed, &m.local_offset}) {
                    if (*field == 0xFFFFFFFF && q + 8 <= e + 4 + len) {
                        *field = z.le(q, 8, "a zip64 field");
                        q += 8;
                    }
                }
            }
            e += 4 + len;
        }
        members.push_back(std::move(m));
        p += 46 + name_len + extra_len + comment_len;
    }
    return members;
}

std::vector<uint8_t> extract(const ZipReader& z, const Member& m) {
    const std::string what = "member '" + m.name + "'";
    if (m.flags & 1) z.fail(m.header_at, what + " is encrypted; save the archive without a password");
    if (m.method != 0 && m.method != 8) {
        z.fail(m.header_at, what + " uses compression method " + std::to_string(m.method) +
                                " (only stored and deflated are read); save it with numpy.savez");
    }
    const uint64_t h = m.local_offset;
    if (z.le(h, 4, "the local header of " + what) != kLocalSig) z.fail(h, "expected the local header of " + what);
    const uint64_t start = h + 30 + z.le(h + 26, 2, "a local header") + z.le(h + 28, 2, "a local header");
    z.need(start, m.compressed, "the data of " + what);
    std::vector<uint8_t> out;
    if (m.method == 0) {
        if (m.compressed != m.uncompressed)
            z.fail(h, what + " is stored with mismatched sizes; the archive is corrupt");
        out.assign(z.at(start), z.at(start) + m.compressed);
    } else {
        // Deflate expands at most 1032:1: a larger claim is corrupt, and is refused before the
        // claimed size is allocated.
        if (m.uncompressed > (uint64_t{1} << 40) || m.uncompressed > m.compressed * 1032 + 1024)
            z.fail(m.header_at, what + " claims an implausible size (" + std::to_string(m.uncompressed) +
                                    " bytes from " + std::to_string(m.compressed) +
                                    " compressed); the archive is corrupt");
        out.resize(m.uncompressed);
        z_stream s{};
        if (inflateInit2(&s, -MAX_WBITS) != Z_OK) throw Error(NNC_ERR_OUT_OF_MEMORY, "zlib: cannot start inflating");
        s.next_in = const_cast<Bytef*>(z.at(start));
        s.avail_in = static_cast<uInt>(m.compressed);
        s.next_out = out.data();
        s.avail_out = static_cast<uInt>(out.size());
        const int rc = inflate(&s, Z_FINISH);
        const uint64_t produced = s.total_out;
        inflateEnd(&s);
        if (rc != Z_STREAM_END || produced != m.uncompressed) {
            z.fail(start, "the deflated data of " + what + " is corrupt (zlib: " + std::to_string(rc) + ")");
        }
    }
    const uint32_t crc = static_cast<uint32_t>(crc32_z(0, out.data(), out.size()));
    if (crc != m.crc) z.fail(start, "CRC-32 mismatch in " + what + "; the archive is corrupt");
    return out;
}

void put(std::vector<uint8_t>& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Weights that are NaN or infinite would only make every loss NaN: refused, at the first one.
void check_finite(const NpyArray& a, const std::vector<float>& values, const std::string& path,
                  const std::string& name) {
    for (size_t i = 0; i < values.size(); ++i) {
        if (std::isfinite(values[i])) continue;
        throw Error(NNC_ERR_FORMAT,
                    "'" + path + "': element " + std::to_string(i) + " of array '" + name + "' is " +
                        (std::isnan(values[i]) ? "NaN" : "infinite") + " (byte offset " +
                        std::to_string(a.data_offset + static_cast<int64_t>(i) * npy_item_size(a.dtype)) +
                        " in its member '" + name +
                        ".npy'); weights must be finite numbers: export them again from a run that "
                        "did not diverge");
    }
}

}  // namespace

std::vector<NpzEntry> read_npz(const std::string& path) {
    const std::vector<uint8_t> data = read_whole_file(path, ".npz archive");
    ZipReader z(data, path);
    std::vector<NpzEntry> entries;
    for (const Member& m : read_directory(z)) {
        const std::vector<uint8_t> bytes = extract(z, m);
        NpzEntry e;
        e.name = m.name.size() > 4 && m.name.compare(m.name.size() - 4, 4, ".npy") == 0
                     ? m.name.substr(0, m.name.size() - 4)
                     : m.name;
        e.array = parse_npy(bytes.data(), bytes.size(), "'" + path + "' member '" + m.name + "'");
        entries.push_back(std::move(e));
    }
    return entries;
}

std::vector<uint8_t> npz_bytes(const std::vector<NpzEntry>& entries) {
    std::vector<uint8_t> out, directory;
    for (const NpzEntry& e : entries) {
        const std::string name = e.name + ".npy";
        const std::vector<uint8_t> data = npy_bytes(e.array);
        if (data.size() >= 0xFFFFFFFFu || out.size() >= 0xFFFFFFFFu) {
            throw Error(NNC_ERR_INVALID_ARGUMENT, "array '" + e.name +
                                                      "' makes the archive larger than 4 GiB, which "
                                                      "this writer does not support");
        }
        const uint32_t crc = static_cast<uint32_t>(crc32_z(0, data.data(), data.size()));
        const uint64_t offset = out.size();
        // Local header: version 2.0, no flags, stored, 1980-01-01 00:00 (reproducible bytes).
        put(out, kLocalSig, 4);
        put(out, 20, 2);
        put(out, 0, 2);
        put(out, 0, 2);
        put(out, 0, 2);
        put(out, 0x21, 2);
        put(out, crc, 4);
        put(out, data.size(), 4);
        put(out, data.size(), 4);
        put(out, name.size(), 2);
        put(out, 0, 2);
        out.insert(out.end(), name.begin(), name.end());
        out.insert(out.end(), data.begin(), data.end());

        put(directory, kCentralSig, 4);
        put(directory, 20, 2);
        put(directory, 20, 2);
        put(directory, 0, 2);
        put(directory, 0, 2);
        put(directory, 0, 2);
        put(directory, 0x21, 2);
        put(directory, crc, 4);
        put(directory, data.size(), 4);
        put(directory, data.size(), 4);
        put(directory, name.size(), 2);
        put(directory, 0, 2);  // extra
        put(directory, 0, 2);  // comment
        put(directory, 0, 2);  // disk
        put(directory, 0, 2);  // internal attributes
        put(directory, 0, 4);  // external attributes
        put(directory, offset, 4);
        directory.insert(directory.end(), name.begin(), name.end());
    }
    const uint64_t dir_offset = out.size();
    out.insert(out.end(), directory.begin(), directory.end());
    put(out, kEndSig, 4);
    put(out, 0, 2);
    put(out, 0, 2);
    put(out, entries.size(), 2);
    put(out, entries.size(), 2);
    put(out, directory.size(), 4);
    put(out, dir_offset, 4);
    put(out, 0, 2);
    return out;
}

void write_npz(const std::string& path, const std::vector<NpzEntry>& entries) {
    if (entries.size() > 0xFFFF) throw Error(NNC_ERR_INVALID_ARGUMENT, "an .npz archive holds at most 65535 arrays");
    write_file_atomically(path, npz_bytes(entries));
}

void export_params_npz(const nnc_model& model, const std::string& path) {
    const nnc_model_desc& d = *model.desc;
    std::vector<NpzEntry> entries;
    const float* params = model.params.host_read();
    for (int p = 0; p < d.num_params; ++p) {
        const nnc_param_desc& param = d.params[p];
        NpzEntry e;
        e.name = param.name;
        e.array = make_npy(std::vector<int64_t>(param.dims, param.dims + param.rank), params + model.offset[p]);
        entries.push_back(std::move(e));
    }
    write_npz(path, entries);
}

void import_params_npz(nnc_model& model, const std::string& path) {
    std::vector<NpzEntry> entries = read_npz(path);
    std::map<std::string, NpzEntry*> by_name;
    for (NpzEntry& e : entries) by_name[e.name] = &e;
    const nnc_model_desc& d = *model.desc;
    const std::string prefix = "'" + path + "' does not fit model '" + d.model_name + "': ";
    std::vector<std::vector<float>> values(static_cast<size_t>(d.num_params));
    for (int p = 0; p < d.num_params; ++p) {
        const nnc_param_desc& param = d.params[p];
        const auto it = by_name.find(param.name);
        if (it == by_name.end()) {
            std::string have;
            for (const NpzEntry& e : entries) have += (have.empty() ? "'" : ", '") + e.name + "'";
            throw Error(NNC_ERR_INVALID_ARGUMENT, prefix + "it has no array '" + param.name + "' (it holds " +
                                                      (have.empty() ? std::string("none") : have) + ")");
        }
        const NpyArray& a = it->second->array;
        const std::vector<int64_t> want(param.dims, param.dims + param.rank);
        if (a.shape != want) {
            NpyArray shape_only;
            shape_only.shape = want;
            throw Error(NNC_ERR_INVALID_ARGUMENT, prefix + "array '" + param.name + "' has shape " + a.shape_text() +
                                                      " but the parameter has shape " + shape_only.shape_text());
        }
        if (a.dtype != NpyDtype::F4 && a.dtype != NpyDtype::F8) {
            throw Error(NNC_ERR_INVALID_ARGUMENT, prefix + "array '" + param.name + "' holds " + npy_descr(a.dtype) +
                                                      "; parameters are floats ('<f4' or '<f8')");
        }
        values[static_cast<size_t>(p)] = a.to_floats();
        check_finite(a, values[static_cast<size_t>(p)], path, param.name);
        by_name.erase(it);
    }
    if (!by_name.empty()) {
        std::string extra;
        for (const auto& [name, e] : by_name) extra += (extra.empty() ? "'" : ", '") + name + "'";
        throw Error(NNC_ERR_INVALID_ARGUMENT, prefix + "it holds arrays the model does not have: " + extra +
                                                  "; was it exported from another model?");
    }
    float* params = model.params.host_overwrite();  // every parameter replaced
    for (int p = 0; p < d.num_params; ++p) {
        std::memcpy(params + model.offset[p], values[static_cast<size_t>(p)].data(),
                    static_cast<size_t>(model.count[p]) * sizeof(float));
    }
    model.optimizer.host_overwrite().reset();
}

}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_model_export_npz(const nnc_model* model, const char* path) {
    return guarded_model_file("nnc_model_export_npz", model, path, export_params_npz);
}

nnc_status nnc_model_import_npz(nnc_model* model, const char* path) {
    return guarded_model_file("nnc_model_import_npz", model, path, import_params_npz);
}

}  // extern "C"
