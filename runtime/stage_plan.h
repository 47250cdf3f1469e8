// Runs a pipeline that nnc compiled as stages (nnc_stage_plan in model_desc.h): allocates the
// buffers the stages pass between them, kept across calls, and calls each stage in turn.
#pragma once
#include <nnc/model_desc.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace nnc::runtime {

// The slots' memory, sized for the largest batch seen so far: a training loop allocates once.
class StageBuffers {
public:
    // Float pointers to each slot's storage for `batch` samples (grown if needed).
    const std::vector<float*>& storage(const nnc_stage_plan& plan, int64_t batch);

private:
    struct Free {
        void operator()(float* p) const { std::free(p); }
    };
    int64_t capacity_ = 0;
    std::vector<std::unique_ptr<float[], Free>> memory_;
    std::vector<float*> pointers_;
};

// `external` is the pipeline's own argv (buffers and scalars in model_desc.h order); `batch`
// the call's batch. Throws Error naming the failing stage.
void run_stage_plan(const nnc_stage_plan& plan, const std::vector<void*>& external, int64_t batch,
                    StageBuffers& buffers, const char* pipeline_name);

}  // namespace nnc::runtime
