// Records between a layer's algorithm and its schedule: what LayerContext::record holds reaches
// ScheduleContext::record bound to the scheduled pipeline's Funcs, after the lowering is gone.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "codegen/layers/layer.h"
#include "codegen/schedule/schedule_context.h"

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

codegen::ScheduleContext context_of(const std::vector<Func>& funcs) {
    std::map<std::string, Func> by_name;
    for (const Func& f : funcs) by_name.emplace(f.name(), f);
    return codegen::ScheduleContext(Halide::get_host_target(), Halide::Expr(8), by_name);
}

// The design rests on it: a Func name is never given twice in a process.
TEST(LayerRecords, HalideNeverReusesAFuncName) {
    std::string first;
    {
        Func f("records__taken");
        first = f.name();
    }
    Func again("records__taken");
    EXPECT_NE(again.name(), first);
}

TEST(LayerRecords, TheScheduleGetsTheFormAndThePipelinesFuncs) {
    const dsl::Node node = node_named("toy1");
    Func fwd, d_input;
    {
        codegen::LayerContext lowering;
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
    }  // the lowering's context is gone before scheduling, as in a build

    codegen::ScheduleContext training = context_of({fwd, d_input});
    const ToyRecord r = training.record<ToyRecord>(node);
    EXPECT_EQ(r.form, ToyRecord::Form::Tiled);
    EXPECT_TRUE(r.fwd.function().same_as(fwd.function()));
    EXPECT_TRUE(r.d_input.function().same_as(d_input.function()));

    // A pipeline without the gradient: that Func is undefined, the form is still there.
    codegen::ScheduleContext inference = context_of({fwd});
    const ToyRecord i = inference.record<ToyRecord>(node);
    EXPECT_EQ(i.form, ToyRecord::Form::Tiled);
    EXPECT_TRUE(i.fwd.defined());
    EXPECT_FALSE(i.d_input.defined());
}

TEST(LayerRecords, ANodeWithoutFuncsInThePipelineGetsAnEmptyRecord) {
    codegen::ScheduleContext ctx = context_of({defined("records__unrelated")});
    const ToyRecord r = ctx.record<ToyRecord>(node_named("toy2"));
    EXPECT_EQ(r.form, ToyRecord::Form::Plain);
    EXPECT_FALSE(r.fwd.defined());
}

TEST(LayerRecords, AnotherLoweringOfTheSameNodeKeepsItsOwnRecord) {
    const dsl::Node node = node_named("toy3");
    Func first, second;
    {
        codegen::LayerContext lowering;
        auto rec = lowering.record<ToyRecord>(node);
        rec->fwd = first = defined("toy3__fwd");
    }
    {
        codegen::LayerContext lowering;
        auto rec = lowering.record<ToyRecord>(node);
        rec->form = ToyRecord::Form::Tiled;
        rec->fwd = second = defined("toy3__fwd");
    }
    codegen::ScheduleContext a = context_of({first}), b = context_of({second});
    const ToyRecord ra = a.record<ToyRecord>(node), rb = b.record<ToyRecord>(node);
    EXPECT_EQ(ra.form, ToyRecord::Form::Plain);
    EXPECT_TRUE(ra.fwd.function().same_as(first.function()));
    EXPECT_EQ(rb.form, ToyRecord::Form::Tiled);
    EXPECT_TRUE(rb.fwd.function().same_as(second.function()));
}

TEST(LayerRecords, AskingForAnotherRecordTypeIsAnInternalError) {
    const dsl::Node node = node_named("toy4");
    Func f = defined("toy4__fwd");
    {
        codegen::LayerContext lowering;
        lowering.record<ToyRecord>(node)->fwd = f;
        EXPECT_THROW(lowering.record<OtherRecord>(node), std::logic_error);
    }
    codegen::ScheduleContext ctx = context_of({f});
    EXPECT_THROW(ctx.record<OtherRecord>(node), std::logic_error);
}

}  // namespace
}  // namespace nnc
