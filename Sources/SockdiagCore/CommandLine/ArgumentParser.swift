/// A command line that did not fit its table. `description` is the one line printed on stderr.
public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a command line said, looked up by the same `OptionSpec` values that defined it.
public struct ParsedArguments: Sendable {
    public private(set) var positionals: [String] = []
    /// The command after `--`, for subcommands that run one.
    public private(set) var trailingCommand: [String]? = nil
    private var values: [String: [String]] = [:]
    private var flagCounts: [String: Int] = [:]

    public init() {}

    public func isSet(_ option: OptionSpec) -> Bool { flagCounts[option.long, default: 0] > 0 || values[option.long] != nil }
    public func count(_ option: OptionSpec) -> Int { flagCounts[option.long, default: 0] }
    public func value(_ option: OptionSpec) -> String? { values[option.long]?.last }
    public func values(_ option: OptionSpec) -> [String] { values[option.long] ?? [] }

    public var wantsHelp: Bool { isSet(.help) }

    /// Refuses a command line that gives more than one of `exclusion`'s options. A subcommand's
    /// typed options check its table's exclusions where its rules put them, so that of several
    /// mistakes the same one is named first every time.
    public func check(_ exclusion: OptionExclusion) throws(UsageError) {
        if exclusion.options.filter(isSet).count > 1 { throw UsageError(exclusion.message) }
    }

    mutating func record(_ option: OptionSpec, value: String?) throws(UsageError) {
        if let value {
            if values[option.long] != nil && !option.repeatable {
                throw UsageError("--\(option.long) was given twice")
            }
            values[option.long, default: []].append(value)
        } else {
            flagCounts[option.long, default: 0] += 1
        }
    }

    mutating func appendPositional(_ text: String) { positionals.append(text) }
    mutating func setTrailing(_ command: [String]) { trailingCommand = command }
}

public enum ArgumentParser {
    /// Parses the arguments after the subcommand's name. Accepts `--name value`, `--name=value`,
    /// `-n value`, `-nvalue`, clustered short flags (`-tj`), repeated options where the table allows,
    /// and `--` to end options.
    public static func parse(_ arguments: [String], for spec: CommandSpec) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        func takeValue(for option: OptionSpec, inline: Substring?) throws(UsageError) -> String {
            if let inline {
                guard !inline.isEmpty else {
                    throw UsageError("--\(option.long) needs a value (\(option.synopsis.trimmingLeadingSpaces))")
                }
                return String(inline)
            }
            index += 1
            guard index < arguments.count else {
                throw UsageError("--\(option.long) needs a value (\(option.synopsis.trimmingLeadingSpaces))")
            }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                let rest = Array(arguments[(index + 1)...])
                if spec.trailingCommand != nil {
                    guard !rest.isEmpty else { throw UsageError("'--' must be followed by a command to run") }
                    parsed.setTrailing(rest)
                } else {
                    rest.forEach { parsed.appendPositional($0) }
                }
                break
            } else if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let equals = body.firstIndex(of: "=")
                let name = body[..<(equals ?? body.endIndex)]
                let inline: Substring? = equals.map { body[body.index(after: $0)...] }
                guard let option = spec.option(long: name) else {
                    throw UsageError("unknown option '--\(name)' for '\(spec.name)'" + suggestion(for: "--\(name)", among: spec.options.map { "--\($0.long)" }))
                }
                if option.takesValue {
                    try parsed.record(option, value: try takeValue(for: option, inline: inline))
                } else {
                    guard inline == nil else { throw UsageError("--\(option.long) takes no value") }
                    try parsed.record(option, value: nil)
                }
            } else if argument.hasPrefix("-") && argument.count > 1 && !looksNumeric(argument) {
                var rest = argument.dropFirst()
                while let letter = rest.first {
                    rest = rest.dropFirst()
                    guard let option = spec.option(short: letter) else {
                        throw unknownShortOption(letter, in: argument, for: spec)
                    }
                    if option.takesValue {
                        try parsed.record(option, value: try takeValue(for: option, inline: rest.isEmpty ? nil : rest))
                        break
                    }
                    try parsed.record(option, value: nil)
                }
            } else {
                parsed.appendPositional(argument)
            }
            index += 1
        }
        if parsed.wantsHelp { return parsed }
        let maximum = spec.positionals.count
        if parsed.positionals.count > maximum {
            let extra = parsed.positionals[maximum]
            throw UsageError(maximum == 0
                ? "'\(spec.name)' takes no arguments, got '\(extra)'"
                : "unexpected extra argument '\(extra)' (usage: sockdiag \(spec.name) \(spec.usage.first ?? ""))")
        }
        return parsed
    }

    /// `-json` is usually `--json` with a dash missing, so that is the suggestion; a lone unknown
    /// letter has no "nearest" letter worth guessing, so the valid ones are listed instead.
    private static func unknownShortOption(_ letter: Character, in argument: String, for spec: CommandSpec) -> UsageError {
        let longNames = spec.options.map { "--\($0.long)" }
        if argument.count > 2, let nearest = nearest(to: "-" + argument, among: longNames) {
            return UsageError("unknown option '-\(letter)' in '\(argument)' for '\(spec.name)'; did you mean '\(nearest)'?")
        }
        let shorts = spec.options.compactMap { $0.short.map { "-\($0)" } }
        return UsageError("unknown option '-\(letter)' for '\(spec.name)' (short options: \(shorts.joined(separator: " ")))")
    }

    /// Negative numbers are never options here; letting `-1` through gives a clearer error later.
    private static func looksNumeric(_ text: String) -> Bool {
        text.dropFirst().allSatisfy { $0.isNumber }
    }

    /// ` (did you mean --json?)` when a candidate is close enough to be a typo, else "".
    public static func suggestion(for word: String, among candidates: [String]) -> String {
        guard let nearest = nearest(to: word, among: candidates) else { return "" }
        return "; did you mean '\(nearest)'?"
    }

    public static func nearest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored else { return nil }
        let tolerance = max(2, word.count / 3)
        if distance <= tolerance { return best }
        // An abbreviation (`--verb`, `compare`) names the one candidate it starts.
        let extensions = candidates.filter { $0.hasPrefix(word) }
        if word.drop(while: { $0 == "-" }).count >= 2, extensions.count == 1 { return extensions[0] }
        return nil
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swapped
    /// neighbours (`--josn`) each count as one typo.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension String {
    var trimmingLeadingSpaces: Substring { drop(while: { $0 == " " }) }
}
