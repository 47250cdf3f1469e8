#include "runtime/checkpoint.h"

#include "runtime/atomic_file.h"
#include "runtime/errors.h"
#include "runtime/model.h"
#include "runtime/standardize.h"
#include "runtime/train_state.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <memory>
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
    // `base`: where data starts in the file (a section read on its own), for the messages.
    Reader(const std::vector<uint8_t>& data, const std::string& path, size_t base = 0)
        : data_(data), path_(path), base_(base) {}

    size_t offset() const { return pos_; }
    std::string where(size_t offset) const {
        return "checkpoint '" + path_ + "' at byte offset " + std::to_string(base_ + offset) + ": ";
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
    size_t base_ = 0;
    size_t pos_ = 0;
};

struct StoredParam {
    std::string name;
    int rank = 0;
    int64_t dims[NNC_MAX_RANK] = {};
    int64_t count = 1;
    const uint8_t* data = nullptr;
};

// FNV-1a, 64 bits: the structure hash needs to tell models apart, not resist attacks.
struct Fnv {
    uint64_t h = 0xcbf29ce484222325ull;
    void bytes(const void* p, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            h ^= static_cast<const uint8_t*>(p)[i];
            h *= 0x100000001b3ull;
        }
    }
    void i64(int64_t v) { bytes(&v, 8); }
    void string(const char* s) {
        const size_t n = s ? std::strlen(s) : 0;
        i64(static_cast<int64_t>(n));
        bytes(s, n);
    }
};

// Sections after the parameters (version 2), each `u32 length, tag; u64 length, bytes`.
constexpr const char* kOptimizerSection = "optimizer";
constexpr const char* kTrainSection = "train";
constexpr const char* kStepCounterSection = "step_counter";
constexpr const char* kStandardizationSection = "standardization";
constexpr const char* kDropoutSection = "dropout_rates";

// u32 n, then n times (u32 length, name bytes, f32 rate): by name, so that a checkpoint loads into
// a model whose dropout layers differ (those it names keep their saved rate, the rest their own).
std::vector<uint8_t> dropout_bytes(const nnc_model& model) {
    Writer w;
    w.u32(static_cast<uint32_t>(model.desc->num_dropouts));
    for (int k = 0; k < model.desc->num_dropouts; ++k) {
        w.string(model.desc->dropouts[k].name);
        w.bytes(&model.dropout_rates[static_cast<size_t>(k)], 4);
    }
    return std::move(w.data());
}

// The saved rate of each of the model's dropout layers the section names (-1: not named).
std::vector<float> parse_dropout_rates(const nnc_model& model, const std::vector<uint8_t>& file, size_t begin,
                                       size_t end, const std::string& path) {
    const std::vector<uint8_t> bytes(file.begin() + static_cast<std::ptrdiff_t>(begin),
                                     file.begin() + static_cast<std::ptrdiff_t>(end));
    Reader r(bytes, path, begin);
    std::vector<float> out(static_cast<size_t>(model.desc->num_dropouts), -1.0f);
    const uint32_t n = r.u32("the dropout rate count");
    for (uint32_t i = 0; i < n; ++i) {
        const std::string name = r.string("a dropout layer's name");
        const size_t at = r.offset();
        float rate;
        std::memcpy(&rate, r.take(4, "the rate of dropout '" + name + "'"), 4);
        if (!(rate >= 0.0f && rate < 1.0f))
            throw Error(NNC_ERR_FORMAT, r.where(at) + "dropout '" + name + "' has rate " + std::to_string(rate) +
                                            ", outside [0, 1); the file is corrupt");
        for (int k = 0; k < model.desc->num_dropouts; ++k)
            if (name == model.desc->dropouts[k].name) out[static_cast<size_t>(k)] = rate;
    }
    if (r.offset() != bytes.size())
        throw Error(NNC_ERR_FORMAT,
                    r.where(r.offset()) + "unexpected bytes after the dropout rates; the file is corrupt");
    return out;
}

std::vector<uint8_t> standardization_bytes(const DatasetStandardization& s) {
    std::vector<uint8_t> out = serialize_standardization(s.inputs);
    const uint32_t n = static_cast<uint32_t>(s.targets.size());
    const size_t at = out.size();
    out.resize(at + 4);
    std::memcpy(out.data() + at, &n, 4);
    for (const Standardization& t : s.targets) {
        const std::vector<uint8_t> b = serialize_standardization(t);
        out.insert(out.end(), b.begin(), b.end());
    }
    return out;
}

// Reads the section at file[begin, end); offsets in messages are the file's.
DatasetStandardization parse_standardization(const uint8_t* file, size_t begin, size_t end, const std::string& what) {
    DatasetStandardization s;
    size_t offset = begin;
    s.inputs = deserialize_standardization(file, end, offset, what);
    const auto fail = [&](const std::string& message) {
        return Error(NNC_ERR_FORMAT,
                     what + " at byte offset " + std::to_string(offset) + ": " + message + "; the file is corrupt");
    };
    if (end - offset < 4) throw fail("the standardization section ends before its target count");
    uint32_t n = 0;
    std::memcpy(&n, file + offset, 4);
    if (n > NNC_MAX_LOSSES) throw fail("the standardization section claims " + std::to_string(n) + " targets");
    offset += 4;
    for (uint32_t t = 0; t < n; ++t) s.targets.push_back(deserialize_standardization(file, end, offset, what));
    if (offset != end)
        throw fail(std::to_string(end - offset) + " unexpected bytes after the standardization statistics");
    return s;
}

}  // namespace

uint64_t structure_hash(const nnc_model_desc& d) {
    Fnv f;
    f.i64(d.num_params);
    for (int p = 0; p < d.num_params; ++p) {
        f.string(d.params[p].name);
        f.i64(d.params[p].rank);
        for (int i = 0; i < d.params[p].rank; ++i) f.i64(d.params[p].dims[i]);
    }
    f.string(d.input.name);
    f.i64(d.input.rank);
    for (int i = 0; i < d.input.rank; ++i) f.i64(d.input.dims[i]);
    return f.h;
}

void save_checkpoint(const nnc_model& model, const std::string& path) {
    const float* params = model.params.host_read();
    const nnc_model_desc& d = *model.desc;
    Writer w;
    w.bytes(kMagic, sizeof kMagic);
    w.u32(kCheckpointVersion);
    w.string(d.model_name);
    w.string(d.source_hash ? d.source_hash : "");
    const uint64_t hash = structure_hash(d);
    w.bytes(&hash, 8);
    w.u32(static_cast<uint32_t>(d.num_params));
    for (int p = 0; p < d.num_params; ++p) {
        w.string(d.params[p].name);
        w.u32(static_cast<uint32_t>(d.params[p].rank));
        for (int i = 0; i < d.params[p].rank; ++i) w.i64(d.params[p].dims[i]);
        w.bytes(params + model.offset[p], static_cast<size_t>(model.count[p]) * sizeof(float));
    }
    const std::vector<uint8_t> optimizer = model.optimizer.host_read().save_state();
    const std::vector<uint8_t> train = serialize_train_state(model.train_state);
    const uint64_t counter = model.step_counter;
    const std::vector<uint8_t> standardization = standardization_bytes(model.standardization);
    const std::pair<const char*, std::vector<uint8_t>> sections[] = {
        {kOptimizerSection, optimizer},
        {kTrainSection, train},
        {kStepCounterSection, std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(&counter),
                                                   reinterpret_cast<const uint8_t*>(&counter) + 8)},
        {kStandardizationSection, standardization},
        {kDropoutSection, dropout_bytes(model)}};
    w.u32(static_cast<uint32_t>(std::size(sections)));
    for (const auto& [tag, bytes] : sections) {
        w.string(tag);
        w.i64(static_cast<int64_t>(bytes.size()));
        w.bytes(bytes.data(), bytes.size());
    }
    w.u32(static_cast<uint32_t>(crc32_z(0, w.data().data(), w.data().size())));
    write_file_atomically(path, w.data());
}

namespace {

// Where a section sits in the file.
struct Section {
    std::string tag;
    size_t at = 0;
    const uint8_t* data = nullptr;
    size_t size = 0;
};

// A checkpoint file as read, its structure and CRC checked; nothing compared with a model yet.
struct CheckpointFile {
    uint32_t version = 0;
    std::string saved_model;
    size_t hash_at = 0, count_at = 0;
    uint64_t saved_hash = 0;
    std::vector<StoredParam> params;
    std::vector<Section> sections;  // version 2
};

// The sections' contents, parsed and checked against the model.
struct CheckpointSections {
    std::unique_ptr<Optimizer> optimizer;  // null: the optimizer starts fresh
    std::string optimizer_mismatch;
    TrainState train;
    uint64_t counter = 0;
    DatasetStandardization standardization;
    std::vector<float> dropout_rates;  // empty: the file has none (an older nnc)
};

// Magic and version; returns the version.
uint32_t read_preamble(Reader& r, const std::vector<uint8_t>& file, const std::string& path) {
    if (file.empty()) throw Error(NNC_ERR_FORMAT, "checkpoint '" + path + "' is empty; save it again");
    if (std::memcmp(file.data(), kMagic, std::min(file.size(), sizeof kMagic)) != 0) {
        throw Error(NNC_ERR_FORMAT, r.where(0) + "not an nnc checkpoint (the file does not start with \"NNCCKPT\")");
    }
    r.take(sizeof kMagic, "the magic number");
    const uint32_t version = r.u32("the format version");
    if (version != kCheckpointVersion && version != 1) {
        throw Error(NNC_ERR_FORMAT, r.where(8) + "checkpoint format version " + std::to_string(version) +
                                        " is not supported (this runtime reads versions 1 and " +
                                        std::to_string(kCheckpointVersion) + "); use the nnc that wrote it");
    }
    return version;
}

StoredParam read_param(Reader& r, const std::vector<uint8_t>& file, uint32_t p) {
    StoredParam s;
    const std::string what = "parameter " + std::to_string(p);
    s.name = r.string("the name of " + what);
    const size_t rank_at = r.offset();
    const uint32_t rank = r.u32("the rank of '" + s.name + "'");
    if (rank > NNC_MAX_RANK) {
        throw Error(NNC_ERR_FORMAT, r.where(rank_at) + "parameter '" + s.name + "' has rank " + std::to_string(rank) +
                                        " (at most " + std::to_string(NNC_MAX_RANK) + "); the file is corrupt");
    }
    s.rank = static_cast<int>(rank);
    for (int i = 0; i < s.rank; ++i) {
        const size_t dim_at = r.offset();
        s.dims[i] = r.i64("the dimensions of '" + s.name + "'");
        const int64_t max_count = static_cast<int64_t>(file.size() / sizeof(float));
        if (s.dims[i] <= 0 || __builtin_mul_overflow(s.count, s.dims[i], &s.count) || s.count > max_count) {
            throw Error(NNC_ERR_FORMAT, r.where(dim_at) + "parameter '" + s.name + "' has dimension " +
                                            std::to_string(s.dims[i]) + ", more than the file's " +
                                            std::to_string(file.size()) + " bytes hold; it is truncated or corrupt");
        }
    }
    s.data = r.take(static_cast<size_t>(s.count) * sizeof(float), "the data of '" + s.name + "'");
    return s;
}

std::vector<Section> read_sections(Reader& r, const std::vector<uint8_t>& file) {
    std::vector<Section> sections;
    const uint32_t n = r.u32("the section count");
    for (uint32_t i = 0; i < n; ++i) {
        Section s;
        s.tag = r.string("a section name");
        const size_t length_at = r.offset();
        const int64_t length = r.i64("the length of section '" + s.tag + "'");
        if (length < 0 || static_cast<uint64_t>(length) > file.size()) {
            throw Error(NNC_ERR_FORMAT, r.where(length_at) + "section '" + s.tag + "' claims " +
                                            std::to_string(length) +
                                            " bytes, more than the file holds; it is truncated or corrupt");
        }
        s.at = r.offset();
        s.size = static_cast<size_t>(length);
        s.data = r.take(s.size, "section '" + s.tag + "'");
        sections.push_back(std::move(s));
    }
    return sections;
}

void check_crc(Reader& r, const std::vector<uint8_t>& file) {
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
}

// The whole file read through once, in the order of its layout (checkpoint.h).
CheckpointFile read_checkpoint(Reader& r, const std::vector<uint8_t>& file, const std::string& path) {
    CheckpointFile c;
    c.version = read_preamble(r, file, path);
    c.saved_model = r.string("the model name");
    r.string("the source hash");
    if (c.version >= 2) {
        c.hash_at = r.offset();
        std::memcpy(&c.saved_hash, r.take(8, "the structure hash"), 8);
    }
    c.count_at = r.offset();
    const uint32_t num_params = r.u32("the parameter count");
    for (uint32_t p = 0; p < num_params; ++p) c.params.push_back(read_param(r, file, p));
    if (c.version >= 2) c.sections = read_sections(r, file);
    check_crc(r, file);
    return c;
}

// The per-parameter comparison names the first difference; the structure hash catches the rest
// (the input's shape).
void check_fits(const nnc_model& model, const CheckpointFile& c, const std::string& mismatch) {
    const nnc_model_desc& d = *model.desc;
    if (static_cast<int>(c.params.size()) != d.num_params) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, mismatch + "it has " + std::to_string(c.params.size()) +
                                                  " parameters, the model " + std::to_string(d.num_params) +
                                                  " (offset " + std::to_string(c.count_at) + ")");
    }
    for (int p = 0; p < d.num_params; ++p) {
        const nnc_param_desc& want = d.params[p];
        const StoredParam& got = c.params[static_cast<size_t>(p)];
        const bool same_shape = got.rank == want.rank && std::equal(got.dims, got.dims + got.rank, want.dims);
        if (got.name != want.name || !same_shape) {
            throw Error(NNC_ERR_INVALID_ARGUMENT, mismatch + "parameter " + std::to_string(p) + " is '" + want.name +
                                                      "' " + shape_text(want.dims, want.rank) + " in the model but '" +
                                                      got.name + "' " + shape_text(got.dims, got.rank) +
                                                      " in the checkpoint");
        }
    }
    if (c.version >= 2 && c.saved_hash != structure_hash(d)) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, mismatch + "its structure hash (offset " + std::to_string(c.hash_at) +
                                                  ") differs: the parameters match but the input '" + d.input.name +
                                                  "' has another shape");
    }
}

// Weights that are NaN or infinite would only make every loss NaN: refused, at the first one.
void check_finite(const CheckpointFile& c, const std::vector<uint8_t>& file, const std::string& path) {
    for (const StoredParam& p : c.params) {
        for (int64_t i = 0; i < p.count; ++i) {
            float v;
            std::memcpy(&v, p.data + i * static_cast<int64_t>(sizeof(float)), sizeof v);
            if (std::isfinite(v)) continue;
            const int64_t offset = (p.data - file.data()) + i * static_cast<int64_t>(sizeof(float));
            throw Error(NNC_ERR_FORMAT, "checkpoint '" + path + "' at byte offset " + std::to_string(offset) +
                                            ": element " + std::to_string(i) + " of parameter '" + p.name + "' is " +
                                            (std::isnan(v) ? "NaN" : "infinite") +
                                            "; it holds the weights of a diverged run: load an earlier checkpoint "
                                            "(best.ckpt) or train from fresh weights");
        }
    }
}

TrainState parse_train_section(const nnc_model& model, const Section& s, const Reader& r, const std::string& where) {
    TrainState train = deserialize_train_state(s.data, s.size, where, s.at);
    if (!train.early_stopping.best_params.empty() &&
        static_cast<int64_t>(train.early_stopping.best_params.size()) != model.arena_size) {
        throw Error(NNC_ERR_FORMAT,
                    r.where(s.at) + "the early-stopping weights do not match the model's size; the file is corrupt");
    }
    if (train.micro > 0 && static_cast<int64_t>(train.accumulated.size()) != model.trainable_size) {
        throw Error(NNC_ERR_FORMAT,
                    r.where(s.at) + "the accumulated gradients do not match the model's size; the file is corrupt");
    }
    return train;
}

DatasetStandardization parse_standardization_section(const nnc_model& model, const std::vector<uint8_t>& file,
                                                     const Section& s, const std::string& where,
                                                     const std::string& mismatch) {
    DatasetStandardization standardization = parse_standardization(file.data(), s.at, s.at + s.size, where);
    const auto fits = [&](const Standardization& st, int64_t columns) { return st.empty() || st.columns() == columns; };
    bool ok = fits(standardization.inputs, model.input_size) &&
              (standardization.targets.empty() ||
               static_cast<int>(standardization.targets.size()) == model.desc->num_targets);
    for (size_t t = 0; ok && t < standardization.targets.size(); ++t)
        ok = fits(standardization.targets[t], model.target_sizes[t]);
    if (!ok) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, mismatch + "its standardization statistics (offset " +
                                                  std::to_string(s.at) +
                                                  ") do not have the model's input and target sizes");
    }
    return standardization;
}

// Every section parsed before anything changes; unknown sections come from a newer nnc and are
// skipped.
CheckpointSections parse_sections(const nnc_model& model, const std::vector<uint8_t>& file, const CheckpointFile& c,
                                  const Reader& r, const std::string& path, const std::string& mismatch) {
    const std::string where = "checkpoint '" + path + "'";
    CheckpointSections out;
    for (const Section& s : c.sections) {
        if (s.tag == kOptimizerSection) {
            // Restored when the model uses the same optimizer with the same settings; otherwise
            // only the weights load and the optimizer starts fresh (as from version 1 files).
            auto scratch = make_optimizer(model.optimizer_config, model.optimizer.count());
            try {
                scratch->load_state(s.data, s.size, where, s.at);
                out.optimizer = std::move(scratch);
            } catch (const Error& e) {
                if (e.status() != NNC_ERR_INVALID_ARGUMENT) throw;
                out.optimizer_mismatch = e.what();
            }
        } else if (s.tag == kTrainSection) {
            out.train = parse_train_section(model, s, r, where);
        } else if (s.tag == kStepCounterSection) {
            if (s.size != 8)
                throw Error(NNC_ERR_FORMAT,
                            r.where(s.at) + "the step counter section is not 8 bytes; the file is corrupt");
            std::memcpy(&out.counter, s.data, 8);
        } else if (s.tag == kStandardizationSection) {
            out.standardization = parse_standardization_section(model, file, s, where, mismatch);
        } else if (s.tag == kDropoutSection) {
            out.dropout_rates = parse_dropout_rates(model, file, s.at, s.at + s.size, path);
        }
    }
    return out;
}

// The checked contents into the model: weights, optimizer, training state and the rest.
void install(nnc_model& model, const CheckpointFile& c, CheckpointSections loaded, const std::string& path) {
    float* params = model.params.host_overwrite();  // every parameter replaced
    for (int p = 0; p < model.desc->num_params; ++p) {
        std::memcpy(params + model.offset[p], c.params[static_cast<size_t>(p)].data,
                    static_cast<size_t>(model.count[p]) * sizeof(float));
    }
    if (loaded.optimizer) {
        loaded.optimizer->set_workers(model.workers.get());
        model.optimizer.replace(std::move(loaded.optimizer));
    } else {
        model.optimizer.host_overwrite().reset();
    }
    const std::string where = "checkpoint '" + path + "'";
    TrainState& train = loaded.train;
    if (c.version < 2) {
        train.not_resumable = where +
                              " is a format-1 checkpoint (an older nnc): it holds the weights only, "
                              "without the optimizer and training state a resumed run needs";
    } else if (!loaded.optimizer_mismatch.empty()) {
        train.not_resumable = "the optimizer state in " + where + " does not fit the model's optimizer (" +
                              loaded.optimizer_mismatch + "); set the optimizer the run used before loading it";
    }
    model.train_state = std::move(train);
    model.step_counter = loaded.counter;
    model.standardization = std::move(loaded.standardization);
    for (size_t k = 0; k < loaded.dropout_rates.size(); ++k)
        if (loaded.dropout_rates[k] >= 0.0f) model.dropout_rates[k] = loaded.dropout_rates[k];
}

}  // namespace

// Reads and checks everything (file, fit, sections) before it changes the model.
void load_checkpoint(nnc_model& model, const std::string& path) {
    const std::vector<uint8_t> file = read_whole_file(path, "checkpoint");
    Reader r(file, path);
    const CheckpointFile c = read_checkpoint(r, file, path);
    const std::string mismatch = "checkpoint '" + path + "' (saved from model '" + c.saved_model +
                                 "') does not fit model '" + model.desc->model_name + "': ";
    check_fits(model, c, mismatch);
    check_finite(c, file, path);
    install(model, c, parse_sections(model, file, c, r, path, mismatch), path);
}

}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_model_save(const nnc_model* model, const char* path) {
    return guarded_model_file("nnc_model_save", model, path, save_checkpoint);
}

nnc_status nnc_model_load(nnc_model* model, const char* path) {
    return guarded_model_file("nnc_model_load", model, path, load_checkpoint);
}

}  // extern "C"
