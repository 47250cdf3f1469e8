// The machine's floating-point peak as it is right now: a register-only multiply-add loop, the
// widest vector this build's target has, on a number of threads. The figures of
// tests/bench/compare.sh are read against it, measured in the same run, slice by slice.
#pragma once

// Runs the loop on `threads` threads for about `seconds` (at least one chunk each) and returns the
// floating-point operations done (2 per multiply-add lane); *elapsed gets the wall time.
double fma_flops(double seconds, int threads, double* elapsed);
