#include "runtime/cli/run_config.h"

#include <stdexcept>

namespace nnc::driver {
namespace {

using nlohmann::json;

// NaN and infinities are not JSON: none of these fields holds one.
json schedule_json(const nnc_lr_schedule& s) {
    return {{"kind", s.kind},
            {"factor", s.factor},
            {"every", s.every},
            {"milestones", std::vector<int64_t>(s.milestones, s.milestones + s.num_milestones)},
            {"epochs", s.epochs},
            {"min_lr", s.min_lr},
            {"monitor", s.monitor},
            {"mode", s.mode},
            {"patience", s.patience},
            {"cooldown", s.cooldown},
            {"threshold", s.threshold},
            {"threshold_abs", s.threshold_abs},
            {"warmup_steps", s.warmup_steps},
            {"warmup_epochs", s.warmup_epochs},
            {"warmup_start", s.warmup_start}};
}

// Reads json[key] into `into`, naming the key on failure.
template <class T>
void get(const json& j, const char* key, T& into, const std::string& where) {
    const auto it = j.find(key);
    if (it == j.end())
        throw std::runtime_error(where + ": missing \"" + key + "\"; restore the file or start a new run");
    try {
        into = it->template get<T>();
    } catch (const json::exception&) {
        throw std::runtime_error(where + ": \"" + key + "\" has the wrong type (" + it->dump() + ")");
    }
}

}  // namespace

json to_json(const RunConfig& c) {
    const nnc_train_config& t = c.train;
    const nnc_optimizer_config& o = c.optimizer;
    return {
        {"format", 1},
        {"model", c.model},
        {"scheduler", c.scheduler},
        {"data",
         {{"path", c.data.path},
          {"targets", c.data.targets},
          {"features", c.data.features},
          {"validation_data", c.data.validation_data},
          {"validation_targets", c.data.validation_targets},
          {"validation", c.validation},
          {"limit", c.data.limit ? *c.data.limit : 0},
          {"standardize", c.data.standardize}}},
        {"train",
         {{"epochs", t.epochs},
          {"batch", t.batch},
          {"seed", t.seed},
          {"schedule", schedule_json(t.schedule)},
          {"clip_norm", t.clip_norm},
          {"clip_value", t.clip_value},
          {"early_stopping",
           {{"enabled", t.early_stopping.enabled},
            {"monitor", t.early_stopping.monitor},
            {"mode", t.early_stopping.mode},
            {"patience", t.early_stopping.patience},
            {"min_delta", t.early_stopping.min_delta}}},
          {"accumulate", t.accumulate},
          {"augment_crop_pad", t.augment_crop_pad},
          {"augment_flip", t.augment_flip},
          {"on_divergence", t.on_divergence},
          {"divergence_factor", t.divergence_factor},
          {"divergence_retries", t.divergence_retries},
          {"explode_factor", t.explode_factor},
          {"threads", t.threads}}},
        {"optimizer",
         {{"name", c.optimizer_name},
          {"lr", o.lr},
          {"momentum", o.momentum},
          {"nesterov", o.nesterov},
          {"beta1", o.beta1},
          {"beta2", o.beta2},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"rho", o.rho},
          {"alpha", o.alpha},
          {"centered", o.centered},
          {"lr_decay", o.lr_decay},
          {"initial_accumulator_value", o.initial_accumulator_value}}},
        {"dropout", c.dropout},
    };
}

RunConfig run_config_from_json(const json& j, const std::string& path) {
    const std::string where = "'" + path + "'";
    RunConfig c;
    get(j, "model", c.model, where);
    get(j, "scheduler", c.scheduler, where);
    json d, t, o, s, es;
    get(j, "data", d, where);
    get(j, "train", t, where);
    get(j, "optimizer", o, where);
    if (j.contains("dropout")) get(j, "dropout", c.dropout, where);  // absent before run-time dropout rates
    const std::string dw = where + " data", tw = where + " train", ow = where + " optimizer";
    get(d, "path", c.data.path, dw);
    get(d, "targets", c.data.targets, dw);
    get(d, "features", c.data.features, dw);
    get(d, "validation_data", c.data.validation_data, dw);
    get(d, "validation_targets", c.data.validation_targets, dw);
    get(d, "validation", c.validation, dw);
    int64_t limit = 0;
    get(d, "limit", limit, dw);
    if (limit > 0) c.data.limit = limit;
    get(d, "standardize", c.data.standardize, dw);

    nnc_train_config& tc = c.train;
    get(t, "epochs", tc.epochs, tw);
    get(t, "batch", tc.batch, tw);
    get(t, "seed", tc.seed, tw);
    get(t, "clip_norm", tc.clip_norm, tw);
    get(t, "clip_value", tc.clip_value, tw);
    get(t, "accumulate", tc.accumulate, tw);
    if (t.contains("augment_crop_pad"))
        get(t, "augment_crop_pad", tc.augment_crop_pad, tw);  // runs before augmentation existed have none
    if (t.contains("augment_flip")) get(t, "augment_flip", tc.augment_flip, tw);
    // Runs before the divergence policy (ABI 4) have none: they stopped on divergence.
    if (t.contains("on_divergence")) get(t, "on_divergence", tc.on_divergence, tw);
    if (t.contains("divergence_factor")) get(t, "divergence_factor", tc.divergence_factor, tw);
    if (t.contains("divergence_retries")) get(t, "divergence_retries", tc.divergence_retries, tw);
    if (t.contains("explode_factor")) get(t, "explode_factor", tc.explode_factor, tw);
    get(t, "threads", tc.threads, tw);
    get(t, "schedule", s, tw);
    const std::string sw = tw + " schedule";
    nnc_lr_schedule& ls = tc.schedule;
    get(s, "kind", ls.kind, sw);
    get(s, "factor", ls.factor, sw);
    get(s, "every", ls.every, sw);
    std::vector<int64_t> milestones;
    get(s, "milestones", milestones, sw);
    if (milestones.size() > NNC_MAX_MILESTONES) throw std::runtime_error(sw + ": too many milestones");
    ls.num_milestones = static_cast<int>(milestones.size());
    for (size_t i = 0; i < milestones.size(); ++i) ls.milestones[i] = milestones[i];
    get(s, "epochs", ls.epochs, sw);
    get(s, "min_lr", ls.min_lr, sw);
    get(s, "monitor", ls.monitor, sw);
    get(s, "mode", ls.mode, sw);
    get(s, "patience", ls.patience, sw);
    get(s, "cooldown", ls.cooldown, sw);
    get(s, "threshold", ls.threshold, sw);
    get(s, "threshold_abs", ls.threshold_abs, sw);
    get(s, "warmup_steps", ls.warmup_steps, sw);
    get(s, "warmup_epochs", ls.warmup_epochs, sw);
    get(s, "warmup_start", ls.warmup_start, sw);
    get(t, "early_stopping", es, tw);
    const std::string ew = tw + " early_stopping";
    get(es, "enabled", tc.early_stopping.enabled, ew);
    get(es, "monitor", tc.early_stopping.monitor, ew);
    get(es, "mode", tc.early_stopping.mode, ew);
    get(es, "patience", tc.early_stopping.patience, ew);
    get(es, "min_delta", tc.early_stopping.min_delta, ew);

    nnc_optimizer_config& oc = c.optimizer;
    get(o, "name", c.optimizer_name, ow);
    get(o, "lr", oc.lr, ow);
    get(o, "momentum", oc.momentum, ow);
    get(o, "nesterov", oc.nesterov, ow);
    get(o, "beta1", oc.beta1, ow);
    get(o, "beta2", oc.beta2, ow);
    get(o, "eps", oc.eps, ow);
    get(o, "weight_decay", oc.weight_decay, ow);
    get(o, "rho", oc.rho, ow);
    get(o, "alpha", oc.alpha, ow);
    get(o, "centered", oc.centered, ow);
    get(o, "lr_decay", oc.lr_decay, ow);
    get(o, "initial_accumulator_value", oc.initial_accumulator_value, ow);
    return c;
}

}  // namespace nnc::driver
