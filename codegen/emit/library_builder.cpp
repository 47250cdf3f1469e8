#include "codegen/emit/library_builder.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "codegen/emit/descriptor_gen.h"
#include "codegen/emit/device_optimizers.h"
#include "codegen/emit/header_gen.h"
#include "codegen/emit/pipeline_objects.h"
#include "codegen/emit/toolchain.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/lower/staged_lowering.h"
#include "codegen/schedule/saved_schedule_apply.h"

namespace nnc::codegen {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    if (!f.flush()) throw std::runtime_error("cannot write " + path.string());
}

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

void run(const std::string& command, const fs::path& log) {
    const int rc = std::system((command + " > " + quote(log.string()) + " 2>&1").c_str());
    if (rc != 0) {
        std::ifstream f(log);
        std::string output((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        throw std::runtime_error("command failed (" + command + "):\n" + output);
    }
}

// A private work folder removed on every exit path.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "nnc-build-XXXXXX").string();
        if (!mkdtemp(tmpl.data()))
            throw std::runtime_error("cannot create a temporary folder in " + fs::temp_directory_path().string());
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Writes `from` over `to` atomically: rename within the destination folder.
void install_file(const fs::path& from, const fs::path& to) {
    fs::path staging = to;
    staging += ".tmp." + std::to_string(getpid());
    std::error_code ec;
    fs::copy_file(from, staging, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(staging, to, ec);
    if (ec) {
        fs::remove(staging);
        throw std::runtime_error("cannot write " + to.string() + ": " + ec.message());
    }
}

// Runs each job in a child process and waits for all. Halide lowers and LLVM compiles one
// pipeline on one thread, and a model's pipelines are independent: on a 2-core machine this
// nearly halves the build of a convolutional model. A child's error comes back through a file.
void run_in_parallel(const fs::path& dir, const std::vector<std::pair<std::string, std::function<void()>>>& jobs) {
    std::fflush(nullptr);
    // At most one child per core: more only share the cores and multiply the memory.
    const size_t limit = std::max(1u, std::thread::hardware_concurrency());
    std::map<pid_t, std::string> running;
    std::map<std::string, Clock::time_point> started;
    const bool verbose = std::getenv("NNC_VERBOSE") != nullptr;  // per-pipeline compile times
    std::string errors;
    // Waits for any one child (they differ widely in length) and records its error, if any.
    auto wait_one = [&] {
        int status = 0;
        pid_t pid;
        while ((pid = waitpid(-1, &status, 0)) < 0 && errno == EINTR) {}
        if (pid < 0) {  // no children left to wait for: those still listed cannot report
            for (const auto& [p, name] : running)
                errors += (errors.empty() ? "" : "; ") + name + ": lost its compiler process";
            running.clear();
            return;
        }
        auto it = running.find(pid);
        if (it == running.end()) return;  // another child of this process
        const std::string name = it->second;
        running.erase(it);
        if (verbose) std::fprintf(stderr, "nnc: compiled %s in %.2fs\n", name.c_str(), seconds_since(started[name]));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
        std::ifstream in(dir / (name + ".error"));
        std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        errors += (errors.empty() ? "" : "; ") + name + ": " +
                  (message.empty() ? "the compiler process ended abnormally (status " + std::to_string(status) + ")"
                                   : message);
    };
    for (const auto& [name, job] : jobs) {
        while (running.size() >= limit) wait_one();
        started[name] = Clock::now();
        const pid_t pid = fork();
        if (pid < 0) {  // no process to spare: compile here instead
            job();
            continue;
        }
        if (pid == 0) {
            int code = 0;
            std::string message;
            try {
                job();
            } catch (const Halide::Error& e) {
                message = e.what();
                code = 1;
            } catch (const std::exception& e) {
                message = e.what();
                code = 1;
            }
            if (code != 0) std::ofstream(dir / (name + ".error")) << message;
            std::_Exit(code);
        }
        running[pid] = name;
    }
    while (!running.empty()) wait_one();
    if (!errors.empty()) throw std::runtime_error("internal error: Halide failed to compile the pipelines: " + errors);
}

// One Halide pipeline to compile: a whole pipeline, or one stage of a staged one.
struct Unit {
    std::string name, symbol;  // "train_step_b2", "nncgen_train_step_b2"
    Halide::Pipeline pipeline;
    std::vector<Halide::Argument> arguments;
    Halide::Expr batch;
    std::shared_ptr<const LayerRecords> records;  // what its lowering recorded, for its schedule
    std::string schedule;                         // as C++ text (--save-schedule, the emit folder)
};

// What the lowering phase hands on: the units, training first (they are the longest to compile,
// and the rest fill the other cores), and for a staged build each pipeline's stage plan.
struct LoweredModel {
    std::vector<Unit> units;
    bool staged = false;
    StagedPipeline train_step, forward, evaluate;
    StagedPlans plans() const { return staged ? StagedPlans{&forward, &evaluate, &train_step} : StagedPlans{}; }
};

LoweredPipeline lower_whole(const dsl::CheckedModel& model, StageMode mode, int batch) {
    if (mode == StageMode::Train) return lower_training(model, Halide::Float(32), batch);
    if (mode == StageMode::Forward) return lower_inference(model, Halide::Float(32), batch);
    return lower_evaluation(model, Halide::Float(32), batch);
}

// Phase 1: each pipeline as one Halide pipeline, or as stages (staged_lowering.h) for a large
// model on a CPU target, with the estimates its scheduler reads.
LoweredModel lower_model(const dsl::CheckedModel& model, const BuildOptions& options, const PipelineSymbols& symbols) {
    LoweredModel out;
    out.staged = !options.target.has_gpu_feature() && options.layers_per_stage > 0 &&
                 segment_count(model, options.layers_per_stage) > 1;
    const int batch = static_cast<int>(model.train.batch);
    const struct {
        StageMode mode;
        std::string name, symbol;
        StagedPipeline* plan;
    } pipelines[] = {{StageMode::Train, "train_step", symbols.train_step, &out.train_step},
                     {StageMode::Forward, "forward", symbols.forward, &out.forward},
                     {StageMode::Evaluate, "evaluate", symbols.evaluate, &out.evaluate}};
    for (const auto& p : pipelines) {
        if (!out.staged) {
            LoweredPipeline whole = lower_whole(model, p.mode, batch);
            set_output_estimates(whole, batch);
            out.units.push_back(
                {p.name, p.symbol, whole.pipeline(), whole.arguments(), whole.batch, whole.records, ""});
            continue;
        }
        *p.plan = lower_staged(model, p.mode, Halide::Float(32), batch, options.layers_per_stage);
        for (LoweredStage& st : p.plan->stages) {
            set_output_estimates(st.outputs, batch);
            out.units.push_back({p.name + "_" + st.name, p.symbol + "_" + st.name, st.pipeline(), st.arguments,
                                 st.batch, st.records, ""});
        }
    }
    return out;
}

// A saved schedule applied to the units, after its stamps and its pipelines are checked against
// this build.
void apply_saved_schedules(std::vector<Unit>& units, const dsl::CheckedModel& model, const BuildOptions& options) {
    const ScheduleFile& saved = *options.saved_schedule;
    const std::string& path = options.saved_schedule_path;
    check_schedule_stamps(
        saved, current_schedule_stamps(model, options.target, options.layers_per_stage, options.schedule), path);
    std::set<std::string> names;
    for (const Unit& u : units) names.insert(u.name);
    for (const auto& [name, p] : saved.pipelines)
        if (!names.count(name))
            throw std::runtime_error("the saved schedule " + path + " schedules a pipeline '" + name +
                                     "' this build does not have; re-save it with --save-schedule");
    for (Unit& u : units) {
        auto it = saved.pipelines.find(u.name);
        if (it == saved.pipelines.end())
            throw std::runtime_error("the saved schedule " + path + " has no schedule for the pipeline '" + u.name +
                                     "'; re-save it with --save-schedule");
        apply_saved_schedule(u.pipeline, it->second, u.name, path);
        u.schedule = "saved schedule " + path + " (" + saved.stamps.scheduler + ")\n";
    }
}

// Phase 2: each unit scheduled, by the saved schedule or by the build's scheduler.
void schedule_units(std::vector<Unit>& units, const dsl::CheckedModel& model, const BuildOptions& options) {
    if (options.saved_schedule)
        apply_saved_schedules(units, model, options);
    else
        for (Unit& u : units)
            u.schedule = schedule_pipeline(u.pipeline, model, u.batch, *u.records, options.target, options.schedule);
    if (options.schedule_sources)
        for (const Unit& u : units) (*options.schedule_sources)[u.name] = u.schedule;
}

// The emit folder: each unit's lowered stmt and schedule.
void emit_lowered(std::vector<Unit>& units, const fs::path& dir, const Halide::Target& target) {
    fs::create_directories(dir);
    for (Unit& u : units) {
        u.pipeline.compile_to_lowered_stmt((dir / (u.name + ".stmt")).string(), u.arguments, Halide::Text, target);
        write_file(dir / (u.name + ".schedule.h"), u.schedule);
    }
}

// GPU targets carry the optimizer update kernels, so that training keeps its parameters and
// optimizer state on the device (runtime/device.h); the runtime drives CUDA only.
bool has_device_kernels(const Halide::Target& target) { return target.has_feature(Halide::Target::CUDA); }

// Phase 3: the objects of the library, compiled in parallel into `dir`: each unit, the device
// kernels, and one Halide runtime for them all (the units are built without their own); then,
// with an emit folder, each unit's lowered stmt.
std::vector<fs::path> compile_objects(std::vector<Unit>& units, const BuildOptions& options, const fs::path& dir) {
    const Halide::Target no_rt = options.target.with_feature(Halide::Target::NoRuntime);
    std::vector<DeviceKernelPipeline> device_kernels;
    if (has_device_kernels(options.target)) device_kernels = device_kernel_pipelines(/*gpu=*/true);
    const fs::path rt_o = dir / "halide_runtime.o";
    std::vector<fs::path> objects;
    try {
        std::vector<std::pair<std::string, std::function<void()>>> jobs;
        for (Unit& u : units) {
            const fs::path o = dir / (u.name + ".o");
            objects.push_back(o);
            jobs.push_back(
                {u.name, [&u, o, &no_rt] { u.pipeline.compile_to_object(o.string(), u.arguments, u.symbol, no_rt); }});
        }
        // The device kernels come scheduled by hand.
        for (DeviceKernelPipeline& k : device_kernels) {
            const fs::path o = dir / (k.name + ".o");
            objects.push_back(o);
            jobs.push_back({k.name, [&k, o, &no_rt] {
                                k.pipeline.compile_to_object(o.string(), k.arguments, device_kernel_symbol(k.name),
                                                             device_kernel_target(no_rt));
                            }});
        }
        // Built for the full target: with CUDA it carries Halide's CUDA module, which dlopens the
        // driver (libcuda.so) at the first device call, so the library links and loads anywhere.
        jobs.push_back({"runtime", [&] { Halide::compile_standalone_runtime(rt_o.string(), options.target); }});
        run_in_parallel(dir, jobs);
        objects.push_back(rt_o);
        if (!options.emit_dir.empty()) emit_lowered(units, options.emit_dir, no_rt);
    } catch (const Halide::Error& e) {
        throw std::runtime_error(std::string("internal error: Halide failed to compile the pipelines: ") + e.what());
    }
    return objects;
}

// Phase 4a: the descriptor (model_desc.c, also into the emit folder) compiled to an object in `dir`.
fs::path compile_descriptor(const dsl::CheckedModel& model, const BuildOptions& options, const PipelineSymbols& symbols,
                            const StagedPlans& plans, const Toolchain& tools, const fs::path& dir) {
    const fs::path desc_c = dir / "model_desc.c", desc_o = dir / "model_desc.o";
    const std::string desc = generate_descriptor_source(
        model, hash_source(options.source_text), symbols, options.target.to_string(),
        options.target.has_feature(Halide::Target::CUDA), plans, /*device_kernels=*/has_device_kernels(options.target));
    write_file(desc_c, desc);
    if (!options.emit_dir.empty()) write_file(fs::path(options.emit_dir) / "model_desc.c", desc);
    run(quote(tools.cc) + " -c -O2 -fPIC -I" + quote(tools.include_dir) + " " + quote(desc_c.string()) + " -o " +
            quote(desc_o.string()),
        dir / "cc.log");
    return desc_o;
}

// Phase 4b: the objects and the runtime linked into model.so, and model.h generated, in `dir`;
// then both installed at their destinations.
void link_library(const dsl::CheckedModel& model, const BuildOptions& options, const std::vector<fs::path>& objects,
                  const Toolchain& tools, const fs::path& dir) {
    const fs::path so = dir / "model.so";
    std::string object_list;
    for (const fs::path& o : objects) object_list += quote(o.string()) + " ";
    // -Bsymbolic keeps the library's own calls inside it; the version script exports only the
    // ABI; --whole-archive because nothing generated calls the runtime's entry points.
    const fs::path out = options.output;
    run(quote(tools.cxx) + " -shared -fPIC -Wl,-Bsymbolic -Wl,-soname," + quote(out.filename().string()) +
            " -Wl,--version-script=" + quote(tools.exports_map) + " -o " + quote(so.string()) + " " + object_list +
            "-Wl,--whole-archive " + quote(tools.runtime_library) + " -Wl,--no-whole-archive" + " -lz -lpthread -ldl",
        dir / "link.log");
    const fs::path header = options.header.empty() ? fs::path(out).replace_extension(".h") : fs::path(options.header);
    write_file(dir / "model.h", generate_model_header(model, out.filename().string()));
    install_file(so, out);
    install_file(dir / "model.h", header);
}

// Seconds per phase: each lap() returns the time since the last.
struct Stopwatch {
    Clock::time_point start = Clock::now();
    double lap() {
        const Clock::time_point now = Clock::now();
        return std::chrono::duration<double>(now - std::exchange(start, now)).count();
    }
};

}  // namespace

BuildTimes build_model_library(const dsl::CheckedModel& model, const BuildOptions& options) {
    const Toolchain tools = find_toolchain();
    const TempDir work;
    const PipelineSymbols symbols;
    BuildTimes times;
    Stopwatch clock;
    // Lowered even when the pipelines are reused: the descriptor needs a staged model's plans.
    LoweredModel lowered = lower_model(model, options, symbols);
    times.lower = clock.lap();
    std::vector<std::string> unit_names;
    for (const Unit& u : lowered.units) unit_names.push_back(u.name);
    std::vector<fs::path> objects;
    if (auto kept = reusable_pipeline_objects(options.pipeline_cache, unit_names)) {
        if (options.saved_schedule)  // still refused when it no longer fits
            check_schedule_stamps(
                *options.saved_schedule,
                current_schedule_stamps(model, options.target, options.layers_per_stage, options.schedule),
                options.saved_schedule_path);
        objects = std::move(*kept);
        times.reused_pipelines = true;
    } else {
        schedule_units(lowered.units, model, options);
        times.schedule = clock.lap();
        objects = compile_objects(lowered.units, options, work.path);
        keep_pipeline_objects(options.pipeline_cache, unit_names, objects);
        times.compile = clock.lap();
    }
    objects.push_back(compile_descriptor(model, options, symbols, lowered.plans(), tools, work.path));
    link_library(model, options, objects, tools, work.path);
    times.link = clock.lap();
    return times;
}

}  // namespace nnc::codegen
