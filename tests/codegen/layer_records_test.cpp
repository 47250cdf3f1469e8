// Records between a layer's algorithm and its schedule: what LayerContext::record holds reaches
// ScheduleContext::record, through the records the lowering hands on, bound to the scheduled
// pipeline's Funcs.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "codegen/emit/host_target.h"
#include "codegen/layers/layer.h"
#include "codegen/lower/staged_lowering.h"
#include "codegen/schedule/schedule_context.h"
#include "codegen/schedule/scheduler.h"
#include "tests/codegen/graph_builder.h"

namespace nnc {
namespace {

using Halide::Func;
using Halide::Var;

struct ToyRecord {
    enum class Form { Plain, Tiled };
    Form form = Form::Plain;
    Func fwd, d_input;

    template <class Visit>
    void funcs(Visit&& visit) {
        visit(fwd);
        visit(d_input);
    }
};

struct OtherRecord {
    Func f;
    template <class Visit>
    void funcs(Visit&& visit) {
        visit(f);
    }
};

dsl::Node node_named(const std::string& name) {
    dsl::Node n;
    n.name = name;
    return n;
}

Func defined(const std::string& name) {
    Var x("x");
    Func f(name);
    f(x) = x;
    return f;
}

// The schedule context of a pipeline made of `funcs`, with what a lowering recorded.
codegen::ScheduleContext context_of(const std::vector<Func>& funcs, const codegen::LayerContext& lowering) {
    std::map<std::string, Func> by_name;
    for (const Func& f : funcs) by_name.emplace(f.name(), f);
    return codegen::ScheduleContext(Halide::get_host_target(), Halide::Expr(8), by_name, *lowering.records);
}

TEST(LayerRecords, TheScheduleGetsTheFormAndThePipelinesFuncs) {
    const dsl::Node node = node_named("toy1");
    codegen::LayerContext lowering;
    Func fwd, d_input;
    {
        auto rec = lowering.record<ToyRecord>(node);  // forward
        rec->form = ToyRecord::Form::Tiled;
        rec->fwd = fwd = defined("toy1__fwd");
    }
    {
        auto rec = lowering.record<ToyRecord>(node);  // backward: the same record
        EXPECT_EQ(rec->form, ToyRecord::Form::Tiled);
        rec->d_input = d_input = defined("toy1__d_input");
    }

    codegen::ScheduleContext training = context_of({fwd, d_input}, lowering);
    const ToyRecord r = training.record<ToyRecord>(node);
    EXPECT_EQ(r.form, ToyRecord::Form::Tiled);
    EXPECT_TRUE(r.fwd.function().same_as(fwd.function()));
    EXPECT_TRUE(r.d_input.function().same_as(d_input.function()));

    // A pipeline without the gradient: that Func is undefined, the form is still there.
    codegen::ScheduleContext inference = context_of({fwd}, lowering);
    const ToyRecord i = inference.record<ToyRecord>(node);
    EXPECT_EQ(i.form, ToyRecord::Form::Tiled);
    EXPECT_TRUE(i.fwd.defined());
    EXPECT_FALSE(i.d_input.defined());
}

TEST(LayerRecords, ANodeWithoutFuncsInThePipelineGetsAnEmptyRecord) {
    const dsl::Node node = node_named("toy2");
    codegen::LayerContext lowering;
    {
        auto rec = lowering.record<ToyRecord>(node);
        rec->form = ToyRecord::Form::Tiled;
        rec->fwd = defined("toy2__fwd");
    }
    codegen::ScheduleContext ctx = context_of({defined("records__unrelated")}, lowering);
    const ToyRecord r = ctx.record<ToyRecord>(node);
    EXPECT_EQ(r.form, ToyRecord::Form::Plain);
    EXPECT_FALSE(r.fwd.defined());
    // Nor does a node that recorded nothing.
    EXPECT_FALSE(ctx.record<ToyRecord>(node_named("toy2b")).fwd.defined());
}

// Each lowering hands on its own records: two lowerings of one node (a staged build's forward
// and backward stages, the train_step and forward pipelines) do not see each other's.
TEST(LayerRecords, EachLoweringKeepsItsOwnRecords) {
    const dsl::Node node = node_named("toy3");
    codegen::LayerContext first_lowering, second_lowering;
    Func first = defined("toy3__fwd"), second = defined("toy3__fwd");
    first_lowering.record<ToyRecord>(node)->fwd = first;
    {
        auto rec = second_lowering.record<ToyRecord>(node);
        rec->form = ToyRecord::Form::Tiled;
        rec->fwd = second;
    }
    const ToyRecord ra = context_of({first}, first_lowering).record<ToyRecord>(node);
    const ToyRecord rb = context_of({second}, second_lowering).record<ToyRecord>(node);
    EXPECT_EQ(ra.form, ToyRecord::Form::Plain);
    EXPECT_TRUE(ra.fwd.function().same_as(first.function()));
    EXPECT_EQ(rb.form, ToyRecord::Form::Tiled);
    EXPECT_TRUE(rb.fwd.function().same_as(second.function()));
    // The other lowering's Func is not this pipeline's: the record binds none.
    EXPECT_FALSE(context_of({second}, first_lowering).record<ToyRecord>(node).fwd.defined());
}

TEST(LayerRecords, AskingForAnotherRecordTypeIsAnInternalError) {
    const dsl::Node node = node_named("toy4");
    codegen::LayerContext lowering;
    Func f = defined("toy4__fwd");
    lowering.record<ToyRecord>(node)->fwd = f;
    EXPECT_THROW(lowering.record<OtherRecord>(node), std::logic_error);
    EXPECT_THROW(context_of({f}, lowering).record<OtherRecord>(node), std::logic_error);
}

// How many Funcs the layers' templates scheduled, from schedule_pipeline's summary
// ("template schedule: N Funcs from layer templates, M by default").
int templated(const std::string& summary) {
    const std::string head = "template schedule: ";
    if (summary.rfind(head, 0) != 0) return -1;
    return std::stoi(summary.substr(head.size()));
}

// Every stage of a staged build hands its own records to its schedule: each stage's dense
// layers are scheduled by their template (with no records, every Func would take the default).
TEST(LayerRecords, EveryStageOfAStagedBuildSchedulesItsLayersByTheirRecords) {
    test::GraphBuilder g;
    int h = g.input("x", {6});
    for (const std::string name : {"fc1", "fc2", "fc3"})
        h = g.layer(name + "_relu", "relu", {g.layer(name, "dense", {h}, {{"units", int64_t(5)}})});
    g.layer("loss", "softmax_cross_entropy", {h, g.classes("label", 5)});
    const dsl::CheckedModel& model = g.model();
    const codegen::StagedPipeline staged =
        codegen::lower_staged(model, codegen::StageMode::Train, Halide::Float(32), 4, /*layers_per_stage=*/2);
    ASSERT_GT(staged.stages.size(), 2u);  // two forward and two backward
    for (const codegen::LoweredStage& st : staged.stages) {
        ASSERT_TRUE(st.records) << st.name;
        Halide::Pipeline pipeline = st.pipeline();
        const std::string summary = codegen::schedule_pipeline(pipeline, model, st.batch, *st.records,
                                                               codegen::host_target(), codegen::ScheduleOptions{});
        EXPECT_GT(templated(summary), 0) << st.name << ": " << summary;
    }
}

}  // namespace
}  // namespace nnc
