/// What a live run (trace, compare-wire) watches: the processes of a cgroup, or a command it
/// starts in a transient cgroup of its own.
public enum LiveTarget: Hashable, Sendable {
    /// An existing cgroup: absolute, or relative to the cgroup v2 mount.
    case cgroup(String)
    /// A command to start in a transient cgroup.
    case command([String])

    /// `--cgroup PATH` or `-- CMD`, exactly one of them; `both` and `neither` are the refusals,
    /// worded for the subcommand.
    public init(_ arguments: ParsedArguments, cgroup option: OptionSpec, both: String, neither: String) throws(UsageError) {
        switch (arguments.value(option), arguments.trailingCommand) {
        case let (path?, nil):
            guard !path.isEmpty else { throw UsageError("--\(option.long) needs a path") }
            self = .cgroup(path)
        case let (nil, command?):
            self = .command(command)
        case (.some, .some):
            throw UsageError(both)
        case (nil, nil):
            throw UsageError(neither)
        }
    }

    /// The command to start, for `-- CMD`.
    public var command: [String]? {
        if case let .command(command) = self { return command }
        return nil
    }
}
