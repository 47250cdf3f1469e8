// Runs one of the torch reference scripts once and reads its output: one line of numbers per
// config. Empty when /usr/bin/python3 has no torch (the tests then skip); `log` receives the
// script's exit status and stderr for failure messages.
#pragma once
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

inline bool torch_available() {
    static const bool ok = std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
    return ok;
}

inline std::vector<std::vector<double>> run_torch_reference(const std::string& script, const std::string& args,
                                                            std::string* log) {
    std::vector<std::vector<double>> out;
    if (!torch_available()) return out;
    char err_path[] = "/tmp/nnc_torch_reference.XXXXXX";
    const int fd = mkstemp(err_path);
    if (fd >= 0) close(fd);
    const std::string command = "/usr/bin/python3 " + script + " " + args + " 2>" + err_path;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return out;
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
    const int status = pclose(pipe);
    std::ifstream err(err_path);
    if (log)
        *log = "exit status " + std::to_string(status) + "; stderr:\n" +
               std::string(std::istreambuf_iterator<char>(err), {});
    std::remove(err_path);
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream values(line);
        out.emplace_back();
        for (double v; values >> v;) out.back().push_back(v);
    }
    return out;
}
