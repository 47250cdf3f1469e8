// nnc's side of tests/bench/interleave.py: compiled model libraries kept warm in one long-lived
// process that measures a row for a slice of time when asked, so that a driver can alternate it
// with PyTorch's process (torch_peer.py --serve) and with the FMA loop in short slices.
//   model_serve [--threads=N] LIBRARY.so ...
// One command per line on stdin, one answer per line on stdout:
//   prepare ROW        ready ROW nnc            creates the row's model, 5 warm-up steps
//   run ROW SECONDS    done ROW STEPS SECONDS   steps until SECONDS have passed (at least one)
//   fma SECONDS        done fma FLOPS SECONDS   the register-only FMA loop (fma_loop.h) on N threads
//   quit
// ROW is MODEL/train_step/BATCH or MODEL/forward/BATCH, MODEL a library's file name without .so.
// A failure answers "error ROW what went wrong" and the process goes on.
// --threads=N: the model's pool (nnc_model_set_threads) and HL_NUM_THREADS, as model_bench.
#include <nnc/nnc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "tests/bench/fma_loop.h"
#include "tests/bench/model_inputs.h"
#include "tests/bench/model_library.h"

namespace {

constexpr int kWarmupSteps = 5;  // as model_bench and torch_peer.py

int g_threads = 0;  // 0: the library's default (every core)

struct Row {
    std::string model, kind;
    int64_t batch = 0;
};

// "fashion_mlp/train_step/64" -> its parts; false when it is not a row.
bool parse_row(const std::string& text, Row* row) {
    const size_t a = text.find('/'), b = text.rfind('/');
    if (a == std::string::npos || a == b) return false;
    row->model = text.substr(0, a);
    row->kind = text.substr(a + 1, b - a - 1);
    row->batch = std::atoll(text.c_str() + b + 1);
    return row->batch > 0 && (row->kind == "train_step" || row->kind == "forward");
}

// The row being measured: one model at a time, kept warm between its slices.
struct Warm {
    std::string row;
    ModelLibrary lib;
    nnc_model* m = nullptr;
    ModelInputs in;
    bool train = false;
    int64_t batch = 0;
};

class Server {
public:
    explicit Server(std::map<std::string, ModelLibrary> libs) : libs_(std::move(libs)) {}
    ~Server() { release(); }

    // The answer line for one command line.
    std::string answer(const std::string& line) {
        std::istringstream words(line);
        std::string verb, row;
        double seconds = 0;
        words >> verb;
        if (verb == "fma" && (words >> seconds)) {
            double elapsed = 0;
            const double flops = fma_flops(seconds, g_threads > 0 ? g_threads : 1, &elapsed);
            return "done fma " + number(flops) + " " + number(elapsed);
        }
        if (verb == "prepare" && (words >> row)) {
            const std::string error = prepare(row);
            return error.empty() ? "ready " + row + " nnc" : "error " + row + " " + error;
        }
        if (verb == "run" && (words >> row >> seconds)) return run(row, seconds);
        return "error - unknown command '" + line + "' (prepare ROW, run ROW SECONDS, fma SECONDS, quit)";
    }

private:
    static std::string number(double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.9g", v);
        return buf;
    }

    void release() {
        if (warm_.m) warm_.lib.destroy(warm_.m);
        warm_ = Warm{};
    }

    nnc_status step(float* loss) {
        ModelInputs& in = warm_.in;
        return warm_.train ? warm_.lib.train_step(warm_.m, in.input, in.y.data(), warm_.batch, loss, nullptr)
                           : warm_.lib.forward(warm_.m, in.input, warm_.batch, in.out.data());
    }

    // Empty on success, else what failed.
    std::string prepare(const std::string& text) {
        if (warm_.m && warm_.row == text) return "";
        release();
        Row row;
        if (!parse_row(text, &row)) return "not a row: MODEL/train_step/BATCH or MODEL/forward/BATCH";
        const auto lib = libs_.find(row.model);
        if (lib == libs_.end()) return "no library " + row.model + ".so was given to model_serve";
        warm_.row = text;
        warm_.lib = lib->second;
        warm_.train = row.kind == "train_step";
        warm_.batch = row.batch;
        const ModelLibrary& l = warm_.lib;
        if (l.create(&warm_.m) != NNC_OK || l.init(warm_.m, 1) != NNC_OK || l.set_threads(warm_.m, g_threads) != NNC_OK)
            return fail();
        fill_model_inputs(l, warm_.m, row.batch, &warm_.in);
        float loss = 0;
        for (int i = 0; i < kWarmupSteps; ++i)
            if (step(&loss) != NNC_OK) return fail();
        return "";
    }

    std::string fail() {
        const std::string what = warm_.lib.last_error();
        release();
        return what;
    }

    std::string run(const std::string& row, double seconds) {
        const std::string error = prepare(row);
        if (!error.empty()) return "error " + row + " " + error;
        float loss = 0;
        long steps = 0;
        const auto t0 = std::chrono::steady_clock::now();
        double elapsed = 0;
        do {
            if (step(&loss) != NNC_OK) return "error " + row + " " + fail();
            ++steps;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        } while (elapsed < seconds);
        return "done " + row + " " + std::to_string(steps) + " " + number(elapsed);
    }

    std::map<std::string, ModelLibrary> libs_;
    Warm warm_;
};

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, ModelLibrary> libs;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--threads=", 10) == 0) {
            g_threads = std::atoi(argv[i] + 10);
            if (g_threads < 1) {
                std::fprintf(stderr, "model_serve: --threads must be >= 1, got '%s'\n", argv[i] + 10);
                return 2;
            }
            // Read when Halide's pool starts (the first parallel loop): set before any model runs.
            setenv("HL_NUM_THREADS", argv[i] + 10, 1);
            continue;
        }
        ModelLibrary lib;
        // dlopen searches the library path for a bare file name: give it the path itself.
        if (!open_model_library(std::filesystem::absolute(argv[i]).string(), "model_serve", &lib)) return 1;
        if (!lib.create || !lib.train_step || !lib.forward || !lib.input_dtype || !lib.set_threads) {
            std::fprintf(stderr, "model_serve: %s is not an nnc model library of ABI 3 or later\n", argv[i]);
            return 1;
        }
        libs[std::filesystem::path(argv[i]).stem().string()] = lib;
    }
    if (libs.empty()) {
        std::fprintf(stderr, "usage: model_serve [--threads=N] LIBRARY.so ...\n");
        return 2;
    }
    Server server(std::move(libs));
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        if (line == "quit") break;
        std::string reply = server.answer(line);
        for (char& c : reply)
            if (c == '\n') c = ' ';       // a multi-line error stays one answer
        std::cout << reply << std::endl;  // flushed: the driver waits for each line
    }
    return 0;
}
