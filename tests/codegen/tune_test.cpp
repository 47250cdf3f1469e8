// The schedule tuner (codegen/tune/): the search keeps what the timer says is fastest and times
// far fewer candidates than the space holds; the tuning cache round-trips and is per machine;
// non-default knobs change the code yet compute the same gradients; default knobs give exactly
// the hand templates' code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "codegen/emit/host_target.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/schedule/scheduler.h"
#include "codegen/tune/autotune.h"
#include "codegen/tune/knob_search.h"
#include "codegen/tune/knob_space.h"
#include "codegen/tune/layer_bench.h"
#include "codegen/tune/layer_signature.h"
#include "codegen/tune/shipped_tunings.h"
#include "codegen/tune/tuning_cache.h"
#include "tests/codegen/gradient_check.h"

namespace nnc {
namespace {
namespace fs = std::filesystem;
using codegen::KnobRange;
using codegen::KnobValues;

const std::vector<KnobRange> kSpace = {{"a", 1, {1, 2, 3, 4}, ""}, {"b", 2, {1, 2, 3, 4}, ""}, {"c", 0, {0, 1}, ""}};

// Separable, so coordinate descent can reach the optimum: a = 3, b = 4, c = 1.
double cost(const KnobValues& k) {
    return 1 + std::pow(k.at("a") - 3, 2) + 0.5 * std::pow(k.at("b") - 4, 2) + (k.at("c") == 1 ? 0 : 0.7);
}

// A machine like the project's: its speed jumps to a new level, up to ±15% off, every quarter of
// a second, and each slice is off by up to ±3% more. Deterministic from its seed. A compile
// takes `compile_seconds` of its clock; a slice, the slice's length.
class NoisyMachine {
public:
    explicit NoisyMachine(uint64_t seed) : seed_(seed) {}
    double now = 0;
    double compile_seconds = 1;

    codegen::SliceRunner runner(double seconds_per_run) {
        return [this, seconds_per_run](double slice) {
            const double t = seconds_per_run * level(static_cast<uint64_t>(now / 0.25)) * (1 + 0.03 * signed_unit());
            now += slice;
            return t;
        };
    }
    // A compiler of candidates whose true speed is `truth(knobs)`.
    codegen::CandidateCompiler compiler(std::function<double(const KnobValues&)> truth) {
        return [this, truth](const KnobValues& k) -> std::optional<codegen::SliceRunner> {
            now += compile_seconds;
            return runner(truth(k));
        };
    }
    std::function<double()> clock() {
        return [this] { return now; };
    }

private:
    static uint64_t mix(uint64_t x) {  // splitmix64
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    }
    double unit(uint64_t x) const { return static_cast<double>(mix(seed_ * 1000003 + x) >> 11) / 9007199254740992.0; }
    double level(uint64_t quarter) const { return 1 + 0.15 * (2 * unit(quarter) - 1); }
    double signed_unit() { return 2 * unit(1ULL << 40 | draws_++) - 1; }
    uint64_t seed_;
    uint64_t draws_ = 0;
};

codegen::SearchBudget quick_budget() {
    codegen::SearchBudget b;  // the quick mode's: 10 ms slices, 3 early pairs of 7, one pass
    b.wall_seconds = 1e9;
    return b;
}

TEST(KnobSearch, ComparesInterleavedAndReportsTheMedianRatioAndItsSpread) {
    std::vector<char> order;
    const codegen::SliceRunner a = [&](double) {
        order.push_back('a');
        return 2.0;
    };
    int calls = 0;
    const codegen::SliceRunner b = [&](double) {
        order.push_back('b');
        return ++calls % 2 ? 1.0 : 1.2;  // ratios 0.5, 0.6, 0.5, 0.6, 0.5
    };
    const codegen::Comparison c = codegen::compare_interleaved(a, b, 5, 0.01);
    EXPECT_EQ(std::string(order.begin(), order.end()), "abbaabbaab");
    EXPECT_EQ(c.pairs, 5);
    EXPECT_DOUBLE_EQ(c.ratio, 0.5);
    EXPECT_DOUBLE_EQ(c.spread, 0.05);  // quartiles 0.5 and 0.6
    EXPECT_DOUBLE_EQ(c.incumbent_seconds, 2.0);
    EXPECT_TRUE(c.faster(0.01));
    EXPECT_FALSE((codegen::Comparison{0.97, 0.04, 9, 1, 0.97}).faster(0.01));  // within its spread
}

TEST(KnobSearch, RejectsCandidatesThatOnlyTheNoiseMakesFaster) {
    // Every candidate runs as fast as the defaults; the machine swings ±15%.
    int naive_picks = 0;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        NoisyMachine m(seed);
        const codegen::SearchResult r = codegen::search_knobs(
            kSpace, m.compiler([](const KnobValues&) { return 1e-3; }), quick_budget(), m.clock());
        EXPECT_EQ(r.best, codegen::default_knobs(kSpace)) << "seed " << seed;
        EXPECT_DOUBLE_EQ(r.ratio, 1.0);
        EXPECT_GT(r.candidates, 0);
        // The simple rule (one timing each, seconds apart, 3% faster wins) on the same machine:
        // the noise model is noisy enough that this test would catch that rule.
        NoisyMachine again(seed);
        const double first = again.runner(1e-3)(0.05);
        again.now += 2;
        if (again.runner(1e-3)(0.05) < first * 0.97) ++naive_picks;
    }
    EXPECT_GE(naive_picks, 4);  // it would have kept noise about a third of the time
}

TEST(KnobSearch, AcceptsACandidateThatIsTrulyFasterAndRecordsItsRatio) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        NoisyMachine m(seed);
        const codegen::SearchResult r = codegen::search_knobs(
            kSpace, m.compiler([](const KnobValues& k) { return k.at("b") == 3 ? 0.9e-3 : 1e-3; }), quick_budget(),
            m.clock());
        EXPECT_EQ(r.best.at("b"), 3) << "seed " << seed;
        EXPECT_EQ(r.best.at("a"), 1) << "seed " << seed;
        EXPECT_EQ(r.best.at("c"), 0) << "seed " << seed;
        EXPECT_NEAR(r.ratio, 0.9, 0.03) << "seed " << seed;
        EXPECT_LT(r.spread, 0.05) << "seed " << seed;
        EXPECT_LT(r.best_seconds, r.default_seconds);
    }
}

TEST(KnobSearch, FindsTheOptimumOfASeparableSpaceInFewerCompilesThanTheSpace) {
    NoisyMachine m(7);
    codegen::SearchBudget b = quick_budget();
    b.passes = 3;
    const codegen::SearchResult r =
        codegen::search_knobs(kSpace, m.compiler([](const KnobValues& k) { return 1e-3 * cost(k); }), b, m.clock());
    EXPECT_EQ(r.best, (KnobValues{{"a", 3}, {"b", 4}, {"c", 1}}));
    EXPECT_NEAR(r.ratio, 1.0 / cost(codegen::default_knobs(kSpace)), 0.03);
    EXPECT_LT(r.candidates, 4 * 4 * 2 / 2);
    EXPECT_FALSE(r.out_of_budget);
}

TEST(KnobSearch, PrunesTheValuesPastASlowerOne) {
    // One knob, fastest at its default, slower with each step away: 12 and 6 are compiled and
    // dropped after their early pairs; 16, 4 and 2 lie past them and are never compiled.
    const std::vector<KnobRange> space = {{"rows", 8, {2, 4, 6, 8, 12, 16}, ""}};
    NoisyMachine m(3);
    std::vector<int> compiled;
    const auto truth = m.compiler([](const KnobValues& k) { return 1e-3 * (1 + 0.2 * std::abs(k.at("rows") - 8)); });
    const codegen::SearchResult r = codegen::search_knobs(
        space,
        [&](const KnobValues& k) {
            compiled.push_back(k.at("rows"));
            return truth(k);
        },
        quick_budget(), m.clock());
    EXPECT_EQ(compiled, (std::vector<int>{8, 12, 6}));
    EXPECT_EQ(r.candidates, 2);
    EXPECT_EQ(r.dropped_early, 2);
    EXPECT_EQ(r.skipped, 3);
    EXPECT_EQ(r.best.at("rows"), 8);
}

TEST(KnobSearch, VisitsTheKnobsRoundRobinOverTheFuncsTheySchedule) {
    const std::vector<KnobRange> space = {
        {"fwd.a", 1, {1, 2}, ""}, {"fwd.b", 1, {1, 2}, ""}, {"fwd.c", 1, {1, 2}, ""}, {"d_weight.a", 1, {1, 2}, ""}};
    NoisyMachine m(2);
    std::vector<std::string> changed;  // the knob each compile changed from the defaults
    const auto truth = m.compiler([](const KnobValues&) { return 1e-3; });
    codegen::search_knobs(
        space,
        [&](const KnobValues& k) {
            std::string c;
            for (const auto& [name, value] : k)
                if (value != 1) c += name;
            changed.push_back(c);
            return truth(k);
        },
        quick_budget(), m.clock());
    EXPECT_EQ(changed, (std::vector<std::string>{"", "fwd.a", "d_weight.a", "fwd.b", "fwd.c"}));
}

TEST(KnobSearch, CompilesNothingThatWouldEndPastTheWallClockBudget) {
    NoisyMachine m(5);
    codegen::SearchBudget b = quick_budget();
    b.wall_seconds = 5.5;                             // the defaults and about four candidates, at a second per compile
    std::vector<std::pair<double, double>> compiles;  // start, end
    const auto truth = m.compiler([](const KnobValues& k) { return 1e-3 * cost(k); });
    const codegen::SearchResult r = codegen::search_knobs(
        kSpace,
        [&](const KnobValues& k) {
            const double start = m.now;
            auto runner = truth(k);
            compiles.emplace_back(start, m.now);
            return runner;
        },
        b, m.clock());
    EXPECT_TRUE(r.out_of_budget);
    EXPECT_GE(r.candidates, 2);
    for (const auto& [start, end] : compiles) EXPECT_LE(end, 5.5) << "a compile from " << start << " to " << end;
    // The last candidate's pairs and the final comparison with the defaults still run: 7 and 15
    // pairs of 10 ms slices.
    EXPECT_LE(m.now, 5.5 + (7 + 15) * 2 * 0.01 + 1e-9);
}

TEST(KnobSearch, NeverKeepsARefusedCandidate) {
    // a = 3 computes something else (the bench's check refuses it) though it would be fastest.
    NoisyMachine m(11);
    const auto truth = m.compiler([](const KnobValues& k) { return 1e-3 * cost(k); });
    codegen::SearchBudget b = quick_budget();
    b.passes = 3;
    const codegen::SearchResult r = codegen::search_knobs(
        kSpace,
        [&](const KnobValues& k) -> std::optional<codegen::SliceRunner> {
            if (k.at("a") == 3) return std::nullopt;
            return truth(k);
        },
        b, m.clock());
    EXPECT_NE(r.best.at("a"), 3);
    EXPECT_EQ(r.best.at("b"), 4);
    EXPECT_GT(r.refused, 0);
}

codegen::MachineKey machine(const std::string& cpu) {
    return codegen::MachineKey{cpu, "x86-64-linux-avx2-fma", 2, "14.0.0"};
}

TEST(TuningCache, RoundTripsAndAnotherCpuMisses) {
    const fs::path file = fs::temp_directory_path() / ("nnc-tuning-" + std::to_string(getpid()) + ".json");
    fs::remove(file);
    {
        codegen::TuningCache cache = codegen::TuningCache::load(file);
        EXPECT_FALSE(cache.find(machine("CPU A"), "dense sig").has_value());
        cache.put(machine("CPU A"), "dense sig", {{{"fwd.rows", 4}}, 0.001, 0.002, "quick", 0.52, 0.03, 9, false});
        cache.save();
    }
    const codegen::TuningCache again = codegen::TuningCache::load(file);
    const auto hit = again.find(machine("CPU A"), "dense sig");
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->knobs, (KnobValues{{"fwd.rows", 4}}));
    EXPECT_DOUBLE_EQ(hit->seconds, 0.001);
    EXPECT_DOUBLE_EQ(hit->default_seconds, 0.002);
    EXPECT_EQ(hit->mode, "quick");
    EXPECT_DOUBLE_EQ(hit->ratio, 0.52);
    EXPECT_DOUBLE_EQ(hit->spread, 0.03);
    EXPECT_EQ(hit->candidates, 9);
    EXPECT_FALSE(hit->complete);
    ASSERT_EQ(again.machines().size(), 1u);
    EXPECT_EQ(again.machines()[0].id(), machine("CPU A").id());
    EXPECT_FALSE(again.find(machine("CPU B"), "dense sig").has_value());
    codegen::MachineKey other_halide = machine("CPU A");
    other_halide.halide_version = "15.0.0";
    EXPECT_FALSE(again.find(other_halide, "dense sig").has_value());
    EXPECT_FALSE(again.find(machine("CPU A"), "dense other").has_value());

    std::ofstream(file) << "{\"format\": ";
    try {
        codegen::TuningCache::load(file);
        ADD_FAILURE() << "a truncated file was read";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(file.string() + ": byte"), std::string::npos) << e.what();
    }
    fs::remove(file);
}

dsl::CheckedModel dense_model(int in, int out) {
    test::GraphBuilder g("tune_dense");
    const int x = g.input("x", {in});
    const int y = g.real_target("y", {out});
    const int fc = g.layer("fc", "dense", {x}, {{"units", int64_t(out)}});
    g.layer("loss", "mse", {fc, y});
    return g.model();
}

dsl::CheckedModel conv_model() {
    test::GraphBuilder g("tune_conv");
    const int x = g.input("x", {3, 10, 10});
    const int y = g.real_target("y", {5, 10, 10});
    const int c = g.layer("conv", "conv2d", {x}, {{"filters", int64_t(5)}});
    g.layer("loss", "mse", {c, y});
    return g.model();
}

dsl::CheckedModel gru_model() {
    test::GraphBuilder g("tune_gru");
    const int x = g.input("x", {4, 6});
    const int y = g.real_target("y", {4, 5});
    const int r = g.layer("rnn", "gru", {x}, {{"hidden", int64_t(5)}, {"return_sequences", true}});
    g.layer("loss", "mse", {r, y});
    return g.model();
}

// Batch norm on (C, H, W) (lane sums), a tiling max-pool and an average pool: the templates of
// task-sized sums and windows, and the default schedule's knobs.
dsl::CheckedModel norm_pool_model() {
    test::GraphBuilder g("tune_norm_pool");
    const int x = g.input("x", {3, 8, 8});
    const int y = g.real_target("y", {3, 2, 2});
    const int bn = g.layer("bn", "batchnorm", {x}, {});
    const int mp = g.layer("mp", "maxpool2d", {bn}, {{"kernel", int64_t(2)}});
    const int ap = g.layer("ap", "avgpool2d", {mp}, {{"kernel", int64_t(2)}});
    g.layer("loss", "mse", {ap, y});
    return g.model();
}

// Batch norm on [F] inputs (batch sums).
dsl::CheckedModel norm_flat_model() {
    test::GraphBuilder g("tune_norm_flat");
    const int x = g.input("x", {20});
    const int y = g.real_target("y", {20});
    const int bn = g.layer("bn", "batchnorm", {x}, {});
    g.layer("loss", "mse", {bn, y});
    return g.model();
}

// Names carry Halide's uniquifying counters ("fc__fwd$1" in a second lowering; "o.v36", the
// inner Var of a vectorize).
std::string strip_ids(const std::string& s) {
    return std::regex_replace(std::regex_replace(s, std::regex("\\$[0-9]+"), ""), std::regex("\\.v[0-9]+"), ".v");
}

void describe(const Halide::Internal::Definition& d, std::string& out) {
    const Halide::Internal::StageSchedule& s = d.schedule();
    for (const Halide::Internal::Split& sp : s.splits()) {
        std::ostringstream factor;
        if (sp.factor.defined()) factor << sp.factor;
        out += "split " + sp.old_var + " " + sp.outer + " " + sp.inner + " " + factor.str() + " " +
               std::to_string(static_cast<int>(sp.tail)) + " " + std::to_string(static_cast<int>(sp.split_type)) + "\n";
    }
    for (const Halide::Internal::Dim& dim : s.dims())
        out += "dim " + dim.var + " " + std::to_string(static_cast<int>(dim.for_type)) + "\n";
    for (const Halide::Internal::Specialization& spec : d.specializations()) {
        out += "specialize\n";
        describe(spec.definition, out);
    }
}

// Lowering locks a LoopLevel before reading it; so does this.
std::string level_text(Halide::LoopLevel level) { return level.lock().to_string(); }

void describe(const Halide::Internal::Function& f, std::map<std::string, std::string>& by_name) {
    std::string t = "compute " + level_text(f.schedule().compute_level()) + " store " +
                    level_text(f.schedule().store_level()) + "\n";
    describe(f.definition(), t);
    for (const Halide::Internal::Definition& u : f.updates()) describe(u, t);
    by_name[strip_ids(f.name())] = strip_ids(t);
    for (const auto& [callee, wrapper] : f.wrappers()) describe(Halide::Internal::Function(wrapper), by_name);
}

// The schedule of every Func of `model`'s training step (wrappers included) by Func name, with
// `knobs` handed to the templates, as text: equal schedules lower to equal code.
std::map<std::string, std::string> schedules_by_func(const dsl::CheckedModel& model,
                                                     const std::map<std::string, KnobValues>& knobs) {
    codegen::LoweredPipeline lowered = codegen::lower_training(model, Halide::Float(32), 16);
    codegen::set_output_estimates(lowered, 16);
    Halide::Pipeline p = lowered.pipeline();
    codegen::ScheduleOptions options;
    options.knobs = knobs;
    codegen::schedule_pipeline(p, model, lowered.batch, *lowered.records, codegen::host_target(), options);
    std::map<std::string, std::string> by_name;
    for (const auto& [name, f] : codegen::all_functions(p)) describe(f, by_name);
    return by_name;
}

std::string schedule_text(const dsl::CheckedModel& model, const std::map<std::string, KnobValues>& knobs) {
    std::string all;
    for (const auto& [name, text] : schedules_by_func(model, knobs)) all += name + "\n" + text;
    return all;
}

const KnobValues kDenseKnobs = {
    {"fwd.col_vectors", 1}, {"fwd.rows", 4},       {"fwd.columns_outer", 1},    {"d_input.col_vectors", 3},
    {"d_input.rows", 6},    {"d_weight.rows", 12}, {"d_weight.grain", 1 << 20}, {"d_weight.columns_outer", 1}};
const KnobValues kConvKnobs = {{"fwd.rows", 2},
                               {"fwd.chans", 8},
                               {"fwd.grain", 1 << 20},
                               {"fwd.col_vectors", 2},
                               {"d_input.rows", 6},
                               {"d_input.chans", 2},
                               {"d_weight.filter_vectors", 1},
                               {"d_weight.accumulators", 9},
                               {"d_weight.batch_block", 2}};
const KnobValues kGruKnobs = {{"input_proj.rows", 4},
                              {"d_weight_hh.col_vectors", 1},
                              {"d_weight_ih.rows", 2},
                              {"state.samples_per_block", 2},
                              {"d_state.samples_per_block", 4}};

TEST(TunedSchedule, DefaultKnobsGiveTheTemplatesScheduleAndOthersChangeIt) {
    for (const auto& [model, knobs] :
         {std::pair{dense_model(20, 36), kDenseKnobs}, {conv_model(), kConvKnobs}, {gru_model(), kGruKnobs}}) {
        SCOPED_TRACE(model.name);
        const dsl::Node& layer = model.node(2);
        const std::string untuned = schedule_text(model, {});
        const KnobValues defaults = codegen::default_knobs(codegen::layer_knob_space(model, layer));
        ASSERT_FALSE(defaults.empty());
        EXPECT_EQ(schedule_text(model, {{layer.name, defaults}}), untuned);
        EXPECT_NE(schedule_text(model, {{layer.name, knobs}}), untuned);
    }
}

const std::map<std::string, KnobValues> kNormPoolKnobs = {
    {"bn", {{"fwd.channels_per_task", 2}, {"bwd.channels_per_task", 4}, {"default.vectors", 2}}},
    {"mp", {{"argmax.unroll_kernel", 0}, {"argmax.parallel_channels", 1}, {"d_input.parallel_channels", 1}}},
    {"ap", {{"default.vectors", 4}, {"default.grain", 1}}}};
const std::map<std::string, KnobValues> kNormFlatKnobs = {
    {"bn", {{"fwd.vectors", 2}, {"bwd.vectors", 4}, {"default.vectors", 2}}}};

// Each node's knob space at its defaults.
std::map<std::string, KnobValues> all_defaults(const dsl::CheckedModel& model) {
    std::map<std::string, KnobValues> out;
    for (const dsl::Node& n : model.nodes)
        if (KnobValues d = codegen::default_knobs(codegen::layer_knob_space(model, n)); !d.empty()) out[n.name] = d;
    return out;
}

TEST(TunedSchedule, NormAndPoolKnobsDefaultToTheTemplatesAndEachChangesItsFuncs) {
    for (const auto& [model, knobs] :
         {std::pair{norm_pool_model(), kNormPoolKnobs}, {norm_flat_model(), kNormFlatKnobs}}) {
        SCOPED_TRACE(model.name);
        const std::map<std::string, std::string> untuned = schedules_by_func(model, {});
        EXPECT_EQ(schedules_by_func(model, all_defaults(model)), untuned);
        for (const auto& [node, values] : knobs) {
            // Every knob named is in the node's space, and each alone changes one of its Funcs.
            const std::vector<KnobRange> space = codegen::layer_knob_space(model, model.node(node == "bn"   ? 2
                                                                                             : node == "mp" ? 3
                                                                                                            : 4));
            for (const auto& [name, value] : values) {
                SCOPED_TRACE(node + " " + name);
                EXPECT_TRUE(
                    std::any_of(space.begin(), space.end(), [&](const KnobRange& r) { return r.name == name; }));
                const std::map<std::string, std::string> tuned = schedules_by_func(model, {{node, {{name, value}}}});
                int changed = 0;
                for (const auto& [func, text] : untuned) {
                    if (tuned.at(func) == text) continue;
                    ++changed;
                    EXPECT_EQ(func.rfind(node + "__", 0) == 0 || func.rfind("grad__" + node + "__", 0) == 0, true)
                        << func;
                }
                EXPECT_GE(changed, 1);
            }
        }
    }
}

TEST(TunedSchedule, NonDefaultNormAndPoolKnobsPassTheGradientCheck) {
    for (const auto& [model, knobs] :
         {std::pair{norm_pool_model(), kNormPoolKnobs}, {norm_flat_model(), kNormFlatKnobs}}) {
        SCOPED_TRACE(model.name);
        for (int batch : {3, 11}) {
            gradcheck::kBatch = batch;
            gradcheck::expect_gradients_match_with(model, "template", knobs);
        }
    }
}

// How many of the Funcs whose names contain `part` have a parallel loop.
int parallel_funcs(const std::map<std::string, std::string>& schedules, const std::string& part) {
    int n = 0;
    for (const auto& [name, text] : schedules)
        if (name.find(part) != std::string::npos &&
            text.find(" " + std::to_string(static_cast<int>(Halide::Internal::ForType::Parallel)) + "\n") !=
                std::string::npos)
            ++n;
    return n;
}

TEST(TunedSchedule, AProductTooSmallForTwoTasksRunsSerially) {
    // The GRU's input projection (15 x 4 per row, 6 rows) is known at compile time: 360
    // multiply-adds, far under the default grain; with grain 0 every row block is a task.
    const dsl::CheckedModel model = gru_model();
    EXPECT_EQ(parallel_funcs(schedules_by_func(model, {}), "input_proj"), 0);
    EXPECT_GE(parallel_funcs(schedules_by_func(model, {{"rnn", {{"input_proj.grain", 0}}}}), "input_proj"), 1);
}

TEST(TunedSchedule, KnobsReachTheirNodeOnly) {
    test::GraphBuilder g("tune_two_dense");
    const int x = g.input("x", {20});
    const int y = g.real_target("y", {24});
    const int fc1 = g.layer("fc1", "dense", {x}, {{"units", int64_t(36)}});
    const int fc2 = g.layer("fc2", "dense", {fc1}, {{"units", int64_t(24)}});
    g.layer("loss", "mse", {fc2, y});
    const dsl::CheckedModel model = g.model();
    const std::map<std::string, std::string> untuned = schedules_by_func(model, {});
    const std::map<std::string, std::string> tuned = schedules_by_func(model, {{"fc1", kDenseKnobs}});
    ASSERT_EQ(tuned.size(), untuned.size());
    int fc1_changed = 0;
    for (const auto& [name, text] : untuned) {
        SCOPED_TRACE(name);
        if (name.rfind("fc1__", 0) == 0)
            fc1_changed += tuned.at(name) != text;
        else
            EXPECT_EQ(tuned.at(name), text);
    }
    EXPECT_GE(fc1_changed, 3);  // the three products at least
}

TEST(TunedSchedule, NonDefaultDenseConvAndGruPassTheGradientCheck) {
    for (const auto& [model, knobs] :
         {std::pair{dense_model(20, 36), kDenseKnobs}, {conv_model(), kConvKnobs}, {gru_model(), kGruKnobs}}) {
        SCOPED_TRACE(model.name);
        for (int batch : {3, 11}) {
            gradcheck::kBatch = batch;
            gradcheck::expect_gradients_match_with(model, "template", {{model.node(2).name, knobs}});
        }
    }
}

TEST(LayerBench, AcceptsAnEquivalentScheduleAndTimesIt) {
    const dsl::CheckedModel model = dense_model(40, 70);
    codegen::LayerBench bench(model, model.node(2), 16);
    const std::optional<double> base = bench.time({}, 0.0);
    ASSERT_TRUE(base.has_value());
    EXPECT_GT(*base, 0.0);
    const std::optional<double> tuned = bench.time(kDenseKnobs, 0.0);
    ASSERT_TRUE(tuned.has_value());
    EXPECT_GT(*tuned, 0.0);
}

TEST(LayerBench, TimesBatchNormAndMaxPoolWithTheirKnobs) {
    const dsl::CheckedModel model = norm_pool_model();
    for (int id : {2, 3}) {  // bn, mp
        const dsl::Node& node = model.node(id);
        SCOPED_TRACE(node.name);
        codegen::LayerBench bench(model, node, 8);
        ASSERT_TRUE(bench.time({}, 0.0).has_value());
        ASSERT_TRUE(bench.time(kNormPoolKnobs.at(node.name), 0.0).has_value());
    }
}

TEST(LayerSignature, NamesTheShapesAndTheBatchAndIsSharedBetweenEqualLayers) {
    const dsl::CheckedModel a = dense_model(40, 70), b = dense_model(40, 70), c = dense_model(40, 71);
    const std::string sig = codegen::layer_signature(a, a.node(2), 64);
    EXPECT_EQ(sig, codegen::layer_signature(b, b.node(2), 64));
    EXPECT_NE(sig, codegen::layer_signature(c, c.node(2), 64));
    EXPECT_NE(sig, codegen::layer_signature(a, a.node(2), 32));
    EXPECT_NE(sig.find("dense in=[40] out=[70]"), std::string::npos) << sig;
    ASSERT_EQ(codegen::tunable_layers(a, 64).size(), 1u);
}

// A private folder of tuning files, named by the test; NNC_SHIPPED_TUNINGS points at it while
// the fixture lives.
class TuningFiles {
public:
    explicit TuningFiles(const std::string& name)
        : dir_(fs::temp_directory_path() / ("nnc-" + name + "-" + std::to_string(getpid()))) {
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "shipped");
        setenv("NNC_SHIPPED_TUNINGS", (dir_ / "shipped").c_str(), 1);
    }
    ~TuningFiles() {
        unsetenv("NNC_SHIPPED_TUNINGS");
        fs::remove_all(dir_);
    }
    fs::path shipped(const std::string& cpu) const { return dir_ / "shipped" / codegen::tuning_file_name(cpu); }
    fs::path user() const { return dir_ / "user.json"; }

private:
    fs::path dir_;
};

TEST(ShippedTunings, TheHostKeyFindsItsFileAnotherCpuMissesATargetMatchesByIsa) {
    const TuningFiles files("shipped");
    {
        codegen::TuningCache shipped = codegen::TuningCache::load(files.shipped("CPU A"));
        shipped.put(machine("CPU A"), "dense sig", {{{"fwd.rows", 4}}, 0.001, 0.002, "thorough", 0.5, 0.02, 12, true});
        shipped.save();
    }
    const auto host = codegen::shipped_tuning_for_host(machine("CPU A"));
    ASSERT_TRUE(host.has_value());
    EXPECT_EQ(host->file.path(), files.shipped("CPU A"));
    EXPECT_EQ(host->file.find(host->machine, "dense sig")->knobs, (KnobValues{{"fwd.rows", 4}}));
    EXPECT_FALSE(codegen::shipped_tuning_for_host(machine("CPU B")).has_value());
    codegen::MachineKey more_cores = machine("CPU A");
    more_cores.cores = 8;
    EXPECT_FALSE(codegen::shipped_tuning_for_host(more_cores).has_value());

    // Another machine's target: by its CPU, or by the ISA alone; another ISA or Halide misses.
    EXPECT_TRUE(codegen::shipped_tuning_for_target("x86-64-linux-avx2-fma", "CPU A", "14.0.0").has_value());
    const auto by_isa = codegen::shipped_tuning_for_target("x86-64-linux-avx2-fma", "", "14.0.0");
    ASSERT_TRUE(by_isa.has_value());
    EXPECT_EQ(by_isa->machine.cpu_model, "CPU A");
    EXPECT_FALSE(codegen::shipped_tuning_for_target("x86-64-linux-avx2-fma", "CPU B", "14.0.0").has_value());
    EXPECT_FALSE(codegen::shipped_tuning_for_target("x86-64-linux-sse41", "", "14.0.0").has_value());
    EXPECT_FALSE(codegen::shipped_tuning_for_target("x86-64-linux-avx2-fma", "", "15.0.0").has_value());

    std::ofstream(files.shipped("CPU C")) << "{\"format\": \"nnc tuning cache 1\", \"machines\": {]";
    try {
        codegen::shipped_tuning_for_host(machine("CPU C"));
        ADD_FAILURE() << "a corrupt shipped file was read";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(files.shipped("CPU C").string() + ": byte 47"), std::string::npos)
            << e.what();
    }
}

dsl::CheckedModel two_dense_model() {
    test::GraphBuilder g("tune_two");
    const int x = g.input("x", {20});
    const int y = g.real_target("y", {12});
    const int a = g.layer("fc1", "dense", {x}, {{"units", int64_t(36)}});
    const int b = g.layer("fc2", "dense", {a}, {{"units", int64_t(12)}});
    g.layer("loss", "mse", {b, y});
    return g.model();
}

TEST(Autotune, AppliesThisMachinesTuningThenTheShippedOneAndSaysWhichHeldEachLayer) {
    const TuningFiles files("applied");
    const dsl::CheckedModel model = two_dense_model();
    const int batch = static_cast<int>(model.train.batch);
    const std::string sig1 = codegen::layer_signature(model, model.node(2), batch);
    const std::string sig2 = codegen::layer_signature(model, model.node(3), batch);
    codegen::TuningCache user = codegen::TuningCache::load(files.user());
    user.put(machine("CPU A"), sig1, {{{"fwd.rows", 4}}, 1, 2, "quick", 0.5, 0.01, 3, true});
    codegen::TuningCache shipped = codegen::TuningCache::load(files.shipped("CPU A"));
    shipped.put(machine("CPU A"), sig1, {{{"fwd.rows", 6}}, 1, 2, "thorough", 0.5, 0.01, 3, true});
    shipped.put(machine("CPU A"), sig2, {{{"d_weight.parallel", 0}}, 1, 2, "thorough", 0.7, 0.02, 5, true});

    const codegen::ModelTuning t = codegen::applied_tuning(
        model, {{&user, machine("CPU A"), "this machine's"}, {&shipped, machine("CPU A"), "shipped for CPU A"}});
    EXPECT_EQ(t.nodes, 2);
    EXPECT_EQ(t.by_node.at("fc1"), (KnobValues{{"fwd.rows", 4}}));  // this machine's wins
    EXPECT_EQ(t.by_node.at("fc2"), (KnobValues{{"d_weight.parallel", 0}}));
    EXPECT_EQ(t.summary, "this machine's (" + files.user().string() + "), 1 of 2 layers; shipped for CPU A (" +
                             files.shipped("CPU A").string() + "), 1 of 2 layers");
    ASSERT_EQ(t.layers.size(), 2u);
    EXPECT_EQ(t.layers[0].label, "dense [20]->[36] (fc1)");
    EXPECT_EQ(t.layers[1].source, "shipped for CPU A");

    // Another CPU's key finds neither: no knobs, nothing for the build cache's key.
    const codegen::ModelTuning none = codegen::applied_tuning(
        model, {{&user, machine("CPU B"), "this machine's"}, {&shipped, machine("CPU B"), "shipped"}});
    EXPECT_TRUE(none.by_node.empty());
    EXPECT_TRUE(none.fingerprint.empty());
    EXPECT_TRUE(none.summary.empty());
}

TEST(Autotune, CachedMeasuresWhatTheTuningsLackOnceAndQuickRedoesASearchTheBudgetCut) {
    const TuningFiles files("cached");
    const dsl::CheckedModel model = dense_model(40, 70);
    codegen::TuningCache cache = codegen::TuningCache::load(files.user());
    std::vector<std::string> lines;
    const codegen::TuneLog log = [&](const std::string& line) { lines.push_back(line); };
    // Budget 0: the defaults alone are timed, and cached as such (cut short by the budget).
    codegen::ModelTuning first =
        codegen::tune_model(model, codegen::AutotuneMode::Cached, cache, machine("CPU A"), log, 0);
    ASSERT_EQ(first.layers.size(), 1u);
    EXPECT_TRUE(first.layers[0].measured);
    ASSERT_TRUE(first.layers[0].tuned.has_value());
    EXPECT_TRUE(first.layers[0].tuned->knobs.empty());
    EXPECT_FALSE(first.layers[0].tuned->complete);
    EXPECT_GT(first.layers[0].tuned->default_seconds, 0);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[1].find("dense [40]->[70] (fc): 0 candidates"), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find("the defaults kept"), std::string::npos) << lines[1];
    EXPECT_TRUE(fs::exists(files.user()));

    // The next build measures nothing: the entry that kept the defaults answers it.
    lines.clear();
    const codegen::ModelTuning second =
        codegen::tune_model(model, codegen::AutotuneMode::Cached, cache, machine("CPU A"), log, 0);
    EXPECT_FALSE(second.layers[0].measured);
    EXPECT_TRUE(lines.empty());
    // quick measures a search the budget cut short again; another CPU's key lacks it.
    EXPECT_TRUE(
        codegen::tune_model(model, codegen::AutotuneMode::Quick, cache, machine("CPU A"), {}, 0).layers[0].measured);
    const codegen::TuningSource shipped{&cache, machine("CPU A"), "shipped for CPU A"};
    const codegen::ModelTuning shipped_first =
        codegen::tune_model(model, codegen::AutotuneMode::Cached, cache, machine("CPU B"), {}, 0, &shipped);
    EXPECT_FALSE(shipped_first.layers[0].measured);  // the shipped tuning holds it
    EXPECT_EQ(shipped_first.layers[0].source, "shipped for CPU A");
}

}  // namespace
}  // namespace nnc
