#include "codegen/schedule/saved_schedule_apply.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "codegen/build_paths.h"
#include "codegen/emit/descriptor_gen.h"
#include "codegen/emit/graph_json.h"

namespace nnc::codegen {

using nlohmann::json;

std::string schedule_graph_hash(const dsl::CheckedModel& model, int layers_per_stage) {
    return hash_source(graph_to_json(model) + "\nlayers_per_stage=" + std::to_string(layers_per_stage));
}

ScheduleStamps current_schedule_stamps(const dsl::CheckedModel& model, const Halide::Target& target,
                                       int layers_per_stage, const ScheduleOptions& options) {
    ScheduleStamps s;
    s.nnc_version = NNC_VERSION;
    s.halide_version = NNC_HALIDE_VERSION;
    s.target = target.to_string();
    s.scheduler = options.scheduler;
    const int parallelism = options.parallelism > 0
                                ? options.parallelism
                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    s.scheduler_params = {
        {"parallelism", parallelism}, {"last_level_cache", options.last_level_cache}, {"balance", options.balance}};
    s.graph_hash = schedule_graph_hash(model, layers_per_stage);
    return s;
}

void check_schedule_stamps(const ScheduleFile& file, const ScheduleStamps& build, const std::string& path) {
    const std::pair<const char*, std::pair<std::string, std::string>> stamps[] = {
        {"graph_hash", {file.stamps.graph_hash, build.graph_hash}},
        {"target", {file.stamps.target, build.target}},
        {"halide_version", {file.stamps.halide_version, build.halide_version}},
        {"nnc_version", {file.stamps.nnc_version, build.nnc_version}},
    };
    for (const auto& [name, values] : stamps) {
        if (values.first == values.second) continue;
        std::string why =
            std::string(name) == "graph_hash"
                ? "the model's graph (or --layers-per-stage) changed since the schedule was saved"
                : "it was saved for another " + std::string(name == std::string("target") ? "target" : "version");
        throw std::runtime_error(
            "the saved schedule " + path + " is stale: stamp '" + name + "' is '" + values.first +
            "', this build's is '" + values.second + "' (" + why + "). Re-save it (nnc model.nn --scheduler " +
            (file.stamps.scheduler == "hand" ? std::string("Mullapudi2016") : file.stamps.scheduler) +
            " --save-schedule " + path +
            ") or re-import it (nnc-import-schedule), or build without "
            "--schedule");
    }
}

namespace {

std::string sanitized(const std::string& name) {
    std::string s = name;
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
    return s;
}

const char* const kTails[] = {"RoundUp",         "GuardWithIf",  "Predicate", "PredicateLoads",
                              "PredicateStores", "ShiftInwards", "Auto"};

bool is_tail(const json& v) {
    return v.is_string() && std::find(std::begin(kTails), std::end(kTails), v.get<std::string>()) != std::end(kTails);
}

Halide::TailStrategy tail_of(const std::string& s) {
    using T = Halide::TailStrategy;
    static const std::map<std::string, T> tails{{"RoundUp", T::RoundUp},
                                                {"GuardWithIf", T::GuardWithIf},
                                                {"Predicate", T::Predicate},
                                                {"PredicateLoads", T::PredicateLoads},
                                                {"PredicateStores", T::PredicateStores},
                                                {"ShiftInwards", T::ShiftInwards},
                                                {"Auto", T::Auto}};
    return tails.at(s);
}

Halide::MemoryType memory_type_of(const std::string& s, const std::function<void(const std::string&)>& fail) {
    using M = Halide::MemoryType;
    static const std::map<std::string, M> types{{"Auto", M::Auto},
                                                {"Heap", M::Heap},
                                                {"Stack", M::Stack},
                                                {"Register", M::Register},
                                                {"GPUShared", M::GPUShared},
                                                {"GPUTexture", M::GPUTexture},
                                                {"LockedCache", M::LockedCache},
                                                {"VTCM", M::VTCM}};
    auto it = types.find(s);
    if (it == types.end()) fail("unknown MemoryType '" + s + "'");
    return it->second;
}

// Applies the directives of one pipeline; `fail` throws with the location prefixed.
class Applier {
public:
    Applier(Halide::Pipeline& pipeline, std::string where) : where_(std::move(where)) {
        for (auto& [name, f] : all_functions(pipeline)) {
            funcs_.emplace(name, Halide::Func(f));
            by_sanitized_[sanitized(name)].push_back(name);
        }
    }

    void apply(const FuncSchedule& fs) {
        func_name_ = fs.func;
        line_ = 0;
        Halide::Func f = func(fs.func);
        // Vars named by position are resolved before any directive of this Func, as the C++ did.
        bound_.clear();
        for (const auto& [id, binding] : fs.vars) bound_[id] = resolve_binding(f, id, binding);
        for (const StageSchedule& st : fs.stages) {
            if (st.update >= f.num_update_definitions())
                fail("Func '" + fs.func + "' has " + std::to_string(f.num_update_definitions()) +
                     " update definitions; the schedule names update(" + std::to_string(st.update) + ")");
            Halide::Internal::Definition def =
                st.update < 0 ? f.function().definition() : f.function().update(st.update);
            Halide::Stage stage = st.update < 0 ? Halide::Stage(f) : f.update(st.update);
            for (const ScheduleDirective& d : st.directives) {
                line_ = d.line;
                try {
                    apply_directive(f, stage, def, st.update, d);
                } catch (const Halide::Error& e) {
                    fail("Halide rejected " + d.op + d.args.dump() + ": " + e.what());
                }
            }
        }
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        std::string at = where_;
        if (!func_name_.empty()) at += ", Func '" + func_name_ + "'";
        if (line_ > 0) at += " (line " + std::to_string(line_) + " of the imported C++)";
        throw std::runtime_error(at + ": " + what);
    }

    Halide::Func func(const std::string& name) {
        auto it = funcs_.find(name);
        if (it != funcs_.end()) return it->second;
        auto s = by_sanitized_.find(sanitized(name));
        if (s != by_sanitized_.end() && s->second.size() == 1) return funcs_.at(s->second.front());
        std::string known;
        for (const auto& [n, f] : funcs_) known += (known.empty() ? "" : ", ") + n;
        fail("unknown Func '" + name + "'; the pipeline's Funcs are: " + known);
    }

    std::string resolve_binding(const Halide::Func& f, const std::string& id, const std::string& binding) {
        // "args[k]", "dims[k]", "update(i).dims[k]", "update(i).rvars[k]"
        int update = -1;
        std::string rest = binding;
        if (rest.rfind("update(", 0) == 0) {
            const size_t close = rest.find(").");
            if (close == std::string::npos) fail("var '" + id + "': cannot read the binding '" + binding + "'");
            update = std::stoi(rest.substr(7, close - 7));
            rest = rest.substr(close + 2);
        }
        const size_t open = rest.find('[');
        if (open == std::string::npos || rest.back() != ']')
            fail("var '" + id + "': cannot read the binding '" + binding + "'");
        const std::string kind = rest.substr(0, open);
        const size_t k = std::stoul(rest.substr(open + 1));
        if (update >= f.num_update_definitions())
            fail("var '" + id + "' = " + binding + ": the Func has " + std::to_string(f.num_update_definitions()) +
                 " updates");
        const Halide::Internal::Definition def = update < 0 ? f.function().definition() : f.function().update(update);
        auto out_of_range = [&](size_t n) {
            fail("var '" + id + "' = " + binding + ": the Func has " + std::to_string(n) + " " + kind);
        };
        if (kind == "args" && update < 0) {
            if (k >= f.args().size()) out_of_range(f.args().size());
            return f.args()[k].name();
        }
        if (kind == "dims") {
            const auto& dims = def.schedule().dims();
            if (k >= dims.size()) out_of_range(dims.size());
            return dims[k].var;
        }
        if (kind == "rvars" && update >= 0) {
            const auto& rvars = def.schedule().rvars();
            if (k >= rvars.size()) out_of_range(rvars.size());
            return rvars[k].var;
        }
        fail("var '" + id + "': cannot read the binding '" + binding + "'");
    }

    std::string var_name(const json& v) const {
        if (!v.is_string()) fail("expected a var name, got " + v.dump());
        const std::string id = v.get<std::string>();
        auto it = bound_.find(id);
        return it != bound_.end() ? it->second : id;
    }

    // A name is an RVar if the stage's current loops say so, or if it is one of its reduction
    // vars; names a directive creates take the kind of the var they come from (new_rvars_).
    // Halide names split loops after their parent ("o.o_vi"); a directive names them "o_vi".
    static bool same_loop(const std::string& dim, const std::string& name) {
        return dim == name ||
               (dim.size() > name.size() && dim.compare(dim.size() - name.size(), name.size(), name) == 0 &&
                dim[dim.size() - name.size() - 1] == '.');
    }

    bool is_rvar(const Halide::Internal::Definition& def, const std::string& name) const {
        for (const auto& d : def.schedule().dims())
            if (same_loop(d.var, name)) return d.is_rvar();
        for (const auto& r : def.schedule().rvars())
            if (r.var == name) return true;
        return false;
    }

    bool known_loop(const Halide::Internal::Definition& def, const std::string& name) const {
        for (const auto& d : def.schedule().dims())
            if (same_loop(d.var, name)) return true;
        return false;
    }

    Halide::VarOrRVar existing(const Halide::Internal::Definition& def, const json& v) const {
        const std::string name = var_name(v);
        if (!known_loop(def, name)) {
            std::string loops;
            for (const auto& d : def.schedule().dims())
                if (d.var != Halide::Var::outermost().name()) loops += (loops.empty() ? "" : ", ") + d.var;
            fail("unknown var '" + name + "'; this stage's loops are: " + loops);
        }
        return Halide::VarOrRVar(name, is_rvar(def, name));
    }

    Halide::VarOrRVar fresh(const json& v, bool rvar) const { return Halide::VarOrRVar(var_name(v), rvar); }

    static int count_leading_strings(const json& args) {
        int n = 0;
        while (n < static_cast<int>(args.size()) && args[n].is_string() && !is_tail(args[n])) ++n;
        return n;
    }

    int number(const json& v) const {
        if (!v.is_number_integer()) fail("expected an integer factor, got " + v.dump());
        return v.get<int>();
    }

    Halide::TailStrategy tail(const json& args, size_t i) const {
        if (i >= args.size()) return Halide::TailStrategy::Auto;
        if (!is_tail(args[i])) fail("expected a TailStrategy, got " + args[i].dump());
        return tail_of(args[i].get<std::string>());
    }

    Halide::LoopLevel loop_level(const json& args) {
        if (args.size() != 2) fail("expected (Func, var), got " + args.dump());
        if (!args[0].is_string()) fail("expected a Func name, got " + args[0].dump());
        Halide::Func g = func(args[0].get<std::string>());
        const std::string name = var_name(args[1]);
        bool rvar = false;
        for (int u = 0; u < g.num_update_definitions(); ++u)
            if (is_rvar(g.function().update(u), name)) rvar = true;
        return Halide::LoopLevel(g, Halide::VarOrRVar(name, rvar));
    }

    void apply_directive(Halide::Func& f, Halide::Stage& stage, const Halide::Internal::Definition& def, int update,
                         const ScheduleDirective& d) {
        const json& a = d.args;
        const std::string& op = d.op;
        const size_t n = a.size();
        auto func_only = [&] {
            if (update >= 0) fail(op + " applies to a Func, not to update(" + std::to_string(update) + ")");
        };
        if (op == "compute_root") return func_only(), void(f.compute_root());
        if (op == "store_root") return func_only(), void(f.store_root());
        if (op == "compute_inline") return func_only(), void(f.compute_inline());
        if (op == "compute_at") return func_only(), void(f.compute_at(loop_level(a)));
        if (op == "store_at") return func_only(), void(f.store_at(loop_level(a)));
        if (op == "store_in") {
            func_only();
            if (n != 1 || !a[0].is_string()) fail("store_in takes one MemoryType");
            f.store_in(memory_type_of(a[0].get<std::string>(), [&](const std::string& m) { fail(m); }));
            return;
        }
        if (op == "bound") {
            func_only();
            if (n != 3) fail("bound takes (var, min, extent)");
            f.bound(Halide::Var(var_name(a[0])), number(a[1]), number(a[2]));
            return;
        }
        if (op == "reorder_storage") {
            func_only();
            std::vector<Halide::Var> vars;
            for (const json& v : a) vars.emplace_back(var_name(v));
            f.reorder_storage(vars);
            return;
        }
        if (op == "split") {
            if (n < 4 || n > 5) fail("split takes (old, outer, inner, factor[, tail])");
            const Halide::VarOrRVar old = existing(def, a[0]);
            stage.split(old, fresh(a[1], old.is_rvar), fresh(a[2], old.is_rvar), number(a[3]), tail(a, 4));
            return;
        }
        if (op == "fuse") {
            if (n != 3) fail("fuse takes (inner, outer, fused)");
            const Halide::VarOrRVar inner = existing(def, a[0]), outer = existing(def, a[1]);
            stage.fuse(inner, outer, fresh(a[2], inner.is_rvar && outer.is_rvar));
            return;
        }
        if (op == "reorder") {
            std::vector<Halide::VarOrRVar> vars;
            for (const json& v : a) vars.push_back(existing(def, v));
            stage.reorder(vars);
            return;
        }
        if (op == "vectorize" || op == "unroll" || op == "parallel") {
            if (n < 1 || n > 3) fail(op + " takes (var[, factor[, tail]])");
            const Halide::VarOrRVar v = existing(def, a[0]);
            if (op == "vectorize") n == 1 ? stage.vectorize(v) : stage.vectorize(v, number(a[1]), tail(a, 2));
            if (op == "unroll") n == 1 ? stage.unroll(v) : stage.unroll(v, number(a[1]), tail(a, 2));
            if (op == "parallel") n == 1 ? stage.parallel(v) : stage.parallel(v, number(a[1]), tail(a, 2));
            return;
        }
        if (op == "serial") {
            if (n != 1) fail("serial takes one var");
            stage.serial(existing(def, a[0]));
            return;
        }
        if (op == "atomic") return void(stage.atomic());
        if (op == "gpu_single_thread") return void(stage.gpu_single_thread());
        if (op == "gpu_blocks" || op == "gpu_threads" || op == "gpu_lanes") {
            std::vector<Halide::VarOrRVar> v;
            for (const json& x : a) v.push_back(existing(def, x));
            if (op == "gpu_lanes") {
                if (v.size() != 1) fail("gpu_lanes takes one var");
                stage.gpu_lanes(v[0]);
            } else if (v.size() == 1) {
                op == "gpu_blocks" ? stage.gpu_blocks(v[0]) : stage.gpu_threads(v[0]);
            } else if (v.size() == 2) {
                op == "gpu_blocks" ? stage.gpu_blocks(v[0], v[1]) : stage.gpu_threads(v[0], v[1]);
            } else if (v.size() == 3) {
                op == "gpu_blocks" ? stage.gpu_blocks(v[0], v[1], v[2]) : stage.gpu_threads(v[0], v[1], v[2]);
            } else {
                fail(op + " takes 1 to 3 vars");
            }
            return;
        }
        if (op == "tile" || op == "gpu_tile") {
            // tile(x, y, [xo, yo,] xi, yi, xf, yf[, tail]); gpu_tile(x, [bx,] tx, xf[, tail]) and the
            // 2-D forms (x, y, [bx, by,] tx, ty, xf, yf[, tail]).
            const int vars = count_leading_strings(a);
            std::vector<int> sizes;
            size_t i = vars;
            while (i < n && a[i].is_number()) sizes.push_back(number(a[i++]));
            const Halide::TailStrategy t = tail(a, i);
            if (i + (i < n ? 1 : 0) != n) fail(op + ": cannot read the arguments " + a.dump());
            auto V = [&](int k, bool from_existing) {
                return from_existing ? existing(def, a[k]) : fresh(a[k], false);
            };
            if (op == "tile" && vars == 6 && sizes.size() == 2) {
                const auto x = V(0, true), y = V(1, true);
                stage.tile(x, y, fresh(a[2], x.is_rvar), fresh(a[3], y.is_rvar), fresh(a[4], x.is_rvar),
                           fresh(a[5], y.is_rvar), sizes[0], sizes[1], t);
            } else if (op == "tile" && vars == 4 && sizes.size() == 2) {
                const auto x = V(0, true), y = V(1, true);
                stage.tile(x, y, fresh(a[2], x.is_rvar), fresh(a[3], y.is_rvar), sizes[0], sizes[1], t);
            } else if (op == "gpu_tile" && vars == 3 && sizes.size() == 1) {
                const auto x = V(0, true);
                stage.gpu_tile(x, fresh(a[1], x.is_rvar), fresh(a[2], x.is_rvar), sizes[0], t);
            } else if (op == "gpu_tile" && vars == 2 && sizes.size() == 1) {
                const auto x = V(0, true);
                stage.gpu_tile(x, fresh(a[1], x.is_rvar), sizes[0], t);
            } else if (op == "gpu_tile" && vars == 6 && sizes.size() == 2) {
                const auto x = V(0, true), y = V(1, true);
                stage.gpu_tile(x, y, fresh(a[2], x.is_rvar), fresh(a[3], y.is_rvar), fresh(a[4], x.is_rvar),
                               fresh(a[5], y.is_rvar), sizes[0], sizes[1], t);
            } else if (op == "gpu_tile" && vars == 4 && sizes.size() == 2) {
                const auto x = V(0, true), y = V(1, true);
                stage.gpu_tile(x, y, fresh(a[2], x.is_rvar), fresh(a[3], y.is_rvar), sizes[0], sizes[1], t);
            } else {
                fail(op + ": cannot read the arguments " + a.dump());
            }
            return;
        }
        fail("unknown directive '" + op +
             "' (supported: compute_root, compute_at, store_at, store_root, compute_inline, "
             "store_in, bound, reorder_storage, split, fuse, reorder, tile, vectorize, unroll, parallel, serial, "
             "atomic, "
             "gpu_blocks, gpu_threads, gpu_lanes, gpu_tile, gpu_single_thread)");
    }

    std::string where_;
    std::string func_name_;
    int line_ = 0;
    std::map<std::string, Halide::Func> funcs_;
    std::map<std::string, std::vector<std::string>> by_sanitized_;
    std::map<std::string, std::string> bound_;
};

}  // namespace

void apply_saved_schedule(Halide::Pipeline& pipeline, const PipelineSchedule& schedule,
                          const std::string& pipeline_name, const std::string& path) {
    Applier applier(pipeline, path + ": pipeline '" + pipeline_name + "'");
    for (const FuncSchedule& f : schedule.funcs) applier.apply(f);
    guard_all_splits(pipeline);
}

}  // namespace nnc::codegen
