// How the training-side commands get a model library from a .nn file. They drive models only
// through the C ABI (<nnc/nnc.h>) and link nothing of the compiler: the program that does (the nnc
// entry point) hands them these functions. Without them, the commands take compiled .so files only.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace nnc::driver {

// The schedule a .nn file is compiled with (nnc train --scheduler, --parallelism).
struct CompileChoice {
    std::string scheduler = "template";
    int parallelism = 0;  // 0: this machine's hardware threads
};

struct ModelCompiler {
    // Compiles a .nn file (reusing an unchanged build) and returns the library's path; throws
    // std::runtime_error after printing the file's diagnostics.
    std::function<std::string(const std::string& nn_path, const CompileChoice& choice)> compile;
    // Each loss's op ("mse", "softmax_cross_entropy", ...) in the model's loss order; empty when the
    // file has errors. The C ABI does not say which loss scores a real target; the source does.
    std::function<std::vector<std::string>(const std::string& nn_path)> loss_ops;
    // The names --scheduler accepts.
    std::vector<std::string> schedulers;
};

}  // namespace nnc::driver
