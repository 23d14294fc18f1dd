import Foundation
import XCTest

/// `sockdiag completion bash` and `sockdiag help --man` print the committed files, and usage
/// errors exit 2 with one line.
final class DocsCommandTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testCompletionBashPrintsTheCommittedScript() throws {
        let result = try Sockdiag.run(["completion", "bash"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let committed = try String(contentsOf: Self.repository.appendingPathComponent("scripts/sockdiag.bash-completion"), encoding: .utf8)
        XCTAssertTrue(result.stdout == committed, "run scripts/gen-docs")
        XCTAssertTrue(result.stdout.hasSuffix("complete -F _sockdiag sockdiag\n"))
    }

    func testHelpManPrintsTheCommittedManPage() throws {
        let result = try Sockdiag.run(["help", "--man"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let committed = try String(contentsOf: Self.repository.appendingPathComponent("docs/sockdiag.1"), encoding: .utf8)
        XCTAssertTrue(result.stdout == committed, "run scripts/gen-docs")
        XCTAssertTrue(result.stdout.contains(".TH SOCKDIAG 1 "))
    }

    func testCompletionUsageErrors() throws {
        let cases: [([String], String)] = [
            (["completion"], "sockdiag: completion: name the shell: sockdiag completion bash (supported: bash, zsh, fish)\n"),
            (["completion", "tcsh"], "sockdiag: completion: no completion for 'tcsh' (supported: bash, zsh, fish)\n"),
            (["completion", "bash", "extra"], "sockdiag: completion: unexpected extra argument 'extra' (usage: sockdiag completion bash|zsh|fish)\n"),
            (["completion", "--bash"], "sockdiag: completion: unknown option '--bash' for 'completion'\n"),
        ]
        for (arguments, stderr) in cases {
            let result = try Sockdiag.run(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertEqual(result.stderr, stderr)
            XCTAssertEqual(result.stdout, "")
        }
        let misspelled = try Sockdiag.run(["completon", "bash"])
        XCTAssertEqual(misspelled.status, 2)
        XCTAssertTrue(misspelled.stderr.hasPrefix("sockdiag: unknown subcommand 'completon'; did you mean 'completion'? ("),
                      misspelled.stderr)
    }

    func testCompletionHasHelpLikeEveryOtherSubcommand() throws {
        let result = try Sockdiag.run(["completion", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.hasPrefix("Usage: sockdiag completion bash|zsh|fish\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("sockdiag help --man"))
        XCTAssertEqual(try Sockdiag.run(["help", "completion"]).stdout, result.stdout)
    }

    /// `--cgroup system.sl<TAB>` completes below the cgroup2 mount, wherever it is mounted.
    func testRelativeCgroupCompletesBelowTheCgroup2Mount() throws {
        try requirePrivileges("creating a cgroup")
        let root = try XCTUnwrap(cgroup2MountPoint(), "no cgroup2 mount")
        let name = "sockdiag-completion-\(getpid())"
        try FileManager.default.createDirectory(atPath: "\(root)/\(name)/child", withIntermediateDirectories: true)
        defer {
            rmdir("\(root)/\(name)/child")
            rmdir("\(root)/\(name)")
        }
        let script = """
        source <("$1" completion bash)
        for words in "trace --cgroup sockdiag-completion-$2" "compare-wire -c sockdiag-completion-$2/c"; do
            read -ra rest <<<"$words"
            COMP_WORDS=(sockdiag "${rest[@]}"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            _sockdiag sockdiag "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
        done
        """
        let result = try runProgram("/bin/bash", ["--norc", "--noprofile", "-c", script, "bash",
                                                  Sockdiag.executable.path, String(getpid())])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "\(name)/\n\(name)/child/\n")
    }

    /// The installed script works in a real interactive-style bash: loaded, registered, completing.
    func testScriptFromTheBinaryCompletesInBash() throws {
        let script = """
        source <("$1" completion bash)
        complete -p sockdiag
        COMP_WORDS=(sockdiag bind-check --ne); COMP_CWORD=2
        _sockdiag sockdiag --ne bind-check
        printf '%s\\n' "${COMPREPLY[@]}"
        """
        let result = try runProgram("/bin/bash", ["--norc", "--noprofile", "-c", script, "bash", Sockdiag.executable.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "complete -F _sockdiag sockdiag\n--netns\n")
    }
}
