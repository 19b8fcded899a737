// Specification of the workload language parser (parser.cc, format.cc).
//
// Each test states one rule of shared/docs/workload-language.md as input text
// and the exact Script or exact "FILE:LINE:COLUMN: REASON" message it gives.
// The last tests feed random bytes and mutated scripts and check only that
// every input ends in a Script or a located message; they print their seed
// and replay it from RMAPLAB_SEED.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "rmaplab/script.h"

namespace rmaplab {
namespace {

Script parse_ok(std::string_view text) {
  Result<Script> r = parse_script(text, "ex.rml");
  EXPECT_TRUE(r.ok()) << "for:\n" << text << "\ngot: " << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Script{};
}

std::string parse_error(std::string_view text) {
  Result<Script> r = parse_script(text, "ex.rml");
  return r.ok() ? "(parsed without error)" : r.error().message;
}

// The one operation of `spawn P` followed by `line`.
Op parse_one(const std::string& line) {
  Script s = parse_ok("spawn P\n" + line + "\n");
  EXPECT_EQ(s.ops.size(), 2u) << line;
  return s.ops.size() == 2 ? s.ops[1] : Op{};
}

// ---------------------------------------------------------------------------
// Operations and their fields

TEST(ParseScript, SpawnCreatesSlotZero) {
  Script s = parse_ok("spawn P\n");
  EXPECT_EQ(s.file, "ex.rml");
  ASSERT_EQ(s.procs, std::vector<std::string>{"P"});
  ASSERT_EQ(s.ops.size(), 1u);
  const Op& op = s.ops[0];
  EXPECT_EQ(op.verb, Verb::spawn);
  EXPECT_EQ(op.line, 1);
  EXPECT_EQ(op.column, 1);
  EXPECT_EQ(op.arg_column, 7);  // the name
  EXPECT_EQ(op.proc, 0);
  EXPECT_EQ(op.child, -1);
}

TEST(ParseScript, MmapWithAllArguments) {
  //                     123456789012345678901
  const Op op = parse_one("P mmap 0 16 r shared");
  EXPECT_EQ(op.verb, Verb::mmap);
  EXPECT_EQ(op.line, 2);
  EXPECT_EQ(op.column, 1);
  EXPECT_EQ(op.arg_column, 8);
  EXPECT_EQ(op.proc, 0);
  EXPECT_EQ(op.a, 0u);
  EXPECT_EQ(op.n, 16u);
  EXPECT_EQ(op.prot, Prot::r);
  EXPECT_TRUE(op.shared);
}

TEST(ParseScript, MmapDefaultsToPrivateReadWrite) {
  const Op op = parse_one("P mmap 4 2");
  EXPECT_EQ(op.a, 4u);
  EXPECT_EQ(op.n, 2u);
  EXPECT_EQ(op.prot, Prot::rw);
  EXPECT_FALSE(op.shared);
}

TEST(ParseScript, MmapSharedAloneMeansReadWriteShared) {
  const Op op = parse_one("P mmap 0 4 shared");
  EXPECT_EQ(op.prot, Prot::rw);
  EXPECT_TRUE(op.shared);
}

TEST(ParseScript, MmapAcceptsEveryProt) {
  for (Prot p : {Prot::none, Prot::r, Prot::rx, Prot::rw, Prot::rwx}) {
    const Op op = parse_one("P mmap 0 1 " + std::string(to_string(p)));
    EXPECT_EQ(op.prot, p) << to_string(p);
    EXPECT_FALSE(op.shared);
  }
}

TEST(ParseScript, Munmap) {
  const Op op = parse_one("P munmap 3 5");
  EXPECT_EQ(op.verb, Verb::munmap);
  EXPECT_EQ(op.a, 3u);
  EXPECT_EQ(op.n, 5u);
  EXPECT_EQ(op.arg_column, 10);
}

TEST(ParseScript, MprotectAcceptsEveryProt) {
  for (Prot p : {Prot::none, Prot::r, Prot::rx, Prot::rw, Prot::rwx}) {
    const Op op = parse_one("P mprotect 1 2 " + std::string(to_string(p)));
    EXPECT_EQ(op.verb, Verb::mprotect);
    EXPECT_EQ(op.a, 1u);
    EXPECT_EQ(op.n, 2u);
    EXPECT_EQ(op.prot, p) << to_string(p);
  }
}

TEST(ParseScript, Mremap) {
  const Op op = parse_one("P mremap 0 4 100 8");
  EXPECT_EQ(op.verb, Verb::mremap);
  EXPECT_EQ(op.a, 0u);
  EXPECT_EQ(op.n, 4u);
  EXPECT_EQ(op.b, 100u);
  EXPECT_EQ(op.m, 8u);
}

TEST(ParseScript, MadviseAcceptsEveryAdvice) {
  for (Advice a : {Advice::dontneed, Advice::dontfork, Advice::dofork, Advice::wipeonfork,
                   Advice::keeponfork}) {
    const Op op = parse_one("P madvise 2 3 " + std::string(to_string(a)));
    EXPECT_EQ(op.verb, Verb::madvise);
    EXPECT_EQ(op.a, 2u);
    EXPECT_EQ(op.n, 3u);
    EXPECT_EQ(op.advice, a) << to_string(a);
  }
}

TEST(ParseScript, WriteAndReadCountDefaultsToOne) {
  Op op = parse_one("P write 7");
  EXPECT_EQ(op.verb, Verb::write);
  EXPECT_EQ(op.a, 7u);
  EXPECT_EQ(op.n, 1u);
  EXPECT_EQ(op.arg_column, 9);
  op = parse_one("P write 7 3");
  EXPECT_EQ(op.n, 3u);
  op = parse_one("P read 9");
  EXPECT_EQ(op.verb, Verb::read);
  EXPECT_EQ(op.a, 9u);
  EXPECT_EQ(op.n, 1u);
  op = parse_one("P read 9 2");
  EXPECT_EQ(op.n, 2u);
}

TEST(ParseScript, ForkGivesParentAndChildSlots) {
  Script s = parse_ok("spawn P\nP fork C\n");
  ASSERT_EQ(s.procs, (std::vector<std::string>{"P", "C"}));
  const Op& op = s.ops[1];
  EXPECT_EQ(op.verb, Verb::fork);
  EXPECT_EQ(op.proc, 0);
  EXPECT_EQ(op.child, 1);
  EXPECT_EQ(op.arg_column, 8);
}

TEST(ParseScript, Exit) {
  Script s = parse_ok("spawn P\nP exit\n");
  const Op& op = s.ops[1];
  EXPECT_EQ(op.verb, Verb::exit);
  EXPECT_EQ(op.proc, 0);
  EXPECT_EQ(op.arg_column, 3);  // no argument: the verb
}

TEST(ParseScript, SlotsAreDenseInOrderOfCreation) {
  Script s = parse_ok(
      "spawn A\n"
      "A fork B\n"
      "spawn C\n"
      "B fork D\n"
      "D write 0\n");
  ASSERT_EQ(s.procs, (std::vector<std::string>{"A", "B", "C", "D"}));
  EXPECT_EQ(s.ops[3].proc, 1);
  EXPECT_EQ(s.ops[3].child, 3);
  EXPECT_EQ(s.ops[4].proc, 3);
}

TEST(ParseScript, ProcessNamesUseLettersDigitsAndUnderscores) {
  Script s = parse_ok("spawn _worker_2\nspawn Z9\n_worker_2 fork x\n");
  EXPECT_EQ(s.procs, (std::vector<std::string>{"_worker_2", "Z9", "x"}));
}

TEST(ParseScript, VerbWordsMayNameProcesses) {
  // Position decides: the first token is the process, the second the verb.
  Script s = parse_ok("spawn exit\nexit fork mmap\nmmap exit\n");
  EXPECT_EQ(s.procs, (std::vector<std::string>{"exit", "mmap"}));
  EXPECT_EQ(s.ops[2].verb, Verb::exit);
  EXPECT_EQ(s.ops[2].proc, 1);
}

// ---------------------------------------------------------------------------
// Lexical rules

TEST(ParseScript, EmptyScriptIsValid) {
  EXPECT_TRUE(parse_ok("").ops.empty());
  EXPECT_TRUE(parse_ok("\n\n   \n\t\n").ops.empty());
  EXPECT_TRUE(parse_ok("# nothing but a comment\n").ops.empty());
}

TEST(ParseScript, CommentsAndBlankLinesAreSkippedButCounted) {
  Script s = parse_ok(
      "# a workload\n"
      "\n"
      "spawn P   # the parent\n"
      "   \n"
      "P write 3# no space needed before '#'\n"
      "P mmap 0 1 r#shared is commented out\n");
  ASSERT_EQ(s.ops.size(), 3u);
  EXPECT_EQ(s.ops[0].line, 3);
  EXPECT_EQ(s.ops[1].line, 5);
  EXPECT_EQ(s.ops[1].a, 3u);
  EXPECT_EQ(s.ops[2].line, 6);
  EXPECT_FALSE(s.ops[2].shared);
}

TEST(ParseScript, TabsSeparateTokensAndCountAsOneColumn) {
  Script s = parse_ok("spawn\tP\n\tP\tmmap \t0\t4\n");
  const Op& op = s.ops[1];
  EXPECT_EQ(op.column, 2);
  EXPECT_EQ(op.arg_column, 10);
  EXPECT_EQ(op.n, 4u);
}

TEST(ParseScript, LastLineNeedsNoNewline) { EXPECT_EQ(parse_ok("spawn P\nP exit").ops.size(), 2u); }

TEST(ParseScript, AcceptsCrlfLineEndingsAndByteOrderMark) {
  Script s = parse_ok("\xef\xbb\xbfspawn P\r\nP mmap 0 4 r\r\n");
  ASSERT_EQ(s.ops.size(), 2u);
  EXPECT_EQ(s.ops[0].column, 1);
  EXPECT_EQ(s.ops[1].prot, Prot::r);
}

TEST(ParseScript, CommentsMayHoldUtf8Text) {
  EXPECT_EQ(parse_ok("spawn P # caf\xc3\xa9, \xe2\x86\x92 \xf0\x9f\x98\x80\n").ops.size(), 1u);
}

TEST(ParseScript, NumbersAreDecimalOrHex) {
  Op op = parse_one("P mremap 0x10 0xA 0xf 0xFF");
  EXPECT_EQ(op.a, 16u);
  EXPECT_EQ(op.n, 10u);
  EXPECT_EQ(op.b, 15u);
  EXPECT_EQ(op.m, 255u);
  // "0X" is not the hex prefix: it reads as a malformed decimal number.
  EXPECT_EQ(parse_error("spawn P\nP write 0X1\n"),
            "ex.rml:2:9: page '0X1' is not a number (write it in decimal, e.g. 42, or "
            "hexadecimal, e.g. 0x2a)");
  op = parse_one("P write 010");  // decimal, never octal
  EXPECT_EQ(op.a, 10u);
}

TEST(ParseScript, RangesMayReachTheLastPageOfTheArena) {
  Op op = parse_one("P mmap 0 0x1000000");
  EXPECT_EQ(op.n, kArenaPages);
  op = parse_one("P mmap 0xffffff 1");
  EXPECT_EQ(op.a, kArenaPages - 1);
  op = parse_one("P mremap 0 1 16777215 1");
  EXPECT_EQ(op.b, kArenaPages - 1);
  op = parse_one("P write 16777214 2");
  EXPECT_EQ(op.n, 2u);
}

// ---------------------------------------------------------------------------
// Script errors: exact "FILE:LINE:COLUMN: REASON"

TEST(ScriptErrors, UnknownOperationSuggestsTheClosestVerb) {
  EXPECT_EQ(parse_error("spawn P\n\n\nP mmapp 0 4\n"),
            "ex.rml:4:3: unknown operation 'mmapp' (did you mean 'mmap'?)");
  EXPECT_EQ(parse_error("spawn P\nP mprotet 0 4 r\n"),
            "ex.rml:2:3: unknown operation 'mprotet' (did you mean 'mprotect'?)");
  EXPECT_EQ(parse_error("spawn P\nP wirte 0\n"),
            "ex.rml:2:3: unknown operation 'wirte' (did you mean 'write'?)");
  EXPECT_EQ(parse_error("spawn P\nP MMAP 0 1\n"),
            "ex.rml:2:3: unknown operation 'MMAP' (did you mean 'mmap'?)");
}

TEST(ScriptErrors, UnknownOperationListsVerbsWhenNothingIsClose) {
  EXPECT_EQ(parse_error("spawn P\nP frobnicate 0 4\n"),
            "ex.rml:2:3: unknown operation 'frobnicate' (expected one of: mmap, munmap, "
            "mprotect, mremap, madvise, write, read, fork, exit)");
}

TEST(ScriptErrors, MissingOperation) {
  EXPECT_EQ(parse_error("spawn P\nP\n"),
            "ex.rml:2:1: missing operation after 'P' (expected one of: mmap, munmap, "
            "mprotect, mremap, madvise, write, read, fork, exit)");
}

TEST(ScriptErrors, SpawnStartsItsOwnLine) {
  EXPECT_EQ(parse_error("spawn P\nP spawn Q\n"),
            "ex.rml:2:3: 'spawn' cannot follow a process name (usage: spawn P; to create "
            "a child use P fork C)");
}

TEST(ScriptErrors, UnknownProcess) {
  EXPECT_EQ(parse_error("spawn P\nQ write 0\n"),
            "ex.rml:2:1: unknown process 'Q' (did you mean 'P'?)");
  EXPECT_EQ(parse_error("spawn parent\nchild write 0\n"),
            "ex.rml:2:1: unknown process 'child' (no spawn or fork creates it before this "
            "line)");
  EXPECT_EQ(parse_error("spwan P\n"),
            "ex.rml:1:1: unknown process 'spwan' (did you mean 'spawn'?)");
  EXPECT_EQ(parse_error("P write 0\nspawn P\n"),
            "ex.rml:1:1: unknown process 'P' (no spawn or fork creates it before this line)");
}

TEST(ScriptErrors, OperationWithoutProcess) {
  EXPECT_EQ(parse_error("spawn P\nmmap 0 4\n"),
            "ex.rml:2:1: unknown process 'mmap' (a line starts with the process name: "
            "P mmap A N [PROT] [shared])");
}

TEST(ScriptErrors, ProcessUsedAfterExit) {
  EXPECT_EQ(parse_error("spawn P\n"
                        "P fork Q\n"
                        "Q write 0\n"
                        "# Q is done\n"
                        "Q exit\n"
                        "P write 0\n"
                        "Q write 0\n"),
            "ex.rml:7:1: process 'Q' has exited (at line 5)");
  EXPECT_EQ(parse_error("spawn P\nP exit\nP exit\n"),
            "ex.rml:3:1: process 'P' has exited (at line 2)");
  EXPECT_EQ(parse_error("spawn P\nP exit\nP fork C\n"),
            "ex.rml:3:1: process 'P' has exited (at line 2)");
}

TEST(ScriptErrors, NameUsedTwice) {
  EXPECT_EQ(parse_error("spawn P\n\n  spawn P\n"),
            "ex.rml:3:9: 'P' is already used as a process name (line 1)");
  EXPECT_EQ(parse_error("spawn P\nspawn Q\nQ fork P\n"),
            "ex.rml:3:8: 'P' is already used as a process name (line 1)");
  EXPECT_EQ(parse_error("spawn P\nP fork C\nspawn C\n"),
            "ex.rml:3:7: 'C' is already used as a process name (line 2)");
  EXPECT_EQ(parse_error("spawn P\nP fork P\n"),
            "ex.rml:2:8: 'P' is already used as a process name (line 1)");
}

TEST(ScriptErrors, NamesAreNeverReusedEvenAfterExit) {
  EXPECT_EQ(parse_error("spawn P\nP exit\nspawn P\n"),
            "ex.rml:3:7: 'P' is already used as a process name (line 1)");
}

TEST(ScriptErrors, BadProcessName) {
  EXPECT_EQ(parse_error("spawn 1abc\n"),
            "ex.rml:1:7: '1abc' is not a valid process name (names match "
            "[A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(parse_error("spawn P\nP fork a-b\n"),
            "ex.rml:2:8: 'a-b' is not a valid process name (names match "
            "[A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(parse_error("42 write 0\n"),
            "ex.rml:1:1: '42' is not a valid process name (names match "
            "[A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(parse_error("spawn spawn\n"),
            "ex.rml:1:7: 'spawn' cannot be a process name (a line starting with it is a "
            "spawn)");
}

TEST(ScriptErrors, MissingArguments) {
  EXPECT_EQ(parse_error("spawn\n"),
            "ex.rml:1:1: 'spawn' is missing its process name P (usage: spawn P)");
  EXPECT_EQ(parse_error("spawn P\nP mmap\n"),
            "ex.rml:2:3: 'mmap' is missing its page A (usage: P mmap A N [PROT] [shared])");
  EXPECT_EQ(parse_error("spawn P\nP mmap 0\n"),
            "ex.rml:2:3: 'mmap' is missing its page count N (usage: P mmap A N [PROT] "
            "[shared])");
  EXPECT_EQ(parse_error("spawn P\nP munmap 0\n"),
            "ex.rml:2:3: 'munmap' is missing its page count N (usage: P munmap A N)");
  EXPECT_EQ(parse_error("spawn P\nP mprotect 0 1\n"),
            "ex.rml:2:3: 'mprotect' is missing its protection PROT (usage: P mprotect A N "
            "PROT)");
  EXPECT_EQ(parse_error("spawn P\nP mremap 0 1 2\n"),
            "ex.rml:2:3: 'mremap' is missing its new page count M (usage: P mremap A N B M)");
  EXPECT_EQ(parse_error("spawn P\nP mremap 0 1\n"),
            "ex.rml:2:3: 'mremap' is missing its destination page B (usage: P mremap A N B "
            "M)");
  EXPECT_EQ(parse_error("spawn P\nP madvise 0 1\n"),
            "ex.rml:2:3: 'madvise' is missing its advice ADVICE (usage: P madvise A N "
            "ADVICE)");
  EXPECT_EQ(parse_error("spawn P\nP write\n"),
            "ex.rml:2:3: 'write' is missing its page A (usage: P write A [N])");
  EXPECT_EQ(parse_error("spawn P\nP read\n"),
            "ex.rml:2:3: 'read' is missing its page A (usage: P read A [N])");
  EXPECT_EQ(parse_error("spawn P\nP fork\n"),
            "ex.rml:2:3: 'fork' is missing its child name C (usage: P fork C)");
}

TEST(ScriptErrors, TrailingTokens) {
  EXPECT_EQ(parse_error("spawn P Q\n"),
            "ex.rml:1:9: unexpected 'Q' at the end of the line (usage: spawn P)");
  EXPECT_EQ(parse_error("spawn P\nP exit now\n"),
            "ex.rml:2:8: unexpected 'now' at the end of the line (usage: P exit)");
  EXPECT_EQ(parse_error("spawn P\nP fork C D\n"),
            "ex.rml:2:10: unexpected 'D' at the end of the line (usage: P fork C)");
  EXPECT_EQ(parse_error("spawn P\nP munmap 0 1 2\n"),
            "ex.rml:2:14: unexpected '2' at the end of the line (usage: P munmap A N)");
  EXPECT_EQ(parse_error("spawn P\nP write 0 1 2\n"),
            "ex.rml:2:13: unexpected '2' at the end of the line (usage: P write A [N])");
  EXPECT_EQ(parse_error("spawn P\nP mremap 0 1 2 3 4\n"),
            "ex.rml:2:18: unexpected '4' at the end of the line (usage: P mremap A N B M)");
  EXPECT_EQ(parse_error("spawn P\nP mprotect 0 1 r w\n"),
            "ex.rml:2:18: unexpected 'w' at the end of the line (usage: P mprotect A N "
            "PROT)");
  EXPECT_EQ(parse_error("spawn P\nP madvise 0 1 dofork x\n"),
            "ex.rml:2:22: unexpected 'x' at the end of the line (usage: P madvise A N "
            "ADVICE)");
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 1 r shared shared\n"),
            "ex.rml:2:21: unexpected 'shared' at the end of the line (usage: P mmap A N "
            "[PROT] [shared])");
}

TEST(ScriptErrors, MmapProtAndShared) {
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 1 shared r\n"),
            "ex.rml:2:19: 'r' must come before 'shared' (usage: P mmap A N [PROT] [shared])");
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 1 rw shared r\n"),
            "ex.rml:2:22: unexpected 'r' at the end of the line (usage: P mmap A N [PROT] "
            "[shared])");
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 1 shard\n"),
            "ex.rml:2:12: unknown protection 'shard' (did you mean 'shared'?)");
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 1 rw shard\n"),
            "ex.rml:2:15: unexpected 'shard' at the end of the line (did you mean 'shared'?)");
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 1 private\n"),
            "ex.rml:2:12: unknown protection 'private' (expected one of: rw, r, rx, rwx, "
            "none, shared)");
}

TEST(ScriptErrors, BadProt) {
  EXPECT_EQ(parse_error("spawn P\nP mprotect 0 1 wr\n"),
            "ex.rml:2:16: unknown protection 'wr' (did you mean 'rw'?)");
  EXPECT_EQ(parse_error("spawn P\nP mprotect 0 1 RWX\n"),
            "ex.rml:2:16: unknown protection 'RWX' (did you mean 'rwx'?)");
  EXPECT_EQ(parse_error("spawn P\nP mprotect 0 1 shared\n"),
            "ex.rml:2:16: unknown protection 'shared' (expected one of: rw, r, rx, rwx, "
            "none)");
}

TEST(ScriptErrors, BadAdvice) {
  EXPECT_EQ(parse_error("spawn P\nP madvise 0 1 dontnede\n"),
            "ex.rml:2:15: unknown advice 'dontnede' (did you mean 'dontneed'?)");
  EXPECT_EQ(parse_error("spawn P\nP madvise 0 1 free\n"),
            "ex.rml:2:15: unknown advice 'free' (expected one of: dontneed, dontfork, "
            "dofork, wipeonfork, keeponfork)");
}

TEST(ScriptErrors, BadNumbers) {
  const std::string rule =
      " is not a number (write it in decimal, e.g. 42, or hexadecimal, "
      "e.g. 0x2a)";
  EXPECT_EQ(parse_error("spawn P\nP mmap x 4\n"), "ex.rml:2:8: page 'x'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP mmap 0x 4\n"), "ex.rml:2:8: page '0x'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP mmap -1 4\n"), "ex.rml:2:8: page '-1'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP mmap +1 4\n"), "ex.rml:2:8: page '+1'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP mmap 0xg 4\n"), "ex.rml:2:8: page '0xg'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 1.5\n"), "ex.rml:2:10: page count '1.5'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 4k\n"), "ex.rml:2:10: page count '4k'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP mremap 0 1 y 1\n"), "ex.rml:2:14: destination page 'y'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP mremap 0 1 2 z\n"), "ex.rml:2:16: new page count 'z'" + rule);
  EXPECT_EQ(parse_error("spawn P\nP write 1 n\n"), "ex.rml:2:11: page count 'n'" + rule);
}

TEST(ScriptErrors, ZeroPageCount) {
  EXPECT_EQ(parse_error("spawn P\nP read 0 0\n"), "ex.rml:2:10: page count must be at least 1");
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 0x0\n"), "ex.rml:2:10: page count must be at least 1");
  EXPECT_EQ(parse_error("spawn P\nP mremap 0 1 2 0\n"),
            "ex.rml:2:16: new page count must be at least 1");
}

TEST(ScriptErrors, PagesOutsideTheArena) {
  EXPECT_EQ(parse_error("spawn P\nP mmap 16777216 1\n"),
            "ex.rml:2:8: page '16777216' is outside the arena (pages 0 to 16777215)");
  EXPECT_EQ(parse_error("spawn P\nP write 0x1000000\n"),
            "ex.rml:2:9: page '0x1000000' is outside the arena (pages 0 to 16777215)");
  EXPECT_EQ(parse_error("spawn P\nP mmap 16777215 2\n"),
            "ex.rml:2:17: pages 16777215 to 16777216 run past the end of the arena (last "
            "page 16777215)");
  EXPECT_EQ(parse_error("spawn P\nP munmap 0 0x1000001\n"),
            "ex.rml:2:12: page count '0x1000001' is larger than the arena (16777216 pages)");
  EXPECT_EQ(parse_error("spawn P\nP mremap 0 1 0x1000000 1\n"),
            "ex.rml:2:14: destination page '0x1000000' is outside the arena (pages 0 to "
            "16777215)");
  EXPECT_EQ(parse_error("spawn P\nP mremap 0 1 0xfffff0 0x11\n"),
            "ex.rml:2:23: pages 16777200 to 16777216 run past the end of the arena (last "
            "page 16777215)");
}

TEST(ScriptErrors, NumbersThatOverflowAreOutOfRange) {
  EXPECT_EQ(parse_error("spawn P\nP mmap 99999999999999999999999 1\n"),
            "ex.rml:2:8: page '99999999999999999999999' is outside the arena (pages 0 to "
            "16777215)");
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 0x10000000000000001\n"),
            "ex.rml:2:10: page count '0x10000000000000001' is larger than the arena "
            "(16777216 pages)");
  // 2^32 + 1 must not wrap to 1 in the 32-bit Op fields.
  EXPECT_EQ(parse_error("spawn P\nP mmap 0 4294967297\n"),
            "ex.rml:2:10: page count '4294967297' is larger than the arena (16777216 pages)");
}

TEST(ScriptErrors, FirstErrorIsTheLeftmostOnTheFirstBadLine) {
  EXPECT_EQ(parse_error("spawn P\nP mmap x 0 bogus extra\nQ exit\n"),
            "ex.rml:2:8: page 'x' is not a number (write it in decimal, e.g. 42, or "
            "hexadecimal, e.g. 0x2a)");
  EXPECT_EQ(parse_error("Q frob\n"),
            "ex.rml:1:1: unknown process 'Q' (no spawn or fork "
            "creates it before this line)");
}

TEST(ScriptErrors, ColumnsCountTabsAsOneAndFollowLeadingSpace) {
  EXPECT_EQ(parse_error("spawn P\n\t \tP mmap 0 0\n"),
            "ex.rml:2:13: page count must be at least 1");
}

TEST(ScriptErrors, FileNameIsTheOneGiven) {
  Result<Script> r = parse_script("spawn P\nP exit x\n", "dir/w.rml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "dir/w.rml:2:8: unexpected 'x' at the end of the line (usage: P exit)");
}

// ---------------------------------------------------------------------------
// Bytes that are not script text

TEST(ScriptErrors, NulByte) {
  EXPECT_EQ(parse_error(std::string_view("spawn P\nP wr\0ite 0\n", 18)),
            "ex.rml:2:5: unexpected NUL byte (a script is text)");
  EXPECT_EQ(parse_error(std::string_view("spawn P # \0\n", 12)),
            "ex.rml:1:11: unexpected NUL byte (a script is text)");
}

TEST(ScriptErrors, InvalidUtf8) {
  EXPECT_EQ(parse_error("spawn P\nP write 0 # \xff\n"), "ex.rml:2:13: invalid UTF-8 byte 0xff");
  EXPECT_EQ(parse_error("# \xc3\xa9 \xc3\n"), "ex.rml:1:5: invalid UTF-8 byte 0xc3");  // cut short
  EXPECT_EQ(parse_error("# \xc0\xaf\n"), "ex.rml:1:3: invalid UTF-8 byte 0xc0");       // overlong
  EXPECT_EQ(parse_error("# \xed\xa0\x80\n"), "ex.rml:1:3: invalid UTF-8 byte 0xed");   // surrogate
}

TEST(ScriptErrors, TokensInMessagesAreEscapedAndShortened) {
  EXPECT_EQ(parse_error("spawn P\nP \x1bmmap 0 1\n"),
            "ex.rml:2:3: unknown operation '\\x1bmmap' (did you mean 'mmap'?)");
  EXPECT_EQ(parse_error("spawn caf\xc3\xa9\n"),
            "ex.rml:1:7: 'caf\\xc3\\xa9' is not a valid process name (names match "
            "[A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(parse_error("spawn P\nP write " + std::string(100, '9') + "\n"),
            "ex.rml:2:9: page '" + std::string(40, '9') +
                "...' is outside the arena (pages 0 to 16777215)");
  // A carriage return inside a line is not a separator.
  EXPECT_EQ(parse_error("spawn P\rQ\n"),
            "ex.rml:1:7: 'P\\x0dQ' is not a valid process name (names match "
            "[A-Za-z_][A-Za-z0-9_]*)");
}

TEST(ScriptErrors, ColumnsCountCharactersNotBytes) {
  EXPECT_EQ(parse_error("spawn P # \xc3\xa9\xc3\xa9\xff\n"),
            "ex.rml:1:13: invalid UTF-8 byte 0xff");
}

TEST(ScriptErrors, TooManyLines) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "16M lines take seconds under AddressSanitizer; the release build checks it";
#endif
  std::string text(std::size_t{1} << 24, '\n');
  EXPECT_TRUE(parse_ok(text).ops.empty());
  text += '\n';
  EXPECT_EQ(parse_error(text), "ex.rml:16777217:1: script has more than 16777216 lines");
}

TEST(ScriptErrors, LongLine) {
  const std::string ok_line = "spawn P" + std::string(4096 - 7, ' ');
  EXPECT_EQ(parse_ok(ok_line + "\n").ops.size(), 1u);
  EXPECT_EQ(parse_error("spawn P\n" + ok_line + " \n"),
            "ex.rml:2:1: line is 4097 bytes; the limit is 4096");
}

// ---------------------------------------------------------------------------
// load_script

class LoadScript : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                               ("rmaplab_parser_test_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::filesystem::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

TEST_F(LoadScript, ReadsAFile) {
  const std::string path = write("ok.rml", "spawn P\nP mmap 0 2\n");
  Result<Script> r = load_script(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->file, path);
  EXPECT_EQ(r->ops.size(), 2u);
}

TEST_F(LoadScript, ErrorsNameThePath) {
  const std::string path = write("bad.rml", "spawn P\nP mmapp 0 2\n");
  Result<Script> r = load_script(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, path + ":2:3: unknown operation 'mmapp' (did you mean 'mmap'?)");
}

TEST_F(LoadScript, MissingFile) {
  const std::string path = (dir_ / "x.rml").string();
  Result<Script> r = load_script(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot read '" + path + "': No such file or directory");
}

TEST_F(LoadScript, FileNamesAreShownWithoutTerminalEscapes) {
  // A name that would clear the screen if echoed raw.
  const std::string path = write("\x1b[2J.rml", "spawn P\nP wrte 0\n");
  Result<Script> r = load_script(path);
  ASSERT_FALSE(r.ok());
  const std::string shown = (dir_ / "\\x1b[2J.rml").string();
  EXPECT_EQ(r.error().message, shown + ":2:3: unknown operation 'wrte' (did you mean 'write'?)");
  const std::string missing = (dir_ / "\x07.rml").string();
  EXPECT_EQ(load_script(missing).error().message,
            "cannot read '" + (dir_ / "\\x07.rml").string() + "': No such file or directory");
}

TEST_F(LoadScript, Directory) {
  Result<Script> r = load_script(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot read '" + dir_.string() + "': Is a directory");
}

// ---------------------------------------------------------------------------
// Spellings and format_op

TEST(Format, ToStringSpellsTheLanguage) {
  EXPECT_EQ(to_string(Verb::spawn), "spawn");
  EXPECT_EQ(to_string(Verb::mremap), "mremap");
  EXPECT_EQ(to_string(Verb::exit), "exit");
  EXPECT_EQ(to_string(Prot::none), "none");
  EXPECT_EQ(to_string(Prot::rwx), "rwx");
  EXPECT_EQ(to_string(Advice::wipeonfork), "wipeonfork");
  EXPECT_EQ(to_string(Advice::keeponfork), "keeponfork");
}

// Every verb and every option, written the long way round.
constexpr std::string_view kEveryOp =
    "spawn P\n"
    "P   mmap 0x0 16 rw\n"
    "P mmap 16 4 r shared\n"
    "P mmap 20 4 shared\n"
    "P mmap 24 1 none\n"
    "P munmap 0 2\n"
    "P mprotect 2 2 rx\n"
    "P mprotect 4 1 rwx\n"
    "P mremap 4 2 0x100 8\n"
    "P madvise 0 4 wipeonfork\n"
    "P write 3 1\n"
    "P write 3 2\n"
    "P read 0x10\n"
    "P fork C\n"
    "C exit\n";

TEST(Format, CanonicalLines) {
  Script s = parse_ok(kEveryOp);
  std::vector<std::string> lines;
  for (const Op& op : s.ops) lines.push_back(format_op(s, op));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "spawn P",
                       "P mmap 0 16",
                       "P mmap 16 4 r shared",
                       "P mmap 20 4 shared",
                       "P mmap 24 1 none",
                       "P munmap 0 2",
                       "P mprotect 2 2 rx",
                       "P mprotect 4 1 rwx",
                       "P mremap 4 2 256 8",
                       "P madvise 0 4 wipeonfork",
                       "P write 3",
                       "P write 3 2",
                       "P read 16",
                       "P fork C",
                       "C exit",
                   }));
}

TEST(Format, BadSlotsPrintWithoutCrashing) {
  Script s;
  Op op;
  op.verb = Verb::fork;
  op.proc = 3;
  op.child = -1;
  EXPECT_EQ(format_op(s, op), "?3 fork ?-1");
}

// Operations compare equal apart from where they were written.
void expect_same_ops(const Script& a, const Script& b) {
  ASSERT_EQ(a.procs, b.procs);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (std::size_t i = 0; i < a.ops.size(); ++i) {
    const Op &x = a.ops[i], &y = b.ops[i];
    EXPECT_EQ(x.verb, y.verb) << i;
    EXPECT_EQ(x.proc, y.proc) << i;
    EXPECT_EQ(x.child, y.child) << i;
    EXPECT_EQ(x.a, y.a) << i;
    EXPECT_EQ(x.n, y.n) << i;
    EXPECT_EQ(x.b, y.b) << i;
    EXPECT_EQ(x.m, y.m) << i;
    EXPECT_EQ(x.prot, y.prot) << i;
    EXPECT_EQ(x.shared, y.shared) << i;
    EXPECT_EQ(x.advice, y.advice) << i;
  }
}

std::string format_script(const Script& s) {
  std::string out;
  for (const Op& op : s.ops) out += format_op(s, op) + "\n";
  return out;
}

TEST(Format, RoundTrips) {
  Script s = parse_ok(kEveryOp);
  Script again = parse_ok(format_script(s));
  expect_same_ops(s, again);
  EXPECT_EQ(format_script(again), format_script(s));
}

// ---------------------------------------------------------------------------
// Robustness: any bytes give a Script or a located, printable error.

constexpr int kIterations = 10000;

unsigned seed_for_test() {
  if (const char* env = std::getenv("RMAPLAB_SEED"))
    return static_cast<unsigned>(std::strtoul(env, nullptr, 0));
  return std::random_device{}();
}

// Checks one input; returns false (after recording a failure) if it broke a
// rule, so the caller can stop and print the input.
bool check_any_input(const std::string& text) {
  Result<Script> r = parse_script(text, "f.rml");
  if (r.ok()) {
    // Whatever parses must survive the round trip through format_op.
    Result<Script> again = parse_script(format_script(*r), "f.rml");
    EXPECT_TRUE(again.ok()) << (again.ok() ? "" : again.error().message);
    if (!again.ok()) return false;
    expect_same_ops(*r, *again);
    return !::testing::Test::HasFailure();
  }
  const std::string& m = r.error().message;
  long lines = 1;
  for (char c : text) lines += c == '\n';
  int line = 0, column = 0, used = 0;
  const bool located = std::sscanf(m.c_str(), "f.rml:%d:%d: %n", &line, &column, &used) == 2 &&
                       used > 0 && line >= 1 && line <= lines && column >= 1 && column <= 4097 &&
                       static_cast<std::size_t>(used) < m.size();
  EXPECT_TRUE(located) << m;
  for (char c : m) {
    const bool printable = c >= 0x20 && c < 0x7f;
    EXPECT_TRUE(printable) << "unprintable byte in: " << m;
    if (!printable) return false;
  }
  return located;
}

TEST(Robustness, RandomBytes) {
  const unsigned seed = seed_for_test();
  std::cout << "seed " << seed << " (replay with RMAPLAB_SEED=" << seed << ")\n";
  std::mt19937 rng(seed);
  // Mostly script-like bytes, so that inputs get past the first token.
  const std::string alphabet = "spawnmmapreadwritefork exitPQC0123456789x \t\n#\r";
  for (int iter = 0; iter < kIterations; ++iter) {
    std::string text(rng() % 200, '\0');
    for (char& c : text) {
      c = rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    ASSERT_TRUE(check_any_input(text)) << "seed " << seed << " iteration " << iter;
  }
}

// One random edit: of a byte, of a word, or of whole lines (which keeps many
// results valid, so the round trip is exercised too).
void mutate(std::string& text, std::mt19937& rng, const std::vector<std::string>& words) {
  const std::size_t at = text.empty() ? 0 : rng() % text.size();
  const std::size_t line = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  const std::size_t line_end = std::min(text.find('\n', at), text.size());
  switch (rng() % 6) {
    case 0:
      if (!text.empty()) text[at] = static_cast<char>(rng() % 256);
      break;
    case 1:
      if (!text.empty()) text.erase(at, 1 + rng() % 8);
      break;
    case 2:
      text.insert(at, words[rng() % words.size()]);
      break;
    case 3:  // drop a line
      text.erase(line, line_end + 1 - line);
      break;
    case 4:  // copy a line elsewhere
      text.insert(rng() % (text.size() + 1), text.substr(line, line_end + 1 - line));
      break;
    case 5:  // move a line to the end
      text += text.substr(line, line_end + 1 - line);
      text.erase(line, line_end + 1 - line);
      break;
  }
}

TEST(Robustness, MutatedScripts) {
  const unsigned seed = seed_for_test();
  std::cout << "seed " << seed << " (replay with RMAPLAB_SEED=" << seed << ")\n";
  std::mt19937 rng(seed);
  const std::vector<std::string> words = {"spawn",
                                          "mmap",
                                          "munmap",
                                          "mprotect",
                                          "mremap",
                                          "madvise",
                                          "write",
                                          "read",
                                          "fork",
                                          "exit",
                                          "P",
                                          "C",
                                          "Q",
                                          "0",
                                          "1",
                                          "0x",
                                          "0xffffff",
                                          "16777216",
                                          "99999999999999999999",
                                          "rw",
                                          "none",
                                          "shared",
                                          "dontfork",
                                          "#",
                                          " ",
                                          "\t",
                                          "\n",
                                          "\r\n",
                                          "\xc3\xa9",
                                          "\xff"};
  int parsed = 0;
  for (int iter = 0; iter < kIterations; ++iter) {
    std::string text(kEveryOp);
    for (int k = 1 + rng() % 3; k > 0; --k) mutate(text, rng, words);
    parsed += parse_script(text, "f.rml").ok();
    ASSERT_TRUE(check_any_input(text)) << "seed " << seed << " iteration " << iter << " input:\n"
                                       << text;
  }
  std::cout << parsed << " of " << kIterations << " mutated scripts still parse\n";
}

}  // namespace
}  // namespace rmaplab
