/// A failure that ends a run with exit status 2 and one line on stderr.
public enum SockdiagError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input (an address, a file, an event log) is wrong; the text says how.
    case invalidInput(String)
    /// The run needs a privilege or kernel feature it does not have.
    case missingPrivilege(String)
    /// A system call failed where it should not have.
    case system(call: String, errno: Errno, context: String)

    public var description: String {
        switch self {
        case let .invalidInput(message): return message
        case let .missingPrivilege(message): return message
        case let .system(call, errno, context):
            return context.isEmpty ? "\(call) failed: \(errno.name)" : "\(context): \(call) failed: \(errno.name)"
        }
    }
}
