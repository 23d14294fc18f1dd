/// One option of a subcommand. The same table drives parsing, `--help`, the man page and the
/// bash completion, so they cannot drift apart.
public struct OptionSpec: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case flag
        case value(placeholder: String)
    }

    /// The long name without dashes: `json` for `--json`.
    public let long: String
    public let short: Character?
    public let kind: Kind
    public let help: String
    public let repeatable: Bool

    public init(_ long: String, short: Character? = nil, _ kind: Kind = .flag, repeatable: Bool = false, help: String) {
        self.long = long
        self.short = short
        self.kind = kind
        self.help = help
        self.repeatable = repeatable
    }

    public var takesValue: Bool { if case .value = kind { return true } else { return false } }

    /// `-j, --json` or `    --netns NAME|PATH`, as the help shows it.
    public var synopsis: String {
        var text = short.map { "-\($0), " } ?? "    "
        text += "--\(long)"
        if case let .value(placeholder) = kind { text += " \(placeholder)" }
        return text
    }

    public static let help = OptionSpec("help", short: "h", help: "Show this help and exit.")
}

public struct PositionalSpec: Hashable, Sendable {
    public let name: String
    public let help: String
    public let optional: Bool

    public init(_ name: String, optional: Bool = false, help: String) {
        self.name = name
        self.help = help
        self.optional = optional
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

    public init(name: String, abstract: String, summary: String, usage: [String], discussion: String? = nil,
                positionals: [PositionalSpec] = [], options: [OptionSpec], trailingCommand: String? = nil,
                examples: [CommandExample] = []) {
        self.name = name
        self.abstract = abstract
        self.summary = summary
        self.usage = usage
        self.discussion = discussion
        self.positionals = positionals
        self.options = options + [.help]
        self.trailingCommand = trailingCommand
        self.examples = examples
    }

    func option(long: Substring) -> OptionSpec? { options.first { $0.long == long } }
    func option(short: Character) -> OptionSpec? { options.first { $0.short == short } }
}
