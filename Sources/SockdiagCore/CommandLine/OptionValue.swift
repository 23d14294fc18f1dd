/// Typed values of options shared by several subcommands, refused with the same words everywhere.
public enum OptionValue {
    /// Seconds as a decimal number (`30`, `0.5`, `2e-1`), finite and above zero. The hexadecimal
    /// floats `Double(_:)` also reads (`0x10`) are refused: on a command line they are a typo.
    /// `verb` is how the refusal reads: trace says "must be", compare-wire "needs"; both
    /// spellings are kept as they were printed before the check was shared.
    public static func positiveSeconds(_ arguments: ParsedArguments, _ option: OptionSpec,
                                       verb: String = "must be") throws(UsageError) -> Double? {
        guard let text = arguments.value(option) else { return nil }
        let decimal = text.allSatisfy { $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }
        guard decimal, let seconds = Double(text), seconds.isFinite, seconds > 0 else {
            throw UsageError("--\(option.long) \(verb) a positive number of seconds, got '\(text)'")
        }
        return seconds
    }

    /// A whole number above zero.
    public static func positiveWholeNumber(_ arguments: ParsedArguments, _ option: OptionSpec) throws(UsageError) -> Int? {
        guard let text = arguments.value(option) else { return nil }
        guard let number = Int(text), number > 0 else {
            throw UsageError("--\(option.long) must be a positive whole number, got '\(text)'")
        }
        return number
    }
}
