#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nnc/nnc.h>

#include "codegen/build_paths.h"
#include "codegen/driver/build_cache.h"
#include "codegen/driver/commands.h"
#include "codegen/emit/descriptor_gen.h"
#include "codegen/emit/graph_json.h"
#include "codegen/emit/host_target.h"
#include "codegen/emit/library_builder.h"
#include "codegen/layers/layer_registry.h"
#include "codegen/schedule/saved_schedule_apply.h"
#include "codegen/schedule/saved_schedule_file.h"
#include "codegen/tune/autotune.h"
#include "codegen/tune/shipped_tunings.h"
#include "dsl/frontend.h"

namespace nnc::driver {
namespace fs = std::filesystem;

std::optional<dsl::CheckedModel> load_checked_model(const std::string& path, std::string* source_text) {
    dsl::Diagnostics diags;
    std::optional<dsl::CheckedModel> model;
    std::optional<dsl::SourceFile> source = dsl::read_source(path, diags);
    if (source) model = dsl::compile_model(*source, codegen::layer_catalog(), diags);
    if (!diags.all().empty()) std::fputs(diags.render().c_str(), stderr);
    if (!model) return std::nullopt;
    if (source_text) *source_text = source->text();
    return model;
}

namespace {

// "host-cuda" and any Halide target string. A CUDA target without a capability gets sm_70: its
// PTX runs on Volta and everything newer (the driver JIT-compiles it for Ampere and Hopper), and
// Halide's default (sm_20) is older than any supported card.
Halide::Target parse_target(const std::string& name) {
    if (!Halide::Target::validate_target_string(name))
        throw std::runtime_error("unknown target '" + name +
                                 "'; use host, host-cuda, or a Halide target string such as "
                                 "x86-64-linux-avx2 or host-cuda-cuda_capability_80");
    // A target named from "host" gets only what this CPU runs (codegen/emit/host_target.h).
    Halide::Target target =
        name.rfind("host", 0) == 0 ? codegen::runnable_on_host(Halide::Target(name)) : Halide::Target(name);
    using T = Halide::Target;
    const bool explicit_capability = target.features_any_of(
        {T::CUDACapability30, T::CUDACapability32, T::CUDACapability35, T::CUDACapability50, T::CUDACapability61,
         T::CUDACapability70, T::CUDACapability75, T::CUDACapability80, T::CUDACapability86});
    if (target.has_feature(T::CUDA) && !explicit_capability) target = target.with_feature(T::CUDACapability70);
    if (target.has_gpu_feature() && !target.has_feature(Halide::Target::CUDA))
        throw std::runtime_error("target '" + name +
                                 "': only the CUDA GPU target is supported (the runtime moves "
                                 "buffers with Halide's CUDA interface); use host-cuda");
    return target;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// nnc-import-schedule (codegen/schedule_import/) beside this nnc, or $NNC_IMPORT_SCHEDULE.
std::string importer_path() {
    if (const char* env = std::getenv("NNC_IMPORT_SCHEDULE")) return env;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    const fs::path beside = self.parent_path() / "nnc-import-schedule";
    if (ec || !fs::exists(beside))
        throw std::runtime_error("--save-schedule needs nnc-import-schedule beside nnc (" + beside.string() +
                                 "): build the nnc-import-schedule target (it needs libclang-14-dev and "
                                 "libclang-cpp14-dev), or set NNC_IMPORT_SCHEDULE");
    return beside.string();
}

// Each pipeline's C++ schedule through nnc-import-schedule, stamped, written to `path`.
void save_schedule(const std::string& path, const std::map<std::string, std::string>& sources,
                   const codegen::ScheduleStamps& stamps) {
    const std::string importer = importer_path();
    std::string tmpl = (fs::temp_directory_path() / "nnc-schedule-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder");
    const fs::path dir = tmpl;
    struct Cleanup {
        fs::path p;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{dir};
    codegen::ScheduleFile file;
    file.stamps = stamps;
    for (const auto& [name, cpp] : sources) {
        const fs::path in = dir / (name + ".schedule.cpp"), out = dir / (name + ".json"), log = dir / (name + ".log");
        std::ofstream(in) << cpp;
        const std::string command = shell_quote(importer) + " " + shell_quote(in.string()) + " -o " +
                                    shell_quote(out.string()) + " > " + shell_quote(log.string()) + " 2>&1";
        if (std::system(command.c_str()) != 0)
            throw std::runtime_error("internal error: nnc-import-schedule could not read " + stamps.scheduler +
                                     "'s schedule of pipeline '" + name + "':\n" + read_text(log.string()));
        file.pipelines[name] =
            codegen::pipeline_schedule_from_json(nlohmann::json::parse(read_text(out.string())), out.string());
    }
    codegen::write_schedule_file(path, file);
}

// What identifies a build's options in the caches' keys: the schedule, target and staging; a
// saved schedule by the hash of its text; the train section's batch size where an autoscheduler
// schedules for it (the templates and a saved schedule take any batch alike); and the layers'
// tuned knobs, which change the generated code.
std::string options_key(const codegen::BuildOptions& b, const std::string& saved_schedule_text, int64_t batch,
                        const codegen::ModelTuning& tuning) {
    const bool estimated = b.schedule.scheduler != "template" && saved_schedule_text.empty();
    return b.target.to_string() + "|" + b.schedule.scheduler + "|" + std::to_string(b.schedule.parallelism) + "|" +
           std::to_string(b.schedule.last_level_cache) + "|" + std::to_string(b.schedule.balance) + "|" +
           std::to_string(b.layers_per_stage) + "|" +
           (saved_schedule_text.empty() ? std::string() : "schedule=" + codegen::hash_source(saved_schedule_text)) +
           (estimated ? "|batch=" + std::to_string(batch) : std::string()) +
           (tuning.fingerprint.empty() ? std::string() : "|tuning=" + codegen::hash_source(tuning.fingerprint));
}

// The --autotune mode: the option, else $NNC_AUTOTUNE, else cached.
codegen::AutotuneMode autotune_mode(const std::string& option) {
    std::string name = option, from = "--autotune";
    if (name.empty()) {
        const char* env = std::getenv("NNC_AUTOTUNE");
        name = env && *env ? env : "cached";
        from = "NNC_AUTOTUNE=";
    }
    const std::optional<codegen::AutotuneMode> mode = codegen::parse_autotune_mode(name);
    if (!mode)
        throw std::runtime_error(from + (from == "--autotune" ? " " : "") + name +
                                 ": use off, cached, quick or thorough");
    return *mode;
}

// A build for another machine: the tuning shipped for it (by --tuning-for's CPU model, else by
// the target's ISA), or the template defaults; `message` says which.
codegen::ModelTuning target_tuning(const dsl::CheckedModel& model, const CompileOptions& o,
                                   const Halide::Target& target, std::string* message) {
    const std::string isa = target.to_string();
    const std::optional<codegen::ShippedTuning> shipped =
        codegen::shipped_tuning_for_target(isa, o.tuning_for, NNC_HALIDE_VERSION);
    if (!shipped) {
        *message = "tuning: template defaults: no tuning for target " + isa +
                   (o.tuning_for.empty() ? std::string() : " from CPU \"" + o.tuning_for + "\"") + " in " +
                   codegen::shipped_tunings_dir().string();
        return {};
    }
    const std::string label = "shipped for " + shipped->machine.cpu_model;
    codegen::ModelTuning t = codegen::applied_tuning(model, {{&shipped->file, shipped->machine, label}});
    *message = t.summary.empty() ? "tuning: template defaults: the tuning " + label + " (" +
                                       shipped->file.path().string() + ") has none of this model's layers"
                                 : "tuning: " + t.summary;
    return t;
}

// The layers' tuned knobs (codegen/tune/) for this build: the template scheduler only. On this
// machine, its tuning cache and then the tuning shipped for its CPU, measuring what they lack
// (cached mode); for another target (or with --tuning-for), a shipped tuning only. `message`
// says where the tuning came from (empty when nothing was looked up or nothing applies).
codegen::ModelTuning tuning_for(const dsl::CheckedModel& model, const CompileOptions& o, const Halide::Target& target,
                                bool saved_schedule, std::string* message) {
    const codegen::AutotuneMode mode = autotune_mode(o.autotune);
    if (mode == codegen::AutotuneMode::Off || o.schedule.scheduler != "template" || saved_schedule ||
        target.has_gpu_feature())
        return {};
    const bool host = o.tuning_for.empty() && (o.target.rfind("host", 0) == 0 || target == codegen::host_target());
    if (!host) return target_tuning(model, o, target, message);
    const codegen::MachineKey machine = codegen::this_machine();
    codegen::TuningCache cache = codegen::TuningCache::load(
        o.tuning_cache.empty() ? codegen::default_tuning_cache_path(machine) : fs::path(o.tuning_cache));
    const std::optional<codegen::ShippedTuning> shipped = codegen::shipped_tuning_for_host(machine);
    codegen::TuningSource shipped_source;
    if (shipped) shipped_source = {&shipped->file, shipped->machine, "shipped for " + shipped->machine.cpu_model};
    codegen::TuneLog log;
    if (!o.quiet) log = [](const std::string& line) { std::fprintf(stderr, "nnc: %s\n", line.c_str()); };
    codegen::ModelTuning t =
        codegen::tune_model(model, mode, cache, machine, log, o.tune_budget, shipped ? &shipped_source : nullptr);
    if (!t.summary.empty()) *message = "tuning: " + t.summary;
    return t;
}

}  // namespace

int run_compile(const CompileOptions& o) {
    std::string text;
    auto model = load_checked_model(o.input, &text);
    if (!model) return 1;
    if (o.dump_tokens || o.dump_ast) {
        dsl::SourceFile source(o.input, text);
        dsl::Diagnostics diags;
        if (o.dump_tokens) std::fputs(dsl::dump_tokens(source, diags).c_str(), stdout);
        if (o.dump_ast) std::fputs(dsl::dump_ast(source, diags).c_str(), stdout);
    }
    if (o.dump_graph) {
        for (const dsl::Node& n : model->nodes) {
            std::printf("%%%d %s = %s(", n.id, n.name.c_str(), n.op.c_str());
            for (size_t i = 0; i < n.inputs.size(); ++i) std::printf("%s%%%d", i ? ", " : "", n.inputs[i]);
            std::printf(") : %s\n", n.shape.str().c_str());
        }
    }
    if (!o.graph_json.empty()) {
        std::ofstream f(o.graph_json);
        f << codegen::graph_to_json(*model);
        if (!f.flush()) {
            std::fprintf(stderr, "nnc: error: cannot write %s\n", o.graph_json.c_str());
            return 1;
        }
    }
    if (o.output.empty()) return 0;
    codegen::BuildOptions b;
    b.output = o.output;
    b.header = o.header;
    b.schedule = o.schedule;
    b.source_text = text;
    b.emit_dir = o.emit_dir;
    b.layers_per_stage = o.layers_per_stage;
    try {
        b.target = parse_target(o.target);
        // A saved schedule replaces the scheduler; saving one needs an autoscheduler's C++.
        std::optional<codegen::ScheduleFile> saved;
        std::string saved_text;
        std::map<std::string, std::string> schedule_sources;
        if (!o.schedule_file.empty()) {
            if (!o.save_schedule.empty()) throw std::runtime_error("--schedule and --save-schedule: choose one");
            if (o.schedule.scheduler != "template")
                throw std::runtime_error("--schedule " + o.schedule_file + " applies a saved schedule; --scheduler " +
                                         o.schedule.scheduler + " would replace it: choose one");
            saved_text = read_text(o.schedule_file);
            saved = codegen::read_schedule_file(o.schedule_file);
            b.saved_schedule = &*saved;
            b.saved_schedule_path = o.schedule_file;
        }
        if (!o.save_schedule.empty()) {
            if (o.schedule.scheduler == "template")
                throw std::runtime_error(
                    "--save-schedule saves an autoscheduler's schedule: add --scheduler Mullapudi2016 "
                    "(or Adams2019, Li2018); the template schedule is code in nnc, not data");
            b.schedule_sources = &schedule_sources;
        }
        std::string tuning_message;
        const codegen::ModelTuning tuning = tuning_for(*model, o, b.target, saved.has_value(), &tuning_message);
        if (!o.quiet && !tuning_message.empty()) std::fprintf(stderr, "nnc: %s\n", tuning_message.c_str());
        // An unchanged model (same text, options, tuning and nnc) is copied from the last build of
        // it; one whose train section alone changed links the pipelines compiled last time.
        const fs::path header = o.header.empty() ? fs::path(o.output).replace_extension(".h") : fs::path(o.header);
        const BuildCache cache(text, options_key(b, saved ? saved_text : "", model->train.batch, tuning),
                               fs::path(o.output).filename().string());
        const bool cacheable = !o.no_cache && o.emit_dir.empty() && o.save_schedule.empty();
        if (cacheable && cache.restore(o.output, header)) {
            if (!o.quiet)
                std::fprintf(stderr,
                             "nnc: wrote %s (unchanged model: copied from the build in %s; --no-cache rebuilds)\n",
                             o.output.c_str(), cache.dir().c_str());
            return 0;
        }
        if (cacheable) b.pipeline_cache = cache.pipelines_dir().string();
        b.schedule.knobs = tuning.by_node;
        const codegen::BuildTimes t = codegen::build_model_library(*model, b);
        if (cacheable) cache.store(o.output, header);
        if (t.reused_pipelines) {
            if (!o.quiet)
                std::fprintf(stderr,
                             "nnc: wrote %s (the pipelines are unchanged: linked those compiled in %s with a new "
                             "descriptor, the train section's defaults, in %.2fs; --no-cache rebuilds)\n",
                             o.output.c_str(), cache.pipelines_dir().c_str(), t.total());
            return 0;
        }
        if (!o.save_schedule.empty()) {
            save_schedule(o.save_schedule, schedule_sources,
                          codegen::current_schedule_stamps(*model, b.target, o.layers_per_stage, o.schedule));
            if (!o.quiet)
                std::fprintf(stderr, "nnc: saved the %s schedule to %s\n", o.schedule.scheduler.c_str(),
                             o.save_schedule.c_str());
        }
        if (!o.quiet)
            std::fprintf(stderr, "nnc: wrote %s (schedule %.2fs with %s, compile %.2fs, link %.2fs; total %.2fs)\n",
                         o.output.c_str(), t.schedule, saved ? o.schedule_file.c_str() : o.schedule.scheduler.c_str(),
                         t.compile, t.link, t.total());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc: error: %s\n", e.what());
        return 1;
    }
    return 0;
}

std::string compile_to_cache(const std::string& path, const codegen::ScheduleOptions& schedule) {
    std::string text;
    auto model = load_checked_model(path, &text);
    if (!model) throw std::runtime_error(path + " has errors (above)");
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    fs::path cache = xdg    ? fs::path(xdg) / "nnc"
                     : home ? fs::path(home) / ".cache" / "nnc"
                            : fs::temp_directory_path() / "nnc-cache";
    // This CPU's tunings, as `nnc model.nn -o` applies them by default (the signatures they lack
    // measured first, within the quick budget; NNC_AUTOTUNE=off measures nothing).
    CompileOptions tuning_options;
    tuning_options.schedule = schedule;
    std::string tuning_message;
    const codegen::ModelTuning tuning =
        tuning_for(*model, tuning_options, codegen::host_target(), false, &tuning_message);
    // The toolchain too: a library cached by another nnc carries that nnc's runtime (and ABI).
    const std::string key = codegen::hash_source(
        text + "\n" + toolchain_fingerprint() + "\n" + std::to_string(NNC_ABI_VERSION) + "\n" + schedule.scheduler +
        "\n" + std::to_string(schedule.parallelism) + (tuning.fingerprint.empty() ? "" : "\n" + tuning.fingerprint));
    fs::path dir = cache / (model->name + "-" + key);
    fs::path so = dir / (model->name + ".so");
    if (fs::exists(so)) return so.string();
    if (!tuning_message.empty()) std::fprintf(stderr, "nnc: %s\n", tuning_message.c_str());
    fs::create_directories(dir);
    codegen::BuildOptions b;
    b.output = so.string();
    b.schedule = schedule;
    b.source_text = text;
    // A train-section edit links the pipelines compiled before (the build cache's, shared with
    // `nnc model.nn -o`).
    b.pipeline_cache = BuildCache(text, options_key(b, "", model->train.batch, tuning), so.filename().string())
                           .pipelines_dir()
                           .string();
    b.schedule.knobs = tuning.by_node;
    const codegen::BuildTimes t = codegen::build_model_library(*model, b);
    if (t.reused_pipelines)
        std::fprintf(stderr, "nnc: compiled %s in %.2fs (unchanged pipelines linked from %s)\n", path.c_str(),
                     t.total(), b.pipeline_cache.c_str());
    else
        std::fprintf(stderr, "nnc: compiled %s in %.2fs (schedule %.2fs, compile %.2fs, link %.2fs)\n", path.c_str(),
                     t.total(), t.schedule, t.compile, t.link);
    return so.string();
}

}  // namespace nnc::driver
