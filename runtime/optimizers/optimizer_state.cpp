// Optimizer::save_state / load_state: the fields each optimizer lists in visit_state, as bytes.
//
//   u32 length, bytes   optimizer name ("adam")
//   i64                 element count (the trainable arena)
//   u32                 field count
//   per field: u32 length, bytes (name), u8 kind (0 counter, 1 flag, 2 buffer), then
//              i64 (counter) | u8 (flag) | u64 n, f32[n] (buffer)
#include "runtime/errors.h"
#include "runtime/optimizers/optimizer.h"

#include <cstring>

namespace nnc::runtime {
namespace {

enum Kind : uint8_t { kCounter = 0, kFlag = 1, kBuffer = 2 };
const char* kind_name(int k) { return k == kCounter ? "a counter" : k == kFlag ? "a flag" : "a buffer"; }

void put(std::vector<uint8_t>& out, const void* p, size_t n) {
    if (n == 0) return;
    const size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, p, n);
}
void put_string(std::vector<uint8_t>& out, const std::string& s) {
    const uint32_t n = static_cast<uint32_t>(s.size());
    put(out, &n, 4);
    put(out, s.data(), s.size());
}

struct Saver final : OptimizerStateFields {
    std::vector<uint8_t> body;
    uint32_t fields = 0;
    void head(const char* name, Kind kind) {
        put_string(body, name);
        body.push_back(kind);
        ++fields;
    }
    void counter(const char* name, int64_t& v) override {
        head(name, kCounter);
        put(body, &v, 8);
    }
    void flag(const char* name, bool& v) override {
        head(name, kFlag);
        body.push_back(v ? 1 : 0);
    }
    void buffer(const char* name, std::vector<float>& v) override {
        head(name, kBuffer);
        const uint64_t n = v.size();
        put(body, &n, 8);
        put(body, v.data(), v.size() * 4);
    }
};

// What this optimizer expects, field by field, for checking before anything changes.
struct Expected {
    std::string name;
    Kind kind;
    uint64_t length = 0;
};
struct Lister final : OptimizerStateFields {
    std::vector<Expected> fields;
    void counter(const char* name, int64_t&) override { fields.push_back({name, kCounter, 0}); }
    void flag(const char* name, bool&) override { fields.push_back({name, kFlag, 0}); }
    void buffer(const char* name, std::vector<float>& v) override { fields.push_back({name, kBuffer, v.size()}); }
};

class Cursor {
public:
    Cursor(const uint8_t* data, size_t size, const std::string& what, size_t base)
        : d_(data), n_(size), what_(what), base_(base) {}
    Error error(const std::string& message, size_t at) const {
        return Error(NNC_ERR_FORMAT, what_ + " at byte offset " + std::to_string(base_ + at) + ": " + message);
    }
    const uint8_t* take(size_t k, const std::string& of) {
        if (k > n_ - pos_)
            throw error("the optimizer state ends in the middle of " + of + "; the file is truncated or corrupt", pos_);
        const uint8_t* p = d_ + pos_;
        pos_ += k;
        return p;
    }
    template <class T>
    T get(const std::string& of) {
        T v;
        std::memcpy(&v, take(sizeof(T), of), sizeof(T));
        return v;
    }
    std::string string(const std::string& of) {
        const uint32_t k = get<uint32_t>("the length of " + of);
        if (k > 4096)
            throw error("the length of " + of + " is implausible (" + std::to_string(k) + "); the file is corrupt",
                        pos_ - 4);
        const uint8_t* p = take(k, of);
        return std::string(reinterpret_cast<const char*>(p), k);
    }
    size_t pos() const { return pos_; }
    size_t size() const { return n_; }

private:
    const uint8_t* d_;
    size_t n_;
    const std::string& what_;
    size_t base_, pos_ = 0;
};

struct Loader final : OptimizerStateFields {
    std::vector<const uint8_t*> values;  // per field, where its value starts
    size_t next = 0;
    void counter(const char*, int64_t& v) override { std::memcpy(&v, values[next++], 8); }
    void flag(const char*, bool& v) override { v = *values[next++] != 0; }
    void buffer(const char*, std::vector<float>& v) override {
        const unsigned char* from = values[next++] + 8;
        if (!v.empty()) std::memcpy(v.data(), from, v.size() * 4);  // an empty vector's data() may be null
    }
};

}  // namespace

std::vector<uint8_t> Optimizer::save_state() {
    Saver saver;
    visit_state(saver);
    std::vector<uint8_t> out;
    put_string(out, config_.name);
    put(out, &count_, 8);
    put(out, &saver.fields, 4);
    put(out, saver.body.data(), saver.body.size());
    return out;
}

void Optimizer::load_state(const uint8_t* data, size_t size, const std::string& what, size_t base) {
    Cursor c(data, size, what, base);
    const std::string name = c.string("the optimizer name");
    if (name != config_.name) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, what + " holds the state of optimizer '" + name +
                                                  "' but the model uses '" + config_.name +
                                                  "'; resume with --optimizer " + name + " or load only the weights");
    }
    const size_t count_at = c.pos();
    const int64_t count = c.get<int64_t>("the element count");
    if (count != count_) {
        throw Error(NNC_ERR_INVALID_ARGUMENT,
                    c.error("the optimizer state covers " + std::to_string(count) + " parameters but the model has " +
                                std::to_string(count_) + "; it belongs to another model",
                            count_at)
                        .what());
    }
    Lister lister;
    visit_state(lister);
    const size_t fields_at = c.pos();
    const uint32_t fields = c.get<uint32_t>("the field count");
    if (fields != lister.fields.size()) {
        throw c.error("the optimizer state has " + std::to_string(fields) + " fields but '" + name + "' has " +
                          std::to_string(lister.fields.size()) + "; the file is corrupt",
                      fields_at);
    }
    Loader loader;
    for (const Expected& want : lister.fields) {
        const size_t at = c.pos();
        const std::string field = c.string("a field name");
        const uint8_t kind = c.get<uint8_t>("the kind of '" + field + "'");
        if (field != want.name || kind != want.kind) {
            throw c.error("expected " + std::string(kind_name(want.kind)) + " '" + want.name + "' of the '" + name +
                              "' state, found '" + field + "'; the file is corrupt",
                          at);
        }
        loader.values.push_back(data + c.pos());
        if (kind == kCounter) c.take(8, "'" + field + "'");
        if (kind == kFlag) c.take(1, "'" + field + "'");
        if (kind == kBuffer) {
            const size_t length_at = c.pos();
            const uint64_t n = c.get<uint64_t>("the length of '" + field + "'");
            if (n != want.length) {
                // Buffers that this configuration does not use are empty (e.g. momentum 0).
                throw Error(NNC_ERR_INVALID_ARGUMENT, c.error("buffer '" + field + "' holds " + std::to_string(n) +
                                                                  " values but " + std::to_string(want.length) +
                                                                  " are expected; the optimizer settings (momentum, "
                                                                  "centered) differ from the run that saved it",
                                                              length_at)
                                                          .what());
            }
            c.take(n * 4, "buffer '" + field + "'");
        }
    }
    if (c.pos() != c.size())
        throw c.error(std::to_string(c.size() - c.pos()) + " unexpected bytes after the optimizer state", c.pos());
    visit_state(loader);
}

}  // namespace nnc::runtime
