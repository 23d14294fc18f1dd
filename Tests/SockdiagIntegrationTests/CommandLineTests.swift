import XCTest

/// The binary's front door: help, version, and usage errors that exit 2 with one line.
final class CommandLineTests: XCTestCase {
    func testTopLevelHelpListsEverySubcommand() throws {
        let result = try Sockdiag.run(["--help"])
        XCTAssertEqual(result.status, 0)
        for name in ["bind-check", "trace", "compare-wire", "help"] {
            XCTAssertTrue(result.stdout.contains("  \(name) "), "help lacks \(name):\n\(result.stdout)")
        }
    }

    func testVersion() throws {
        let result = try Sockdiag.run(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.hasPrefix("sockdiag "))
    }

    func testSubcommandHelpShowsUsageOptionsAndExamples() throws {
        for name in ["bind-check", "trace", "compare-wire"] {
            let viaFlag = try Sockdiag.run([name, "--help"])
            let viaHelp = try Sockdiag.run(["help", name])
            XCTAssertEqual(viaFlag.status, 0)
            XCTAssertEqual(viaFlag.stdout, viaHelp.stdout)
            XCTAssertTrue(viaFlag.stdout.hasPrefix("Usage: sockdiag \(name) "))
            XCTAssertTrue(viaFlag.stdout.contains("Options:"))
            XCTAssertTrue(viaFlag.stdout.contains("Examples:"))
        }
    }

    func testMisspelledSubcommandSuggestsTheRightOne() throws {
        let result = try Sockdiag.run(["bindcheck"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("did you mean 'bind-check'?"), result.stderr)
        XCTAssertTrue(result.stdout.isEmpty)
    }

    func testMisspelledOptionSuggestsTheRightOne() throws {
        let result = try Sockdiag.run(["bind-check", "--josn", "::", "45000"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("did you mean '--json'?"), result.stderr)
    }

    func testOutOfRangePortExitsTwoWithOneLine() throws {
        let result = try Sockdiag.run(["bind-check", "::", "70000"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("70000"), result.stderr)
        XCTAssertTrue(result.stderr.contains("65535"), result.stderr)
    }

    func testNoArgumentsIsAUsageErrorOfOneLine() throws {
        let result = try Sockdiag.run([])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("no subcommand given"), result.stderr)
        XCTAssertTrue(result.stderr.contains("bind-check"), result.stderr)
        XCTAssertTrue(result.stdout.isEmpty)
    }
}
