// export_model where nnc was configured without libonnx: the command still exists and says how to
// get a build that has it.
#include <stdexcept>

#include "runtime/cli/onnx/onnx_export.h"

namespace nnc::driver::onnx_export {

bool available() { return false; }

void require_available() {
    throw std::runtime_error(
        "this nnc was built without ONNX support: install libonnx-dev and libprotobuf-dev (scripts/setup.sh does), "
        "then configure and build nnc again (cmake -S . -B build && cmake --build build --target nnc)");
}

std::string export_model(const Input&, Summary*) {
    require_available();
    return {};
}

}  // namespace nnc::driver::onnx_export
