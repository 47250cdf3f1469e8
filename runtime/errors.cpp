#include "runtime/errors.h"

namespace nnc::runtime {
namespace {
thread_local std::string last_error_message;
}

nnc_status fail(nnc_status status, const std::string& message) {
    try {
        last_error_message = message;
    } catch (...) {
        // Out of memory while recording the message: keep the status, drop the text.
    }
    return status;
}

}  // namespace nnc::runtime

extern "C" const char* nnc_last_error(void) { return nnc::runtime::last_error_message.c_str(); }

extern "C" int nnc_abi_version(void) { return NNC_ABI_VERSION; }
