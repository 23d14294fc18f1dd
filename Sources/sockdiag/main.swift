#if canImport(Glibc)
import Glibc
#endif
import SockdiagBPF
import SockdiagCapture
import SockdiagCore
import SockdiagSystem

func main(_ arguments: [String]) -> ExitStatus {
    let terminal = Terminal.standard
    guard let first = arguments.first else {
        let names = CommandCatalog.subcommands.map(\.name).joined(separator: ", ")
        return terminal.fail("no subcommand given (subcommands: \(names)); run 'sockdiag --help'")
    }
    switch first {
    case "--version":
        guard arguments.count == 1 else { return terminal.fail("--version takes no arguments, got '\(arguments[1])'") }
        terminal.out(versionText)
        return .ok
    case "help", "-h", "--help":
        // `sockdiag --help trace` reads as `sockdiag help trace`, as in git.
        let topics = arguments.dropFirst().filter { $0 != "-h" && $0 != "--help" }
        guard let topic = topics.first else { terminal.out(CommandCatalog.topLevelHelp); return .ok }
        guard topics.count == 1 else { return terminal.fail("help takes one subcommand, got '\(topics.joined(separator: " "))'") }
        if topic == "--man" {
            terminal.out(ManPageRenderer.render())
            return .ok
        }
        guard let spec = CommandCatalog.spec(named: topic) else {
            return terminal.fail(topic.hasPrefix("-") ? unknownTopLevelOption(topic, among: ["--man"], hint: " (run 'sockdiag --help')") : unknownSubcommand(topic))
        }
        terminal.out(HelpRenderer.render(spec))
        return .ok
    default:
        break
    }
    guard let subcommand = Subcommand(rawValue: first) else {
        return terminal.fail(first.hasPrefix("-") ? unknownTopLevelOption(first, among: ["--help", "--version"],
                                                                    hint: " (options go after the subcommand; run 'sockdiag --help')") : unknownSubcommand(first))
    }
    do {
        switch try subcommand.invocation(Array(arguments.dropFirst())) {
        case let .help(spec):
            terminal.out(HelpRenderer.render(spec))
            return .ok
        case let .demo(options): return try runDemo(options, terminal)
        case let .bindCheck(options): return try runBindCheck(options, terminal)
        case let .connectCheck(options): return try runConnectCheck(options, terminal)
        case let .trace(options): return try runTrace(options, terminal)
        case let .compareWire(options): return try runCompareWire(options, terminal)
        case let .completion(options): return runCompletion(options, terminal)
        case .demoHolder:
            SocketHolderProcess.holdUntilStdinCloses()
            return .ok
        case let .demoClient(port): return runDemoClient(port)
        }
    } catch let error as UsageError {
        return terminal.fail("\(subcommand.rawValue): \(error.message)")
    } catch {
        return terminal.fail("\(subcommand.rawValue): \(error)")
    }
}

func unknownTopLevelOption(_ option: String, among options: [String], hint: String) -> String {
    "unknown option '\(option)'" + ArgumentParser.suggestion(for: option, among: options) + hint
}

func unknownSubcommand(_ name: String) -> String {
    let names = CommandCatalog.subcommands.map(\.name) + ["help"]
    return "unknown subcommand '\(name)'" + ArgumentParser.suggestion(for: name, among: names)
        + " (subcommands: \(names.joined(separator: ", ")))"
}

/// What a bug report needs: this build, its BPF objects, and the C libraries it was built with beside
/// the ones it runs with.
var versionText: String {
    """
    sockdiag \(CommandCatalog.version)
    bpf build id: \(BPFBuildInfo.buildID) (sha256 of \(BPFBuildInfo.objectNames))
    libbpf: built with \(BPFBuildInfo.libbpfBuildVersion), running \(BPFBuildInfo.libbpfRuntimeVersion)
    libpcap: built with \(BPFBuildInfo.libpcapBuildVersion), running \(PcapLibrary.version)

    """
}

// A closed stdout (`| head`) shows up as a failed write, not a death by SIGPIPE; children started
// for trace and the demo get the default back before exec.
signal(SIGPIPE, SIG_IGN)
exit(Terminal.standard.finish(main(Array(CommandLine.arguments.dropFirst()))).rawValue)
