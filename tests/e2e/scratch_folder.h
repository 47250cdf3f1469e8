// A fixture whose every test runs in an empty folder of its own: the working directory while the
// test runs (relative outputs land there, and "nothing was written" can be checked), removed
// afterwards.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

namespace nnc::test {

class InScratchFolder : public ::testing::Test {
protected:
    // The folder is <tmp>/<prefix><pid>_<test name>.
    explicit InScratchFolder(std::string prefix) : prefix_(std::move(prefix)) {}

    void SetUp() override {
        dir_ =
            std::filesystem::temp_directory_path() / (prefix_ + std::to_string(::getpid()) + "_" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        old_ = std::filesystem::current_path();
        std::filesystem::current_path(dir_);
    }
    void TearDown() override {
        std::filesystem::current_path(old_);
        std::filesystem::remove_all(dir_);
    }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    std::filesystem::path dir_, old_;

private:
    std::string prefix_;
};

}  // namespace nnc::test
