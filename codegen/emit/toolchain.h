// Where nnc finds what it links into every model library (the runtime archive, the export list,
// the runtime headers) and the host C/C++ compiler that links it.
#pragma once
#include <string>

namespace nnc::codegen {

struct Toolchain {
    std::string cc;               // compiles the generated descriptor (C)
    std::string cxx;              // links the shared library (the runtime is C++)
    std::string runtime_library;  // libnnc_runtime.a
    std::string exports_map;      // version script: only nnc_* is exported
    std::string include_dir;      // holds nnc/nnc.h and nnc/model_desc.h
};

// Installed layout (<prefix>/bin/nnc, <prefix>/lib/nnc/, <prefix>/include/) first, then the
// build tree nnc was built in. NNC_RUNTIME_DIR overrides both (a folder holding all three files
// and include/). Throws std::runtime_error saying what is missing.
Toolchain find_toolchain();

}  // namespace nnc::codegen
