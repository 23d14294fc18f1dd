public enum CompletionCommand {
    /// The shells `sockdiag completion` can write a script for.
    public enum Shell: String, CaseIterable, Sendable {
        case bash
        case zsh
        case fish
    }

    public static let shells = Shell.allCases.map(\.rawValue)

    public static let spec = CommandSpec(
        name: "completion",
        abstract: "Print the bash, zsh or fish completion script.",
        summary: "Print the completion script for bash, zsh or fish, generated from the same option tables as --help, so it always knows every subcommand and option of this binary.",
        usage: ["bash|zsh|fish"],
        discussion: "Run 'source <(sockdiag completion bash)' (or zsh; 'sockdiag completion fish | source' in fish) to complete in the current shell only. The manual page comes from the same tables: 'sockdiag help --man' prints it as roff, and 'sockdiag help --man | man -l -' shows it.",
        positionals: [PositionalSpec("SHELL", choices: shells, help: "The shell to complete for: bash, zsh or fish.")],
        options: [],
        examples: [
            CommandExample("sockdiag completion bash > /usr/share/bash-completion/completions/sockdiag",
                           "Install completion for every user (with the bash-completion package)."),
            CommandExample("sockdiag completion bash > ~/.local/share/bash-completion/completions/sockdiag",
                           "Install it for yourself only."),
            CommandExample("sockdiag completion zsh > /usr/local/share/zsh/site-functions/_sockdiag",
                           "Install zsh completion for every user (a directory on zsh's fpath)."),
            CommandExample("sockdiag completion fish > ~/.config/fish/completions/sockdiag.fish",
                           "Install fish completion for yourself."),
        ],
        exitStatus: "Exit status: 0 the script was printed, 2 usage error (an unknown shell) or a failed write."
    )
}

/// `sockdiag completion`'s command line, typed.
public struct CompletionOptions: Hashable, Sendable {
    public let shell: CompletionCommand.Shell

    public init(_ arguments: ParsedArguments) throws(UsageError) {
        let supported = CompletionCommand.shells.joined(separator: ", ")
        guard let name = arguments.positionals.first else {
            throw UsageError("name the shell: sockdiag completion bash (supported: \(supported))")
        }
        guard let shell = CompletionCommand.Shell(rawValue: name) else {
            throw UsageError("no completion for '\(name)' (supported: \(supported))")
        }
        self.shell = shell
    }
}
