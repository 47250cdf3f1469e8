// The optimizer updates and the per-tensor gradient sums of squares as Halide pipelines over the
// flat arenas, for models compiled for a GPU: parameters and optimizer state then stay on the
// device between steps (runtime/device.h). The argument order and the scalars are fixed by
// runtime/include/nnc/device_kernels.h; each formula repeats its runtime/optimizers/*.cpp loop op
// for op (same order, float32), so the device and the host optimizer agree to rounding.
//
// These Funcs are the only copy of the device formulas: the model library compiles them for its
// GPU target, tests/codegen/device_optimizers_test.cpp for the host against the C++ optimizers.
#pragma once
#include <Halide.h>

#include <string>
#include <vector>

#include <nnc/device_kernels.h>

namespace nnc::codegen {

struct DeviceKernelPipeline {
    std::string name;  // "device_adam", "device_grad_sumsq"
    Halide::Pipeline pipeline;
    std::vector<Halide::Argument> arguments;  // the argv order of device_kernels.h (outputs excluded)
    // The same inputs as objects, for running the pipeline in this process (the tests): copies
    // share their value with the pipeline's.
    std::vector<Halide::ImageParam> images;
    std::vector<Halide::Param<float>> float_scalars;
    std::vector<Halide::Param<int32_t>> int_scalars;
};

// The update kernel of one optimizer family. With `gpu`, scheduled for the GPU (one thread per
// element, 256 per block; the autoschedulers do not schedule these for a GPU); else for the host.
DeviceKernelPipeline device_optimizer_pipeline(runtime::DeviceKernel kernel, bool gpu);
// Per-tensor sums of squares of the gradient arena (float64 output), likewise.
DeviceKernelPipeline device_grad_sumsq_pipeline(bool gpu);
// Every kernel a GPU model library carries: the five optimizers, then the sums of squares.
std::vector<DeviceKernelPipeline> device_kernel_pipelines(bool gpu);

// The target these kernels compile for: `target` with StrictFloat, so division and square root
// round as IEEE (div.rn, sqrt.rn in PTX) like the host optimizers' -ffp-contract=off loops. One
// difference remains on CUDA: Halide's PTX backend contracts a multiply and an add into one fma
// even so (checked in the PTX of a host-cuda build), so a device step can differ from the host's
// by an ulp per such op: ~1e-7 relative per step, well inside the GPU check's 1e-4.
Halide::Target device_kernel_target(const Halide::Target& target);

}  // namespace nnc::codegen
