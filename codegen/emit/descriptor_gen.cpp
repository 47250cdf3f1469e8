#include "codegen/emit/descriptor_gen.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include <nnc/device_kernels.h>
#include "codegen/build_paths.h"
#include "codegen/layers/layer_registry.h"
#include "codegen/lower/dropout_rates.h"
#include "codegen/lower/model_params.h"
#include "codegen/lower/staged_lowering.h"

namespace nnc::codegen {
namespace {

std::string c_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
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

const char* monitor_enum(const std::string& monitor) {
    return monitor == "val_accuracy" ? "NNC_MONITOR_VAL_ACCURACY"
           : monitor == "train_loss" ? "NNC_MONITOR_TRAIN_LOSS"
                                     : "NNC_MONITOR_VAL_LOSS";
}

const char* mode_enum(const std::string& mode) {
    return mode == "min" ? "NNC_MODE_MIN" : mode == "max" ? "NNC_MODE_MAX" : "NNC_MODE_AUTO";
}

// An nnc_lr_schedule initializer, fields in declaration order.
std::string schedule_init(const dsl::ScheduleConfig& s, const dsl::WarmupConfig& w) {
    static const std::pair<const char*, const char*> kinds[] = {
        {"constant", "NNC_SCHEDULE_CONSTANT"},   {"step", "NNC_SCHEDULE_STEP"},
        {"multistep", "NNC_SCHEDULE_MULTISTEP"}, {"exponential", "NNC_SCHEDULE_EXPONENTIAL"},
        {"cosine", "NNC_SCHEDULE_COSINE"},       {"reduce_on_plateau", "NNC_SCHEDULE_PLATEAU"}};
    const char* kind = nullptr;
    for (const auto& [name, c] : kinds)
        if (s.kind == name) kind = c;
    if (!kind) throw std::runtime_error("internal error: schedule '" + s.kind + "' has no runtime kind");
    if (s.milestones.size() > 16) throw std::runtime_error("internal error: more than 16 milestones");
    std::string milestones = "{";
    for (size_t i = 0; i < s.milestones.size(); ++i) milestones += (i ? ", " : "") + std::to_string(s.milestones[i]);
    milestones += s.milestones.empty() ? "0}" : "}";
    return std::string("{") + kind + ", " + c_double(s.factor) + ", " + std::to_string(s.every) + ", " +
           std::to_string(s.milestones.size()) + ", " + milestones + ", " + std::to_string(s.epochs) + ", " +
           c_double(s.min_lr) + ", " + monitor_enum(s.monitor) + ", " + mode_enum(s.mode) + ", " +
           std::to_string(s.patience) + ", " + std::to_string(s.cooldown) + ", " + c_double(s.threshold) + ", " +
           (s.threshold_abs ? "1" : "0") + ", " + std::to_string(w.steps) + ", " + std::to_string(w.epochs) + ", " +
           c_double(w.start) + "}";
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

std::string early_stopping_init(const dsl::EarlyStoppingConfig& e) {
    return std::string("{") + (e.enabled ? "1" : "0") + ", " + monitor_enum(e.monitor) + ", " + mode_enum(e.mode) +
           ", " + std::to_string(e.patience) + ", " + c_double(e.min_delta) + "}";
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
    const auto& opt = model.train.optimizer;
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
        o << "    {" << tensor_desc(t.name, t.shape) << ", "
          << (t.target_kind == dsl::TargetKind::Classes ? "NNC_TARGET_CLASSES" : "NNC_TARGET_REAL") << ", "
          << t.num_classes << "},\n";
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
      << entry(plans.train_step, symbols.train_step) << ",\n"
      << "    " << c_string(opt.name) << ", " << c_double(opt.lr) << ", " << c_double(opt.momentum) << ", "
      << c_double(opt.beta1) << ", " << c_double(opt.beta2) << ", " << c_double(opt.eps) << ", "
      << c_double(opt.weight_decay) << ",\n"
      << "    " << (opt.nesterov ? 1 : 0) << ", " << model.train.batch << ", " << model.train.epochs << ", "
      << model.train.validation << ", " << model.train.seed << "ull,\n"
      << "    " << c_double(opt.rho) << ", " << c_double(opt.alpha) << ", " << (opt.centered ? 1 : 0) << ", "
      << c_double(opt.lr_decay) << ", " << c_double(opt.initial_accumulator_value) << ",\n"
      << "    " << schedule_init(model.train.schedule, model.train.warmup) << ",\n"
      << "    " << c_double(model.train.clip_norm) << ", " << c_double(model.train.clip_value) << ",\n"
      << "    " << early_stopping_init(model.train.early_stopping) << ",\n"
      << "    " << model.train.accumulate
      << ",\n"
      // Designated: these fields were appended last to nnc_model_desc.
      << "    .device = " << (cuda ? "NNC_DEVICE_CUDA" : "NNC_DEVICE_HOST")
      << ", .target = " << c_string(halide_target);
    if (plans.forward) o << ",\n    .forward_plan = " << plan_init(plans.forward, "forward");
    if (plans.evaluate) o << ",\n    .evaluate_plan = " << plan_init(plans.evaluate, "evaluate");
    if (plans.train_step) o << ",\n    .train_plan = " << plan_init(plans.train_step, "train");
    const dsl::DivergenceConfig& dv = model.train.divergence;
    o << ",\n    .on_divergence = " << (dv.rollback ? "NNC_DIVERGENCE_ROLLBACK" : "NNC_DIVERGENCE_STOP")
      << ", .divergence_factor = " << c_double(dv.factor) << ", .divergence_retries = " << dv.retries
      << ", .explode_factor = " << c_double(dv.explode_factor);
    if (device_kernels) {
        o << ",\n    .device_kernels = {{";
        for (size_t k = 0; k + 1 < kernels.size(); ++k) o << (k ? ", " : "") << kernels[k] << "_argv";
        o << "}, " << kernels.back() << "_argv}";
    }
    o << ",\n    .num_dropouts = " << drops.size() << ", .dropouts = dropouts";
    o << "\n"
      << "};\n\n"
      << "const nnc_model_desc* nnc_model_descriptor(void) { return &desc; }\n";
    return o.str();
}

}  // namespace nnc::codegen
