// Folders a test writes in: made empty when it starts, removed when it ends.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace nnc::test {

// <tmp>/<name>, empty (what a crashed run left there is removed first), removed with this object.
// A suite that shares one folder keeps it in a static std::optional.
class ScratchFolder {
public:
    explicit ScratchFolder(const std::string& name) : dir_(std::filesystem::temp_directory_path() / name) {
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    ~ScratchFolder() {
        std::error_code ignored;  // a destructor must not throw; the folder is in <tmp>
        std::filesystem::remove_all(dir_, ignored);
    }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

private:
    std::filesystem::path dir_;
};

// A fixture whose every test runs in an empty folder of its own: the working directory while the
// test runs (relative outputs land there, and "nothing was written" can be checked), removed
// afterwards.
class InScratchFolder : public ::testing::Test {
protected:
    // The folder is <tmp>/<prefix><pid>_<test name>.
    explicit InScratchFolder(std::string prefix) : prefix_(std::move(prefix)) {}

    void SetUp() override {
        folder_.emplace(prefix_ + std::to_string(::getpid()) + "_" +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
        dir_ = folder_->dir();
        old_ = std::filesystem::current_path();
        std::filesystem::current_path(dir_);
    }
    void TearDown() override {
        std::filesystem::current_path(old_);
        folder_.reset();
    }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    std::filesystem::path dir_, old_;

private:
    std::string prefix_;
    std::optional<ScratchFolder> folder_;
};

}  // namespace nnc::test
