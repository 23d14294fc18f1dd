import Foundation
import SockdiagCore
import XCTest

/// The man page and the bash completion are rendered from the option tables and committed; these
/// tests fail when a table changes without `scripts/gen-docs`, or when either output is broken.
final class GeneratedDocsTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let manPage = repository.appendingPathComponent("docs/sockdiag.1")
    static let completion = repository.appendingPathComponent("scripts/sockdiag.bash-completion")

    func testCommittedManPageIsTheRenderedOne() throws {
        let committed = try String(contentsOf: Self.manPage, encoding: .utf8)
        XCTAssertTrue(committed == ManPageRenderer.render(),
                      "docs/sockdiag.1 differs from the option tables: run scripts/gen-docs and commit the result")
    }

    func testCommittedCompletionIsTheRenderedOne() throws {
        let committed = try String(contentsOf: Self.completion, encoding: .utf8)
        XCTAssertTrue(committed == BashCompletionRenderer.render(),
                      "scripts/sockdiag.bash-completion differs from the option tables: run scripts/gen-docs and commit the result")
    }

    func testCommittedZshAndFishCompletionsAreTheRenderedOnes() throws {
        let zsh = try String(contentsOf: Self.repository.appendingPathComponent("scripts/_sockdiag"), encoding: .utf8)
        XCTAssertTrue(zsh == ZshCompletionRenderer.render(),
                      "scripts/_sockdiag differs from the option tables: run scripts/gen-docs and commit the result")
        let fish = try String(contentsOf: Self.repository.appendingPathComponent("scripts/sockdiag.fish"), encoding: .utf8)
        XCTAssertTrue(fish == FishCompletionRenderer.render(),
                      "scripts/sockdiag.fish differs from the option tables: run scripts/gen-docs and commit the result")
    }

    /// groff finds no problem in the page, and `man` shows every option and its help as --help does.
    func testManPageFormatsCleanlyAndAgreesWithHelp() throws {
        let groff = try run("/usr/bin/env", ["groff", "-man", "-Tutf8", "-ww", "-z", Self.manPage.path])
        XCTAssertEqual(groff.status, 0)
        XCTAssertEqual(groff.stderr, "", "groff warnings")
        let man = try run("/usr/bin/env", ["man", "-l", Self.manPage.path], environment: ["MANWIDTH": "2000"])
        XCTAssertEqual(man.status, 0, man.stderr)
        let shown = normalized(man.stdout)
        XCTAssertTrue(shown.contains("sockdiag - diagnose dual-stack (IPv4/IPv6) socket problems on Linux"))
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "EXAMPLES", "FILES", "REQUIREMENTS", "SEE ALSO"] {
            XCTAssertTrue(man.stdout.contains("\n\(section)\n"), "no \(section) section")
        }
        XCTAssertTrue(shown.contains("ss(8), tcpdump(8), bpftool(8)"))
        for spec in CommandCatalog.subcommands {
            let help = HelpRenderer.render(spec)
            for usage in spec.usage {
                XCTAssertTrue(shown.contains(normalized("sockdiag \(spec.name) \(usage)")), usage)
            }
            XCTAssertTrue(shown.contains(normalized(spec.summary)), spec.name)
            for option in spec.options {
                let synopsis = normalized(option.synopsis)
                XCTAssertTrue(help.contains(option.synopsis.trimmingCharacters(in: .whitespaces)))
                XCTAssertTrue(shown.contains(synopsis), "man page lacks \(synopsis)")
                XCTAssertTrue(shown.contains(normalized(option.help)), "man page lacks the help of --\(option.long)")
            }
            for example in spec.examples {
                XCTAssertTrue(shown.contains(normalized(example.command)), example.command)
                XCTAssertTrue(shown.contains(normalized(example.explanation)), example.explanation)
            }
        }
        XCTAssertTrue(shown.contains("1 A dual-stack problem was found"))
    }

    /// Completion as bash runs it: the script is sourced, registered with `complete`, and
    /// `_sockdiag` is called with COMP_WORDS/COMP_CWORD set as for a real <TAB>.
    func testBashCompletesSubcommandsOptionsAndValues() throws {
        let registered = try bash("complete -p sockdiag")
        XCTAssertEqual(registered, ["complete -F _sockdiag sockdiag"])

        let names = CommandCatalog.subcommands.map(\.name)
        XCTAssertEqual(Set(try complete(["sockdiag", ""])), Set(names + ["help", "--help", "-h", "--version"]))
        XCTAssertEqual(try complete(["sockdiag", "bind"]), ["bind-check"])
        XCTAssertEqual(try complete(["sockdiag", "comp"]).sorted(), ["compare-wire", "completion"])
        XCTAssertEqual(Set(try complete(["sockdiag", "help", ""])), Set(names + ["--man"]))
        XCTAssertEqual(try complete(["sockdiag", "completion", ""]), CompletionCommand.shells)

        for spec in CommandCatalog.subcommands {
            let longs = spec.options.map { "--\($0.long)" }
            let shorts = spec.options.compactMap { $0.short.map { "-\($0)" } }
            XCTAssertEqual(Set(try complete(["sockdiag", spec.name, "-"])), Set(longs + shorts), spec.name)
            XCTAssertEqual(Set(try complete(["sockdiag", spec.name, "--"])), Set(longs), spec.name)
            if let json = spec.options.first(where: { $0.long == "json" }) {
                XCTAssertEqual(try complete(["sockdiag", spec.name, "-x", "--js"]), ["--\(json.long)"])
            }
        }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-completion-\(getpid())")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("slice.d"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("saved.pcapng").path, contents: Data())
        defer { try? FileManager.default.removeItem(at: directory) }
        let prefix = directory.path + "/s"
        // PATH values are directories, FILE values are any file, IF values are interfaces.
        XCTAssertEqual(try complete(["sockdiag", "trace", "--cgroup", prefix]), [directory.path + "/slice.d"])
        XCTAssertEqual(try complete(["sockdiag", "trace", "-c", prefix]), [directory.path + "/slice.d"])
        XCTAssertEqual(try complete(["sockdiag", "trace", "--cgroup", "=", prefix]), [directory.path + "/slice.d"])
        XCTAssertEqual(Set(try complete(["sockdiag", "compare-wire", "--pcap", prefix])),
                       [directory.path + "/slice.d", directory.path + "/saved.pcapng"])
        XCTAssertEqual(try complete(["sockdiag", "compare-wire", "-i", "l"]), ["lo"])
        XCTAssertEqual(try complete(["sockdiag", "compare-wire", "--interface", "an"]), ["any"])
        XCTAssertEqual(try complete(["sockdiag", "trace", "--duration", ""]), [])
        XCTAssertEqual(try complete(["sockdiag", "bind-check", "--netns", prefix]).sorted(),
                       [directory.path + "/saved.pcapng", directory.path + "/slice.d"])
        // After '--': a command, then that command's arguments.
        XCTAssertEqual(try complete(["sockdiag", "trace", "-j", "--", "printen"]), ["printenv"])
        XCTAssertEqual(try complete(["sockdiag", "compare-wire", "--", "ls", prefix]).sorted(),
                       [directory.path + "/saved.pcapng", directory.path + "/slice.d"])
        XCTAssertEqual(try complete(["sockdiag", "trace", "--", "ls", "--js"]), [], "options after -- are the command's")
    }

    // MARK: - Helpers

    func complete(_ words: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try bash("""
        COMP_WORDS=(\(quoted)); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
        _sockdiag sockdiag "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\\n' "${COMPREPLY[@]}"
        """)
    }

    func bash(_ script: String) throws -> [String] {
        let result = try run("/bin/bash", ["--norc", "--noprofile", "-c", "source \"$1\" && \(script)", "bash", Self.completion.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    struct Output { let status: Int32; let stdout: String; let stderr: String }

    func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-docs-\(getpid())-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: out.path + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out.path + ".out")
            try? FileManager.default.removeItem(atPath: out.path + ".err")
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out.path + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: out.path + ".err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: try String(contentsOfFile: out.path + ".out", encoding: .utf8),
                      stderr: try String(contentsOfFile: out.path + ".err", encoding: .utf8))
    }
}

/// Text from the tables reaches roff escaped: it can never turn into a request or a font change.
final class ManPageEscapingTests: XCTestCase {
    func testTableTextIsEscapedForRoff() {
        let option = OptionSpec("path-prefix", short: "p", .value(placeholder: "DIR"), repeatable: true,
                                help: "Strip C:\\temp from paths.")
        let spec = CommandSpec(
            name: "odd-one", abstract: "a", summary: ".Starts with a dot, has a \\fB font escape and a 'quote'.",
            usage: ["[--path-prefix DIR] -- CMD"], discussion: "'Leading quote and dual-stack --flags -- here.",
            options: [option], examples: [CommandExample("sockdiag odd-one -p /x -- ls", "Run ls.")])
        let page = ManPageRenderer.render([spec], version: "9.9")
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines.contains("\\&.Starts with a dot, has a \\efB font escape and a 'quote'."), page)
        XCTAssertTrue(lines.contains("\\&'Leading quote and dual-stack \\-\\-flags \\-\\- here."), page)
        XCTAssertTrue(lines.contains("\\fB\\-p\\fR, \\fB\\-\\-path\\-prefix\\fR \\fIDIR\\fR"), page)
        XCTAssertTrue(lines.contains("Strip C:\\etemp from paths. May be given more than once."), page)
        XCTAssertTrue(lines.contains("\\fBsockdiag odd\\-one\\fR [\\-\\-path\\-prefix DIR] \\-\\- CMD"), page)
        XCTAssertTrue(lines.contains(".TH SOCKDIAG 1 \"\" \"sockdiag 9.9\" \"User Commands\""), page)
        // No text line may start with a control character unless it is one of ours.
        for line in lines where line.hasPrefix(".") || line.hasPrefix("'") {
            XCTAssertTrue(line.hasPrefix(".\\\"") || line.range(of: #"^\.[A-Za-z]{1,2}( |$)"#, options: .regularExpression) != nil,
                          "stray control line: \(line)")
        }
    }
}
