#if canImport(Glibc)
import Glibc
#endif
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
    Subcommand(spec: TraceCommand.spec, run: runTrace),
    Subcommand(spec: CompareWireCommand.spec, run: runCompareWire),
    Subcommand(spec: CompletionCommand.spec, run: runCompletion),
]

func main(_ arguments: [String]) -> ExitStatus {
    let terminal = Terminal.standard
    guard let first = arguments.first else {
        terminal.err(CatalogHelp.topLevel)
        return .failure
    }
    switch first {
    case DemoCommand.clientEntry:
        return runDemoClient(Array(arguments.dropFirst()))
    case DemoCommand.holderEntry:
        SocketHolderProcess.holdUntilStdinCloses()
        return .ok
    case "-h", "--help":
        terminal.out(CatalogHelp.topLevel)
        return .ok
    case "--version":
        terminal.out("sockdiag \(CommandCatalog.version)\n")
        return .ok
    case "help":
        guard arguments.count > 1 else { terminal.out(CatalogHelp.topLevel); return .ok }
        if arguments[1] == "--man" {
            terminal.out(ManPageRenderer.render())
            return .ok
        }
        guard let sub = subcommands.first(where: { $0.spec.name == arguments[1] }) else {
            return terminal.fail(unknownSubcommand(arguments[1]))
        }
        terminal.out(HelpRenderer.render(sub.spec))
        return .ok
    default:
        break
    }
    guard let sub = subcommands.first(where: { $0.spec.name == first }) else {
        return terminal.fail(first.hasPrefix("-") ? "unknown option '\(first)'; run 'sockdiag --help'" : unknownSubcommand(first))
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

func unknownSubcommand(_ name: String) -> String {
    let names = subcommands.map(\.spec.name) + ["help"]
    return "unknown subcommand '\(name)'" + ArgumentParser.suggestion(for: name, among: names)
        + " (subcommands: \(names.joined(separator: ", ")))"
}

enum CatalogHelp {
    static var topLevel: String { CommandCatalog.topLevelHelp }
}

exit(main(Array(CommandLine.arguments.dropFirst())).rawValue)
