import SockdiagCore

func runCompletion(_ arguments: ParsedArguments, _ terminal: Terminal) throws -> ExitStatus {
    let supported = CompletionCommand.shells.joined(separator: ", ")
    guard let shell = arguments.positionals.first else {
        throw UsageError("name the shell: sockdiag completion bash (supported: \(supported))")
    }
    guard CompletionCommand.shells.contains(shell) else {
        throw UsageError("no completion for '\(shell)' (supported: \(supported))")
    }
    terminal.out(BashCompletionRenderer.render())
    return .ok
}
