#include "codegen/schedule/scheduler.h"

#include "codegen/layers/layer_registry.h"
#include "codegen/lower/model_params.h"
#include "codegen/lower/tensor.h"
#include "codegen/schedule/cpu_templates.h"
#include "codegen/schedule/gpu_templates.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#ifndef NNC_HALIDE_PLUGIN_DIR
#define NNC_HALIDE_PLUGIN_DIR "/usr/lib/x86_64-linux-gnu/halide14"
#endif

namespace nnc::codegen {

const std::vector<std::string>& known_schedulers() {
    static const std::vector<std::string> names{"template", "Mullapudi2016", "Adams2019", "Li2018"};
    return names;
}

namespace {

std::string plugin_file(const std::string& name) {
    if (name == "Mullapudi2016") return "libautoschedule_mullapudi2016.so";
    if (name == "Adams2019") return "libautoschedule_adams2019.so";
    if (name == "Li2018") return "libautoschedule_li2018.so";
    std::string known;
    for (const auto& n : known_schedulers()) known += (known.empty() ? "" : ", ") + n;
    throw std::runtime_error("unknown scheduler '" + name + "'; choose one of: " + known);
}

void load_autoscheduler(const std::string& name) {
    static std::mutex mu;
    static std::set<std::string> loaded;
    std::lock_guard<std::mutex> lock(mu);
    if (loaded.count(name)) return;
    const char* dir = std::getenv("NNC_HALIDE_PLUGIN_DIR");
    const std::string path = std::string(dir ? dir : NNC_HALIDE_PLUGIN_DIR) + "/" + plugin_file(name);
    try {
        Halide::load_plugin(path);
    } catch (const Halide::Error& e) {
        throw std::runtime_error("cannot load the " + name + " autoscheduler from " + path + ": " + e.what() +
                                 "; install libhalide14-0-dev or set NNC_HALIDE_PLUGIN_DIR");
    }
    loaded.insert(name);
}

// The autoschedulers print "Warning: Insufficient parallelism ..." lines for every small stage;
// they say nothing a user can act on, so they are kept off the terminal unless NNC_VERBOSE is set.
class QuietStderr {
public:
    QuietStderr() {
        if (std::getenv("NNC_VERBOSE")) return;
        std::fflush(stderr);
        saved_ = dup(2);
        const int null_fd = open("/dev/null", O_WRONLY);
        if (saved_ >= 0 && null_fd >= 0) dup2(null_fd, 2);
        if (null_fd >= 0) close(null_fd);
    }
    ~QuietStderr() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        dup2(saved_, 2);
        close(saved_);
    }
    QuietStderr(const QuietStderr&) = delete;
    QuietStderr& operator=(const QuietStderr&) = delete;

private:
    int saved_ = -1;
};

}  // namespace

std::map<std::string, Halide::Internal::Function> all_functions(const Halide::Pipeline& pipeline) {
    std::map<std::string, Halide::Internal::Function> funcs;
    for (const Halide::Func& out : pipeline.outputs()) {
        funcs[out.name()] = out.function();
        for (auto& kv : Halide::Internal::find_transitive_calls(out.function())) funcs.insert(kv);
    }
    return funcs;
}

// The autoschedulers split the batch loop with ShiftInwards, which needs the batch to be at least
// the split factor: a last partial batch of 8 samples then fails with "accessed at -8". Every
// split is made GuardWithIf instead, which is legal for any split and any extent; the cost is a
// guarded tail loop.
void guard_all_splits(const Halide::Pipeline& pipeline) {
    auto funcs = all_functions(pipeline);
    auto guard = [](Halide::Internal::StageSchedule schedule) {
        for (Halide::Internal::Split& split : schedule.splits())
            if (split.is_split()) split.tail = Halide::TailStrategy::GuardWithIf;
    };
    for (auto& [name, f] : funcs) {
        guard(f.definition().schedule());
        for (Halide::Internal::Definition update : f.updates()) guard(update.schedule());  // handles share contents
    }
}

namespace {

// The node whose knobs a Func takes the default schedule with: the one whose Func names
// ("fc1__fwd", LayerContext::func_name) begin the Func's name, the longest such; the parameter
// gradients ("grad__fc1__weight") belong to their layer. Empty for none.
std::string owner_node(const dsl::CheckedModel& model, std::string name) {
    if (name.rfind("grad__", 0) == 0) name = name.substr(6);
    std::string best;
    size_t best_size = 0;
    for (const dsl::Node& node : model.nodes) {
        const std::string prefix = func_safe(node.name) + "__";
        if (prefix.size() > best_size && name.rfind(prefix, 0) == 0) {
            best = node.name;
            best_size = prefix.size();
        }
    }
    return best;
}

std::string schedule_with_templates(Halide::Pipeline& pipeline, const dsl::CheckedModel& model,
                                    const Halide::Target& target, const Halide::Expr& batch,
                                    const LayerRecords& records, const std::map<std::string, KnobValues>& knobs) {
    std::map<std::string, Halide::Func> funcs;
    for (auto& [name, f] : all_functions(pipeline)) funcs.emplace(name, Halide::Func(f));
    ScheduleContext ctx(target, batch, funcs, records, knobs);
    for (const dsl::Node& node : model.nodes) {
        if (node.kind != dsl::NodeKind::Layer && node.kind != dsl::NodeKind::Loss) continue;
        if (const Layer* layer = LayerRegistry::instance().layer(node.op))
            layer->schedule(ctx, node, input_shapes(model, node));
    }
    // Wrappers made by templates (Func::in) are not in the map; they were scheduled there.
    std::string summary = "template schedule: ";
    int templated = 0, defaulted = 0;
    for (auto& [name, f] : funcs) {
        if (is_input_wrapper(f)) continue;
        if (ctx.claimed(name)) {
            ++templated;
            continue;
        }
        default_schedule(ctx, f, DefaultKnobs::from(ctx.knobs(owner_node(model, name)), "default."));
        ++defaulted;
    }
    return summary + std::to_string(templated) + " Funcs from layer templates, " + std::to_string(defaulted) +
           " by default\n";
}

}  // namespace

std::string schedule_pipeline(Halide::Pipeline& pipeline, const dsl::CheckedModel& model, const Halide::Expr& batch,
                              const LayerRecords& records, const Halide::Target& target,
                              const ScheduleOptions& options) {
    if (options.scheduler == "template") {
        try {
            // The layers' templates are CPU schedules; a GPU target gets the GPU template.
            if (target.has_gpu_feature()) {
                std::map<std::string, Halide::Func> funcs;
                for (auto& [name, f] : all_functions(pipeline)) funcs.emplace(name, Halide::Func(f));
                std::set<std::string> outputs;
                for (const Halide::Func& out : pipeline.outputs()) outputs.insert(out.name());
                ScheduleContext ctx(target, batch, funcs, records, options.knobs);
                std::set<std::string> claimed;
                for (const dsl::Node& node : model.nodes) {
                    if (node.kind != dsl::NodeKind::Layer && node.kind != dsl::NodeKind::Loss) continue;
                    if (const Layer* layer = LayerRegistry::instance().layer(node.op))
                        layer->schedule_gpu(ctx, node, input_shapes(model, node));
                }
                for (const auto& [name, f] : funcs)
                    if (ctx.claimed(name)) claimed.insert(name);
                return schedule_for_gpu(funcs, outputs, claimed);
            }
            return schedule_with_templates(pipeline, model, target, batch, records, options.knobs);
        } catch (const Halide::Error& e) {
            throw std::runtime_error(std::string("internal error: a schedule template failed: ") + e.what());
        }
    }
    if (options.scheduler == "Li2018" && !target.has_gpu_feature())
        throw std::runtime_error(
            "Li2018 schedules for GPU targets; on a CPU target Halide 14 cannot compile what it "
            "produces when an extent is not a multiple of the vector width (\"Atomic predicated "
            "store\"). Use --scheduler template or Mullapudi2016, or a CUDA --target");
    if (target.has_gpu_feature() && options.scheduler != "Li2018")
        throw std::runtime_error(options.scheduler + " emits CPU-only schedules in Halide 14: for the GPU target " +
                                 target.to_string() +
                                 " its pipelines would have no GPU kernels. Use --scheduler "
                                 "template (the default) or Li2018 on a GPU target");
    load_autoscheduler(options.scheduler);
    if (options.scheduler == "Adams2019") setenv("HL_BEAM_SIZE", "1", /*overwrite=*/0);
    const int parallelism = options.parallelism > 0
                                ? options.parallelism
                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    Halide::MachineParams machine(parallelism, options.last_level_cache, options.balance);
    try {
        QuietStderr quiet;
        Halide::AutoSchedulerResults r = pipeline.auto_schedule(options.scheduler, target, machine);
        guard_all_splits(pipeline);
        return r.schedule_source;
    } catch (const Halide::Error& e) {
        throw std::runtime_error(options.scheduler + " failed to schedule the pipeline: " + e.what());
    }
}

}  // namespace nnc::codegen
