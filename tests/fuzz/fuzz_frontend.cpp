// The .nn front end on arbitrary bytes: lex -> parse -> check against the real op catalog, then
// render every diagnostic (the renderer quotes source lines and places carets, so it indexes the
// text too). Any outcome is fine except a crash, a sanitizer report, a hang or an uncaught throw.
#include <cstddef>
#include <cstdint>
#include <string>

#include "codegen/layers/layer_registry.h"
#include "dsl/frontend.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nnc;
    const dsl::SourceFile file("fuzz.nn", std::string(reinterpret_cast<const char*>(data), size));
    dsl::Diagnostics diags;
    const auto model = dsl::compile_model(file, codegen::layer_catalog(), diags);
    // A model without errors and errors without a model are the only two outcomes.
    if (model.has_value() == diags.has_errors()) __builtin_trap();
    (void)diags.render();
    return 0;
}
