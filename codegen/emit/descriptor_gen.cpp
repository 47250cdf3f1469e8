#include "codegen/emit/descriptor_gen.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <nnc/device_kernels.h>
#include <nnc/train_vocabulary.h>
#include "codegen/build_paths.h"
#include "codegen/emit/graph_json.h"
#include "codegen/layers/layer_registry.h"
#include "codegen/lower/dropout_rates.h"
#include "codegen/lower/model_params.h"
#include "codegen/lower/staged_lowering.h"

namespace nnc::codegen {
namespace {

std::string c_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string c_double(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string dims_init(const dsl::Shape& s) {
    if (s.dims.size() > 8) throw std::runtime_error("tensor rank " + std::to_string(s.dims.size()) + " exceeds 8");
    std::string out = std::to_string(s.dims.size()) + ", {";
    for (size_t i = 0; i < s.dims.size(); ++i) out += (i ? ", " : "") + std::to_string(s.dims[i]);
    return out + "}";
}

std::string tensor_desc(const std::string& name, const dsl::Shape& s) {
    return "{" + c_string(name) + ", " + dims_init(s) + "}";
}

std::string init_kind(const dsl::InitSpec& init) {
    static const std::pair<const char*, const char*> kinds[] = {{"zeros", "NNC_INIT_ZEROS"},
                                                                {"ones", "NNC_INIT_ONES"},
                                                                {"gaussian", "NNC_INIT_GAUSSIAN"},
                                                                {"uniform", "NNC_INIT_UNIFORM"},
                                                                {"he_normal", "NNC_INIT_HE_NORMAL"},
                                                                {"he_uniform", "NNC_INIT_HE_UNIFORM"},
                                                                {"xavier_normal", "NNC_INIT_XAVIER_NORMAL"},
                                                                {"xavier_uniform", "NNC_INIT_XAVIER_UNIFORM"},
                                                                {"orthogonal", "NNC_INIT_ORTHOGONAL"}};
    for (const auto& [name, c] : kinds)
        if (init.kind == name) return c;
    throw std::runtime_error("internal error: initializer '" + init.kind + "' has no runtime kind");
}

// An nnc_lr_schedule initializer: the schedule and warm-up as the checker made them (the C ABI's
// own struct), enumerators by name.
std::string schedule_init(const nnc_lr_schedule& s) {
    std::string milestones = "{";
    for (int i = 0; i < s.num_milestones; ++i) milestones += (i ? ", " : "") + std::to_string(s.milestones[i]);
    milestones += s.num_milestones ? "}" : "0}";
    return std::string("{.kind = ") + vocab::c_name_of(vocab::kSchedules, s.kind) +
           ", .factor = " + c_double(s.factor) + ", .every = " + std::to_string(s.every) +
           ", .num_milestones = " + std::to_string(s.num_milestones) + ", .milestones = " + milestones +
           ", .epochs = " + std::to_string(s.epochs) + ", .min_lr = " + c_double(s.min_lr) +
           ", .monitor = " + vocab::c_name_of(vocab::kMonitors, s.monitor) +
           ", .mode = " + vocab::c_name_of(vocab::kModes, s.mode) + ", .patience = " + std::to_string(s.patience) +
           ", .cooldown = " + std::to_string(s.cooldown) + ", .threshold = " + c_double(s.threshold) +
           ", .threshold_abs = " + std::to_string(s.threshold_abs) +
           ", .warmup_steps = " + std::to_string(s.warmup_steps) +
           ", .warmup_epochs = " + std::to_string(s.warmup_epochs) + ", .warmup_start = " + c_double(s.warmup_start) +
           "}";
}

std::string early_stopping_init(const nnc_early_stopping& e) {
    return "{.enabled = " + std::to_string(e.enabled) +
           ", .monitor = " + vocab::c_name_of(vocab::kMonitors, e.monitor) +
           ", .mode = " + vocab::c_name_of(vocab::kModes, e.mode) + ", .patience = " + std::to_string(e.patience) +
           ", .min_delta = " + c_double(e.min_delta) + "}";
}

// The train section's defaults, as designated initializers of nnc_model_desc (one per line group).
std::string train_section_init(const dsl::TrainConfig& t) {
    const dsl::OptimizerConfig& o = t.optimizer;
    std::string out = "    .optimizer = " + c_string(o.name);
#define NNC_OPTIMIZER_FIELD_INIT(f) out += ", ." #f " = " + c_double(static_cast<double>(o.f));
    NNC_VOCAB_OPTIMIZER_FIELDS(NNC_OPTIMIZER_FIELD_INIT)
#undef NNC_OPTIMIZER_FIELD_INIT
    out += ",\n    .batch = " + std::to_string(t.batch) + ", .epochs = " + std::to_string(t.epochs) +
           ", .validation = " + std::to_string(t.validation) + ", .seed = " + std::to_string(t.seed) + "ull";
    out += ",\n    .schedule = " + schedule_init(t.schedule);
    out += ",\n    .clip_norm = " + c_double(t.clip_norm) + ", .clip_value = " + c_double(t.clip_value);
    out += ",\n    .early_stopping = " + early_stopping_init(t.early_stopping);
    out += ",\n    .accumulate = " + std::to_string(t.accumulate);
    const vocab::Divergence& d = t.divergence;
    out += ",\n    .on_divergence = " + std::string(vocab::c_name_of(vocab::kDivergencePolicies, d.on_divergence)) +
           ", .divergence_factor = " + c_double(d.divergence_factor) +
           ", .divergence_retries = " + std::to_string(d.divergence_retries) +
           ", .explode_factor = " + c_double(d.explode_factor);
    return out;
}

const char* loss_kind(const std::string& op) {
    static const std::pair<const char*, const char*> kinds[] = {
        {"softmax_cross_entropy", "NNC_LOSS_SOFTMAX_CROSS_ENTROPY"},
        {"sigmoid_binary_cross_entropy", "NNC_LOSS_SIGMOID_BCE"},
        {"mse", "NNC_LOSS_MSE"},
        {"l1", "NNC_LOSS_L1"}};
    for (const auto& [name, c] : kinds)
        if (op == name) return c;
    throw std::runtime_error("internal error: loss '" + op + "' has no runtime kind");
}

// The label a class target's softmax cross-entropy skips (its ignore_index, -100 unless set), so
// that the runtime accepts it in the data and leaves it out of accuracy; none for other losses.
std::optional<int64_t> ignore_index(const dsl::CheckedModel& model, int target_id) {
    if (model.node(target_id).target_kind != dsl::TargetKind::Classes) return std::nullopt;
    for (int id : model.losses) {
        const dsl::Node& l = model.node(id);
        if (l.op == "softmax_cross_entropy" && l.inputs.at(1) == target_id)
            return l.attrs.has("ignore_index") ? l.attrs.get_int("ignore_index") : int64_t(-100);
    }
    return std::nullopt;
}

}  // namespace

std::string device_kernel_symbol(const std::string& kernel_name) { return "nncgen_" + kernel_name; }

std::string hash_source(const std::string& text) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string generate_descriptor_source(const dsl::CheckedModel& model, const std::string& source_hash,
                                       const PipelineSymbols& symbols, const std::string& halide_target, bool cuda,
                                       const StagedPlans& plans, bool device_kernels) {
    const auto params = collect_params(model, LayerRegistry::instance());
    const dsl::Node& input = model.node(model.inputs.at(0));
    size_t trainable = 0;
    for (const ModelParam& p : params) trainable += p.spec.trainable ? 1 : 0;

    std::ostringstream o;
    o << "/* Generated by nnc " << NNC_VERSION << " from " << model.source_path << ". Do not edit. */\n"
      << "#include <nnc/nnc.h>\n#include <nnc/model_desc.h>\n\n"
      << "int " << symbols.forward << "_argv(void** args);\n"
      << "int " << symbols.evaluate << "_argv(void** args);\n"
      << "int " << symbols.train_step << "_argv(void** args);\n\n";
    std::vector<std::string> kernels;  // device_kernels.h's order: the optimizers, then the sums of squares
    if (device_kernels) {
        for (int k = 0; k < runtime::kDeviceKernelCount; ++k)
            kernels.push_back(device_kernel_symbol(
                std::string("device_") + runtime::device_kernel_info(static_cast<runtime::DeviceKernel>(k)).name));
        kernels.push_back(device_kernel_symbol("device_grad_sumsq"));
        for (const std::string& k : kernels) o << "int " << k << "_argv(void** args);\n";
        o << "\n";
    }
    // Each staged pipeline: its stages' entry points, argument slots and buffers.
    auto emit_plan = [&](const StagedPipeline* plan, const std::string& prefix, const std::string& symbol) {
        if (!plan) return;
        const auto& stages = plan->stages;
        for (const LoweredStage& st : stages) o << "int " << symbol << "_" << st.name << "_argv(void** args);\n";
        for (size_t i = 0; i < stages.size(); ++i) {
            o << "static const int " << prefix << "_stage_args_" << i << "[] = {";
            for (size_t k = 0; k < stages[i].slots.size(); ++k) o << (k ? ", " : "") << stages[i].slots[k];
            o << "};\n";
        }
        o << "static const nnc_stage_desc " << prefix << "_stages[] = {\n";
        for (size_t i = 0; i < stages.size(); ++i)
            o << "    {" << c_string(stages[i].name) << ", " << symbol << "_" << stages[i].name << "_argv, "
              << stages[i].slots.size() << ", " << prefix << "_stage_args_" << i << "},\n";
        o << "};\nstatic const nnc_slot_desc " << prefix << "_slots[] = {\n";
        for (const StageSlot& slot : plan->slots) o << "    " << tensor_desc(slot.name, slot.shape) << ",\n";
        if (plan->slots.empty()) o << "    {0}\n";
        o << "};\n\n";
    };
    emit_plan(plans.forward, "forward", symbols.forward);
    emit_plan(plans.evaluate, "evaluate", symbols.evaluate);
    emit_plan(plans.train_step, "train", symbols.train_step);
    auto plan_init = [&](const StagedPipeline* plan, const std::string& prefix) {
        return "{" + std::to_string(plan->stages.size()) + ", " + prefix + "_stages, " +
               std::to_string(plan->external_slots) + ", " + std::to_string(plan->slots.size()) + ", " + prefix +
               "_slots}";
    };
    auto entry = [&](const StagedPipeline* plan, const std::string& symbol) {
        return plan ? std::string("0") : symbol + "_argv";
    };
    o << "static const nnc_param_desc params[] = {\n";
    for (const ModelParam& p : params)
        o << "    {" << c_string(p.full_name) << ", " << dims_init(p.spec.shape) << ", " << init_kind(p.spec.init)
          << ", " << c_double(p.spec.init.a) << ", " << p.spec.fan_in << ", " << p.spec.fan_out << ", "
          << c_double(p.spec.max_norm) << ", " << (p.spec.trainable ? 1 : 0) << ", " << (p.spec.units_first ? 1 : 0)
          << "},\n";
    if (params.empty()) o << "    {0}\n";
    o << "};\n\n";
    o << "static const nnc_target_desc targets[] = {\n";
    for (int id : model.targets) {
        const dsl::Node& t = model.node(id);
        const std::optional<int64_t> ignore = ignore_index(model, id);
        o << "    {" << tensor_desc(t.name, t.shape) << ", "
          << (t.target_kind == dsl::TargetKind::Classes ? "NNC_TARGET_CLASSES" : "NNC_TARGET_REAL") << ", "
          << t.num_classes << ", " << (ignore ? 1 : 0) << ", " << ignore.value_or(0) << "},\n";
    }
    o << "};\n\n";
    o << "static const nnc_loss_desc losses[] = {\n";
    for (int id : model.losses) {
        const dsl::Node& l = model.node(id);
        const dsl::Node& prediction = model.node(l.inputs.at(0));
        const int target_id = l.inputs.at(1);
        const size_t target_index = static_cast<size_t>(
            std::find(model.targets.begin(), model.targets.end(), target_id) - model.targets.begin());
        o << "    {" << c_string(l.name) << ", " << loss_kind(l.op) << ", " << c_double(l.loss_weight) << ", "
          << target_index << ", " << tensor_desc(prediction.name, prediction.shape) << "},\n";
    }
    o << "};\n\n";
    // The dropout layers whose rates train_step takes at run time, with their declared rates.
    const std::vector<const dsl::Node*> drops = dropout_nodes(model);
    o << "static const nnc_dropout_desc dropouts[] = {\n";
    for (const dsl::Node* n : drops)
        o << "    {" << c_string(n->name) << ", " << c_double(n->attrs.get_float("rate")) << "},\n";
    if (drops.empty()) o << "    {0}\n";
    o << "};\n\n";
    o << "static const nnc_model_desc desc = {\n"
      << "    NNC_ABI_VERSION, " << c_string(model.name) << ", " << c_string(NNC_VERSION) << ", "
      << c_string(source_hash) << ",\n"
      << "    " << params.size() << ", " << trainable << ", params,\n"
      << "    " << tensor_desc(input.name, input.shape) << ", "
      << (input.dtype == dsl::DType::Int32 ? "NNC_DTYPE_INT32" : "NNC_DTYPE_FLOAT32") << ",\n"
      << "    " << model.targets.size() << ", targets, " << model.losses.size() << ", losses,\n"
      << "    " << entry(plans.forward, symbols.forward) << ", " << entry(plans.evaluate, symbols.evaluate) << ", "
      << entry(plans.train_step, symbols.train_step)
      << ",\n"
      // Designated from here on: the train section, then the fields appended last to nnc_model_desc.
      << train_section_init(model.train) << ",\n"
      << "    .device = " << (cuda ? "NNC_DEVICE_CUDA" : "NNC_DEVICE_HOST")
      << ", .target = " << c_string(halide_target);
    if (plans.forward) o << ",\n    .forward_plan = " << plan_init(plans.forward, "forward");
    if (plans.evaluate) o << ",\n    .evaluate_plan = " << plan_init(plans.evaluate, "evaluate");
    if (plans.train_step) o << ",\n    .train_plan = " << plan_init(plans.train_step, "train");
    if (device_kernels) {
        o << ",\n    .device_kernels = {{";
        for (size_t k = 0; k + 1 < kernels.size(); ++k) o << (k ? ", " : "") << kernels[k] << "_argv";
        o << "}, " << kernels.back() << "_argv}";
    }
    o << ",\n    .num_dropouts = " << drops.size() << ", .dropouts = dropouts";
    o << ",\n    .graph_json = " << c_string(graph_to_json(model));
    o << "\n"
      << "};\n\n"
      << "const nnc_model_desc* nnc_model_descriptor(void) { return &desc; }\n";
    return o.str();
}

}  // namespace nnc::codegen
