// Emits the header that ships beside model.so: the C ABI (nnc.h, inlined so the header stands
// alone), the model's constants — input and output sizes, classes, parameter names — and, for
// C++20, the wrapper of nnc.hpp (also inlined) with the model's Spec and Model type.
#pragma once
#include <string>

#include "dsl/model.h"

namespace nnc::codegen {

std::string generate_model_header(const dsl::CheckedModel& model, const std::string& library_name);

// The text of runtime/include/nnc/nnc.h, embedded at build time.
extern const char* const kNncApiHeader;
// The text of runtime/include/nnc/nnc.hpp (the C++ wrapper), embedded at build time.
extern const char* const kNncCppHeader;

}  // namespace nnc::codegen
