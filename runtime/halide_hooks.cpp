#include "runtime/halide_hooks.h"

#include "runtime/halide_allocator.h"

#include <HalideRuntime.h>

#include <mutex>

// Weak: resolved by the Halide runtime object in model.so, null in programs without one.
extern "C" {
#pragma weak halide_set_custom_malloc
#pragma weak halide_set_custom_free
#pragma weak halide_set_error_handler
}

namespace nnc::runtime {
namespace {

// Process-wide, not thread-local: Halide reports errors from its worker threads too.
std::mutex error_mutex;
std::string halide_error_text;

void on_halide_error(void*, const char* message) {
    try {
        std::lock_guard<std::mutex> lock(error_mutex);
        halide_error_text = message ? message : "";
        while (!halide_error_text.empty() && halide_error_text.back() == '\n') halide_error_text.pop_back();
    } catch (...) {
    }
}

}  // namespace

void install_halide_hooks() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Before any pipeline runs, so no block from the default allocator reaches our free.
        if (halide_set_custom_malloc && halide_set_custom_free) {
            halide_set_custom_malloc(&halide_cached_malloc);
            halide_set_custom_free(&halide_cached_free);
        }
        if (halide_set_error_handler) halide_set_error_handler(&on_halide_error);
    });
}

std::string last_halide_error() {
    std::lock_guard<std::mutex> lock(error_mutex);
    return halide_error_text;
}

void clear_halide_error() {
    std::lock_guard<std::mutex> lock(error_mutex);
    halide_error_text.clear();
}

}  // namespace nnc::runtime
