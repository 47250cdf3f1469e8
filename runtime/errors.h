// The thread-local last error behind nnc_last_error(), and the guard that turns C++ exceptions
// into nnc_status at the C ABI boundary (nothing here ever throws across it).
#pragma once
#include <nnc/nnc.h>

#include <new>
#include <stdexcept>
#include <string>

namespace nnc::runtime {

// A user-facing failure: the status to return and a message that says what to do.
class Error : public std::runtime_error {
public:
    Error(nnc_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    nnc_status status() const { return status_; }

private:
    nnc_status status_;
};

// Records `message` as this thread's last error and returns `status`.
nnc_status fail(nnc_status status, const std::string& message);

// Throws Error(NNC_ERR_INVALID_ARGUMENT, message) unless `ok`.
inline void require(bool ok, const std::string& message) {
    if (!ok) throw Error(NNC_ERR_INVALID_ARGUMENT, message);
}

// Runs `body` (returning nnc_status) and converts anything it throws into a status and message.
// `function` names the ABI function in internal-error messages.
template <class Body>
nnc_status guarded(const char* function, Body&& body) noexcept {
    try {
        return body();
    } catch (const Error& e) {
        return fail(e.status(), e.what());
    } catch (const std::bad_alloc&) {
        return fail(NNC_ERR_OUT_OF_MEMORY, std::string(function) + ": out of memory");
    } catch (const std::exception& e) {
        return fail(NNC_ERR_RUNTIME, std::string("internal error in ") + function + ": " + e.what());
    } catch (...) {
        return fail(NNC_ERR_RUNTIME, std::string("internal error in ") + function + ": unknown exception");
    }
}

}  // namespace nnc::runtime
