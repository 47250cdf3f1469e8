// The nnc half of tests/gpu/check.sh, run on a GPU machine against a bundle of prebuilt model
// libraries (tests/gpu/prepare.sh): <model>_cpu.so and <model>_cuda.so for each reference model.
//
//   gpu_check BUNDLE [--json FILE] [--steps N] [--timed N]
//
// 1. equivalence: the CUDA library against the CPU one from the same parameters and batch: the
//    loss, every gradient, every new state (batch-norm statistics) and the inference output,
//    relative L2 error < 1e-4 each;
// 2. training: N steps (default 300) of fashion_cnn (fashion_mlp if absent) on a synthetic,
//    learnable data set on the GPU; the loss must fall (last 20 steps' mean < half the first 20's);
// 3. throughput: nnc_model_train_step at batch 64 and 256, median of the timed steps after warm-up,
//    on the GPU (and on the CPU for scale);
// 4. residency (parameters and optimizer state stay on the GPU between steps, runtime/device.h),
//    on fashion_mlp and fashion_cnn: K = 5 nnc_model_train_step calls with Adam and with SGD + momentum (the device
//    optimizer kernels), and one nnc_train epoch of 5 batches with clip_norm and clip_value (the device sums of
//    squares, grad_scale and the clamp), end with the CPU library's parameters (relative error < 1e-4 per tensor, or
//    within the CPU's own drift over the same steps from parameters perturbed by 1e-6: see cpu_drift); a checkpoint
//    saved after the device steps loads into the CPU library bit for bit, and one more step from it agrees with the
//    GPU's next step (the optimizer state came down with it).
// Both libraries export the same names, so each is opened privately and called through its own
// function table. Exit status 0 when every check passes, 1 when one fails, 2 when no GPU is usable
// (the CPU parts still run: a dry run on a machine without a GPU).
#include <dlfcn.h>

#include <nnc/nnc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace {
namespace fs = std::filesystem;

constexpr double kTolerance = 1e-4;
const char* const kModels[] = {"fashion_mlp", "fashion_cnn", "resnet8", "lstm_classifier"};

struct Api {
    void* handle = nullptr;
    std::string path;
#define NNC_FN(name, ...) std::add_pointer_t<__VA_ARGS__> name = nullptr;
#define NNC_FUNCTIONS(X)                                                                                            \
    X(nnc_last_error, const char*())                                                                                \
    X(nnc_model_create, nnc_status(nnc_model**))                                                                    \
    X(nnc_model_destroy, void(nnc_model*))                                                                          \
    X(nnc_model_init, nnc_status(nnc_model*, uint64_t))                                                             \
    X(nnc_model_input_size, int64_t(const nnc_model*))                                                              \
    X(nnc_model_input_dtype, nnc_dtype(const nnc_model*))                                                           \
    X(nnc_model_num_targets, int(const nnc_model*))                                                                 \
    X(nnc_model_target_info, nnc_status(const nnc_model*, int, const char**, nnc_target_kind*, int64_t*, int64_t*)) \
    X(nnc_model_num_losses, int(const nnc_model*))                                                                  \
    X(nnc_model_loss_info, nnc_status(const nnc_model*, int, const char**, double*, int*, int64_t*))                \
    X(nnc_model_num_params, int(const nnc_model*))                                                                  \
    X(nnc_model_num_trainable_params, int(const nnc_model*))                                                        \
    X(nnc_model_param_info, nnc_status(const nnc_model*, int, const char**, int*, const int64_t**))                 \
    X(nnc_model_param_count, int64_t(const nnc_model*, int))                                                        \
    X(nnc_model_get_param, nnc_status(const nnc_model*, int, float*, int64_t))                                      \
    X(nnc_model_set_param, nnc_status(nnc_model*, int, const float*, int64_t))                                      \
    X(nnc_model_get_grad, nnc_status(const nnc_model*, int, float*, int64_t))                                       \
    X(nnc_model_forward_all, nnc_status(nnc_model*, const void*, int64_t, float* const*))                           \
    X(nnc_model_compute_gradients_multi,                                                                            \
      nnc_status(nnc_model*, const void*, const void* const*, int64_t, float*, float*))                             \
    X(nnc_model_train_step_multi, nnc_status(nnc_model*, const void*, const void* const*, int64_t, float*, float*)) \
    X(nnc_model_get_optimizer, nnc_status(const nnc_model*, nnc_optimizer_config*))                                 \
    X(nnc_model_set_optimizer, nnc_status(nnc_model*, const nnc_optimizer_config*))                                 \
    X(nnc_optimizer_defaults, nnc_status(const char*, nnc_optimizer_config*))                                       \
    X(nnc_model_save, nnc_status(const nnc_model*, const char*))                                                    \
    X(nnc_model_load, nnc_status(nnc_model*, const char*))                                                          \
    X(nnc_model_default_train_config,                                                                               \
      nnc_status(const nnc_model*, nnc_train_config*, nnc_optimizer_config*, int64_t*))                             \
    X(nnc_dataset_from_memory,                                                                                      \
      nnc_status(const float*, const void*, int64_t, int64_t, nnc_target_kind, int64_t, nnc_dataset**))             \
    X(nnc_dataset_destroy, void(nnc_dataset*))                                                                      \
    X(nnc_train, nnc_status(nnc_model*, const nnc_dataset*, const nnc_dataset*, const nnc_train_config*))
    NNC_FUNCTIONS(NNC_FN)
#undef NNC_FN

    bool open(const std::string& p, std::string& error) {
        path = p;
        handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            error = dlerror();
            return false;
        }
#define NNC_LOAD(name, ...)                                                         \
    name = reinterpret_cast<std::add_pointer_t<__VA_ARGS__>>(dlsym(handle, #name)); \
    if (!name) {                                                                    \
        error = p + " does not export " #name;                                      \
        return false;                                                               \
    }
        NNC_FUNCTIONS(NNC_LOAD)
#undef NNC_LOAD
        return true;
    }
};

// One model instance of one library; the status of every call is checked.
struct Model {
    Api* api = nullptr;
    nnc_model* m = nullptr;
    ~Model() {
        if (m) api->nnc_model_destroy(m);
    }
    void ok(nnc_status s, const char* what) const {
        if (s != NNC_OK) throw std::runtime_error(std::string(what) + " (" + api->path + "): " + api->nnc_last_error());
    }
};

// A batch for a model: inputs, targets and the pointers its _multi calls take.
struct Batch {
    int64_t n = 0;
    std::vector<float> xf;
    std::vector<int32_t> xi;
    std::vector<std::vector<float>> real;
    std::vector<std::vector<int32_t>> classes;
    std::vector<const void*> targets;
    const void* input() const { return xf.empty() ? static_cast<const void*>(xi.data()) : xf.data(); }
};

struct Shape {
    int64_t input_size = 0;
    bool int_input = false;
    int64_t vocab = 2;  // int32 inputs: token ids in [0, vocab)
    std::vector<nnc_target_kind> kinds;
    std::vector<int64_t> target_sizes, num_classes, output_sizes;
};

Shape shape_of(const Model& m) {
    Shape s;
    const Api& a = *m.api;
    s.input_size = a.nnc_model_input_size(m.m);
    s.int_input = a.nnc_model_input_dtype(m.m) == NNC_DTYPE_INT32;
    for (int p = 0; p < a.nnc_model_num_params(m.m); ++p) {  // an embedding table bounds the token ids
        const char* name;
        int rank;
        const int64_t* dims;
        m.ok(a.nnc_model_param_info(m.m, p, &name, &rank, &dims), "param_info");
        if (std::strstr(name, "embed") && rank == 2) s.vocab = dims[0];
    }
    for (int t = 0; t < a.nnc_model_num_targets(m.m); ++t) {
        nnc_target_kind kind;
        int64_t size, classes;
        m.ok(a.nnc_model_target_info(m.m, t, nullptr, &kind, &size, &classes), "target_info");
        s.kinds.push_back(kind);
        s.target_sizes.push_back(size);
        s.num_classes.push_back(classes);
    }
    for (int l = 0; l < a.nnc_model_num_losses(m.m); ++l) {
        int64_t size;
        m.ok(a.nnc_model_loss_info(m.m, l, nullptr, nullptr, nullptr, &size), "loss_info");
        s.output_sizes.push_back(size);
    }
    return s;
}

// Random inputs in [0, 1) (images) or token ids; random classes or N(0, 1) targets.
Batch random_batch(const Shape& s, int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::normal_distribution<float> g(0.0f, 1.0f);
    Batch b;
    b.n = n;
    if (s.int_input) {
        b.xi.resize(static_cast<size_t>(n * s.input_size));
        for (auto& v : b.xi) v = static_cast<int32_t>(rng() % static_cast<uint64_t>(s.vocab));
    } else {
        b.xf.resize(static_cast<size_t>(n * s.input_size));
        for (auto& v : b.xf) v = u(rng);
    }
    b.real.resize(s.kinds.size());
    b.classes.resize(s.kinds.size());
    for (size_t t = 0; t < s.kinds.size(); ++t) {
        if (s.kinds[t] == NNC_TARGET_CLASSES) {
            b.classes[t].resize(static_cast<size_t>(n));
            for (auto& c : b.classes[t]) c = static_cast<int32_t>(rng() % static_cast<uint64_t>(s.num_classes[t]));
            b.targets.push_back(b.classes[t].data());
        } else {
            b.real[t].resize(static_cast<size_t>(n * s.target_sizes[t]));
            for (auto& v : b.real[t]) v = g(rng);
            b.targets.push_back(b.real[t].data());
        }
    }
    return b;
}

// A learnable synthetic set: each class a fixed random image, each sample its class's image
// plus noise (float inputs; token inputs draw ids from a class-dependent half of the vocabulary).
Batch synthetic_batch(const Shape& s, int64_t n, std::mt19937_64& rng,
                      const std::vector<std::vector<float>>& prototypes) {
    Batch b = random_batch(s, n, rng());
    if (s.kinds.empty() || s.kinds[0] != NNC_TARGET_CLASSES) return b;
    std::normal_distribution<float> noise(0.0f, 0.3f);
    for (int64_t i = 0; i < n; ++i) {
        const int32_t c = b.classes[0][static_cast<size_t>(i)];
        for (int64_t j = 0; j < s.input_size; ++j) {
            const size_t at = static_cast<size_t>(i * s.input_size + j);
            if (s.int_input)
                b.xi[at] = static_cast<int32_t>((c * 7 + (b.xi[at] % 5)) % s.vocab);
            else
                b.xf[at] = prototypes[static_cast<size_t>(c)][static_cast<size_t>(j)] + noise(rng);
        }
    }
    return b;
}

double rel_error(const std::vector<float>& got, const std::vector<float>& want) {
    double diff = 0, norm = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        diff += (static_cast<double>(got[i]) - want[i]) * (static_cast<double>(got[i]) - want[i]);
        norm += static_cast<double>(want[i]) * want[i];
    }
    return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-20);
}

struct Json {  // flat, hand-written: no dependency on the GPU machine
    std::ostringstream o;
    bool first = true;
    void key(const std::string& k) {
        o << (first ? "" : ",\n") << "  \"" << k << "\": ";
        first = false;
    }
    void num(const std::string& k, double v) {
        key(k);
        if (std::isfinite(v))
            o << v;
        else
            o << "null";
    }
    void str(const std::string& k, const std::string& v) {
        key(k);
        o << '"';
        for (char c : v) o << (c == '"' || c == '\\' ? "\\" : "") << (c == '\n' ? ' ' : c);
        o << '"';
    }
    std::string text() const { return "{\n" + o.str() + "\n}\n"; }
};

struct Report {
    Json json;
    std::vector<std::string> lines;
    int failures = 0;
    void check(bool ok, const std::string& line) {
        std::printf("%s %s\n", ok ? "ok  " : "FAIL", line.c_str());
        std::fflush(stdout);
        if (!ok) ++failures;
    }
};

using Clock = std::chrono::steady_clock;

// Copies every parameter (trainable and state) from one model to the other.
void copy_params(const Model& from, Model& to) {
    for (int p = 0; p < from.api->nnc_model_num_params(from.m); ++p) {
        const int64_t n = from.api->nnc_model_param_count(from.m, p);
        std::vector<float> v(static_cast<size_t>(n));
        from.ok(from.api->nnc_model_get_param(from.m, p, v.data(), n), "get_param");
        to.ok(to.api->nnc_model_set_param(to.m, p, v.data(), n), "set_param");
    }
}

void equivalence(const std::string& name, Model& cpu, Model& gpu, Report& r) {
    const Shape s = shape_of(cpu);
    copy_params(cpu, gpu);
    const int64_t n = 64;
    const Batch b = random_batch(s, n, 12345);
    double worst = 0;
    std::string worst_what;
    auto note = [&](double e, const std::string& what) {
        r.json.num(name + ".equivalence." + what, e);
        if (!(e <= worst)) worst = e, worst_what = what;  // NaN counts as the worst
    };
    // Inference outputs.
    std::vector<std::vector<float>> out_c, out_g;
    std::vector<float*> pc, pg;
    for (int64_t size : s.output_sizes) {
        out_c.emplace_back(static_cast<size_t>(n * size));
        out_g.emplace_back(static_cast<size_t>(n * size));
    }
    for (size_t l = 0; l < out_c.size(); ++l) pc.push_back(out_c[l].data()), pg.push_back(out_g[l].data());
    cpu.ok(cpu.api->nnc_model_forward_all(cpu.m, b.input(), n, pc.data()), "forward (CPU)");
    gpu.ok(gpu.api->nnc_model_forward_all(gpu.m, b.input(), n, pg.data()), "forward (CUDA)");
    for (size_t l = 0; l < out_c.size(); ++l) note(rel_error(out_g[l], out_c[l]), "output" + std::to_string(l));
    // Training-mode loss, gradients and new states (same step counter: same dropout mask).
    float loss_c = 0, loss_g = 0;
    cpu.ok(cpu.api->nnc_model_compute_gradients_multi(cpu.m, b.input(), b.targets.data(), n, &loss_c, nullptr),
           "gradients (CPU)");
    gpu.ok(gpu.api->nnc_model_compute_gradients_multi(gpu.m, b.input(), b.targets.data(), n, &loss_g, nullptr),
           "gradients (CUDA)");
    note(std::fabs(static_cast<double>(loss_g) - loss_c) / std::max(std::fabs(static_cast<double>(loss_c)), 1e-20),
         "loss");
    const int trainable = cpu.api->nnc_model_num_trainable_params(cpu.m);
    for (int p = 0; p < cpu.api->nnc_model_num_params(cpu.m); ++p) {
        const char* pname;
        cpu.ok(cpu.api->nnc_model_param_info(cpu.m, p, &pname, nullptr, nullptr), "param_info");
        const int64_t count = cpu.api->nnc_model_param_count(cpu.m, p);
        std::vector<float> c(static_cast<size_t>(count)), g(static_cast<size_t>(count));
        if (p < trainable) {
            cpu.ok(cpu.api->nnc_model_get_grad(cpu.m, p, c.data(), count), "get_grad");
            gpu.ok(gpu.api->nnc_model_get_grad(gpu.m, p, g.data(), count), "get_grad");
            note(rel_error(g, c), std::string("grad.") + pname);
        } else {
            cpu.ok(cpu.api->nnc_model_get_param(cpu.m, p, c.data(), count), "get_param");
            gpu.ok(gpu.api->nnc_model_get_param(gpu.m, p, g.data(), count), "get_param");
            note(rel_error(g, c), std::string("state.") + pname);
        }
    }
    char line[256];
    std::snprintf(line, sizeof line, "%-16s equivalence: loss %.6f (CPU) %.6f (CUDA), worst relative error %.2e (%s)",
                  name.c_str(), loss_c, loss_g, worst, worst_what.c_str());
    r.json.num(name + ".equivalence.worst", worst);
    r.lines.push_back(line);
    r.check(worst < kTolerance, line);
}

void training(const std::string& name, Model& gpu, int steps, Report& r) {
    const Shape s = shape_of(gpu);
    gpu.ok(gpu.api->nnc_model_init(gpu.m, 7), "init");
    std::mt19937_64 rng(99);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<std::vector<float>> prototypes(
        static_cast<size_t>(std::max<int64_t>(s.num_classes.empty() ? 1 : s.num_classes[0], 1)));
    for (auto& p : prototypes) {
        p.resize(static_cast<size_t>(s.input_size));
        for (auto& v : p) v = u(rng);
    }
    std::vector<float> losses;
    const auto t0 = Clock::now();
    for (int i = 0; i < steps; ++i) {
        const Batch b = synthetic_batch(s, 64, rng, prototypes);
        float loss = 0;
        gpu.ok(gpu.api->nnc_model_train_step_multi(gpu.m, b.input(), b.targets.data(), 64, &loss, nullptr),
               "train_step");
        losses.push_back(loss);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const int k = std::min<int>(20, steps / 2);
    double first = 0, last = 0;
    for (int i = 0; i < k; ++i)
        first += losses[static_cast<size_t>(i)] / k, last += losses[losses.size() - 1 - static_cast<size_t>(i)] / k;
    std::ostringstream curve;
    for (size_t i = 0; i < losses.size(); i += std::max<size_t>(1, losses.size() / 10)) curve << losses[i] << " ";
    r.json.num(name + ".training.first20", first);
    r.json.num(name + ".training.last20", last);
    r.json.str(name + ".training.curve", curve.str());
    char line[256];
    std::snprintf(line, sizeof line,
                  "%-16s training on the GPU: %d steps in %.1f s, loss %.4f (first 20) -> %.4f (last 20)", name.c_str(),
                  steps, seconds, first, last);
    r.lines.push_back(line);
    r.check(std::isfinite(last) && last < 0.5 * first, line);
}

// Each parameter's values, in order.
std::vector<std::vector<float>> params_of(const Model& m) {
    std::vector<std::vector<float>> out;
    for (int p = 0; p < m.api->nnc_model_num_params(m.m); ++p) {
        const int64_t n = m.api->nnc_model_param_count(m.m, p);
        out.emplace_back(static_cast<size_t>(n));
        m.ok(m.api->nnc_model_get_param(m.m, p, out.back().data(), n), "get_param");
    }
    return out;
}

// The worst per-tensor relative error of the GPU's parameters against the CPU's.
double worst_param_error(const Model& cpu, const Model& gpu, std::string& which) {
    const auto c = params_of(cpu), g = params_of(gpu);
    double worst = 0;
    for (size_t p = 0; p < c.size(); ++p) {
        const double e = rel_error(g[p], c[p]);
        if (!(e <= worst)) {
            worst = e;
            const char* name = "";
            cpu.ok(cpu.api->nnc_model_param_info(cpu.m, static_cast<int>(p), &name, nullptr, nullptr), "param_info");
            which = name;
        }
    }
    return worst;
}

// Fresh models on both libraries with the CPU's initial parameters and `optimizer`.
void start_pair(Model& cpu, Model& gpu, const nnc_optimizer_config& optimizer) {
    cpu.ok(cpu.api->nnc_model_create(&cpu.m), "create (CPU)");
    gpu.ok(gpu.api->nnc_model_create(&gpu.m), "create (CUDA)");
    copy_params(cpu, gpu);
    cpu.ok(cpu.api->nnc_model_set_optimizer(cpu.m, &optimizer), "set_optimizer (CPU)");
    gpu.ok(gpu.api->nnc_model_set_optimizer(gpu.m, &optimizer), "set_optimizer (CUDA)");
}

// How far the CPU library drifts from itself over the same training when its starting
// parameters differ by kDriftEps (relative, random signs), about the one-step CUDA-vs-CPU
// gradient agreement (2.6e-7 to 4.8e-6 on an H200): the conditioning of a several-step
// comparison. With max-pool and batch norm, float32 differences that small grow to 1e-2 in five
// steps (a routed maximum flips; a zero-initialized shift stays small), so after several steps
// CUDA can only be asked to stay within the CPU's own drift. `train` runs the same updates on
// the model it is given.
constexpr double kDriftEps = 1e-6;
double cpu_drift(Api& api, const nnc_optimizer_config& opt, const std::function<void(Model&)>& train) {
    Model a{&api}, b{&api};
    a.ok(api.nnc_model_create(&a.m), "create (CPU)");
    b.ok(api.nnc_model_create(&b.m), "create (CPU)");
    copy_params(a, b);
    std::mt19937_64 rng(77);
    for (int p = 0; p < api.nnc_model_num_trainable_params(b.m); ++p) {
        std::vector<float> v(static_cast<size_t>(api.nnc_model_param_count(b.m, p)));
        b.ok(api.nnc_model_get_param(b.m, p, v.data(), static_cast<int64_t>(v.size())), "get_param");
        for (float& x : v) x *= static_cast<float>(1.0 + ((rng() & 1) ? kDriftEps : -kDriftEps));
        b.ok(api.nnc_model_set_param(b.m, p, v.data(), static_cast<int64_t>(v.size())), "set_param");
    }
    for (Model* m : {&a, &b}) {
        m->ok(api.nnc_model_set_optimizer(m->m, &opt), "set_optimizer (CPU)");
        train(*m);
    }
    std::string which;
    return worst_param_error(a, b, which);
}

void resident(const std::string& name, Api& cpu_api, Api& gpu_api, const fs::path& scratch, Report& r) {
    constexpr int kSteps = 5;
    struct Setting {
        const char* what;
        const char* optimizer;
        double lr, momentum;
    };
    for (const Setting& setting : {Setting{"adam", "adam", 1e-3, 0.0}, Setting{"sgd_momentum", "sgd", 0.05, 0.9}}) {
        nnc_optimizer_config opt;
        Model probe{&cpu_api};
        probe.ok(cpu_api.nnc_optimizer_defaults(setting.optimizer, &opt), "optimizer_defaults");
        opt.lr = setting.lr;
        opt.momentum = setting.momentum;
        Model cpu{&cpu_api}, gpu{&gpu_api};
        start_pair(cpu, gpu, opt);
        const Shape s = shape_of(cpu);
        auto steps = [&](Model& m) {
            for (int k = 0; k < kSteps; ++k) {
                const Batch b = random_batch(s, 64, 500 + static_cast<uint64_t>(k));
                float loss = 0;
                m.ok(m.api->nnc_model_train_step_multi(m.m, b.input(), b.targets.data(), 64, &loss, nullptr),
                     "train_step");
            }
        };
        steps(cpu);
        steps(gpu);
        std::string which;
        const double worst = worst_param_error(cpu, gpu, which);
        const double drift = cpu_drift(cpu_api, opt, steps);
        const std::string key = name + ".resident." + setting.what;
        r.json.num(key + ".worst", worst);
        r.json.num(key + ".cpu_drift", drift);
        char line[256];
        std::snprintf(
            line, sizeof line,
            "%-16s resident %d steps (%s): parameters vs CPU, worst relative error %.2e (%s); CPU's own drift %.2e",
            name.c_str(), kSteps, setting.what, worst, which.c_str(), drift);
        r.lines.push_back(line);
        r.check(worst < kTolerance || worst <= drift, line);

        // The checkpoint after device steps, into the CPU library; then one more step on each side.
        const std::string path = (scratch / (name + "_" + setting.what + ".ckpt")).string();
        gpu.ok(gpu_api.nnc_model_save(gpu.m, path.c_str()), "save (CUDA)");
        Model loaded{&cpu_api};
        loaded.ok(cpu_api.nnc_model_create(&loaded.m), "create (CPU)");
        loaded.ok(cpu_api.nnc_model_set_optimizer(loaded.m, &opt), "set_optimizer (CPU)");
        loaded.ok(cpu_api.nnc_model_load(loaded.m, path.c_str()), "load the CUDA checkpoint (CPU)");
        const auto from_gpu = params_of(gpu), from_file = params_of(loaded);
        const bool identical = from_gpu == from_file;
        const Batch b = random_batch(s, 64, 999);
        float lc = 0, lg = 0;
        loaded.ok(cpu_api.nnc_model_train_step_multi(loaded.m, b.input(), b.targets.data(), 64, &lc, nullptr),
                  "train_step (CPU)");
        gpu.ok(gpu_api.nnc_model_train_step_multi(gpu.m, b.input(), b.targets.data(), 64, &lg, nullptr),
               "train_step (CUDA)");
        const double next = worst_param_error(loaded, gpu, which);
        r.json.num(key + ".checkpoint_identical", identical ? 1 : 0);
        r.json.num(key + ".after_reload_worst", next);
        std::snprintf(
            line, sizeof line,
            "%-16s resident checkpoint (%s): CPU reload %s; one more step each, worst relative error %.2e (%s)",
            name.c_str(), setting.what, identical ? "bit for bit" : "DIFFERS", next, which.c_str());
        r.lines.push_back(line);
        r.check(identical && next < kTolerance, line);
        std::remove(path.c_str());
    }

    // nnc_train: the device norms, clip_norm as grad_scale, the per-epoch statistics' syncs.
    nnc_optimizer_config opt;
    Model cpu{&cpu_api}, gpu{&gpu_api};
    cpu.ok(cpu_api.nnc_optimizer_defaults("adam", &opt), "optimizer_defaults");
    start_pair(cpu, gpu, opt);
    const Shape s = shape_of(cpu);
    if (s.int_input || s.kinds.size() != 1 || s.kinds[0] != NNC_TARGET_CLASSES) return;  // one class target only
    const int64_t count = 160, batch = 32;
    const Batch b = random_batch(s, count, 4242);
    nnc_dataset* data = nullptr;
    cpu.ok(cpu_api.nnc_dataset_from_memory(b.xf.data(), b.classes[0].data(), count, s.input_size, NNC_TARGET_CLASSES, 1,
                                           &data),
           "dataset_from_memory");
    nnc_train_config tc;
    cpu.ok(cpu_api.nnc_model_default_train_config(cpu.m, &tc, nullptr, nullptr), "default_train_config");
    tc.epochs = 1;
    tc.batch = batch;
    tc.clip_norm = 0.05;   // small: every update is clipped
    tc.clip_value = 2e-3;  // and then some elements clamped
    tc.accumulate = 0;
    tc.early_stopping.enabled = 0;
    tc.on_batch = nullptr;
    tc.on_epoch = nullptr;
    // The dataset belongs to the CPU library's runtime; the CUDA one gets its own copy.
    nnc_dataset* gpu_data = nullptr;
    gpu.ok(gpu_api.nnc_dataset_from_memory(b.xf.data(), b.classes[0].data(), count, s.input_size, NNC_TARGET_CLASSES, 1,
                                           &gpu_data),
           "dataset_from_memory");
    const nnc_status sc = cpu_api.nnc_train(cpu.m, data, nullptr, &tc);
    const nnc_status sg = gpu_api.nnc_train(gpu.m, gpu_data, nullptr, &tc);
    cpu_api.nnc_dataset_destroy(data);
    gpu_api.nnc_dataset_destroy(gpu_data);
    cpu.ok(sc, "train (CPU)");
    gpu.ok(sg, "train (CUDA)");
    std::string which;
    const double worst = worst_param_error(cpu, gpu, which);
    const double drift = cpu_drift(cpu_api, opt, [&](Model& m) {
        nnc_dataset* own = nullptr;
        m.ok(cpu_api.nnc_dataset_from_memory(b.xf.data(), b.classes[0].data(), count, s.input_size, NNC_TARGET_CLASSES,
                                             1, &own),
             "dataset_from_memory");
        const nnc_status st = cpu_api.nnc_train(m.m, own, nullptr, &tc);
        cpu_api.nnc_dataset_destroy(own);
        m.ok(st, "train (CPU)");
    });
    r.json.num(name + ".resident.train_clip_norm.worst", worst);
    r.json.num(name + ".resident.train_clip_norm.cpu_drift", drift);
    char line[320];
    std::snprintf(line, sizeof line,
                  "%-16s resident nnc_train (adam, clip_norm %.2g, clip_value %.2g, %lld updates): parameters vs CPU, "
                  "worst relative error %.2e (%s); CPU's own drift %.2e",
                  name.c_str(), tc.clip_norm, tc.clip_value, static_cast<long long>(count / batch), worst,
                  which.c_str(), drift);
    r.lines.push_back(line);
    r.check(worst < kTolerance || worst <= drift, line);
}

// Median milliseconds per nnc_model_train_step over `timed` steps after `warmup`.
double step_ms(Model& m, int64_t batch, int warmup, int timed) {
    const Shape s = shape_of(m);
    const Batch b = random_batch(s, batch, 5);
    std::vector<double> ms;
    for (int i = 0; i < warmup + timed; ++i) {
        float loss;
        const auto t = Clock::now();
        m.ok(m.api->nnc_model_train_step_multi(m.m, b.input(), b.targets.data(), batch, &loss, nullptr), "train_step");
        if (i >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: gpu_check BUNDLE [--json FILE] [--steps N] [--timed N]\n");
        return 64;
    }
    const fs::path bundle = argv[1];
    std::string json_path;
    int steps = 300, timed = 30;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--json")
            json_path = argv[i + 1];
        else if (k == "--steps")
            steps = std::atoi(argv[i + 1]);
        else if (k == "--timed")
            timed = std::atoi(argv[i + 1]);
    }
    Report r;
    bool gpu_usable = true;
    std::string train_model;
    std::vector<std::string> table;
    table.push_back("model            batch  nnc CUDA ms/step  samples/s   nnc CPU ms/step");
    for (const char* name : kModels) {
        const fs::path cpu_so = bundle / (std::string(name) + "_cpu.so"),
                       gpu_so = bundle / (std::string(name) + "_cuda.so");
        if (!fs::exists(cpu_so) || !fs::exists(gpu_so)) continue;
        Api cpu_api, gpu_api;
        std::string error;
        if (!cpu_api.open(cpu_so, error) || !gpu_api.open(gpu_so, error)) {
            r.check(false, std::string(name) + ": cannot load: " + error);
            continue;
        }
        try {
            Model cpu{&cpu_api}, gpu{&gpu_api};
            cpu.ok(cpu_api.nnc_model_create(&cpu.m), "create (CPU)");
            if (gpu_api.nnc_model_create(&gpu.m) != NNC_OK) {
                const std::string message = gpu_api.nnc_last_error();
                gpu_usable = false;
                r.json.str(std::string(name) + ".create_error", message);
                r.check(message.rfind("no CUDA device: ", 0) == 0,
                        std::string(name) + ": the CUDA library refuses to start: " + message);
                const double cpu64 = step_ms(cpu, 64, 2, 5);
                r.json.num(std::string(name) + ".cpu.b64.ms", cpu64);
                r.lines.push_back(std::string(name) + ": CPU only (no GPU), " + std::to_string(cpu64) +
                                  " ms/step at batch 64");
                continue;
            }
            nnc_optimizer_config opt;
            gpu.ok(gpu_api.nnc_model_get_optimizer(gpu.m, &opt), "get_optimizer");
            r.json.str(std::string(name) + ".optimizer", opt.name);
            r.json.num(std::string(name) + ".lr", opt.lr);
            equivalence(name, cpu, gpu, r);
            for (int64_t batch : {64, 256}) {
                const double g = step_ms(gpu, batch, 5, timed);
                const double c = step_ms(cpu, batch, 1, 5);  // for scale only: few steps
                const std::string key = std::string(name) + ".b" + std::to_string(batch);
                r.json.num(key + ".cuda_ms", g);
                r.json.num(key + ".cuda_samples_per_s", batch * 1000.0 / g);
                r.json.num(key + ".cpu_ms", c);
                char line[160];
                std::snprintf(line, sizeof line, "%-16s %5lld  %16.3f  %9.0f   %15.3f", name,
                              static_cast<long long>(batch), g, batch * 1000.0 / g, c);
                table.push_back(line);
            }
            // Residency on a plain model and on one with batch-norm states and dropout.
            if (std::string(name) == "fashion_mlp" || std::string(name) == "fashion_cnn")
                resident(name, cpu_api, gpu_api, fs::temp_directory_path(), r);
            if (std::string(name) == "fashion_cnn" || train_model.empty()) train_model = name;
        } catch (const std::exception& e) {
            r.check(false, std::string(name) + ": " + e.what());
        }
        if (!json_path.empty()) std::ofstream(json_path) << r.json.text();  // partial results survive a timeout
    }
    if (!train_model.empty()) {
        Api api;
        std::string error;
        if (api.open(bundle / (train_model + "_cuda.so"), error)) {
            try {
                Model gpu{&api};
                gpu.ok(api.nnc_model_create(&gpu.m), "create (CUDA)");
                training(train_model, gpu, steps, r);
            } catch (const std::exception& e) {
                r.check(false, train_model + " training: " + e.what());
            }
        }
    }
    std::printf("\n");
    for (const std::string& line : table) std::printf("%s\n", line.c_str());
    r.json.num("failures", r.failures);
    r.json.num("gpu_usable", gpu_usable ? 1 : 0);
    if (!json_path.empty()) std::ofstream(json_path) << r.json.text();
    if (r.failures) return 1;
    return gpu_usable ? 0 : 2;
}
