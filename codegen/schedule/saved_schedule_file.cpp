#include "codegen/schedule/saved_schedule_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nnc::codegen {

using nlohmann::json;

namespace {

[[noreturn]] void malformed(const std::string& origin, const std::string& what) {
    throw std::runtime_error(origin + ": not a valid nnc schedule: " + what +
                             " (schedules/README.md describes the format)");
}

const json& field(const json& object, const char* name, const std::string& origin, const std::string& where) {
    if (!object.is_object() || !object.contains(name)) malformed(origin, where + " has no \"" + name + "\"");
    return object.at(name);
}

std::string string_field(const json& object, const char* name, const std::string& origin, const std::string& where) {
    const json& v = field(object, name, origin, where);
    if (!v.is_string()) malformed(origin, where + "." + name + " is not a string");
    return v.get<std::string>();
}

}  // namespace

json pipeline_schedule_to_json(const PipelineSchedule& pipeline) {
    json funcs = json::array();
    for (const FuncSchedule& f : pipeline.funcs) {
        json stages = json::array();
        for (const StageSchedule& s : f.stages) {
            json directives = json::array();
            for (const ScheduleDirective& d : s.directives) {
                json dj = {{"op", d.op}, {"args", d.args}};
                if (d.line > 0) dj["line"] = d.line;
                directives.push_back(dj);
            }
            stages.push_back(
                {{"stage", s.update < 0 ? std::string("pure") : "update(" + std::to_string(s.update) + ")"},
                 {"directives", directives}});
        }
        json fj = {{"func", f.func}};
        if (f.index >= 0) fj["index"] = f.index;
        if (!f.vars.empty()) fj["vars"] = f.vars;
        fj["stages"] = stages;
        funcs.push_back(fj);
    }
    return {{"funcs", funcs}};
}

PipelineSchedule pipeline_schedule_from_json(const json& j, const std::string& origin) {
    PipelineSchedule p;
    const json& funcs = field(j, "funcs", origin, "a pipeline");
    if (!funcs.is_array()) malformed(origin, "\"funcs\" is not a list");
    for (const json& fj : funcs) {
        FuncSchedule f;
        f.func = string_field(fj, "func", origin, "a func entry");
        const std::string where = "func '" + f.func + "'";
        if (fj.contains("index")) f.index = fj.at("index").get<int>();
        if (fj.contains("vars")) {
            for (auto& [k, v] : fj.at("vars").items()) {
                if (!v.is_string()) malformed(origin, where + ": var '" + k + "' is not bound to a string");
                f.vars[k] = v.get<std::string>();
            }
        }
        const json& stages = field(fj, "stages", origin, where);
        if (!stages.is_array()) malformed(origin, where + ": \"stages\" is not a list");
        for (const json& sj : stages) {
            StageSchedule s;
            const std::string stage = string_field(sj, "stage", origin, where + " stage");
            if (stage == "pure") {
                s.update = -1;
            } else if (stage.rfind("update(", 0) == 0 && stage.back() == ')') {
                try {
                    s.update = std::stoi(stage.substr(7));
                } catch (const std::exception&) {
                    malformed(origin, where + ": stage '" + stage + "' (expected pure or update(N))");
                }
            } else {
                malformed(origin, where + ": stage '" + stage + "' (expected pure or update(N))");
            }
            const json& directives = field(sj, "directives", origin, where + " " + stage);
            if (!directives.is_array()) malformed(origin, where + " " + stage + ": \"directives\" is not a list");
            for (const json& dj : directives) {
                ScheduleDirective d;
                d.op = string_field(dj, "op", origin, where + " " + stage + " directive");
                if (dj.contains("args")) d.args = dj.at("args");
                if (!d.args.is_array())
                    malformed(origin, where + " " + stage + " " + d.op + ": \"args\" is not a list");
                if (dj.contains("line")) d.line = dj.at("line").get<int>();
                s.directives.push_back(std::move(d));
            }
            f.stages.push_back(std::move(s));
        }
        p.funcs.push_back(std::move(f));
    }
    return p;
}

json schedule_to_json(const ScheduleFile& file) {
    const ScheduleStamps& s = file.stamps;
    json pipelines = json::object();
    for (const auto& [name, p] : file.pipelines) pipelines[name] = pipeline_schedule_to_json(p);
    return {{"format", "nnc-schedule"},
            {"format_version", ScheduleFile::kFormatVersion},
            {"comment", "machine written by nnc --save-schedule; applied only while every stamp matches the build"},
            {"stamps",
             {{"nnc_version", s.nnc_version},
              {"halide_version", s.halide_version},
              {"target", s.target},
              {"scheduler", s.scheduler},
              {"scheduler_params", s.scheduler_params},
              {"graph_hash", s.graph_hash}}},
            {"pipelines", pipelines}};
}

ScheduleFile schedule_from_json(const json& j, const std::string& origin) {
    if (!j.is_object() || j.value("format", "") != "nnc-schedule")
        malformed(origin, "\"format\" is not \"nnc-schedule\"");
    const int version = j.value("format_version", 0);
    if (version != ScheduleFile::kFormatVersion)
        malformed(origin, "format_version " + std::to_string(version) + " (this nnc reads " +
                              std::to_string(ScheduleFile::kFormatVersion) + ")");
    ScheduleFile f;
    const json& st = field(j, "stamps", origin, "the file");
    f.stamps.nnc_version = string_field(st, "nnc_version", origin, "stamps");
    f.stamps.halide_version = string_field(st, "halide_version", origin, "stamps");
    f.stamps.target = string_field(st, "target", origin, "stamps");
    f.stamps.scheduler = string_field(st, "scheduler", origin, "stamps");
    f.stamps.graph_hash = string_field(st, "graph_hash", origin, "stamps");
    if (st.contains("scheduler_params")) f.stamps.scheduler_params = st.at("scheduler_params");
    const json& pipelines = field(j, "pipelines", origin, "the file");
    if (!pipelines.is_object()) malformed(origin, "\"pipelines\" is not an object");
    for (auto& [name, pj] : pipelines.items())
        f.pipelines[name] = pipeline_schedule_from_json(pj, origin + ": pipeline '" + name + "'");
    return f;
}

ScheduleFile read_schedule_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read the schedule " + path);
    json j;
    try {
        j = json::parse(in);
    } catch (const json::parse_error& e) {
        throw std::runtime_error(path + ": not valid JSON: " + e.what());
    }
    try {
        return schedule_from_json(j, path);
    } catch (const json::exception& e) {
        throw std::runtime_error(path + ": not a valid nnc schedule: " + e.what());
    }
}

void write_schedule_file(const std::string& path, const ScheduleFile& file) {
    const std::filesystem::path p(path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
    std::ofstream out(path);
    out << schedule_to_json(file).dump(2) << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write the schedule " + path);
}

}  // namespace nnc::codegen
