// Compiles .nn text against the real op catalog for front-end tests: the model, or the
// rendered errors.
#pragma once
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "codegen/layers/layer_registry.h"
#include "dsl/frontend.h"

namespace nnc::dsl::testing {

struct Result {
    std::optional<CheckedModel> model;
    std::string errors;
};

inline Result compile(const std::string& text) {
    SourceFile f("t.nn", text);
    Diagnostics d;
    Result r;
    r.model = compile_model(f, codegen::layer_catalog(), d);
    r.errors = d.render();
    EXPECT_EQ(r.model.has_value(), d.error_count() == 0);
    return r;
}

}  // namespace nnc::dsl::testing
