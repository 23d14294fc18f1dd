import Foundation
import XCTest

/// README's output samples are real runs written by scripts/readme-samples. This runs the script
/// again and checks that each sample in README still has the shape of what sockdiag prints now:
/// the same lines, with numbers (pids, ports, times, inodes, ids) and column padding set aside.
final class ReadmeSampleTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A line with its varying parts replaced: hex ids, then digit runs, then runs of blanks.
    static func shape(_ line: Substring) -> String {
        var text = String(line)
        for (pattern, replacement) in [("[0-9a-f]{32,}", "H"), ("[0-9]+", "#"), (" +", " ")] {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// `name -> lines` from README's `<!-- sample: NAME -->` blocks.
    static func readmeSamples() throws -> [String: [Substring]] {
        let text = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        var samples: [String: [Substring]] = [:]
        for part in text.components(separatedBy: "<!-- sample: ").dropFirst() {
            let name = String(part.prefix { $0 != " " })
            guard let start = part.range(of: "```\n"), let end = part.range(of: "\n```\n<!-- end sample -->") else { continue }
            samples[name] = part[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        }
        return samples
    }

    func testReadmeSamplesHaveTheShapeOfRealRuns() throws {
        try requirePrivileges("a listener, a traced client and tcpdump on lo")
        let port = TraceFixture.port(20)
        let script = Self.repository.appendingPathComponent("scripts/readme-samples").path
        let result = try runProgram("/bin/bash", [script, "--print"],
                                    environment: ["PORT": String(port), "SOCKDIAG": Sockdiag.executable.path], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        var fresh: [String: [Substring]] = [:]
        var name = ""
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("== ") { name = String(line.dropFirst(3)); fresh[name] = [] } else { fresh[name]?.append(line) }
        }
        let readme = try Self.readmeSamples()
        XCTAssertEqual(Set(readme.keys), ["bind-check", "trace", "compare-wire", "version"])
        for (name, lines) in readme {
            let now = (fresh[name] ?? []).map(Self.shape).filter { !$0.isEmpty }
            let written = lines.map(Self.shape).filter { !$0.isEmpty }
            XCTAssertEqual(written, now, "README's \(name) sample no longer looks like the tool's output: run scripts/readme-samples")
        }
    }
}
