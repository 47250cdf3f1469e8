// The CSV reader on arbitrary text, with each column selection a user can ask for (no target,
// target "y", targets "y" and "x1", named features); the class conversion runs on every table
// read with one target.
#include "runtime/csv_reader.h"
#include "runtime/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nnc::runtime;
    const std::string text(reinterpret_cast<const char*>(data), size);
    CsvOptions selections[4];
    selections[1].targets = {"y"};
    selections[2].targets = {"y", "x1"};
    selections[3].targets = {"y"}, selections[3].features = {"x2", "x1"};
    for (const CsvOptions& options : selections) {
        try {
            const CsvTable table = parse_csv(text, "fuzz.csv", options);
            if (table.features.size() != static_cast<size_t>(table.rows) * table.feature_names.size()) __builtin_trap();
            if (table.targets.size() != static_cast<size_t>(table.rows) * table.target_names.size()) __builtin_trap();
            if (table.target_names.size() == 1) csv_class_targets(table);
        } catch (const Error&) {}
    }
    return 0;
}
