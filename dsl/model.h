// The checked model: what the front end hands to codegen. Pure data, no Halide.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nnc/train_vocabulary.h>

#include "dsl/source.h"

namespace nnc::dsl {

// Per-sample shape, outermost first, as PyTorch writes it without the batch: (C, H, W) or (F).
// The batch dimension N is implicit everywhere in the language.
struct Shape {
    std::vector<int64_t> dims;
    int64_t elements() const {
        int64_t n = 1;
        for (int64_t d : dims) n *= d;
        return n;
    }
    std::string str() const;  // "[512]", "[32, 28, 28]", "[]" for a scalar
    bool operator==(const Shape& o) const { return dims == o.dims; }
    bool operator!=(const Shape& o) const { return dims != o.dims; }
};

// An initializer choice: he_normal, xavier_uniform, xavier_normal, gaussian(std), uniform(a), zeros, ones.
struct InitSpec {
    std::string kind;  // "he_normal", "gaussian", ...
    double a = 0.0;    // gaussian: std; uniform: bound a (samples in [-a, a])
    bool operator==(const InitSpec& o) const { return kind == o.kind && a == o.a; }
};

// A typed attribute value after checking against the op's schema.
using AttrValue = std::variant<int64_t, double, std::string, bool, InitSpec, std::vector<int64_t>>;

struct Attrs {
    std::map<std::string, AttrValue> values;
    int64_t get_int(const std::string& k) const { return std::get<int64_t>(values.at(k)); }
    double get_float(const std::string& k) const { return std::get<double>(values.at(k)); }
    const std::string& get_string(const std::string& k) const { return std::get<std::string>(values.at(k)); }
    bool get_bool(const std::string& k) const { return std::get<bool>(values.at(k)); }
    const InitSpec& get_init(const std::string& k) const { return std::get<InitSpec>(values.at(k)); }
    bool has(const std::string& k) const { return values.count(k) != 0; }
};

enum class NodeKind { Input, Target, Layer, Loss };

// Element type of a model input: float32 features, or int32 token ids (`input t: int32[32]`).
enum class DType { Float32, Int32 };

// Targets are either class indices (int32 per sample) or a real tensor.
enum class TargetKind { Classes, Real };

struct Node {
    int id = -1;
    NodeKind kind = NodeKind::Layer;
    std::string name;         // as written in the .nn file; unique
    std::string op;           // "dense", "relu", ...; "input"/"target" for those kinds
    std::vector<int> inputs;  // node ids, in call order
    Attrs attrs;              // typed, defaults filled in
    Shape shape;              // per-sample output shape ([] for a loss: a scalar)
    Location loc;             // where the node is defined
    // Inputs only.
    DType dtype = DType::Float32;
    // Targets only.
    TargetKind target_kind = TargetKind::Real;
    int64_t num_classes = 0;
    // Losses only: weight in the total loss.
    double loss_weight = 1.0;
};

// optimizer = NAME(args): the fields as nnc_optimizer_config names them, which is how
// nnc/train_vocabulary.h sets them (vocab::apply_optimizer).
struct OptimizerConfig {
    std::string name;  // one of vocab::kOptimizers
    double lr = 0;
    double momentum = 0;                                 // sgd, rmsprop
    bool nesterov = false;                               // sgd
    double beta1 = 0, beta2 = 0, eps = 0;                // adam, adamw; eps for all but sgd
    double weight_decay = 0;                             // adamw: decoupled
    double rho = 0;                                      // adadelta
    double alpha = 0;                                    // rmsprop
    bool centered = false;                               // rmsprop
    double lr_decay = 0, initial_accumulator_value = 0;  // adagrad
};

// The optimizer of a train section that names none: vocab::kDefaultOptimizer at its defaults.
inline OptimizerConfig default_optimizer() {
    OptimizerConfig o;
    vocab::apply_optimizer(vocab::with_defaults(*vocab::find(vocab::kOptimizers, vocab::kDefaultOptimizer)), o);
    return o;
}

// The train section. Schedules, warm-up, early stopping and the divergence policy are held as the
// C ABI holds them (nnc/nnc.h), made by the same translation as nnc_train_config_set's
// (nnc/train_vocabulary.h); codegen writes them into the descriptor as they are.
struct TrainConfig {
    OptimizerConfig optimizer = default_optimizer();
    int64_t batch = 64;
    int64_t epochs = 1;
    uint64_t seed = 1;
    int64_t validation = 0;                                // samples held out of the training set for validation
    nnc_lr_schedule schedule = vocab::resting_schedule();  // with the warm-up
    double clip_norm = 0.0, clip_value = 0.0;              // 0: off
    nnc_early_stopping early_stopping = vocab::resting_early_stopping();
    int64_t accumulate = 1;                                      // batches per update
    vocab::Divergence divergence = vocab::resting_divergence();  // on_divergence (runtime/divergence.h)
};

struct CheckedModel {
    std::string name;
    std::string source_path;
    std::vector<Node> nodes;   // topologically sorted: every input precedes its users
    std::vector<int> inputs;   // ids of NodeKind::Input nodes, in declaration order
    std::vector<int> targets;  // ids of NodeKind::Target nodes
    std::vector<int> losses;   // ids of NodeKind::Loss nodes
    TrainConfig train;

    const Node& node(int id) const { return nodes.at(static_cast<size_t>(id)); }
};

}  // namespace nnc::dsl
