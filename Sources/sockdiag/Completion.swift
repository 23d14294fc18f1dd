import SockdiagCore

func runCompletion(_ arguments: ParsedArguments, _ terminal: Terminal) throws -> ExitStatus {
    let supported = CompletionCommand.shells.joined(separator: ", ")
    guard let shell = arguments.positionals.first else {
        throw UsageError("name the shell: sockdiag completion bash (supported: \(supported))")
    }
    guard CompletionCommand.shells.contains(shell) else {
        throw UsageError("no completion for '\(shell)' (supported: \(supported))")
    }
    switch shell {
    case "zsh": terminal.out(ZshCompletionRenderer.render())
    case "fish": terminal.out(FishCompletionRenderer.render())
    default: terminal.out(BashCompletionRenderer.render())
    }
    return .ok
}
