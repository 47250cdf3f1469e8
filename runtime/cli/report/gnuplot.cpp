#include "runtime/cli/report/gnuplot.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nnc::driver::report {

void run_gnuplot(const std::string& dir, const std::string& script) {
    const std::string log = dir + "/gnuplot.log";
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("cannot start gnuplot (fork failed)");
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        if (chdir(dir.c_str()) != 0) _exit(126);
        const int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        const int null_in = open("/dev/null", O_RDONLY);
        if (null_in >= 0) dup2(null_in, 0);
        char* const argv[] = {const_cast<char*>("gnuplot"), const_cast<char*>(script.c_str()), nullptr};
        execvp("gnuplot", argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw std::runtime_error("lost the gnuplot process (waitpid failed)");
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw std::runtime_error(
            "gnuplot is not installed or not on PATH; nnc report draws its plots with it "
            "(Debian: apt-get install gnuplot-nox, or run scripts/setup.sh)");
    std::ifstream in(log);
    std::stringstream messages;
    messages << in.rdbuf();
    throw std::runtime_error("gnuplot failed on " + script + " (an nnc bug; please report it with the run folder):\n" +
                             messages.str());
}

std::string gnuplot_quote(const std::string& s) {
    std::string out = "'";
    for (const char c : s) {
        if (c == '\'')
            out += "''";
        else if (c == '\n' || c == '\r')
            out += ' ';
        else
            out += c;
    }
    return out + "'";
}

}  // namespace nnc::driver::report
