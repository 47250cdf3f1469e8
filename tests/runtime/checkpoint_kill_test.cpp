// Atomic checkpoints under SIGKILL: a child process saves checkpoints in a loop and is killed at
// arbitrary moments; whatever moment it died, the checkpoint file loads (the previous complete one,
// or the new one), never a partial file.
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace {

TEST(CheckpointKill, KilledWhileSavingLeavesALoadableCheckpoint) {
    use_fake_model(FakeModel::classifier);
    TempDir dir;
    const std::string path = dir.file("last.ckpt");
    {
        ModelPtr m = create_model();
        ASSERT_EQ(nnc_model_init(m.get(), 1), NNC_OK);
        ASSERT_EQ(nnc_model_save(m.get(), path.c_str()), NNC_OK) << nnc_last_error();
    }
    for (int round = 0; round < 20; ++round) {
        const pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            nnc_model* m = nullptr;
            if (nnc_model_create(&m) != NNC_OK) _exit(1);
            for (uint64_t i = 0;; ++i) {
                nnc_model_init(m, i);
                if (nnc_model_save(m, path.c_str()) != NNC_OK) _exit(2);
            }
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200 + 397 * round));
        ASSERT_EQ(kill(child, SIGKILL), 0);
        int status = 0;
        ASSERT_EQ(waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status)) << "the saving child stopped on its own with status " << status;

        ModelPtr m = create_model();
        EXPECT_EQ(nnc_model_load(m.get(), path.c_str()), NNC_OK) << "round " << round << ": " << nnc_last_error();
    }
}

}  // namespace
