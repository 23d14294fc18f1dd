import SockdiagCommands
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
        terminal.out(Version.text)
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
        case let .demo(options): return try Demo.run(options, terminal)
        case let .bindCheck(options): return try BindCheck.run(options, terminal)
        case let .connectCheck(options): return try ConnectCheck.run(options, terminal)
        case let .trace(options): return try Trace.run(options, terminal)
        case let .compareWire(options): return try CompareWire.run(options, to: terminal)
        case let .completion(options): return Completion.run(options, terminal)
        case .demoHolder: return Demo.runHolder()
        case let .demoClient(port): return Demo.runClient(port)
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

ThisProcess.ignoreBrokenPipe()
ThisProcess.exit(Terminal.standard.finish(main(Array(CommandLine.arguments.dropFirst()))))
