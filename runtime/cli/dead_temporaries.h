// What a writer killed in the middle of a save leaves behind: `<file>.tmp.<pid>`, the temporary
// every atomic write in a run folder renames over its file (nnc_model_save, config.json). Nothing
// else ever removes them, and a checkpoint's can be large.
#pragma once
#include <string>
#include <vector>

namespace nnc::driver {

// Removes from `folder` (not its subfolders) each `*.tmp.<pid>` whose writer no longer runs:
// kill(pid, 0) fails with ESRCH. A live writer's file, this process's own, and a pid that is
// alive under another user (EPERM) are left alone. Returns the names removed. Call it holding the
// folder's lock (run_folder_lock.h), so that no writer of ours can start meanwhile.
std::vector<std::string> remove_dead_temporaries(const std::string& folder);

}  // namespace nnc::driver
