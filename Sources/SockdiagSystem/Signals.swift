import CSockdiagShim

/// SIGINT, SIGTERM and SIGHUP end a run cleanly instead of killing it.
public enum TerminationSignals {
    public static func install() { sockdiag_install_termination_handlers() }

    /// The signal that asked the run to stop, or nil.
    public static var received: Int32? {
        let number = sockdiag_termination_signal()
        return number == 0 ? nil : number
    }
}

/// How a run that started a command stops on SIGINT/SIGTERM/SIGHUP: the command gets the same
/// signal once, and two seconds to exit, before the run stops waiting for it.
struct CommandStopper {
    private var signalledAt: UInt64? = nil
    private let graceNs: UInt64 = 2_000_000_000

    init() {}

    /// True when a termination signal arrived and the run should stop now.
    mutating func shouldStop(_ command: SpawnedCommand?, nowNs: UInt64) -> Bool {
        guard let signal = TerminationSignals.received else { return false }
        guard let command else { return true }
        guard let since = signalledAt else {
            signalledAt = nowNs
            command.signal(signal)
            return false
        }
        return nowNs - since > graceNs
    }
}
