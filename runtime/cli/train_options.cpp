// The options of nnc train (and nnc train --sanity) on the command line.
#include <nnc/train_vocabulary.h>

#include <limits>

#include "runtime/cli/option_ranges.h"
#include "runtime/cli/train_command.h"

namespace nnc::driver {
namespace {

// Every numeric option is checked for its range as it is parsed, before anything is compiled,
// loaded or written (option_ranges.h).
constexpr double kLargest = std::numeric_limits<double>::max();
// The kernels compute in float: a larger lr would be infinite there.
constexpr double kLargestLr = std::numeric_limits<float>::max();

// The training settings, each overriding the model's train section.
void add_settings(CLI::App& tr, TrainOptions& o) {
    tr.add_option("--epochs", o.epochs, "epochs (default: the model's train section)")->check(whole_number(1));
    tr.add_option("--batch", o.batch, "batch size")->check(whole_number(1));
    tr.add_option("--lr", o.lr, "learning rate")->check(real_number(0, kLargestLr, Excluded::min));
    tr.add_option("--optimizer", o.optimizer,
                  vocab::either(vocab::optimizer_names()) +
                      ", or one with its settings as the train section writes it (sgd(lr=0.1, nesterov=true)); a "
                      "name means what it means in a .nn file: its defaults there, so sgd has momentum 0.9 (another "
                      "optimizer than the model's), or the model's own settings (its optimizer)");
    tr.add_option("--momentum", o.momentum, "the optimizer's momentum, in [0, 1) (sgd and rmsprop)")
        ->check(real_number(0, 1, Excluded::max));
    tr.add_option("--weight-decay", o.weight_decay,
                  "the optimizer's weight decay (an L2 penalty; adamw: decoupled), 0 or more")
        ->check(real_number(0, kLargest));
    tr.add_option(
        "--schedule", o.lr_schedule,
        "lr schedule, as in the train section: constant, step(every=10, factor=0.5), multistep(milestones=[30, 60]), "
        "exponential(gamma=0.95), cosine(epochs=20, min_lr=1e-5), reduce_on_plateau(monitor=val_loss, factor=0.3, "
        "patience=3)");
    tr.add_option("--warmup", o.warmup,
                  "linear warm-up over this many updates (0: none), or as the train section writes it: "
                  "warmup(epochs=2, start=0.1)")
        ->check(whole_number_or_call(0));
    tr.add_option("--clip-norm", o.clip_norm, "clip the global gradient L2 norm to this (0: off)")
        ->check(real_number(0, kLargest));
    tr.add_option("--clip-value", o.clip_value, "clamp every gradient to [-v, v] (0: off)")
        ->check(real_number(0, kLargest));
    tr.add_option("--on-divergence", o.on_divergence,
                  "a NaN, infinite or exploding loss: stop (the default) or rollback(factor=0.3, retries=3) to the "
                  "start of the epoch with the lr cut by factor, as the train section's on_divergence");
    tr.add_option("--early-stopping", o.early_stopping,
                  "stop when the monitored metric stops improving and keep the best weights, as the train section "
                  "writes it: early_stopping(monitor=val_accuracy, mode=max, patience=5, min_delta=0.001)");
    tr.add_option("--early-stopping-patience", o.early_stopping_patience,
                  "stop after this many epochs without improvement and keep the best weights")
        ->check(whole_number(0));
    tr.add_option("--accumulate", o.accumulate, "batches whose gradients make one update")->check(whole_number(1));
    tr.add_option("--dropout", o.dropout,
                  "dropout rate in [0, 1) for every dropout layer (0: off), or name=rate pairs, comma-separated "
                  "(drop1=0.2,drop2=0.5); set at run time, no recompiling (default: the .nn file's rates)");
    tr.add_option(
          "--augment-crop", o.augment_crop,
          "augment image inputs [C, H, W]: shift each by up to this many pixels, zeros filling in (RandomCrop padding)")
        ->check(whole_number(0, std::numeric_limits<int>::max()));
    tr.add_flag("--augment-flip", o.augment_flip, "augment image inputs: mirror left-right with probability 1/2");
    tr.add_option("--threads", o.threads, "threads for the training step and the parameter update (0: this machine's)")
        ->check(whole_number(0, 256));
    tr.add_option("--seed", o.seed, "seed for initialization and shuffling")->check(unsigned_number());
    tr.add_option("--validation", o.validation, "training samples held out for validation")->check(whole_number(0));
}

// The run folder, checkpoints and what is recorded.
void add_run_options(CLI::App& tr, TrainOptions& o) {
    tr.add_option("--save", o.save, "write the trained parameters to this checkpoint");
    tr.add_option("--load", o.load, "start from this checkpoint instead of initializing");
    tr.add_option(
        "--out", o.out,
        "the run folder (default runs/<model>-<YYYYmmdd-HHMMSS>): config.json, metrics.jsonl, last.ckpt, best.ckpt");
    tr.add_option(
        "--resume", o.resume,
        "continue the run in this folder exactly where it stopped (its config.json and last.ckpt); --epochs may raise "
        "the total");
    tr.add_option("--metrics-every", o.metrics_every,
                  "batches between step lines in metrics.jsonl (default 50; 0: epochs only)")
        ->check(whole_number(0));
    tr.add_flag("--no-diagnostics", o.no_diagnostics,
                "no diagnoses during training (sharpening probe, overfitting, loss-curve shape, ...): nothing measured "
                "or printed");
}

}  // namespace

CLI::App* add_train_command(CLI::App& app, TrainOptions& o, const std::vector<std::string>& schedulers) {
    CLI::App* tr = app.add_subcommand(
        "train",
        "train a model (.nn or .so) on Fashion-MNIST IDX files, a CSV file or .npy files, writing a run folder "
        "(Ctrl-C, SIGTERM or SIGHUP saves last.ckpt and exits with status 130, 143 or 129; --resume continues)");
    tr->add_option("model", o.model, "the .nn file or compiled .so (not with --resume)");
    add_settings(*tr, o);
    add_data_options(*tr, o.data, DataUse::training);
    add_run_options(*tr, o);
    auto* scheduler = tr->add_option("--scheduler", o.compile.scheduler,
                                     "template (default: each layer's hand schedule) or a Halide autoscheduler: "
                                     "Mullapudi2016, Adams2019 (greedy), Li2018");
    if (!schedulers.empty()) scheduler->check(CLI::IsMember(schedulers));
    tr->add_option("--parallelism", o.compile.parallelism, "threads the schedule targets (default: this machine's)")
        ->check(whole_number(0, std::numeric_limits<int>::max()));
    tr->add_flag(
        "--sanity", o.sanity,
        "check before training, writing nothing: the initial loss against its expected value (ln C for C classes), "
        "then overfit the first --sanity-samples samples; exit status 0 on PASS, 1 on FAIL (--epochs, --batch, "
        "--validation, --schedule and the other training settings do not apply)");
    tr->add_option("--sanity-samples", o.sanity_samples, "samples --sanity overfits (default 64)")
        ->check(whole_number(1));
    return tr;
}

}  // namespace nnc::driver
