import SockdiagCore
import XCTest

final class ArgumentParserTests: XCTestCase {
    static let verbose = OptionSpec("verbose", short: "v", help: "More detail.")
    static let json = OptionSpec("json", short: "j", help: "JSON.")
    static let cgroup = OptionSpec("cgroup", short: "c", .value(placeholder: "PATH"), help: "A cgroup.")
    static let filter = OptionSpec("filter", short: "f", .value(placeholder: "EXPR"), repeatable: true, help: "A filter.")
    static let dryRun = OptionSpec("dry-run", help: "Do nothing.")

    static let runner = CommandSpec(
        name: "runner", abstract: "a", summary: "s", usage: ["[options] [ADDRESS [PORT]] [-- CMD [ARGS...]]"],
        positionals: [PositionalSpec("ADDRESS", optional: true, help: "a"), PositionalSpec("PORT", optional: true, help: "p")],
        options: [verbose, json, cgroup, filter, dryRun], trailingCommand: "CMD [ARGS...]")

    static let plain = CommandSpec(
        name: "plain", abstract: "a", summary: "s", usage: ["[options] ARG"],
        positionals: [PositionalSpec("ARG", help: "a")], options: [json])

    func parse(_ arguments: [String], _ spec: CommandSpec = runner) throws -> ParsedArguments {
        try ArgumentParser.parse(arguments, for: spec)
    }

    func assertUsageError(_ arguments: [String], _ message: String, spec: CommandSpec = runner,
                          file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(arguments, spec), file: file, line: line) { error in
            XCTAssertEqual((error as? UsageError)?.message, message, file: file, line: line)
        }
    }

    func testEveryWayToGiveAValue() throws {
        let spellings: [[String]] = [["--cgroup", "/sys/fs/cgroup/a"], ["--cgroup=/sys/fs/cgroup/a"],
                                     ["-c", "/sys/fs/cgroup/a"], ["-c/sys/fs/cgroup/a"], ["-vc/sys/fs/cgroup/a"]]
        for arguments in spellings {
            let parsed = try parse(arguments)
            XCTAssertEqual(parsed.value(Self.cgroup), "/sys/fs/cgroup/a", "\(arguments)")
            XCTAssertTrue(parsed.isSet(Self.cgroup))
            XCTAssertEqual(parsed.positionals, [])
        }
        XCTAssertEqual(try parse(["--cgroup=a=b"]).value(Self.cgroup), "a=b", "only the first '=' separates")
        XCTAssertEqual(try parse(["--cgroup", "--json"]).value(Self.cgroup), "--json", "a value may look like an option")
        XCTAssertEqual(try parse(["-c", "-"]).value(Self.cgroup), "-")
    }

    func testFlagsClusteredRepeatedAndCounted() throws {
        let parsed = try parse(["-vjv", "--verbose", "--dry-run"])
        XCTAssertEqual(parsed.count(Self.verbose), 3)
        XCTAssertEqual(parsed.count(Self.json), 1)
        XCTAssertTrue(parsed.isSet(Self.dryRun))
        XCTAssertFalse(parsed.isSet(Self.cgroup))
        XCTAssertNil(parsed.value(Self.cgroup))
        XCTAssertFalse(parsed.wantsHelp)
        XCTAssertEqual(try parse(["-jc", "x"]).value(Self.cgroup), "x", "a value option may end a cluster")
    }

    func testRepeatableValuesKeepTheirOrderOthersMayNotRepeat() throws {
        let parsed = try parse(["-f", "tcp", "--filter=udp", "-fport 80", "--filter", "icmp"])
        XCTAssertEqual(parsed.values(Self.filter), ["tcp", "udp", "port 80", "icmp"])
        XCTAssertEqual(parsed.value(Self.filter), "icmp")
        assertUsageError(["--cgroup", "a", "-c", "b"], "--cgroup was given twice")
    }

    func testPositionalsAndNegativeNumbers() throws {
        XCTAssertEqual(try parse(["::", "-j", "45000"]).positionals, ["::", "45000"])
        XCTAssertEqual(try parse(["::", "-1"]).positionals, ["::", "-1"], "-1 is left for the port parser to reject")
        XCTAssertEqual(try parse(["-"]).positionals, ["-"])
    }

    func testDoubleDashEndsOptionsAndStartsTheCommand() throws {
        let parsed = try parse(["-j", "::1", "--", "curl", "-s", "--json", "http://[::1]/"])
        XCTAssertEqual(parsed.trailingCommand, ["curl", "-s", "--json", "http://[::1]/"])
        XCTAssertEqual(parsed.positionals, ["::1"])
        XCTAssertEqual(parsed.count(Self.json), 1)
        XCTAssertNil(try parse(["-j"]).trailingCommand)
        assertUsageError(["-j", "--"], "'--' must be followed by a command to run")
        // Without a command to run, '--' just ends the options.
        let plain = try parse(["-j", "--", "-5"], Self.plain)
        XCTAssertEqual(plain.positionals, ["-5"])
        XCTAssertNil(plain.trailingCommand)
        XCTAssertEqual(try parse(["--", "--json"], Self.plain).positionals, ["--json"])
    }

    func testUnknownOptionsSuggestTheNearestSpelling() {
        assertUsageError(["--josn"], "unknown option '--josn' for 'runner'; did you mean '--json'?")
        assertUsageError(["--cgrop=/x"], "unknown option '--cgrop' for 'runner'; did you mean '--cgroup'?")
        assertUsageError(["--dryrun"], "unknown option '--dryrun' for 'runner'; did you mean '--dry-run'?")
        assertUsageError(["--verb"], "unknown option '--verb' for 'runner'; did you mean '--verbose'?")
        assertUsageError(["--frobnicate"], "unknown option '--frobnicate' for 'runner'")
        assertUsageError(["--=x"], "unknown option '--' for 'runner'")
        assertUsageError(["-json"], "unknown option '-s' in '-json' for 'runner'; did you mean '--json'?")
        assertUsageError(["-x"], "unknown option '-x' for 'runner' (short options: -v -j -c -f -h)")
        assertUsageError(["-vx"], "unknown option '-x' for 'runner' (short options: -v -j -c -f -h)")
    }

    func testMissingAndUnwantedValues() {
        assertUsageError(["--cgroup"], "--cgroup needs a value (-c, --cgroup PATH)")
        assertUsageError(["-c"], "--cgroup needs a value (-c, --cgroup PATH)")
        assertUsageError(["-vc"], "--cgroup needs a value (-c, --cgroup PATH)")
        assertUsageError(["--cgroup="], "--cgroup needs a value (-c, --cgroup PATH)")
        assertUsageError(["--json=yes"], "--json takes no value")
        assertUsageError(["--dry-run="], "--dry-run takes no value")
    }

    func testExtraPositionals() {
        assertUsageError(["::", "80", "extra"], "unexpected extra argument 'extra' (usage: sockdiag runner [options] [ADDRESS [PORT]] [-- CMD [ARGS...]])")
        assertUsageError(["a", "b"], "unexpected extra argument 'b' (usage: sockdiag plain [options] ARG)", spec: Self.plain)
        let none = CommandSpec(name: "none", abstract: "a", summary: "s", usage: [""], options: [])
        assertUsageError(["oops"], "'none' takes no arguments, got 'oops'", spec: none)
    }

    func testHelpWinsOverExtraArgumentsButNotOverUnknownOptions() throws {
        XCTAssertTrue(try parse(["a", "b", "c", "-h"]).wantsHelp)
        XCTAssertTrue(try parse(["--help"], Self.plain).wantsHelp)
        assertUsageError(["--help", "--bogus"], "unknown option '--bogus' for 'runner'")
    }

    func testNearestSpelling() {
        let names = ["bind-check", "trace", "compare-wire", "help"]
        let table: [(String, String?)] = [
            ("bindcheck", "bind-check"), ("bind_check", "bind-check"), ("bnid-check", "bind-check"),
            ("trcae", "trace"), ("tarce", "trace"), ("compare", "compare-wire"), ("comparewire", "compare-wire"),
            ("hlep", "help"), ("bind", "bind-check"), ("zzzzzz", nil), ("capture", nil),
        ]
        for (word, expected) in table {
            XCTAssertEqual(ArgumentParser.nearest(to: word, among: names), expected, word)
        }
        XCTAssertEqual(ArgumentParser.suggestion(for: "trcae", among: names), "; did you mean 'trace'?")
        XCTAssertEqual(ArgumentParser.suggestion(for: "zzzzzz", among: names), "")
    }

    /// The real tables: names unique, every example in `--help` parses with its own table.
    func testEveryCommandTableIsConsistentAndItsExamplesParse() throws {
        for spec in CommandCatalog.subcommands {
            let longs = spec.options.map(\.long)
            XCTAssertEqual(Set(longs).count, longs.count, "\(spec.name): duplicate long option")
            let shorts = spec.options.compactMap(\.short)
            XCTAssertEqual(Set(shorts).count, shorts.count, "\(spec.name): duplicate short option")
            XCTAssertTrue(longs.contains("help"), spec.name)
            for option in spec.options {
                XCTAssertTrue(option.long.allSatisfy { $0.isLowercase || $0 == "-" || $0.isNumber }, option.long)
                XCTAssertTrue(option.help.hasSuffix("."), "\(spec.name) --\(option.long): help is a sentence")
            }
            XCTAssertFalse(spec.examples.isEmpty, spec.name)
            for example in spec.examples {
                // The command ends where the shell's redirection or pipe begins.
                let words = try XCTUnwrap(shellWords(example.command), example.command).prefix { ![">", ">>", "|"].contains($0) }
                XCTAssertEqual(Array(words.prefix(2)), ["sockdiag", spec.name], example.command)
                XCTAssertNoThrow(try ArgumentParser.parse(Array(words.dropFirst(2)), for: spec), example.command)
            }
        }
    }

    /// Every exclusion a table declares is refused, with its own words, by the subcommand's typed
    /// options; the hidden entry points parse but are nowhere a user looks.
    func testExclusionsInTheTablesAreRefusedAndHiddenEntriesStayHidden() throws {
        // What else a command line needs before the exclusion is looked at.
        let rest: [Subcommand: [String]] = [.bindCheck: ["--all"], .trace: ["--cgroup", "x"], .compareWire: ["--events", "e.jsonl"]]
        var checked = 0
        for subcommand in Subcommand.allCases {
            for exclusion in subcommand.spec.exclusions {
                let words = exclusion.options.flatMap { $0.takesValue ? ["--\($0.long)", "1"] : ["--\($0.long)"] }
                XCTAssertThrowsError(try subcommand.invocation(words + rest[subcommand, default: []]), subcommand.rawValue) { error in
                    XCTAssertEqual(error as? UsageError, UsageError(exclusion.message))
                }
                for option in exclusion.options {
                    XCTAssertTrue(Set(subcommand.spec.options(excludedBy: option)).isSuperset(of: exclusion.options.filter { $0 != option }))
                }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 7)
        let hidden = Subcommand.allCases.filter(\.spec.hidden).map(\.rawValue)
        XCTAssertEqual(hidden, [DemoCommand.holderEntry, DemoCommand.clientEntry])
        for name in hidden {
            XCTAssertFalse(CommandCatalog.subcommands.map(\.name).contains(name))
            XCTAssertFalse(CommandCatalog.topLevelHelp.contains(name))
            XCTAssertFalse(BashCompletionRenderer.render().contains(name))
            XCTAssertFalse(ManPageRenderer.render().contains(name))
        }
        guard case let .demoClient(port) = try Subcommand.demoClient.invocation(["45000"]) else {
            return XCTFail("the demo client's entry")
        }
        XCTAssertEqual(port, Port(45000))
    }

    /// Splits like a shell for the examples: spaces, and single quotes that keep spaces and brackets.
    func shellWords(_ line: String) -> [String]? {
        var words: [String] = [], current = "", quoted = false, inWord = false
        for character in line {
            if character == "'" { quoted.toggle(); inWord = true; continue }
            if character == " " && !quoted {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(character); inWord = true
        }
        if quoted { return nil }
        if inWord { words.append(current) }
        return words
    }
}
