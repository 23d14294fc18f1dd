public enum CompletionCommand {
    /// The shells `sockdiag completion` can write a script for.
    public static let shells = ["bash"]

    public static let spec = CommandSpec(
        name: "completion",
        abstract: "Print the bash completion script.",
        summary: "Print the bash completion script, generated from the same option tables as --help, so it always knows every subcommand and option of this binary.",
        usage: ["bash"],
        discussion: "Run 'source <(sockdiag completion bash)' to complete in the current shell only. The manual page comes from the same tables: 'sockdiag help --man' prints it as roff, and 'sockdiag help --man | man -l -' shows it.",
        positionals: [PositionalSpec("SHELL", help: "The shell to complete for: bash.")],
        options: [],
        examples: [
            CommandExample("sockdiag completion bash > /usr/share/bash-completion/completions/sockdiag",
                           "Install completion for every user (with the bash-completion package)."),
            CommandExample("sockdiag completion bash > ~/.local/share/bash-completion/completions/sockdiag",
                           "Install it for yourself only."),
        ]
    )
}
