// A stand-in for codegen's layer catalog, so the front end is tested without Halide. It mirrors
// the first-version ops of codegen/layers/ — names, attribute schemas and shape messages — so the
// same golden files hold when run against nnc::codegen::layer_catalog().
#pragma once
#include <map>

#include "dsl/op_spec.h"

namespace nnc::dsl::testing {

class TestCatalog final : public OpCatalog {
public:
    TestCatalog();
    const OpSpec* find(const std::string& name) const override;
    std::vector<std::string> names() const override;

private:
    std::map<std::string, OpSpec> ops_;
};

const OpCatalog& test_catalog();

}  // namespace nnc::dsl::testing
