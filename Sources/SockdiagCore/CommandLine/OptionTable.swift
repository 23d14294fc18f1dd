/// One option of a subcommand. The same table drives parsing, `--help`, the man page and the
/// shell completions, so they cannot drift apart. As in swift-driver's option table, an entry says
/// what its value is (`ValueKind`) and how it is shown (`hidden`); which options exclude each other
/// is said once per subcommand (`CommandSpec.exclusions`).
public struct OptionSpec: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case flag
        /// A value shown as `placeholder` in help, of the given kind.
        case value(placeholder: String, ValueKind = .text)
    }

    /// What an option's value names: what a completion offers for it.
    public enum ValueKind: Hashable, Sendable, CaseIterable {
        /// Free text (a number, a rule): nothing to offer.
        case text
        case file
        case directory
        case interface
        /// A cgroup v2 directory: absolute, or relative to the cgroup2 mount.
        case cgroup
        /// A network namespace: a name from 'ip netns', or a path such as /proc/PID/ns/net.
        case netns
    }

    /// The long name without dashes: `json` for `--json`.
    public let long: String
    public let short: Character?
    public let kind: Kind
    public let help: String
    public let repeatable: Bool
    /// Parsed but left out of help, the man page and completion.
    public let hidden: Bool

    public init(_ long: String, short: Character? = nil, _ kind: Kind = .flag, repeatable: Bool = false,
                hidden: Bool = false, help: String) {
        self.long = long
        self.short = short
        self.kind = kind
        self.help = help
        self.repeatable = repeatable
        self.hidden = hidden
    }

    public var takesValue: Bool { placeholder != nil }

    /// The value's placeholder (`FILE`), nil for a flag.
    public var placeholder: String? {
        if case let .value(placeholder, _) = kind { return placeholder }
        return nil
    }

    /// What the value names; nil for a flag.
    public var valueKind: ValueKind? {
        if case let .value(_, valueKind) = kind { return valueKind }
        return nil
    }

    /// `-j, --json` or `    --netns NAME|PATH`, as the help shows it.
    public var synopsis: String {
        var text = short.map { "-\($0), " } ?? "    "
        text += "--\(long)"
        if let placeholder { text += " \(placeholder)" }
        return text
    }

    public static let help = OptionSpec("help", short: "h", help: "Show this help and exit.")
}

/// Options of which at most one may be given, and the line that says so when more are.
public struct OptionExclusion: Sendable {
    public let options: [OptionSpec]
    public let message: String

    public init(_ options: OptionSpec..., message: String) {
        self.options = options
        self.message = message
    }
}

public struct PositionalSpec: Hashable, Sendable {
    public let name: String
    public let help: String
    public let optional: Bool
    /// The only values it takes (a shell's name), offered by completion; nil for free text.
    public let choices: [String]?

    public init(_ name: String, optional: Bool = false, choices: [String]? = nil, help: String) {
        self.name = name
        self.help = help
        self.optional = optional
        self.choices = choices
    }
}

public struct CommandExample: Hashable, Sendable {
    public let command: String
    public let explanation: String

    public init(_ command: String, _ explanation: String) {
        self.command = command
        self.explanation = explanation
    }
}

/// A subcommand's whole interface.
public struct CommandSpec: Sendable {
    public let name: String
    /// One short line for `sockdiag --help`.
    public let abstract: String
    public let summary: String
    /// Usage lines without the leading `sockdiag NAME`.
    public let usage: [String]
    public let discussion: String?
    public let positionals: [PositionalSpec]
    public let options: [OptionSpec]
    /// Placeholder for the command after `--` (`CMD [ARGS...]`), or nil when `--` only ends options.
    public let trailingCommand: String?
    public let examples: [CommandExample]
    /// Checked once the arguments are read, in this order.
    public let exclusions: [OptionExclusion]
    /// An entry point sockdiag starts itself (the demo's helper processes): parsed as any other,
    /// left out of help, the man page and completion.
    public let hidden: Bool
    /// The help's last line: what this subcommand's exit statuses mean.
    public let exitStatus: String

    public init(name: String, abstract: String, summary: String, usage: [String], discussion: String? = nil,
                positionals: [PositionalSpec] = [], options: [OptionSpec], exclusions: [OptionExclusion] = [],
                trailingCommand: String? = nil, examples: [CommandExample] = [], hidden: Bool = false,
                exitStatus: String = ExitStatus.legend) {
        self.exitStatus = exitStatus
        self.name = name
        self.abstract = abstract
        self.summary = summary
        self.usage = usage
        self.discussion = discussion
        self.positionals = positionals
        self.options = options + [.help]
        self.trailingCommand = trailingCommand
        self.examples = examples
        self.exclusions = exclusions
        self.hidden = hidden
    }

    /// The options help, the man page and completion show.
    public var visibleOptions: [OptionSpec] { options.filter { !$0.hidden } }

    /// The options that may not be given together with `option`, as a completion excludes them.
    public func options(excludedBy option: OptionSpec) -> [OptionSpec] {
        exclusions.filter { $0.options.contains(option) }.flatMap(\.options).filter { $0 != option }
    }

    func option(long: Substring) -> OptionSpec? { options.first { $0.long == long } }
    func option(short: Character) -> OptionSpec? { options.first { $0.short == short } }
}
