/// sockdiag's exit statuses, the same for every subcommand.
public enum ExitStatus: Int32, Sendable {
    /// Nothing wrong was found.
    case ok = 0
    /// A dual-stack problem was found (a conflict, split receivers, a kernel/wire disagreement).
    case problemFound = 1
    /// Bad usage, bad input, missing privileges or a runtime failure.
    case failure = 2

    public static let legend = "Exit status: 0 nothing wrong found, 1 a dual-stack problem was found, 2 usage or runtime error."
}
