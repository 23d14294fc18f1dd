import Foundation
import SockdiagCore
import XCTest

/// `sockdiag completion zsh|fish` loaded into the real shells, asked for completions the way a user
/// asks with TAB: zsh in a pseudo-terminal (zpty) with compinit and the line editor, fish through
/// `complete -C`. Both must offer the subcommands, every option of every subcommand, and each
/// option's values (directories, files, interfaces, namespaces, cgroups), and hand over to the
/// command after `--`.
final class ShellCompletionTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-shells-\(getpid())")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("slice.d"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: scratch.appendingPathComponent("saved.pcapng").path, contents: Data())
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("home/.config"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func testZshCompletes() throws {
        try checkShell(zsh)
    }

    func testFishCompletes() throws {
        try checkShell(fish)
    }

    /// The same questions to either shell. `complete` takes command lines and returns, for each,
    /// what the shell offered (a trailing `/` on directories dropped: zsh adds it as a suffix, fish
    /// in the word).
    func checkShell(_ complete: ([String]) throws -> [[String]]) throws {
        try requirePrivileges("a cgroup and a network namespace to complete")
        let cgroupRoot = try XCTUnwrap(cgroup2MountPoint(), "no cgroup2 mount")
        let cgroupName = "sockdiag-shells-\(getpid())"
        try FileManager.default.createDirectory(atPath: "\(cgroupRoot)/\(cgroupName)", withIntermediateDirectories: true)
        defer { rmdir("\(cgroupRoot)/\(cgroupName)") }
        let netnsName = "sockdiag-shells-\(getpid())"
        XCTAssertEqual(try runProgram("/usr/bin/env", ["ip", "netns", "add", netnsName]).status, 0)
        defer { _ = try? runProgram("/usr/bin/env", ["ip", "netns", "delete", netnsName]) }

        let names = CommandCatalog.subcommands.map(\.name)
        let prefix = scratch.path + "/s"
        var questions: [(line: String, expected: Set<String>)] = [
            ("sockdiag ", Set(names + ["help"])),
            ("sockdiag -", ["-h", "--help", "--version"]),
            ("sockdiag comp", ["compare-wire", "completion"]),
            ("sockdiag help ", Set(names + ["--man"])),
            ("sockdiag completion ", Set(CompletionCommand.shells)),
            // Option values, by kind: directories, files, interfaces, namespaces, cgroups, numbers.
            ("sockdiag trace --cgroup \(prefix)", [scratch.path + "/slice.d"]),
            ("sockdiag trace -c \(prefix)", [scratch.path + "/slice.d"]),
            ("sockdiag trace --cgroup \(cgroupName.dropLast(3))", [cgroupName]),
            ("sockdiag compare-wire --pcap \(prefix)", [scratch.path + "/slice.d", scratch.path + "/saved.pcapng"]),
            ("sockdiag compare-wire --events=\(prefix)", ["--events=\(scratch.path)/slice.d", "--events=\(scratch.path)/saved.pcapng"]),
            ("sockdiag compare-wire -i l", ["lo"]),
            ("sockdiag compare-wire --interface=an", ["--interface=any"]),
            ("sockdiag bind-check --netns \(netnsName.dropLast(3))", [netnsName]),
            ("sockdiag bind-check --netns \(prefix)", [scratch.path + "/slice.d", scratch.path + "/saved.pcapng"]),
            ("sockdiag trace --duration ", []),
            // A repeatable option is offered again.
            ("sockdiag trace --redirect 53=127.0.0.1:5353 --red", ["--redirect"]),
            // After '--': a command, then that command's own completion.
            ("sockdiag trace -j -- printen", ["printenv"]),
            ("sockdiag compare-wire -- ls --vers", ["--version"]),
        ]
        for spec in CommandCatalog.subcommands {
            let longs = spec.options.map { "--\($0.long)" }
            let shorts = spec.options.compactMap { $0.short.map { "-\($0)" } }
            questions.append(("sockdiag \(spec.name) -", Set(longs + shorts)))
            questions.append(("sockdiag \(spec.name) --", Set(longs)))
        }
        let answers = try complete(questions.map(\.line))
        XCTAssertEqual(answers.count, questions.count)
        for (question, answer) in zip(questions, answers) {
            XCTAssertEqual(Set(answer.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }), question.expected, question.line)
        }
    }

    // MARK: - The shells

    /// fish answers `complete -C LINE` with `word<TAB>description` lines. HOME points at an empty
    /// directory, so no user configuration takes part; fish's own completions (ls) do.
    func fish(_ lines: [String]) throws -> [[String]] {
        let script = scratch.appendingPathComponent("home/sockdiag.fish")
        try Sockdiag.run(["completion", "fish"]).stdout.write(to: script, atomically: true, encoding: .utf8)
        let result = try runProgram("/usr/bin/env", ["fish", "-c", """
            source $argv[1]; or exit 3
            for line in $argv[2..-1]
                complete -C $line
                echo @@end
            end
            """, script.path] + lines, environment: home, timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        return blocks(result.stdout).map { $0.map { String($0.split(separator: "\t", maxSplits: 1).first ?? "") } }
    }

    /// zsh completes only in its line editor, so it runs interactive in a pseudo-terminal (zpty):
    /// compinit, the script, and a compadd that also writes each match it is given to a file. Each
    /// line is typed, TAB pressed, and the line killed; the completion widget ends each answer.
    func zsh(_ lines: [String]) throws -> [[String]] {
        let script = scratch.appendingPathComponent("home/_sockdiag")
        try Sockdiag.run(["completion", "zsh"]).stdout.write(to: script, atomically: true, encoding: .utf8)
        let harness = scratch.appendingPathComponent("home/harness.zsh")
        try Self.zshHarness.write(to: harness, atomically: true, encoding: .utf8)
        let output = scratch.appendingPathComponent("home/zsh-matches")
        let result = try runProgram("/usr/bin/env", ["zsh", "-f", harness.path, script.path, output.path] + lines,
                                    environment: home, timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        return blocks(try String(contentsOf: output, encoding: .utf8))
    }

    var home: [String: String] {
        ["HOME": scratch.appendingPathComponent("home").path,
         "XDG_CONFIG_HOME": scratch.appendingPathComponent("home/.config").path,
         "ZDOTDIR": scratch.appendingPathComponent("home").path]
    }

    func blocks(_ text: String) -> [[String]] {
        var blocks: [[String]] = [], current: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "@@end" {
                blocks.append(current)
                current = []
            } else if !line.isEmpty {
                current.append(String(line))
            }
        }
        return blocks
    }

    static let zshHarness = #"""
    # zsh -f harness.zsh SCRIPT OUTPUT LINE...
    zmodload zsh/zpty || exit 3
    local script=$1 output=$2
    shift 2
    local setup=$output.setup
    cat >$setup <<SETUP
    PS1=''
    unsetopt auto_list auto_menu list_beep beep
    autoload -Uz compinit && compinit -u -D
    source ${(q)script}
    # Each match offered goes to the output file too, with the prefixes that complete its word.
    compadd() {
      if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
        builtin compadd "\$@"
        return
      fi
      local -a __hits __apre __hpre
      zparseopts -E -a __ignored P:=__apre p:=__hpre
      builtin compadd -O __hits "\$@"
      local hit
      for hit in \$__hits; do
        print -r -- "\$IPREFIX\${__apre[2]}\${__hpre[2]}\$hit" >>${(q)output}
      done
      builtin compadd "\$@"
    }
    _sockdiag_capture() {
      _main_complete
      print -r -- @@end >>${(q)output}
    }
    zle -C sockdiag-capture complete-word _sockdiag_capture
    bindkey '^I' sockdiag-capture
    bindkey '^U' kill-whole-line
    # Keys typed before the line editor starts are lost: say when it has started.
    _sockdiag_ready() { : >${(q)output}.ready }
    zle -N zle-line-init _sockdiag_ready
    SETUP
    : >$output
    zpty sockdiag_capture zsh -f -i
    zpty -w sockdiag_capture "source ${(q)setup}"
    integer tries=0
    until [[ -e $output.ready ]] || (( ++tries > 400 )); do sleep 0.05; done
    local line
    for line in "$@"; do
      zpty -w -n sockdiag_capture "$line"$'\t\x15'
    done
    zpty -w sockdiag_capture "exit"
    local out
    while zpty -r sockdiag_capture out; do :; done
    zpty -d sockdiag_capture
    rm -f $setup $output.ready
    """#
}
