#!/usr/bin/env bash
# The sanitizer half of CI: builds nnc with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DNNC_SANITIZE=address,undefined) into build-asan/ and runs the tests of nnc's own code under
# them. Any report fails the run (no recovery). scripts/test.sh calls this after the normal suite.
#
# Which tests: every test executable that exercises our code on inputs — the front end
# (nnc_dsl_tests, nnc_dsl_golden_tests), the runtime (nnc_runtime_tests: loaders, checkpoints,
# optimizers, the training loop over a hand-written model), and the nnc binary end to end
# (cli_tests, cli_data_tests, check_macs_tests: compile, train, resume, eval, predict, error
# paths; robustness_cli_tests: the bad-input corpus and SIGKILL/resume). Left out: codegen_tests
# (gradient checks and PyTorch comparisons: minutes of Halide JIT compilation whose time is spent
# in libHalide/LLVM, which are not instrumented), the benchmarks, and the CUDA/GPU and dropout
# demonstration tests (long trainings of generated code, which is Halide's, not instrumented).
#
# Model libraries built by the sanitized nnc carry the sanitized runtime; they load into the
# sanitized processes that use them here. They are cached apart (XDG_CACHE_HOME) so that an
# uninstrumented nnc never picks one up.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f build-asan/CMakeCache.txt ]; then
  cmake -S . -B build-asan "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DNNC_SANITIZE=address,undefined
fi
targets=(nnc_dsl_tests nnc_dsl_golden_tests nnc_runtime_tests cli_tests cli_data_tests check_macs_tests robustness_cli_tests)
cmake --build build-asan --parallel "$(nproc)" --target "${targets[@]}"

export XDG_CACHE_HOME="$PWD/build-asan/cache"
# Leaks: LLVM and Halide keep global state alive at exit by design (lsan.supp names them);
# everything else that leaks is a finding.
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
# use_tls=0: LeakSanitizer's scan of thread-local storage crashes ("Tracer caught signal 11")
# after a model library that used thread_local (nnc_last_error) was dlclose'd; without the TLS
# roots a leak can only be over-reported, never hidden.
export LSAN_OPTIONS="suppressions=$PWD/tests/robustness/lsan.supp:print_suppressions=0:use_tls=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Only the executables built above (gtest_discover_tests registers a *_NOT_BUILT placeholder
# for the others; install_apps and saved_schedules need targets not built here); the SIGKILL test
# runs in the normal suite only (its 20 trainings are generated code's time, not ours).
ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" --timeout 900 \
  -E '_NOT_BUILT|install_apps|saved_schedules|KillTrain' "$@"

# libFuzzer: every target for 20 s from its seeds (tests/fuzz/ci.sh).
tests/fuzz/ci.sh 20
