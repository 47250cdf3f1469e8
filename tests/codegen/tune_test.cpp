// The schedule tuner (codegen/tune/): the search keeps what the timer says is fastest and times
// far fewer candidates than the space holds; the tuning cache round-trips and is per machine;
// non-default knobs change the code yet compute the same gradients; default knobs give exactly
// the hand templates' code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "codegen/emit/host_target.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/schedule/scheduler.h"
#include "codegen/tune/knob_search.h"
#include "codegen/tune/knob_space.h"
#include "codegen/tune/layer_bench.h"
#include "codegen/tune/layer_signature.h"
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

TEST(KnobSearch, KeepsTheFastestAndTimesFewerThanTheSpace) {
    int calls = 0;
    const codegen::SearchResult r = codegen::search_knobs(
        kSpace,
        [&](const KnobValues& k, double) -> std::optional<double> {
            ++calls;
            return cost(k);
        },
        codegen::SearchBudget{0.01, 3, 1e9, 0.03});
    EXPECT_EQ(r.best, (KnobValues{{"a", 3}, {"b", 4}, {"c", 1}}));
    EXPECT_DOUBLE_EQ(r.best_seconds, 1.0);
    EXPECT_DOUBLE_EQ(r.default_seconds, cost(codegen::default_knobs(kSpace)));
    EXPECT_EQ(r.candidates_timed, calls);
    // Defaults; a first pass of 7; a second of 6 that finds nothing (c = 0 at a = 3, b = 4 was
    // timed in the first); the final re-timing of two.
    EXPECT_EQ(calls, 16);
    EXPECT_LT(calls, 4 * 4 * 2);
    EXPECT_FALSE(r.out_of_budget);
}

TEST(KnobSearch, NeverKeepsARefusedCandidate) {
    // a = 3 computes something else (the bench's check refuses it) though it looks fastest.
    const codegen::SearchResult r = codegen::search_knobs(
        kSpace,
        [&](const KnobValues& k, double) -> std::optional<double> {
            if (k.at("a") == 3) return std::nullopt;
            return cost(k);
        },
        codegen::SearchBudget{0.01, 3, 1e9, 0.03});
    EXPECT_NE(r.best.at("a"), 3);
    EXPECT_EQ(r.best.at("b"), 4);
}

TEST(KnobSearch, StopsWhenTheWallClockBudgetRunsOut) {
    double now = 0;
    int calls = 0;
    const codegen::SearchResult r = codegen::search_knobs(
        kSpace,
        [&](const KnobValues& k, double) -> std::optional<double> {
            ++calls;
            now += 1;  // each timing takes a second
            return cost(k);
        },
        codegen::SearchBudget{0.01, 3, 2.5, 0.03}, [&] { return now; });
    EXPECT_TRUE(r.out_of_budget);
    EXPECT_LT(calls, 16);
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
        cache.put(machine("CPU A"), "dense sig", {{{"fwd.rows", 4}}, 0.001, 0.002, "quick"});
        cache.save();
    }
    const codegen::TuningCache again = codegen::TuningCache::load(file);
    const auto hit = again.find(machine("CPU A"), "dense sig");
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->knobs, (KnobValues{{"fwd.rows", 4}}));
    EXPECT_DOUBLE_EQ(hit->seconds, 0.001);
    EXPECT_DOUBLE_EQ(hit->default_seconds, 0.002);
    EXPECT_EQ(hit->mode, "quick");
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

}  // namespace
}  // namespace nnc
