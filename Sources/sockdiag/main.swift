#if canImport(Glibc)
import Glibc
#endif
import SockdiagBPF
import SockdiagCapture
import SockdiagCore
import SockdiagSystem

/// Each subcommand's entry: the table it parses with and the function that runs it.
struct Subcommand {
    let spec: CommandSpec
    let run: (ParsedArguments, Terminal) throws -> ExitStatus
}

let subcommands: [Subcommand] = [
    Subcommand(spec: DemoCommand.spec, run: runDemo),
    Subcommand(spec: BindCheckCommand.spec, run: runBindCheck),
    Subcommand(spec: ConnectCheckCommand.spec, run: runConnectCheck),
    Subcommand(spec: TraceCommand.spec, run: runTrace),
    Subcommand(spec: CompareWireCommand.spec, run: runCompareWire),
    Subcommand(spec: CompletionCommand.spec, run: runCompletion),
]

func main(_ arguments: [String]) -> ExitStatus {
    let terminal = Terminal.standard
    guard let first = arguments.first else {
        let names = subcommands.map(\.spec.name).joined(separator: ", ")
        return terminal.fail("no subcommand given (subcommands: \(names)); run 'sockdiag --help'")
    }
    switch first {
    case DemoCommand.clientEntry:
        return runDemoClient(Array(arguments.dropFirst()))
    case DemoCommand.holderEntry:
        SocketHolderProcess.holdUntilStdinCloses()
        return .ok
    case "--version":
        guard arguments.count == 1 else { return terminal.fail("--version takes no arguments, got '\(arguments[1])'") }
        terminal.out(versionText)
        return .ok
    case "help", "-h", "--help":
        // `sockdiag --help trace` reads as `sockdiag help trace`, as in git.
        let topics = arguments.dropFirst().filter { $0 != "-h" && $0 != "--help" }
        guard let topic = topics.first else { terminal.out(CatalogHelp.topLevel); return .ok }
        guard topics.count == 1 else { return terminal.fail("help takes one subcommand, got '\(topics.joined(separator: " "))'") }
        if topic == "--man" {
            terminal.out(ManPageRenderer.render())
            return .ok
        }
        guard let sub = subcommands.first(where: { $0.spec.name == topic }) else {
            return terminal.fail(topic.hasPrefix("-") ? unknownTopLevelOption(topic, among: ["--man"], hint: " (run 'sockdiag --help')") : unknownSubcommand(topic))
        }
        terminal.out(HelpRenderer.render(sub.spec))
        return .ok
    default:
        break
    }
    guard let sub = subcommands.first(where: { $0.spec.name == first }) else {
        return terminal.fail(first.hasPrefix("-") ? unknownTopLevelOption(first, among: ["--help", "--version"],
                                                                    hint: " (options go after the subcommand; run 'sockdiag --help')") : unknownSubcommand(first))
    }
    do {
        let parsed = try ArgumentParser.parse(Array(arguments.dropFirst()), for: sub.spec)
        if parsed.wantsHelp {
            terminal.out(HelpRenderer.render(sub.spec))
            return .ok
        }
        return try sub.run(parsed, terminal)
    } catch let error as UsageError {
        return terminal.fail("\(sub.spec.name): \(error.message)")
    } catch {
        return terminal.fail("\(sub.spec.name): \(error)")
    }
}

func unknownTopLevelOption(_ option: String, among options: [String], hint: String) -> String {
    "unknown option '\(option)'" + ArgumentParser.suggestion(for: option, among: options) + hint
}

func unknownSubcommand(_ name: String) -> String {
    let names = subcommands.map(\.spec.name) + ["help"]
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

enum CatalogHelp {
    static var topLevel: String { CommandCatalog.topLevelHelp }
}

// A closed stdout (`| head`) shows up as a failed write, not a death by SIGPIPE; children started
// for trace and the demo get the default back before exec.
signal(SIGPIPE, SIG_IGN)
exit(Terminal.standard.finish(main(Array(CommandLine.arguments.dropFirst()))).rawValue)
