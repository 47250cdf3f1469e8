// Tensor-size and memory limits, checked before anything is compiled or allocated.
#include "dsl/resource_limits.h"

#include <nnc/train_vocabulary.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace nnc::dsl {

std::optional<int64_t> tensor_elements(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape.dims) {
        if (d <= 0 || __builtin_mul_overflow(n, d, &n) || n > kMaxTensorElements) return std::nullopt;
    }
    return n;
}

namespace {

double elements_or_max(const Shape& s) {
    double n = 1;
    for (int64_t d : s.dims) n *= static_cast<double>(d);
    return n;
}

// "512M" -> 536870912; nullopt when not a size.
std::optional<double> parse_size(const std::string& text) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || !(v > 0)) return std::nullopt;
    double scale = 1;
    switch (std::toupper(static_cast<unsigned char>(*end))) {
        case '\0': break;
        case 'K': scale = 1024.0; break;
        case 'M': scale = 1024.0 * 1024; break;
        case 'G': scale = 1024.0 * 1024 * 1024; break;
        case 'T': scale = 1024.0 * 1024 * 1024 * 1024; break;
        default: return std::nullopt;
    }
    return v * scale;
}

}  // namespace

MemoryEstimate estimate_training_memory(const CheckedModel& model, const OpCatalog& ops) {
    MemoryEstimate e;
    double params = 0, trainable = 0, activations = 0;
    for (const Node& n : model.nodes) {
        activations += elements_or_max(n.shape);
        if (n.kind != NodeKind::Layer) continue;
        const OpSpec* spec = ops.find(n.op);
        if (!spec || !spec->params) continue;
        std::vector<Shape> in;
        for (int i : n.inputs) in.push_back(model.node(i).shape);
        for (const ParamSpec& p : spec->params(in, n.attrs)) {
            params += elements_or_max(p.shape);
            if (p.trainable) trainable += elements_or_max(p.shape);
        }
    }
    constexpr double kFloat = 4;
    e.params = params * kFloat;
    e.gradients = trainable * kFloat;
    e.optimizer = trainable * kFloat * vocab::state_buffers(model.train.optimizer);
    e.activations = activations * static_cast<double>(model.train.batch) * kFloat * 2;
    return e;
}

double available_memory_bytes() {
    if (const char* env = std::getenv("NNC_MEMORY_LIMIT")) {
        if (auto v = parse_size(env)) return *v;
    }
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    double bytes = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0;
    // A container's limit (cgroup v2, then v1) when it is lower than the machine's.
    for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        std::ifstream in(path);
        std::string text;
        if (in >> text) {
            if (auto v = parse_size(text); v && (bytes == 0 || *v < bytes)) bytes = *v;
        }
    }
    return bytes;
}

std::string format_bytes(double bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024 && u < 6) bytes /= 1024, ++u;
    char text[64];
    std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return text;
}

void check_memory(const CheckedModel& model, const OpCatalog& ops, const SourceFile& file, Span at,
                  Diagnostics& diags) {
    const double available = available_memory_bytes();
    const MemoryEstimate e = estimate_training_memory(model, ops);
    if (available <= 0 || e.total() <= available) return;
    diags
        .error(file, at,
               "model '" + model.name + "' needs about " + format_bytes(e.total()) +
                   " of memory to train, this machine has " + format_bytes(available))
        .note("parameters " + format_bytes(e.params) + ", gradients " + format_bytes(e.gradients) + ", " +
              model.train.optimizer.name + " state " + format_bytes(e.optimizer) + ", activations of a batch of " +
              std::to_string(model.train.batch) + " " + format_bytes(e.activations))
        .help(
            "make the layers smaller or the batch smaller (`nnc check` lists every layer's parameters); "
            "NNC_MEMORY_LIMIT=SIZE plans for another machine");
}

}  // namespace nnc::dsl
