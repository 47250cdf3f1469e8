#include "codegen/schedule/tuned_knobs.h"

#include <mutex>
#include <utility>

namespace nnc::codegen {
namespace {

// One table per process: the scheduler runs a model's pipelines on several threads, which all
// read the same table.
std::mutex& table_mutex() {
    static std::mutex mu;
    return mu;
}

std::map<std::string, KnobValues>& table() {
    static std::map<std::string, KnobValues> by_node;
    return by_node;
}

}  // namespace

KnobValues tuned_knobs(const std::string& node) {
    std::lock_guard<std::mutex> lock(table_mutex());
    auto it = table().find(node);
    return it == table().end() ? KnobValues{} : it->second;
}

TunedKnobsScope::TunedKnobsScope(std::map<std::string, KnobValues> by_node) {
    std::lock_guard<std::mutex> lock(table_mutex());
    previous_ = std::exchange(table(), std::move(by_node));
}

TunedKnobsScope::~TunedKnobsScope() {
    std::lock_guard<std::mutex> lock(table_mutex());
    table() = std::move(previous_);
}

}  // namespace nnc::codegen
