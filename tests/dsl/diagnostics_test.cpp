// Diagnostics rendering: location, quoted line, caret and underline, notes, ordering.
#include <gtest/gtest.h>

#include "dsl/diagnostics.h"
#include "dsl/nearest.h"

namespace nnc::dsl {
namespace {

TEST(Diagnostics, RendersLineCaretAndNotes) {
    SourceFile f("m.nn", "model m {\n  fc1 = dens(x)\n}\n");
    Diagnostics d;
    d.error(f, {{2, 9}, 4}, "unknown layer 'dens'").help("did you mean 'dense'?").note("known layers: dense, relu");
    EXPECT_EQ(d.error_count(), 1);
    EXPECT_EQ(d.render(),
              "m.nn:2:9: error: unknown layer 'dens'\n"
              " 2 |   fc1 = dens(x)\n"
              "   |         ^~~~\n"
              "help: did you mean 'dense'?\n"
              "note: known layers: dense, relu\n");
}

TEST(Diagnostics, LocatedNoteQuotesItsOwnLine) {
    SourceFile f("m.nn", "a\nb\n");
    Diagnostics d;
    d.error(f, {{2, 1}, 1}, "'b' is already defined").note({{1, 1}, 1}, "first defined here");
    EXPECT_EQ(d.render(),
              "m.nn:2:1: error: 'b' is already defined\n"
              " 2 | b\n"
              "   | ^\n"
              "m.nn:1:1: note: first defined here\n"
              " 1 | a\n"
              "   | ^\n");
}

TEST(Diagnostics, SortedBySourcePositionAndUnderlineClamped) {
    SourceFile f("m.nn", "abc\n\tdef\n");
    Diagnostics d;
    d.error(f, {{2, 2}, 50}, "second");
    d.error(f, {{1, 2}, 1}, "first");
    EXPECT_EQ(d.render(),
              "m.nn:1:2: error: first\n"
              " 1 | abc\n"
              "   |  ^\n"
              "m.nn:2:2: error: second\n"
              " 2 | \tdef\n"
              "   | \t^~~\n");
}

TEST(Diagnostics, FileLevelError) {
    Diagnostics d;
    d.error("missing.nn", "cannot open 'missing.nn'");
    EXPECT_EQ(d.render(), "missing.nn: error: cannot open 'missing.nn'\n");
}

TEST(Nearest, EditDistanceAndSuggestions) {
    EXPECT_EQ(edit_distance("dens", "dense"), 1);
    EXPECT_EQ(edit_distance("rleu", "relu"), 1);  // adjacent swap
    EXPECT_EQ(edit_distance("", "abc"), 3);
    EXPECT_EQ(nearest_match("dens", {"dense", "relu"}), "dense");
    EXPECT_EQ(nearest_match("optimiser", {"optimizer", "batch"}), "optimizer");
    EXPECT_EQ(nearest_match("x", {"y"}), std::nullopt);
    EXPECT_EQ(nearest_match("completely_different", {"dense"}), std::nullopt);
}

}  // namespace
}  // namespace nnc::dsl
