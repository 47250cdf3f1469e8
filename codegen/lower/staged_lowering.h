// The pipelines of a large model as sequences of small pipelines ("stages") instead of one each.
// Halide 14's lowering time grows much faster than the number of Funcs in a pipeline (one
// pipeline for inception_mini's training step took six minutes to compile; its layers alone,
// seconds each). Forward stages hand each layer's output on through a buffer the runtime owns;
// backward stages run in reverse and hand on partial gradients. A backward stage recomputes the
// cheap values a forward keeps for its backward (conv's padded input, max-pool's argmax,
// batch-norm statistics) from the buffers it receives: the products are never recomputed.
#pragma once
#include <Halide.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codegen/lower/tensor.h"
#include "codegen/schedule/layer_records.h"
#include "dsl/model.h"

namespace nnc::codegen {

// A float32 buffer between stages (nnc_slot_desc).
struct StageSlot {
    std::string name;
    dsl::Shape shape;  // per-sample
    bool batched = true;
};

struct LoweredStage {
    std::string name;                         // "f0", "b2": forward/backward, segment index
    std::vector<Halide::Argument> arguments;  // argv order, then the outputs' buffers
    std::vector<Tensor> outputs;              // in Pipeline output order
    // The slot of each argument, then of each output: slots below the pipeline's external count
    // are the whole pipeline's arguments (model_desc.h order); the rest index StagedPipeline::slots.
    std::vector<int> slots;
    // What `arguments` come from, for callers that bind buffers in JIT (tests): the ImageParam
    // of each buffer argument (the dropout_rates one comes bound to the declared rates), nullopt
    // at the seed scalar (then `seed`).
    std::vector<std::optional<Halide::ImageParam>> images;
    std::optional<Halide::Param<uint32_t>> seed;
    Halide::Expr batch;
    // What the layers recorded while building this stage, for its schedule (schedule_pipeline).
    std::shared_ptr<const LayerRecords> records;
    Halide::Pipeline pipeline() const;
};

struct StagedPipeline {
    int external_slots = 0;        // the whole pipeline's argument count
    std::vector<StageSlot> slots;  // slot external_slots + i is slots[i]
    std::vector<LoweredStage> stages;
};

// Layer nodes per forward segment (and so per backward stage) when a build does not say.
inline constexpr int kDefaultLayersPerStage = 12;

// The number of segments a model's `layers_per_stage` gives; 1 means one pipeline is enough.
int segment_count(const dsl::CheckedModel& model, int layers_per_stage);

enum class StageMode { Forward, Evaluate, Train };

// A pipeline as stages, with the same arguments and results as lower_inference (Forward),
// lower_evaluation (Evaluate) or lower_training (Train). Forward segments run in order; the
// last computes the losses and outputs in inference modes. Training adds backward segments in
// reverse, the first of them computing the losses.
StagedPipeline lower_staged(const dsl::CheckedModel& model, StageMode mode, Halide::Type type, int batch_estimate,
                            int layers_per_stage);

}  // namespace nnc::codegen
