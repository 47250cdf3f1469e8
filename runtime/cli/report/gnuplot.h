// Runs gnuplot (Debian: gnuplot-nox) on a script, as a child process with no shell between.
#pragma once
#include <string>

namespace nnc::driver::report {

// Runs `gnuplot SCRIPT` with `dir` as its working directory, so a script names its data and
// output files relatively and no path of the user's is ever spelled inside it. Throws
// std::runtime_error with gnuplot's own messages if it fails, or with how to install it if it
// is missing.
void run_gnuplot(const std::string& dir, const std::string& script);

// `s` as a gnuplot single-quoted string (a quote inside is doubled; nothing else is special).
std::string gnuplot_quote(const std::string& s);

}  // namespace nnc::driver::report
