#include "runtime/halide_hooks.h"

#include "runtime/halide_allocator.h"
#include "runtime/workers.h"

#include <HalideRuntime.h>

#include <atomic>
#include <mutex>

// Weak: resolved by the Halide runtime object in model.so, null in programs without one.
extern "C" {
#pragma weak halide_set_custom_malloc
#pragma weak halide_set_custom_free
#pragma weak halide_set_error_handler
#pragma weak halide_set_custom_do_par_for
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
    } catch (...) {}
}

halide_do_par_for_t halide_default_par_for = nullptr;

// Every parallel loop of the generated code: on the model's pool while one of its pipelines runs
// on this thread (PipelineWorkersScope), else on Halide's own pool. Halide's pool wakes its
// threads through a mutex and a condition variable for each loop and its threads sleep after a
// few yields; with the runtime's pool beside it, two sets of threads took turns on the cores.
int nnc_do_par_for(void* user_context, halide_task_t task, int min, int size, uint8_t* closure) {
    Workers* workers = pipeline_workers();
    if (!workers && halide_default_par_for) return halide_default_par_for(user_context, task, min, size, closure);
    if (!workers || size <= 1 || Workers::in_task()) {
        for (int i = min; i < min + size; ++i)
            if (const int result = task(user_context, i, closure)) return result;
        return 0;
    }
    std::atomic<int> failed{0};  // the first nonzero result; later tasks are skipped, as Halide does
    try {
        workers->run(size, [&](int64_t i) {
            if (failed.load(std::memory_order_relaxed) != 0) return;
            if (const int result = task(user_context, min + static_cast<int>(i), closure)) {
                int expected = 0;
                failed.compare_exchange_strong(expected, result);
            }
        });
    } catch (...) {
        return -1;  // halide_error_code_generic_error; no exception may cross the generated code
    }
    return failed.load();
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
        if (halide_set_custom_do_par_for) halide_default_par_for = halide_set_custom_do_par_for(&nnc_do_par_for);
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
