#include "runtime/stage_plan.h"

#include "runtime/errors.h"
#include "runtime/halide_hooks.h"
#include "runtime/tensor_buffer.h"

#include <deque>
#include <new>
#include <span>
#include <string>

namespace nnc::runtime {

namespace {

int64_t per_sample(const nnc_slot_desc& s) {
    int64_t n = 1;
    for (int i = 0; i < s.rank; ++i) n *= s.dims[i];
    return n;
}

}  // namespace

const std::vector<float*>& StageBuffers::storage(const nnc_stage_plan& plan, int64_t batch) {
    if (batch <= capacity_ && memory_.size() == static_cast<size_t>(plan.num_slots)) return pointers_;
    memory_.clear();
    pointers_.clear();
    for (int i = 0; i < plan.num_slots; ++i) {
        // 128-byte aligned, whole cache lines: Halide's vector loads never straddle an allocation.
        const size_t bytes = (static_cast<size_t>(per_sample(plan.slots[i]) * batch) * sizeof(float) + 127) / 128 * 128;
        float* p = static_cast<float*>(std::aligned_alloc(128, bytes));
        if (!p) throw std::bad_alloc();
        memory_.emplace_back(p);
        pointers_.push_back(p);
    }
    capacity_ = batch;
    return pointers_;
}

void run_stage_plan(const nnc_stage_plan& plan, const std::vector<void*>& external, int64_t batch,
                    StageBuffers& buffers, const char* pipeline_name) {
    if (static_cast<int>(external.size()) != plan.num_external)
        throw Error(NNC_ERR_RUNTIME, std::string("internal error: the ") + pipeline_name + " stages expect " +
                                         std::to_string(plan.num_external) + " arguments, got " +
                                         std::to_string(external.size()) + "; rebuild the model");
    const std::vector<float*>& memory = buffers.storage(plan, batch);
    std::deque<TensorView> views;  // stable addresses while the argv vectors point at them
    std::vector<void*> slots = external;
    for (int i = 0; i < plan.num_slots; ++i) {
        const nnc_slot_desc& s = plan.slots[i];
        views.emplace_back(memory[static_cast<size_t>(i)], float32_type(),
                           std::span<const int64_t>(s.dims, static_cast<size_t>(s.rank)), batch, s.name);
        slots.push_back(views.back().raw());
    }
    std::vector<void*> argv;
    for (int k = 0; k < plan.num_stages; ++k) {
        const nnc_stage_desc& stage = plan.stages[k];
        argv.clear();
        for (int a = 0; a < stage.num_args; ++a) {
            const int slot = stage.args[a];
            if (slot < 0 || slot >= static_cast<int>(slots.size()))
                throw Error(NNC_ERR_RUNTIME, std::string("internal error: stage ") + stage.name + " of " +
                                                 pipeline_name + " names slot " + std::to_string(slot) +
                                                 "; rebuild the model");
            argv.push_back(slots[static_cast<size_t>(slot)]);
        }
        clear_halide_error();
        const int result = stage.run(argv.data());
        if (result != 0) {
            const std::string detail = last_halide_error();
            throw Error(NNC_ERR_RUNTIME, std::string("the generated ") + pipeline_name + " pipeline failed in stage " +
                                             stage.name + " (Halide error " + std::to_string(result) + ")" +
                                             (detail.empty() ? "" : ": " + detail));
        }
    }
}

}  // namespace nnc::runtime
