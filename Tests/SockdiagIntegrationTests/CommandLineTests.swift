import Foundation
import SockdiagCore
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

    /// What a bug report needs: the version, the BPF objects' build id (the SHA-256 of the objects
    /// this build compiled, recomputed here from the build's own copies), and the libbpf and
    /// libpcap versions it was built with (pkg-config now) beside those it runs with.
    func testVersionNamesTheBPFObjectsAndTheLibraries() throws {
        let result = try Sockdiag.run(["--version"])
        XCTAssertEqual(result.status, 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, result.stdout)
        XCTAssertEqual(lines.first, "sockdiag \(CommandCatalog.version)")

        let buildID = try XCTUnwrap(lines.first { $0.hasPrefix("bpf build id: ") }, result.stdout)
        let fields = buildID.dropFirst("bpf build id: ".count).split(separator: " ", maxSplits: 1)
        let digest = String(fields[0])
        XCTAssertEqual(digest.count, 64)
        let objectNames = fields[1].dropFirst("(sha256 of ".count).dropLast().split(separator: " ").map(String.init)
        // One object per bpf/*.bpf.c, whatever bpf/ holds now.
        let bpf = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bpf")
        let sources = try FileManager.default.contentsOfDirectory(atPath: bpf.path).filter { $0.hasSuffix(".bpf.c") }
        XCTAssertTrue(sources.contains("trace.bpf.c"), "\(sources)")
        XCTAssertEqual(Set(objectNames), Set(sources.map { $0.replacingOccurrences(of: ".bpf.c", with: ".bpf.o") }))
        // The build's objects sit in the plugin's work directory: .build/plugins/outputs/PACKAGE/...
        // beside .build/TRIPLE/debug/sockdiag.
        let outputs = Sockdiag.executable.resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("plugins/outputs")
        let found = FileManager.default.enumerator(atPath: outputs.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("EmbedBPFPlugin/objects/trace.bpf.o") } ?? []
        let objects = outputs.appendingPathComponent(try XCTUnwrap(found.first, "no trace.bpf.o under \(outputs.path)"))
            .deletingLastPathComponent()
        let concatenated = objects.appendingPathComponent("../all-objects-\(getpid())").standardized
        defer { try? FileManager.default.removeItem(at: concatenated) }
        var bytes = Data()
        for name in objectNames { bytes.append(try Data(contentsOf: objects.appendingPathComponent(name))) }
        try bytes.write(to: concatenated)
        let sha = try runProgram("/usr/bin/env", ["sha256sum", concatenated.path])
        XCTAssertEqual(sha.stdout.split(separator: " ").first.map(String.init), digest)

        for library in ["libbpf", "libpcap"] {
            let line = try XCTUnwrap(lines.first { $0.hasPrefix("\(library): built with ") }, result.stdout)
            let built = try runProgram("/usr/bin/env", ["pkg-config", "--modversion", library]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertTrue(line.hasPrefix("\(library): built with \(built), running "), line)
        }
        let pcapRuntime = try runProgram("/usr/bin/env", ["tcpdump", "--version"]).stdout
            .split(separator: "\n").first { $0.hasPrefix("libpcap version") }
        XCTAssertTrue(result.stdout.contains("running \(try XCTUnwrap(pcapRuntime))\n"), result.stdout)
        let libbpfMinor = try runProgram("/usr/bin/env", ["pkg-config", "--modversion", "libbpf"]).stdout
            .split(separator: ".").prefix(2).joined(separator: ".")
        XCTAssertTrue(result.stdout.contains("running v\(libbpfMinor)\n"), result.stdout)
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
