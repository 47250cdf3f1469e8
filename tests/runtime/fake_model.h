// A hand-written stand-in for generated code: nnc_model_descriptor() for a tiny dense model whose
// pipelines are plain C++ following the halide_buffer_t conventions of model_desc.h exactly. The
// pipelines read every extent and stride from the buffers and fail (as Halide would) when one is
// not what the convention says, so they check the runtime's buffer construction too.
//
//   classifier: input [4] -> fc (weight [4, 3], bias [3]) -> softmax cross-entropy, 3 classes
//   regressor:  input [4] -> fc (weight [4, 2], bias [2]) -> mean squared error, targets [2]
//   constrained: the classifier with max_norm = 0.5 on fc.weight (per output column)
// The classifier (and constrained) declares two dropout layers ("drop_a" 0.5, "drop_b" 0.25) that its pipelines do
// not apply: its train_step only records the dropout_rates argument it receives.
#pragma once
#include <vector>

enum class FakeModel { classifier, regressor, constrained };

// Which descriptor nnc_model_descriptor() returns from now on.
void use_fake_model(FakeModel which);

// Makes the next `n` pipeline calls fail with a Halide-style error code.
void fail_next_pipeline_calls(int n);

// The dropout_rates buffer the last train_step call received (empty before any).
std::vector<float> last_dropout_rates();
