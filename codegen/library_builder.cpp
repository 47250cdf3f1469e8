#include "codegen/library_builder.h"
#include <cerrno>
#include <functional>
#include <sys/wait.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "codegen/descriptor_gen.h"
#include "codegen/estimates.h"
#include "codegen/header_gen.h"
#include "codegen/lowering.h"
#include "codegen/toolchain.h"

namespace nnc::codegen {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

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
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder in " + fs::temp_directory_path().string());
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

}  // namespace

// Runs each job in a child process and waits for all. Halide lowers and LLVM compiles one
// pipeline on one thread, and a model's pipelines are independent: on a 2-core machine this
// nearly halves the build of a convolutional model. A child's error comes back through a file.
static void run_in_parallel(const fs::path& dir, const std::vector<std::pair<std::string, std::function<void()>>>& jobs) {
    std::fflush(nullptr);
    std::vector<std::pair<pid_t, std::string>> pids;
    for (const auto& [name, job] : jobs) {
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
        pids.push_back({pid, name});
    }
    std::string errors;
    for (const auto& [pid, name] : pids) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
        std::ifstream in(dir / (name + ".error"));
        std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        errors += (errors.empty() ? "" : "; ") + name + ": " +
                  (message.empty() ? "the compiler process ended abnormally (status " + std::to_string(status) + ")" : message);
    }
    if (!errors.empty()) throw std::runtime_error("internal error: Halide failed to compile the pipelines: " + errors);
}

BuildTimes build_model_library(const dsl::CheckedModel& model, const BuildOptions& options) {
    BuildTimes times;
    const Toolchain tools = find_toolchain();
    TempDir work;
    const int batch = static_cast<int>(model.train.batch);
    const PipelineSymbols symbols;

    auto t = Clock::now();
    LoweredPipeline fwd = lower_inference(model, Halide::Float(32), batch);
    LoweredPipeline eval = lower_evaluation(model, Halide::Float(32), batch);
    LoweredPipeline train = lower_training(model, Halide::Float(32), batch);
    set_output_estimates(fwd, batch);
    set_output_estimates(eval, batch);
    set_output_estimates(train, batch);
    Halide::Pipeline fwd_p = fwd.pipeline(), eval_p = eval.pipeline(), train_p = train.pipeline();
    times.lower = seconds_since(t);

    t = Clock::now();
    const std::string fwd_schedule = schedule_pipeline(fwd_p, model, fwd.batch, options.target, options.schedule);
    const std::string eval_schedule = schedule_pipeline(eval_p, model, eval.batch, options.target, options.schedule);
    const std::string train_schedule = schedule_pipeline(train_p, model, train.batch, options.target, options.schedule);
    times.schedule = seconds_since(t);

    t = Clock::now();
    // One Halide runtime for the whole library; the pipelines are built without their own.
    const Halide::Target no_rt = options.target.with_feature(Halide::Target::NoRuntime);
    const fs::path fwd_o = work.path / "forward.o", eval_o = work.path / "evaluate.o", train_o = work.path / "train_step.o";
    const fs::path rt_o = work.path / "halide_runtime.o";
    try {
        run_in_parallel(work.path, {
            {"forward", [&] { fwd_p.compile_to_object(fwd_o.string(), fwd.arguments(), symbols.forward, no_rt); }},
            {"evaluate", [&] { eval_p.compile_to_object(eval_o.string(), eval.arguments(), symbols.evaluate, no_rt); }},
            {"train_step",
             [&] { train_p.compile_to_object(train_o.string(), train.arguments(), symbols.train_step, no_rt); }},
            // Built for the full target: with CUDA it carries Halide's CUDA module, which dlopens the
            // driver (libcuda.so) at the first device call, so the library links and loads anywhere.
            {"runtime", [&] { Halide::compile_standalone_runtime(rt_o.string(), options.target); }},
        });
        if (!options.emit_dir.empty()) {
            fs::create_directories(options.emit_dir);
            const fs::path e = options.emit_dir;
            fwd_p.compile_to_lowered_stmt((e / "forward.stmt").string(), fwd.arguments(), Halide::Text, no_rt);
            train_p.compile_to_lowered_stmt((e / "train_step.stmt").string(), train.arguments(), Halide::Text, no_rt);
            write_file(e / "forward.schedule.h", fwd_schedule);
            write_file(e / "evaluate.schedule.h", eval_schedule);
            write_file(e / "train_step.schedule.h", train_schedule);
        }
    } catch (const Halide::Error& e) {
        throw std::runtime_error(std::string("internal error: Halide failed to compile the pipelines: ") + e.what());
    }
    times.compile = seconds_since(t);

    t = Clock::now();
    const fs::path desc_c = work.path / "model_desc.c", desc_o = work.path / "model_desc.o";
    const std::string desc = generate_descriptor_source(model, hash_source(options.source_text), symbols,
                                                        options.target.to_string(),
                                                        options.target.has_feature(Halide::Target::CUDA));
    write_file(desc_c, desc);
    if (!options.emit_dir.empty()) write_file(fs::path(options.emit_dir) / "model_desc.c", desc);
    run(quote(tools.cc) + " -c -O2 -fPIC -I" + quote(tools.include_dir) + " " + quote(desc_c.string()) + " -o " +
            quote(desc_o.string()),
        work.path / "cc.log");
    const fs::path so = work.path / "model.so";
    // -Bsymbolic keeps the library's own calls inside it; the version script exports only the
    // ABI; --whole-archive because nothing generated calls the runtime's entry points.
    const fs::path out = options.output;
    run(quote(tools.cxx) + " -shared -fPIC -Wl,-Bsymbolic -Wl,-soname," + quote(out.filename().string()) +
            " -Wl,--version-script=" + quote(tools.exports_map) +
            " -o " + quote(so.string()) + " " + quote(fwd_o.string()) + " " + quote(eval_o.string()) + " " + quote(train_o.string()) + " " +
            quote(desc_o.string()) + " " + quote(rt_o.string()) + " -Wl,--whole-archive " +
            quote(tools.runtime_library) + " -Wl,--no-whole-archive" +
            " -lz -lpthread -ldl",
        work.path / "link.log");

    const fs::path header = options.header.empty() ? fs::path(out).replace_extension(".h") : fs::path(options.header);
    write_file(work.path / "model.h", generate_model_header(model, out.filename().string()));
    install_file(so, out);
    install_file(work.path / "model.h", header);
    times.link = seconds_since(t);
    return times;
}

}  // namespace nnc::codegen
