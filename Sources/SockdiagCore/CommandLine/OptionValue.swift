/// Typed values of options shared by several subcommands, refused with the same words everywhere.
public enum OptionValue {
    /// Seconds as a decimal number (`30`, `0.5`, `2e-1`), finite and above zero. The hexadecimal
    /// floats `Double(_:)` also reads (`0x10`) are refused: on a command line they are a typo.
    public static func positiveSeconds(_ text: String, for option: OptionSpec) throws(UsageError) -> Double {
        let decimal = text.allSatisfy { $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }
        guard decimal, let seconds = Double(text), seconds.isFinite, seconds > 0 else {
            throw UsageError("--\(option.long) must be a positive number of seconds, got '\(text)'")
        }
        return seconds
    }
}
