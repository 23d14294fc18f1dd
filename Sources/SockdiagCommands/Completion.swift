import SockdiagCore

/// `sockdiag completion`: the shell completion script.
public enum Completion {
    public static func run(_ options: CompletionOptions, _ terminal: Terminal) -> ExitStatus {
        switch options.shell {
        case .bash: terminal.out(BashCompletionRenderer.render())
        case .zsh: terminal.out(ZshCompletionRenderer.render())
        case .fish: terminal.out(FishCompletionRenderer.render())
        }
        return .ok
    }
}
